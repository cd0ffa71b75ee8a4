"""The two hottest reads of the API ("my standing", a leaderboard page) as single prepared SQL
statements returning plain rows (config.api.db).

They read what competitions.standings' read paths read (worker_standing, leaderboard), with the
same filters and order, and leave that module to the ranking code: the ORM costs several times the
query itself here (compiling the query, then one model instance per row with a converter per decimal
column), and a leaderboard page took a second query for the names. tests/api/test_standings_api.py
checks the two agree.
"""

from __future__ import annotations

from datetime import date

from competitions import standings
from competitions.models import JobType, RunOutcome, Standing, StandingRun
from config.api import db
from members.models import Unit, Worker

STANDING = Standing._meta.db_table

MY_STANDING_COLUMNS = ("day", "points", "approved_points", "pending_points",
                       "rank_overall", "rank_business_system", "rank_job_type", "rank_unit",
                       "change_overall", "change_business_system", "change_job_type", "change_unit",
                       "points_to_next", "computed_at")
MY_STANDING_SQL = f"""
SELECT {", ".join(MY_STANDING_COLUMNS)}
FROM {STANDING}
WHERE competition_id = %s AND day = %s AND worker_id = %s
"""


def my_standing(*, competition_id: int, worker_id: int, day: date) -> dict | None:
    """The worker's row on ``day`` as {column: value}, or None (one probe of the unique index)."""
    row = db.fetch_one(MY_STANDING_SQL, [competition_id, day, worker_id])
    return None if row is None else dict(zip(MY_STANDING_COLUMNS, row, strict=True))


def _leaderboard_sql(scope: str, after: bool) -> str:
    column, rank = standings.SCOPES[scope]
    change = rank.replace("rank_", "change_")
    where = ["s.competition_id = %(competition)s", "s.day = %(day)s"]
    if column is not None:
        where.append(f"s.{column} = %(scope_id)s")
    if after:
        # As standings.leaderboard: the rank bound is an index condition, the OR trims the ties shown.
        where.append(f"s.{rank} >= %(rank)s AND (s.{rank} > %(rank)s OR s.employee_no > %(employee_no)s)")
    # Name, depot and job type are the worker's current ones (as the page has always shown them); a
    # worker deleted since the run shows with an empty name.
    return f"""
SELECT s.{rank}, s.{change}, s.worker_id, s.employee_no, COALESCE(w.name, ''), depot.name,
       COALESCE(jt.name, ''), s.points, s.approved_points
FROM {STANDING} s
LEFT JOIN {Worker._meta.db_table} w ON w.id = s.worker_id
LEFT JOIN {Unit._meta.db_table} unit ON unit.id = w.unit_id
LEFT JOIN {Unit._meta.db_table} depot ON depot.id = unit.depot_id
LEFT JOIN {JobType._meta.db_table} jt ON jt.id = w.job_type_id
WHERE {" AND ".join(where)}
ORDER BY s.{rank}, s.employee_no
LIMIT %(limit)s
"""


LEADERBOARD_SQL = {(scope, after): _leaderboard_sql(scope, after) for scope in standings.SCOPES
                   for after in (False, True)}


def leaderboard(*, competition_id: int, day: date, scope: str, scope_id: int | None,
                after: standings.Cursor | None, limit: int) -> list[tuple]:
    """A page of a scope's list, ordered (rank, employee_no): rows of (rank, change, worker_id,
    employee_no, name, depot name, job type name, points, approved points). One index range scan
    joined to the page's workers."""
    params = {"competition": competition_id, "day": day, "scope_id": scope_id, "limit": limit}
    if after is not None:
        params.update(rank=after.rank, employee_no=after.employee_no)
    if standings.SCOPES[scope][0] is None:
        del params["scope_id"]
    return db.fetch_all(LEADERBOARD_SQL[scope, after is not None], params)


LATEST_RUN_SQL = f"""
SELECT id FROM {StandingRun._meta.db_table}
WHERE competition_id = %s AND outcome = '{RunOutcome.SUCCEEDED.value}'
ORDER BY started_at DESC, id DESC
LIMIT 1
"""


def latest_run_id(competition_id: int) -> int | None:
    """The competition's latest succeeded standings run: a new one means new standings rows (the
    version of every cached leaderboard page of the competition)."""
    row = db.fetch_one(LATEST_RUN_SQL, [competition_id])
    return None if row is None else row[0]
