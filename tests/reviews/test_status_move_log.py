"""The review workflow's shortcut through the entries' log trigger (reviews/sql/entry_log.sql).

For its own UPDATEs the workflow tells the trigger "every row goes from status X to Y, nothing else
counted changes", and the trigger writes the approval queue and the standings change log from the new
rows alone instead of pairing old and new rows (a move between pending and approved goes to the approval
log, per worker). These tests hold the shortcut to exactly what the general path writes for the same
change, as the standings read it, and show that the claim can never describe another statement.
"""

from collections import defaultdict
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import IntegrityError, NotSupportedError, connection, transaction
from django.db.models import Max
from django.test.utils import CaptureQueriesContext

from competitions.models import StandingApproval, StandingDelta
from reviews import workflow
from reviews.entry_log import status_move_logs_nothing
from reviews.models import EntryStatus, PendingEntry, WorkEntry
from reviews.workflow import PERIOD_MOVES, TRANSITIONS, entries_transition, period_reopen, period_sign_off
from tests.competitions.standings_data import entry

S = EntryStatus

pytestmark = pytest.mark.django_db

DELTA = ("competition_id", "worker_id", "rule_id", "work_date", "quantity", "points", "approved_points", "entries")
QUEUE = ("entry_id", "competition_id", "business_system_id", "month", "work_date", "flags")


class Undo(Exception):  # noqa: N818
    pass


def deltas_since(last: int) -> list[tuple]:
    return sorted(StandingDelta.objects.filter(pk__gt=last).values_list(*DELTA))


def last_delta() -> int:
    return StandingDelta.objects.aggregate(m=Max("pk"))["m"] or 0


def last_approval() -> int:
    return StandingApproval.objects.aggregate(m=Max("pk"))["m"] or 0


def contributions_since(last: tuple[int, int]) -> list[tuple]:
    """What the standings read of both logs written after ``last`` (last_delta(), last_approval()): per
    (competition, worker, work date), the change of quantity, points, approved points and counted entries, the
    approval log's rows spread over their dates; the dates that change nothing left out."""
    summed = defaultdict(lambda: [Decimal(0), Decimal(0), Decimal(0), 0])
    for competition, worker, day, quantity, points, approved, entries in (
            StandingDelta.objects.filter(pk__gt=last[0]).values_list(
                "competition_id", "worker_id", "work_date", "quantity", "points", "approved_points", "entries")):
        total = summed[competition, worker, day]
        total[0] += quantity
        total[1] += points
        total[2] += approved
        total[3] += entries
    for row in StandingApproval.objects.filter(pk__gt=last[1]):
        for day, score in zip(row.dates, row.approved_scores, strict=True):
            summed[row.competition_id, row.worker_id, day][2] += Decimal(score) / 1000
    return sorted((*key, *total) for key, total in summed.items() if any(total))


def queue() -> set[tuple]:
    return set(PendingEntry.objects.values_list(*QUEUE))


def queue_from_entries() -> set[tuple]:
    return {(e.pk, e.competition_id, e.business_system_id, e.work_date.replace(day=1), e.work_date, e.flags)
            for e in WorkEntry.objects.filter(status=S.PENDING)}


def logged(change) -> tuple:
    """What ``change`` logs and leaves in the queue and the entries' statuses; then undone."""
    try:
        with transaction.atomic():
            last = last_delta(), last_approval()
            change()
            assert queue() == queue_from_entries()
            raise Undo(contributions_since(last), queue(), sorted(WorkEntry.objects.values_list("pk", "status")))
    except Undo as done:
        return done.args


def claim() -> str | None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('reviews.status_move', true)")
        return cursor.fetchone()[0]


@pytest.fixture
def month(today):
    return (today.replace(day=1) - timedelta(days=1)).replace(day=1)


@pytest.fixture
def entries(w, month):
    """Entries in every stored status, with positive, zero and fractional points, for two workers."""
    made = []
    for i, status in enumerate([S.PENDING, S.APPROVED, S.REJECTED] * 3):
        worker = (w.alice, w.bob)[i % 2]
        points = ["12.5", "0", "3"][i // 3]
        made.append(entry(w.comp, worker, w.km, month + timedelta(days=i), "40", points=points, status=status,
                          entered_by=w.clerk))
    return made


# Every move a review makes, by its target (rejecting moves from two sources at once).
MOVES = sorted({target for (source, target) in TRANSITIONS if (source, target) not in PERIOD_MOVES})


@pytest.mark.parametrize("target", MOVES)
def test_a_review_move_logs_exactly_what_pairing_old_and_new_rows_logs(w, entries, month, target):
    """Review moves through the trigger's shortcut log what the general path would."""
    sources = workflow.allowed_sources(target)

    def by_workflow():
        moved = entries_transition(actor=w.reviewer, entries=WorkEntry.objects.all(), to_status=target,
                                   reason="请核对").moved
        assert moved == 3 * len(sources)

    def by_plain_update():  # no claim: the trigger's general path
        with connection.cursor() as cursor:
            for source in sources:
                cursor.execute("UPDATE reviews_workentry SET status = %s, reject_reason = %s WHERE status = %s",
                               [target, "请核对" if target == S.REJECTED else "", source])

    fast, general = logged(by_workflow), logged(by_plain_update)
    assert fast == general
    assert fast[0]  # every review move logs
    # The trigger's three tests in Python say the same of every review move.
    assert not any(status_move_logs_nothing(source, target) for source in sources)


def test_a_months_sign_off_and_reopening_change_no_entry_and_log_nothing(w, entries, month):
    """Locked is the month's state (WorkEntry.shown_status): a sign-off and a reopening leave every entry row,
    the change log and the queue as they were, and the trigger would log nothing for approved <-> locked."""
    entries_transition(actor=w.reviewer, entries=WorkEntry.objects.filter(status=S.PENDING), to_status=S.APPROVED)
    rows = sorted(WorkEntry.objects.values_list("pk", "status", "updated_at", "reviewed_at"))
    last, approvals, waiting = last_delta(), last_approval(), queue()
    period = period_sign_off(actor=w.reviewer, competition=w.comp, business_system=w.system, month=month)
    assert WorkEntry.objects.in_shown_status([S.LOCKED]).count() == 6
    period_reopen(actor=w.staff, period=period, reason="核对")
    assert WorkEntry.objects.in_shown_status([S.LOCKED]).count() == 0
    assert sorted(WorkEntry.objects.values_list("pk", "status", "updated_at", "reviewed_at")) == rows
    assert deltas_since(last) == [] and last_approval() == approvals and queue() == waiting
    assert all(status_move_logs_nothing(source, target) for source, target in PERIOD_MOVES)


def test_a_later_statement_in_the_same_transaction_is_paired_as_usual(w, entries):
    pending = entries[0]
    with transaction.atomic():
        entries_transition(actor=w.reviewer, entries=WorkEntry.objects.filter(pk=pending.pk), to_status=S.APPROVED)
        assert claim() == ""
        last = last_delta()
        # Not a status move: a correction of the approved entry's quantity and points.
        WorkEntry.objects.filter(pk=pending.pk).update(quantity=Decimal("50"), points=Decimal("15"))
        assert deltas_since(last) == [(w.comp.pk, w.alice.pk, w.km.pk, pending.work_date, Decimal("10.000"),
                                       Decimal("2.500"), Decimal("2.500"), 0)]
        assert queue() == queue_from_entries()


def test_a_move_whose_statement_fails_leaves_no_claim_behind(w, entries, monkeypatch):
    pending = entries[0]
    # A rejection without a reason gets past the workflow's check and fails in the UPDATE itself
    # (the table's check constraint), after the claim was made.
    monkeypatch.setattr(workflow, "_check_reason", lambda to_status, reason: "")
    with transaction.atomic():
        with pytest.raises(IntegrityError):
            entries_transition(actor=w.reviewer, entries=WorkEntry.objects.filter(pk=pending.pk),
                               to_status=S.REJECTED)
        assert claim() in ("", None)
        last = last_delta()
        WorkEntry.objects.filter(pk=pending.pk).update(status=S.REJECTED, reject_reason="重复", quantity=Decimal("1"))
        # Rejected: everything it counted goes (at the old quantity and points), as pairing says.
        assert deltas_since(last) == [(w.comp.pk, w.alice.pk, w.km.pk, pending.work_date, Decimal("-40.000"),
                                       Decimal("-12.500"), Decimal("0.000"), -1)]
        assert queue() == queue_from_entries()


def test_the_trigger_drops_the_claim_whatever_statement_reads_it_first(w, entries, month):
    pending = entries[0]
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config('reviews.status_move', 'pending>approved', true)")
        # An insert comes first (any write path): the claim was not about it, and it is gone after it.
        entry(w.comp, w.carol, w.metres, month + timedelta(days=20), "8")
        assert claim() == ""
        last = last_delta()
        WorkEntry.objects.filter(pk=pending.pk).update(quantity=Decimal("44"), points=Decimal("13.5"))
        assert deltas_since(last) == [(w.comp.pk, w.alice.pk, w.km.pk, pending.work_date, Decimal("4.000"),
                                       Decimal("1.000"), Decimal("0.000"), 0)]
        assert queue() == queue_from_entries()


def test_a_claim_in_a_form_the_trigger_does_not_know_takes_the_general_path(w, entries):
    pending = entries[0]
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config('reviews.status_move', 'pending>approved;', true)")
        last = last_delta()
        WorkEntry.objects.filter(pk=pending.pk).update(quantity=Decimal("41"))
        assert deltas_since(last) == [(w.comp.pk, w.alice.pk, w.km.pk, pending.work_date, Decimal("1.000"),
                                       Decimal("0.000"), Decimal("0.000"), 0)]
        assert claim() == ""


# --- Statements naming a month's partition (reviews/sql/entry_log.sql's partition triggers) ----------------------

def partition_triggers(name: str) -> dict[str, tuple[bool, bool]]:
    """The triggers on ``name``: whether each keeps the old rows and the new rows."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT tgname, tgoldtable IS NOT NULL, tgnewtable IS NOT NULL FROM pg_trigger"
                       " WHERE tgrelid = to_regclass(%s) AND NOT tgisinternal", [name])
        return {row[0]: (row[1], row[2]) for row in cursor.fetchall()}


LOG_TRIGGERS = {"reviews_workentry_log_insert": (False, True), "reviews_workentry_log_update": (False, True),
                "reviews_workentry_log_delete": (True, False)}


def test_every_partition_carries_the_log_triggers_its_update_one_without_the_old_rows(w, month):
    from reviews.partitions import entry_partitions_ensure, partition_months, partition_name

    later = (month + timedelta(days=800)).replace(day=1)
    assert entry_partitions_ensure([later]) == [later]  # made now, as the nightly task makes them
    for made in partition_months():
        assert partition_triggers(partition_name(made)) == LOG_TRIGGERS, made


def test_a_months_approval_steps_name_the_partition_and_log_what_pairing_old_and_new_rows_logs(w, entries, month):
    """The job's steps go through the partition's trigger (new rows only) and log what the table's general path
    logs for the same move; the reviewer's own entry is left and counted."""
    from reviews.jobs import entries_approve_in_steps
    from reviews.partitions import partition_name
    from tests.reviews.test_pending_queue import step_forms

    own = entry(w.comp, w.bob, w.km, month + timedelta(days=12), "20", points="5", entered_by=w.reviewer)
    pending = WorkEntry.objects.filter(status=S.PENDING)

    def by_job():
        with CaptureQueriesContext(connection) as sent:
            result = entries_approve_in_steps(actor=w.reviewer, entries=pending, system=w.system,
                                              progress=lambda *_args: None, month=month, queue=(w.comp.pk, month))
        assert (result.moved, result.skipped_own) == (3, 1)
        steps = [q["sql"] for q in sent if q["sql"].lstrip().startswith("WITH moved AS (UPDATE")]
        assert steps and all(f'UPDATE "{partition_name(month)}" AS "reviews_workentry"' in s for s in steps)
        assert len(step_forms(sent)) == len(steps)  # each in one of the two forms

    def by_plain_update():
        with connection.cursor() as cursor:
            cursor.execute("UPDATE reviews_workentry SET status = 'approved' WHERE status = 'pending' AND id <> %s",
                           [own.pk])

    fast, general = logged(by_job), logged(by_plain_update)
    assert fast == general
    assert fast[0]  # the approved points moved
    assert (own.pk, S.PENDING) in fast[2]


def test_a_status_move_naming_a_partition_without_the_log_triggers_goes_through_the_table(w, entries, month):
    """A partition made by hand, without the log's triggers, is not named: the move goes through the table."""
    from reviews.jobs import entries_approve_in_steps
    from reviews.partitions import partition_name

    name = partition_name(month)
    with connection.cursor() as cursor:
        for trigger in LOG_TRIGGERS:
            cursor.execute(f'DROP TRIGGER {trigger} ON "{name}"')

    def by_job():
        with CaptureQueriesContext(connection) as sent:
            entries_approve_in_steps(actor=w.reviewer, entries=WorkEntry.objects.filter(status=S.PENDING),
                                     system=w.system, progress=lambda *_args: None, month=month,
                                     queue=(w.comp.pk, month))
        steps = [q["sql"] for q in sent if q["sql"].lstrip().startswith("WITH moved AS (UPDATE")]
        assert steps and all('UPDATE "reviews_workentry" SET' in s for s in steps)

    def by_plain_update():
        with connection.cursor() as cursor:
            cursor.execute("UPDATE reviews_workentry SET status = 'approved' WHERE status = 'pending'")

    assert logged(by_job) == logged(by_plain_update)


def test_any_other_update_naming_a_partition_is_refused_and_changes_nothing(w, entries, month):
    from reviews.partitions import partition_name

    before = sorted(WorkEntry.objects.values_list("pk", "status", "quantity", "points"))
    last, approvals, waiting = last_delta(), last_approval(), queue()
    for statement in (f'UPDATE "{partition_name(month)}" SET quantity = quantity + 1',
                      # a claim in a form the trigger does not take is no status move either
                      f'UPDATE "{partition_name(month)}" SET status = \'approved\' WHERE status = \'pending\''):
        with pytest.raises(NotSupportedError, match="must be a status move"), transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SELECT set_config('reviews.status_move', 'pending>approved;', true)")
                cursor.execute(statement)
    assert sorted(WorkEntry.objects.values_list("pk", "status", "quantity", "points")) == before
    assert (last_delta(), last_approval(), queue()) == (last, approvals, waiting)


def test_an_insert_and_a_delete_naming_a_partition_are_logged_as_through_the_table(w, month):
    from reviews.partitions import partition_name

    columns = ("competition_id", "worker_id", "rule_id", "work_date", "quantity", "points", "status", "kind", "note",
               "reject_reason", "source", "unit_id", "job_type_id", "business_system_id", "created_at", "updated_at")
    values = [w.comp.pk, w.alice.pk, w.km.pk, month + timedelta(days=3), Decimal(40), Decimal("12.5"), "pending",
              "regular", "", "", "import", w.depot.pk, w.driver.pk, w.system.pk, month, month]

    def write(table):
        def change():
            with connection.cursor() as cursor:
                # a partition has no identity of its own: the ids come from the table's sequence, as they do
                insert = (f'INSERT INTO "{table}" (id, {", ".join(columns)}) VALUES'
                          f" (nextval(pg_get_serial_sequence('reviews_workentry', 'id')), {', '.join(['%s'] * 16)})")
                cursor.execute(insert + " RETURNING id", values)
                (made,) = cursor.fetchone()
                assert queue() == queue_from_entries() and len(queue()) == 1
                cursor.execute(insert, [*values[:3], month + timedelta(days=4), *values[4:6], "approved", *values[7:]])
                cursor.execute(f'DELETE FROM "{table}" WHERE id = %s', [made])
        return change

    through_partition, through_table = logged(write(partition_name(month))), logged(write("reviews_workentry"))
    # the same contributions and queue (the entries' ids differ)
    assert through_partition[:2] == through_table[:2]
    assert through_partition[0] == [(w.comp.pk, w.alice.pk, month + timedelta(days=4), Decimal("40.000"),
                                     Decimal("12.500"), Decimal("12.500"), 1)]
