"""Period standings: the points of the work dated between two days, as the entries stand now, ranked the way
a day is (PeriodSnapshot and its rows, PeriodStanding), and the reads of a snapshot: its lists and the
rankings of depots and teams.

**"A day as the entries stand now".** A stored day X holds the entries dated up to X as of the log
position of its run (StandingDay.run: the consuming run whose change log its rows include). Everything that
changed since for entries dated up to X is in one of two places: the archive (StandingCorrection, and for
the approvals the approval log's segments, StandingApprovalSegment) of the runs that consumed the change log
after that run, or the live change log (StandingDelta, and the approval log's live segments).
``corrections_since`` sums both.
So now(X) = the stored rows of X + corrections_since(X), and the period [a, b] is now(b) - now(a - 1): one
aggregate per worker over the rows of two stored days and the few corrections, whatever the length of the
range. Without a stored day exactly at a bound, the latest stored day before it is brought forward: by the
live change log when it is the latest stored day (nothing dated after it was ever consumed), otherwise by
the entries dated after it up to the bound (an index range of the entries). A bound with no stored day at
or before it (before the competition's first standings day, or days stored before positions were
recorded) is summed from the start: the signed-off months that ended by then from their frozen totals
(competitions.standings.frozen), the entries of the months still open, as a full run does.

**Only signed-off months** (the basis of an award): per business system, its signed-off months form runs
of consecutive months; the period is the sum over those runs (clipped to the range) of now(run end) -
now(run start - 1), for the workers whose current job type is in that business system. One statement over
a handful of bounds.

**Consistency.** A snapshot is computed in one REPEATABLE READ transaction that first takes ACCESS SHARE on
Standing's parent table (before its snapshot of the data): the stored days, their positions, the archive and the change
log are read as of one moment, and a run that would swap a day's partition meanwhile waits for it (a run
writing a new day does not; it only attaches).

**Ranks.** The daily ranking statement (ranking.ranked): RANK() on the points (approved + pending), ties
share a rank, lists order ties by worker id; overall, business system, job type and depot (站段). The
worker's attributes are their current ones: an honour goes to the unit a person belongs to now.

A snapshot never changes once ready; computing the same range again makes a new one. None is deleted
automatically: an award round cites the snapshot (and its digest) it was shortlisted from, and only staff
know which ones nobody cites.
"""

from __future__ import annotations

import logging
import traceback
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from itertools import groupby
from typing import NamedTuple

from django.core.exceptions import ValidationError
from django.db import connections, router
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from psycopg import sql

from competitions.models import PeriodSnapshot, PeriodStanding, SnapshotStatus, StandingDay
from competitions.scopes import Scope
from competitions.standings import database, frozen, ranking
from competitions.standings.digest import DIGEST_COLUMNS, canonical_digest
from config import cursors
from config.months import month_last_day, next_month
from config.tasks import send_on_commit
from reviews.models import ReviewPeriod

logger = logging.getLogger(__name__)

PERIOD_STANDING = PeriodStanding._meta.db_table
TABLES = {**ranking.TABLES, "period_standing": sql.Identifier(PERIOD_STANDING)}
ONE_DAY = timedelta(days=1)
# The indexes of every snapshot's partition (and of the partitioned parent, which ATTACH adopts), without
# the constant snapshot_id: "a worker's row", the overall list, and the depots' lists. A business system's
# or a job type's list is the overall index read with the scope as a filter: a scope's ranks order its
# workers exactly as the overall ranks do, and its workers are a ninth or a ninetieth of everyone, so a
# page reads a few thousand index entries at most, while each index more costs a sorted pass per snapshot.
PERIOD_INDEXES = {
    "periodstanding_worker": ("worker_id",),
    "periodstanding_overall": ("rank_overall", "worker_id"),
    "periodstanding_depot": ("depot_id", "rank_overall", "worker_id"),
}


def _format(template: str, **values: sql.Composable) -> sql.Composed:
    return sql.SQL(template).format(**TABLES, **values)


def _thousandths(column: str, sign: int) -> sql.Composable:
    value = sql.SQL("CAST({} * 1000 AS BIGINT)").format(sql.Identifier(column))
    return value if sign > 0 else sql.SQL("-{}").format(value)


def _signed(value: sql.Composable, sign: int) -> sql.Composable:
    return value if sign > 0 else sql.SQL("-({})").format(value)


# --- now(X): a stored day brought up to the entries as they stand --------------------------------------

@dataclass(frozen=True)
class Bound:
    """How now(day) is read: from ``stored`` (a day with a known log position, ``run``, at or before
    ``day``; None: from the entries alone), brought forward by the live change log up to ``day`` when
    ``stored`` is the latest stored day (``log_covers``), else by the entries dated after it."""

    day: date
    stored: date | None = None
    run: int | None = None
    log_covers: bool = False


def bound_for(competition_id: int, day: date, *, latest: date | None) -> Bound:
    """How to read now(``day``) (see Bound); ``latest``: the competition's latest stored day."""
    found = (StandingDay.objects.filter(competition_id=competition_id, day__lte=day, run__isnull=False)
             .order_by("-day").values_list("day", "run_id").first())
    if found is None:
        return Bound(day)
    return Bound(day, stored=found[0], run=found[1], log_covers=found[0] == latest)


def _parts(competition_id: int, bound: Bound, sign: int) -> list[sql.Composable]:
    """The SELECTs whose rows, summed per worker, are now(bound.day) in integer thousandths (times
    ``sign``): worker_id, score, approved_score, entries."""
    competition = sql.Literal(int(competition_id))
    points, approved = _thousandths("points", sign), _thousandths("approved_points", sign)
    entries = sql.SQL("entries" if sign > 0 else "-entries")
    if bound.stored is None:
        return _from_the_start(competition_id, bound.day, sign)
    stored = sql.Literal(bound.stored)
    through = sql.Literal(bound.day if bound.log_covers else bound.stored)
    parts = [
        _format("SELECT worker_id, {points}, {approved}, {entries} FROM {standing}"
                " WHERE competition_id = {competition} AND day = {stored}",
                points=points, approved=approved, entries=entries, competition=competition, stored=stored),
        _format("SELECT worker_id, {points}, {approved}, {entries} FROM {correction}"
                " WHERE competition_id = {competition} AND run_id > {run} AND work_date <= {stored}",
                points=points, approved=approved, entries=entries, competition=competition,
                run=sql.Literal(int(bound.run)), stored=stored),
        # Nothing dated after the latest stored day was ever consumed: the live log holds all of it.
        _format("SELECT worker_id, {points}, {approved}, {entries} FROM {delta}"
                " WHERE competition_id = {competition} AND work_date <= {through}",
                points=points, approved=approved, entries=entries, competition=competition, through=through),
        # The same two for approvals (StandingApproval): a row's dates up to the day, in the segments the
        # runs after the stored day's consumed (their archive), and in the live segments.
        _format("SELECT worker_id, 0, {approved}, 0 FROM {approval}"
                " WHERE segment_id = ANY(ARRAY(SELECT id FROM {approval_segment}"
                " WHERE competition_id = {competition} AND run_id > {run})) AND first_date <= {stored}",
                approved=_signed(ranking.approved_through(stored), sign), competition=competition,
                run=sql.Literal(int(bound.run)), stored=stored),
        _format("SELECT worker_id, 0, {approved}, 0 FROM {approval}"
                " WHERE segment_id = ANY(ARRAY(SELECT id FROM {approval_segment}"
                " WHERE competition_id = {competition} AND run_id IS NULL)) AND first_date <= {through}",
                approved=_signed(ranking.approved_through(through), sign), competition=competition,
                through=through),
    ]
    if not bound.log_covers and bound.stored < bound.day:
        parts.append(_entries_part(competition, bound.stored, bound.day, sign))
    return parts


def _entries_part(competition: sql.Composable, after: date | None, through: date, sign: int) -> sql.Composed:
    """The counted entries dated in (after, through], one row each, as the entries stand now."""
    points = sql.SQL("CAST(e.points * 1000 AS BIGINT)")
    approved = sql.SQL("CASE WHEN {} THEN {} ELSE 0 END").format(ranking.APPROVED, points)
    one = sql.SQL("1")
    if sign < 0:
        points, approved, one = (sql.SQL("-{}").format(x) for x in (points, approved, one))
    where = [sql.SQL("e.competition_id = {}").format(competition),
             sql.SQL("e.work_date <= {}").format(sql.Literal(through)), ranking.COUNTED]
    if after is not None:
        where.append(sql.SQL("e.work_date > {}").format(sql.Literal(after)))
    return _format("SELECT e.worker_id, {points}, {approved}, {one} FROM {entry} e WHERE {where}",
                   points=points, approved=approved, one=one, where=sql.SQL(" AND ").join(where))


def _from_the_start(competition_id: int, through: date, sign: int) -> list[sql.Composable]:
    """The counted entries dated up to ``through`` as they stand now (a bound with no stored day): the
    signed-off months that ended by then from their frozen totals (competitions.standings.frozen, as a
    full run reads them), and the entries only from the first month still open, less the signed-off
    (business system, month) pairs among those months."""
    months = frozen.for_day(competition_id=competition_id, day=through)
    competition = sql.Literal(int(competition_id))
    if months is None:
        return [_entries_part(competition, None, through, sign)]
    opened = _entries_part(competition, months.open_from - ONE_DAY, through, sign)
    partial = months.partial
    if partial:
        opened = sql.Composed([opened, ranking.outside_months(
            sql.Literal([system for system, _month in partial]), sql.Literal([month for _system, month in partial]))])
    signed_off = _format(
        "SELECT f.worker_id, {points}, {approved}, {entries} FROM {signed_off_total} f"
        " JOIN unnest(CAST({systems} AS bigint[]), CAST({months} AS date[])) AS p (system_id, month)"
        " ON f.business_system_id = p.system_id AND f.month = p.month WHERE f.competition_id = {competition}",
        points=_thousandths("points", sign), approved=_thousandths("approved_points", sign),
        entries=sql.SQL("f.entries" if sign > 0 else "-f.entries"), competition=competition,
        systems=sql.Literal(months.systems), months=sql.Literal(months.months))
    return [opened, signed_off]


def _sum_per_worker(parts: list[sql.Composable], *, having: str) -> sql.Composed:
    return _format("""
    SELECT worker_id, sum_int8(score) AS score, sum_int8(approved_score) AS approved_score,
           sum_int8(entries) AS entries
    FROM ({parts}) AS u (worker_id, score, approved_score, entries)
    GROUP BY worker_id
    HAVING {having}""", parts=sql.SQL("\n        UNION ALL\n        ").join(parts), having=sql.SQL(having))


def corrections_since(competition_id: int, day: date) -> sql.Composed:
    """A SELECT of one row per worker (worker_id, points, approved_points, entries): what changed, after the
    stored day's log position, in the counted entries dated up to ``day`` (the archive of the runs that
    consumed the change log since, and the live change log). The stored rows of ``day`` plus these are the
    day as the entries stand now. ValueError when ``day`` has no stored standings with a known position."""
    run = (StandingDay.objects.filter(competition_id=competition_id, day=day)
           .values_list("run_id", flat=True).first())
    if run is None:
        raise ValueError(f"no standings with a log position for competition {competition_id} on {day}")
    return corrections_statement(competition_id, Bound(day, stored=day, run=run))


def corrections_statement(competition_id: int, bound: Bound) -> sql.Composed:
    """corrections_since for a bound whose stored day is its day."""
    totals = _sum_per_worker(_parts(competition_id, bound, 1)[1:], having="TRUE")
    return _format("""
SELECT worker_id, {points} AS points, {approved_points} AS approved_points, entries
FROM ({totals}) AS c""", totals=totals, points=ranking.points(sql.SQL("score")),
                   approved_points=ranking.points(sql.SQL("approved_score")))


# --- The period's totals, ranked, as a snapshot's rows --------------------------------------------------

def period_totals(competition_id: int, start: date, end: date) -> sql.Composed:
    """Per worker with counted entries dated in [start, end]: worker_id, score, approved_score (integer
    thousandths) and entries; now(end) - now(start - 1), in one aggregate."""
    latest = _latest_day(competition_id)
    return range_totals(competition_id, end=bound_for(competition_id, end, latest=latest),
                        before=bound_for(competition_id, start - ONE_DAY, latest=latest))


def range_totals(competition_id: int, *, end: Bound, before: Bound) -> sql.Composed:
    """period_totals given its bounds: now(end) - now(the day before the start)."""
    return _sum_per_worker(_parts(competition_id, end, 1) + _parts(competition_id, before, -1),
                           having="sum_int8(entries) > 0")


def signed_off_runs(competition_id: int, start: date, end: date) -> list[tuple[int, date, date]]:
    """(business system, first day, last day): each business system's runs of consecutive signed-off
    months, clipped to [start, end]."""
    months = (ReviewPeriod.objects.signed_off().overlapping(start, end).filter(competition_id=competition_id)
              .order_by("business_system_id", "month").values_list("business_system_id", "month"))
    runs = []
    for system, rows in groupby(months, key=lambda row: row[0]):
        first = last = None
        for _system, month in rows:
            if last is not None and month != next_month(last):
                runs.append((system, first, last))
                first = None
            first, last = first or month, month
        runs.append((system, first, last))
    return [(system, max(first, start), min(month_last_day(last), end)) for system, first, last in runs]


def signed_off_totals(competition_id: int, start: date, end: date) -> sql.Composed:
    """period_totals counting only the entries of signed-off (business system, month) pairs: per run of
    signed-off months, now(last day) - now(first day - 1) for the workers whose current job type is in
    the run's business system. Each distinct bound is read once (a CTE), weighted per business system."""
    latest = _latest_day(competition_id)
    runs = signed_off_runs(competition_id, start, end)
    days = sorted({day for _s, first, last in runs for day in (first - ONE_DAY, last)})
    return runs_totals(competition_id, runs, [bound_for(competition_id, day, latest=latest) for day in days])


def runs_totals(competition_id: int, runs: list[tuple[int, date, date]], bounds: list[Bound]) -> sql.Composed:
    """signed_off_totals given its runs and the bounds of their days (sorted by day)."""
    index = {bound.day: i for i, bound in enumerate(bounds)}
    weights = [(system, index[last], 1) for system, _first, last in runs]
    weights += [(system, index[first - ONE_DAY], -1) for system, first, _last in runs]
    if not weights:
        return _format("SELECT NULL::bigint AS worker_id, 0::bigint AS score, 0::bigint AS approved_score,"
                       " 0::bigint AS entries WHERE FALSE")
    ctes = sql.SQL(",\n").join(
        sql.SQL("b{} AS MATERIALIZED ({})").format(sql.SQL(str(i)), _sum_per_worker(_parts(competition_id, bound, 1),
                                                                                    having="TRUE"))
        for i, bound in enumerate(bounds))
    stacked = sql.SQL("\n    UNION ALL\n    ").join(
        sql.SQL("SELECT {}, worker_id, score, approved_score, entries FROM b{}").format(sql.Literal(i), sql.SQL(str(i)))
        for i in range(len(bounds)))
    values = sql.SQL(", ").join(sql.SQL("({}, {}, {})").format(*map(sql.Literal, weight)) for weight in weights)
    # Each bound's row is given its worker's business system first, then its weight. OFFSET 0 keeps that
    # order: left to itself the planner joined the weights to the rows on the bound alone (one row per
    # business system each, 2 M rows for 223,000 workers) and the business system after, 1.34-1.36 s
    # against 0.57 s for a range of signed-off months of nine business systems.
    return _format("""
    WITH {ctes}
    SELECT b.worker_id, sum_int8(b.score * k.sign) AS score,
           sum_int8(b.approved_score * k.sign) AS approved_score,
           sum_int8(b.entries * k.sign) AS entries
    FROM (SELECT b.*, jt.business_system_id
          FROM ({stacked}) AS b (bound, worker_id, score, approved_score, entries)
          JOIN {worker} w ON w.id = b.worker_id
          JOIN {job_type} jt ON jt.id = w.job_type_id
          OFFSET 0) AS b
    JOIN (VALUES {values}) AS k (business_system_id, bound, sign)
      ON k.business_system_id = b.business_system_id AND k.bound = b.bound
    GROUP BY b.worker_id
    HAVING sum_int8(b.entries * k.sign) > 0""", ctes=ctes, stacked=stacked, values=values)


# The columns of a snapshot's rows, in the order they are written.
ROW_COLUMNS = ("snapshot_id", "worker_id", "employee_no", "business_system_id", "job_type_id", "depot_id",
               "team_id", "points", "approved_points", "pending_points", "entries", "rank_overall",
               "rank_business_system", "rank_job_type", "rank_unit")


def partition_name(snapshot: PeriodSnapshot) -> str:
    return f"{PERIOD_STANDING}_{int(snapshot.competition_id)}_{int(snapshot.pk)}"


def insert_rows(snapshot_id: int, totals: sql.Composable, table: str = PERIOD_STANDING) -> sql.Composed:
    """Ranks ``totals`` with the daily ranking statement and writes them as the snapshot's rows into
    ``table`` (the snapshot's new partition); the team is the worker's own (current) unit."""
    source = sql.SQL("SELECT t.*, NULL::integer AS prev_overall, NULL::integer AS prev_business_system,"
                     " NULL::integer AS prev_job_type, NULL::integer AS prev_unit FROM ({}) AS t").format(totals)
    ranked = ranking.ranked(source, ranking.business_system_rank(ranking.business_system_ids()), team=True)
    return _format("""
INSERT INTO {table} ({columns})
SELECT {snapshot}, r.worker_id, r.employee_no, r.business_system_id, r.job_type_id, r.depot_id, r.team_id,
       r.points, r.approved_points, r.pending_points, r.entries, r.rank_overall, r.rank_business_system,
       r.rank_job_type, r.rank_unit
FROM ({ranked}) AS r""", columns=sql.SQL(", ").join(map(sql.Identifier, ROW_COLUMNS)),
                   snapshot=sql.Literal(int(snapshot_id)), ranked=ranked, table=sql.Identifier(table))


def write_partition(snapshot: PeriodSnapshot, totals: sql.Composable) -> int:
    """The snapshot's rows as a partition of its own: a bare copy of the parent's columns filled by one
    INSERT … SELECT, indexed in one sorted pass per index, analyzed, attached. Returns the rows written.
    In the caller's transaction: nobody sees the partition before it commits."""
    name = partition_name(snapshot)
    table = sql.Identifier(name)
    database.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(table))
    database.execute(_format("CREATE TABLE {table} (LIKE {period_standing})", table=table))
    with ranking.hash_joins():
        rows = database.execute(insert_rows(snapshot.pk, totals, name))
    database.create_indexes(name, PERIOD_INDEXES.values())
    database.analyze_coarsely(name)
    database.execute(_format("ALTER TABLE {period_standing} ATTACH PARTITION {table} FOR VALUES IN ({id})",
                             table=table, id=sql.Literal(int(snapshot.pk))))
    return rows


# A partition of PeriodStanding, by name.
PARTITIONS = sql.SQL("""
SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
WHERE i.inhparent = {parent}::regclass AND starts_with(c.relname, {prefix})
""").format(parent=sql.Literal(PERIOD_STANDING), prefix=sql.Placeholder("prefix"))


def drop_snapshot_rows(snapshot: PeriodSnapshot) -> None:
    """Drops the snapshot's partition, if it has one (PeriodSnapshot.delete)."""
    database.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(sql.Identifier(partition_name(snapshot))))


def forget_competition_snapshots(*, competition_id: int) -> None:
    """Drops the partitions of a deleted competition's snapshots (partitions.forget_competition)."""
    for table in database.column(PARTITIONS, {"prefix": f"{PERIOD_STANDING}_{int(competition_id)}_"}):
        database.execute(sql.SQL("DROP TABLE {}").format(sql.Identifier(table)))


def snapshot_digest(snapshot_id: int) -> sql.Composed:
    """The canonical digest of the snapshot's rows (competitions.standings.digest)."""
    return canonical_digest(_format("SELECT {columns} FROM {period_standing} WHERE snapshot_id = {snapshot}",
                                    columns=sql.SQL(", ").join(map(sql.Identifier, DIGEST_COLUMNS)),
                                    snapshot=sql.Literal(int(snapshot_id))))


def _latest_day(competition_id: int) -> date | None:
    return (StandingDay.objects.filter(competition_id=competition_id).order_by("-day")
            .values_list("day", flat=True).first())


# --- Computing a snapshot ---------------------------------------------------------------------------

def validate_range(*, start: date, end: date) -> None:
    """A period's range as a snapshot takes it (ValidationError naming the field otherwise): not reversed,
    and not wholly in the future. The workspace's form asks the same (workspace.lists.parse_period)."""
    if start > end:
        raise ValidationError({"end": _("结束日期不能早于开始日期。")}, code="invalid_period")
    if start == date.min:  # the day before it is where now() is read
        raise ValidationError({"start": _("开始日期无效。")}, code="invalid_period")
    if start > timezone.localdate():  # no work is dated there yet: an empty ranking would look like a real one
        raise ValidationError({"start": _("开始日期不能晚于今天。")}, code="invalid_period")


# A snapshot takes seconds; one still "running" after this long lost its process (or its task), and is
# marked failed by the next request of its competition rather than shown as running for ever. Should its
# task run after all, it computes it (a failed snapshot is computed again; a ready one is left alone).
STALE_AFTER = timedelta(minutes=30)
QUEUE_DOWN = gettext_lazy("任务队列暂时不可用，未能开始计算；请稍后再试。")
STALE_ERROR = "计算中断：计算的进程或任务已丢失，请重新发起。"


def period_snapshots_mark_stale(*, competition_id: int) -> int:
    """Marks failed the competition's snapshots "running" for longer than STALE_AFTER; returns how many."""
    return PeriodSnapshot.objects.filter(competition_id=competition_id, status=SnapshotStatus.RUNNING,
                                         created_at__lt=timezone.now() - STALE_AFTER).update(
        status=SnapshotStatus.FAILED, error=STALE_ERROR)


def period_snapshot_create(*, competition_id: int, start: date, end: date, signed_off_only: bool = False,
                           user=None) -> PeriodSnapshot:
    """A new snapshot of the range, "running" (nothing computed yet). ValidationError for a range that ends
    before it starts."""
    validate_range(start=start, end=end)
    period_snapshots_mark_stale(competition_id=competition_id)
    return PeriodSnapshot.objects.create(competition_id=competition_id, start=start, end=end,
                                         signed_off_only=signed_off_only,
                                         requested_by=user if getattr(user, "pk", None) else None)


def request_period_snapshot(*, competition_id: int, start: date, end: date, signed_off_only: bool = False,
                            user=None) -> PeriodSnapshot:
    """For a web request: creates the snapshot and computes it in the background (period_snapshot_task,
    enqueued once the request's transaction commits). The page polls the snapshot's status."""
    from competitions.tasks import period_snapshot_task

    snapshot = period_snapshot_create(competition_id=competition_id, start=start, end=end,
                                      signed_off_only=signed_off_only, user=user)
    send_on_commit(period_snapshot_task, snapshot.pk, unsent=lambda: PeriodSnapshot.objects.filter(
        pk=snapshot.pk, status=SnapshotStatus.RUNNING).update(status=SnapshotStatus.FAILED, error=str(QUEUE_DOWN)))
    return snapshot


def compute_period_snapshot(*, competition_id: int, start: date, end: date, signed_off_only: bool = False,
                            user=None) -> PeriodSnapshot:
    """Creates and computes a snapshot of the work dated in [start, end] now, in this process (tests, the
    benchmark, a background job); returns it ready. ValidationError for a reversed range; a failure is
    recorded on the snapshot (failed, with the error) and re-raised."""
    snapshot = period_snapshot_create(competition_id=competition_id, start=start, end=end,
                                      signed_off_only=signed_off_only, user=user)
    return period_snapshot_fill(snapshot=snapshot)


def period_snapshot_fill(*, snapshot: PeriodSnapshot) -> PeriodSnapshot:
    """Computes ``snapshot``'s rows and digest and marks it ready, in one transaction (see the module's
    docstring); on failure marks it failed with the error and re-raises. A ready snapshot is left as it is."""
    if snapshot.status == SnapshotStatus.READY:
        return snapshot
    try:
        # The lock before the first read takes the snapshot: no day's partition is swapped under it (see above).
        with database.standings_snapshot(lock=_format("LOCK TABLE ONLY {standing} IN ACCESS SHARE MODE")):
            totals = (signed_off_totals if snapshot.signed_off_only else period_totals)(
                snapshot.competition_id, snapshot.start, snapshot.end)
            rows = write_partition(snapshot, totals)
            snapshot.digest = database.scalar(snapshot_digest(snapshot.pk))
            snapshot.rows, snapshot.status, snapshot.error = rows, SnapshotStatus.READY, ""
            snapshot.computed_at = timezone.now()
            snapshot.save(update_fields=["digest", "rows", "status", "error", "computed_at"])
    except Exception:
        snapshot.status, snapshot.error = SnapshotStatus.FAILED, traceback.format_exc(limit=20)
        # Unless ready: a redelivered task computing the same snapshot at the same moment fails on its
        # partition's name once the other commits, and must not mark the other's result failed.
        PeriodSnapshot.objects.filter(pk=snapshot.pk).exclude(status=SnapshotStatus.READY).update(
            status=snapshot.status, error=snapshot.error)
        logger.exception("period snapshot %s failed", snapshot.pk)
        raise
    logger.info("period snapshot %s: %s rows", snapshot.pk, rows)
    return snapshot


# --- Reads ------------------------------------------------------------------------------------------

class PeriodRow(NamedTuple):
    """A row of a period list as union staff see it (full name: a staff read; personal data such as ID
    numbers and phones is never here). ``rank`` is the rank in the list's scope."""

    rank: int | None
    worker_id: int
    employee_no: str
    name: str
    depot: str | None
    team: str
    job_type: str
    business_system: str
    points: Decimal
    approved_points: Decimal
    pending_points: Decimal
    entries: int
    rank_overall: int
    rank_business_system: int
    rank_job_type: int
    rank_unit: int | None


class PeriodPage(NamedTuple):
    rows: list[PeriodRow]
    next_cursor: str | None  # config.cursors text for ``after``; None on the last page


MAX_PAGE = 1000
_ROW_FIELDS = ("worker_id", "employee_no", "worker__name", "depot__name", "team__name", "job_type__name",
               "business_system__name", "points", "approved_points", "pending_points", "entries", "rank_overall",
               "rank_business_system", "rank_job_type", "rank_unit")


def _board_salt(snapshot_id: int, scope: Scope, scope_id, depot_id, job_type_id, min_grade=None) -> str:
    return (f"period:{snapshot_id}:{scope.value}:{scope_id or ''}:{depot_id or ''}:{job_type_id or ''}"
            + (f":grade{min_grade}" if min_grade is not None else ""))


def period_board(snapshot: PeriodSnapshot, *, scope: str = Scope.OVERALL, scope_id: int | None = None,
                 depot_id: int | None = None, job_type_id: int | None = None, after: str | None = None,
                 limit: int = 50, min_grade: int | None = None) -> PeriodPage:
    """A page of the snapshot's list in ``scope`` (for ``scope_id``: a business system, job type or depot),
    optionally narrowed to a depot, a job type and a minimum current skill grade, in the list's order
    (rank, worker_id), keyset-paged:
    ``after`` is the previous page's next_cursor (config.cursors.InvalidCursor for any other text). One
    query, one range scan of the partition's overall or depot index (PERIOD_INDEXES): every list is in the
    overall order, so the cursor is the row's (rank_overall, worker_id)."""
    scope = Scope(scope)
    if scope.column is not None and scope_id is None:
        raise ValueError(f"scope {scope.value!r} needs an id")
    limit = max(1, min(int(limit), MAX_PAGE))
    salt = _board_salt(snapshot.pk, scope, scope_id, depot_id, job_type_id, min_grade)
    rows = PeriodStanding.objects.filter(snapshot_id=snapshot.pk)
    if scope.column is not None:
        rows = rows.filter(**{scope.column: scope_id})
    if depot_id is not None:
        rows = rows.filter(depot_id=depot_id)
    if job_type_id is not None:
        rows = rows.filter(job_type_id=job_type_id)
    if min_grade is not None:
        rows = rows.filter(worker__skill_grade__gte=min_grade)
    if after is not None:
        rank, worker_id = cursors.decode(salt, after, int, int)
        # The bound on the rank alone is the index condition; the OR only trims the ties on it.
        rows = rows.filter(Q(rank_overall__gt=rank) | Q(rank_overall=rank, worker_id__gt=worker_id),
                           rank_overall__gte=rank)
    found = list(rows.order_by("rank_overall", "worker_id").values_list(scope.rank, *_ROW_FIELDS)[:limit + 1])
    page = [PeriodRow(rank, worker_id, employee_no, name or "", depot, team or "", job_type or "", system or "",
                      *rest)
            for rank, worker_id, employee_no, name, depot, team, job_type, system, *rest in found[:limit]]
    more = len(found) > limit
    return PeriodPage(page, cursors.encode(salt, page[-1].rank_overall, page[-1].worker_id) if more else None)


class UnitRow(NamedTuple):
    """A depot's or team's place in a snapshot (先进集体): ranked by the average approved points per
    participant (a worker with counted entries in the range), the total shown beside it."""

    rank: int
    unit_id: int
    name: str
    depot: str | None  # a team's depot (None for a depot's own row, or a team under none)
    participants: int
    total_approved_points: Decimal
    average_approved_points: Decimal


UNIT_LEVELS = {"depot": "depot_id", "team": "team_id"}


def unit_rankings(snapshot: PeriodSnapshot, level: str = "depot") -> list[UnitRow]:
    """Every depot (站段, the workers' Unit.depot) or team (the workers' own unit) of the snapshot, ranked by
    average approved points per participant: RANK(), ties share a rank, ties listed by unit id. The
    average is rounded to three decimals before ranking, so units shown with the same average share the
    rank. A worker under no depot counts for no depot. One query (a few hundred rows)."""
    if level not in UNIT_LEVELS:
        raise ValueError(f"unit level {level!r}: one of {', '.join(UNIT_LEVELS)}")
    with connections[router.db_for_read(PeriodStanding)].cursor() as cursor:
        cursor.execute(database.render(unit_rankings_statement(level)), {"snapshot": snapshot.pk})
        return [UnitRow(*row) for row in cursor.fetchall()]


def unit_rankings_statement(level: str) -> sql.Composed:
    return _format("""
SELECT RANK() OVER (ORDER BY g.average DESC), g.unit_id, COALESCE(u.name, ''), d.name, g.participants,
       g.total, g.average
FROM (
    SELECT {column} AS unit_id, COUNT(*) AS participants, SUM(approved_points) AS total,
           ROUND(SUM(approved_points) / COUNT(*), 3) AS average
    FROM {period_standing}
    WHERE snapshot_id = %(snapshot)s AND {column} IS NOT NULL
    GROUP BY {column}
) AS g
LEFT JOIN {unit} u ON u.id = g.unit_id
LEFT JOIN {unit} d ON d.id = u.depot_id AND u.depot_id <> u.id
ORDER BY 1, g.unit_id""", column=sql.Identifier(UNIT_LEVELS[level]))
