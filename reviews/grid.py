"""The clerk's batch grid (reviews.views.entry_grid): which rows a page shows, the errors placed on their rows,
and the rows' HTML.

Two shapes: a day and a metric with a row per worker of the metric's job type (a page of ``GRID_PAGE``
workers, in the unit tree's order, paged by key), or one worker's week with a row per day and metric. Rows
are numbered as the page shows them, and an error found in a row is shown on that row.

The rows' HTML is written here rather than in the template: a page has up to GRID_PAGE rows of a dozen
values each, and the template engine resolving them one variable at a time was most of the page's time.
Every value is escaped as the template would.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Q, Subquery
from django.utils import dateformat
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from config import cursors
from config.formatting import format_count, format_quantity
from config.months import month_of
from members.models import Worker
from reviews.models import EntryKind, ReviewPeriod, WorkEntry
from reviews.validation import RowError, day_closed, local_today

GRID_PAGE = 500  # workers per page of the day grid
CURSOR = "grid"  # the cursor's salt (config.cursors): (last worker's id, their position)


@dataclass(slots=True)
class GridRow:
    n: int  # the row's number as the page shows it (page two of a day grid starts at GRID_PAGE + 1)
    key: str  # "worker id:rule id:day", the name of the row's inputs
    worker: Worker
    rule: object  # ScoringRule
    day: date
    existing: Decimal | None  # the quantity already entered: the row shows it instead of an input
    closed: str | None = None  # why nothing can be entered on the row's day (shown instead of an input)
    value: str = ""  # what was typed, shown again after an error
    note: str = ""
    errors: list[str] = field(default_factory=list)


@dataclass
class Shown:
    """What a day grid's page says about the workers: how many in all, which of them are on this page."""

    total: int
    first: int
    last: int
    next: str | None  # the next page's cursor

    @property
    def partial(self) -> bool:
        return self.next is not None or self.first > 1


def closed_days(*, competition, system_id: int, days: list[date]) -> dict[date, str]:
    """The days of ``days`` on which the grid offers no input, with the reason it shows instead: the checks of
    reviews.validation that depend on the day alone (outside the competition, in the future, in a month
    signed off for the business system), so that a clerk is not offered a cell that saving always refuses."""
    today = local_today()
    signed_off = set(ReviewPeriod.objects.signed_off().filter(
        competition=competition, business_system_id=system_id, month__in={month_of(d) for d in days})
        .values_list("month", flat=True))
    labels = {"date_outside": _("不在竞赛期间"), "date_future": _("未来日期"), "month_locked": _("本月已签发锁定")}
    closed = {}
    for d in days:
        code = day_closed(d, start=competition.start_date, end=competition.end_date, today=today,
                          signed_off=month_of(d) in signed_off)
        if code is not None:
            closed[d] = labels[code]
    return closed


def day_rows(*, user, competition, rule, day: date, after: tuple[int, int] | None) -> tuple[list[GridRow], Shown]:
    """The page of the day grid after the cursor ``after`` (None: the first page). The cursor holds the
    last worker's id and position, never an employee number (it travels in links); the page after it
    starts past that worker's (unit path, 工号), looked up inside the page's own query."""
    workers = Worker.objects.enterable_by(user).filter(job_type_id=rule.job_type_id, is_active=True)
    total = workers.count()
    qs = workers.select_related("unit").only("pk", "employee_no", "name", "unit__name", "unit__path")
    first = 1
    if after is not None:
        last = Worker.objects.filter(pk=after[0])
        path = Subquery(last.values("unit__path")[:1])
        qs = qs.filter(Q(unit__path__gt=path)
                       | Q(unit__path=path, employee_no__gt=Subquery(last.values("employee_no")[:1])))
        first = after[1] + 1
    page = list(qs.order_by("unit__path", "employee_no")[:GRID_PAGE + 1])
    more = len(page) > GRID_PAGE
    page = page[:GRID_PAGE]
    last_n = first + len(page) - 1
    existing = dict(WorkEntry.objects.filter(rule=rule, work_date=day, kind=EntryKind.REGULAR,
                                             worker__in=[w.pk for w in page]).values_list("worker_id", "quantity"))
    suffix = f":{rule.pk}:{day.isoformat()}"
    closed = closed_days(competition=competition, system_id=rule.job_type.business_system_id, days=[day]).get(day)
    rows = [GridRow(n, f"{w.pk}{suffix}", w, rule, day, existing.get(w.pk), closed)
            for n, w in enumerate(page, start=first)]
    return rows, Shown(total, first, last_n, cursors.encode(CURSOR, page[-1].pk, last_n) if more else None)


def week_rows(*, worker, competition, rules, day: date) -> list[GridRow]:
    """The week (Monday to Sunday) of ``day`` for one worker: a row per day and metric of their job type."""
    start = day - timedelta(days=day.weekday())
    days = [start + timedelta(days=i) for i in range(7)]
    worker_rules = [r for r in rules if r.job_type_id == worker.job_type_id]
    existing = {(r, d): q for r, d, q in WorkEntry.objects.filter(
        worker=worker, work_date__in=days, kind=EntryKind.REGULAR).values_list("rule_id", "work_date", "quantity")}
    cells = [(r, d) for d in days for r in worker_rules]
    closed = closed_days(competition=competition, system_id=worker_rules[0].job_type.business_system_id,
                         days=days) if worker_rules else {}
    return [GridRow(n, f"{worker.pk}:{r.pk}:{d.isoformat()}", worker, r, d, existing.get((r.pk, d)), closed.get(d))
            for n, (r, d) in enumerate(cells, start=1)]


def place_errors(errors: list[RowError], rows: list[GridRow]) -> tuple[list[int], list[RowError]]:
    """Puts each error on its row. Returns the numbers of the rows with errors, and the errors that have
    no row on the page (a whole-batch refusal, a key edited by hand), for the top of the page."""
    by_n = {row.n: row for row in rows}
    bad: list[int] = []
    elsewhere: list[RowError] = []
    for error in errors:
        row = by_n.get(error.row)
        if row is None:
            elsewhere.append(error)
            continue
        row.errors.append(error.field_text)
        if not bad or bad[-1] != error.row:
            bad.append(error.row)
    return bad, elsewhere


def rows_html(rows: list[GridRow]) -> SafeString:
    """The rows of the grid's table body, each value escaped."""
    entered, quantity_label, note_label = escape(_("已录入")), escape(_("工作量")), escape(_("说明"))
    days: dict[date, tuple[str, str]] = {}
    rules: dict[int, str] = {}
    out = []
    for row in rows:
        labels = days.get(row.day)
        if labels is None:
            labels = days[row.day] = (escape(dateformat.format(row.day, "m-d D")),
                                      escape(dateformat.format(row.day, "m-d")))
        rule = row.rule
        metric = rules.get(rule.pk)
        if metric is None:
            metric = rules[rule.pk] = f"{escape(rule.metric)}（{escape(rule.unit_of_measure)}）"
        worker = row.worker
        name = escape(worker.name)
        if row.existing is not None:
            quantity = (f'<span class="badge">{entered} '
                        f'{escape(format_quantity(row.existing, rule.unit_of_measure))}</span>')
            note = ""
        elif row.closed is not None and not row.errors:
            quantity, note = f'<span class="muted">{escape(row.closed)}</span>', ""
        else:
            key = escape(row.key)
            invalid = f' aria-invalid="true" aria-describedby="err-{row.n}"' if row.errors else ""
            quantity = (f'<input type="hidden" name="key" value="{key}"><input name="q:{key}" '
                        f'value="{escape(row.value)}" inputmode="decimal" size="8" '
                        f'aria-label="{quantity_label} {name} {labels[1]}"{invalid}>')
            note = (f'<input name="n:{key}" value="{escape(row.note)}" maxlength="200" size="12" '
                    f'aria-label="{note_label} {name} {labels[1]}">')
        tr_class = ""
        if row.errors:
            items = "".join(f"<li>{escape(e)}</li>" for e in row.errors)
            quantity += f'<ul class="errors" id="err-{row.n}">{items}</ul>'
            tr_class = ' class="invalid"'
        out.append(f'<tr id="row-{row.n}"{tr_class}>'
                   f'<td>{format_count(row.n)}</td>'
                   f'<td>{escape(worker.employee_no)} {name}<div class="muted">{escape(worker.unit.name)}</div></td>'
                   f'<td>{labels[0]}</td><td>{metric}</td><td>{quantity}</td><td>{note}</td></tr>')
    return mark_safe("\n".join(out))  # noqa: S308 - built above from escaped values only
