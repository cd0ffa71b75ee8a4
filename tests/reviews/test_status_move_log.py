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
from django.db import IntegrityError, connection, transaction
from django.db.models import Max

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
