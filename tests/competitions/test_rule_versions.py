"""A rule version that priced entries never changes under them; a new rate is a new version from a date,
which reprices exactly the entries it covers, with an audit fact each, and the standings follow."""

from __future__ import annotations

import threading
from datetime import date
from decimal import Decimal
from types import SimpleNamespace

import pytest
import tablib
from django.db import IntegrityError, connections, transaction
from django.urls import reverse
from django.utils import timezone, translation

from competitions.models import Direction, RuleVersion, RunKind, ScoringRule
from competitions.resources import ScoringRuleResource
from competitions.services import (
    RuleVersionInUse,
    rule_version_add,
    rule_version_change,
    standings_recompute,
)
from members.resources import import_problems
from reviews.models import EntryAction, EntryEvent, PeriodStatus, WorkEntry
from tests.competitions.standings_data import entry, rows, rows_by_full_path
from tests.factories import review_period

pytestmark = pytest.mark.django_db

JAN1, MAR1, MAR10, MAR15, MAR20, APR5, APR30, MAY1, MAY3 = (
    date(2026, 1, 1), date(2026, 3, 1), date(2026, 3, 10), date(2026, 3, 15), date(2026, 3, 20),
    date(2026, 4, 5), date(2026, 4, 30), date(2026, 5, 1), date(2026, 5, 3))
RULE_HEADERS = ["劳动竞赛", "工种编码", "量化指标", "计量单位", "加/扣分", "每单位积分", "每日上限", "生效日期"]


def priced(rule, worker, day, quantity, **kw):
    """An entry whose points are what the rule's version on ``day`` gives, as the entry services write it."""
    quantity = Decimal(quantity)
    points = rule.version_on(day).points_for(quantity, rule.direction)
    return entry(rule.competition, worker, rule, day, quantity, points=points, **kw)


@pytest.fixture
def s(f):
    """A rule at 1 point per unit from Jan 1 and 2 from May 1, entries on both sides of Mar 15, and a
    second rule of the same job type whose entries nothing here may touch."""
    comp, jt = f.competition(name="2026京津冀劳动竞赛"), f.job_type(code="JT-DRV")
    rule = f.rule(comp, jt, metric="安全走行公里", points_per_unit="1", effective_from=JAN1)
    rule.versions.create(effective_from=MAY1, points_per_unit=Decimal(2))
    other = f.rule(comp, jt, metric="值乘趟数", points_per_unit="1", effective_from=JAN1)
    w1, w2 = f.worker(job_type_=jt), f.worker(job_type_=jt)
    ns = SimpleNamespace(comp=comp, jt=jt, rule=rule, other=other, w1=w1, w2=w2, staff=f.staff_user())
    ns.before = [priced(rule, w1, MAR1, "10"), priced(rule, w1, MAR10, "3", status="approved")]
    # A tie at the fourth decimal (0.005 × 0.5 = 0.0025): half to even gives 0.002, where PostgreSQL's
    # round() would give 0.003.
    ns.covered = [priced(rule, w1, APR5, "0.005"), priced(rule, w2, MAR20, "7", status="rejected"),
                  priced(rule, w2, APR5, "4", status="approved"), priced(rule, w2, APR30, "13")]
    ns.after = [priced(rule, w1, MAY3, "2")]
    ns.untouched = [priced(other, w1, APR5, "5")]
    ns.first = rule.versions.get(effective_from=JAN1)
    return ns


def points(entries) -> list[Decimal]:
    return list(WorkEntry.objects.filter(pk__in=[e.pk for e in entries]).order_by("pk").values_list("points", flat=True))


def stored_points(s) -> dict[date, Decimal]:
    return dict(RuleVersion.objects.filter(rule=s.rule).values_list("effective_from", "points_per_unit"))


# -- a new rate from a date ---------------------------------------------------------------------

def test_a_new_version_reprices_exactly_the_entries_it_covers_with_an_audit_fact_each(s):
    untouched = points(s.before + s.after + s.untouched)

    version, rescored = rule_version_add(actor=s.staff, rule=s.rule, effective_from=MAR15,
                                         points_per_unit=Decimal("0.5"))

    assert rescored == 4
    assert points(s.covered) == [Decimal("0.002"), Decimal("3.500"), Decimal("2.000"), Decimal("6.500")]
    assert all(e.points == version.points_for(e.quantity, s.rule.direction)
               for e in WorkEntry.objects.filter(pk__in=[e.pk for e in s.covered]))
    assert points(s.before + s.after + s.untouched) == untouched
    events = EntryEvent.objects.filter(action=EntryAction.RESCORED)
    assert sorted(events.values_list("entry_id", flat=True)) == sorted(e.pk for e in s.covered)
    assert {(e.actor_id, e.from_status == e.to_status, e.old_quantity == e.new_quantity) for e in events} == {
        (s.staff.pk, True, True)}
    assert "2026-03-15" in events.first().reason and "0.5" in events.first().reason
    assert WorkEntry.objects.get(pk=s.covered[2].pk).status == "approved"  # repricing is not a review


@pytest.mark.parametrize(("language", "reason"), [
    ("en", "Scoring rate changed: 0.5 points per unit from 2026-03-15"),
    ("zh-hans", "计分标准调整：自2026-03-15起每单位积分为0.5"),
])
def test_a_rescoring_reason_is_stored_in_chinese_and_read_in_the_readers_language(s, client, language, reason):
    # given a new rate added by staff whose admin reads English
    with translation.override("en"):
        rule_version_add(actor=s.staff, rule=s.rule, effective_from=MAR15, points_per_unit=Decimal("0.5"))
    event = EntryEvent.objects.get(action=EntryAction.RESCORED, entry=s.covered[2])
    # then the fact keeps its Chinese words (the admin's) and its facts
    assert event.reason == "计分标准调整：自2026-03-15起每单位积分为0.5"
    assert event.params["facts"] == {"day": "2026-03-15", "points": "0.5"}
    # and the entry's history says it in the reader's language, on its page and in the API
    client.force_login(s.staff)
    client.cookies["django_language"] = language
    page = client.get(reverse("entries:detail", args=[s.covered[2].pk])).content.decode()
    assert f"<td>{reason}</td>" in page
    body = client.get(f"/api/v1/entries/{s.covered[2].pk}/", HTTP_ACCEPT_LANGUAGE=language).json()
    assert [e["reason"] for e in body["events"] if e["action"] == "rescored"] == [reason]


def test_a_reason_typed_by_a_person_or_stored_before_the_facts_reads_as_stored(s):
    EntryEvent.objects.create(entry=s.covered[0], action=EntryAction.REJECTED, at=timezone.now(), reason="数量不对")
    with translation.override("en"):
        assert EntryEvent.objects.get(entry=s.covered[0]).text == "数量不对"


def test_the_incremental_standings_after_a_new_version_equal_a_full_recompute(s):
    # given standings built up to Apr 30 (their totals are the next incremental run's base)
    for day in (MAR1, APR30):
        standings_recompute(competition=s.comp, day=day)
    before = dict(rows_by_worker(s))

    # when a new rate reprices March 15 on, and the next run is incremental
    rule_version_add(actor=s.staff, rule=s.rule, effective_from=MAR15, points_per_unit=Decimal("0.5"))
    run = standings_recompute(competition=s.comp, day=APR30)

    # then it picked up the repricing from the change log, as a full recompute sees it
    assert run.kind == RunKind.INCREMENTAL and run.deltas
    assert rows(s.comp.pk, APR30) == rows_by_full_path(s.comp.pk, APR30, timezone.now())
    after = dict(rows_by_worker(s))
    assert after[s.w2.pk] == before[s.w2.pk] - Decimal("2.000") - Decimal("6.500")  # 4 → 2, 13 → 6.5


def rows_by_worker(s):
    from competitions.models import Standing

    return Standing.objects.filter(competition=s.comp, day=APR30).values_list("worker_id", "points")


def test_a_new_version_cannot_reprice_a_signed_off_month(s):
    review_period(competition=s.comp, business_system=s.jt.business_system, month=date(2026, 4, 1),
                                status=PeriodStatus.SIGNED_OFF)

    with pytest.raises(RuleVersionInUse) as refused:
        rule_version_add(actor=s.staff, rule=s.rule, effective_from=MAR15, points_per_unit=Decimal("0.5"))

    assert refused.value.code == "month_locked"
    assert stored_points(s) == {JAN1: 1, MAY1: 2}
    assert points(s.covered) == [Decimal("0.005"), Decimal("7.000"), Decimal("4.000"), Decimal("13.000")]
    # after the signed-off month (and before the next version) it is fine
    _, rescored = rule_version_add(actor=s.staff, rule=s.rule, effective_from=date(2026, 5, 2),
                                   points_per_unit=Decimal("3"))
    assert rescored == 1 and points(s.after) == [Decimal("6.000")]


# -- a version in use is immutable, on every path -------------------------------------------------

def test_the_service_refuses_to_change_a_used_versions_points_or_date_but_allows_its_cap(s):
    for change in ({"points_per_unit": Decimal("2")}, {"effective_from": date(2026, 2, 1)}):
        values = {"effective_from": JAN1, "points_per_unit": Decimal(1), "daily_cap": None, **change}
        with pytest.raises(RuleVersionInUse) as refused:
            rule_version_change(actor=s.staff, version=s.first, **values)
        assert refused.value.code == "version_in_use"
    assert stored_points(s) == {JAN1: 1, MAY1: 2}

    rule_version_change(actor=s.staff, version=s.first, effective_from=JAN1, points_per_unit=Decimal(1),
                        daily_cap=Decimal("500"))
    assert RuleVersion.objects.get(pk=s.first.pk).daily_cap == Decimal("500")


def test_a_version_that_priced_nothing_may_still_be_corrected(s, f):
    later = f.rule(s.comp, s.jt, metric="新指标", points_per_unit="1", effective_from=JAN1).versions.get()

    rule_version_change(actor=s.staff, version=later, effective_from=date(2026, 2, 1),
                        points_per_unit=Decimal("1.5"), daily_cap=None)

    assert (RuleVersion.objects.get(pk=later.pk).effective_from, RuleVersion.objects.get(pk=later.pk).points_per_unit) \
        == (date(2026, 2, 1), Decimal("1.5"))


def test_a_date_change_that_would_take_over_priced_entries_is_refused(s, f):
    # the May version priced one entry (May 3); one from June priced none, but moved to Mar 15 it would
    # take over entries the January version priced
    june = RuleVersion.objects.create(rule=s.other, effective_from=date(2026, 6, 1), points_per_unit=Decimal(3))

    with pytest.raises(RuleVersionInUse) as refused:
        rule_version_change(actor=s.staff, version=june, effective_from=MAR15, points_per_unit=Decimal(3),
                            daily_cap=None)
    assert RuleVersion.objects.get(pk=june.pk).effective_from == date(2026, 6, 1)
    # said as what it is: the entries it would take over (s.other's one on Apr 5), not "this version has
    # entries" (it has none)
    assert refused.value.code == "date_takes_entries"
    [message] = refused.value.message_dict["effective_from"]
    assert "本版本还没有按其计分的录入，但生效日期改为 2026年3月15日 后，2026年4月5日 已按其他版本计分的 1 条录入将归本版本" \
        in message
    assert "不能再修改" not in message


def test_the_database_refuses_every_write_that_would_let_points_drift(s):
    guarded = [
        lambda: RuleVersion.objects.filter(pk=s.first.pk).update(points_per_unit=Decimal(2)),
        lambda: RuleVersion.objects.filter(pk=s.first.pk).update(effective_from=date(2026, 2, 1)),
        lambda: RuleVersion.objects.filter(pk=s.first.pk).delete(),
        # a version that would reprice entries without the repricing
        lambda: RuleVersion.objects.create(rule=s.rule, effective_from=MAR15, points_per_unit=Decimal("0.5")),
        lambda: ScoringRule.objects.filter(pk=s.rule.pk).update(direction=Direction.DEDUCT),
    ]
    for write in guarded:
        with pytest.raises(IntegrityError, match="immutable"), transaction.atomic():
            write()
    assert stored_points(s) == {JAN1: 1, MAY1: 2}
    assert ScoringRule.objects.get(pk=s.rule.pk).direction == Direction.ADD
    # what prices nothing stays free: a cap, a version after every entry, a rule without entries
    RuleVersion.objects.filter(pk=s.first.pk).update(daily_cap=Decimal("100"))
    RuleVersion.objects.create(rule=s.rule, effective_from=date(2026, 6, 1), points_per_unit=Decimal(5))
    fresh = ScoringRule.objects.create(competition=s.comp, job_type=s.jt, metric="空规则", unit_of_measure="次")
    ScoringRule.objects.filter(pk=fresh.pk).update(direction=Direction.DEDUCT)


def test_the_admin_shows_a_used_version_read_only_and_ignores_a_posted_change(s, admin_client):
    url = reverse("admin:competitions_ruleversion_change", args=[s.first.pk])

    page = admin_client.get(url)
    response = admin_client.post(url, {"rule": s.rule.pk, "effective_from": "2026-02-01", "points_per_unit": "9",
                                       "daily_cap": "300"})

    assert page.context["adminform"].form.fields["points_per_unit"].disabled
    assert "不能再修改" in page.content.decode()
    assert response.status_code == 302
    assert stored_points(s) == {JAN1: 1, MAY1: 2}
    assert RuleVersion.objects.get(pk=s.first.pk).daily_cap == Decimal("300")


def test_the_admin_refuses_moving_an_unused_version_over_priced_entries(s, admin_client):
    june = RuleVersion.objects.create(rule=s.other, effective_from=date(2026, 6, 1), points_per_unit=Decimal(3))
    url = reverse("admin:competitions_ruleversion_change", args=[june.pk])

    response = admin_client.post(url, {"rule": s.other.pk, "effective_from": "2026-03-15", "points_per_unit": "3"})

    assert response.status_code == 200
    form = response.context["adminform"].form
    assert "已按其他版本计分的 1 条录入将归本版本，而改日期不会给它们重新计分" in str(form.errors["effective_from"])
    # entries on several days are named by their first and last
    priced(s.other, s.w2, MAR20, "1")
    response = admin_client.post(url, {"rule": s.other.pk, "effective_from": "2026-03-15", "points_per_unit": "3"})
    assert "2026年3月20日 至 2026年4月5日 已按其他版本计分的 2 条录入" in response.content.decode()
    assert "不能再修改" not in response.content.decode()
    assert RuleVersion.objects.get(pk=june.pk).effective_from == date(2026, 6, 1)


def test_the_rule_admin_adds_a_new_rate_that_reprices_and_keeps_the_used_version_and_direction(s, admin_client):
    url = reverse("admin:competitions_scoringrule_change", args=[s.rule.pk])
    may = s.rule.versions.get(effective_from=MAY1)
    data = {"competition": s.comp.pk, "job_type": s.jt.pk, "metric": s.rule.metric, "unit_of_measure": "件",
            "direction": Direction.DEDUCT, "is_active": "on",
            "versions-TOTAL_FORMS": "3", "versions-INITIAL_FORMS": "2", "versions-MIN_NUM_FORMS": "1",
            "versions-MAX_NUM_FORMS": "1000"}
    for n, (version, ppu) in enumerate(((s.first, "9"), (may, "2"))):  # a tampered rate for the used version
        data |= {f"versions-{n}-id": version.pk, f"versions-{n}-rule": s.rule.pk,
                 f"versions-{n}-effective_from": version.effective_from.isoformat(),
                 f"versions-{n}-points_per_unit": ppu}
    data |= {"versions-2-rule": s.rule.pk, "versions-2-effective_from": "2026-03-15",
             "versions-2-points_per_unit": "0.5"}

    response = admin_client.post(url, data)

    assert response.status_code == 302, response.context and response.context["errors"]
    assert stored_points(s) == {JAN1: 1, MAR15: Decimal("0.5"), MAY1: 2}
    assert ScoringRule.objects.get(pk=s.rule.pk).direction == Direction.ADD
    assert points(s.covered) == [Decimal("0.002"), Decimal("3.500"), Decimal("2.000"), Decimal("6.500")]
    assert EntryEvent.objects.filter(action=EntryAction.RESCORED).count() == 4


def test_the_import_refuses_a_used_versions_new_rate_and_a_new_direction_and_adds_a_later_version(s):
    def run(*data):
        resource = ScoringRuleResource()
        result = resource.import_data(tablib.Dataset(*data, headers=RULE_HEADERS), dry_run=False)
        return import_problems(result, resource)

    same_day = ["2026京津冀劳动竞赛", "JT-DRV", "安全走行公里", "件", "加分", "9", "", "2026-01-01"]
    flipped = ["2026京津冀劳动竞赛", "JT-DRV", "安全走行公里", "件", "扣分", "1", "", "2026-01-01"]
    # (one file each: two rows for the same rule and date are refused as a repeat, test_import_rules)
    problems = run(same_day) + run(flipped)

    assert any(p.startswith("第1行 每单位积分：该计分标准版本已有") for p in problems), problems
    assert "第1行 加/扣分：该计分规则已有录入，不能改变加/扣分；请新建一条规则。" in problems
    assert stored_points(s) == {JAN1: 1, MAY1: 2}

    assert run(["2026京津冀劳动竞赛", "JT-DRV", "安全走行公里", "件", "加分", "0.5", "", "2026-03-15"]) == []
    assert stored_points(s) == {JAN1: 1, MAR15: Decimal("0.5"), MAY1: 2}
    assert points(s.covered) == [Decimal("0.002"), Decimal("3.500"), Decimal("2.000"), Decimal("6.500")]


@pytest.mark.django_db(transaction=True)
def test_an_entry_checked_at_the_old_rate_while_a_new_version_is_added_ends_at_the_new_rate(f, monkeypatch):
    # given an entry being written: checked (rule and versions read) but not yet committed
    from datetime import timedelta

    from reviews.services import entry_create
    from reviews.validation import EntryChecker

    today = timezone.localdate()
    comp = f.competition(start=date(today.year - 1, 1, 1), end=date(today.year, 12, 31))
    jt = f.job_type()
    rule = f.rule(comp, jt, points_per_unit="1", effective_from=comp.start_date)
    worker = f.worker(job_type_=jt)
    clerk = f.clerk(worker.unit)
    day = today - timedelta(days=3)
    inside, release = threading.Event(), threading.Event()
    real_load_versions = EntryChecker._load_versions

    def paused_load_versions(self, rule_ids):
        versions = real_load_versions(self, rule_ids)
        inside.set()
        assert release.wait(20)
        return versions

    monkeypatch.setattr(EntryChecker, "_load_versions", paused_load_versions)
    results = {}

    def in_thread(name, work):
        def run():
            try:
                results[name] = work()
            finally:
                connections.close_all()
        thread = threading.Thread(target=run)
        thread.start()
        return thread

    writer = in_thread("entry", lambda: entry_create(actor=clerk, competition=comp, worker_id=worker.pk,
                                                     rule_id=rule.pk, work_date=day, quantity="10"))
    assert inside.wait(20)

    # when staff add a new rate covering its day meanwhile
    adder = in_thread("version", lambda: rule_version_add(actor=None, rule=rule, effective_from=day - timedelta(days=1),
                                                          points_per_unit=Decimal(2)))
    adder.join(1.5)  # the new version waits for the write that read the old one
    release.set()
    writer.join(20)
    adder.join(20)

    # then the entry carries the new rate, whichever committed first
    assert not writer.is_alive() and not adder.is_alive()
    entry = WorkEntry.objects.get(pk=results["entry"].pk)
    assert entry.points == Decimal("20.000")
