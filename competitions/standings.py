"""Daily standings: the SQL that computes them, and the read paths the portal and the API use.

How a run works (competitions.services.standings_recompute drives it, under a lock, in one transaction):

* **Change log.** A trigger on reviews_workentry (reviews/sql/entry_log.sql) writes into
  StandingDelta what every insert, update or delete changes in the entries' contribution: quantity,
  points, approved points and the number of counted entries per (competition, worker, rule, work_date).
  Rejected entries count nothing, so a rejection logs the negative of what the entry counted, and a rule
  change that rewrites points logs the difference on the days it touched, and only those.
* **Base.** The cumulative points of every worker are carried from run to run in the day's standings
  rows themselves (Standing: points, approved points and ``entries``, the number of counted entries).
  The competition's latest succeeded run that consumed the change log records its day as ``totals_day``:
  its rows hold every counted entry dated up to that day, as of that run, and the change log holds
  everything that happened since. An incremental run for day D >= totals_day adds the deltas dated <= D
  to the base day's rows (one aggregate per worker over both; a worker whose counted entries drop to none
  leaves the standings) and deletes them; deltas dated after D stay for later. Its cost follows the
  number of workers and of changes since the last run, not the length of the competition.
  Why not "workers whose entries have updated_at after the last run": every worker gets new entries every
  day, so that re-reads each worker's whole history every night (cost grows with the competition), and an
  edit or rejection cannot be subtracted without the old row, which only the trigger sees.
  Cumulative quantity and points per rule are not carried: a worker's page reads them from their own
  entries (worker_rule_totals, one index scan of a few hundred rows), as of the standings day, so the run
  neither writes nor keeps ~356,000 per-rule rows (folding a night's deltas into them was a third of the
  nightly run).
* **Full.** A full run for D >= totals_day (a repair) drops the competition's deltas dated <= D and
  sums the entries dated <= D per worker, on one REPEATABLE READ snapshot so a delta committed meanwhile
  is neither lost nor counted twice. A run for a day older than totals_day is computed the same way from
  the entries (work_date <= D) but leaves the change log and totals_day alone.
* **Ranking.** One statement with window functions ranks every worker with counted entries into a temp table
  (in a full run the same statement also sums the entries, in parallel on PostgreSQL):
  overall, within the business system of the worker's job type, within the job type, and within the
  worker's depot (站段, Unit.depot; null for a worker not under a depot). Ranks are on the total points,
  i.e. approved plus still pending (rejected entries excluded): the portal shows a provisional ranking
  every day, and the approved part is stored next to it so people see how much of it is final. RANK():
  ties share a rank (1, 2, 2, 4); lists order ties by worker id.
* **Replace.** The ranked rows are written once: they are the day's history (my standing, my history)
  and its leaderboards (one index per scope). The ranking statement creates the day's partition of
  Standing itself (CREATE TABLE … AS), which is then indexed and swapped in for the day's previous
  partition. The day is recorded in
  StandingDay. All of it happens in the same transaction as the change log's deletion and the run
  record, so readers see the previous complete set until commit, a crashed run leaves nothing
  half-written, and running twice gives the same rows.
* **Months.** Once a month is over (and two days more), a monthly job merges its daily partitions into
  one (compact_month), so that "my history" over a year-long competition plans and locks ~12 + 31
  partitions instead of 365. A repair of a day of a merged month deletes and inserts the day's rows there.
"""

from __future__ import annotations

import re
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import NamedTuple

from django.db import connection
from django.db.models import Q, Subquery, Sum

from competitions.models import JobType, Standing, StandingDay, StandingDelta
from competitions.scopes import Scope
from config import cursors
from config.api import db
from config.months import month_bounds
from members.models import Unit, Worker
from reviews.models import EntryStatus, WorkEntry

STANDING = Standing._meta.db_table
DELTA = StandingDelta._meta.db_table
ENTRY = "reviews_workentry"
COUNTED = "e.status <> 'rejected'"
APPROVED_STATUSES = [EntryStatus.APPROVED, EntryStatus.LOCKED]
APPROVED = "e.status IN ({})".format(", ".join(f"'{status}'" for status in APPROVED_STATUSES))
APPROVED_POINTS = f"CASE WHEN {APPROVED} THEN e.points ELSE 0 END"


def _thousandths(expression: str) -> str:
    """A points value as an integer count of thousandths. Points have three decimals, so this is exact,
    and summing bigints costs a fraction of summing numerics: ~1 s less for a full run's ~9M entries."""
    return f"CAST({expression} * 1000 AS BIGINT)"


def _total(expression: str) -> str:
    """The SUM of bigint thousandths, as a bigint again. PostgreSQL's SUM(bigint) returns numeric (it adds
    in 128 bits and cannot know the total fits in 64), and every sort and window pass over the totals then
    compares numerics: 0.2-0.3 s of a nightly run at seed scale. A competition's total fits in a bigint
    with room to spare (9.2e15 points)."""
    return f"CAST(SUM({expression}) AS BIGINT)"


# Per-worker totals straight from the entries: a full run, and a run for a day older than the base.
WORKER_TOTALS_FROM_ENTRIES = f"""
    SELECT e.worker_id, {_total(_thousandths("e.points"))} AS score,
           COALESCE(CAST(SUM({_thousandths("e.points")}) FILTER (WHERE {APPROVED}) AS BIGINT), 0)
               AS approved_score,
           COUNT(*) AS entries
    FROM {ENTRY} e
    WHERE e.competition_id = %(competition)s AND e.work_date <= %(day)s AND {COUNTED}
    GROUP BY e.worker_id
"""

# An incremental run: the base day's rows plus the change log dated up to the day, per worker. A worker whose
# counted entries drop to none (all rejected or deleted) leaves the standings. When the base day is also the
# previous standings day (every night but a re-run), its ranks are the previous ranks.
# One aggregate over both, in worker order: the base rows and the log's rows are stacked and summed per
# worker in one sorted pass (GroupAggregate). Hashing ~223k groups of int128 sums, or summing the log first
# and FULL JOINing it to the base, took 0.65-0.7 s against 0.43 s at seed scale; the ORDER BY is what gets
# PostgreSQL to sort instead of hash.
WORKER_TOTALS_FROM_BASE = f"""
    SELECT worker_id, {_total("score")} AS score, {_total("approved_score")} AS approved_score,
           SUM(entries) AS entries{{previous_ranks}}
    FROM (
        SELECT worker_id, {_thousandths("points")} AS score, {_thousandths("approved_points")} AS approved_score,
               entries, rank_overall, rank_business_system, rank_job_type, rank_unit
        FROM {STANDING} WHERE competition_id = %(competition)s AND day = %(base_day)s
        UNION ALL
        SELECT worker_id, {_thousandths("points")}, {_thousandths("approved_points")}, entries,
               NULL, NULL, NULL, NULL
        FROM {DELTA} WHERE competition_id = %(competition)s AND work_date <= %(day)s
        ORDER BY worker_id
    ) AS u
    GROUP BY worker_id
    HAVING SUM(entries) <> 0
"""
BASE_RANKS = """,
           MAX(rank_overall) AS prev_overall, MAX(rank_business_system) AS prev_business_system,
           MAX(rank_job_type) AS prev_job_type, MAX(rank_unit) AS prev_unit"""
# Otherwise the previous day's ranks come from its rows.
WITH_PREVIOUS_RANKS = f"""
    SELECT t.worker_id, t.score, t.approved_score, t.entries,
           p.rank_overall AS prev_overall, p.rank_business_system AS prev_business_system,
           p.rank_job_type AS prev_job_type, p.rank_unit AS prev_unit
    FROM ({{totals}}) AS t
    LEFT JOIN {STANDING} p
           ON p.competition_id = %(competition)s AND p.day = %(previous_day)s AND p.worker_id = t.worker_id
"""

# Ranks all workers of one source. The RANK()s over a named window share one sort per scope. The gap to
# the next place up is the last row of the overall window's frame, which holds the totals at least one
# thousandth above the worker's (RANGE … 1 PRECEDING over integer thousandths): the next distinct total
# above, exact for ties too, computed in the same window pass as the overall rank (FIRST_VALUE over a
# GROUPS frame took a pass of its own, ~0.15 s at seed scale). The business-system rank is counted in
# that pass too when there are few business systems (see _business_system_rank). Everything up to the
# output is in integer thousandths (``score``): the same order and ties as the 3-decimal totals, and
# sorts and window passes over bigints are cheaper than over numerics. The window passes carry the whole
# row: ranking narrow rows and joining the wide columns back afterwards cost ~0.2 s more at seed scale.
RANKED = """
SELECT s.worker_id, w.employee_no, jt.business_system_id, w.job_type_id, u.depot_id,
       ROUND(s.score / 1000.0, 3) AS points, ROUND(s.approved_score / 1000.0, 3) AS approved_points,
       ROUND((s.score - s.approved_score) / 1000.0, 3) AS pending_points, s.entries,
       RANK() OVER overall AS rank_overall,
       {business_system_rank} AS rank_business_system,
       RANK() OVER job_type AS rank_job_type,
       CASE WHEN u.depot_id IS NULL THEN NULL ELSE RANK() OVER unit END AS rank_unit,
       s.prev_overall - RANK() OVER overall AS change_overall,
       s.prev_business_system - {business_system_rank} AS change_business_system,
       s.prev_job_type - RANK() OVER job_type AS change_job_type,
       s.prev_unit - RANK() OVER unit AS change_unit,
       ROUND(COALESCE(LAST_VALUE(s.score) OVER overall - s.score, 0) / 1000.0, 3) AS points_to_next
FROM ({source}) AS s
JOIN members_worker w ON w.id = s.worker_id
JOIN competitions_jobtype jt ON jt.id = w.job_type_id
JOIN members_unit u ON u.id = w.unit_id
WINDOW overall AS (ORDER BY s.score DESC RANGE BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING),
       business_system AS (PARTITION BY jt.business_system_id ORDER BY s.score DESC),
       job_type AS (PARTITION BY w.job_type_id ORDER BY s.score DESC),
       unit AS (PARTITION BY u.depot_id ORDER BY s.score DESC)
"""

# The columns of a day's rows, from the model, with their PostgreSQL types: a partition must have exactly
# the parent's columns and types (competitions/sql/standings_partitioned.sql), and NOT NULL where the parent has it.
COLUMNS = {f.column: f.db_type(connection) for f in Standing._meta.concrete_fields}
NULLABLE = {f.column for f in Standing._meta.concrete_fields if f.null}
# The run's constants, then the ranked rows.
VALUES = {"competition_id": "%(competition)s", "day": "%(day)s", "computed_at": "%(now)s"}


def _day_rows(typed: bool) -> str:
    """The day's rows, every column of Standing, from the ranking statement. ``typed``: cast to the
    partition's types (CREATE TABLE … AS takes the types of its SELECT)."""
    columns = []
    for name, type_ in COLUMNS.items():
        value = VALUES.get(name, f"r.{name}")
        columns.append(f"CAST({value} AS {type_}) AS {name}" if typed else value)
    return f"SELECT {', '.join(columns)} FROM ({{ranked}}) AS r"


# A day of a merged month: the day's rows are deleted and inserted (otherwise INSERT_DAY fills a new partition).
DELETE_DAY = f"DELETE FROM {STANDING} WHERE competition_id = %(competition)s AND day = %(day)s"
INSERT_DAY = f"INSERT INTO {{table}} ({', '.join(COLUMNS)}) {_day_rows(typed=False)}"
# One partition per (competition, day), written by the ranking statement, then indexed and
# swapped in (see _publish_partition). Its indexes are those of the partitioned parent (standings_partitioned.sql),
# which ATTACH adopts instead of building its own. A full run creates it from the statement, so that the
# entries are summed in parallel; an incremental run (nothing to parallelize) inserts into a copy of the
# parent's columns, which carries their NOT NULLs (no ALTER … SET NOT NULL and its scan).
CREATE_PARTITION = f"CREATE TABLE {{name}} AS {_day_rows(typed=True)}"
CREATE_EMPTY_PARTITION = f"CREATE TABLE {{name}} (LIKE {STANDING})"
SET_NOT_NULL = "ALTER TABLE {name} " + ", ".join(
    f"ALTER COLUMN {name} SET NOT NULL" for name in COLUMNS if name not in NULLABLE)
# A leaderboard page is one range scan of its scope's index, in the lists' order (rank, worker_id): the
# page's cursor is made of those two keys (config.cursors), never of an employee number.
PARTITION_INDEXES = [
    "worker_id",
    "rank_overall, worker_id",
    "business_system_id, rank_business_system, worker_id",
    "job_type_id, rank_job_type, worker_id",
    "depot_id, rank_unit, worker_id",
]
PARTITIONS = f"""
SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
WHERE i.inhparent = '{STANDING}'::regclass AND starts_with(c.relname, %(prefix)s)
"""
# How long the swap may wait for readers and other runs before the run fails (and the task retries).
# Replacing a day that already has a partition takes an ACCESS EXCLUSIVE lock on the table for the last
# milliseconds of the run: while it waits, new standings queries queue behind it, so keep this short.
SWAP_LOCK_TIMEOUT = "2s"

PREVIOUS_DAY = (f"SELECT MAX(day) FROM {StandingDay._meta.db_table} "
                "WHERE competition_id = %(competition)s AND day < %(day)s")

# The change log dated up to the day, once a run has read it. In the same transaction, and serialized by
# the competition's lock, this removes exactly the rows the run read: the run is REPEATABLE READ (one
# snapshot for both).
DELETE_DELTAS = f"DELETE FROM {DELTA} WHERE competition_id = %(competition)s AND work_date <= %(day)s"

# The benchmark's yardstick: the same per-worker totals (points, and the approved part of them) and four
# ranks straight from the raw entries, in one statement, without writing anything. The outer SUM of the
# approved points is there so that PostgreSQL computes them: it drops a subquery's unused aggregates, and
# without it the statement summed the points alone (~1.8 s less at seed scale, and not the same totals).
REFERENCE = f"""
SELECT COUNT(*), SUM(rank_overall + rank_business_system + rank_job_type + COALESCE(rank_unit, 0)),
       SUM(approved_points)
FROM (
    SELECT s.worker_id, s.approved_points,
           RANK() OVER (ORDER BY s.points DESC) AS rank_overall,
           RANK() OVER (PARTITION BY jt.business_system_id ORDER BY s.points DESC) AS rank_business_system,
           RANK() OVER (PARTITION BY w.job_type_id ORDER BY s.points DESC) AS rank_job_type,
           CASE WHEN u.depot_id IS NULL THEN NULL
                ELSE RANK() OVER (PARTITION BY u.depot_id ORDER BY s.points DESC) END AS rank_unit
    FROM (
        SELECT e.worker_id, SUM(e.points) AS points, SUM({APPROVED_POINTS}) AS approved_points
        FROM {ENTRY} e
        WHERE e.competition_id = %(competition)s AND e.work_date <= %(day)s AND {COUNTED}
        GROUP BY e.worker_id
    ) s
    JOIN members_worker w ON w.id = s.worker_id
    JOIN competitions_jobtype jt ON jt.id = w.job_type_id
    JOIN members_unit u ON u.id = w.unit_id
) ranked
"""
# The statement as the benchmark ran it until now, for comparison: in effect the points alone.
REFERENCE_POINTS_ONLY = REFERENCE.replace("s.worker_id, s.approved_points,", "s.worker_id,").replace(
    ",\n       SUM(approved_points)\n", "\n")


# A scope with this many groups or fewer is ranked by counting in the overall window pass instead of a
# pass of its own: one running count per group (9 business systems: ~0.2 s less at seed scale; 94 job
# types: ~0.3 s more).
COUNTED_SCOPE_MAX = 16
BUSINESS_SYSTEM_IDS = "SELECT DISTINCT business_system_id FROM competitions_jobtype ORDER BY 1"


def _business_system_rank() -> str:
    """The SQL of a worker's rank within their business system, for RANKED.

    Few business systems (the usual case: a railway has about ten): one plus the number of workers of the
    same business system with a higher total, i.e. RANK(), counted as they go by in the overall window
    pass, whose frame is exactly the workers with a higher total; one running count per business system,
    the worker's own picked by CASE. Otherwise a RANK() over a window partitioned by business system (one
    more sort of every worker). Read in the run's transaction, so the list is that of the ranking's snapshot.
    """
    with connection.cursor() as cursor:
        cursor.execute(BUSINESS_SYSTEM_IDS)
        ids = [int(row[0]) for row in cursor.fetchall()]
    if not ids or len(ids) > COUNTED_SCOPE_MAX:
        return "RANK() OVER business_system"
    counts = " ".join(f"WHEN {i} THEN COUNT(*) FILTER (WHERE jt.business_system_id = {i}) OVER overall" for i in ids)
    return f"(1 + CASE jt.business_system_id {counts} END)"


def _execute(sql: str, params: dict) -> int:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def _scalar(sql: str, params: dict):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()[0]


# --- Steps of a run (called by services.standings_recompute inside its transaction) ----------------


def delete_deltas(*, competition_id: int, day: date) -> int:
    """Drops the change log dated up to ``day`` (a run's standings include it); returns how many rows."""
    return _execute(DELETE_DELTAS, {"competition": competition_id, "day": day})


def replace_day(*, competition_id: int, day: date, now, base_day: date | None) -> int:
    """Replaces the (competition, day) standings; returns the number of rows written.

    With ``base_day`` (an incremental run) the totals are that day's standings plus the change log dated
    up to ``day``; without it they are summed from the entries dated up to ``day``. Deleting the change log
    the run consumed is the caller's (delete_deltas), after this.
    """
    params = {"competition": competition_id, "day": day, "now": now, "base_day": base_day}
    params["previous_day"] = _scalar(PREVIOUS_DAY, params)
    if base_day is None:
        source = WITH_PREVIOUS_RANKS.replace("{totals}", WORKER_TOTALS_FROM_ENTRIES)
    elif base_day == params["previous_day"]:
        source = WORKER_TOTALS_FROM_BASE.replace("{previous_ranks}", BASE_RANKS)
    else:  # a re-run of the base day itself, or a day after a gap
        source = WITH_PREVIOUS_RANKS.replace("{totals}", WORKER_TOTALS_FROM_BASE.replace("{previous_ranks}", ""))
    ranked = RANKED.replace("{source}", source).replace("{business_system_rank}", _business_system_rank())
    if _month_partition(competition_id, day) is None:
        written = _publish_partition(params, ranked, parallel=base_day is None)
    else:
        # A day of a month already merged into one partition (compact_month; a repair of an
        # old day): the day's rows are deleted and inserted, which maintains the month's indexes row by row.
        # Ranked into a temp table first: a re-run of the base day reads the rows it replaces.
        _execute("DROP TABLE IF EXISTS standings_new", {})
        with _hash_joins():
            _execute(f"CREATE TEMP TABLE standings_new AS {ranked}", params)
        _execute(DELETE_DAY, params)
        written = _execute(INSERT_DAY.replace("{table}", STANDING).replace("{ranked}", "SELECT * FROM standings_new"),
                           params)
        _execute("DROP TABLE standings_new", {})
    StandingDay.objects.update_or_create(competition_id=competition_id, day=day,
                                         defaults={"rows": written, "computed_at": now})
    return written


@contextmanager
def _hash_joins():
    """The ranking statement joins with hash joins only. The planner cannot know how many workers
    the per-worker totals hold (an aggregate over stacked rows, or over entries): it guesses ~200 and looks
    every worker, unit and job type, and the previous day's row, up one index probe at a time. Every run
    joins every worker, so hash joins are always right here: 0.1-0.3 s less a night at seed scale, and for a
    repair of a day of a merged month (previous ranks probed in the month's worker index, ~30 rows per
    worker) 13.6 s against 27 s. No reset on error: SET LOCAL ends with the failed transaction."""
    _execute("SET LOCAL enable_nestloop = off", {})
    yield
    _execute("SET LOCAL enable_nestloop = DEFAULT", {})


def _publish_partition(params: dict, ranked: str, *, parallel: bool) -> int:
    """Writes the day's partition from the ranking statement and swaps it in for the one it replaces.

    With ``parallel`` (a full run), CREATE TABLE … AS: PostgreSQL sums the entries in parallel under the
    ranking (an INSERT … SELECT never runs in parallel). Otherwise the rows are inserted into a new table
    with the parent's columns, and parallel plans are off: an incremental run's aggregate is under a hash
    join, which each parallel process would build in full. The indexes are built afterwards, in one
    sorted pass each (~0.1 s per index for 223k rows, against ~0.5 s to maintain one while inserting);
    then the day's old partition, if any, is detached and dropped and the new one attached. All of it is
    in the run's transaction: readers keep the old partition until commit, and a failed run leaves it in
    place.
    """
    competition_id, day = params["competition"], params["day"]
    prefix = f"{STANDING}_{int(competition_id)}_{day:%Y%m%d}_"
    name = prefix + uuid.uuid4().hex[:12]  # unique, also next to the partition it replaces
    with _hash_joins():
        if parallel:
            written = _execute(CREATE_PARTITION.replace("{name}", name).replace("{ranked}", ranked), params)
            _execute(SET_NOT_NULL.replace("{name}", name), {})
        else:
            _execute("SET LOCAL max_parallel_workers_per_gather = 0", {})
            _execute(CREATE_EMPTY_PARTITION.replace("{name}", name), {})
            written = _execute(INSERT_DAY.replace("{table}", name).replace("{ranked}", ranked), params)
            _execute("SET LOCAL max_parallel_workers_per_gather = DEFAULT", {})
    _create_indexes(name)
    # Statistics for the read paths, before anyone can read the partition; a coarse sample is plenty for
    # choosing a scope's index (a tenth of the default: 20 ms instead of 200).
    _execute("SET LOCAL default_statistics_target = 10", {})
    _execute(f"ANALYZE {name}", {})
    _execute("SET LOCAL default_statistics_target = DEFAULT", {})
    _swap(competition_id, old=_partitions(prefix), new=name, first=day, following=day + timedelta(days=1))
    return written


def _create_indexes(table: str) -> None:
    """The five indexes of every partition (those of the partitioned parent, which ATTACH adopts)."""
    for columns in PARTITION_INDEXES:
        _execute(f"CREATE INDEX ON {table} ({columns})", {})


def _swap(competition_id: int, *, old: list[str], new: str, first: date, following: date) -> None:
    """Detaches and drops the ``old`` partitions and attaches ``new`` for the days [first, following). The
    detach locks the parent until commit (readers queue behind it), so this is the run's last step, and
    it waits for readers and other runs at most SWAP_LOCK_TIMEOUT before the run fails."""
    _execute(f"SET LOCAL lock_timeout = '{SWAP_LOCK_TIMEOUT}'", {})
    for table in old:
        _execute(f"ALTER TABLE {STANDING} DETACH PARTITION {table}", {})
        _execute(f"DROP TABLE {table}", {})
    _execute(f"ALTER TABLE {STANDING} ATTACH PARTITION {new} FOR VALUES FROM ({int(competition_id)}, "
             f"'{first.isoformat()}') TO ({int(competition_id)}, '{following.isoformat()}')", {})
    _execute("SET LOCAL lock_timeout = DEFAULT", {})


# A finished month's days are merged into one partition (compact_month): "my history" then plans and locks
# one partition per month instead of one per day (a year: ~12 + 31 partitions instead of 365, each locked with
# its five indexes). Daily partitions are named <table>_<competition>_<yyyymmdd>_<suffix>, monthly ones
# <table>_<competition>_<yyyymm>m_<suffix> (see _month_partition).
DAY_PARTITION = re.compile(rf"^{STANDING}_\d+_\d{{8}}_[0-9a-z]+$")
# How far past a month's last day both the latest standings day and the base day of the next incremental run
# must be before the month is merged: a run reads its base day and the day before it through the day's
# indexes, which a month's partition has only with the other thirty days (see compactable_months).
COMPACT_AFTER = timedelta(days=2)


def _partitions(prefix: str) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(PARTITIONS, {"prefix": prefix})
        return sorted(row[0] for row in cursor.fetchall())


def _month_partition(competition_id: int, day: date) -> str | None:
    """PostgreSQL: the partition the day's month was merged into, if it was."""
    tables = _partitions(f"{STANDING}_{int(competition_id)}_{day:%Y%m}m_")
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
    for table in _partitions(f"{STANDING}_{int(competition_id)}_"):
        if DAY_PARTITION.match(table):
            day = date.fromisoformat(table.split("_")[-2])
            first, following = month_bounds(day)
            if following - timedelta(days=1) + COMPACT_AFTER <= horizon:
                months.add(first)
    return sorted(months)


def compact_month(*, competition_id: int, month: date) -> int:
    """Merges the daily partitions of the competition's ``month`` into one partition; returns how many days
    it merged (0 if none were left). The caller holds the competition's standings lock (no run writes a day
    meanwhile) and the transaction.

    The month's rows are copied into a new table (one day's partition after the other: an INSERT … SELECT
    is never parallel, and its Append scans them in order), which then gets the five indexes of every
    partition (ATTACH adopts them) and a CHECK constraint matching the month's bounds, so that ATTACH does
    not scan the table again under its lock. Then the daily partitions are detached and dropped and the month
    attached, in the caller's transaction: readers see the daily partitions until commit, and a failure
    leaves them in place. The rows are the same ones: the read paths filter on the day, through the same
    indexes, and "my history" probes the worker index once per month instead of once per day.
    """
    first, following = month_bounds(month)
    days = [t for t in _partitions(f"{STANDING}_{int(competition_id)}_{first:%Y%m}") if DAY_PARTITION.match(t)]
    if not days:
        return 0
    params = {"competition": competition_id, "first": first, "following": following}
    name = f"{STANDING}_{int(competition_id)}_{first:%Y%m}m_{uuid.uuid4().hex[:12]}"
    _execute(CREATE_EMPTY_PARTITION.replace("{name}", name), {})
    _execute(f"INSERT INTO {name} SELECT * FROM {STANDING} WHERE competition_id = %(competition)s "
             "AND day >= %(first)s AND day < %(following)s", params)
    _create_indexes(name)
    bounds = (f"competition_id = {int(competition_id)} AND day >= '{first.isoformat()}' "
              f"AND day < '{following.isoformat()}'")
    _execute(f"ALTER TABLE {name} ADD CONSTRAINT {name}_bounds CHECK ({bounds})", {})
    _execute(f"ANALYZE {name}", {})
    _swap(competition_id, old=days, new=name, first=first, following=following)
    return len(days)


def forget_competition(*, competition_id: int) -> None:
    """Removes a deleted competition's standings (called by services.competition_delete, in the deletion's
    transaction). Standing has no foreign keys, so no cascade reaches it: the competition's partitions are
    dropped. Entries and rules protect a competition, so this runs only once they are gone."""
    _execute(f"SET LOCAL lock_timeout = '{SWAP_LOCK_TIMEOUT}'", {})
    for table in _partitions(f"{STANDING}_{int(competition_id)}_"):
        _execute(f"DROP TABLE {table}", {})
    _execute("SET LOCAL lock_timeout = DEFAULT", {})


# --- Read paths ---------------------------------------------------------------------------------

# scope name -> (column holding the scope id, rank column)
SCOPES = {scope.value: (scope.column, scope.rank) for scope in Scope}


def latest_day(competition_id: int) -> date | None:
    """The latest day with standings (one probe of StandingDay's unique (competition, day), backwards)."""
    return (StandingDay.objects.filter(competition_id=competition_id).order_by("-day")
            .values_list("day", flat=True).first())


def worker_standing(*, competition_id: int, worker_id: int, day: date | None = None) -> Standing | None:
    """A worker's standing on ``day``, or on the latest standings day (None if not ranked that day).

    One query for a given day: the day's partition, one probe of its worker index. Without a day, the
    latest day is looked up first (one more query): with the day as a value, PostgreSQL plans the probe
    against that one partition, where a subquery would have it plan one per day of the competition.
    """
    if day is None:
        day = latest_day(competition_id)
        if day is None:
            return None
    return Standing.objects.filter(competition_id=competition_id, day=day, worker_id=worker_id).first()


def worker_history(*, competition_id: int, worker_id: int) -> list[Standing]:
    """One row per day, oldest first: the worker's trend over the competition.

    One query: a probe of the worker index of each of the competition's days (one partition per day on
    PostgreSQL, a few pages each).
    """
    return list(Standing.objects.filter(competition_id=competition_id, worker_id=worker_id).order_by("day"))


THOUSANDTH = Decimal("0.001")


@dataclass(frozen=True)
class RuleTotal:
    """A worker's cumulative quantity and points for one rule, as of a standings day."""

    rule_id: int
    metric: str
    unit_of_measure: str
    quantity: Decimal
    points: Decimal
    approved_points: Decimal

    @property
    def pending_points(self) -> Decimal:
        return self.points - self.approved_points


def worker_rule_totals(*, competition_id: int, worker_id: int, day: date | None = None) -> list[RuleTotal]:
    """Cumulative quantity and points per rule of the worker's counted entries dated up to ``day`` (by
    default the latest standings day, so they add up to the points of the standing shown next to them).

    One query: the worker's entries through the entries' worker index (a few hundred rows for a
    year-long competition), summed per rule; without ``day``, the latest day is a subquery (one backward
    probe of StandingDay's unique index). No standings yet, no totals.
    """
    if day is None:
        day = Subquery(StandingDay.objects.filter(competition_id=competition_id).order_by("-day").values("day")[:1])
    rows = (WorkEntry.objects.filter(competition_id=competition_id, worker_id=worker_id, work_date__lte=day)
            .exclude(status=EntryStatus.REJECTED)
            .values("rule_id", "rule__metric", "rule__unit_of_measure")
            .annotate(total_quantity=Sum("quantity"), total_points=Sum("points"),
                      total_approved=Sum("points", filter=Q(status__in=APPROVED_STATUSES), default=Decimal(0)))
            .order_by("rule_id"))
    # Quantized: three decimals as shown, whatever scale the sums carry.
    return [RuleTotal(rule_id=r["rule_id"], metric=r["rule__metric"], unit_of_measure=r["rule__unit_of_measure"],
                      quantity=r["total_quantity"].quantize(THOUSANDTH),
                      points=r["total_points"].quantize(THOUSANDTH),
                      approved_points=r["total_approved"].quantize(THOUSANDTH))
            for r in rows]


class Cursor(NamedTuple):
    """Where a leaderboard page ends: the next page starts after (rank, worker_id), the lists' order."""

    rank: int
    worker_id: int

    def encode(self, *, competition_id: int, scope: str, scope_id: int | None) -> str:
        """The cursor as it travels in a "next" link (config.cursors), valid only for this list."""
        return cursors.encode(_list_salt(competition_id, scope, scope_id), self.rank, self.worker_id)

    @classmethod
    def decode(cls, text: str, *, competition_id: int, scope: str, scope_id: int | None) -> Cursor:
        """A cursor of this list; config.cursors.InvalidCursor for anything else."""
        return cls(*cursors.decode(_list_salt(competition_id, scope, scope_id), text, int, int))


def _list_salt(competition_id: int, scope: str, scope_id: int | None) -> str:
    # The portal and the API page the same lists, so they share their cursors.
    return f"leaderboard:{competition_id}:{Scope(scope).value}:{scope_id or ''}"


class BoardRow(NamedTuple):
    """A row of a leaderboard or of "the places around me", as the portal and the API show it: the rank
    and its change in the list's scope, the worker's current name, depot (站段; None when not under one),
    team (their own unit) and job type. The name is the full one: who may see it is the caller's rule."""

    rank: int
    change: int | None
    worker_id: int
    name: str
    depot: str | None
    team: str
    job_type: str
    points: Decimal
    approved_points: Decimal


# The one leaderboard statement, per scope and bound (a plain page, the rows after a cursor, the rows
# before or from a worker's row): one range scan of the scope's index (PARTITION_INDEXES, in its order),
# joined to the page's workers. Rank bounds are index conditions; the OR only trims the ties on the
# bound's rank, so a page deep in the list costs what the first page costs. Sent as prepared statements
# (config.api.db): the ORM cost several times the query itself on this hot path. Name, depot, team and job
# type are the worker's current ones; a worker deleted since the run shows with an empty name.
_BOUNDS = {
    "first": ("", ""),
    "after": ("s.{rank} >= %(rank)s AND (s.{rank} > %(rank)s OR s.worker_id > %(worker)s)", ""),
    "from": ("s.{rank} >= %(rank)s AND (s.{rank} > %(rank)s OR s.worker_id >= %(worker)s)", ""),
    "before": ("s.{rank} <= %(rank)s AND (s.{rank} < %(rank)s OR s.worker_id < %(worker)s)", " DESC"),
    "worker": ("s.worker_id = %(worker)s", ""),
}


def _board_sql(scope: Scope, bound: str) -> str:
    where = ["s.competition_id = %(competition)s", "s.day = %(day)s"]
    if scope.column is not None and bound != "worker":
        where.append(f"s.{scope.column} = %(scope_id)s")
    condition, direction = _BOUNDS[bound]
    if condition:
        where.append(condition.format(rank=scope.rank))
    return f"""
SELECT s.{scope.rank}, s.{scope.change}, s.worker_id, COALESCE(w.name, ''), depot.name, COALESCE(unit.name, ''),
       COALESCE(jt.name, ''), s.points, s.approved_points
FROM {STANDING} s
LEFT JOIN {Worker._meta.db_table} w ON w.id = s.worker_id
LEFT JOIN {Unit._meta.db_table} unit ON unit.id = w.unit_id
LEFT JOIN {Unit._meta.db_table} depot ON depot.id = unit.depot_id
LEFT JOIN {JobType._meta.db_table} jt ON jt.id = w.job_type_id
WHERE {" AND ".join(where)}
ORDER BY s.{scope.rank}{direction}, s.worker_id{direction}
LIMIT %(limit)s
"""


BOARD_SQL = {(scope, bound): _board_sql(scope, bound) for scope in Scope for bound in _BOUNDS}


def _board(scope: Scope, bound: str, *, competition_id: int, day: date, scope_id: int | None, limit: int,
           rank: int | None = None, worker_id: int | None = None) -> list[BoardRow]:
    params = {"competition": competition_id, "day": day, "limit": limit}
    if scope.column is not None and bound != "worker":
        if scope_id is None:
            raise ValueError(f"scope {scope.value!r} needs an id")
        params["scope_id"] = scope_id
    if bound in ("after", "from", "before"):
        params["rank"] = rank
    if bound != "first":
        params["worker"] = worker_id
    return [BoardRow._make(row) for row in db.fetch_all(BOARD_SQL[scope, bound], params)]


def leaderboard(*, competition_id: int, day: date, scope: str = Scope.OVERALL, scope_id: int | None = None,
                after: Cursor | None = None, limit: int = 50) -> list[BoardRow]:
    """A page of a scope's list, ordered (rank, worker_id), keyset-paged: one query. ``day`` is a value,
    never a subquery: PostgreSQL then plans the query against that day's partition alone."""
    scope = Scope(scope)
    if after is None:
        return _board(scope, "first", competition_id=competition_id, day=day, scope_id=scope_id, limit=limit)
    return _board(scope, "after", competition_id=competition_id, day=day, scope_id=scope_id, limit=limit,
                  rank=after.rank, worker_id=after.worker_id)


def around_standing(me: Standing, *, scope: str = Scope.OVERALL, size: int = 10) -> list[BoardRow]:
    """"The ten places around me": up to ``size`` rows of the scope list of ``me`` (a worker's standing)
    centred on them. Two index queries whatever the depth: the rows just above (read backwards), then
    the worker's row and those below; a third near the bottom of the list."""
    scope = Scope(scope)
    my_rank = getattr(me, scope.rank)
    at = {"competition_id": me.competition_id, "day": me.day,
          "scope_id": getattr(me, scope.column) if scope.column else None}
    if my_rank is None:  # not ranked in this scope (no depot)
        return _board(scope, "worker", **at, limit=1, worker_id=me.worker_id)
    above_n = (size - 1) // 2
    above = _board(scope, "before", **at, limit=above_n, rank=my_rank, worker_id=me.worker_id)
    mine_and_below = _board(scope, "from", **at, limit=size - len(above), rank=my_rank, worker_id=me.worker_id)
    if len(above) + len(mine_and_below) < size and len(above) == above_n:
        # Near the bottom: show more rows above instead.
        above = _board(scope, "before", **at, limit=size - len(mine_and_below), rank=my_rank,
                       worker_id=me.worker_id)
    return [*reversed(above), *mine_and_below]


def around_worker(*, competition_id: int, worker_id: int, day: date | None = None, scope: str = Scope.OVERALL,
                  size: int = 10) -> list[BoardRow]:
    """around_standing for a worker: their standing first (and the latest day first without ``day``)."""
    me = worker_standing(competition_id=competition_id, worker_id=worker_id, day=day)
    return [] if me is None else around_standing(me, scope=scope, size=size)
