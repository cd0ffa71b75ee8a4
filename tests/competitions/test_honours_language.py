"""What the system writes of an award round in words (its events' reasons, its exclusions' details) is stored
in the portal's language and shown in the reader's: each kind written through its real service, the stored
text read in Chinese and the shown text in English; text a person typed stays as typed; rows written before the
facts were kept show their stored text; and the round's page in English."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import override

from competitions.honours import services
from competitions.honours.jobs import STALE, JobStatus, ShortlistRun
from competitions.honours.models import Exclusion, ExclusionRule, RoundAction, RoundEvent, exclusion_text
from members.models import SkillGrade
from reviews.models import Dispute, WorkEntry
from tests.competitions.test_honours import World, collective_world, finalized_round_with, proposed_round
from tests.competitions.test_skill_grade_rules import certify

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


# --- Exclusions -------------------------------------------------------------------------------------------

def exclusion(round_) -> Exclusion:
    (only,) = Exclusion.objects.filter(round=round_)
    return only


def shown(row, chinese: str, english: str) -> None:
    """The stored detail is ``chinese``; worded again from the facts it reads the same in Chinese (the
    database's wording and Python's agree), and ``english`` in English."""
    assert (row.detail, row.text) == (chinese, chinese)
    with override("en"):
        assert row.text == english


def test_an_exclusion_for_too_many_deductions(world):
    world.worker(100, days=2, deductions=2), world.worker(90, days=2)
    round_ = world.shortlist(world.round(quota_total=1, max_deductions=0))
    row = exclusion(round_)
    assert (row.rule, row.params) == (ExclusionRule.MAX_DEDUCTIONS, {"deductions": 2, "allowed": 0})
    shown(row, "扣分 2 次 > 允许 0 次", "2 deductions > 0 allowed")


def test_an_exclusion_for_too_few_points(world):
    world.worker(100), world.worker(90)
    round_ = world.shortlist(world.round(quota_total=2, min_points=Decimal("95")))
    shown(exclusion(round_), "已审核积分 90.000 < 最低 95.000", "approved points 90.000 < minimum 95.000")


def test_an_exclusion_for_an_open_dispute(world):
    first, _second = world.worker(100), world.worker(90)
    disputed = WorkEntry.objects.filter(worker=first).first()
    Dispute.objects.create(worker=first, entry=disputed, work_date=disputed.work_date, unit=first.unit,
                           comment="少记了一趟")
    round_ = world.shortlist(world.round(quota_total=1, no_open_dispute=True))
    shown(exclusion(round_), "有 1 条未处理的申诉", "1 open dispute")


def test_an_exclusion_for_too_few_active_days(world):
    world.worker(100, days=2), world.worker(90, days=3)
    round_ = world.shortlist(world.round(quota_total=1, min_active_days=3))
    shown(exclusion(round_), "有效天数 2 天 < 最少 3 天", "2 active days < minimum 3")


def test_an_exclusion_for_an_earlier_honour_names_the_round_as_it_is_called(world):
    first, _second = world.worker(100), world.worker(90)
    earlier = finalized_round_with(world, first, name="2025年度先进个人")
    round_ = world.shortlist(world.round(quota_total=1, excluded_rounds=[earlier]))
    shown(exclusion(round_), "已在“2025年度先进个人”中获表彰", 'already honoured in "2025年度先进个人"')


def test_an_exclusion_for_a_skill_grade_names_the_grades_in_the_readers_language(world):
    first, second = world.worker(100), world.worker(90)
    certify(first, SkillGrade.INTERMEDIATE, world.staff, "R-1")
    certify(second, SkillGrade.SENIOR, world.staff, "R-2")
    round_ = world.shortlist(world.round(quota_total=1, min_skill_grade=SkillGrade.SENIOR))
    row = exclusion(round_)
    assert row.params == {"grade": SkillGrade.INTERMEDIATE, "min": SkillGrade.SENIOR}
    shown(row, "技能等级 中级工 低于 高级工", "skill grade Intermediate worker below Senior worker")


def test_an_exclusion_of_a_unit_for_too_few_participants(world, f):
    collective_world(world, f)
    round_ = world.shortlist(world.round(kind="collective", unit_level="depot", quota_total=1, min_participants=2))
    shown(exclusion(round_), "参赛人数 1 人 < 最少 2 人", "1 participant < minimum 2")


def test_an_exclusion_is_stored_in_chinese_when_an_english_reader_generates_the_shortlist(world):
    world.worker(100, days=2), world.worker(90, days=3)
    round_ = world.round(quota_total=1, min_active_days=3)
    with override("en"):
        round_ = world.shortlist(round_)
        row = exclusion(round_)
        assert (row.detail, row.text) == ("有效天数 2 天 < 最少 3 天", "2 active days < minimum 3")


def test_an_exclusion_without_facts_shows_its_stored_detail(world):
    world.worker(100, days=2), world.worker(90, days=3)
    round_ = world.shortlist(world.round(quota_total=1, min_active_days=3))
    Exclusion.objects.filter(round=round_).update(params={})
    row = exclusion(round_)
    with override("en"):
        assert row.text == "有效天数 2 天 < 最少 3 天"
    row.params = {"days": 2}  # facts that do not fit the rule
    with override("en"):
        assert row.text == "有效天数 2 天 < 最少 3 天"


def test_a_staff_member_who_switched_to_english_reads_the_exclusions_in_english(client, world):
    first, second = world.worker(100), world.worker(90)
    certify(first, SkillGrade.INTERMEDIATE, world.staff, "R-1")
    certify(second, SkillGrade.SENIOR, world.staff, "R-2")
    round_ = world.shortlist(world.round(quota_total=1, min_skill_grade=SkillGrade.SENIOR))
    client.force_login(world.staff)
    url = reverse("honours:round", args=[round_.pk])

    assert "技能等级 中级工 低于 高级工" in client.get(url).content.decode()
    client.post(reverse("set_language"), {"language": "en", "next": url})
    page = client.get(url).content.decode()
    assert "skill grade Intermediate worker below Senior worker" in page and "技能等级 中级工" not in page


def test_wording_the_history_and_exclusions_adds_no_queries_to_the_rounds_page(client, world, f):
    def page_queries(excluded: int) -> int:
        w = World(f)
        for i in range(excluded):
            w.worker(200 + i, days=1)  # one active day: excluded, above the line
        w.worker(100, days=3)
        round_ = w.shortlist(w.round(quota_total=1, min_active_days=3))
        round_ = services.round_edit(actor=w.staff, round_=round_, quota_total=1)  # a worded event more
        round_ = w.shortlist(round_)
        assert Exclusion.objects.filter(round=round_).count() == excluded
        client.force_login(w.staff)
        url = reverse("honours:round", args=[round_.pk])
        client.post(reverse("set_language"), {"language": "en", "next": url})
        with CaptureQueriesContext(connection) as queries:
            page = client.get(url).content.decode()
        assert page.count("1 active day &lt; minimum 3") == excluded
        return len(queries)

    assert page_queries(1) == page_queries(6)


# --- Background jobs ----------------------------------------------------------------------------------------

def test_a_stale_shortlist_run_marked_failed_by_an_english_page_view_is_stored_in_chinese(client, world):
    round_ = world.round()
    run = ShortlistRun.objects.create(round=round_, requested_by=world.staff,
                                      requested_at=timezone.now() - STALE - timedelta(minutes=1))
    client.force_login(world.staff)
    url = reverse("honours:round", args=[round_.pk])
    client.post(reverse("set_language"), {"language": "en", "next": url})

    client.get(url)
    run.refresh_from_db()
    assert (run.status, run.error) == (JobStatus.FAILED, "任务未能完成（进程中断），请重新发起。")


@pytest.mark.parametrize(("language", "text"), [
    ("en", "The round's period has not begun yet (it starts on {start}); the shortlist cannot be generated yet."),
    ("zh-hans", "评选期尚未开始（{start} 起），还不能生成候选名单。"),
])
def test_a_shortlist_run_refused_in_the_background_reads_in_the_readers_language(client, world, language, text):
    from competitions.honours.jobs import shortlist_run, shortlist_start
    from competitions.honours.models import AwardRound

    # given a run requested, whose round's period was then moved to start tomorrow
    round_ = world.round(quota_total=1)
    run = shortlist_start(award_round=round_, user=world.staff)
    start = timezone.localdate() + timedelta(days=1)
    AwardRound.objects.filter(pk=round_.pk).update(basis_start=start, basis_end=start + timedelta(days=30))

    # when the run is carried out (its task speaks no one's language in particular)
    with override("en"):
        run = shortlist_run(run_id=run.pk)

    # then it failed, stored in Chinese, and the round's page says why in the reader's language
    assert run.status == JobStatus.FAILED
    assert run.error == f"评选期尚未开始（{start} 起），还不能生成候选名单。"
    client.force_login(world.staff)
    client.cookies["django_language"] = language
    page = client.get(reverse("honours:round", args=[round_.pk])).content.decode()
    assert text.format(start=start).replace("'", "&#x27;") in page


@pytest.mark.parametrize(("language", "text"), [
    ("en", 'The round is "Cancelled"; it cannot Generate the shortlist now.'),
    ("zh-hans", "评选当前状态为“已取消”，不能生成初选名单。"),
])
def test_a_shortlist_run_whose_round_moved_on_reads_its_refusal_in_the_readers_language(client, world, language,
                                                                                         text):
    from competitions.honours.jobs import shortlist_run, shortlist_start
    from competitions.honours.models import AwardRound, RoundStatus

    # given a run requested by someone reading English, whose round was then cancelled
    round_ = world.round(quota_total=1)
    with override("en"):
        run = shortlist_start(award_round=round_, user=world.staff)
    AwardRound.objects.filter(pk=round_.pk).update(status=RoundStatus.CANCELLED)

    # when the run is carried out in English
    with override("en"):
        run = shortlist_run(run_id=run.pk)

    # then the round's status check refused it, stored in Chinese with the statuses as facts, read in each language
    assert run.status == JobStatus.FAILED and run.error == "评选当前状态为“已取消”，不能生成初选名单。"
    client.force_login(world.staff)
    client.cookies["django_language"] = language
    page = client.get(reverse("honours:round", args=[round_.pk])).content.decode()
    assert text.replace('"', "&quot;") in page


@pytest.mark.parametrize(("rule", "facts", "chinese", "one", "two"), [
    (ExclusionRule.MAX_DEDUCTIONS, {"deductions": 1, "allowed": 0}, "扣分 1 次 > 允许 0 次",
     "1 deduction > 0 allowed", "2 deductions > 0 allowed"),
    (ExclusionRule.OPEN_DISPUTE, {"disputes": 1}, "有 1 条未处理的申诉", "1 open dispute", "2 open disputes"),
    (ExclusionRule.MIN_ACTIVE_DAYS, {"days": 1, "min": 5}, "有效天数 1 天 < 最少 5 天",
     "1 active day < minimum 5", "2 active days < minimum 5"),
    (ExclusionRule.MIN_PARTICIPANTS, {"participants": 1, "min": 5}, "参赛人数 1 人 < 最少 5 人",
     "1 participant < minimum 5", "2 participants < minimum 5"),
])
def test_an_exclusion_that_counts_things_reads_in_the_form_for_its_count(rule, facts, chinese, one, two):
    counted = next(iter(facts))  # the first fact is the count
    assert exclusion_text(rule, facts) == chinese
    with override("en"):
        assert exclusion_text(rule, facts) == one
        assert exclusion_text(rule, {**facts, counted: 2}) == two


@pytest.mark.parametrize(("n", "chinese", "english"), [
    (1, ["扣分至多 1 次", "有效天数不少于 1 天", "公示1天", "（1 天）"],
     ["At most 1 deduction", "Active on at least 1 day", "Public notice of 1 day",
      " (1 day)"]),
    (2, ["扣分至多 2 次", "有效天数不少于 2 天", "公示2天", "（2 天）"],
     ["At most 2 deductions", "Active on at least 2 days", "Public notice of 2 days", " (2 days)"]),
])
def test_a_rounds_page_states_its_counts_in_the_form_for_each(client, world, n, chinese, english):
    # given: a round published for n days, allowing n deductions, asking n active days
    workers = [world.worker(points, days=2) for points in (100, 90, 80)]
    round_ = world.shortlist(world.round(quota_total=n, max_deductions=n, min_active_days=n))
    assert round_.nominees.count() == len(workers[:n])
    services.propose(actor=world.staff, round_=round_)
    services.publish(actor=world.staff, round_=round_, days=n)
    client.force_login(world.staff)
    url = reverse("honours:round", args=[round_.pk])
    page = client.get(url).content.decode()
    assert [text for text in chinese if text not in page] == []
    client.cookies["django_language"] = "en"
    page = client.get(url).content.decode()
    assert [text for text in english if text not in page] == []
