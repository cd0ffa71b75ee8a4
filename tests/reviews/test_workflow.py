import threading
import time
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.utils import timezone

from members.models import Worker
from reviews.models import (
    Dispute,
    DisputeStatus,
    EntryEvent,
    EntryKind,
    EntryStatus,
    PeriodEvent,
    PeriodStatus,
    ReviewPeriod,
    WorkEntry,
)
from reviews.services import dispute_answer, dispute_open, entries_create, entry_adjust, entry_update
from reviews.validation import EntryInput, EntryRejected
from reviews.workflow import (
    TRANSITIONS,
    TransitionRefused,
    entries_transition,
    entry_transition,
    period_reopen,
    period_sign_off,
)
from tests.concurrency import in_thread, pause_after, race

S = EntryStatus


def enter(w, days=3, actor=None, first_day=None):
    first_day = first_day or w.first_day
    rows = [EntryInput(x.pk, w.km.pk, first_day + timedelta(days=d), str(100 + d), row=i)
            for i, (x, d) in enumerate(((x, d) for x in (w.alice, w.bob) for d in range(days)), 1)]
    return entries_create(actor=actor or w.clerk, competition=w.comp, rows=rows).created


@pytest.fixture(autouse=True)
def _month(w, today):
    # Work in last month, so that it can be signed off and every day is in the past.
    w.month = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
    w.first_day = w.month


def sign_off(w, actor=None):
    return period_sign_off(actor=actor or w.reviewer, competition=w.comp, business_system=w.system, month=w.month)


@pytest.mark.django_db
class TestMoves:
    def test_approve_reject_resubmit_and_approve_again(self, w):
        entry = enter(w, days=1)[0]
        entry = entry_transition(actor=w.reviewer, entry=entry, to_status=S.REJECTED, reason="公里数与台账不符")
        assert entry.status == S.REJECTED and entry.reject_reason == "公里数与台账不符"
        entry = entry_update(actor=w.clerk, entry_id=entry.pk, quantity="90")
        assert entry.status == S.PENDING and entry.reject_reason == ""
        entry = entry_transition(actor=w.reviewer, entry=entry, to_status=S.APPROVED)
        assert entry.status == S.APPROVED and entry.reviewed_by == w.reviewer
        actions = list(EntryEvent.objects.filter(entry=entry).values_list("action", flat=True))
        assert actions == ["created", "rejected", "edited", "resubmitted", "approved"]

    def test_the_entrys_clerk_corrects_it_after_the_worker_moved_to_another_depot(self, w):
        # given: one of alice's entries rejected, one approved; then alice moves to the other depot's clerk
        rejected, approved = enter(w, days=2)[:2]
        entry_transition(actor=w.reviewer, entry=rejected, to_status=S.REJECTED, reason="公里数与台账不符")
        entry_transition(actor=w.reviewer, entry=approved, to_status=S.APPROVED)
        Worker.objects.filter(pk=w.alice.pk).update(unit=w.other_depot)
        # when: the clerk who entered them corrects both
        edited = entry_update(actor=w.clerk, entry_id=rejected.pk, quantity="90")
        adjustment = entry_adjust(actor=w.clerk, entry_id=approved.pk, quantity_delta="-1", reason="多报1公里")
        # then: the edit is resubmitted, and the adjustment is filed with the entry it corrects, where this
        # clerk (not the other depot's, who cannot see the entry) follows it
        assert (edited.status, edited.quantity, edited.unit_id) == (S.PENDING, 90, w.workshop.pk)
        assert adjustment.unit_id == approved.unit_id == w.workshop.pk
        assert WorkEntry.objects.editable_by(w.clerk).filter(pk=adjustment.pk).exists()

    def test_rejecting_needs_a_reason(self, w):
        entry = enter(w, days=1)[0]
        with pytest.raises(TransitionRefused) as error:
            entry_transition(actor=w.reviewer, entry=entry, to_status=S.REJECTED, reason="  ")
        assert error.value.code == "reason_required"
        with pytest.raises(TransitionRefused) as error:  # a zero-width space and a byte order mark show nothing
            entry_transition(actor=w.reviewer, entry=entry, to_status=S.REJECTED, reason="\u200b \ufeff")
        assert error.value.code == "reason_required"

    @pytest.mark.parametrize(("start", "to"), [
        (start, to) for start in S.values for to in S.values if (start, to) not in TRANSITIONS
    ])
    def test_every_move_the_map_forbids_is_refused(self, w, start, to):
        entry = enter(w, days=1)[0]
        WorkEntry.objects.filter(pk=entry.pk).update(status=start, reject_reason="x")
        entry.refresh_from_db()
        with pytest.raises(TransitionRefused) as error:
            entry_transition(actor=w.reviewer, entry=entry, to_status=to, reason="r")
        assert error.value.code == "transition_forbidden"
        entry.refresh_from_db()
        assert entry.status == start

    def test_a_reviewer_never_approves_entries_they_entered_themselves(self, w):
        w.reviewer.clerk_units.add(w.depot)
        w.reviewer._portal_scope = None
        entry = enter(w, days=1, actor=w.reviewer)[0]
        with pytest.raises(TransitionRefused) as error:
            entry_transition(actor=w.reviewer, entry=entry, to_status=S.APPROVED)
        assert error.value.code == "self_review"
        result = entries_transition(actor=w.reviewer, entries=WorkEntry.objects.all(), to_status=S.APPROVED)
        assert (result.moved, result.skipped_own) == (0, 2)
        assert not WorkEntry.objects.filter(status=S.APPROVED).exists()

    def test_bulk_approval_leaves_one_audit_fact_per_entry(self, w):
        enter(w, days=10)
        result = entries_transition(actor=w.reviewer, entries=WorkEntry.objects.all(), to_status=S.APPROVED)
        assert result.moved == 20
        approved = EntryEvent.objects.filter(action="approved")
        assert approved.count() == 20
        assert set(approved.values_list("entry_id", flat=True)) == set(WorkEntry.objects.values_list("pk", flat=True))
        assert set(approved.values_list("actor_id", "from_status", "to_status")) == {
            (w.reviewer.pk, "pending", "approved")}


def alices_locked_entry(w) -> WorkEntry:
    """One day entered for alice and bob, approved and signed off: alice's entry (100 km), now locked."""
    enter(w, days=1)
    entries_transition(actor=w.reviewer, entries=WorkEntry.objects.all(), to_status=S.APPROVED)
    sign_off(w)
    return WorkEntry.objects.filter(worker=w.alice).get()


@pytest.mark.django_db
class TestSignOff:
    def test_sign_off_is_refused_while_anything_is_pending(self, w):
        enter(w, days=2)
        with pytest.raises(TransitionRefused) as error:
            sign_off(w)
        assert error.value.code == "pending_left" and "4" in error.value.message

    def test_sign_off_locks_approved_entries_and_a_locked_entry_cannot_be_changed_by_any_path(self, w):
        entries = enter(w, days=2)
        entry_transition(actor=w.reviewer, entry=entries[0], to_status=S.REJECTED, reason="重复")
        entries_transition(actor=w.reviewer, entries=WorkEntry.objects.filter(status=S.PENDING), to_status=S.APPROVED)
        period = sign_off(w)
        assert period.status == PeriodStatus.SIGNED_OFF
        assert WorkEntry.objects.in_shown_status([S.LOCKED]).count() == 3
        assert WorkEntry.objects.get(pk=entries[0].pk).status == S.REJECTED
        assert PeriodEvent.objects.get(action="signed_off").entries == 3

        locked = WorkEntry.objects.in_shown_status([S.LOCKED]).first()
        with pytest.raises(EntryRejected):
            entry_update(actor=w.clerk, entry_id=locked.pk, quantity="1")
        with pytest.raises(EntryRejected) as error:  # the rejected one cannot be resubmitted either
            entry_update(actor=w.clerk, entry_id=entries[0].pk, quantity="1")
        assert error.value.first.code == "month_locked"
        for to in (S.REJECTED, S.PENDING):
            with pytest.raises(TransitionRefused):
                entry_transition(actor=w.reviewer, entry=locked, to_status=to, reason="r")
        locked.refresh_from_db()
        assert locked.shown_status == S.LOCKED and locked.quantity == entries[1].quantity

    def test_only_union_staff_reopen_a_month_with_a_reason_and_it_is_audited(self, w):
        enter(w, days=1)
        entries_transition(actor=w.reviewer, entries=WorkEntry.objects.all(), to_status=S.APPROVED)
        period = sign_off(w)
        with pytest.raises(PermissionDenied):
            period_reopen(actor=w.reviewer, period=period, reason="x")
        with pytest.raises(TransitionRefused):
            period_reopen(actor=w.staff, period=period, reason="")
        period = period_reopen(actor=w.staff, period=period, reason="台账补录")
        assert period.status == PeriodStatus.OPEN
        assert set(WorkEntry.objects.values_list("status", flat=True)) == {S.APPROVED}
        # Audited once, for the month; each entry's history shows it (tests/reviews/test_entry_history.py).
        assert PeriodEvent.objects.filter(action="reopened", actor=w.staff, reason="台账补录", entries=2).exists()
        assert not EntryEvent.objects.filter(action__in=["locked", "reopened"]).exists()

    def test_a_reviewer_of_another_business_system_cannot_sign_off(self, w, f):
        outsider = f.reviewer(w.other_system)
        with pytest.raises(PermissionDenied):
            sign_off(w, actor=outsider)

    def test_a_rejected_entry_of_a_signed_off_month_is_neither_edited_nor_adjusted_and_the_clerk_is_told_why(self, w):
        enter(w, days=1)
        bobs = WorkEntry.objects.get(worker=w.bob)
        entries_transition(actor=w.reviewer, entries=WorkEntry.objects.filter(worker=w.alice), to_status=S.APPROVED)
        entry_transition(actor=w.reviewer, entry=bobs, to_status=S.REJECTED, reason="不符")
        sign_off(w)
        for change in (lambda: entry_update(actor=w.clerk, entry_id=bobs.pk, quantity="90"),
                       lambda: entry_adjust(actor=w.clerk, entry_id=bobs.pk, quantity_delta="5", reason="补录")):
            with pytest.raises(EntryRejected) as refused:
                change()
            assert refused.value.first.code == "month_locked", refused.value.first
        assert "解锁" in str(refused.value.first.message)

    def test_a_correction_after_sign_off_is_an_adjustment_reviewed_like_any_other(self, w):
        locked = alices_locked_entry(w)
        adjustment = entry_adjust(actor=w.clerk, entry_id=locked.pk, quantity_delta="-20", reason="里程核减")
        assert adjustment.kind == EntryKind.ADJUSTMENT and adjustment.adjusts_id == locked.pk
        assert adjustment.status == S.PENDING and adjustment.points < 0
        locked.refresh_from_db()
        assert locked.shown_status == S.LOCKED and locked.quantity == 100
        entry_transition(actor=w.reviewer, entry=adjustment, to_status=S.APPROVED)

    def test_adjustments_cannot_take_away_more_work_than_the_entry_and_its_adjustments_have(self, w):
        # given a locked entry of 100 km, already corrected by -30 (approved) and +10 (still pending)
        locked = alices_locked_entry(w)
        minus = entry_adjust(actor=w.clerk, entry_id=locked.pk, quantity_delta="-30", reason="核减")
        entry_transition(actor=w.reviewer, entry=minus, to_status=S.APPROVED)
        entry_adjust(actor=w.clerk, entry_id=locked.pk, quantity_delta="10", reason="补录")
        before = WorkEntry.objects.count()

        # when a clerk takes away more than the 70 km left (a typo of -99999, or -71: the pending +10 may yet
        # be rejected, so it does not count), or adjusts by nothing
        for delta, code in (("-99999", "adjustment_below_zero"), ("-71", "adjustment_below_zero"),
                            ("0", "adjustment_zero")):
            with pytest.raises(EntryRejected) as rejected:
                entry_adjust(actor=w.clerk, entry_id=locked.pk, quantity_delta=delta, reason="更正")
            # then it is refused with its reason, and nothing is written
            assert rejected.value.first.code == code
        with pytest.raises(EntryRejected) as rejected:  # adjusting the adjustment counts the same work
            entry_adjust(actor=w.clerk, entry_id=minus.pk, quantity_delta="-71", reason="更正")
        assert rejected.value.first.code == "adjustment_below_zero"
        assert WorkEntry.objects.count() == before
        # taking all of it away is allowed
        assert entry_adjust(actor=w.clerk, entry_id=minus.pk, quantity_delta="-70", reason="全部核减").quantity == -70

    def test_adjustments_cannot_take_a_days_work_past_the_metrics_daily_cap(self, w):
        # given 4 trips of a metric capped at 6 a day, approved, and a pending correction of +1
        day = w.first_day
        trip = entries_create(actor=w.clerk, competition=w.comp,
                              rows=[EntryInput(w.alice.pk, w.trips.pk, day, "4")]).created[0]
        entry_transition(actor=w.reviewer, entry=trip, to_status=S.APPROVED)
        plus = entry_adjust(actor=w.clerk, entry_id=trip.pk, quantity_delta="1", reason="补录")

        # when another correction would make that day 7 trips (each correction alone is under the cap)
        with pytest.raises(EntryRejected) as rejected:
            entry_adjust(actor=w.clerk, entry_id=trip.pk, quantity_delta="2", reason="补录")
        # then it is refused as a day over the cap, and one that reaches the cap is not
        assert rejected.value.first.code == "quantity_over_cap"
        assert entry_adjust(actor=w.clerk, entry_id=trip.pk, quantity_delta="1", reason="补录").quantity == 1
        assert plus.quantity == 1

    def test_an_entry_with_a_live_adjustment_is_rejected_only_with_it(self, w):
        # given alice's approved 100 km (an open month) and a pending correction taking all of it away
        entry = enter(w, days=1)[0]
        entry_transition(actor=w.reviewer, entry=entry, to_status=S.APPROVED)
        minus = entry_adjust(actor=w.clerk, entry_id=entry.pk, quantity_delta="-100", reason="重复录入")

        # when the reviewer rejects the entry alone, then it is refused (approving the correction later would
        # leave alice -100 km that day) and nothing moves
        for rejecting in (lambda: entry_transition(actor=w.reviewer, entry=entry, to_status=S.REJECTED, reason="不符"),
                          lambda: entries_transition(actor=w.reviewer, entries=WorkEntry.objects.filter(pk=entry.pk),
                                                     to_status=S.REJECTED, reason="不符")):
            with pytest.raises(TransitionRefused) as refused:
                rejecting()
            assert refused.value.code == "has_adjustments" and f"#{minus.pk}" in refused.value.message
        both = WorkEntry.objects.filter(pk__in=[entry.pk, minus.pk])
        assert dict(both.values_list("pk", "status")) == {entry.pk: S.APPROVED, minus.pk: S.PENDING}
        # rejected together they both go; a rejected correction no longer holds the entry
        entries_transition(actor=w.reviewer, entries=WorkEntry.objects.filter(pk__in=[entry.pk, minus.pk]),
                           to_status=S.REJECTED, reason="不符")
        assert set(both.values_list("status", flat=True)) == {S.REJECTED}

    def test_a_correction_rejected_first_frees_its_entry(self, w):
        entry = enter(w, days=1)[0]
        entry_transition(actor=w.reviewer, entry=entry, to_status=S.APPROVED)
        plus = entry_adjust(actor=w.clerk, entry_id=entry.pk, quantity_delta="5", reason="补录")
        entry_transition(actor=w.reviewer, entry=plus, to_status=S.REJECTED, reason="无依据")
        assert entry_transition(actor=w.reviewer, entry=entry, to_status=S.REJECTED, reason="不符").status == S.REJECTED


@pytest.mark.django_db(transaction=True)
def test_corrections_made_at_the_same_moment_never_take_a_day_below_zero(w):
    # given alice's approved 100 km, and this month's review period (where corrections land) already there
    entry = enter(w, days=1)[0]
    entry_transition(actor=w.reviewer, entry=entry, to_status=S.APPROVED)
    ReviewPeriod.objects.create(competition=w.comp, business_system=w.system, month=timezone.localdate().replace(day=1))

    # when six clerks' corrections of -60 km each arrive at once
    outcomes = race(*[lambda: entry_adjust(actor=w.clerk, entry_id=entry.pk, quantity_delta="-60", reason="核减")
                      for _ in range(6)])

    # then one is written and the others are refused as below zero, so approving all of them keeps the day >= 0
    made = [o for o in outcomes if isinstance(o, WorkEntry)]
    assert len(made) == 1, outcomes
    assert all(isinstance(o, EntryRejected) and o.first.code == "adjustment_below_zero"
               for o in outcomes if o not in made), outcomes
    entries_transition(actor=w.reviewer, entries=WorkEntry.objects.filter(adjusts=entry), to_status=S.APPROVED)
    day = WorkEntry.objects.filter(worker=w.alice).exclude(status=S.REJECTED).values_list("quantity", flat=True)
    assert sum(day) == 40


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_approvals_of_overlapping_entries_end_consistent(w):
    enter(w, days=30)
    ids = sorted(WorkEntry.objects.values_list("pk", flat=True))
    first_half, second_half = ids[:40], ids[20:]
    barrier = threading.Barrier(2)
    outcomes, errors = {}, []

    def approve(name, reviewer, chunk):
        try:
            barrier.wait()
            outcomes[name] = entries_transition(
                actor=reviewer, entries=WorkEntry.objects.filter(pk__in=chunk), to_status=S.APPROVED).moved
        except Exception as exc:  # noqa: BLE001 - surfaced by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=approve, args=("a", w.reviewer, first_half)),
               threading.Thread(target=approve, args=("b", w.other_reviewer, second_half))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert outcomes["a"] + outcomes["b"] == 60
    assert WorkEntry.objects.filter(status=S.APPROVED).count() == 60
    # Exactly one approval fact per entry, by whichever reviewer got there first.
    assert EntryEvent.objects.filter(action="approved").count() == 60
    assert EntryEvent.objects.filter(action="approved").values("entry_id").distinct().count() == 60


@pytest.mark.django_db
class TestDisputes:
    def test_a_dispute_goes_from_worker_to_clerk_and_back(self, w):
        entry = enter(w, days=1)[0]
        assert entry.worker == w.alice
        dispute = dispute_open(actor=w.alice_user, entry_id=entry.pk, work_date=None, comment="少记了50公里")
        assert Dispute.objects.visible_to(w.clerk).filter(pk=dispute.pk).exists()
        assert not Dispute.objects.visible_to(w.other_clerk).filter(pk=dispute.pk).exists()
        entry_update(actor=w.clerk, entry_id=entry.pk, quantity="150")
        dispute = dispute_answer(actor=w.clerk, dispute_id=dispute.pk, response="已按台账更正", corrected=True)
        mine = Dispute.objects.visible_to(w.alice_user).get()
        assert (mine.status, mine.response) == (DisputeStatus.CORRECTED, "已按台账更正")

    def test_a_worker_can_dispute_a_missing_day_but_not_someone_elses_entry(self, w):
        bobs = enter(w, days=1)[1]
        assert bobs.worker == w.bob
        with pytest.raises(WorkEntry.DoesNotExist):
            dispute_open(actor=w.alice_user, entry_id=bobs.pk, work_date=None, comment="?")
        dispute = dispute_open(actor=w.alice_user, work_date=w.first_day, comment="这天出乘了但没有记录")
        assert dispute.entry is None and dispute.unit == w.alice.unit

    def test_another_units_clerk_cannot_answer(self, w):
        dispute = dispute_open(actor=w.alice_user, work_date=w.first_day, comment="漏记")
        with pytest.raises(Dispute.DoesNotExist):
            dispute_answer(actor=w.other_clerk, dispute_id=dispute.pk, response="x", corrected=False)


@pytest.mark.django_db(transaction=True)
def test_the_same_dispute_sent_twice_at_once_is_opened_once(w, monkeypatch):
    # given: the first request has written its dispute and not yet committed
    entry = enter(w, days=1)[0]
    inside, release = pause_after(monkeypatch, Dispute.objects, "create")
    results = {}

    def send():
        return dispute_open(actor=w.alice_user, entry_id=entry.pk, work_date=None, comment="少记了50公里")

    first = in_thread(results, "first", send)
    assert inside.wait(20)
    # when: the second passes the check (it cannot see the first's row) and writes too
    second = in_thread(results, "second", send)
    time.sleep(0.5)
    release.set()
    first.join()
    second.join()
    # then: one open dispute; the second is told it is already being handled
    assert isinstance(results["first"], Dispute), results
    assert isinstance(results["second"], EntryRejected) and results["second"].first.code == "dispute_open", results
    assert Dispute.objects.filter(worker=w.alice, status=DisputeStatus.OPEN).count() == 1


@pytest.mark.django_db
def test_flags_mark_outliers_and_cap_streaks(w, f):
    from reviews import flags

    workers = [f.worker(w.depot, w.driver) for _ in range(4)]
    rows, n = [], 0
    for i, x in enumerate(workers):
        for d in range(4):
            n += 1
            qty = "1000" if (i == 0 and d == 0) else "100"
            rows.append(EntryInput(x.pk, w.km.pk, w.first_day + timedelta(days=d), qty, row=n))
    # Worker 1 is at the 6-trip cap three days running, worker 2 twice only.
    for d in range(3):
        n += 1
        rows.append(EntryInput(workers[1].pk, w.trips.pk, w.first_day + timedelta(days=d), "6", row=n))
    for d in (0, 1, 3):
        n += 1
        rows.append(EntryInput(workers[2].pk, w.trips.pk, w.first_day + timedelta(days=d), "6", row=n))
    w.clerk._portal_scope = None
    entries_create(actor=w.clerk, competition=w.comp, rows=rows)
    flags.entries_flag(competition_id=w.comp.pk, business_system_id=w.system.pk, month=w.month)
    flagged = {(e.worker_id, e.rule_id, e.work_date.day - 1): e.flags
               for e in WorkEntry.objects.exclude(flags=0)}
    assert flagged == {
        (workers[0].pk, w.km.pk, 0): 1,
        (workers[1].pk, w.trips.pk, 0): 2, (workers[1].pk, w.trips.pk, 1): 2, (workers[1].pk, w.trips.pk, 2): 2,
    }


@pytest.mark.django_db
def test_a_burst_of_writes_schedules_one_flag_recompute_per_month_and_the_task_releases_it(
        w, django_capture_on_commit_callbacks):
    from unittest import mock

    from django.core.cache import cache

    from reviews import tasks

    month = w.month.isoformat()
    key = tasks.flag_key(w.comp.pk, w.system.pk, month)
    cache.delete(key)
    with mock.patch.object(tasks.flag_entries, "apply_async") as queued:
        with django_capture_on_commit_callbacks(execute=True):
            enter(w, days=2)
        with django_capture_on_commit_callbacks(execute=True):
            enter(w, days=1, first_day=w.first_day + timedelta(days=5))
    assert queued.call_count == 1
    assert queued.call_args.kwargs == {"args": (w.comp.pk, w.system.pk, month),
                                       "countdown": tasks.FLAG_DELAY_SECONDS}
    # The task itself (run here in-process) frees the key so the next write schedules again.
    tasks.flag_entries.run(w.comp.pk, w.system.pk, month)
    assert cache.get(key) is None


@pytest.mark.django_db
def test_a_transition_of_an_empty_queryset_moves_nothing(w):
    enter(w, days=1)
    result = entries_transition(actor=w.reviewer, entries=WorkEntry.objects.none(), to_status=S.APPROVED)
    assert result.moved == 0
    assert not WorkEntry.objects.filter(status=S.APPROVED).exists()


@pytest.mark.django_db
def test_approving_or_rejecting_never_unlocks_a_signed_off_entry(w):
    entries = enter(w, days=2)
    entries_transition(actor=w.reviewer, entries=WorkEntry.objects.all(), to_status=S.APPROVED)
    sign_off(w)
    for to, reason in ((S.APPROVED, ""), (S.REJECTED, "再看看")):
        assert entries_transition(actor=w.other_reviewer, entries=WorkEntry.objects.all(), to_status=to,
                                  reason=reason).moved == 0
        with pytest.raises(TransitionRefused) as refused:
            entry_transition(actor=w.other_reviewer, entry=WorkEntry.objects.get(pk=entries[0].pk), to_status=to,
                             reason=reason)
        assert refused.value.code == "transition_forbidden"
    assert {e.shown_status for e in WorkEntry.objects.with_month_lock()} == {S.LOCKED}
