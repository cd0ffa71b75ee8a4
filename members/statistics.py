"""Figures for union staff: membership and applications by depot and month, mutual-aid card status by depot,
and the skill grade distribution (新八级工) by job type and by depot; each also as an .xlsx file.

Every figure is one GROUP BY inside PostgreSQL (never a row per worker through Python); the pages and the files
read the same functions. The figures about all workers start from CELLS, a count read from an index of its own
in that index's order: a page at 223,000 workers reads that index once instead of hashing every row. Workers
are counted in the depot of their current unit (a worker who transferred counts where they are now), and only
workers in service (``is_active``).
The grade is each worker's current grade (``Worker.skill_grade``, their latest certificate's).

The pages show a copy of their figures kept in the cache (``page_figures``): at seed scale counting the
whole worker, application and card tables takes longer than a page may, and more so after a large import
(the rows it wrote are not yet all-visible, so the index-only scans read the table too). A copy older than
FRESH is shown while a Celery task counts again; without a copy the page says it is counting instead of
waiting for it. The pages are union staff's alone and show every depot, so one copy per page (and year)
serves everyone. The .xlsx files count when asked, as before.

A unit above depot level (a worker attached directly to a bureau) has no depot: its workers are counted
under "未归属站段" (depot id 0).
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.core.cache import cache
from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext as _
from psycopg import sql

from competitions.models import JobType
from config.spreadsheets import XlsxStream
from config.tasks import send_on_commit
from members.models import (
    ApplicationStatus,
    CardStatus,
    MemberCard,
    MembershipApplication,
    MembershipStatus,
    SkillGrade,
    Unit,
    UnitLevel,
    Worker,
)

NO_DEPOT = 0


def _tables() -> dict[str, sql.Identifier]:
    return {"worker": sql.Identifier(Worker._meta.db_table), "unit": sql.Identifier(Unit._meta.db_table),
            "application": sql.Identifier(MembershipApplication._meta.db_table),
            "card": sql.Identifier(MemberCard._meta.db_table), "job_type": sql.Identifier(JobType._meta.db_table)}


def _fetch(template: str, params: dict) -> list[tuple]:
    tables = _tables()
    statement = sql.SQL(template).format(cells=sql.SQL(CELLS).format(**tables), **tables)
    connection.ensure_connection()
    with connection.cursor() as cursor:
        cursor.execute(statement.as_string(connection.connection), params)
        return cursor.fetchall()


def depot_names() -> dict[int, str]:
    """Depot id -> name, in the tree's order, "未归属站段" last (one query: a few hundred depots)."""
    names = dict(Unit.objects.filter(level=UnitLevel.DEPOT).order_by("path").values_list("pk", "name"))
    names[NO_DEPOT] = _("未归属站段")
    return names


# --- Membership and applications by depot and month ------------------------------------------------------

# The workers in service counted per unit, job type, grade and membership status, in the order of the
# worker_tally index (members.models.Worker): an index-only scan and a streaming count, no hash of every row.
# The figures below add these few thousand cells up by depot or job type.
CELLS = """
SELECT w.unit_id, w.job_type_id, w.skill_grade, w.membership_status, COUNT(*) AS n,
       COUNT(w.member_card_no) AS carded
FROM {worker} w
WHERE w.is_active
GROUP BY w.unit_id, w.job_type_id, w.skill_grade, w.membership_status
"""

# Per depot and month of the year: applications by the month they were made, in each status they are in now,
# and members by the month they joined (the worker_joined index: only the year's joins are read).
MEMBERSHIP_BY_MONTH = """
WITH applications AS (
    SELECT COALESCE(u.depot_id, 0) AS depot_id, CAST(date_trunc('month', a.applied_on) AS date) AS month,
           COUNT(*) AS applied,
           COUNT(*) FILTER (WHERE a.status = %(submitted)s) AS submitted,
           COUNT(*) FILTER (WHERE a.status = %(returned)s) AS returned,
           COUNT(*) FILTER (WHERE a.status = %(approved)s) AS approved,
           COUNT(*) FILTER (WHERE a.status = %(rejected)s) AS rejected
    FROM {application} a JOIN {unit} u ON u.id = a.unit_id
    WHERE a.applied_on >= %(start)s AND a.applied_on < %(end)s
    GROUP BY 1, 2
), joined AS (
    SELECT COALESCE(u.depot_id, 0) AS depot_id, j.month, SUM(j.n) AS joined
    FROM (SELECT w.unit_id, CAST(date_trunc('month', w.joined_on) AS date) AS month, COUNT(*) AS n
          FROM {worker} w
          WHERE w.is_active AND w.joined_on >= %(start)s AND w.joined_on < %(end)s
          GROUP BY 1, 2) AS j
    JOIN {unit} u ON u.id = j.unit_id
    GROUP BY 1, 2
)
SELECT depot_id, month, COALESCE(a.applied, 0), COALESCE(a.submitted, 0), COALESCE(a.returned, 0),
       COALESCE(a.approved, 0), COALESCE(a.rejected, 0), CAST(COALESCE(j.joined, 0) AS bigint)
FROM applications a FULL JOIN joined j USING (depot_id, month)
"""

# Per depot: workers in service, among them members now, and members holding a card in use (a member's card
# in use is also Worker.member_card_no, so the cells count it without reading the cards).
DEPOT_MEMBERS = """
SELECT COALESCE(u.depot_id, 0), CAST(SUM(c.n) AS bigint),
       CAST(COALESCE(SUM(c.n) FILTER (WHERE c.membership_status = %(member)s), 0) AS bigint),
       CAST(COALESCE(SUM(c.carded) FILTER (WHERE c.membership_status = %(member)s), 0) AS bigint)
FROM ({cells}) AS c JOIN {unit} u ON u.id = c.unit_id
GROUP BY 1
"""

# Every card by status (its whole history: lost and replaced cards stay, whoever holds them now). Per depot the
# page shows cards in use from the cells above: counting each card's status by its member's unit would join
# every card to every worker in service, which is the one figure here that would not fit a page's time.
CARD_STATUS = "SELECT c.status, COUNT(*) FROM {card} c GROUP BY 1"

# Workers in service by current grade, per job type and per depot.
GRADES = """
SELECT CASE WHEN GROUPING(c.job_type_id) = 0 THEN 'job_type' ELSE 'depot' END,
       COALESCE(c.job_type_id, u.depot_id, 0), c.skill_grade, CAST(SUM(c.n) AS bigint)
FROM ({cells}) AS c JOIN {unit} u ON u.id = c.unit_id
GROUP BY GROUPING SETS ((c.job_type_id, c.skill_grade), (u.depot_id, c.skill_grade))
"""

# The full cross of job type and depot (the export's third sheet).
GRADES_CROSS = """
SELECT c.job_type_id, COALESCE(u.depot_id, 0), c.skill_grade, CAST(SUM(c.n) AS bigint)
FROM ({cells}) AS c JOIN {unit} u ON u.id = c.unit_id
GROUP BY 1, 2, 3
"""


@dataclass
class MonthRow:
    depot_id: int
    depot: str
    month: date
    applied: int
    submitted: int
    returned: int
    approved: int
    rejected: int
    joined: int


@dataclass
class DepotMembers:
    depot_id: int
    depot: str
    workers: int
    members: int
    carded: int  # members holding a card in use (issued or active)

    @property
    def rate(self) -> float:
        """Members per worker in service, as a percentage with one decimal."""
        return round(100 * self.members / self.workers, 1) if self.workers else 0.0

    @property
    def members_without_card(self) -> int:
        return self.members - self.carded


def membership_by_month(year: int) -> list[MonthRow]:
    """Applications and new members per depot and month of ``year``, by depot (the tree's order), then month."""
    names = depot_names()
    order = {pk: i for i, pk in enumerate(names)}
    rows = _fetch(MEMBERSHIP_BY_MONTH, {
        "start": date(year, 1, 1), "end": date(year + 1, 1, 1), "submitted": ApplicationStatus.SUBMITTED.value,
        "returned": ApplicationStatus.RETURNED.value, "approved": ApplicationStatus.APPROVED.value,
        "rejected": ApplicationStatus.REJECTED.value})
    found = [MonthRow(depot_id, names.get(depot_id, ""), month, *counts) for depot_id, month, *counts in rows]
    return sorted(found, key=lambda r: (order.get(r.depot_id, len(order)), r.month))


def depot_members() -> list[DepotMembers]:
    """Workers in service, members and members holding a card in use per depot, in the tree's order; depots
    without workers are left out."""
    names = depot_names()
    found = {depot_id: DepotMembers(depot_id, names.get(depot_id, ""), workers, members, carded)
             for depot_id, workers, members, carded in _fetch(DEPOT_MEMBERS, {"member": MembershipStatus.MEMBER.value})}
    return [found[pk] for pk in names if pk in found]


def card_status() -> list[tuple[str, int]]:
    """(status label, cards) for every status, in the statuses' order."""
    counts = dict(_fetch(CARD_STATUS, {}))
    return [(str(label), counts.get(value, 0)) for value, label in CardStatus.choices]


@dataclass
class GradeRow:
    """Workers in service by grade for one job type or depot (``counts[g]`` for grade g, 1-8)."""

    key: int
    name: str
    counts: dict[int, int] = field(default_factory=dict)
    extra: str = ""  # a job type's business system

    @property
    def by_grade(self) -> list[int]:
        return [self.counts.get(g, 0) for g in SkillGrade.values]

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def _job_type_names() -> dict[int, tuple[str, str]]:
    return {pk: (name, system) for pk, name, system in JobType.objects.order_by(
        "business_system__sort_order", "business_system__code", "code").values_list("pk", "name",
                                                                                    "business_system__name")}


def _grade_rows(by: dict[str, dict[int, dict[int, int]]], job_types, depots) -> tuple[list[GradeRow], list[GradeRow]]:
    return ([GradeRow(pk, name, by["job_type"][pk], system) for pk, (name, system) in job_types.items()
             if pk in by["job_type"]],
            [GradeRow(pk, name, by["depot"][pk]) for pk, name in depots.items() if pk in by["depot"]])


def grade_distribution() -> tuple[list[GradeRow], list[GradeRow]]:
    """(by job type, by depot): workers in service per current grade, in the catalogue's and the tree's order;
    job types and depots without workers are left out."""
    by = {"job_type": {}, "depot": {}}
    for kind, key, grade, count in _fetch(GRADES, {}):
        by[kind].setdefault(key, {})[grade] = count
    return _grade_rows(by, _job_type_names(), depot_names())


def grade_cross() -> tuple[list[GradeRow], list[GradeRow], list[tuple[str, str, list[int], int]]]:
    """What grade_distribution gives, and (job type, depot, count per grade, total) for every combination with
    workers: one query, the two distributions added up from its few thousand rows."""
    job_types, depots = _job_type_names(), depot_names()
    cells: dict[tuple[int, int], dict[int, int]] = {}
    by = {"job_type": {}, "depot": {}}
    for job_type, depot, grade, count in _fetch(GRADES_CROSS, {}):
        cells.setdefault((job_type, depot), {})[grade] = count
        for kind, key in (("job_type", job_type), ("depot", depot)):
            counts = by[kind].setdefault(key, {})
            counts[grade] = counts.get(grade, 0) + count
    jt_order = {pk: i for i, pk in enumerate(job_types)}
    depot_order = {pk: i for i, pk in enumerate(depots)}
    rows = []
    for (job_type, depot), counts in sorted(cells.items(), key=lambda kv: (jt_order.get(kv[0][0], 0),
                                                                          depot_order.get(kv[0][1], 0))):
        by_grade = [counts.get(g, 0) for g in SkillGrade.values]
        rows.append((job_types.get(job_type, ("", ""))[0], depots.get(depot, ""), by_grade, sum(by_grade)))
    return (*_grade_rows(by, job_types, depots), rows)


# --- The pages' copies ------------------------------------------------------------------------------------

FRESH = timedelta(minutes=1)
KEEP_SECONDS = 24 * 3600
REFRESH_SECONDS = 10 * 60  # a refresh that was sent and never ran is sent again after this

# What each page shows, counted; ``year`` only for the membership page (a copy per year asked for).
PAGES = {
    "membership": lambda year: {"rows": membership_by_month(year), "depots": depot_members()},
    "cards": lambda year: {"depots": depot_members(), "statuses": card_status()},
    "grades": lambda year: dict(zip(("by_job_type", "by_depot"), grade_distribution(), strict=True)),
}


def _page_key(page: str, year: int | None) -> str:
    return f"members:statistics:{page}:{year or ''}"


def page_figures(page: str, year: int | None = None) -> dict | None:
    """A page's figures (its template's context, with ``computed_at``) from the cache; None while they are
    being counted for the first time. A missing or older than FRESH copy is counted again by a Celery task,
    one at a time per page and year. With Redis away there is neither a copy nor a task to count one: the
    page counts for itself, as it did before the copies."""
    key = _page_key(page, year)
    figures = cache.get(key)
    if figures is not None and timezone.now() - figures["computed_at"] <= FRESH:
        return figures
    if cache.add(f"{key}:refreshing", 1, REFRESH_SECONDS):
        from members.tasks import refresh_statistics

        send_on_commit(refresh_statistics, page, year, unsent=lambda: cache.delete(f"{key}:refreshing"))
    elif figures is None and cache.get(f"{key}:refreshing") is None:
        return {**PAGES[page](year), "computed_at": timezone.now()}
    return figures


def page_figures_refresh(*, page: str, year: int | None = None) -> dict | None:
    """Counts a page's figures again into the cache; None for a page that is not one (an old message)."""
    if page not in PAGES:
        return None
    key = _page_key(page, year)
    figures = {**PAGES[page](year), "computed_at": timezone.now()}
    cache.set(key, figures, KEEP_SECONDS)
    cache.delete(f"{key}:refreshing")
    return figures


# --- The files ------------------------------------------------------------------------------------------
# Written with config.spreadsheets.XlsxStream: text cells are always text (a depot named "=..." stays a name),
# and a few thousand rows are written in a few milliseconds.

def _xlsx(sheets) -> bytes:
    """An .xlsx of ``sheets``: (title, headers, rows) each."""
    out = io.BytesIO()
    with XlsxStream(out) as book:
        for title, headers, rows in sheets:
            sheet = book.sheet(title, headers)
            for row in rows:
                sheet.append(row)
    return out.getvalue()


def membership_xlsx(year: int) -> bytes:
    return _xlsx([
        (_("按月"), [_("站段"), _("月份"), _("入会申请"), _("待审批"), _("已退回"), _("已批准"), _("不予批准"),
                   _("新入会会员")],
         ([r.depot, f"{r.month:%Y-%m}", r.applied, r.submitted, r.returned, r.approved, r.rejected, r.joined]
          for r in membership_by_month(year))),
        (_("按站段"), [_("站段"), _("在职职工"), _("会员"), _("入会率（%）")],
         ([d.depot, d.workers, d.members, d.rate] for d in depot_members())),
    ])


def cards_xlsx() -> bytes:
    return _xlsx([
        (_("按站段"), [_("站段"), _("会员"), _("持在用卡的会员"), _("无在用卡的会员")],
         ([d.depot, d.members, d.carded, d.members_without_card] for d in depot_members())),
        (_("按卡片状态"), [_("状态"), _("卡片数")], ([label, count] for label, count in card_status())),
    ])


def grades_xlsx() -> bytes:
    grades = [str(label) for label in SkillGrade.labels]
    by_job_type, by_depot, cross = grade_cross()
    return _xlsx([
        (_("按工种"), [_("工种"), _("业务系统"), *grades, _("合计")],
         ([r.name, r.extra, *r.by_grade, r.total] for r in by_job_type)),
        (_("按站段"), [_("站段"), *grades, _("合计")], ([r.name, *r.by_grade, r.total] for r in by_depot)),
        (_("工种×站段"), [_("工种"), _("站段"), *grades, _("合计")],
         ([job_type, depot, *by_grade, total] for job_type, depot, by_grade, total in cross)),
    ])
