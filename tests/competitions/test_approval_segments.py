"""The approval log's segments (competitions.standings.approvals): a run takes the approval rows in where they are,
never deleting or copying one; a closed segment never gains a row; the rows dated after the run's day wait; a
failed run leaves its segments live; a run waits for a transaction still writing approvals; and migration 0023
moves the archive (StandingApprovalCorrection) into the log and back keeping every row."""

from __future__ import annotations

import threading
from collections import Counter
from contextlib import contextmanager

import pytest
from django.db import DatabaseError, OperationalError, connection, transaction

from competitions import standings
from competitions.locks import APPROVAL_LOG_LOCK_CLASS
from competitions.models import RunOutcome, Standing, StandingApproval, StandingApprovalSegment, StandingRun
from competitions.services import standings_recompute
from competitions.standings import approvals
from competitions.standings.partitions import forget_competition
from reviews.models import WorkEntry
from reviews.workflow import entries_transition
from tests.competitions.standings_data import D1, D2, D3, D4, entry, rows, rows_by_full_path
from tests.concurrency import in_thread
from tests.reviews.test_partition_migration import LATEST, migrate
from tests.reviews.test_partition_migration import rows as sql_rows


def approve(comp, **filters):
    return entries_transition(actor=None, entries=WorkEntry.objects.filter(competition=comp, status="pending",
                                                                           **filters),
                              to_status="approved", exclude_own=False)


@contextmanager
def approval_held_open(comp):
    """A reviewer's transaction, in a thread on a connection of its own, that has approved the competition's
    pending entries (its approval rows written, the log's lock held shared) and waits to commit until the
    body is done."""
    approved, release = threading.Event(), threading.Event()

    def reviewer():
        with transaction.atomic():
            approve(comp)
            approved.set()
            assert release.wait(20)

    results = {}
    thread = in_thread(results, "reviewer", reviewer)
    try:
        assert approved.wait(20)
        yield
    finally:
        release.set()
        thread.join(20)
    assert not isinstance(results["reviewer"], Exception), results["reviewer"]


def segments(comp):
    return list(StandingApprovalSegment.objects.filter(competition_id=comp.pk).order_by("pk")
                .values_list("closed", "run_id"))


def in_segments(comp, **segment):
    return StandingApproval.objects.filter(segment_id__in=StandingApprovalSegment.objects.filter(
        competition_id=comp.pk, **segment).values("pk"))


def assert_as_full_path(comp, day, run):
    assert run.outcome == RunOutcome.SUCCEEDED, run.error
    assert rows(comp.pk, day) == rows_by_full_path(comp.pk, day, run.started_at)


@pytest.mark.django_db
def test_a_run_takes_the_approval_rows_in_where_they_are(league):
    comp = league["comp"]
    standings_recompute(competition=comp, day=D1)
    assert approve(comp, work_date__lte=D1).moved
    written = sorted(StandingApproval.objects.filter(competition_id=comp.pk).values_list("pk", flat=True))
    assert written and segments(comp) == [(False, None)]  # the open segment, opened by the approval

    run = standings_recompute(competition=comp, day=D2)

    assert_as_full_path(comp, D2, run)
    assert run.deltas == len(written)
    # The same rows, unmoved and unchanged, now the run's archive; nothing live, no segment open.
    assert sorted(in_segments(comp, run_id=run.pk).values_list("pk", flat=True)) == written
    assert not in_segments(comp, run_id__isnull=True).exists()
    assert segments(comp) == [(True, run.pk)]
    # The next approval opens a new segment, which the next run consumes in turn.
    league["add"](4, D2, 3)
    approve(comp)
    assert segments(comp) == [(True, run.pk), (False, None)]
    later = standings_recompute(competition=comp, day=D3)
    assert_as_full_path(comp, D3, later)
    assert segments(comp) == [(True, run.pk), (True, later.pk)]


@pytest.mark.django_db
def test_approvals_dated_after_the_runs_day_wait_for_the_run_of_their_day(league):
    comp, add = league["comp"], league["add"]
    standings_recompute(competition=comp, day=D1)
    add(2, D3, 5)
    add(5, D4, 7)
    approve(comp)  # D1's pending entries, and two dated after D2

    run = standings_recompute(competition=comp, day=D2)

    assert_as_full_path(comp, D2, run)
    # The rows dated D3 and D4 wait, live, in a closed segment of their own; the rest is the run's.
    waiting = in_segments(comp, run_id__isnull=True)
    assert sorted(waiting.values_list("work_date", flat=True)) == [D3, D4]
    assert not in_segments(comp, run_id=run.pk).filter(work_date__gt=D2).exists()
    assert StandingApprovalSegment.objects.get(pk=waiting.first().segment_id).closed
    for day in (D3, D4):
        assert_as_full_path(comp, day, standings_recompute(competition=comp, day=day))
    assert not in_segments(comp, run_id__isnull=True).exists()


@pytest.mark.django_db
def test_a_failed_run_leaves_its_segments_live_for_the_next(league, monkeypatch):
    comp = league["comp"]
    standings_recompute(competition=comp, day=D1)
    approve(comp)
    real_replace_day = standings.replace_day

    def broken(**kw):
        raise DatabaseError("the disk is full")

    monkeypatch.setattr(standings, "replace_day", broken)
    with pytest.raises(DatabaseError):
        standings_recompute(competition=comp, day=D2)
    monkeypatch.setattr(standings, "replace_day", real_replace_day)

    # Closed before the run's snapshot, not consumed: still the live log.
    assert segments(comp) == [(True, None)]
    assert in_segments(comp, run_id__isnull=True).exists()
    run = standings_recompute(competition=comp, day=D2)
    assert_as_full_path(comp, D2, run)
    assert segments(comp) == [(True, run.pk)]


@pytest.mark.django_db
def test_a_move_committed_between_the_close_and_the_snapshot_is_taken_in_once(league, monkeypatch):
    """The window between closing the open segment and the run's snapshot: an approval committed there is in
    a new open segment; the run reads it (its entries are approved in the snapshot) and takes it in."""
    comp, add = league["comp"], league["add"]
    standings_recompute(competition=comp, day=D1)
    real_close = approvals.close

    def close_then_approve(**kw):
        real_close(**kw)
        approve(comp)

    monkeypatch.setattr(approvals, "close", close_then_approve)
    run = standings_recompute(competition=comp, day=D2)
    monkeypatch.setattr(approvals, "close", real_close)

    assert_as_full_path(comp, D2, run)
    assert all(standing.pending_points == 0 for standing in Standing.objects.filter(competition=comp, day=D2))
    assert not in_segments(comp, run_id__isnull=True).exists()
    assert in_segments(comp, run_id=run.pk).exists()
    add(4, D3, 2)
    assert_as_full_path(comp, D3, standings_recompute(competition=comp, day=D3))


@pytest.mark.django_db(transaction=True)
def test_a_run_waits_for_a_transaction_still_writing_approvals_and_counts_them(league):
    """A month's approval still running when the night starts: the run's close waits for it, and the run,
    whose snapshot comes after, counts it; none of it is left behind in a closed segment."""
    comp = league["comp"]
    standings_recompute(competition=comp, day=D1)
    result = {}

    with approval_held_open(comp):
        runner = in_thread(result, "run", lambda: standings_recompute(competition=comp, day=D2))
        runner.join(1.5)
        assert runner.is_alive(), "the run did not wait for the approval in progress"
        waiting = sql_rows("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
                           " AND classid = %s AND objid = %s", [APPROVAL_LOG_LOCK_CLASS, comp.pk])
        assert waiting == [(1,)]
    runner.join(30)
    run = result["run"]
    assert_as_full_path(comp, D2, run)
    assert not WorkEntry.objects.filter(competition=comp, status="pending").exists()
    assert all(standing.pending_points == 0 for standing in Standing.objects.filter(competition=comp, day=D2))
    assert not in_segments(comp, run_id__isnull=True).exists()


@pytest.mark.django_db(transaction=True)
def test_a_repeatable_read_writer_never_writes_into_a_segment_closed_since_its_snapshot(league):
    comp, add = league["comp"], league["add"]
    standings_recompute(competition=comp, day=D1)
    approve(comp)  # an open segment
    add(4, D2, 3)
    before = sorted(StandingApproval.objects.values_list("pk", "segment_id"))
    with pytest.raises(OperationalError, match="serialize"):
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            assert segments(comp) == [(False, None)]  # the snapshot: the segment open
            closed = {}
            # another session closes it
            in_thread(closed, "segment", lambda: approvals.close(competition_id=comp.pk)).join(20)
            assert not isinstance(closed["segment"], Exception), closed["segment"]
            approve(comp)
    assert sorted(StandingApproval.objects.values_list("pk", "segment_id")) == before
    assert segments(comp) == [(True, None)]
    approve(comp)  # read committed: a new segment
    assert segments(comp) == [(True, None), (False, None)]
    assert_as_full_path(comp, D2, standings_recompute(competition=comp, day=D2))


BEFORE = ("competitions", "0022_job_error_params")


def archive():
    """The archive, as the rows before 0023 held it: (competition, run, worker, dates and points)."""
    return sorted(sql_rows("SELECT competition_id, run_id, worker_id, first_date, last_date, approved_score,"
                           " dates::text, approved_scores::text FROM competitions_standingapprovalcorrection"))


def archive_in_segments():
    return sorted(sql_rows("SELECT a.competition_id, s.run_id, a.worker_id, a.first_date, a.last_date,"
                           " a.approved_score, a.dates::text, a.approved_scores::text"
                           " FROM competitions_standingapproval a"
                           " JOIN competitions_standingapprovalsegment s ON s.id = a.segment_id"
                           " WHERE s.run_id IS NOT NULL"))


def live_log():
    return sorted(sql_rows("SELECT id, competition_id, worker_id, work_date, first_date, last_date, approved_score,"
                           " dates::text, approved_scores::text, batch FROM competitions_standingapproval a"
                           " WHERE NOT EXISTS (SELECT FROM competitions_standingapprovalsegment s"
                           " WHERE s.id = a.segment_id AND s.run_id IS NOT NULL)"))


@pytest.mark.django_db(transaction=True)
def test_migration_0023_moves_the_archive_into_the_log_and_back_keeping_every_row(league):
    comp, add = league["comp"], league["add"]
    standings_recompute(competition=comp, day=D1)
    approve(comp)
    standings_recompute(competition=comp, day=D2)
    add(2, D2, 4)
    add(5, D3, 6)
    approve(comp)
    first_archive, live = archive_in_segments(), live_log()
    assert first_archive and live
    try:
        migrate(BEFORE)
        # Backward: the consumed segments' rows back in StandingApprovalCorrection with their run, the live
        # rows in the log as they were.
        assert archive() == first_archive
        assert sql_rows("SELECT id, competition_id, worker_id, work_date, first_date, last_date, approved_score,"
                        " dates::text, approved_scores::text, batch FROM competitions_standingapproval"
                        " ORDER BY id") == live
        migrate(LATEST)
        # Forward: every archived row in a consumed segment of its run, the live ones in an open segment.
        assert archive_in_segments() == first_archive
        assert live_log() == live
        assert (False, None) in segments(comp)
        # And the standings go on as the entries stand.
        run = standings_recompute(competition=comp, day=D3)
        assert_as_full_path(comp, D3, run)
    finally:
        migrate(LATEST)


@pytest.mark.django_db(transaction=True)
def test_a_run_that_waited_too_long_for_a_writer_fails_and_changes_nothing(league, monkeypatch):
    comp = league["comp"]
    standings_recompute(competition=comp, day=D1)
    monkeypatch.setattr(approvals, "CLOSE_LOCK_TIMEOUT", "300ms")
    with approval_held_open(comp), pytest.raises(OperationalError, match="lock timeout"):
        standings_recompute(competition=comp, day=D2)
    failed = StandingRun.objects.filter(competition=comp, day=D2).get()
    assert failed.outcome == RunOutcome.FAILED and "lock timeout" in failed.error
    assert segments(comp) == [(False, None)]  # the writer's segment, still open
    assert_as_full_path(comp, D2, standings_recompute(competition=comp, day=D2))


def staging_left() -> bool:
    return sql_rows("SELECT to_regclass('pg_temp.approval_staging') IS NOT NULL"
                    " OR current_setting('reviews.approval_staging', true) = 'on'")[0][0]


@pytest.mark.django_db
@pytest.mark.parametrize("stored_day", [False, True])
def test_a_jobs_staged_approvals_reach_the_log_whole(league, stored_day, monkeypatch):
    """The approval job stages its steps' rows and writes them into the log once: merged one per worker when
    dated on a stored day, as they are otherwise; every approved point is there, and nothing staged is left."""
    from reviews import jobs

    comp, (bs_a, _bs_b) = league["comp"], league["bs"]
    if stored_day:
        standings_recompute(competition=comp, day=D1)
    monkeypatch.setattr(jobs, "APPROVE_CHUNKS", 3)  # several statements for the league's few entries
    pending = WorkEntry.objects.filter(competition=comp, business_system=bs_a, status="pending")
    expected = {}
    for worker_id, points in pending.values_list("worker_id", "points"):
        expected[worker_id] = expected.get(worker_id, 0) + int(points * 1000)
    steps = []
    with transaction.atomic():
        jobs.entries_approve_in_steps(actor=None, entries=pending, system=bs_a, progress=lambda *a: steps.append(a))
        assert not staging_left()
    assert len(steps) > 2
    logged = {}
    for worker_id, score in StandingApproval.objects.values_list("worker_id", "approved_score"):
        logged[worker_id] = logged.get(worker_id, 0) + score
    assert logged == expected
    if stored_day:  # one row per worker
        assert StandingApproval.objects.count() == len(expected)
        assert_as_full_path(comp, D2, standings_recompute(competition=comp, day=D2))


@pytest.mark.django_db
def test_a_failed_job_leaves_no_approval_rows_and_nothing_staged(league, monkeypatch):
    from reviews import jobs

    comp, (bs_a, _bs_b) = league["comp"], league["bs"]
    standings_recompute(competition=comp, day=D1)
    monkeypatch.setattr(jobs, "APPROVE_CHUNKS", 3)
    real = jobs.entries_transition
    calls = []

    def fails_second(**kw):
        calls.append(1)
        if len(calls) == 2:
            raise DatabaseError("the connection dropped")
        return real(**kw)

    monkeypatch.setattr(jobs, "entries_transition", fails_second)
    pending = WorkEntry.objects.filter(competition=comp, business_system=bs_a, status="pending")
    before = sorted(pending.values_list("pk", flat=True))
    assert len(before) > 1
    with pytest.raises(DatabaseError), transaction.atomic():
        jobs.entries_approve_in_steps(actor=None, entries=pending, system=bs_a, progress=lambda *a: None)
    assert not StandingApproval.objects.exists()
    assert not staging_left()
    assert sorted(pending.values_list("pk", flat=True)) == before


def another_competition_with_a_pending_entry(f):
    other = f.competition()
    worker = f.worker()
    entry(other, worker, f.rule(other, worker.job_type), D1, 3)
    return other


@pytest.mark.django_db
def test_forgetting_a_competition_deletes_its_approval_log_through_its_segments_and_no_other(league, f):
    comp = league["comp"]
    other = another_competition_with_a_pending_entry(f)
    standings_recompute(competition=comp, day=D1)
    assert approve(comp, work_date__lte=D1).moved and approve(other).moved
    standings_recompute(competition=comp, day=D2)  # comp's rows consumed by the run
    league["add"](2, D2, 3)
    assert approve(comp).moved  # and a live segment again
    assert segments(comp) == [(True, segments(comp)[0][1]), (False, None)] and segments(comp)[0][1] is not None
    kept = sorted(StandingApproval.objects.filter(competition_id=other.pk).values_list("pk", flat=True))
    assert kept
    with transaction.atomic():
        forget_competition(competition_id=comp.pk)
    assert not StandingApproval.objects.filter(competition_id=comp.pk).exists()
    assert segments(comp) == []
    assert sorted(StandingApproval.objects.filter(competition_id=other.pk).values_list("pk", flat=True)) == kept
    assert segments(other) == [(False, None)]


@pytest.mark.django_db
def test_one_statement_approving_two_competitions_entries_logs_each_in_its_own_segment(league, f):
    # The trigger reads the competitions from the moved rows (one pass with the queue's bounds when they are of
    # one competition, its own pass otherwise): each competition's rows go into its own open segment.
    comp = league["comp"]
    other = another_competition_with_a_pending_entry(f)
    pending = WorkEntry.objects.filter(competition__in=[comp, other], status="pending")
    expected = {c.pk: Counter() for c in (comp, other)}
    for cid, worker_id, points in pending.values_list("competition_id", "worker_id", "points"):
        expected[cid][worker_id] += int(points * 1000)
    n = pending.count()
    assert all(expected.values()) and n > 1
    assert entries_transition(actor=None, entries=pending, to_status="approved", exclude_own=False).moved == n
    for c in (comp, other):
        assert segments(c) == [(False, None)]
        logged = Counter()
        for cid, worker_id, score in in_segments(c).values_list("competition_id", "worker_id", "approved_score"):
            assert cid == c.pk
            logged[worker_id] += score
        assert logged == expected[c.pk]
