"""How a standings run takes in the approval log (StandingApproval) without deleting or copying it: the log is
kept in segments (StandingApprovalSegment), and a run consumes whole segments by marking them with its id.

* **Close** (before the run's snapshot, in a transaction of its own): the competition's open segment is
  closed, after waiting for every transaction still writing approval rows of the competition (they hold the
  approval log's lock shared until they end: the entries' log trigger takes it). From then on no row is
  written into it: a later move opens a new segment. The run's snapshot, taken after, sees every row of the
  closed segments.
* **Consume** (in the run's transaction, after the ranking read the live segments' rows dated up to the
  day): the closed live segments are marked with the run's id. What the run read of the open segment
  (moves committed between the close and the snapshot) joins them, and their rows dated after the day (entries
  dated after it) go on waiting in a closed live segment of their own. A few segment rows are updated,
  whatever the number of approvals: a month's approval no longer costs the night after a delete and a copy
  of a row per worker (1.0-1.5 s at seed scale, a third of the night).

If the run fails, its closed segments stay live and the next run consumes them. The consumed segments are
the run's archive of approvals (competitions.standings.periods reads them for the days stored before it).
"""

from __future__ import annotations

from datetime import date

from django.db import transaction

from competitions.standings import database, ranking

# How long a run waits for the transactions still writing approvals of its competition before it fails (and
# the task retries later): a month's approval job takes seconds at seed scale and about a minute and a half
# at ten times it; a transaction left open for longer is not one the night should wait for.
CLOSE_LOCK_TIMEOUT = "5min"


def close(*, competition_id: int) -> None:
    """Closes the competition's open approval-log segment, once no transaction writes into it any more.
    Called under the competition's standings lock, before the run's snapshot (a transaction of its own when
    the caller is in none: the wait and the close are then over when the run starts)."""
    params = {"competition": competition_id}
    with transaction.atomic():
        with database.local_setting("lock_timeout", CLOSE_LOCK_TIMEOUT):
            database.execute(ranking.CLOSE_LOCK, params)
        database.execute(ranking.CLOSE_SEGMENT, params)


def consume(*, competition_id: int, day: date, run_id: int) -> int:
    """Makes the live segments' rows dated up to ``day`` (what the run read) the archive of run ``run_id``;
    returns how many rows it took in. In the run's transaction, on its snapshot."""
    params = {"competition": competition_id, "day": day, "run": run_id}
    segments = database.column(ranking.CONSUME_SEGMENTS, params)
    open_segment = database.scalar(ranking.OPEN_SEGMENT, params)
    if open_segment is not None and database.scalar(ranking.OPEN_TAKEN, {**params, "open": open_segment}):
        if not segments:
            segments = [database.scalar(ranking.NEW_SEGMENT, params)]
        database.execute(ranking.TAKE_OPEN, {**params, "segment": segments[0], "open": open_segment})
    if not segments:
        return 0
    params["segments"] = segments
    if database.scalar(ranking.ANY_LATER, params):
        waiting = database.scalar(ranking.NEW_SEGMENT, {**params, "run": None})
        database.execute(ranking.KEEP_LATER, {**params, "segment": waiting})
    return database.scalar(ranking.TAKEN, params)
