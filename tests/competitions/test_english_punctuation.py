"""A page read in English has no Chinese punctuation glued around its translated words: the parentheses,
colons and commas a sentence needs are inside its translatable strings, so English reads "(…)" and ": "
where Chinese reads "（…）" and "："."""

import re

import pytest
from django.urls import reverse

from competitions.honours import services
from competitions.honours.models import QuotaBy, QuotaMode, RoundKind
from tests.competitions.test_honours import World, proposed_round

pytestmark = pytest.mark.django_db

FULL_WIDTH = ("（", "）", "：")


def main(client, url: str, language: str) -> str:
    client.cookies["django_language"] = language
    response = client.get(url)
    assert response.status_code == 200
    return re.search(r"<main\b.*?</main>", response.content.decode(), re.S).group(0)


@pytest.fixture
def world(f):
    return World(f)


@pytest.fixture
def rounds(world, f):
    """A round by business system in 公示, with an objection answered, and a collective round of depots."""
    round_, (a, _b) = proposed_round(world, 100, 90, quota_total=2, quota_by=QuotaBy.BUSINESS_SYSTEM,
                                     quota_mode=QuotaMode.PROPORTIONAL)
    services.propose(actor=world.staff, round_=round_)
    services.publish(actor=world.staff, round_=round_, days=7)
    objection = services.raise_objection(user=f.worker_user(world.worker(10)), nominee=round_.nominees.get(worker=a),
                                         reason="积分有误")
    services.answer_objection(actor=world.staff, objection=objection, upheld=False, answer="经核对积分无误")
    collective = world.round(name="先进集体评选", kind=RoundKind.COLLECTIVE, unit_level="depot", quota_total=1)
    return round_, collective


def test_the_honours_pages_read_english_punctuation_in_english(client, world, rounds):
    round_, collective = rounds
    client.force_login(world.staff)
    pages = {name: reverse(name, args=args) for name, args in (
        ("honours:rounds", []), ("honours:round", [round_.pk]), ("honours:round", [collective.pk]),
        ("honours:round_new", []))}
    for url in pages.values():
        page = main(client, url, "en")
        assert [mark for mark in FULL_WIDTH if mark in page] == [], url
    detail = main(client, reverse("honours:round", args=[round_.pk]), "en")
    assert " (By business system, In proportion to participants)" in detail
    assert " (7 days)" in detail and f"Answer ({world.staff.username}, " in detail and "): 经核对积分无误" in detail
    assert "(By depot)" not in detail and " (by Depot)" in main(client, reverse("honours:round", args=[collective.pk]),
                                                                "en")


def test_the_honours_pages_keep_their_chinese_punctuation_in_chinese(client, world, rounds):
    round_, collective = rounds
    client.force_login(world.staff)
    detail = main(client, reverse("honours:round", args=[round_.pk]), "zh-hans")
    assert "（按业务系统，按参赛人数比例）" in detail and "（7 天）" in detail
    assert f"答复（{world.staff.username}，" in detail and "）：经核对积分无误" in detail and "快照摘要（SHA-256）" in detail
    assert "（按站段评选）" in main(client, reverse("honours:round", args=[collective.pk]), "zh-hans")
    assert "先进集体（站段）" in main(client, reverse("honours:rounds"), "zh-hans")


def test_the_entry_form_and_the_period_rankings_read_english_punctuation_in_english(client, w):
    client.force_login(w.clerk)
    page = main(client, reverse("entries:new"), "en")
    assert [mark for mark in FULL_WIDTH if mark in page] == [] and "安全走行公里 (公里)" in page
    assert "安全走行公里（公里）" in main(client, reverse("entries:new"), "zh-hans")
    client.force_login(w.staff)
    page = main(client, f"{reverse('workspace:periods')}?competition={w.comp.pk}", "en")
    assert [mark for mark in FULL_WIDTH if mark in page] == []
