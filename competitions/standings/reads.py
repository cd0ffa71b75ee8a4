"""What the portal and the API read: the latest day, a worker's standing, history and per-rule totals, the
leaderboards and "the places around me"."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import cache
from typing import NamedTuple

from django.db import connections, router
from django.db.models import Q, Subquery, Sum
from psycopg import sql

from competitions.models import BusinessSystem, Standing, StandingDay
from competitions.scopes import Scope
from competitions.standings import database
from competitions.standings.ranking import APPROVED_STATUSES, PARAMS, TABLES
from config import cursors
from config.api import db
from reviews.models import EntryStatus, WorkEntry

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

    One query: a probe of the worker index of each of the competition's partitions (one per day, or per
    month once merged), a few pages each.
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
    default the latest standings day, so they add up to the points of the standing shown next to them until
    an entry is reviewed, rejected or corrected after that day's run: the entries are read as they stand now).

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
    and its change in the list's scope, the worker's current name and team (their own unit), and the depot
    (站段; None when not under one) and job type they were ranked in that day, as the staff's list (StaffRow)
    and "my page" name them. The name is the full one: who may see it is the caller's rule."""

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
# before or from a worker's row): one range scan of the scope's index (partitions.PARTITION_INDEXES, in its
# order), joined to the page's workers. Rank bounds are index conditions; the OR only trims the ties on the
# bound's rank, so a page deep in the list costs what the first page costs. Sent as prepared statements
# (config.api.db): the ORM cost several times the query itself on this hot path. Name and team are the
# worker's current ones, depot and job type the day's (a worker moved since the run is listed in their old
# depot's list: the row says that depot, not the new one); a worker deleted since the run shows with an empty
# name.
_BOUNDS = {
    "first": ("", ""),
    "after": ("{rank} >= {rank_value} AND ({rank} > {rank_value} OR s.worker_id > {worker})", ""),
    "from": ("{rank} >= {rank_value} AND ({rank} > {rank_value} OR s.worker_id >= {worker})", ""),
    "before": ("{rank} <= {rank_value} AND ({rank} < {rank_value} OR s.worker_id < {worker})", " DESC"),
    "worker": ("s.worker_id = {worker}", ""),
}


def board_statement(scope: Scope, bound: str) -> sql.Composed:
    """The leaderboard statement of ``scope`` for ``bound`` (a key of _BOUNDS)."""
    rank = sql.Identifier("s", scope.rank)
    where = [sql.SQL("s.competition_id = {}").format(PARAMS["competition"]),
             sql.SQL("s.day = {}").format(PARAMS["day"])]
    if scope.column is not None and bound != "worker":
        where.append(sql.SQL("{} = {}").format(sql.Identifier("s", scope.column), sql.Placeholder("scope_id")))
    condition, direction = _BOUNDS[bound]
    if condition:
        where.append(sql.SQL(condition).format(rank=rank, rank_value=sql.Placeholder("rank"),
                                               worker=sql.Placeholder("worker")))
    return sql.SQL("""
SELECT {rank}, {change}, s.worker_id, COALESCE(w.name, ''), depot.name, COALESCE(unit.name, ''),
       COALESCE(jt.name, ''), s.points, s.approved_points
FROM {standing} s
LEFT JOIN {worker_table} w ON w.id = s.worker_id
LEFT JOIN {unit_table} unit ON unit.id = w.unit_id
LEFT JOIN {unit_table} depot ON depot.id = s.depot_id
LEFT JOIN {job_type_table} jt ON jt.id = s.job_type_id
WHERE {where}
ORDER BY {rank}{direction}, s.worker_id{direction}
LIMIT {limit}
""").format(rank=rank, change=sql.Identifier("s", scope.change), standing=TABLES["standing"],
            worker_table=TABLES["worker"], unit_table=TABLES["unit"], job_type_table=TABLES["job_type"],
            where=sql.SQL(" AND ").join(where), direction=sql.SQL(direction), limit=sql.Placeholder("limit"))


@cache
def _board_text(scope: Scope, bound: str) -> str:
    # Rendered once per process: the prepared statement's text is its key on the connection.
    return database.render(board_statement(scope, bound))


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
    return [BoardRow._make(row)
            for row in db.fetch_all(_board_text(scope, bound), params, using=router.db_for_read(Standing))]


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


# --- The staff's full ranking ------------------------------------------------------------------------
# Union staff page through (and export) whole lists of a day with full names and every figure; workers see
# only leaderboard(), with other workers' names masked by their pages.


class StaffRow(NamedTuple):
    """A row of a ranking as union staff see it: the rank and change in the list's scope, then who the
    worker is and all their figures. 工号, depot, job type and business system are the day's (as ranked);
    the name and the team (their own unit) are current. Full names: staff pages and exports only."""

    rank: int | None
    change: int | None
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
    rank_overall: int
    rank_business_system: int
    rank_job_type: int
    rank_unit: int | None


class StaffList(NamedTuple):
    """Which rows of a day a staff list holds: a scope's list (with the scope's id unless overall), further
    narrowed to a depot and/or a job type, and to workers whose current skill grade (新八级工) is at least
    ``min_grade``, in the scope's order (rank, worker_id). The grade is the worker's record now, not as of the
    day: the standings do not record grades."""

    scope: Scope
    scope_id: int | None = None
    depot_id: int | None = None
    job_type_id: int | None = None
    min_grade: int | None = None

    def filters(self) -> dict:
        """The list's rows as ORM filters on a table with the standings' columns (Standing, PeriodStanding)."""
        found = {} if self.scope.column is None else {self.scope.column: self.scope_id}
        if self.depot_id is not None:
            found["depot_id"] = self.depot_id
        if self.job_type_id is not None:
            found["job_type_id"] = self.job_type_id
        if self.min_grade is not None:
            found["worker__skill_grade__gte"] = self.min_grade
        return found

    def salt(self, competition_id: int, day: date) -> str:
        # A cursor is valid only for the list, filters and day it was made for.
        return (f"staff:{competition_id}:{day.isoformat()}:{self.scope.value}:{self.scope_id or ''}:"
                f"{self.depot_id or ''}:{self.job_type_id or ''}"
                + (f":grade{self.min_grade}" if self.min_grade is not None else ""))

    def encode(self, row: StaffRow, *, competition_id: int, day: date) -> str:
        return cursors.encode(self.salt(competition_id, day), row.rank, row.worker_id)

    def decode(self, text: str, *, competition_id: int, day: date) -> Cursor:
        """The (rank, worker_id) a "next" link of this list carries; config.cursors.InvalidCursor otherwise."""
        return Cursor(*cursors.decode(self.salt(competition_id, day), text, int, int))


_STAFF_BOUNDS = {
    "first": "",
    "after": "{rank} >= {rank_value} AND ({rank} > {rank_value} OR s.worker_id > {worker})",
    "all": "",
}
_STAFF_TABLES = {"business_system": sql.Identifier(BusinessSystem._meta.db_table)}


def staff_board_statement(scope: Scope, *, depot: bool, job_type: bool, bound: str,
                          min_grade: bool = False) -> sql.Composed:
    """The staff list of ``scope``, filtered by depot and/or job type (as ranked that day), for ``bound``:
    a first page, the page after a cursor, or every row (an export, no LIMIT). A page is a range scan of the
    scope's index (partitions.PARTITION_INDEXES) with the filters applied to the rows it passes."""
    rank = sql.Identifier("s", scope.rank)
    where = [sql.SQL("s.competition_id = {}").format(PARAMS["competition"]),
             sql.SQL("s.day = {}").format(PARAMS["day"])]
    if scope.column is not None:
        where.append(sql.SQL("{} = {}").format(sql.Identifier("s", scope.column), sql.Placeholder("scope_id")))
    if depot:
        where.append(sql.SQL("s.depot_id = {}").format(sql.Placeholder("depot")))
    if job_type:
        where.append(sql.SQL("s.job_type_id = {}").format(sql.Placeholder("job_type")))
    if min_grade:
        where.append(sql.SQL("w.skill_grade >= {}").format(sql.Placeholder("min_grade")))
    if _STAFF_BOUNDS[bound]:
        where.append(sql.SQL(_STAFF_BOUNDS[bound]).format(rank=rank, rank_value=sql.Placeholder("rank"),
                                                          worker=sql.Placeholder("worker")))
    return sql.SQL("""
SELECT {rank}, {change}, s.worker_id, s.employee_no, COALESCE(w.name, ''), depot.name, COALESCE(team.name, ''),
       COALESCE(jt.name, ''), COALESCE(bs.name, ''), s.points, s.approved_points, s.pending_points,
       s.rank_overall, s.rank_business_system, s.rank_job_type, s.rank_unit
FROM {standing} s
LEFT JOIN {worker_table} w ON w.id = s.worker_id
LEFT JOIN {unit_table} team ON team.id = w.unit_id
LEFT JOIN {unit_table} depot ON depot.id = s.depot_id
LEFT JOIN {job_type_table} jt ON jt.id = s.job_type_id
LEFT JOIN {business_system_table} bs ON bs.id = s.business_system_id
WHERE {where}
ORDER BY {rank}, s.worker_id{limit}
""").format(rank=rank, change=sql.Identifier("s", scope.change), standing=TABLES["standing"],
            worker_table=TABLES["worker"], unit_table=TABLES["unit"], job_type_table=TABLES["job_type"],
            business_system_table=_STAFF_TABLES["business_system"], where=sql.SQL(" AND ").join(where),
            limit=sql.SQL("") if bound == "all" else sql.SQL("\nLIMIT {}").format(sql.Placeholder("limit")))


@cache
def _staff_text(scope: Scope, depot: bool, job_type: bool, bound: str, min_grade: bool = False) -> str:
    return database.render(staff_board_statement(scope, depot=depot, job_type=job_type, bound=bound,
                                                 min_grade=min_grade))


def _staff_params(of: StaffList, *, competition_id: int, day: date) -> dict:
    if of.scope.column is not None and of.scope_id is None:
        raise ValueError(f"scope {of.scope.value!r} needs an id")
    params = {"competition": competition_id, "day": day}
    if of.scope.column is not None:
        params["scope_id"] = of.scope_id
    if of.depot_id is not None:
        params["depot"] = of.depot_id
    if of.job_type_id is not None:
        params["job_type"] = of.job_type_id
    if of.min_grade is not None:
        params["min_grade"] = of.min_grade
    return params


def staff_board(*, competition_id: int, day: date, of: StaffList, after: Cursor | None = None,
                limit: int = 100) -> list[StaffRow]:
    """A page of a staff list of ``day``, keyset-paged in the list's order: one query, as deep as it goes."""
    params = {**_staff_params(of, competition_id=competition_id, day=day), "limit": limit}
    bound = "first"
    if after is not None:
        bound = "after"
        params.update(rank=after.rank, worker=after.worker_id)
    text = _staff_text(of.scope, of.depot_id is not None, of.job_type_id is not None, bound, of.min_grade is not None)
    return [StaffRow._make(row) for row in db.fetch_all(text, params, using=router.db_for_read(Standing))]


def staff_board_count(*, competition_id: int, day: date, of: StaffList) -> int:
    """How many rows a staff list has (an export's total: one count, in the background)."""
    statement = sql.SQL("SELECT COUNT(*) FROM ({}) AS rows").format(
        staff_board_statement(of.scope, depot=of.depot_id is not None, job_type=of.job_type_id is not None,
                              bound="all", min_grade=of.min_grade is not None))
    return database.scalar(statement, _staff_params(of, competition_id=competition_id, day=day))


def staff_board_chunks(*, competition_id: int, day: date, of: StaffList, chunk: int = 5000) -> Iterator[list[StaffRow]]:
    """Every row of a staff list, in order, ``chunk`` rows at a time from a server-side cursor: an export
    of the whole day holds one chunk in memory, never the day. Outside a transaction the cursor is WITH
    HOLD (Django's chunked cursor), so the caller may commit progress between chunks."""
    text = _staff_text(of.scope, of.depot_id is not None, of.job_type_id is not None, "all", of.min_grade is not None)
    with connections[router.db_for_read(Standing)].chunked_cursor() as cursor:
        cursor.execute(text, _staff_params(of, competition_id=competition_id, day=day))
        while rows := cursor.fetchmany(chunk):
            yield [StaffRow._make(row) for row in rows]
