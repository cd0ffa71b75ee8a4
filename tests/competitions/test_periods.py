"""Period standings: the points of the work dated in a range as the entries stand now, checked against sums
of the entries made here in Python, after the corrections the nightly runs archive, an old day's repair, a
range past the latest standings day or before the competition; ties, signed-off months, depots and teams."""

from __future__ import annotations

import random
from collections import defaultdict
from contextlib import nullcontext
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import DataError, connection, transaction

from competitions import tasks
from competitions.models import (
    PeriodSnapshot,
    PeriodStanding,
    RunKind,
    SnapshotStatus,
    StandingApproval,
    StandingApprovalSegment,
    StandingCorrection,
    StandingDay,
    StandingDelta,
    StandingRun,
    VerificationOutcome,
)
from competitions.services import standings_compact, standings_recompute
from competitions.standings import database, periods
from competitions.standings.digest import DIGEST_COLUMNS, canonical_text
from competitions.verify import verify_day
from config.cursors import InvalidCursor
from members.models import UnitLevel
from reviews.entry_log import staged_approvals
from reviews.models import PeriodStatus, WorkEntry
from reviews.workflow import entries_transition
from tests.competitions.standings_data import entry, rows, rows_by_full_path
from tests.factories import review_period

pytestmark = pytest.mark.django_db

APPROVED = ("approved", "locked")


def expected_period(competition_id: int, start: date, end: date) -> dict[int, tuple]:
    """{worker id: (points, approved points, pending points, entries, rank overall / business system / job
    type / depot)}: the counted entries dated in [start, end], summed and ranked here, with the workers'
    current job type and depot."""
    sums: dict[int, list] = defaultdict(lambda: [Decimal(0), Decimal(0), 0])
    for e in WorkEntry.objects.filter(competition_id=competition_id, work_date__gte=start, work_date__lte=end
                                      ).exclude(status="rejected"):
        row = sums[e.worker_id]
        row[0] += e.points
        row[1] += e.points if e.status in APPROVED else 0
        row[2] += 1
    from members.models import Worker

    workers = {w.pk: w for w in Worker.objects.filter(pk__in=sums).select_related("job_type", "unit")}
    scopes = {pk: (w.job_type.business_system_id, w.job_type_id, w.unit.depot_id) for pk, w in workers.items()}

    def rank(pk, same):
        return 1 + sum(1 for other in sums if same(other) and sums[other][0] > sums[pk][0])

    out = {}
    for pk, (points, approved, count) in sums.items():
        system, job_type, depot = scopes[pk]
        out[pk] = (points, approved, points - approved, count, rank(pk, lambda o: True),
                   rank(pk, lambda o: scopes[o][0] == system), rank(pk, lambda o: scopes[o][1] == job_type),
                   None if depot is None else rank(pk, lambda o: scopes[o][2] == depot))
    return out


def snapshot_rows(snapshot: PeriodSnapshot) -> dict[int, tuple]:
    return {r[0]: tuple(r[1:]) for r in PeriodStanding.objects.filter(snapshot=snapshot).values_list(
        "worker_id", "points", "approved_points", "pending_points", "entries", "rank_overall",
        "rank_business_system", "rank_job_type", "rank_unit")}


def assert_period_exact(comp, start, end, **kw):
    snapshot = periods.compute_period_snapshot(competition_id=comp.pk, start=start, end=end, **kw)
    assert snapshot.status == SnapshotStatus.READY
    expected = expected_period(comp.pk, start, end)
    assert snapshot_rows(snapshot) == expected, (start, end)
    assert snapshot.rows == len(expected)
    return snapshot


@pytest.mark.parametrize("seed", [1, 2])
def test_period_points_equal_the_entries_dated_in_the_range_as_they_stand_now(f, seed):
    # given a competition whose entries of past months keep changing after the nightly runs
    rnd = random.Random(seed)
    systems = [f.business_system() for _ in range(2)]
    job_types = [f.job_type(rnd.choice(systems)) for _ in range(3)]
    depots = [f.depot() for _ in range(2)]
    units = depots + [f.unit(parent=d, level=UnitLevel.WORKSHOP) for d in depots] + [f.unit()]  # one under no depot
    comp = f.competition(start=date(2026, 1, 1))
    rules = {jt.pk: f.rule(comp, jt) for jt in job_types}
    workers = [f.worker(rnd.choice(units), rnd.choice(job_types)) for _ in range(14)]
    made: list[WorkEntry] = []
    first = date(2026, 2, 20)

    def new_entry(worker, day):
        if not WorkEntry.objects.filter(worker=worker, rule=rules[worker.job_type_id], work_date=day).exists():
            quantity = rnd.choice([1, 2, 3, 5])
            made.append(entry(comp, worker, rules[worker.job_type_id], day, quantity,
                              status=rnd.choice(["pending", "approved", "locked"])))

    def correct_some(n):
        for e in rnd.sample(made, min(n, len(made))):
            e.refresh_from_db()
            action = rnd.choice(["edit", "reject", "reopen", "approve"])
            if action == "edit":
                e.quantity = e.points = Decimal(rnd.randint(0, 9))
            elif action == "reject":
                e.status, e.reject_reason = "rejected", "不符合"
            elif action == "reopen":
                e.status, e.reject_reason = "pending", ""
            elif e.status == "pending" and rnd.random() < 0.5:  # the workflow's move: the approval log
                entries_transition(actor=None, entries=WorkEntry.objects.filter(pk=e.pk), to_status="approved",
                                   exclude_own=False)
                continue
            else:
                e.status = "approved"
            e.save()

    def approve_in_steps(first_day, last_day, steps):
        """A reviewer approves what is pending of a range of days in steps (the approval log's rows then
        straddle the stored days in it)."""
        span = (last_day - first_day).days + 1
        # More than two steps: staged and merged, as the approval job does (else one row per worker and statement).
        with staged_approvals() if steps > 2 else nullcontext():
            for i in range(steps):
                entries_transition(actor=None, entries=WorkEntry.objects.filter(
                    work_date__gte=first_day + timedelta(days=span * i // steps),
                    work_date__lt=first_day + timedelta(days=span * (i + 1) // steps)), to_status="approved",
                    exclude_own=False)

    for offset in range(20):  # 2026-02-20 .. 2026-03-11, one nightly run a day but on 03-05
        day = first + timedelta(days=offset)
        for worker in rnd.sample(workers, 9):
            new_entry(worker, day)
        new_entry(rnd.choice(workers), first + timedelta(days=rnd.randint(0, offset)))  # dated in the past
        correct_some(3)
        if day == date(2026, 3, 3):
            approve_in_steps(date(2026, 2, 20), date(2026, 2, 28), 3)  # February, approved in March
        if day != date(2026, 3, 5):
            standings_recompute(competition=comp, day=day)
    latest = first + timedelta(days=19)
    # when February is corrected after the runs, an old day is repaired, and more changes wait in the log
    correct_some(8)
    approve_in_steps(date(2026, 2, 24), date(2026, 3, 6), 2)
    standings_recompute(competition=comp, day=latest + timedelta(days=1))
    correct_some(5)
    approve_in_steps(date(2026, 2, 21), date(2026, 3, 8), 2)  # in the live log when the old day is repaired
    repair = standings_recompute(competition=comp, day=date(2026, 2, 25))
    assert repair.kind == RunKind.FULL and repair.totals_day is None
    correct_some(5)
    approve_in_steps(date(2026, 2, 20), latest + timedelta(days=3), 4)
    for worker in rnd.sample(workers, 4):
        new_entry(worker, latest + timedelta(days=3))  # dated after the latest standings day

    # then every range sums exactly the entries dated in it, as they stand now
    assert StandingCorrection.objects.filter(competition_id=comp.pk).exists()
    # (approvals consumed by runs, in their segments, and approvals still live)
    consumed = StandingApprovalSegment.objects.filter(competition_id=comp.pk, run_id__isnull=False)
    assert StandingApproval.objects.filter(segment_id__in=consumed.values("pk")).exists()
    live = StandingApprovalSegment.objects.filter(competition_id=comp.pk, run_id__isnull=True)
    assert StandingApproval.objects.filter(segment_id__in=live.values("pk")).exists()
    assert_period_exact(comp, date(2026, 2, 21), date(2026, 3, 1))  # stored days at both bounds
    assert_period_exact(comp, date(2026, 2, 26), date(2026, 3, 4))  # the day before the start was repaired
    assert_period_exact(comp, date(2026, 3, 2), date(2026, 3, 5))  # no standings on 03-05: from 03-04
    assert_period_exact(comp, date(2026, 3, 6), latest + timedelta(days=5))  # past the latest standings day
    assert_period_exact(comp, date(2025, 12, 1), date(2026, 2, 28))  # from before the competition
    assert_period_exact(comp, date(2026, 2, 1), date(2026, 2, 22))  # no standings before the start
    # and the repaired day itself is the entries as of the base day's run, brought up to date
    assert (StandingDay.objects.get(competition=comp, day=date(2026, 2, 25)).run_id
            == StandingDay.objects.get(competition=comp, day=latest + timedelta(days=1)).run_id)
    # and every stored day still verifies as it was published: the corrections since it, approvals spread
    # over their dates, are exactly what changed after it
    for day in StandingDay.objects.filter(competition=comp).order_by("day").values_list("day", flat=True):
        check = verify_day(competition_id=comp.pk, day=day)
        assert check.outcome == VerificationOutcome.OK, (day, check.differences, check.error)


def test_corrections_since_is_empty_right_after_a_full_run_and_counts_what_changed_later(f):
    comp, jt = f.competition(), f.job_type()
    rule, w1, w2 = f.rule(comp, jt), f.worker(job_type_=jt), f.worker(job_type_=jt)
    old = entry(comp, w1, rule, date(2026, 3, 1), 4)
    entry(comp, w2, rule, date(2026, 3, 2), 6)
    standings_recompute(competition=comp, day=date(2026, 3, 2), full=True)

    assert fetch(periods.corrections_since(comp.pk, date(2026, 3, 2))) == []

    old.status = "approved"
    old.save()
    entry(comp, w2, rule, date(2026, 3, 3), 1)  # dated after the day: not a correction of it
    standings_recompute(competition=comp, day=date(2026, 3, 3))
    later = StandingRun.objects.latest("id")

    # the approval of 03-01 was archived by the 03-03 run; the 03-03 entry was not
    assert list(StandingCorrection.objects.filter(competition_id=comp.pk).values_list(
        "worker_id", "work_date", "points", "approved_points", "entries", "run_id")) == [
        (w1.pk, date(2026, 3, 1), 0, 4, 0, later.pk)]
    assert not StandingDelta.objects.filter(competition_id=comp.pk).exists()
    assert fetch(periods.corrections_since(comp.pk, date(2026, 3, 2))) == [(w1.pk, 0, 4, 0)]
    assert fetch(periods.corrections_since(comp.pk, date(2026, 3, 3))) == []
    with pytest.raises(ValueError):
        periods.corrections_since(comp.pk, date(2026, 3, 9))  # no standings that day


def test_the_daily_standings_are_unchanged_by_the_archive(f):
    comp, jt = f.competition(), f.job_type()
    rule = f.rule(comp, jt)
    workers = [f.worker(job_type_=jt) for _ in range(4)]
    made = [entry(comp, w, rule, date(2026, 3, 1), i + 1) for i, w in enumerate(workers)]
    standings_recompute(competition=comp, day=date(2026, 3, 1))
    made[0].status = "rejected"
    made[0].reject_reason = "重复"
    made[0].save()
    entry(comp, workers[1], rule, date(2026, 3, 2), 9)

    run = standings_recompute(competition=comp, day=date(2026, 3, 2))

    assert run.kind == RunKind.INCREMENTAL
    assert rows(comp.pk, date(2026, 3, 2)) == rows_by_full_path(comp.pk, date(2026, 3, 2), run.started_at)
    assert StandingDay.objects.get(competition=comp, day=date(2026, 3, 2)).run_id == run.pk


def fetch(statement):
    with connection.cursor() as cursor:
        cursor.execute(database.render(statement))
        return [tuple(row) for row in cursor.fetchall()]



def test_a_periods_totals_are_bigints_including_approvals_that_straddle_a_stored_day(f):
    # given approvals logged and archived as rows whose dates straddle a stored day (read through their
    # arrays, approved_through), and a signed-off month
    comp, jt = f.competition(), f.job_type()
    rule, w1, w2 = f.rule(comp, jt), f.worker(job_type_=jt), f.worker(job_type_=jt)
    for day in (1, 2, 3, 4):
        entry(comp, w1, rule, date(2026, 3, day), day)
        entry(comp, w2, rule, date(2026, 3, day), 1)
    standings_recompute(competition=comp, day=date(2026, 3, 2), full=True)
    entries_transition(actor=None, entries=WorkEntry.objects.filter(worker=w1), to_status="approved",
                       exclude_own=False)
    standings_recompute(competition=comp, day=date(2026, 3, 4))  # archives the straddling row
    entries_transition(actor=None, entries=WorkEntry.objects.filter(worker=w2), to_status="approved",
                       exclude_own=False)  # live in the log
    review_period(competition=comp, business_system=jt.business_system, month=date(2026, 3, 1),
                  status=PeriodStatus.SIGNED_OFF)

    # then every sum of a period is a bigint (no numeric in the stacked rows: the sums stay 64-bit, sum_int8)
    for statement in (periods.period_totals(comp.pk, date(2026, 3, 2), date(2026, 3, 3)),
                      periods.signed_off_totals(comp.pk, date(2026, 3, 2), date(2026, 3, 3))):
        with connection.cursor() as cursor:
            cursor.execute(database.render(statement))
            assert [column.type_code for column in cursor.description] == [20, 20, 20, 20]  # int8
            assert sorted(cursor.fetchall()) == [(w1.pk, 5000, 5000, 2), (w2.pk, 2000, 2000, 2)]


def test_sum_int8_sums_bigints_as_a_bigint_and_refuses_an_overflow():
    with connection.cursor() as cursor:
        cursor.execute("SELECT sum_int8(x), pg_typeof(sum_int8(x))::text FROM (VALUES (1::bigint), (NULL), (-4), (9))"
                       " AS v (x)")
        assert cursor.fetchone() == (6, "bigint")
        cursor.execute("SELECT sum_int8(x) FROM (VALUES (1::bigint)) AS v (x) WHERE false")
        assert cursor.fetchone() == (None,)  # as SUM: no rows, no sum
        cursor.execute("SELECT sum_int8(x) FROM (VALUES (1), (2)) AS v (x)")  # integers too
        assert cursor.fetchone() == (3,)
        with pytest.raises(DataError), transaction.atomic():
            cursor.execute("SELECT sum_int8(x) FROM (VALUES (9223372036854775807), (1)) AS v (x)")


@pytest.fixture
def league(f):
    """Two business systems, two depots with two teams each, and one worker under no depot."""
    bs_a, bs_b = f.business_system(), f.business_system()
    ja, jb = f.job_type(bs_a), f.job_type(bs_b)
    d1, d2 = f.depot(name="北京站段"), f.depot(name="天津站段")
    t1, t2 = f.unit(parent=d1, level=UnitLevel.WORKSHOP, name="一班"), f.unit(parent=d1, level=UnitLevel.WORKSHOP,
                                                                           name="二班")
    t3 = f.unit(parent=d2, level=UnitLevel.WORKSHOP, name="三班")
    comp = f.competition(start=date(2026, 1, 1))
    rules = {ja.pk: f.rule(comp, ja), jb.pk: f.rule(comp, jb)}
    w = {1: f.worker(t1, ja), 2: f.worker(t1, ja), 3: f.worker(t2, jb), 4: f.worker(t3, jb), 5: f.worker(t3, ja),
         6: f.worker(f.unit(), jb)}

    def add(n, day, points, status="approved"):
        return entry(comp, w[n], rules[w[n].job_type_id], day, points, status=status)

    return {"comp": comp, "w": w, "add": add, "bs": (bs_a, bs_b), "depots": (d1, d2), "teams": (t1, t2, t3)}


def test_ties_share_a_rank_and_lists_order_them_by_worker(league):
    comp, w, add = league["comp"], league["w"], league["add"]
    add(1, date(2026, 2, 3), 10)
    add(2, date(2026, 2, 4), 7)
    add(2, date(2026, 2, 5), 3, "pending")  # 10 in all, 7 approved
    add(3, date(2026, 2, 4), 10)
    add(4, date(2026, 2, 4), 4)
    add(4, date(2026, 1, 30), 50)  # before the range
    standings_recompute(competition=comp, day=date(2026, 2, 5))

    snapshot = assert_period_exact(comp, date(2026, 2, 1), date(2026, 2, 28))

    got = snapshot_rows(snapshot)
    assert [got[w[n].pk][4] for n in (1, 2, 3, 4)] == [1, 1, 1, 4]
    assert got[w[2].pk][:3] == (10, 7, 3)
    page = periods.period_board(snapshot)
    assert [(r.rank, r.worker_id) for r in page.rows] == sorted([(1, w[1].pk), (1, w[2].pk), (1, w[3].pk),
                                                                 (4, w[4].pk)])
    assert page.next_cursor is None


def test_signed_off_only_counts_the_signed_off_months_of_each_business_system(league):
    comp, w, add = league["comp"], league["w"], league["add"]
    bs_a, bs_b = league["bs"]
    add(1, date(2026, 1, 10), 5)
    add(1, date(2026, 2, 10), 7)
    add(1, date(2026, 3, 10), 11)
    add(2, date(2026, 3, 2), 2)  # only in March
    add(3, date(2026, 1, 10), 13)  # system B: nothing signed off
    add(5, date(2026, 2, 28), 3, "pending")
    standings_recompute(competition=comp, day=date(2026, 3, 12))
    for month in (date(2026, 1, 1), date(2026, 2, 1)):  # January and February of system A only
        review_period(competition=comp, business_system=bs_a, month=month,
                                    status=PeriodStatus.SIGNED_OFF)
    review_period(competition=comp, business_system=bs_a, month=date(2026, 3, 1))  # open
    review_period(competition=comp, business_system=bs_b, month=date(2026, 3, 1))

    snapshot = periods.compute_period_snapshot(competition_id=comp.pk, start=date(2026, 1, 15),
                                               end=date(2026, 3, 31), signed_off_only=True)

    got = snapshot_rows(snapshot)
    # worker 1: February only (January's entry is before the start, March is not signed off)
    assert got == {w[1].pk: (7, 7, 0, 1, 1, 1, 1, 1), w[5].pk: (3, 0, 3, 1, 2, 2, 2, 1)}
    everything = periods.compute_period_snapshot(competition_id=comp.pk, start=date(2026, 1, 15),
                                                 end=date(2026, 3, 31))
    assert snapshot_rows(everything)[w[2].pk][0] == 2 and everything.digest != snapshot.digest


def test_signed_off_months_form_runs_clipped_to_the_range(league):
    comp = league["comp"]
    bs_a, bs_b = league["bs"]
    for system, month in ((bs_a, 1), (bs_a, 2), (bs_a, 4), (bs_b, 3)):
        review_period(competition=comp, business_system=system, month=date(2026, month, 1),
                                    status=PeriodStatus.SIGNED_OFF)

    runs = periods.signed_off_runs(comp.pk, date(2026, 1, 20), date(2026, 4, 10))

    assert sorted(runs) == sorted([(bs_a.pk, date(2026, 1, 20), date(2026, 2, 28)),
                                   (bs_a.pk, date(2026, 4, 1), date(2026, 4, 10)),
                                   (bs_b.pk, date(2026, 3, 1), date(2026, 3, 31))])


def test_unit_rankings_rank_depots_and_teams_by_average_approved_points(league):
    comp, w, add = league["comp"], league["w"], league["add"]
    d1, d2 = league["depots"]
    t1, t2, t3 = league["teams"]
    add(1, date(2026, 2, 2), 10)
    add(2, date(2026, 2, 2), 20)
    add(2, date(2026, 2, 3), 5, "pending")  # counts for the rank, not for the approved average
    add(3, date(2026, 2, 2), 9)
    add(4, date(2026, 2, 2), 12)
    add(5, date(2026, 2, 2), 18)
    add(6, date(2026, 2, 2), 100)  # under no depot
    standings_recompute(competition=comp, day=date(2026, 2, 3))
    snapshot = periods.compute_period_snapshot(competition_id=comp.pk, start=date(2026, 2, 1),
                                               end=date(2026, 2, 28))

    depots = periods.unit_rankings(snapshot, "depot")
    teams = periods.unit_rankings(snapshot, "team")

    # depot 1: 10 + 20 + 9 = 39 over 3 = 13; depot 2: 12 + 18 = 30 over 2 = 15
    assert [(u.rank, u.unit_id, u.participants, u.total_approved_points, u.average_approved_points)
            for u in depots] == [(1, d2.pk, 2, 30, 15), (2, d1.pk, 3, 39, 13)]
    assert depots[0].name == "天津站段"
    # teams: the worker's own unit; t1 = 30 / 2 = 15, t3 = 15, t2 = 9, the unit under no depot = 100
    no_depot = w[6].unit
    assert [(u.rank, u.unit_id, u.total_approved_points, u.average_approved_points) for u in teams] == [
        (1, no_depot.pk, 100, 100), *sorted([(2, t1.pk, 30, 15), (2, t3.pk, 30, 15)]), (4, t2.pk, 9, 9)]
    assert {u.unit_id: u.depot for u in teams}[t1.pk] == "北京站段"
    with pytest.raises(ValueError):
        periods.unit_rankings(snapshot, "bureau")


def test_period_board_pages_by_keyset_in_every_scope_with_filters(league, django_assert_max_num_queries):
    comp, w, add = league["comp"], league["w"], league["add"]
    bs_a, _bs_b = league["bs"]
    d1, _d2 = league["depots"]
    for n, points in ((1, 5), (2, 5), (3, 9), (4, 1), (5, 7), (6, 3)):
        add(n, date(2026, 2, 2), points)
    standings_recompute(competition=comp, day=date(2026, 2, 2))
    snapshot = periods.compute_period_snapshot(competition_id=comp.pk, start=date(2026, 2, 1),
                                               end=date(2026, 2, 2))

    seen, after = [], None
    while True:
        with django_assert_max_num_queries(1):
            page = periods.period_board(snapshot, after=after, limit=2)
        seen += [(r.rank, r.worker_id) for r in page.rows]
        if page.next_cursor is None:
            break
        after = page.next_cursor
    assert seen == [(1, w[3].pk), (2, w[5].pk), *sorted([(3, w[1].pk), (3, w[2].pk)]), (5, w[6].pk), (6, w[4].pk)]

    system = periods.period_board(snapshot, scope="business_system", scope_id=bs_a.pk)
    assert [(r.rank, r.worker_id) for r in system.rows] == [(1, w[5].pk), *sorted([(2, w[1].pk), (2, w[2].pk)])]
    first = system.rows[0]
    assert (first.name, first.employee_no, first.team, first.job_type) == (
        w[5].name, w[5].employee_no, w[5].unit.name, w[5].job_type.name)
    depot = periods.period_board(snapshot, scope="unit", scope_id=d1.pk)
    assert [r.worker_id for r in depot.rows] == [w[3].pk, *sorted([w[1].pk, w[2].pk])]
    narrowed = periods.period_board(snapshot, depot_id=d1.pk, job_type_id=w[1].job_type_id)
    assert sorted(r.worker_id for r in narrowed.rows) == sorted([w[1].pk, w[2].pk])

    # a cursor of another list, or forged, is refused
    with pytest.raises(InvalidCursor):
        periods.period_board(snapshot, scope="business_system", scope_id=bs_a.pk, after=after)
    with pytest.raises(InvalidCursor):
        periods.period_board(snapshot, after="not-a-cursor")
    with pytest.raises(ValueError):
        periods.period_board(snapshot, scope="job_type")


def test_the_digest_is_the_canonical_digest_of_the_rows(league):
    comp, add = league["comp"], league["add"]
    add(1, date(2026, 2, 2), Decimal("2.5"))
    add(4, date(2026, 2, 2), 2)
    add(6, date(2026, 2, 2), 2)
    standings_recompute(competition=comp, day=date(2026, 2, 2))

    snapshot = periods.compute_period_snapshot(competition_id=comp.pk, start=date(2026, 2, 1),
                                               end=date(2026, 2, 2))

    import hashlib

    text = canonical_text(PeriodStanding.objects.filter(snapshot=snapshot).values_list(*DIGEST_COLUMNS))
    assert snapshot.digest == hashlib.sha256(text.encode()).hexdigest()
    assert "|2.500|2.500|1|1|1|1\n" in text and text.count("\n") == 3


def test_a_reversed_range_is_refused_and_nothing_is_saved(league):
    with pytest.raises(ValidationError) as refused:
        periods.compute_period_snapshot(competition_id=league["comp"].pk, start=date(2026, 3, 2),
                                        end=date(2026, 3, 1))
    assert "结束日期不能早于开始日期" in str(refused.value)
    assert not PeriodSnapshot.objects.exists()


def test_a_range_wholly_in_the_future_is_refused_and_one_reaching_into_it_is_not(league):
    from django.utils import timezone

    today = timezone.localdate()
    with pytest.raises(ValidationError) as refused:
        periods.compute_period_snapshot(competition_id=league["comp"].pk, start=today + timedelta(days=1),
                                        end=today + timedelta(days=30))
    assert "开始日期不能晚于今天" in str(refused.value)
    assert not PeriodSnapshot.objects.exists()
    snapshot = periods.compute_period_snapshot(competition_id=league["comp"].pk, start=today,
                                               end=today + timedelta(days=30))
    assert snapshot.status == "ready"


def test_a_failed_computation_is_recorded_on_the_snapshot(league, monkeypatch):
    def broken(*args, **kw):
        raise RuntimeError("database went away")

    monkeypatch.setattr(periods, "period_totals", broken)
    with pytest.raises(RuntimeError):
        periods.compute_period_snapshot(competition_id=league["comp"].pk, start=date(2026, 2, 1),
                                        end=date(2026, 2, 2))
    failed = PeriodSnapshot.objects.get()
    assert failed.status == SnapshotStatus.FAILED and "database went away" in failed.error
    assert not PeriodStanding.objects.filter(snapshot=failed).exists()


def test_a_requested_snapshot_is_computed_by_the_task_after_commit(league, monkeypatch,
                                                                   django_capture_on_commit_callbacks):
    comp, add, w = league["comp"], league["add"], league["w"]
    add(1, date(2026, 2, 2), 4)
    standings_recompute(competition=comp, day=date(2026, 2, 2))
    sent = []
    monkeypatch.setattr(tasks.period_snapshot_task, "delay", lambda *a: sent.append(a))

    with django_capture_on_commit_callbacks(execute=True):
        snapshot = periods.request_period_snapshot(competition_id=comp.pk, start=date(2026, 2, 1),
                                                   end=date(2026, 2, 28), user=None)
        assert sent == []  # not before the request's transaction commits
    assert sent == [(snapshot.pk,)] and snapshot.status == SnapshotStatus.RUNNING

    assert tasks.period_snapshot_task(snapshot.pk) == 1
    snapshot.refresh_from_db()
    assert snapshot.status == SnapshotStatus.READY and snapshot.computed_at is not None
    assert snapshot_rows(snapshot)[w[1].pk][0] == 4
    assert tasks.period_snapshot_task(snapshot.pk) == 1  # redelivered: left as it is
    assert tasks.period_snapshot_task(snapshot.pk + 1000) is None  # gone


def test_a_snapshot_left_running_by_a_lost_process_is_marked_failed_by_the_next_request(league):
    comp = league["comp"]
    lost = PeriodSnapshot.objects.create(competition=comp, start=date(2026, 2, 1), end=date(2026, 2, 2))
    young = PeriodSnapshot.objects.create(competition=comp, start=date(2026, 2, 1), end=date(2026, 2, 2))
    PeriodSnapshot.objects.filter(pk=lost.pk).update(created_at=lost.created_at - periods.STALE_AFTER)

    periods.compute_period_snapshot(competition_id=comp.pk, start=date(2026, 2, 1), end=date(2026, 2, 2))

    lost.refresh_from_db()
    young.refresh_from_db()
    assert (lost.status, lost.error) == (SnapshotStatus.FAILED, periods.STALE_ERROR)
    assert young.status == SnapshotStatus.RUNNING


def test_a_bound_in_a_merged_month_reads_that_days_rows(f):
    comp, jt = f.competition(), f.job_type()
    rule = f.rule(comp, jt)
    workers = [f.worker(job_type_=jt) for _ in range(3)]
    day = date(2026, 1, 28)
    while day <= date(2026, 3, 4):
        for i, worker in enumerate(workers):
            if (day.day + i) % 3:
                entry(comp, worker, rule, day, i + day.day % 5)
        standings_recompute(competition=comp, day=day)
        day += timedelta(days=1)
    assert standings_compact(competition=comp) == [date(2026, 1, 1), date(2026, 2, 1)]
    changed = WorkEntry.objects.filter(competition=comp, work_date=date(2026, 2, 10)).first()
    changed.status = "approved"
    changed.save()  # a correction waiting in the log

    assert_period_exact(comp, date(2026, 2, 15), date(2026, 3, 3))  # bound 02-14 in February's partition
    assert_period_exact(comp, date(2026, 2, 1), date(2026, 2, 20))  # 01-31 in January's


def test_a_correction_undone_before_the_run_archives_nothing(f):
    comp, jt = f.competition(), f.job_type()
    rule, worker = f.rule(comp, jt), f.worker(job_type_=jt)
    old = entry(comp, worker, rule, date(2026, 3, 1), 3)
    standings_recompute(competition=comp, day=date(2026, 3, 1))
    old.status, old.reject_reason = "rejected", "错录"
    old.save()
    old.status, old.reject_reason = "pending", ""
    old.save()

    standings_recompute(competition=comp, day=date(2026, 3, 2))

    assert not StandingCorrection.objects.filter(competition_id=comp.pk).exists()


def test_each_snapshot_is_a_partition_with_the_parents_indexes_dropped_with_it(league):
    comp, add = league["comp"], league["add"]
    add(1, date(2026, 2, 2), 4)
    standings_recompute(competition=comp, day=date(2026, 2, 2))
    snapshot = periods.compute_period_snapshot(competition_id=comp.pk, start=date(2026, 2, 1),
                                               end=date(2026, 2, 2))
    name = periods.partition_name(snapshot)

    def indexes(table):
        with connection.cursor() as cursor:
            cursor.execute("SELECT indexdef FROM pg_indexes WHERE tablename = %s", [table])
            return sorted(indexdef.split("(", 1)[1].rstrip(")") for (indexdef,) in cursor.fetchall())

    expected = sorted(", ".join(columns) for columns in periods.PERIOD_INDEXES.values())
    assert indexes(PeriodStanding._meta.db_table) == expected == indexes(name)
    snapshot.delete()
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s)", [name])
        assert cursor.fetchone()[0] is None
    assert not PeriodStanding.objects.exists()
