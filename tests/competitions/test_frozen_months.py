"""Signed-off months frozen as totals: written at sign-off, dropped at reopen, read by every run that sums the
entries instead of the month's entries, and the standings exactly as if the entries had been summed."""

from __future__ import annotations

import random
from collections import Counter
from datetime import date, timedelta

import pytest
from django.db import connection
from django.db.models import Count, F, Q, Sum
from django.test.utils import CaptureQueriesContext

from competitions.models import RunKind, SignedOffTotal, StandingDay
from competitions.services import competition_delete, standings_recompute
from competitions.standings import frozen, periods
from config.months import month_bounds, month_of
from members.models import UnitLevel
from reviews.models import EntryStatus, PeriodStatus, ReviewPeriod, WorkEntry
from reviews.services import entry_create
from reviews.validation import EntryRejected
from reviews.workflow import entries_transition, period_reopen, period_sign_off
from tests.competitions.standings_data import entry, rows, rows_by_full_path, totals, totals_from_entries
from tests.competitions.test_periods import expected_period, snapshot_rows

pytestmark = pytest.mark.django_db

MARCH, APRIL, MAY = date(2026, 3, 1), date(2026, 4, 1), date(2026, 5, 1)


def frozen_rows(comp, system, month):
    return sorted(SignedOffTotal.objects.filter(competition_id=comp.pk, business_system_id=system.pk, month=month)
                  .values_list("worker_id", "rule_id", "quantity", "points", "approved_points", "entries"))


def summed_from_entries(comp, system, month):
    first, following = month_bounds(month)
    counted = WorkEntry.objects.filter(competition=comp, business_system=system, work_date__gte=first,
                                       work_date__lt=following).exclude(status=EntryStatus.REJECTED)
    return sorted(counted.values("worker_id", "rule_id").annotate(
        q=Sum("quantity"), p=Sum("points"), a=Sum("points", filter=Q(status__in=["approved", "locked"])),
        n=Count("id")).values_list("worker_id", "rule_id", "q", "p", "a", "n"))


def approve_all(comp, system, month, reviewer):
    first, following = month_bounds(month)
    entries_transition(actor=reviewer, entries=WorkEntry.objects.filter(
        competition=comp, business_system=system, work_date__gte=first, work_date__lt=following),
        to_status=EntryStatus.APPROVED)


@pytest.fixture
def two_systems(f):
    systems = [f.business_system(), f.business_system()]
    job_types = [f.job_type(systems[0]), f.job_type(systems[1])]
    depot = f.depot()
    comp = f.competition()
    rules = {jt.pk: f.rule(comp, jt) for jt in job_types}
    workers = [f.worker(depot, job_types[i % 2]) for i in range(6)]
    reviewers = [f.reviewer(systems[0]), f.reviewer(systems[1])]
    for i, w in enumerate(workers):
        for day in (MARCH, MARCH + timedelta(days=9), APRIL + timedelta(days=2)):
            entry(comp, w, rules[w.job_type_id], day, i + 1, status="pending" if i % 3 else "rejected")
    return {"comp": comp, "systems": systems, "rules": rules, "workers": workers, "reviewers": reviewers,
            "staff": f.staff_user(), "clerk": f.clerk(depot)}


def test_sign_off_writes_the_month_totals_and_reopen_removes_them(two_systems):
    t = two_systems
    comp, system = t["comp"], t["systems"][0]
    approve_all(comp, system, MARCH, t["reviewers"][0])
    period = period_sign_off(actor=t["reviewers"][0], competition=comp, business_system=system, month=MARCH)

    assert frozen_rows(comp, system, MARCH) == summed_from_entries(comp, system, MARCH) != []
    assert frozen_rows(comp, t["systems"][1], MARCH) == []  # the other system's March is still open
    assert frozen_rows(comp, system, APRIL) == []

    period_reopen(actor=t["staff"], period=period, reason="更正录入")
    assert frozen_rows(comp, system, MARCH) == []
    # Signed off again: written again, once.
    period_sign_off(actor=t["reviewers"][0], competition=comp, business_system=system, month=MARCH)
    assert frozen_rows(comp, system, MARCH) == summed_from_entries(comp, system, MARCH)


def test_a_full_run_reads_frozen_months_instead_of_their_entries(two_systems):
    t = two_systems
    comp = t["comp"]
    day = APRIL + timedelta(days=5)
    standings_recompute(competition=comp, day=day)
    for system, reviewer in zip(t["systems"], t["reviewers"], strict=True):
        approve_all(comp, system, MARCH, reviewer)
        period_sign_off(actor=reviewer, competition=comp, business_system=system, month=MARCH)
    incremental = standings_recompute(competition=comp, day=day)
    assert incremental.kind == RunKind.INCREMENTAL
    expected = rows(comp.pk, day)

    months = frozen.for_day(competition_id=comp.pk, day=day)
    # Every business system signed March off: the entries are read from April on.
    assert months is not None and months.open_from == APRIL
    with CaptureQueriesContext(connection) as sent:
        run = standings_recompute(competition=comp, day=day, full=True)
    assert run.kind == RunKind.FULL
    ranking = [q["sql"] for q in sent if "competitions_signedofftotal" in q["sql"]]
    assert ranking and "'2026-04-01'" in ranking[0]
    assert rows(comp.pk, day) == expected and expected
    assert totals(comp.pk, day) == totals_from_entries(comp.pk, day)

    # A repair of a day inside the signed-off month sums that month's entries (its totals cover all of it).
    inside = MARCH + timedelta(days=9)
    assert frozen.for_day(competition_id=comp.pk, day=inside) is None
    standings_recompute(competition=comp, day=inside)
    assert totals(comp.pk, inside) == totals_from_entries(comp.pk, inside)


def test_a_period_bound_without_stored_standings_reads_signed_off_months_from_their_frozen_totals(two_systems):
    # given no stored standings at all (every bound is summed from the start), and March signed off for one
    # business system, then for both
    t = two_systems
    comp, start, end = t["comp"], MARCH, APRIL + timedelta(days=5)
    for system, reviewer in zip(t["systems"], t["reviewers"], strict=True):
        approve_all(comp, system, MARCH, reviewer)
        period_sign_off(actor=reviewer, competition=comp, business_system=system, month=MARCH)
        with CaptureQueriesContext(connection) as sent:
            snapshot = periods.compute_period_snapshot(competition_id=comp.pk, start=start, end=end)
        # then the period is exactly its entries as they stand, the signed-off month read as totals
        assert snapshot_rows(snapshot) == expected_period(comp.pk, start, end) and snapshot.rows
        assert any("competitions_signedofftotal" in q["sql"] for q in sent)
    assert not StandingDay.objects.filter(competition_id=comp.pk).exists()

    # and what the frozen totals hold is what the period counts for the signed-off month
    before = snapshot_rows(snapshot)
    a = t["systems"][0]
    SignedOffTotal.objects.filter(competition_id=comp.pk, business_system_id=a.pk).update(points=F("points") + 1000)
    changed = snapshot_rows(periods.compute_period_snapshot(competition_id=comp.pk, start=start, end=end))
    frozen_rows_of = Counter(SignedOffTotal.objects.filter(competition_id=comp.pk, business_system_id=a.pk)
                             .values_list("worker_id", flat=True))
    assert frozen_rows_of
    assert {pk: row[0] - before[pk][0] for pk, row in changed.items()} == {
        pk: 1000 * frozen_rows_of[pk] for pk in before}


def test_one_system_signed_off_leaves_the_month_read_from_the_entries_of_the_other(two_systems):
    t = two_systems
    comp, a = t["comp"], t["systems"][0]
    approve_all(comp, a, MARCH, t["reviewers"][0])
    period_sign_off(actor=t["reviewers"][0], competition=comp, business_system=a, month=MARCH)
    day = APRIL + timedelta(days=5)
    months = frozen.for_day(competition_id=comp.pk, day=day)
    assert months.open_from == MARCH and months.systems == [a.pk] and months.months == [MARCH]
    standings_recompute(competition=comp, day=day, full=True)
    assert totals(comp.pk, day) == totals_from_entries(comp.pk, day)


def test_deleting_a_competition_deletes_its_frozen_totals(f):
    system = f.business_system()
    jt = f.job_type(system)
    comp = f.competition()
    rule = f.rule(comp, jt)
    worker = f.worker(f.depot(), jt)
    e = entry(comp, worker, rule, MARCH, 3, status="approved")
    reviewer = f.reviewer(system)
    period_sign_off(actor=reviewer, competition=comp, business_system=system, month=MARCH)
    assert SignedOffTotal.objects.filter(competition_id=comp.pk).count() == 1
    # What a deletion needs first: no entries, no rules, no periods.
    WorkEntry.objects.filter(pk=e.pk).delete()
    ReviewPeriod.objects.filter(competition=comp).delete()
    rule.delete()
    competition_delete(actor=f.staff_user(), competition=comp)
    assert not SignedOffTotal.objects.filter(competition_id=comp.pk).exists()


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_incremental_equals_full_with_sign_offs_reopens_and_refused_writes(f, seed):
    """Three months of nightly runs, with approval days, sign-offs, reopens and writes into signed-off
    months refused: every night the incremental rows equal a full run's (which reads the frozen months),
    and both equal the entries summed here."""
    rnd = random.Random(seed)
    systems = [f.business_system() for _ in range(2)]
    job_types = [f.job_type(systems[i % 2]) for i in range(3)]
    depot = f.depot()
    units = [depot, f.unit(parent=depot, level=UnitLevel.WORKSHOP)]
    comp = f.competition()
    rules = {jt.pk: [f.rule(comp, jt) for _ in range(2)] for jt in job_types}
    workers = [f.worker(rnd.choice(units), rnd.choice(job_types)) for _ in range(14)]
    clerk = f.clerk(depot)
    reviewers = {s.pk: f.reviewer(s) for s in systems}
    staff = f.staff_user()
    refused = frozen_nights = 0

    def signed_off(system_id, day):
        return ReviewPeriod.objects.filter(competition=comp, business_system_id=system_id, month=month_of(day),
                                           status=PeriodStatus.SIGNED_OFF).exists()

    def new_entry(worker, day):
        nonlocal refused
        rule = rnd.choice(rules[worker.job_type_id])
        if WorkEntry.objects.filter(worker=worker, rule=rule, work_date=day).exists():
            return
        quantity = rnd.choice([0, 1, 2, 3, 5])
        if signed_off(worker.job_type.business_system_id, day):
            before = WorkEntry.objects.count()
            with pytest.raises(EntryRejected) as error:
                entry_create(actor=clerk, competition=comp, worker_id=worker.pk, rule_id=rule.pk, work_date=day,
                             quantity=quantity)
            assert error.value.first.code == "month_locked"
            assert WorkEntry.objects.count() == before
            refused += 1
            return
        entry(comp, worker, rule, day, quantity, status=rnd.choice(["pending", "pending", "approved", "rejected"]))

    day = MARCH
    while day <= MAY + timedelta(days=20):
        for worker in rnd.sample(workers, 8):
            new_entry(worker, day)
        for worker in rnd.sample(workers, 3):  # late entries, some into months already signed off
            new_entry(worker, day - timedelta(days=rnd.randint(1, 45)))
        if day.day in (3, 7, 12):  # approval days and sign-offs of the month before
            month = month_of(day - timedelta(days=day.day))
            for system in systems:
                if rnd.random() < 0.8 and not signed_off(system.pk, month):
                    approve_all(comp, system, month, reviewers[system.pk])
                    if rnd.random() < 0.7:
                        period_sign_off(actor=reviewers[system.pk], competition=comp, business_system=system,
                                        month=month)
        if rnd.random() < 0.1:  # union staff reopen a signed-off month; its entries may change again
            signed = list(ReviewPeriod.objects.filter(competition=comp, status=PeriodStatus.SIGNED_OFF).order_by("id"))
            if signed:
                period = rnd.choice(signed)
                period_reopen(actor=staff, period=period, reason="复核更正")
                first, following = month_bounds(period.month)
                changed = WorkEntry.objects.filter(competition=comp, business_system_id=period.business_system_id,
                                                   work_date__gte=first, work_date__lt=following).order_by("pk").first()
                if changed is not None:  # the department takes an approval back while the month is open
                    entries_transition(actor=reviewers[period.business_system_id],
                                       entries=WorkEntry.objects.filter(pk=changed.pk),
                                       to_status=EntryStatus.REJECTED, reason="复核不符")
        run = standings_recompute(competition=comp, day=day)
        frozen_nights += frozen.for_day(competition_id=comp.pk, day=day) is not None
        assert rows(comp.pk, day) == rows_by_full_path(comp.pk, day, run.started_at), (seed, day)
        assert totals(comp.pk, day) == totals_from_entries(comp.pk, day), (seed, day)
        day += timedelta(days=rnd.choice([1, 2, 3]))

    last = day - timedelta(days=1)
    standings_recompute(competition=comp, day=last)
    incremental = rows(comp.pk, last)
    assert standings_recompute(competition=comp, day=last, full=True).kind == RunKind.FULL
    assert rows(comp.pk, last) == incremental and incremental
    assert frozen_nights >= 5, "the history must compare full runs that read frozen months"
    for period in ReviewPeriod.objects.filter(competition=comp, status=PeriodStatus.SIGNED_OFF):
        system = next(s for s in systems if s.pk == period.business_system_id)
        assert frozen_rows(comp, system, period.month) == summed_from_entries(comp, system, period.month)
    assert refused, "the history must try writes into signed-off months"
