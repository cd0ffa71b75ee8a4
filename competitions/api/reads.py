"""The API's hottest single-row reads ("my standing", the latest run) as prepared SQL statements
returning plain rows (config.api.db): the ORM costs several times the query itself here (compiling the
query, then a model instance with a converter per decimal column). "My standing" reads what
competitions.standings.worker_standing reads; leaderboard pages come from competitions.standings.
"""

from __future__ import annotations

from datetime import date

from django.db import router

from competitions.models import RunOutcome, Standing, StandingRun
from config.api import db

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
    row = db.fetch_one(MY_STANDING_SQL, [competition_id, day, worker_id], using=router.db_for_read(Standing))
    return None if row is None else dict(zip(MY_STANDING_COLUMNS, row, strict=True))


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
