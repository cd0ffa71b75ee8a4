from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from bench.reference import reference
from competitions import standings
from competitions.models import RunKind, RunOutcome, Standing, StandingDay, StandingDelta, StandingRun
from competitions.services import competition_delete, rule_version_add, standings_recompute, standings_totals_day
from competitions.standings import database, ranking
from members.models import UnitLevel
from reviews.models import WorkEntry
from reviews.workflow import entries_transition
from tests.competitions.standings_data import (
    D1,
    D2,
    D3,
    D4,
    entry,
    partitions,
    rows,
    rows_by_full_path,
    run_held_half_way,
    totals,
    totals_from_entries,
)

pytestmark = pytest.mark.django_db

def by_worker(comp, day):
    return {s.worker_id: s for s in Standing.objects.filter(competition=comp, day=day)}


def test_ranks_ties_gaps_and_parts_match_hand_computed_answers(league):
    comp, w = league["comp"], league["w"]

    run = standings_recompute(competition=comp, day=D1)

    assert (run.outcome, run.kind, run.rows) == (RunOutcome.SUCCEEDED, RunKind.FULL, 6)
    got = by_worker(comp, D1)
    expected = {  # points, approved, rank overall / business system / job type / depot, points to next place
        1: (10, 6, 2, 1, 1, 2, 2),
        2: (8, 0, 3, 2, 2, 3, 2),
        3: (8, 8, 3, 2, 1, 1, 2),
        4: (5, 0, 6, 2, 2, 3, 3),
        5: (12, 0, 1, 1, 1, 1, 0),
        6: (8, 8, 3, 2, 2, 1, 2),
    }
    for n, (points, approved, overall, system, job, depot, gap) in expected.items():
        s = got[w[n].pk]
        assert (s.points, s.approved_points, s.pending_points) == (points, approved, points - approved), n
        assert (s.rank_overall, s.rank_business_system, s.rank_job_type, s.rank_unit) == (overall, system, job,
                                                                                         depot), n
        assert s.points_to_next == gap, n
        assert s.change_overall is None  # no previous day
    assert got[w[1].pk].depot_id == league["depots"][0].pk  # a workshop's worker ranks in its depot
    assert got[w[5].pk].business_system_id == league["bs"][1].pk


def test_rank_changes_since_the_previous_day(league):
    comp, w, add = league["comp"], league["w"], league["add"]
    standings_recompute(competition=comp, day=D1)
    add(4, D2, 10)  # 5 -> 15: from 6th to 1st

    run = standings_recompute(competition=comp, day=D2)

    assert run.kind == RunKind.INCREMENTAL
    got = by_worker(comp, D2)
    assert (got[w[4].pk].rank_overall, got[w[4].pk].change_overall) == (1, 5)
    assert (got[w[5].pk].rank_overall, got[w[5].pk].change_overall) == (2, -1)
    assert (got[w[4].pk].rank_unit, got[w[4].pk].change_unit) == (1, 2)
    assert (got[w[3].pk].change_overall, got[w[3].pk].change_unit) == (-1, -1)
    assert got[w[5].pk].points_to_next == 3
    assert len(got) == 6 and len(by_worker(comp, D1)) == 6  # history kept


def test_rejected_entry_drops_out_at_the_next_run(league):
    comp, w, add = league["comp"], league["w"], league["add"]
    lone = add(4, D2, 1)  # worker 4's only entry for a while: drop the D1 one too
    WorkEntry.objects.filter(worker=w[4], work_date=D1).update(status="rejected", reject_reason="重复录入",
                                                               updated_at=timezone.now())
    standings_recompute(competition=comp, day=D2)
    assert by_worker(comp, D2)[w[4].pk].points == 1

    lone.status, lone.reject_reason = "rejected", "数量不实"
    lone.save()
    entry_5 = WorkEntry.objects.get(worker=w[5])
    entry_5.status, entry_5.reject_reason = "rejected", "数量不实"
    entry_5.save()
    standings_recompute(competition=comp, day=D2)

    got = by_worker(comp, D2)
    assert w[4].pk not in got and w[5].pk not in got  # nothing counted any more
    assert got[w[1].pk].rank_overall == 1
    assert rows(comp.pk, D2) == rows_by_full_path(comp.pk, D2, timezone.now())


def test_reopened_rejection_counts_again_and_approval_moves_points_to_the_approved_part(league):
    comp, w = league["comp"], league["w"]
    standings_recompute(competition=comp, day=D1)
    rejected = league["rejected"]
    rejected.status, rejected.reject_reason = "approved", ""
    rejected.save()

    standings_recompute(competition=comp, day=D1)

    s = by_worker(comp, D1)[w[2].pk]
    assert (s.points, s.approved_points, s.pending_points, s.rank_overall) == (108, 100, 8, 1)


def test_rule_change_from_a_date_applies_from_that_date_only(f):
    # given a rule worth 1 point per unit, and 10 units a day for four days
    comp, jt = f.competition(), f.job_type()
    rule = f.rule(comp, jt, points_per_unit="1")
    worker, other = f.worker(job_type_=jt), f.worker(job_type_=jt)
    for day in (D1, D2, D3, D4):
        entry(comp, worker, rule, day, 10)
        entry(comp, other, rule, day, 12 if day < D3 else 8, points=12 if day < D3 else 8)
    for day in (D1, D2, D3, D4):
        standings_recompute(competition=comp, day=day)
    before = {day: by_worker(comp, day)[worker.pk].points for day in (D1, D2)}

    # when the rule goes to 2 points per unit from D3: the new version reprices the entries dated D3 on
    _, rescored = rule_version_add(actor=None, rule=rule, effective_from=D3, points_per_unit=Decimal(2))
    assert rescored == 4
    standings_recompute(competition=comp, day=D4)
    for day in (D1, D2, D3):  # old days (behind the totals) are recomputed from the entries
        assert standings_recompute(competition=comp, day=day).kind == RunKind.FULL
    # D4 again, so its "change since the previous day" compares with the recomputed D3
    assert standings_recompute(competition=comp, day=D4).kind == RunKind.INCREMENTAL

    # then days before D3 keep their points, D3 on earn double
    assert {day: by_worker(comp, day)[worker.pk].points for day in (D1, D2)} == before
    assert by_worker(comp, D3)[worker.pk].points == 10 + 10 + 20
    assert by_worker(comp, D4)[worker.pk].points == 10 + 10 + 20 + 20
    assert by_worker(comp, D4)[other.pk].points == 12 + 12 + 16 + 16
    assert by_worker(comp, D2)[other.pk].rank_overall == 1
    assert by_worker(comp, D4)[other.pk].rank_overall == 2  # 56 vs 60
    assert rows(comp.pk, D4) == rows_by_full_path(comp.pk, D4, timezone.now())


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_incremental_equals_full_on_randomized_histories(f, seed):
    rnd = random.Random(seed)
    moves = random.Random(-seed)  # a stream of its own: the histories above stay the same, plus these moves
    systems = [f.business_system() for _ in range(2)]
    job_types = [f.job_type(rnd.choice(systems)) for _ in range(4)]
    depots = [f.depot() for _ in range(3)]
    units = depots + [f.unit(parent=d, level=UnitLevel.WORKSHOP) for d in depots]
    comp = f.competition()
    rules = {jt.pk: [f.rule(comp, jt) for _ in range(2)] for jt in job_types}
    workers = [f.worker(rnd.choice(units), rnd.choice(job_types)) for _ in range(25)]
    start = date(2026, 3, 1)
    entries: list[WorkEntry] = []

    def new_entry(worker, day):
        rule = rnd.choice(rules[worker.job_type_id])
        if WorkEntry.objects.filter(worker=worker, rule=rule, work_date=day).exists():
            return
        quantity = rnd.choice([0, 1, 2, 3, 5, 7])  # small values: plenty of ties
        sign = rnd.choice([1, 1, 1, -1])
        entries.append(entry(comp, worker, rule, day, quantity, points=sign * quantity,
                             status=rnd.choice(["pending", "pending", "approved", "locked"])))

    for offset in range(10):
        day = start + timedelta(days=offset)
        for _ in range(rnd.randint(1, 3)):  # intraday runs, with changes between them
            for worker in rnd.sample(workers, 12):
                new_entry(worker, day)
            for worker in rnd.sample(workers, 2):  # past-dated entries
                new_entry(worker, start + timedelta(days=rnd.randint(0, offset)))
            if rnd.random() < 0.3:  # dated tomorrow already (clock skew, night shift): must wait for its day
                new_entry(rnd.choice(workers), day + timedelta(days=1))
            for e in rnd.sample(entries, min(len(entries), 4)):
                e.refresh_from_db()
                action = rnd.choice(["edit", "reject", "reopen", "approve", "lock", "note"])
                if action == "edit":
                    e.quantity = Decimal(rnd.randint(0, 9))
                    e.points = e.quantity * rnd.choice([1, 2])
                elif action == "reject":
                    e.status, e.reject_reason = "rejected", "不符合"
                elif action == "reopen":
                    e.status, e.reject_reason = "pending", ""
                elif action in ("approve", "lock"):
                    e.status = "approved" if action == "approve" else "locked"
                else:
                    e.note = "备注"
                e.save()
            if moves.random() < 0.5:  # the review workflow's set-based moves (its shortcut in the log trigger)
                to_status, period = moves.choice([("approved", False), ("rejected", False), ("pending", False),
                                                  ("locked", True), ("approved", True)])
                picked = WorkEntry.objects.filter(pk__in=[e.pk for e in moves.sample(entries, min(len(entries), 6))])
                if period:  # stored locked rows, as earlier sign-offs wrote them: the trigger logs nothing
                    source = "approved" if to_status == "locked" else "locked"
                    picked.filter(status=source).update(status=to_status)
                else:
                    entries_transition(actor=None, entries=picked, to_status=to_status, reason="不符合",
                                       exclude_own=False)
            if rnd.random() < 0.2:  # a rule change from a past date: one bulk rewrite of points
                rule = rnd.choice(rnd.choice(list(rules.values())))
                since = start + timedelta(days=rnd.randint(0, offset))
                factor = Decimal(rnd.choice([2, 3]))
                for e in WorkEntry.objects.filter(rule=rule, work_date__gte=since):
                    WorkEntry.objects.filter(pk=e.pk).update(points=e.quantity * factor, updated_at=timezone.now())
            if rnd.random() < 0.2:  # a worker moves to another depot / job type: ranks follow the worker
                mover = rnd.choice(workers)
                mover.unit = rnd.choice(units)
                mover.save()
            run = standings_recompute(competition=comp, day=day)
            assert run.kind == (RunKind.FULL if offset == 0 and run.pk == StandingRun.objects.earliest("id").pk
                                else RunKind.INCREMENTAL)
            assert rows(comp.pk, day) == rows_by_full_path(comp.pk, day, run.started_at), (seed, day)
            assert totals(comp.pk, day) == totals_from_entries(comp.pk, day)

    last = start + timedelta(days=9)
    incremental = rows(comp.pk, last)
    run = standings_recompute(competition=comp, day=last, full=True)
    assert run.kind == RunKind.FULL
    assert rows(comp.pk, last) == incremental
    assert incremental, "the history must produce standings"
    assert not StandingDelta.objects.filter(competition_id=comp.pk, work_date__lte=last).exists()


def test_running_twice_gives_the_same_rows(league):
    comp = league["comp"]
    standings_recompute(competition=comp, day=D1)
    first = rows(comp.pk, D1)
    standings_recompute(competition=comp, day=D1)
    standings_recompute(competition=comp, day=D1, full=True)
    assert rows(comp.pk, D1) == first
    assert Standing.objects.filter(competition=comp, day=D1).count() == 6
    assert len(partitions(comp.pk, D1)) == 1  # each run swapped the day's partition for its own


@pytest.mark.parametrize("crash_after", ["WRITE", "ATTACH"])
def test_a_run_interrupted_half_way_leaves_the_previous_standings_intact_and_whole(league, monkeypatch,
                                                                                crash_after):
    comp, add = league["comp"], league["add"]
    standings_recompute(competition=comp, day=D1)
    before_rows, before_base = rows(comp.pk, D1), standings_totals_day(competition_id=comp.pk)
    before_partitions = partitions(comp.pk, D1)
    add(4, D1 - timedelta(days=3), 50)  # a change the broken run would have applied
    pending = StandingDelta.objects.filter(competition_id=comp.pk).count()
    real_send = database.send
    delete_day = database.render(ranking.DELETE_DAY)

    def crash(sql, params):
        result = real_send(sql, params)
        # after the new rows are written (the new partition; in a merged month: the old rows deleted), or
        # after the new partition replaced the old (in a merged month: the new rows inserted)
        written = ("RANK() OVER" in sql and "CREATE TEMP" not in sql) or sql == delete_day
        swapped = "ATTACH PARTITION" in sql or sql.startswith(f'INSERT INTO "{standings.STANDING}" (')
        if written if crash_after == "WRITE" else swapped:
            raise RuntimeError("worker killed")
        return result

    monkeypatch.setattr(database, "send", crash)
    with pytest.raises(RuntimeError):
        standings_recompute(competition=comp, day=D1)

    assert rows(comp.pk, D1) == before_rows  # yesterday's complete set, not half of today's
    assert partitions(comp.pk, D1) == before_partitions
    with connection.cursor() as cursor:  # and no table of the broken run is left behind, attached or not
        cursor.execute("SELECT relname FROM pg_class WHERE relkind = 'r' AND starts_with(relname, %s)",
                       [f"{standings.STANDING}_{comp.pk}_{D1:%Y%m%d}_"])
        assert [row[0] for row in cursor.fetchall()] == before_partitions
    assert standings_totals_day(competition_id=comp.pk) == before_base  # the next run starts from the same rows
    assert StandingDelta.objects.filter(competition_id=comp.pk).count() == pending  # nothing consumed
    failed = StandingRun.objects.latest("id")
    assert failed.outcome == RunOutcome.FAILED and "worker killed" in failed.error and failed.totals_day is None

    monkeypatch.setattr(database, "send", real_send)
    run = standings_recompute(competition=comp, day=D1)
    assert run.kind == RunKind.INCREMENTAL
    assert by_worker(comp, D1)[league["w"][4].pk].points == 55
    assert standings.leaderboard(competition_id=comp.pk, day=D1)[0].worker_id == league["w"][4].pk


def test_management_command_recomputes_a_day(league, capsys):
    comp = league["comp"]
    call_command("recompute_standings", competition=comp.pk, day=D1, full=True)
    assert "full" in capsys.readouterr().out
    assert Standing.objects.filter(competition=comp, day=D1).count() == 6
    assert StandingRun.objects.get().trigger == "command"


# --- Read paths ---------------------------------------------------------------------------------


def test_leaderboard_pages_by_rank_then_worker_id(league, django_assert_num_queries):
    comp, w = league["comp"], league["w"]
    standings_recompute(competition=comp, day=D1)

    with django_assert_num_queries(1):
        page1 = standings.leaderboard(competition_id=comp.pk, day=D1, limit=3)
    last = page1[-1]
    with django_assert_num_queries(1):
        page2 = standings.leaderboard(competition_id=comp.pk, day=D1, limit=3,
                                      after=standings.Cursor(last.rank, last.worker_id))

    assert [s.worker_id for s in page1] == [w[5].pk, w[1].pk, w[2].pk]
    assert [s.worker_id for s in page2] == [w[3].pk, w[6].pk, w[4].pk]  # the tie at 3 continues in order
    depot2 = standings.leaderboard(competition_id=comp.pk, day=D1, scope="unit", scope_id=league["depots"][1].pk)
    assert [(s.worker_id, s.rank) for s in depot2] == [(w[3].pk, 1), (w[6].pk, 1), (w[4].pk, 3)]
    j1 = standings.leaderboard(competition_id=comp.pk, day=D1, scope="job_type", scope_id=league["jt"][0].pk)
    assert [s.worker_id for s in j1] == [w[1].pk, w[2].pk, w[6].pk]
    bs_b = standings.leaderboard(competition_id=comp.pk, day=D1, scope="business_system",
                                 scope_id=league["bs"][1].pk)
    assert [s.worker_id for s in bs_b] == [w[5].pk, w[4].pk]


def test_leaderboard_rows_carry_the_workers_depot_team_and_job_type(league):
    comp, w = league["comp"], league["w"]
    standings_recompute(competition=comp, day=D1)
    rows = {r.worker_id: r for r in standings.leaderboard(competition_id=comp.pk, day=D1)}
    one = w[1]  # in a workshop of depot 1
    assert (rows[one.pk].name, rows[one.pk].depot, rows[one.pk].team, rows[one.pk].job_type) == (
        one.name, league["depots"][0].name, one.unit.name, one.job_type.name)
    assert rows[w[2].pk].team == rows[w[2].pk].depot == league["depots"][0].name  # right under the depot


def test_worker_standing_history_and_places_around_me(league, f, django_assert_num_queries):
    comp, w, add = league["comp"], league["w"], league["add"]
    extra_jt = league["jt"][0]
    for i in range(14):  # a longer list: 20 workers
        extra = f.worker(league["depots"][0], extra_jt, employee_no=f"T1{i:02d}")
        entry(comp, extra, comp.rules.get(job_type=extra_jt), D1, i)
    standings_recompute(competition=comp, day=D1)
    add(2, D2, 1)
    standings_recompute(competition=comp, day=D2)

    with django_assert_num_queries(2):  # the latest day, then the worker's row on it
        latest = standings.worker_standing(competition_id=comp.pk, worker_id=w[2].pk)
    assert (latest.day, latest.points) == (D2, 9)
    with django_assert_num_queries(1):
        history = standings.worker_history(competition_id=comp.pk, worker_id=w[2].pk)
    assert [(s.day, s.points) for s in history] == [(D1, 8), (D2, 9)]
    assert standings.worker_standing(competition_id=comp.pk, worker_id=w[2].pk, day=D1).points == 8

    with django_assert_num_queries(4):  # the latest day, my row, the rows above, my row and those below
        around = standings.around_worker(competition_id=comp.pk, worker_id=w[4].pk)
    full_list = standings.leaderboard(competition_id=comp.pk, day=D2, limit=100)
    i = [s.worker_id for s in full_list].index(w[4].pk)
    assert around == full_list[i - 4:i + 6]
    bottom = standings.around_worker(competition_id=comp.pk, worker_id=full_list[-1].worker_id)
    assert bottom == full_list[-10:]
    top = standings.around_worker(competition_id=comp.pk, worker_id=full_list[0].worker_id)
    assert top == full_list[:10]
    per_rule = standings.worker_rule_totals(competition_id=comp.pk, worker_id=w[2].pk)
    assert [(t.quantity, t.points) for t in per_rule] == [(9, 9)]


@pytest.mark.parametrize("approved", [True, False])
def test_the_benchmark_reference_statements_compute_the_same_ranks(league, approved):
    """bench/standings.py times the runs against these statements (bench/reference.py): they must compute
    what a run does."""
    from django.db import connection

    comp = league["comp"]
    league["add"](1, D1 - timedelta(days=3), 3)  # a worker with two entries
    WorkEntry.objects.filter(competition=comp).update(status="approved")
    league["add"](2, D1 - timedelta(days=4), 5)  # and a pending one
    standings_recompute(competition=comp, day=D1)
    day_rows = Standing.objects.filter(competition=comp, day=D1)
    expected = [(s.rank_overall + s.rank_business_system + s.rank_job_type + (s.rank_unit or 0)) for s in day_rows]

    with connection.cursor() as cursor:
        cursor.execute(reference(approved=approved), {"competition": comp.pk, "day": D1})
        count, rank_sum, *approved = cursor.fetchone()

    assert len(expected) == 6
    if approved:  # the approved part is computed too, as the standings keep it
        assert approved == [sum(s.approved_points for s in day_rows)]
        assert 0 < approved[0] < sum(s.points for s in day_rows)
    else:
        assert approved == []
    assert (count, rank_sum) == (len(expected), sum(expected))


def test_business_system_ranks_are_the_same_counted_in_the_overall_pass_or_by_a_window_of_their_own(
        league, monkeypatch):
    comp, add = league["comp"], league["add"]
    add(3, D1 - timedelta(days=1), 4)  # ties inside a business system
    standings_recompute(competition=comp, day=D1)
    counted = rows(comp.pk, D1)
    assert len({row[2] for row in counted}) == 2 and len({row[10] for row in counted}) < len(counted)
    monkeypatch.setattr(ranking, "COUNTED_SCOPE_MAX", 1)  # two business systems: more than that
    rank = ranking.business_system_rank(ranking.business_system_ids())
    assert database.render(rank) == "RANK() OVER business_system"
    standings_recompute(competition=comp, day=D1, full=True)
    assert rows(comp.pk, D1) == counted


def test_deleting_a_competition_removes_its_standings_and_no_one_elses(league, f):
    comp, w = league["comp"], league["w"]
    other = f.competition()
    entry(other, w[1], f.rule(other, w[1].job_type), D1, 3)
    for competition in (comp, other):
        standings_recompute(competition=competition, day=D1)
        standings_recompute(competition=competition, day=D2)
    assert Standing.objects.filter(competition=comp).count() == 12

    WorkEntry.objects.filter(competition=comp).delete()  # entries, rules and review periods protect a competition
    comp.rules.all().delete()
    comp.periods.all().delete()
    comp_id = comp.pk
    competition_delete(actor=None, competition=comp)

    assert not Standing.objects.filter(competition_id=comp_id).exists()
    assert not StandingDay.objects.filter(competition_id=comp_id).exists()
    assert partitions(comp_id, D1) == partitions(comp_id, D2) == []
    assert Standing.objects.filter(competition=other).count() == 2
    assert standings.worker_standing(competition_id=other.pk, worker_id=w[1].pk).rank_overall == 1


@pytest.mark.django_db(transaction=True)
def test_an_approval_committed_while_a_run_computes_is_taken_in_once_by_the_next_run(league, monkeypatch):
    """A review's approval log row committed after a run took its snapshot: that run neither counts nor drops
    it, the next run counts it once, and every stored day still verifies as published."""
    from competitions.models import StandingApproval, StandingApprovalSegment, VerificationOutcome
    from competitions.verify import verify_day

    comp = league["comp"]
    for day in (D1, D2):
        standings_recompute(competition=comp, day=day)

    def split(day):
        return sorted(Standing.objects.filter(competition=comp, day=day).values_list(
            "worker_id", "points", "approved_points", "pending_points"))

    before = split(D2)
    assert any(pending for *_rest, pending in before)
    with run_held_half_way(monkeypatch, competition=comp.pk, day=D3) as results:
        pending = WorkEntry.objects.filter(competition=comp, status="pending")
        assert pending.exists()
        entries_transition(actor=None, entries=pending, to_status="approved", exclude_own=False)  # committed

    assert results["run"].outcome == RunOutcome.SUCCEEDED
    # D3 is as of the run's snapshot: nothing new dated D3, and the approval is not in it (the points and
    # the approved points are D2's), and its log rows are still there.
    assert split(D3) == split(D2) == before
    live = StandingApproval.objects.filter(segment_id__in=StandingApprovalSegment.objects.filter(
        competition_id=comp.pk, run_id__isnull=True).values("pk"))
    assert live.exists()
    # The next run counts it, once: as the entries stand now, and nothing of the log is live any more (its
    # rows are the run's archive, in the segment it consumed).
    run = standings_recompute(competition=comp, day=D4)
    assert rows(comp.pk, D4) == rows_by_full_path(comp.pk, D4, run.started_at)
    assert all(pending == 0 for *_rest, pending in split(D4))
    assert not live.exists()
    assert StandingApproval.objects.filter(segment_id__in=StandingApprovalSegment.objects.filter(
        competition_id=comp.pk, run_id=run.pk).values("pk")).exists()
    for day in (D1, D2, D3, D4):
        check = verify_day(competition_id=comp.pk, day=day)
        assert check.outcome == VerificationOutcome.OK, (day, check.differences, check.error)
