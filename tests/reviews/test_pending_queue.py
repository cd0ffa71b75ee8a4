"""The approval queue's table (PendingEntry), kept by triggers, and the schema that keeps reviews cheap.

Approving a month at seed scale relies on two things the database must keep true: the queue table
holds exactly the pending entries whatever path wrote them, and no index on the entries table
contains a column that a review changes (so approving and locking are HOT updates).
"""

import random
import re
import threading
import time
from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from reviews import jobs
from reviews.flags import entries_flag
from reviews.jobs import entries_approve_in_steps
from reviews.models import EntryStatus, PendingEntry, WorkEntry
from reviews.partitions import FILLFACTOR
from reviews.services import entries_create, entry_update
from reviews.validation import EntryInput, EntryRejected
from reviews.workflow import entries_transition, entry_transition, period_reopen, period_sign_off
from tests.reviews.test_partition_migration import rows

S = EntryStatus


@pytest.fixture
def month(today):
    return (today.replace(day=1) - timedelta(days=1)).replace(day=1)


def enter(w, month, days):
    rows = [EntryInput(x.pk, w.km.pk, month + timedelta(days=d), str(100 + d), row=i)
            for i, (x, d) in enumerate(((x, d) for x in (w.alice, w.bob) for d in range(days)), 1)]
    return entries_create(actor=w.clerk, competition=w.comp, rows=rows).created


# The form of a month's approval step's UPDATE (reviews.workflow._update_from_queue): through the entries' key
# (a dense range) or from the queue rows of its range.
# A step names its month's partition, under the table's name (reviews.workflow._update_from_queue).
STEP = r'UPDATE "reviews_workentry_p\d{6}" AS "reviews_workentry" SET [^()]* '
STEP_FORMS = {"by the key": re.compile(STEP + r'WHERE "reviews_workentry".id >= '),
              "from the queue": re.compile(STEP + r'FROM "reviews_pendingentry" queued WHERE')}


def step_forms(queries) -> list[str]:
    """The form each approval step among ``queries`` (CaptureQueriesContext's) took, in order."""
    return [form for q in queries.captured_queries if q["sql"].lstrip().startswith("WITH moved AS (UPDATE")
            for form, pattern in STEP_FORMS.items() if pattern.search(q["sql"])]


def assert_queue_matches_entries():
    expected = {
        (e.pk, e.competition_id, e.business_system_id, e.work_date.replace(day=1), e.work_date, e.flags)
        for e in WorkEntry.objects.filter(status=S.PENDING)
    }
    actual = set(PendingEntry.objects.values_list("entry_id", "competition_id", "business_system_id", "month",
                                                  "work_date", "flags"))
    assert actual == expected


@pytest.mark.django_db
def test_every_write_path_keeps_the_queue_table_exact(w, month):
    entries = enter(w, month, days=10)
    assert PendingEntry.objects.count() == 20
    assert_queue_matches_entries()

    rng = random.Random(7)
    for _ in range(40):
        entry = WorkEntry.objects.get(pk=rng.choice(entries).pk)
        move = rng.choice(["approve", "reject", "edit", "flag"])
        if move == "approve" and entry.status == S.PENDING:
            entry_transition(actor=w.reviewer, entry=entry, to_status=S.APPROVED)
        elif move == "reject" and entry.status in (S.PENDING, S.APPROVED):
            entry_transition(actor=w.reviewer, entry=entry, to_status=S.REJECTED, reason="请核对")
        elif move == "edit" and entry.status in (S.PENDING, S.REJECTED):
            # An edit may move the day; a rejected entry goes back to the queue.
            entry_update(actor=w.clerk, entry_id=entry.pk, quantity=str(rng.randint(1, 300)))
        elif move == "flag":
            WorkEntry.objects.filter(pk=entry.pk).update(flags=rng.choice([0, 1, 3]))
        assert_queue_matches_entries()

    # Bulk, set-based moves and raw SQL behave the same way.
    entries_transition(actor=w.reviewer, entries=WorkEntry.objects.all(), to_status=S.APPROVED)
    assert PendingEntry.objects.count() == 0
    with connection.cursor() as cursor:
        cursor.execute("UPDATE reviews_workentry SET status = 'pending', reviewed_by_id = NULL")
    assert_queue_matches_entries()
    assert PendingEntry.objects.count() == 20
    WorkEntry.objects.filter(pk=entries[0].pk).delete()
    assert_queue_matches_entries()


@pytest.mark.django_db
def test_approving_entries_far_apart_leaves_the_queue_rows_between_them(w, month):
    # The trigger looks for the moved entries' queue rows within the range of their ids: every row in between
    # that was not moved stays.
    entries = sorted(enter(w, month, days=5), key=lambda e: e.pk)
    ends = [entries[0].pk, entries[-1].pk]
    assert entries_transition(actor=w.reviewer, entries=WorkEntry.objects.filter(pk__in=ends),
                              to_status=S.APPROVED).moved == 2
    assert sorted(PendingEntry.objects.values_list("entry_id", flat=True)) == [e.pk for e in entries[1:-1]]
    assert_queue_matches_entries()


def enter_interleaved(w, months, days):
    """Entries of both business systems made day by day, so that their ids alternate: alice's (机务) and
    carol's (工务), on ``days`` days of each of ``months``."""
    made = []
    for first in months:
        for d in range(days):
            day = first + timedelta(days=d)
            made += entries_create(actor=w.clerk, competition=w.comp,
                                   rows=[EntryInput(w.alice.pk, w.km.pk, day, str(100 + d), row=1)]).created
            made += entries_create(actor=w.other_clerk, competition=w.comp,
                                   rows=[EntryInput(w.carol.pk, w.metres.pk, day, str(50 + d), row=1)]).created
    return made


@pytest.mark.django_db
@pytest.mark.parametrize("dense_range", [jobs.DENSE_RANGE, 1])
def test_a_months_approval_deletes_only_its_own_systems_queue_rows_among_others_of_the_same_ids(
        w, month, monkeypatch, dense_range):
    # The steps read the queue by (business system, competition, month, entry id) and the trigger deletes the
    # approved entries' rows the same way: the other system's rows with ids in between, and the system's rows
    # of the next month, stay. The month's entries are every other id of their range: the steps read them
    # through the entries' key (one in two is dense), or, told that only a range without gaps is, from the
    # queue rows.
    monkeypatch.setattr(jobs, "DENSE_RANGE", dense_range)
    following = (month + timedelta(days=32)).replace(day=1)
    made = enter_interleaved(w, [month, following], days=6)
    queue = WorkEntry.objects.filter(competition=w.comp, business_system=w.system, status=S.PENDING,
                                     work_date__gte=month, work_date__lt=following)
    with CaptureQueriesContext(connection) as queries:
        result = entries_approve_in_steps(actor=w.reviewer, entries=queue, system=w.system,
                                          progress=lambda *_: None, month=month, queue=(w.comp.pk, month))
    forms = step_forms(queries)
    assert forms and set(forms) == {"by the key" if dense_range != 1 else "from the queue"}
    approved = {e.pk for e in made if e.worker_id == w.alice.pk and e.work_date < following}
    assert result.moved == len(approved) == 6
    assert set(WorkEntry.objects.filter(status=S.APPROVED).values_list("pk", flat=True)) == approved
    assert set(PendingEntry.objects.values_list("entry_id", flat=True)) == {e.pk for e in made} - approved
    assert_queue_matches_entries()


@pytest.mark.django_db
def test_one_statement_moving_entries_of_two_systems_or_two_months_keeps_the_queue_exact(w, month):
    # Not all of one business system, competition and month: the trigger reads the queue's primary key range.
    following = (month + timedelta(days=32)).replace(day=1)
    made = enter_interleaved(w, [month, following], days=4)
    ordered = sorted(made, key=lambda e: e.pk)
    two_systems = [e.pk for e in ordered if e.work_date < following][1:4]  # alternating alice, carol
    assert {WorkEntry.objects.get(pk=pk).business_system_id for pk in two_systems} == {w.system.pk,
                                                                                       w.other_system.pk}
    assert entries_transition(actor=w.staff, entries=WorkEntry.objects.filter(pk__in=two_systems),
                              to_status=S.APPROVED, exclude_own=False).moved == 3
    assert_queue_matches_entries()
    two_months = [e.pk for e in ordered if e.worker_id == w.alice.pk][2:6]  # the month's last two days, the next's first two
    assert len({WorkEntry.objects.get(pk=pk).work_date.month for pk in two_months}) == 2
    moved = entries_transition(actor=w.staff, entries=WorkEntry.objects.filter(pk__in=two_months),
                               to_status=S.APPROVED, exclude_own=False).moved
    assert moved == len(set(two_months) - set(two_systems))
    assert_queue_matches_entries()
    assert PendingEntry.objects.count() == len(made) - 3 - moved


@pytest.mark.django_db
def test_the_flag_task_reorders_the_queue(w, month):
    enter(w, month, days=10)
    WorkEntry.objects.filter(worker=w.alice, work_date=month + timedelta(days=9)).update(quantity=5000)
    assert entries_flag(competition_id=w.comp.pk, business_system_id=w.system.pk, month=month) >= 1
    assert_queue_matches_entries()
    first = PendingEntry.objects.filter(business_system_id=w.system.pk, month=month) \
        .order_by("-flags", "work_date", "entry_id").first()
    assert first.flags and first.work_date == month + timedelta(days=9)


@pytest.mark.django_db
def test_sign_off_counts_pending_through_the_queue_table(w, month):
    from reviews.workflow import TransitionRefused

    entries = enter(w, month, days=3)
    entries_transition(actor=w.reviewer, entries=WorkEntry.objects.exclude(pk=entries[0].pk), to_status=S.APPROVED)
    with pytest.raises(TransitionRefused) as refused:
        period_sign_off(actor=w.reviewer, competition=w.comp, business_system=w.system, month=month)
    assert refused.value.code == "pending_left" and "1" in refused.value.message
    entry_transition(actor=w.reviewer, entry=entries[0], to_status=S.APPROVED)
    period = period_sign_off(actor=w.reviewer, competition=w.comp, business_system=w.system, month=month)
    assert {e.shown_status for e in WorkEntry.objects.with_month_lock()} == {S.LOCKED}
    period_reopen(actor=w.staff, period=period, reason="更正")
    assert PendingEntry.objects.count() == 0  # reopened entries are approved, not pending


def _indexed_columns(table):
    """Every column any index of ``table`` uses, in its key, its INCLUDE list or its predicate."""
    with connection.cursor() as cursor:
        cursor.execute("""
            SELECT DISTINCT a.attname
              FROM pg_index i
              JOIN pg_attribute a ON a.attrelid = i.indrelid
             WHERE i.indrelid = %s::regclass AND a.attnum > 0
               AND (a.attnum = ANY(i.indkey)
                    OR pg_get_expr(i.indpred, i.indrelid) ~ ('\\m' || a.attname || '\\M')
                    OR pg_get_expr(i.indexprs, i.indrelid) ~ ('\\m' || a.attname || '\\M'))
        """, [table])
        return {row[0] for row in cursor.fetchall()}


@pytest.mark.django_db
def test_no_index_on_entries_contains_a_column_a_review_changes():
    changed_by_reviews = {"status", "reviewed_by_id", "reviewed_at", "updated_at", "reject_reason", "flags"}
    assert not _indexed_columns("reviews_workentry") & changed_by_reviews
    # The table is partitioned by month: every partition, where the rows are, keeps the room for HOT updates.
    with connection.cursor() as cursor:
        cursor.execute("""SELECT c.reloptions FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
                          WHERE i.inhparent = 'reviews_workentry'::regclass""")
        options = [row[0] for row in cursor.fetchall()]
    assert options and all(f"fillfactor={FILLFACTOR}" in (o or []) for o in options)


@pytest.mark.django_db
def test_approving_and_locking_a_month_are_hot_updates(w, month):
    enter(w, month, days=20)

    def updates_of_entries():
        with connection.cursor() as cursor:
            # Counted per partition (the month's), where the rows are.
            cursor.execute("SELECT sum(n_tup_upd), sum(n_tup_hot_upd) FROM pg_stat_xact_user_tables s "
                           "JOIN pg_inherits i ON i.inhrelid = s.relid "
                           "WHERE i.inhparent = 'reviews_workentry'::regclass")
            return cursor.fetchone()

    before = updates_of_entries()
    entries_transition(actor=w.reviewer, entries=WorkEntry.objects.all(), to_status=S.APPROVED)
    updated, hot = (a - b for a, b in zip(updates_of_entries(), before, strict=True))
    # Without the free space or with status in an index, none would be. Every one is, although each new
    # version is wider than the row it replaces (reviewed_by and reviewed_at are set): see FILLFACTOR.
    assert updated == 40 and hot == 40


def approval_rows() -> dict[tuple[int, date], list]:
    """{(worker, run date): [first date, last date, sum, [(date, its approved thousandths)]]} of the approval
    log; a row's dates summed per date (a row may list a date more than once, in any order)."""
    from competitions.models import StandingApproval

    rows = {}
    for a in StandingApproval.objects.all():
        per_date = {}
        for day, score in zip(a.dates, a.approved_scores, strict=True):
            per_date[day] = per_date.get(day, 0) + score
        rows[a.worker_id, a.work_date] = [a.first_date, a.last_date, a.approved_score, sorted(per_date.items())]
    return rows


def approved(entries, worker, days) -> list:
    """[first date, last date, sum, [(date, thousandths)]] of ``worker``'s ``entries`` dated in ``days``."""
    own = sorted((e.work_date, int(e.points * 1000)) for e in entries if e.worker_id == worker.pk
                 and e.work_date in days)
    return [own[0][0], own[-1][0], sum(score for _day, score in own), own]


@pytest.mark.django_db
def test_approval_logs_one_approval_row_per_worker_and_sign_off_none(w, month):
    from competitions.models import StandingApproval, StandingDay, StandingDelta

    entries = enter(w, month, days=5)
    dates = [month + timedelta(days=d) for d in range(5)]
    # The latest stored standings day is the third: the approvals of the days up to it are taken in by
    # the next run, those of later days by the run of their day.
    StandingDay.objects.create(competition=w.comp, day=dates[2], rows=0, computed_at=timezone.now())
    deltas = StandingDelta.objects.count()
    entries_transition(actor=w.reviewer, entries=WorkEntry.objects.all(), to_status=S.APPROVED)
    # Approving changes only the approved split: no per-entry standings change, one approval row per
    # worker (and run date), with each date's approved points in thousandths and their sum.
    assert StandingDelta.objects.count() == deltas
    assert approval_rows() == {
        **{(x.pk, dates[2]): approved(entries, x, dates[:3]) for x in (w.alice, w.bob)},
        **{(x.pk, day): approved(entries, x, [day]) for x in (w.alice, w.bob) for day in dates[3:]},
    }

    approvals = StandingApproval.objects.count()
    period_sign_off(actor=w.reviewer, competition=w.comp, business_system=w.system, month=month)
    assert (StandingDelta.objects.count(), StandingApproval.objects.count()) == (deltas, approvals)


@pytest.mark.django_db(transaction=True)
def test_a_transactions_approvals_make_one_row_per_worker_and_another_transactions_its_own(w, month):
    from competitions.models import StandingApproval, StandingDay

    entries = enter(w, month, days=4)
    dates = [month + timedelta(days=d) for d in range(4)]
    StandingDay.objects.create(competition=w.comp, day=dates[-1], rows=0, computed_at=timezone.now())

    def approve_in_steps(days):  # as a month's approval job moves it, in one statement per range of ids
        entries_approve_in_steps(actor=w.reviewer, entries=WorkEntry.objects.filter(work_date__in=days),
                                 system=w.system, progress=lambda done, total: steps.append(done))

    steps = []

    approve_in_steps(dates[:2])
    assert len(steps) > 3  # several statements, merged into one row per worker
    first = approval_rows()
    assert first == {(x.pk, dates[-1]): approved(entries, x, dates[:2]) for x in (w.alice, w.bob)}
    approve_in_steps(dates[2:])
    # The second transaction's rows are its own; the first's stay as they were.
    for x in (w.alice, w.bob):
        rows = StandingApproval.objects.filter(worker_id=x.pk).order_by("pk")
        assert [[a.first_date, a.last_date, a.approved_score, sorted(zip(a.dates, a.approved_scores, strict=True))]
                for a in rows] == [first[x.pk, dates[-1]], approved(entries, x, dates[2:])]


@pytest.mark.django_db
def test_merging_a_transactions_approvals_keeps_each_dates_sum(w, month):
    from competitions.models import StandingApproval, StandingDay
    from reviews.entry_log import STATUS_MOVE, staged_approvals

    entries = enter(w, month, days=3)
    dates = [month + timedelta(days=d) for d in range(3)]
    StandingDay.objects.create(competition=w.comp, day=dates[-1], rows=0, computed_at=timezone.now())
    with staged_approvals():
        for e in entries:  # one statement per entry
            entries_transition(actor=w.reviewer, entries=WorkEntry.objects.filter(pk=e.pk), to_status=S.APPROVED)
        with connection.cursor() as cursor:  # Alice's first day back to pending, as a claimed status move
            cursor.execute("SELECT set_config(%s, 'approved>pending', true)", [STATUS_MOVE])
            cursor.execute("UPDATE reviews_workentry SET status = 'pending' WHERE worker_id = %s AND work_date = %s",
                           [w.alice.pk, month])
        assert staged() == 7 and not StandingApproval.objects.exists()
    assert StandingApproval.objects.count() == 2  # one row per worker
    rows = approval_rows()
    assert rows[w.bob.pk, dates[-1]] == approved(entries, w.bob, dates)
    first, last, total, per_date = rows[w.alice.pk, dates[-1]]
    assert (first, last, total) == (dates[0], dates[-1], sum(score for _day, score in per_date))
    assert per_date == [(dates[0], 0), *approved(entries, w.alice, dates[1:])[3]]


@pytest.mark.django_db
def test_merging_leaves_the_rows_dated_after_the_latest_stored_day_as_they_are(w, month):
    # A row dated after the latest stored day holds one worker's entries of that date: the merge leaves it
    # (and every row of a competition with no stored day), and merges the rows dated on the stored day.
    from competitions.models import StandingApproval, StandingDay
    from reviews.entry_log import staged_approvals

    entries = enter(w, month, days=4)
    dates = [month + timedelta(days=d) for d in range(4)]

    def approve_each(days):  # one statement per entry
        for e in entries:
            if e.work_date in days:
                entries_transition(actor=w.reviewer, entries=WorkEntry.objects.filter(pk=e.pk), to_status=S.APPROVED)

    with staged_approvals():
        approve_each(dates[:1])  # no stored day yet: one row per worker and date, as they are
    assert approval_rows() == {(x.pk, dates[0]): approved(entries, x, dates[:1]) for x in (w.alice, w.bob)}
    StandingApproval.objects.all().delete()

    StandingDay.objects.create(competition=w.comp, day=dates[2], rows=0, computed_at=timezone.now())
    with staged_approvals():
        approve_each(dates[1:])
        assert staged() == 6  # per worker: the second and third days on the stored day, the last its own
    assert StandingApproval.objects.count() == 4
    assert approval_rows() == {
        **{(x.pk, dates[2]): approved(entries, x, dates[1:3]) for x in (w.alice, w.bob)},
        **{(x.pk, dates[3]): approved(entries, x, dates[3:]) for x in (w.alice, w.bob)},
    }


MONTH_WRITE = "GROUP BY w.competition_id, w.worker_id\n"  # reviews.entry_log.WRITE_STAGED_BEFORE_DAY's grouping


@pytest.mark.django_db
@pytest.mark.parametrize("stored", ["the month's last day", "a later day", "a day of the month"])
def test_a_months_queue_approved_in_steps_logs_what_the_general_merge_logs(w, month, monkeypatch, stored):
    # given: a month of alice's and bob's pending entries, and a stored standings day on or after its last day
    # (the month's own write groups per worker, with the day as a value) or inside it (the general merge)
    from competitions.models import StandingDay
    from config.months import month_last_day

    monkeypatch.setattr(jobs, "APPROVE_CHUNKS", 3)
    entries = enter(w, month, days=6)
    last = month_last_day(month)
    day = {"the month's last day": last, "a later day": last + timedelta(days=4),
           "a day of the month": month + timedelta(days=2)}[stored]
    StandingDay.objects.create(competition=w.comp, day=day, rows=0, computed_at=timezone.now())
    dates = [month + timedelta(days=d) for d in range(6)]

    # when: its queue is approved in steps, as the portal's whole-month approval does
    with CaptureQueriesContext(connection) as queries:
        result = entries_approve_in_steps(actor=w.reviewer, entries=WorkEntry.objects.all(), system=w.system,
                                          progress=lambda done, total: None, month=month, queue=(w.comp.pk, month))

    # then: the rows the general merge writes for the same moves (test_merging_leaves_the_rows_dated_after_...):
    # one per worker on the stored day, and one per worker and later date
    assert (result.moved, result.skipped_own) == (12, 0)
    on_day = [d for d in dates if d <= day]
    assert approval_rows() == {
        **{(x.pk, day): approved(entries, x, on_day) for x in (w.alice, w.bob)},
        **{(x.pk, d): approved(entries, x, [d]) for x in (w.alice, w.bob) for d in dates if d > day},
    }
    assert any(MONTH_WRITE in q["sql"] for q in queries.captured_queries) == (day >= last)
    assert rows("SELECT to_regclass('pg_temp.approval_staging') IS NULL") == [(True,)]


@pytest.mark.django_db
def test_a_row_staged_outside_the_month_fails_the_months_write(w, month):
    # given: a month's staging, into which a row of another competition found its way
    from django.db import transaction

    from competitions.models import StandingApproval, StandingDay
    from config.months import month_bounds
    from reviews.entry_log import staged_approvals

    entries = enter(w, month, days=2)
    StandingDay.objects.create(competition=w.comp, day=month_bounds(month)[1], rows=0, computed_at=timezone.now())
    # when: the month is approved and the stray row staged with it
    with pytest.raises(RuntimeError, match="1 staged approval rows are not of competition"), transaction.atomic():
        with staged_approvals(within=(w.comp.pk, month)):
            entries_transition(actor=w.reviewer, entries=WorkEntry.objects.all(), to_status=S.APPROVED)
            with connection.cursor() as cursor:
                cursor.execute("INSERT INTO pg_temp.approval_staging VALUES (%s, %s, %s, 1000)",
                               [w.comp.pk + 1, w.alice.pk, month])
    # then: nothing was logged under the month's competition and the approvals rolled back with it
    assert not StandingApproval.objects.exists()
    assert {e.status for e in WorkEntry.objects.filter(pk__in=[e.pk for e in entries])} == {S.PENDING}


@pytest.mark.django_db
def test_an_edit_that_moves_the_day_moves_the_standings_change(w, month):
    from competitions.models import StandingDelta

    entry = enter(w, month, days=1)[0]
    before = StandingDelta.objects.count()
    entry_update(actor=w.clerk, entry_id=entry.pk, work_date=month + timedelta(days=3), quantity="50")
    logged = list(StandingDelta.objects.order_by("id")[before:].values_list("work_date", "quantity", "entries"))
    assert sorted(logged) == sorted([(month, -entry.quantity, -1), (month + timedelta(days=3), 50, 1)])


def staged() -> int:
    """The approval rows staged in the current transaction (reviews.entry_log.staged_approvals)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_temp.approval_staging")
        return cursor.fetchone()[0]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("dense_range", [jobs.DENSE_RANGE, 0], ids=["by the key", "from the queue"])
def test_a_clerks_edits_during_a_months_approval_wait_for_it_and_are_refused_as_approved(w, month, monkeypatch,
                                                                                        dense_range):
    # given: a month of alice's and bob's pending entries, approved in four steps (through the entries' key, or
    # from the queue rows); after the first step, the clerk edits a third of them, moving some to another day
    monkeypatch.setattr(jobs, "APPROVE_CHUNKS", 4)
    monkeypatch.setattr(jobs, "DENSE_RANGE", dense_range)
    following = (month + timedelta(days=32)).replace(day=1)
    made = sorted(enter(w, month, days=16), key=lambda e: e.pk)
    edited = [e.pk for e in made[::3]]
    first_step_done = threading.Event()
    outcomes, errors, refused = {}, [], []

    def progress(done, total):
        if done == total:
            outcomes["last step at"] = time.monotonic()  # before the job's commit
        if done and not first_step_done.is_set():
            first_step_done.set()
            time.sleep(0.5)  # the clerk's first edit is waiting by now

    def approve():
        try:
            queue = WorkEntry.objects.filter(competition=w.comp, business_system=w.system, status=S.PENDING,
                                             work_date__gte=month, work_date__lt=following)
            outcomes["moved"] = entries_approve_in_steps(actor=w.reviewer, entries=queue, system=w.system,
                                                         progress=progress, month=month,
                                                         queue=(w.comp.pk, month)).moved
        except Exception as exc:  # noqa: BLE001 - surfaced by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    def edit():
        try:
            first_step_done.wait(timeout=10)
            for n, pk in enumerate(edited):
                try:
                    entry_update(actor=w.clerk, entry_id=pk, quantity=str(200 + n),
                                 work_date=month + timedelta(days=20) if n % 2 else None)
                except EntryRejected as rejected:
                    refused.append((pk, rejected.first.code))
                outcomes.setdefault("first edit ended at", time.monotonic())
        except Exception as exc:  # noqa: BLE001 - surfaced by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=approve), threading.Thread(target=edit)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    # then: an edit takes the business system's lock, which the job holds to its end: each waited for the
    # whole month's approval and was then refused as approved, with its reason; nothing was half-written, and
    # the queue is exactly the pending entries (none)
    assert errors == []
    assert outcomes["first edit ended at"] > outcomes["last step at"]
    assert refused == [(pk, "entry_not_editable") for pk in edited]
    assert outcomes["moved"] == len(made)
    assert set(WorkEntry.objects.values_list("status", flat=True)) == {S.APPROVED}
    assert set(WorkEntry.objects.values_list("pk", "quantity", "work_date")) == {
        (e.pk, e.quantity, e.work_date) for e in made}
    assert_queue_matches_entries()
