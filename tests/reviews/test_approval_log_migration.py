"""Migration 0009 (the trigger logs approvals per worker in the approval log) backward and forward on a
populated database: backward, the trigger logs an approval entry by entry in the change log again, as it
did; forward, per worker in the approval log; the entries are untouched either way."""

from datetime import date

import pytest

from competitions.models import StandingApproval, StandingDelta
from reviews.models import WorkEntry
from reviews.workflow import entries_transition
from tests.competitions.standings_data import entry
from tests.reviews.test_partition_migration import LATEST, migrate, rows

BEFORE = ("reviews", "0008_locked_is_the_months_state")


def entries():
    return rows("SELECT id, status, points, updated_at FROM reviews_workentry ORDER BY id")


@pytest.mark.django_db(transaction=True)
def test_approvals_are_logged_per_entry_before_and_per_worker_after(f):
    comp = f.competition(start=date(2026, 1, 1), end=date(2026, 12, 31))
    rule = f.rule(comp, f.job_type(f.business_system()))
    unit = f.unit(code="U1")
    workers = [f.worker(unit, rule.job_type, name=f"职工{i}") for i in range(2)]
    made = [entry(comp, w, rule, date(2026, 3, day), 10, status="pending") for w in workers for day in (2, 3, 4)]
    try:
        migrate(BEFORE)
        before = entries()
        deltas = StandingDelta.objects.count()
        entries_transition(actor=None, entries=WorkEntry.objects.filter(work_date=date(2026, 3, 2)),
                           to_status="approved", exclude_own=False)
        # One approved-points change per entry in the change log, nothing in the approval log.
        assert StandingDelta.objects.count() - deltas == 2
        assert not StandingApproval.objects.exists()
        assert [row for row in entries() if row[0] not in {e.pk for e in made if e.work_date.day == 2}] == [
            row for row in before if row[0] not in {e.pk for e in made if e.work_date.day == 2}]

        migrate(LATEST)
        deltas = StandingDelta.objects.count()
        entries_transition(actor=None, entries=WorkEntry.objects.filter(work_date__gt=date(2026, 3, 2)),
                           to_status="approved", exclude_own=False)
        assert StandingDelta.objects.count() == deltas
        # No standings stored: a row per worker and date, each of one date's approval.
        assert sorted(StandingApproval.objects.values_list("worker_id", "work_date", "approved_score")) == sorted(
            (w.pk, date(2026, 3, day), 10_000) for w in workers for day in (3, 4))
    finally:
        migrate(LATEST)
