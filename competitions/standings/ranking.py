"""The ranking statement: per-worker totals (from the entries, or from a base day plus the change log),
ranked in every scope, and the statements that write the ranked rows as a day of Standing.

Composed with ``psycopg.sql``: tables and columns come from the models, statuses from EntryStatus, the run's
values are placeholders bound at execution. Each variant is rendered to a golden file under
``tests/competitions/golden/``, so a change to a statement shows as a diff there.
"""

from __future__ import annotations

from contextlib import contextmanager

from django.db import connection
from psycopg import sql

from competitions.locks import APPROVAL_LOG_LOCK_CLASS
from competitions.models import (
    JobType,
    SignedOffTotal,
    Standing,
    StandingApproval,
    StandingApprovalSegment,
    StandingCorrection,
    StandingDay,
    StandingDelta,
)
from competitions.standings import database
from members.models import Unit, Worker
from reviews.models import EntryStatus, WorkEntry

STANDING = Standing._meta.db_table
APPROVED_STATUSES = [EntryStatus.APPROVED, EntryStatus.LOCKED]

# The run's values, bound at execution (names of the ``params`` of replace_day).
PARAMS = {name: sql.Placeholder(name) for name in ("competition", "day", "base_day", "previous_day", "now", "run",
                                                   "open_from", "frozen_systems", "frozen_months", "partial_systems",
                                                   "partial_months")}
TABLES = {
    "standing": sql.Identifier(STANDING),
    "delta": sql.Identifier(StandingDelta._meta.db_table),
    "correction": sql.Identifier(StandingCorrection._meta.db_table),
    "approval": sql.Identifier(StandingApproval._meta.db_table),
    "approval_segment": sql.Identifier(StandingApprovalSegment._meta.db_table),
    "entry": sql.Identifier(WorkEntry._meta.db_table),
    "worker": sql.Identifier(Worker._meta.db_table),
    "unit": sql.Identifier(Unit._meta.db_table),
    "job_type": sql.Identifier(JobType._meta.db_table),
    "standing_day": sql.Identifier(StandingDay._meta.db_table),
    "signed_off_total": sql.Identifier(SignedOffTotal._meta.db_table),
}
COUNTED = sql.SQL("e.status <> {}").format(sql.Literal(EntryStatus.REJECTED.value))
APPROVED = sql.SQL("e.status IN ({})").format(
    sql.SQL(", ").join(sql.Literal(status.value) for status in APPROVED_STATUSES))


def _thousandths(expression: sql.Composable) -> sql.Composable:
    """A points value as an integer count of thousandths. Points have three decimals, so this is exact,
    and summing bigints is much cheaper than summing numerics."""
    return sql.SQL("CAST({} * 1000 AS BIGINT)").format(expression)


# The SUM of bigints as a bigint, added in 64 bits: the aggregate sum_int8 (competitions migration 0018,
# SFUNC int8pl; an error on overflow). PostgreSQL's SUM(bigint) adds in 128 bits and returns numeric (it
# cannot know the total fits in 64): every sort and window pass over such totals would compare numerics,
# and casting back to bigint still leaves each group a 128-bit state allocated apart. A period's totals
# (446,000 rows into 223,000 workers, four sums each) took 0.72-0.83 s that way, spilling the hash table
# to disk, and take 0.42 s with sum_int8; a full run's sum over 6.9 M entries 5.1-5.7 s, now 4.6 s. A
# competition's total fits in a bigint with room to spare (9.2e15 points).
SUM_INT8 = sql.SQL("sum_int8")


def points(thousandths: sql.Composable) -> sql.Composable:
    """SQL text of a points value (numeric, three decimals) from an integer count of thousandths: the
    product with 0.001, which is exact and has the scale 3 of its factor. ROUND(x / 1000.0, 3) gives the same
    values and scale, but a numeric division is dearer than a product: an ordinary night's ranking statement,
    with four of them per worker, took 1.60-1.66 s (median 1.61) against 1.61-1.71 s (median 1.64) with the
    division (223,000 workers; 7 runs each, interleaved, in psql)."""
    return sql.SQL("{} * 0.001").format(thousandths)


def total(expression: sql.Composable) -> sql.Composable:
    """The sum of ``expression`` (bigint or integer) as a bigint: sum_int8 (see SUM_INT8)."""
    return sql.SQL("{}({})").format(SUM_INT8, expression)


def _format(template: str, **values: sql.Composable) -> sql.Composed:
    return sql.SQL(template).format(**PARAMS, **TABLES, **values)


def approved_through(day: sql.Composable) -> sql.Composed:
    """The approved points (thousandths) of an approval-log row (StandingApproval, live or in a run's
    archive) dated up to ``day``: the whole row when its last date is, otherwise the
    sum of its array entries dated up to ``day`` (a row holds a worker's approvals of a transaction, which
    may straddle the day)."""
    return sql.SQL("CASE WHEN last_date <= {day} THEN approved_score ELSE (SELECT COALESCE({sum}(s), 0) FROM"
                   " unnest(dates, approved_scores) AS a (d, s) WHERE d <= {day}) END").format(day=day, sum=SUM_INT8)


# The approval log's live segments of the competition (StandingApprovalSegment: not yet consumed, open or
# closed), as an array: the rows are then read by the log's index on (segment, work_date), never by a scan of
# the whole log, which keeps every run's archive too.
LIVE_SEGMENTS = _format(
    "ARRAY(SELECT id FROM {approval_segment} WHERE competition_id = {competition} AND run_id IS NULL)")


# Per-worker totals straight from the entries: a full run, and a run for a day older than the base.
WORKER_TOTALS_FROM_ENTRIES = _format("""
    SELECT e.worker_id, {score} AS score,
           COALESCE(sum_int8({points}) FILTER (WHERE {approved}), 0)
               AS approved_score,
           COUNT(*) AS entries
    FROM {entry} e
    WHERE e.competition_id = {competition} AND e.work_date <= {day} AND {counted}
    GROUP BY e.worker_id
""", score=total(_thousandths(sql.SQL("e.points"))), points=_thousandths(sql.SQL("e.points")), approved=APPROVED,
    counted=COUNTED)

# The same when months are frozen (competitions.standings.frozen): the entries of the open months plus the
# frozen totals of the signed-off (business system, month) pairs that ended by the day; the frozen variables
# are bound per run (Frozen.params). The entries' date bound keeps the months before ``open_from`` (all of
# them signed off) out of the scan altogether. Only when a month from ``open_from`` on is signed off for some
# business systems and not others are its entries of those systems left out row by row (``partial``): the
# anti-join costs every scanned row a hash probe, so it is not there when nothing needs it.
# The entries and the frozen totals are stacked row by row and summed per worker once, as a period's totals
# are (competitions.standings.periods): PostgreSQL then scans the entries in parallel, each process summing
# its share before the final sum. Summed per worker in each branch first, the entries' aggregate was one
# process's (a Parallel Append runs a non-partial branch in one process): 2.14-2.28 s against 1.40-1.43 s
# for the totals of 2.46 M open entries and 267,713 frozen rows (223,000 workers; 4 runs each, interleaved).
_FROZEN_TOTALS = """
    SELECT worker_id, sum_int8(score) AS score, sum_int8(approved_score) AS approved_score,
           sum_int8(entries) AS entries
    FROM (
        SELECT e.worker_id, {points} AS score, CASE WHEN {approved} THEN {points} ELSE 0 END AS approved_score,
               CAST(1 AS BIGINT) AS entries
        FROM {entry} e
        WHERE e.competition_id = {competition} AND e.work_date <= {day} AND e.work_date >= {open_from}
          AND {counted}{partial}
        UNION ALL
        SELECT f.worker_id, {frozen_points}, {frozen_approved}, CAST(f.entries AS BIGINT)
        FROM {signed_off_total} f
        JOIN unnest(CAST({frozen_systems} AS bigint[]), CAST({frozen_months} AS date[])) AS p(system_id, month)
          ON f.business_system_id = p.system_id AND f.month = p.month
        WHERE f.competition_id = {competition}
    ) AS t
    GROUP BY worker_id
"""
# The month of a date without time zones: date_trunc on a date would go through timestamptz.
_PARTIAL = """
          AND NOT EXISTS (SELECT FROM unnest(CAST({systems} AS bigint[]), CAST({months} AS date[]))
                                      AS p(system_id, month)
                          WHERE p.system_id = e.business_system_id
                            AND p.month = CAST(date_trunc('month', CAST(e.work_date AS timestamp)) AS date))"""


def outside_months(systems: sql.Composable, months: sql.Composable) -> sql.Composed:
    """``AND`` the entry ``e`` is not of one of the (business system, month) pairs given as two arrays: the
    signed-off pairs among the months whose entries a run still scans (Frozen.partial)."""
    return sql.SQL(_PARTIAL).format(systems=systems, months=months)


def worker_totals_frozen(*, partial: bool) -> sql.Composed:
    return _format(_FROZEN_TOTALS, points=_thousandths(sql.SQL("e.points")), approved=APPROVED, counted=COUNTED,
                   frozen_points=_thousandths(sql.SQL("f.points")),
                   frozen_approved=_thousandths(sql.SQL("f.approved_points")),
                   partial=outside_months(PARAMS["partial_systems"], PARAMS["partial_months"]) if partial
                   else sql.SQL(""))


# An incremental run: the base day's rows plus the change log dated up to the day (and the approval log's
# rows a run of the day takes in: all of their dates are up to it), per worker. A worker whose
# counted entries drop to none (all rejected or deleted) leaves the standings. When the base day is also the
# previous standings day (every night but a re-run), its ranks are the previous ranks.
# One aggregate over both, in worker order: the base rows and the log's rows are stacked and summed per
# worker in one sorted pass (GroupAggregate). Hashing the groups' int128 sums, or summing the log first and
# FULL JOINing it to the base, was slower; the ORDER BY is what gets PostgreSQL to sort instead of hash.
# (With sum_int8 hashing costs the same as the sort: 227-252 ms against 229 ms for 223,000 workers.)
_TOTALS_FROM_BASE = """
    SELECT worker_id, {score} AS score, {approved_score} AS approved_score,
           SUM(entries) AS entries{previous_ranks}
    FROM (
        SELECT worker_id, {points} AS score, {approved_points} AS approved_score,
               entries, rank_overall, rank_business_system, rank_job_type, rank_unit
        FROM {standing} WHERE competition_id = {competition} AND day = {base_day}
        UNION ALL
        SELECT worker_id, {points}, {approved_points}, entries,
               NULL, NULL, NULL, NULL
        FROM {delta} WHERE competition_id = {competition} AND work_date <= {day}
        UNION ALL
        SELECT worker_id, 0, approved_score, 0, NULL, NULL, NULL, NULL
        FROM {approval} WHERE segment_id = ANY({live_segments}) AND work_date <= {day}
        ORDER BY worker_id
    ) AS u
    GROUP BY worker_id
    HAVING SUM(entries) <> 0
"""
BASE_RANKS = sql.SQL(""",
           MAX(rank_overall) AS prev_overall, MAX(rank_business_system) AS prev_business_system,
           MAX(rank_job_type) AS prev_job_type, MAX(rank_unit) AS prev_unit""")


def worker_totals_from_base(*, with_ranks: bool) -> sql.Composed:
    """The base day plus the change log; ``with_ranks``: the base day's ranks as the previous ranks."""
    return _format(_TOTALS_FROM_BASE, score=total(sql.SQL("score")), approved_score=total(sql.SQL("approved_score")),
                   points=_thousandths(sql.SQL("points")), approved_points=_thousandths(sql.SQL("approved_points")),
                   previous_ranks=BASE_RANKS if with_ranks else sql.SQL(""), live_segments=LIVE_SEGMENTS)


# A day older than the base day, as of the log position of the run that consumed the change log last: the
# entries dated up to the day, minus what the live change log (everything committed since that run) added
# to them (and the live approval log's approvals dated up to the day). Both on the run's one snapshot. The
# change logs stay (see competitions.standings).
_TOTALS_BEHIND_LOG = """
    SELECT worker_id, {score} AS score, {approved_score} AS approved_score, sum_int8(entries) AS entries
    FROM (
        {from_entries}
        UNION ALL
        SELECT worker_id, -{points}, -{approved_points}, -entries
        FROM {delta} WHERE competition_id = {competition} AND work_date <= {day}
        UNION ALL
        SELECT worker_id, 0, -{approved_through}, 0
        FROM {approval} WHERE segment_id = ANY({live_segments}) AND first_date <= {day}
    ) AS u
    GROUP BY worker_id
    HAVING sum_int8(entries) <> 0
"""


def _behind_log(from_entries: sql.Composable) -> sql.Composed:
    return _format(_TOTALS_BEHIND_LOG, score=total(sql.SQL("score")), approved_score=total(sql.SQL("approved_score")),
                   from_entries=from_entries, points=_thousandths(sql.SQL("points")),
                   approved_points=_thousandths(sql.SQL("approved_points")),
                   approved_through=approved_through(PARAMS["day"]), live_segments=LIVE_SEGMENTS)


WORKER_TOTALS_BEHIND_LOG = _behind_log(WORKER_TOTALS_FROM_ENTRIES)


def with_previous_ranks(totals: sql.Composable) -> sql.Composed:
    """Otherwise the previous day's ranks come from its rows."""
    return _format("""
    SELECT t.worker_id, t.score, t.approved_score, t.entries,
           p.rank_overall AS prev_overall, p.rank_business_system AS prev_business_system,
           p.rank_job_type AS prev_job_type, p.rank_unit AS prev_unit
    FROM ({totals}) AS t
    LEFT JOIN {standing} p
           ON p.competition_id = {competition} AND p.day = {previous_day} AND p.worker_id = t.worker_id
""", totals=totals)


def totals(*, from_entries: bool, base_is_previous_day: bool, behind_log: bool = False,
           frozen: bool = False, partial: bool = False) -> sql.Composed:
    """The per-worker totals a run ranks, with the previous day's ranks: from the entries (a full run; with
    ``behind_log``, minus the live change log: a day older than the base day; with ``frozen``, the
    signed-off months from their frozen totals, ``partial`` when some are among the open months); from the
    base day when it is the previous standings day (its ranks are the previous ranks); or from the base day
    joined to the previous day's rows (a re-run of the base day itself, or a day after a gap)."""
    if from_entries:
        if frozen:
            summed = worker_totals_frozen(partial=partial)
            return with_previous_ranks(_behind_log(summed) if behind_log else summed)
        return with_previous_ranks(WORKER_TOTALS_BEHIND_LOG if behind_log else WORKER_TOTALS_FROM_ENTRIES)
    if base_is_previous_day:
        return worker_totals_from_base(with_ranks=True)
    return with_previous_ranks(worker_totals_from_base(with_ranks=False))


# Ranks all workers of one source. The RANK()s over a named window share one sort per scope. The gap to
# the next place up is the last row of the overall window's frame, which holds the totals at least one
# thousandth above the worker's (RANGE … 1 PRECEDING over integer thousandths): the next distinct total
# above, exact for ties too, computed in the same window pass as the overall rank (FIRST_VALUE over a
# GROUPS frame took a pass of its own). The business-system rank is counted in that pass too when there
# are few business systems (see business_system_rank). Everything up to the output is in integer
# thousandths (``score``): the same order and ties as the 3-decimal totals, and sorts and window passes
# over bigints are cheaper than over numerics. The window passes carry the whole row: ranking narrow rows
# and joining the wide columns back afterwards was slower.
_RANKED = """
SELECT s.worker_id, w.employee_no, jt.business_system_id, w.job_type_id, u.depot_id,{extra}
       {points} AS points, {approved_points} AS approved_points, {pending_points} AS pending_points, s.entries,
       RANK() OVER overall AS rank_overall,
       {business_system_rank} AS rank_business_system,
       RANK() OVER job_type AS rank_job_type,
       CASE WHEN u.depot_id IS NULL THEN NULL ELSE RANK() OVER unit END AS rank_unit,
       s.prev_overall - RANK() OVER overall AS change_overall,
       s.prev_business_system - {business_system_rank} AS change_business_system,
       s.prev_job_type - RANK() OVER job_type AS change_job_type,
       s.prev_unit - RANK() OVER unit AS change_unit,
       {points_to_next} AS points_to_next
FROM ({source}) AS s
JOIN {worker} w ON w.id = s.worker_id
JOIN {job_type} jt ON jt.id = w.job_type_id
JOIN {unit} u ON u.id = w.unit_id
WINDOW overall AS (ORDER BY s.score DESC RANGE BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING),
       business_system AS (PARTITION BY jt.business_system_id ORDER BY s.score DESC),
       job_type AS (PARTITION BY w.job_type_id ORDER BY s.score DESC),
       unit AS (PARTITION BY u.depot_id ORDER BY s.score DESC)
"""


# The points columns of a ranked row, from the thousandths they were summed and compared in.
_RANKED_POINTS = {name: points(sql.SQL(thousandths)) for name, thousandths in (
    ("points", "s.score"), ("approved_points", "s.approved_score"),
    ("pending_points", "(s.score - s.approved_score)"),
    ("points_to_next", "COALESCE(LAST_VALUE(s.score) OVER overall - s.score, 0)"))}


def ranked(source: sql.Composable, business_system_rank: sql.Composable, *, team: bool = False) -> sql.Composed:
    """Every worker of ``source`` (totals) with their ranks, their changes and the gap to the next place;
    with ``team``, also the worker's own unit (``team_id``), read from the worker row the statement joins
    anyway (period snapshots keep it; a day's standings do not)."""
    extra = sql.SQL(" w.unit_id AS team_id,") if team else sql.SQL("")
    return _format(_RANKED, source=source, business_system_rank=business_system_rank, extra=extra,
                   **_RANKED_POINTS)


# A scope with this many groups or fewer is ranked by counting in the overall window pass instead of a
# pass of its own: one running count per group. Cheaper for a railway's ten or so business systems, dearer
# for its ninety-odd job types.
COUNTED_SCOPE_MAX = 16
BUSINESS_SYSTEM_IDS = _format("SELECT DISTINCT business_system_id FROM {job_type} ORDER BY 1")


def business_system_rank(ids: list[int]) -> sql.Composable:
    """A worker's rank within their business system, for the ranking statement, given the business systems.

    Few business systems (the usual case): one plus the number of workers of the same business system with
    a higher total, i.e. RANK(), counted as they go by in the overall window pass, whose frame is exactly
    the workers with a higher total; one running count per business system, the worker's own picked by
    CASE. Otherwise a RANK() over a window partitioned by business system (one more sort of every worker).
    """
    if not ids or len(ids) > COUNTED_SCOPE_MAX:
        return sql.SQL("RANK() OVER business_system")
    counts = sql.SQL(" ").join(
        sql.SQL("WHEN {id} THEN COUNT(*) FILTER (WHERE jt.business_system_id = {id}) OVER overall").format(
            id=sql.Literal(int(i))) for i in ids)
    return sql.SQL("(1 + CASE jt.business_system_id {} END)").format(counts)


def business_system_ids() -> list[int]:
    """The business systems the ranking counts in. Read in the run's transaction, so the list is that of
    the ranking's snapshot."""
    return [int(i) for i in database.column(BUSINESS_SYSTEM_IDS)]


@contextmanager
def hash_joins():
    """The ranking statement joins with hash joins only. The planner cannot know how many workers the
    per-worker totals hold (an aggregate over stacked rows, or over entries): it guesses ~200 and looks
    every worker, unit and job type, and the previous day's row, up one index probe at a time. Every run
    joins every worker, so hash joins are always right here, most of all for a repair of a day of a merged
    month (previous ranks probed in the month's worker index, ~30 rows per worker). No reset on error:
    SET LOCAL ends with the failed transaction."""
    with database.local_setting("enable_nestloop", "off"):
        yield


# --- The ranked rows as a day of Standing ---------------------------------------------------------

# The columns of a day's rows, from the model, with their PostgreSQL types: a partition must have exactly
# the parent's columns and types (standings_partitioned.sql), and NOT NULL where the parent has it.
COLUMNS = {f.column: f.db_type(connection) for f in Standing._meta.concrete_fields}
NULLABLE = {f.column for f in Standing._meta.concrete_fields if f.null}
# The run's constants, then the ranked rows.
VALUES = {"competition_id": PARAMS["competition"], "day": PARAMS["day"], "computed_at": PARAMS["now"]}


def day_rows(rows: sql.Composable, *, typed: bool) -> sql.Composed:
    """The day's rows, every column of Standing, from ``rows`` (the ranking statement). ``typed``: cast to
    the partition's types (CREATE TABLE … AS takes the types of its SELECT)."""
    columns = []
    for name, type_ in COLUMNS.items():
        value = VALUES.get(name, sql.Identifier("r", name))
        columns.append(sql.SQL("CAST({} AS {}) AS {}").format(value, sql.SQL(type_), sql.Identifier(name))
                       if typed else value)
    return sql.SQL("SELECT {} FROM ({}) AS r").format(sql.SQL(", ").join(columns), rows)


def insert_day(table: str, rows: sql.Composable) -> sql.Composed:
    """Inserts the day's rows into ``table`` (a new partition, or the parent for a day of a merged month)."""
    return sql.SQL("INSERT INTO {} ({}) {}").format(
        sql.Identifier(table), sql.SQL(", ").join(map(sql.Identifier, COLUMNS)), day_rows(rows, typed=False))


# A day of a merged month: the day's rows are deleted and inserted (otherwise a new partition is filled).
DELETE_DAY = _format("DELETE FROM {standing} WHERE competition_id = {competition} AND day = {day}")
PREVIOUS_DAY = _format("SELECT MAX(day) FROM {standing_day} WHERE competition_id = {competition} AND day < {day}")
# The run that stored a day (StandingDay.run): an old day's repair takes the base day's.
DAY_RUN = _format("SELECT MAX(run_id) FROM {standing_day} WHERE competition_id = {competition} AND day = {base_day}")
# The change log dated up to the day, once a run has read it, is dropped, and its rows that correct days already
# stored are archived, per (worker, work date), with the consuming run: a day stored earlier is brought up to
# date with them (competitions.standings.periods). Those are the rows dated up to the latest day stored before
# this run's (every stored day is at most that, or this day): the night's new work, dated the day itself, is not
# archived, nor is the log of a first run. One statement, one pass over the log: the archive is written from the
# rows the DELETE returns. In the same transaction, and serialized by the competition's lock, it removes exactly
# the rows the run read: the run is REPEATABLE READ (one snapshot for both). Returns how many rows it dropped.
TAKE_DELTAS = _format("""
WITH taken AS (
    DELETE FROM {delta} WHERE competition_id = {competition} AND work_date <= {day}
    RETURNING competition_id, worker_id, work_date, points, approved_points, entries
), archived AS (
    INSERT INTO {correction} (competition_id, worker_id, work_date, points, approved_points, entries, run_id)
    SELECT competition_id, worker_id, work_date, SUM(points), SUM(approved_points), SUM(entries), {run}
    FROM taken
    WHERE work_date <= (SELECT MAX(day) FROM {standing_day} WHERE competition_id = {competition} AND day < {day})
    GROUP BY competition_id, worker_id, work_date
    HAVING SUM(points) <> 0 OR SUM(approved_points) <> 0 OR SUM(entries) <> 0
)
SELECT count(*) FROM taken
""")
# Closing: the open segment, once every transaction writing into it has ended (APPROVAL_LOG_LOCK_CLASS).
CLOSE_SEGMENT = _format("""
UPDATE {approval_segment} SET closed = true WHERE competition_id = {competition} AND NOT closed
""")
CLOSE_LOCK = _format("SELECT pg_advisory_xact_lock({lock_class}, {competition})",
                     lock_class=sql.Literal(APPROVAL_LOG_LOCK_CLASS))
# The approval log's rows the run takes in: those of the live segments dated up to the day (the ones the
# ranking read), in a few statements on the run's snapshot, none of which copies or deletes a row
# (StandingApprovalSegment). The closed live segments (the open one was closed just before the snapshot,
# competitions.standings.approvals.close) become the run's: CONSUME_SEGMENTS returns their ids, the first of
# which takes in what the run read of the open segment (a move committed between the close and the
# snapshot; nothing usually): TAKE_OPEN. A row of the consumed segments dated after the day (an entry dated
# after it, waiting for the run of its day) goes on waiting in a closed live segment of its own: KEEP_LATER.
CONSUME_SEGMENTS = _format("""
UPDATE {approval_segment} SET run_id = {run}
WHERE competition_id = {competition} AND closed AND run_id IS NULL
RETURNING id
""")
# A segment for the run's rows when it consumed none (nothing was closed, yet the open segment had rows
# committed before the snapshot), or for the rows that wait (run null).
NEW_SEGMENT = _format("""
INSERT INTO {approval_segment} (competition_id, closed, run_id) VALUES ({competition}, true, {run}) RETURNING id
""")
# The open segment, if any (read first, on the run's snapshot: usually none, as the run closed it just before);
# only then are the statements below sent, with its id as a value. Written with the segment as a subquery,
# OPEN_TAKEN took 165-480 ms of every night in the server's log, on a log of 1.8-2.2 million rows (archive
# included), where it finds nothing; by itself in psql it took 0.05 ms, through the index.
OPEN_SEGMENT = _format("SELECT (SELECT id FROM {approval_segment} WHERE competition_id = {competition} AND NOT closed)")
TAKE_OPEN = _format("""
UPDATE {approval} SET segment_id = {segment} WHERE segment_id = {open} AND work_date <= {day}
""", segment=sql.Placeholder("segment"), open=sql.Placeholder("open"))
KEEP_LATER = _format("""
UPDATE {approval} SET segment_id = {segment} WHERE segment_id = ANY({segments}) AND work_date > {day}
""", segment=sql.Placeholder("segment"), segments=sql.Placeholder("segments"))
# Whether the open segment has rows dated up to the day (committed between the close and the snapshot).
OPEN_TAKEN = _format("""
SELECT EXISTS (SELECT FROM {approval} WHERE segment_id = {open} AND work_date <= {day})
""", open=sql.Placeholder("open"))
# Whether any row of the segments is dated after the day (KEEP_LATER then needs a segment to move them to).
ANY_LATER = _format("""
SELECT EXISTS (SELECT FROM {approval} WHERE segment_id = ANY({segments}) AND work_date > {day})
""", segments=sql.Placeholder("segments"))
TAKEN = _format("""
SELECT count(*) FROM {approval} WHERE segment_id = ANY({segments}) AND work_date <= {day}
""", segments=sql.Placeholder("segments"))
