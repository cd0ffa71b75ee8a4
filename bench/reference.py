"""The standings benchmark's yardstick: the same per-worker totals (points, and the approved part of them) and
four ranks a run computes, straight from the raw entries, in one statement, without writing anything.

Imported once Django is set up (bench/standings.py); the tests check that it ranks as a run does.
"""

from __future__ import annotations

from psycopg import sql

from competitions.standings import database
from competitions.standings.ranking import APPROVED, COUNTED, PARAMS, TABLES

# With ``approved``, the outer SUM of the approved points is there so that PostgreSQL computes them: it drops
# a subquery's unused aggregates, and without it the statement sums the points alone (less work, and not the
# same totals). Without: the statement as the benchmark first ran it, in effect the points alone.
_REFERENCE = """
SELECT COUNT(*), SUM(rank_overall + rank_business_system + rank_job_type + COALESCE(rank_unit, 0)){approved_sum}
FROM (
    SELECT s.worker_id,{approved_column}
           RANK() OVER (ORDER BY s.points DESC) AS rank_overall,
           RANK() OVER (PARTITION BY jt.business_system_id ORDER BY s.points DESC) AS rank_business_system,
           RANK() OVER (PARTITION BY w.job_type_id ORDER BY s.points DESC) AS rank_job_type,
           CASE WHEN u.depot_id IS NULL THEN NULL
                ELSE RANK() OVER (PARTITION BY u.depot_id ORDER BY s.points DESC) END AS rank_unit
    FROM (
        SELECT e.worker_id, SUM(e.points) AS points, SUM(CASE WHEN {approved} THEN e.points ELSE 0 END) AS approved_points
        FROM {entry} e
        WHERE e.competition_id = {competition} AND e.work_date <= {day} AND {counted}
        GROUP BY e.worker_id
    ) s
    JOIN {worker} w ON w.id = s.worker_id
    JOIN {job_type} jt ON jt.id = w.job_type_id
    JOIN {unit} u ON u.id = w.unit_id
) ranked
"""


def reference_statement(*, approved: bool = True) -> sql.Composed:
    return sql.SQL(_REFERENCE).format(
        **PARAMS, **TABLES, approved=APPROVED, counted=COUNTED,
        approved_sum=sql.SQL(",\n       SUM(approved_points)") if approved else sql.SQL(""),
        approved_column=sql.SQL(" s.approved_points,\n") if approved else sql.SQL("\n"))


def reference(*, approved: bool = True) -> str:
    """The statement as text, for ``cursor.execute`` with ``{"competition": …, "day": …}``."""
    return database.render(reference_statement(approved=approved))
