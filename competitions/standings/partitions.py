"""The partitions of Standing: one per (competition, day), written by a run and swapped in for the day's
previous one; a finished month's days merged into one partition; a deleted competition's dropped.

Daily partitions are named <table>_<competition>_<yyyymmdd>_<suffix>, monthly ones
<table>_<competition>_<yyyymm>m_<suffix>. Every partition carries the indexes of the partitioned parent
(PARTITION_INDEXES, which standings_partitioned.sql is rendered from), so ATTACH adopts them instead of
building its own.
"""

from __future__ import annotations

import re
import uuid
from datetime import date, timedelta

from psycopg import sql

from competitions.models import StandingDay
from competitions.standings import database
from competitions.standings.ranking import COLUMNS, NULLABLE, PARAMS, STANDING, TABLES, day_rows, hash_joins, insert_day
from config.months import month_bounds

# A leaderboard page is one range scan of its scope's index, in the lists' order (rank, worker_id): the
# page's cursor is made of those two keys (config.cursors), never of an employee number. The first is
# "my history": one probe per partition. The names are the parent's (a partition's are PostgreSQL's own).
PARTITION_INDEXES = {
    "standing_worker": ("worker_id",),
    "standing_overall": ("rank_overall", "worker_id"),
    "standing_business_system": ("business_system_id", "rank_business_system", "worker_id"),
    "standing_job_type": ("job_type_id", "rank_job_type", "worker_id"),
    "standing_unit": ("depot_id", "rank_unit", "worker_id"),
}
PARTITIONS = sql.SQL("""
SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
WHERE i.inhparent = {standing}::regclass AND starts_with(c.relname, {prefix})
""").format(standing=sql.Literal(STANDING), prefix=sql.Placeholder("prefix"))
# How long the swap may wait for readers and other runs before the run fails (and the task retries).
# Replacing a day that already has a partition takes an ACCESS EXCLUSIVE lock on the table for the last
# milliseconds of the run: while it waits, new standings queries queue behind it, so keep this short.
SWAP_LOCK_TIMEOUT = "2s"
DAY_PARTITION = re.compile(rf"^{STANDING}_\d+_\d{{8}}_[0-9a-z]+$")
# How far past a month's last day both the latest standings day and the base day of the next incremental run
# must be before the month is merged: a run reads its base day and the day before it through the day's
# indexes, which a month's partition has only with the other thirty days (see compactable_months).
COMPACT_AFTER = timedelta(days=2)


def index_columns(columns: tuple[str, ...]) -> sql.Composable:
    return sql.SQL(", ").join(map(sql.Identifier, columns))


def create_partition(name: str, rows: sql.Composable) -> sql.Composed:
    """A full run's partition, created from the ranking statement: PostgreSQL then sums the entries in
    parallel under the ranking (an INSERT … SELECT never runs in parallel)."""
    return sql.SQL("CREATE TABLE {} AS {}").format(sql.Identifier(name), day_rows(rows, typed=True))


def set_not_null(name: str) -> sql.Composed:
    """CREATE TABLE … AS makes every column nullable; the parent's NOT NULLs, for ATTACH."""
    return sql.SQL("ALTER TABLE {} {}").format(sql.Identifier(name), sql.SQL(", ").join(
        sql.SQL("ALTER COLUMN {} SET NOT NULL").format(sql.Identifier(column))
        for column in COLUMNS if column not in NULLABLE))


def create_empty_partition(name: str) -> sql.Composed:
    """A copy of the parent's columns, which carries their NOT NULLs (no ALTER … SET NOT NULL and its scan)."""
    return sql.SQL("CREATE TABLE {} (LIKE {})").format(sql.Identifier(name), TABLES["standing"])


def create_indexes(table: str) -> None:
    """The five indexes of every partition (those of the partitioned parent, which ATTACH adopts)."""
    database.create_indexes(table, PARTITION_INDEXES.values())


def _analyze(table: str) -> None:
    database.execute(sql.SQL("ANALYZE {}").format(sql.Identifier(table)))


def publish_partition(params: dict, rows: sql.Composable, *, parallel: bool) -> int:
    """Writes the day's partition from the ranking statement (``rows``) and swaps it in for the one it
    replaces; returns the number of rows.

    With ``parallel`` (a full run), CREATE TABLE … AS: PostgreSQL sums the entries in parallel under the
    ranking. Otherwise the rows are inserted into a new table with the parent's columns, and parallel plans
    are off: an incremental run's aggregate is under a hash join, which each parallel process would build in
    full. The indexes are built afterwards, in one sorted pass each (cheaper than maintaining them while
    inserting); then the day's old partition, if any, is detached and dropped and the new one attached. All
    of it is in the run's transaction: readers keep the old partition until commit, and a failed run leaves
    it in place.
    """
    competition_id, day = params["competition"], params["day"]
    prefix = f"{STANDING}_{int(competition_id)}_{day:%Y%m%d}_"
    name = prefix + uuid.uuid4().hex[:12]  # unique, also next to the partition it replaces
    with hash_joins():
        if parallel:
            written = database.execute(create_partition(name, rows), params)
            database.execute(set_not_null(name))
        else:
            with database.local_setting("max_parallel_workers_per_gather", "0"):
                database.execute(create_empty_partition(name))
                written = database.execute(insert_day(name, rows), params)
    create_indexes(name)
    database.analyze_coarsely(name)  # for the read paths: which scope's index
    swap(competition_id, old=partitions(prefix), new=name, first=day, following=day + timedelta(days=1))
    return written


def swap(competition_id: int, *, old: list[str], new: str, first: date, following: date) -> None:
    """Detaches and drops the ``old`` partitions and attaches ``new`` for the days [first, following). The
    detach locks the parent until commit (readers queue behind it), so this is the run's last step, and
    it waits for readers and other runs at most SWAP_LOCK_TIMEOUT before the run fails."""
    competition = sql.Literal(int(competition_id))
    with database.local_setting("lock_timeout", SWAP_LOCK_TIMEOUT):
        for table in old:
            database.execute(sql.SQL("ALTER TABLE {} DETACH PARTITION {}").format(TABLES["standing"],
                                                                                   sql.Identifier(table)))
            database.execute(sql.SQL("DROP TABLE {}").format(sql.Identifier(table)))
        database.execute(sql.SQL("ALTER TABLE {} ATTACH PARTITION {} FOR VALUES FROM ({}, {}) TO ({}, {})").format(
            TABLES["standing"], sql.Identifier(new), competition, sql.Literal(first.isoformat()),
            competition, sql.Literal(following.isoformat())))


def partitions(prefix: str) -> list[str]:
    """The partitions whose names start with ``prefix``, sorted."""
    return sorted(database.column(PARTITIONS, {"prefix": prefix}))


def month_partition(competition_id: int, day: date) -> str | None:
    """The partition the day's month was merged into, if it was."""
    tables = partitions(f"{STANDING}_{int(competition_id)}_{day:%Y%m}m_")
    return tables[0] if tables else None


def compactable_months(*, competition_id: int, base_day: date | None) -> list[date]:
    """The first days of the competition's months whose days can be merged into one partition: still in
    daily partitions, and ended at least COMPACT_AFTER before both the latest standings day and the base day
    of the next incremental run (``base_day``; None: the next run sums the entries). So no run that can
    still come reads a merged day as its base or previous day, except a repair of an old day."""
    latest = (StandingDay.objects.filter(competition_id=competition_id).order_by("-day")
              .values_list("day", flat=True).first())
    if latest is None:
        return []
    horizon = min(latest, base_day) if base_day is not None else latest
    months = set()
    for table in partitions(f"{STANDING}_{int(competition_id)}_"):
        if DAY_PARTITION.match(table):
            day = date.fromisoformat(table.split("_")[-2])
            first, following = month_bounds(day)
            if following - timedelta(days=1) + COMPACT_AFTER <= horizon:
                months.add(first)
    return sorted(months)


def copy_month(name: str) -> sql.Composed:
    """The merged month's rows, one day's partition after the other (the Append scans them in order)."""
    return sql.SQL("INSERT INTO {} SELECT * FROM {} WHERE competition_id = {} AND day >= {} AND day < {}").format(
        sql.Identifier(name), TABLES["standing"], PARAMS["competition"], sql.Placeholder("first"),
        sql.Placeholder("following"))


def month_bounds_check(name: str, *, competition_id: int, first: date, following: date) -> sql.Composed:
    """The CHECK constraint matching the month's partition bounds, so that ATTACH does not scan the table
    again under its lock."""
    return sql.SQL("ALTER TABLE {} ADD CONSTRAINT {} CHECK (competition_id = {} AND day >= {} AND day < {})").format(
        sql.Identifier(name), sql.Identifier(f"{name}_bounds"), sql.Literal(int(competition_id)),
        sql.Literal(first.isoformat()), sql.Literal(following.isoformat()))


def compact_month(*, competition_id: int, month: date) -> int:
    """Merges the daily partitions of the competition's ``month`` into one partition; returns how many days
    it merged (0 if none were left). The caller holds the competition's standings lock (no run writes a day
    meanwhile) and the transaction.

    A finished month's days are merged so that "my history" plans and locks one partition per month instead
    of one per day (a year: ~12 + 31 partitions instead of 365, each locked with its five indexes). The
    month's rows are copied into a new table (an INSERT … SELECT is never parallel), which then gets the
    five indexes of every partition (ATTACH adopts them), a BRIN index on the day, and a CHECK constraint
    matching the month's bounds.
    Then the daily partitions are detached and dropped and the month attached, in the caller's transaction:
    readers see the daily partitions until commit, and a failure leaves them in place. The rows are the same
    ones: the read paths filter on the day, through the same indexes, and "my history" probes the worker
    index once per month instead of once per day.
    """
    first, following = month_bounds(month)
    days = [t for t in partitions(f"{STANDING}_{int(competition_id)}_{first:%Y%m}") if DAY_PARTITION.match(t)]
    if not days:
        return 0
    params = {"competition": competition_id, "first": first, "following": following}
    name = f"{STANDING}_{int(competition_id)}_{first:%Y%m}m_{uuid.uuid4().hex[:12]}"
    database.execute(create_empty_partition(name))
    database.execute(copy_month(name), params)
    create_indexes(name)
    # The days' rows lie one day after the other in the month's table (copy_month): a BRIN index on the day
    # (a few pages) lets a reader of one day, such as a period snapshot's bound, read that day's pages only
    # instead of the whole month. The partitioned parent has no such index: a daily partition is one day.
    database.execute(sql.SQL("CREATE INDEX ON {} USING brin (day)").format(sql.Identifier(name)))
    database.execute(month_bounds_check(name, competition_id=competition_id, first=first, following=following))
    _analyze(name)
    swap(competition_id, old=days, new=name, first=first, following=following)
    return len(days)


def forget_competition(*, competition_id: int) -> None:
    """Removes a deleted competition's standings (called by services.competition_delete, in the deletion's
    transaction). Standing has no foreign keys, so no cascade reaches it: the competition's partitions are
    dropped, its archived corrections, approval log (with its segments) and frozen month totals deleted and its period
    snapshots' partitions dropped. Entries and rules protect a competition, so this runs only once they are gone."""
    with database.local_setting("lock_timeout", SWAP_LOCK_TIMEOUT):
        for table in partitions(f"{STANDING}_{int(competition_id)}_"):
            database.execute(sql.SQL("DROP TABLE {}").format(sql.Identifier(table)))
    # The archived corrections have no foreign key either, nor the change logs (deleting the competition's
    # entries logged their removal), nor the period snapshots' rows. The approval log is found through its
    # segments (its only index is on the segment), then the segments go.
    database.execute(sql.SQL(
        "DELETE FROM {} WHERE segment_id = ANY(ARRAY(SELECT id FROM {} WHERE competition_id = {}))").format(
        TABLES["approval"], TABLES["approval_segment"], PARAMS["competition"]), {"competition": competition_id})
    for table in ("correction", "approval_segment", "delta"):
        database.execute(sql.SQL("DELETE FROM {} WHERE competition_id = {}").format(
            TABLES[table], PARAMS["competition"]), {"competition": competition_id})
    from competitions.standings.frozen import forget_competition_totals
    from competitions.standings.periods import forget_competition_snapshots

    forget_competition_totals(competition_id=competition_id)
    forget_competition_snapshots(competition_id=competition_id)
