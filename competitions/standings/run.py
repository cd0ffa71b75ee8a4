"""The steps of a run (services.standings_recompute calls them inside its transaction, under the lock)."""

from __future__ import annotations

from datetime import date

from psycopg import sql

from competitions.models import StandingDay
from competitions.standings import approvals, database, frozen, partitions, ranking


def delete_deltas(*, competition_id: int, day: date, run_id: int) -> int:
    """Drops the change log dated up to ``day`` (a run's standings include it) and takes in the approval
    log's rows dated up to it; returns how many rows. The change log's rows dated before ``day`` are
    archived as they are dropped (StandingCorrection, in the same statement: ranking.TAKE_DELTAS), as
    consumed by run ``run_id``; the approval log's rows stay where they are, their segments marked as
    consumed by the run (approvals.consume)."""
    params = {"competition": competition_id, "day": day, "run": run_id}
    return (database.scalar(ranking.TAKE_DELTAS, params)
            + approvals.consume(competition_id=competition_id, day=day, run_id=run_id))


def replace_day(*, competition_id: int, day: date, now, base_day: date | None, run_id: int | None = None,
                behind: date | None = None) -> int:
    """Replaces the (competition, day) standings; returns the number of rows written.

    With ``base_day`` (an incremental run) the totals are that day's standings plus the change log dated
    up to ``day``; without it they are summed from the entries dated up to ``day``. Deleting the change log
    the run consumed is the caller's (delete_deltas), after this. ``run_id``: the run consuming the change
    log (incremental, or full for a day at or after the base day), recorded as the day's log position.
    ``behind``: the base day, when ``day`` is older (a repair that leaves the change log alone): the totals
    are the entries minus the live change log, i.e. as of the run that stored the base day, whose position
    the day then records (see competitions.standings).
    """
    params = {"competition": competition_id, "day": day, "now": now, "base_day": base_day}
    params["previous_day"] = database.scalar(ranking.PREVIOUS_DAY, params)
    if behind is not None:
        run_id = database.scalar(ranking.DAY_RUN, {**params, "base_day": behind})
    months = frozen.for_day(competition_id=competition_id, day=day) if base_day is None else None
    if months is not None:
        params.update(months.params())
    source = ranking.totals(from_entries=base_day is None, base_is_previous_day=base_day == params["previous_day"],
                            behind_log=behind is not None, frozen=months is not None,
                            partial=bool(months and months.partial))
    ranked = ranking.ranked(source, ranking.business_system_rank(ranking.business_system_ids()))
    if partitions.month_partition(competition_id, day) is None:
        written = partitions.publish_partition(params, ranked, parallel=base_day is None)
    else:
        # A day of a month already merged into one partition (compact_month; a repair of an old day): the
        # day's rows are deleted and inserted, which maintains the month's indexes row by row. Ranked into
        # a temp table first: a re-run of the base day reads the rows it replaces.
        database.execute(sql.SQL("DROP TABLE IF EXISTS standings_new"))
        with ranking.hash_joins():
            database.execute(sql.SQL("CREATE TEMP TABLE standings_new AS {}").format(ranked), params)
        database.execute(ranking.DELETE_DAY, params)
        written = database.execute(ranking.insert_day(ranking.STANDING, sql.SQL("SELECT * FROM standings_new")),
                                   params)
        database.execute(sql.SQL("DROP TABLE standings_new"))
    StandingDay.objects.update_or_create(competition_id=competition_id, day=day,
                                         defaults={"rows": written, "computed_at": now, "run_id": run_id})
    return written
