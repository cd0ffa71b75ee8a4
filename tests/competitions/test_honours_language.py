"""What the system writes of an award round in words (its events' reasons) is stored in the portal's language
and shown in the reader's: each kind written through its real service, the stored text read in Chinese and the
shown text in English; text a person typed stays as typed; rows written before the facts were kept show their
stored text; and the round's page in English."""

from __future__ import annotations

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import override

from competitions.honours import services
from competitions.honours.models import RoundAction, RoundEvent
from tests.competitions.test_honours import World, proposed_round

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(f):
    return World(f)


def event(round_, action) -> RoundEvent:
    return RoundEvent.objects.filter(round=round_, action=action).latest("at", "id")


def test_the_shortlist_event_is_stored_in_chinese_and_shown_in_english(world):
    round_, _workers = proposed_round(world, 100, 90, quota_total=1)

    shortlisted = event(round_, RoundAction.SHORTLISTED)
    snapshot = round_.snapshot_id
    assert shortlisted.reason == f"依据排名快照 #{snapshot}（摘要 abababababab）：初选 1 名，未入选说明 0 条。"
    assert shortlisted.text == shortlisted.reason
    with override("en"):
        assert shortlisted.text == (f"From ranking snapshot #{snapshot} (digest abababababab): 1 shortlisted, "
                                    "0 exclusion notes.")


def test_the_publicity_event_is_stored_in_chinese_even_when_an_english_reader_publishes(world):
    round_, _workers = proposed_round(world, 100)
    services.propose(actor=world.staff, round_=round_)
    with override("en"):
        services.publish(actor=world.staff, round_=round_, days=7)

    published = event(round_, RoundAction.PUBLISHED)
    assert (published.reason, published.params) == ("公示7天", {"days": 7})
    with override("en"):
        assert published.text == "Public notice of 7 days"


def test_the_event_of_a_discarded_shortlist_is_stored_in_chinese_and_shown_in_english(world):
    round_, _workers = proposed_round(world, 100)
    services.round_edit(actor=world.staff, round_=round_, quota_total=2)

    edited = event(round_, RoundAction.EDITED)
    assert edited.reason == "评选条件已修改，原初选名单作废。"
    with override("en"):
        assert edited.text == "The round's conditions changed; the earlier shortlist was discarded."
    # An edit of a draft says nothing: no reason, no facts.
    services.round_edit(actor=world.staff, round_=round_, quota_total=1)
    assert (event(round_, RoundAction.EDITED).reason, event(round_, RoundAction.EDITED).params) == ("", {})


def test_a_reason_a_person_typed_stays_as_typed_and_an_old_row_shows_its_stored_text(world):
    round_, (a,) = proposed_round(world, 100)
    services.committee_remove(actor=world.staff, nominee=round_.nominees.get(worker=a), reason="有违章记录")
    # A row written before the facts were kept, as raw SQL that does not name params (the database's default).
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {RoundEvent._meta.db_table} (round_id, action, actor_id, at, reason) "
                       "VALUES (%s, %s, %s, now(), %s) RETURNING id",
                       [round_.pk, RoundAction.PUBLISHED, world.staff.pk, "公示5天"])
        old = RoundEvent.objects.get(pk=cursor.fetchone()[0])

    removed = event(round_, RoundAction.REMOVED)
    with override("en"):
        assert (removed.text, removed.params) == ("有违章记录", {})
        assert (old.text, old.params) == ("公示5天", {})


def test_facts_that_do_not_fit_the_action_show_the_stored_text(world):
    round_, _workers = proposed_round(world, 100)
    odd = RoundEvent.objects.create(round=round_, action=RoundAction.PUBLISHED, actor=world.staff,
                                    at=timezone.now(), reason="公示7天", params={"weeks": 1})
    with override("en"):
        assert odd.text == "公示7天"


def test_a_staff_member_who_switched_to_english_reads_the_rounds_history_in_english(client, world):
    # given a round shortlisted, then published, with a committee member's reason typed in Chinese
    round_, (a, _b) = proposed_round(world, 100, 90, quota_total=2)
    services.committee_remove(actor=world.staff, nominee=round_.nominees.get(worker=a), reason="有违章记录")
    services.propose(actor=world.staff, round_=round_)
    services.publish(actor=world.staff, round_=round_, days=7)
    client.force_login(world.staff)
    url = reverse("honours:round", args=[round_.pk])

    # Chinese first
    page = client.get(url).content.decode()
    assert "依据排名快照" in page and "公示7天" in page and "有违章记录" in page
    # then the page in English: the system's words in English, the person's as typed
    client.post(reverse("set_language"), {"language": "en", "next": url})
    page = client.get(url).content.decode()
    assert "From ranking snapshot #" in page and "Public notice of 7 days" in page and "有违章记录" in page
    assert "依据排名快照" not in page and "公示7天" not in page
