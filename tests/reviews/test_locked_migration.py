"""Migration 0008 on a populated database: the rows earlier sign-offs stored as "locked" become approved
(locked is now the month's state), nothing else changes, and backward they are locked again."""

from datetime import date

import pytest

from reviews.models import PeriodStatus
from tests.reviews.test_partition_migration import AFTER, LATEST, migrate, rows


def statuses():
    return rows("SELECT id, status, updated_at, reviewed_at FROM reviews_workentry ORDER BY id")


@pytest.mark.django_db(transaction=True)
def test_locked_rows_become_approved_and_come_back(f):
    comp = f.competition(start=date(2026, 1, 1), end=date(2026, 12, 31))
    system, other = f.business_system(), f.business_system()
    rule, other_rule = f.rule(comp, f.job_type(system)), f.rule(comp, f.job_type(other))
    unit = f.unit(code="U1")
    workers = [f.worker(unit, rule.job_type, name=f"职工{i}") for i in range(3)]
    others = [f.worker(unit, other_rule.job_type, name=f"其他{i}") for i in range(2)]
    try:
        migrate(AFTER)
        # February signed off for the first business system (its approved entries stored as locked, as the
        # sign-off wrote them then), not for the other; March open.
        f.review_period(competition=comp, business_system=system, month=date(2026, 2, 1),
                        status=PeriodStatus.SIGNED_OFF)
        common = ("competition_id, rule_id, quantity, points, note, reject_reason, source, flags, unit_id, "
                  "job_type_id, business_system_id, kind, created_at, updated_at, reviewed_at")
        for day, status, ws, r in [(date(2026, 2, 3), "locked", workers, rule),
                                   (date(2026, 2, 4), "rejected", workers[:1], rule),
                                   (date(2026, 2, 5), "approved", others, other_rule),
                                   (date(2026, 3, 2), "approved", workers, rule),
                                   (date(2026, 3, 3), "pending", workers, rule)]:
            for w in ws:
                rows(f"""INSERT INTO reviews_workentry (work_date, status, worker_id, {common})
                         VALUES (%s, %s, %s, %s, %s, 10, 10, '', %s, 'form', 0, %s, %s, %s, 'regular',
                                 '2026-03-05 10:00+08', '2026-03-05 11:00+08', '2026-03-05 11:00+08')""",
                     [day, status, w.pk, comp.pk, r.pk, "核减" if status == "rejected" else "", w.unit_id,
                      w.job_type_id, r.job_type.business_system_id])
        before = statuses()
        locked = {pk for pk, status, *_ in before if status == "locked"}
        assert len(locked) == 3

        migrate(LATEST)
        after = statuses()
        assert {pk for pk, status, *_ in after if status == "locked"} == set()
        # Only the locked rows changed, to approved; their timestamps are as they were.
        assert after == [(pk, "approved" if pk in locked else status, *rest) for pk, status, *rest in before]

        migrate(AFTER)
        assert statuses() == before
    finally:
        migrate(LATEST)
