"""Flags that put unusual entries first in the approval queue.

- OUTLIER: quantity more than three times the median of the same rule in the same month.
- CAP_STREAK: quantity at the rule's daily cap on three or more consecutive days.

Flags are stored on the entry (``WorkEntry.flags``) and recomputed set-based for one business
system's month after entries arrive (a Celery task scheduled on commit), so the queue's first page
is an index range scan instead of a median over 700,000 rows per page view.
"""

from __future__ import annotations

from datetime import date, timedelta

from django.db import connection, transaction
from django.utils import timezone

from config.months import month_last_day, month_of
from reviews.models import FlagsDue
from reviews.workflow import lock_systems

OUTLIER_FACTOR = 3
CAP_STREAK_DAYS = 3

_FLAG_SQL = """
WITH scope AS (
    SELECT e.id, e.worker_id, e.rule_id, e.work_date, e.quantity, e.status
      FROM reviews_workentry e
     WHERE e.competition_id = %(competition)s AND e.business_system_id = %(system)s
       AND e.work_date BETWEEN %(first)s AND %(last)s AND e.kind = 'regular'
), medians AS (
    SELECT rule_id, percentile_cont(0.5) WITHIN GROUP (ORDER BY quantity) AS median
      FROM scope WHERE status <> 'rejected' GROUP BY rule_id
), at_cap AS (
    SELECT s.id, s.worker_id, s.rule_id, s.work_date
      FROM scope s
      JOIN LATERAL (
            SELECT v.daily_cap FROM competitions_ruleversion v
             WHERE v.rule_id = s.rule_id AND v.effective_from <= s.work_date
             ORDER BY v.effective_from DESC LIMIT 1) v ON TRUE
     WHERE v.daily_cap IS NOT NULL AND s.quantity >= v.daily_cap
), islands AS (
    -- Consecutive days share (work_date - row_number), the classic gaps-and-islands trick.
    SELECT id, worker_id, rule_id,
           work_date - (ROW_NUMBER() OVER (PARTITION BY worker_id, rule_id ORDER BY work_date))::int AS island
      FROM at_cap
), streaks AS (
    SELECT id FROM (
        SELECT id, COUNT(*) OVER (PARTITION BY worker_id, rule_id, island) AS run FROM islands) r
     WHERE run >= %(streak)s
), computed AS (
    SELECT s.id,
           (CASE WHEN m.median > 0 AND s.quantity > %(factor)s * m.median THEN 1 ELSE 0 END)
         + (CASE WHEN st.id IS NOT NULL THEN 2 ELSE 0 END) AS flags
      FROM scope s
      LEFT JOIN medians m ON m.rule_id = s.rule_id
      LEFT JOIN streaks st ON st.id = s.id
)
UPDATE reviews_workentry e SET flags = c.flags
  FROM computed c
 WHERE e.id = c.id AND e.flags <> c.flags
"""


@transaction.atomic
def entries_flag(*, competition_id: int, business_system_id: int, month: date) -> int:
    """Recompute the flags of one business system's month. Returns how many entries changed.

    Flags are advisory and do not change points or status, so ``updated_at`` is left alone (the
    standings need not look at these rows again).
    """
    first, last = month_of(month), month_last_day(month)
    lock_systems([business_system_id])  # the same order as reviewers' transitions: no deadlock with them
    with connection.cursor() as cursor:
        cursor.execute(_FLAG_SQL, {"competition": competition_id, "system": business_system_id, "first": first,
                                   "last": last, "factor": OUTLIER_FACTOR, "streak": CAP_STREAK_DAYS})
        return cursor.rowcount


# How long a month may wait for its scheduled recompute before the sweep does it: the scheduled task
# runs a minute after the write (reviews.tasks.FLAG_DELAY_SECONDS), so a row older than this was
# never sent or never ran.
SWEEP_AFTER = timedelta(minutes=5)


def flags_due(touched) -> None:
    """Inside the writing transaction: mark the (competition, business system, month) triples it touches
    as needing a recompute (see FlagsDue)."""
    FlagsDue.objects.bulk_create([FlagsDue(competition_id=c, business_system_id=s, month=m)
                                  for c, s, m in sorted(touched)])


@transaction.atomic
def flags_refresh(*, competition_id: int, business_system_id: int, month: date) -> int:
    """Recompute one month's flags and take its FlagsDue rows, in one transaction.

    The rows are deleted first: a DELETE takes only rows committed before it, so the recompute's
    statement, which starts after it, sees every entry those writes committed; a write still open
    keeps its row for the next recompute. If the recompute fails, the deletion rolls back with it.
    """
    FlagsDue.objects.filter(competition_id=competition_id, business_system_id=business_system_id,
                            month=month_of(month)).delete()
    return entries_flag(competition_id=competition_id, business_system_id=business_system_id, month=month)


def flags_sweep() -> int:
    """Recompute every month whose FlagsDue rows have waited longer than SWEEP_AFTER; returns how many
    months. Each month in a transaction of its own, so one failure does not undo the others' work."""
    overdue = (FlagsDue.objects.filter(created_at__lt=timezone.now() - SWEEP_AFTER)
               .values_list("competition_id", "business_system_id", "month").distinct())
    months = sorted(overdue)
    for competition_id, business_system_id, month in months:
        flags_refresh(competition_id=competition_id, business_system_id=business_system_id, month=month)
    return len(months)
