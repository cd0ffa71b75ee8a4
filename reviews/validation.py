"""The one place where a work entry is checked, for every path: form, batch grid, file import, API.

``EntryChecker`` loads what the checks need for a whole batch in a fixed number of queries (the
workers the clerk may enter for, the rules and their versions, signed-off months, existing entries),
then checks each row with dictionary look-ups. A single entry is a batch of one.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from competitions.models import Competition, RuleVersion, ScoringRule
from config import pgbulk
from config.formatting import display_month
from config.months import month_of
from config.pgbulk import values_in
from config.stored_text import StoredText, as_stored
from members.models import Worker
from reviews.models import EntryKind, ReviewPeriod

MAX_QUANTITY = Decimal("999999999.999")  # max_digits=12, decimal_places=3
QUANTITY_PLACES = 3
POINTS_QUANTUM = Decimal("0.001")


@dataclass
class RowError:
    """One problem with one row: ``row`` is 1-based (the spreadsheet's data row number, or the
    grid line); ``field`` is the model field name, ``label`` its Chinese name for people."""

    row: int
    field: str
    message: str  # given as a StoredText (config.stored_text), worded in the active language here
    code: str
    # The message's id and facts (a message given as a str: shown as it is), for a background job that keeps
    # a problem of no row as its outcome (members.membership_jobs).
    text: StoredText = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        self.text = as_stored(self.message)
        if isinstance(self.message, StoredText):
            self.message = str(self.message)

    @property
    def label(self) -> str:
        # A field named by its Chinese column (the skill certificates' 证书编号) is worded like the others.
        return str(FIELD_LABELS[self.field]) if self.field in FIELD_LABELS else _(self.field)

    @property
    def field_text(self) -> str:
        """The problem without its row, "工作量：…" ("Quantity: …"): beside its row in the grid, in the
        bad-rows file's column, or for a problem of no row (a whole-batch refusal)."""
        return _("%(label)s：%(message)s") % {"label": self.label, "message": self.message}

    def __str__(self) -> str:
        """"第3行 工作量：…" ("Row 3, Quantity: …"), in the active language; a problem of no row (row 0) is
        its ``field_text``."""
        if not self.row:
            return self.field_text
        return _("第%(row)s行 %(label)s：%(message)s") % {"row": self.row, "label": self.label,
                                                       "message": self.message}


# The column names of the import files (whose headers are Chinese in every language), in the language of the
# page where a row's problem is shown.
FIELD_LABELS = {
    "worker": gettext_lazy("工号"),
    "name": gettext_lazy("姓名"),
    "rule": gettext_lazy("计分指标"),
    "work_date": gettext_lazy("工作日期"),
    "quantity": gettext_lazy("工作量"),
    "note": gettext_lazy("说明"),
    "entry": gettext_lazy("录入"),
}


class EntryRejected(Exception):  # noqa: N818 - reads as a sentence at the call site
    """Raised when one or more rows fail the checks; nothing has been written."""

    def __init__(self, errors: list[RowError]):
        self.errors = errors
        super().__init__("; ".join(str(e) for e in errors[:5]))

    @property
    def first(self) -> RowError:
        return self.errors[0]


@dataclass(slots=True)
class EntryInput:
    """A row as it arrives: ids already resolved, or raw text from a file (resolved by the importer)."""

    worker_id: int | None
    rule_id: int | None
    work_date: date | None
    quantity: Decimal | str | None
    note: str = ""
    row: int = 1


@dataclass(slots=True)
class CheckedEntry:
    """A row that passed every check, with what writing it needs: the ids it is filed under (unit from
    the worker, job type and business system from the rule) and its points."""

    row: int
    worker_id: int
    rule_id: int
    unit_id: int
    job_type_id: int
    business_system_id: int
    work_date: date
    quantity: Decimal
    points: Decimal
    note: str = ""


@dataclass
class CheckResult:
    ok: list[CheckedEntry] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)


def parse_quantity(value, *, allow_negative: bool = False) -> Decimal:
    """A number with at most three decimal places, as a Decimal; ValueError otherwise. Negative only
    for adjustments (a correction after sign-off may take work away)."""
    if isinstance(value, Decimal):
        number = value
    else:
        text = str(value).strip().replace(",", "") if value is not None else ""
        if not text:
            raise ValueError(_("请填写工作量。"))
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise ValueError(_("工作量必须是数字。")) from None
    if not number.is_finite():
        raise ValueError(_("工作量必须是数字。"))
    if number < 0 and not allow_negative:
        raise ValueError(_("工作量不能为负数。"))
    if number.copy_abs() > MAX_QUANTITY:  # copy_abs: no context, so no Overflow for 1E+999999999
        raise ValueError(_("工作量过大。"))
    if -number.as_tuple().exponent > QUANTITY_PLACES and number != number.quantize(Decimal("0.001")):
        raise ValueError(_("工作量最多保留3位小数。"))
    return number.quantize(Decimal("0.001"))


def day_closed(day: date, *, start: date, end: date, today: date, signed_off: bool) -> str | None:
    """Why no work can be entered on ``day``, from the day alone, as the error's code: ``date_outside`` (not in
    the competition, ``start`` to ``end``), ``date_future`` (after ``today``) or ``month_locked`` (its month
    is ``signed_off`` for the business system); None when it is open. EntryChecker refuses a row on it; the
    batch grid (reviews.grid) offers no input on it."""
    if not start <= day <= end:
        return "date_outside"
    if day > today:
        return "date_future"
    if signed_off:
        return "month_locked"
    return None


def local_today() -> date:
    return timezone.localdate()


class EntryChecker:
    """Checks rows for one competition on behalf of one person (the clerk entering them)."""

    def __init__(self, *, actor, competition: Competition, kind: str = EntryKind.REGULAR,
                 exclude_entry_id: int | None = None, correcting=None):
        self.actor = actor
        self.competition = competition
        self.kind = kind
        self.exclude_entry_id = exclude_entry_id
        self.today = local_today()
        # worker id -> what the checks need (None: inactive), for workers already loaded by
        # ``workers_by_employee_no``; ``check`` loads only the others.
        self._workers: dict[int, tuple[int, int, str] | None] = {}
        if correcting is not None:
            # A correction (an edit or an adjustment) of an entry the actor may change (editable_by: its
            # unit is theirs) is of work done where and as the entry files it. The worker may have moved
            # to another depot or job since, or left: the entry's clerk still corrects it, the correction
            # stays filed with the entry, and no other clerk could see it to correct it instead.
            self._workers[correcting.worker_id] = (correcting.job_type_id, correcting.unit_id,
                                                   correcting.job_type.name)

    def check(self, rows: list[EntryInput]) -> CheckResult:
        # Everything is loaded as tuples (no model instances): a file may have 200,000 rows.
        workers = self._load_workers({r.worker_id for r in rows if r.worker_id})
        rules = self._load_rules({r.rule_id for r in rows if r.rule_id})
        versions = self._load_versions(rules.keys())
        signed_off = self._load_signed_off_months({rule[1] for rule in rules.values()})
        regular = self.kind == EntryKind.REGULAR

        result = CheckResult()
        ok, errors = result.ok, result.errors
        # Rows that pass every check but the one against existing entries. The existing entries are
        # looked up while the rows are checked (psycopg's pipeline mode): the query is sent
        # first and its answer read when these rows need it.
        passed: list[CheckedEntry] = []
        with pgbulk.pipeline():
            existing = self._load_existing(rows) if regular else dict
            self._check_rows(rows, workers, rules, versions, signed_off, passed, errors)
            existing = existing()
        if not regular:
            ok.extend(passed)
            return result

        seen_in_batch: dict[tuple, int] = {}
        for entry in passed:
            n, key = entry.row, (entry.worker_id, entry.rule_id, entry.work_date)
            first_id = existing.get(key)
            if first_id is not None:
                errors.append(RowError(n, "work_date", _(
                    "该职工 %(day)s 的“%(metric)s”已有录入（编号 %(id)s），请修改原录入。") % {
                    "day": entry.work_date, "metric": rules[entry.rule_id][2], "id": first_id}, "duplicate_entry"))
                continue
            first_row = seen_in_batch.get(key)
            if first_row is not None:
                errors.append(RowError(n, "work_date", _("与第%(row)s行重复（同一职工、指标、日期）。") % {
                    "row": first_row}, "duplicate_in_batch"))
                continue
            seen_in_batch[key] = n
            ok.append(entry)
        # Errors are listed by row: the duplicates found here came after the other rows' errors. The
        # sort is stable, so each row's errors stay in the order they were found.
        errors.sort(key=_by_row)
        return result

    def _check_rows(self, rows, workers, rules, versions, signed_off, passed, errors) -> None:
        """Every check of each row but the duplicate checks; rows that pass go to ``passed``."""
        allow_negative = self.kind == EntryKind.ADJUSTMENT
        start, end, today = self.competition.start_date, self.competition.end_date, self.today
        quantities: dict[str, Decimal | str] = {}  # text -> parsed quantity, or the message why not
        version_on: dict[tuple, tuple | None] = {}  # (rule id, day) -> the rule version in force that day
        for row in rows:
            n = row.row
            errors_before = len(errors)

            worker = workers.get(row.worker_id)
            if worker is None:
                # Someone else's worker and a worker that does not exist get the same answer, so
                # a clerk cannot probe other units' employee numbers.
                errors.append(RowError(n, "worker", _("找不到该职工，或该职工不属于您负责的单位。"),
                                       "worker_not_enterable"))
            rule = rules.get(row.rule_id)
            if rule is None:
                errors.append(RowError(n, "rule", _("找不到该计分指标，或它不属于本竞赛。"), "rule_unknown"))
            elif worker is not None and rule[0] != worker[0]:
                errors.append(RowError(n, "rule", _("该指标不适用于此职工的工种（%(job_type)s）。") % {
                    "job_type": worker[2]}, "rule_wrong_job_type"))

            day = row.work_date
            if day is None:
                errors.append(RowError(n, "work_date", _("请填写工作日期。"), "date_missing"))
            elif code := day_closed(day, start=start, end=end, today=today,
                                    signed_off=rule is not None and (rule[1], month_of(day)) in signed_off):
                if code == "date_outside":
                    message = _("工作日期不在竞赛期间（%(start)s 至 %(end)s）内。") % {"start": start, "end": end}
                elif code == "date_future":
                    message = _("不能录入未来日期的工作量。")
                else:
                    message = _("%(month)s 已签发锁定，不能再录入或修改；如需更正请提交调整。") % {
                        "month": display_month(day)}
                errors.append(RowError(n, "work_date", message, code))

            value = row.quantity
            quantity = quantities.get(value) if type(value) is str else None
            if quantity is None:
                try:
                    quantity = parse_quantity(value, allow_negative=allow_negative)
                except ValueError as exc:
                    quantity = str(exc)
                if type(value) is str:
                    quantities[value] = quantity
            if type(quantity) is str:
                errors.append(RowError(n, "quantity", quantity, "quantity_invalid"))
                quantity = None

            if len(errors) != errors_before:
                continue
            # From here on worker, rule, day and quantity are all good.
            try:
                version = version_on[row.rule_id, day]
            except KeyError:
                version = version_on[row.rule_id, day] = _version_on(versions.get(row.rule_id, ()), day)
            if version is None:
                errors.append(RowError(n, "rule", _("该指标在 %(day)s 尚未生效。") % {"day": day}, "rule_not_in_force"))
                continue
            if version[2] is not None and quantity > version[2]:
                errors.append(RowError(n, "quantity", _("超过该指标每日上限 %(cap)s%(uom)s。") % {
                    "cap": _plain(version[2]), "uom": rule[3]}, "quantity_over_cap"))
                continue

            points = (quantity * version[1] * rule[4]).quantize(POINTS_QUANTUM)
            passed.append(CheckedEntry(n, row.worker_id, row.rule_id, worker[1], rule[0], rule[1], day, quantity,
                                       points, (row.note or "")[:200]))

    def workers_by_employee_no(self, employee_nos) -> dict[str, tuple[int, str, int]]:
        """Employee number -> (worker id, name, job type id) for the workers the actor may enter for,
        active or not: a file names workers by number. What ``check`` needs of these workers is kept, so
        checking the file's rows does not load the same workers a second time."""
        found = {}
        known = self._workers
        qs = (Worker.objects.enterable_by(self.actor).filter(values_in("employee_no", employee_nos, "text"))
              .order_by().values_list("pk", "employee_no", "name", "job_type_id", "unit_id", "job_type__name",
                                      "is_active"))
        for pk, employee_no, name, job_type_id, unit_id, job_type_name, is_active in _key_shared(qs, Worker):
            found[employee_no] = (pk, name, job_type_id)
            known[pk] = (job_type_id, unit_id, job_type_name) if is_active else None
        return found

    # -- loading, a fixed number of queries per batch -------------------------------------------
    def _load_workers(self, ids) -> dict[int, tuple[int, int, str]]:
        """worker id -> (job type id, unit id, job type name), for the active workers the actor may enter
        for."""
        known = self._workers
        workers = {pk: worker for pk in ids if (worker := known.get(pk)) is not None}
        ids = [pk for pk in ids if pk not in known]
        if ids:
            qs = (Worker.objects.enterable_by(self.actor).filter(values_in("pk", ids, "bigint"), is_active=True)
                  .order_by().values_list("pk", "job_type_id", "unit_id", "job_type__name"))
            workers.update((pk, tuple(rest)) for pk, *rest in _key_shared(qs, Worker))
        return workers

    def _load_rules(self, ids) -> dict[int, tuple[int, int, str, str, int]]:
        """rule id -> (job type id, business system id, metric, unit of measure, direction)."""
        if not ids:
            return {}
        qs = (ScoringRule.objects.filter(pk__in=ids, competition=self.competition, is_active=True).order_by()
              .values_list("pk", "job_type_id", "job_type__business_system_id", "metric", "unit_of_measure",
                           "direction"))
        # Locked (_key_shared) also for this: a new rule version (competitions.services.rule_version_add)
        # locks its rule FOR UPDATE, so it waits for this write and then reprices its entries, and a write
        # that starts meanwhile waits and then reads the new version below.
        return {pk: rest for pk, *rest in _key_shared(qs, ScoringRule)}

    def _load_versions(self, rule_ids) -> dict[int, list[tuple[date, Decimal, Decimal | None]]]:
        """rule id -> [(effective from, points per unit, daily cap)], newest first."""
        by_rule: dict[int, list] = defaultdict(list)
        qs = (RuleVersion.objects.filter(rule_id__in=list(rule_ids)).order_by("rule_id", "-effective_from")
              .values_list("rule_id", "effective_from", "points_per_unit", "daily_cap"))
        for rule_id, *version in qs:
            by_rule[rule_id].append(tuple(version))
        return by_rule

    def _load_signed_off_months(self, system_ids) -> set[tuple[int, date]]:
        if not system_ids:
            return set()
        return set(
            ReviewPeriod.objects.signed_off().filter(competition=self.competition, business_system_id__in=system_ids)
            .values_list("business_system_id", "month")
        )

    def _load_existing(self, rows) -> Callable[[], dict[tuple, int]]:
        """(worker id, rule id, day) -> id of the regular entry already there, for the rows' keys; as a
        function that returns it (the query is under way when this returns)."""
        # In the rows' order (a file is usually sorted by worker or day): neighbouring probes of the index
        # then land on the same pages.
        keys = dict.fromkeys((r.worker_id, r.rule_id, r.work_date) for r in rows
                             if r.worker_id and r.rule_id and r.work_date)
        if not keys:
            return dict
        # Joined against the one-per-worker-rule-day index, so the cost follows the batch, not the
        # workers' history. The batch's first and last day, as constants, keep the probes to the
        # partitions of its months (joined on the arrays' dates alone, each key would probe every month's).
        worker_ids, rule_ids, days = zip(*keys, strict=True)
        cursor = connection.cursor()
        cursor.execute(
            "SELECT e.id, e.worker_id, e.rule_id, e.work_date"
            "  FROM unnest(%s::bigint[], %s::bigint[], %s::date[]) AS k(worker_id, rule_id, work_date)"
            "  JOIN reviews_workentry e ON e.worker_id = k.worker_id AND e.rule_id = k.rule_id"
            "   AND e.work_date = k.work_date AND e.kind = %s"
            " WHERE e.id <> %s AND e.work_date BETWEEN %s AND %s",
            [pgbulk.array(worker_ids, "number"), pgbulk.array(rule_ids, "number"), pgbulk.array(days, "date"),
             EntryKind.REGULAR, self.exclude_entry_id or 0, min(days), max(days)],
        )

        def answer():
            with cursor, connection.wrap_database_errors:
                return {(worker_id, rule_id, day): pk for pk, worker_id, rule_id, day in cursor.fetchall()}

        return answer


def _key_shared(qs, model) -> list[tuple]:
    """The rows of ``qs`` (a ``values_list``), its ``model`` rows locked FOR KEY SHARE until the write
    commits: reviews_workentry has no foreign key to the workers and rules it names, and their delete
    guard (reviews/sql/entry_references.sql) relies on this lock to wait for the entries being written.
    Entry writes do not block each other on it. Read as plain tuples (the values need no conversion)."""
    try:
        query, params = qs.query.sql_with_params()
    except EmptyResultSet:  # nobody to enter for (Worker.objects.none()), or no values asked for
        return []
    with connection.cursor() as cursor:
        cursor.execute(f"{query} FOR KEY SHARE OF {connection.ops.quote_name(model._meta.db_table)}", params)
        return cursor.fetchall()


def _by_row(error: RowError) -> int:
    return error.row


def _version_on(versions, day: date):
    for version in versions:  # (effective from, points per unit, daily cap), newest first
        if version[0] <= day:
            return version
    return None


def _plain(number: Decimal) -> str:
    return format(number.normalize(), "f")
