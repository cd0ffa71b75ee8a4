"""Work-entry files from unit clerks: the template, reading CSV/xlsx, and turning rows into entries.

The file's rows are resolved in bulk (employee numbers and metric names to ids, one query each) and
then checked by the same ``EntryChecker`` as every other path. Row numbers in messages are the
spreadsheet's own (the header is row 1), so a clerk can go straight to the line.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date, datetime

from django.utils import timezone
from django.utils.translation import gettext as _

from competitions.models import Competition, ScoringRule
from members.models import Worker
from reviews.validation import EntryChecker, EntryInput, RowError

COLUMNS = ["工号", "姓名", "工作日期", "计分指标", "工作量", "说明"]
REQUIRED = ["工号", "工作日期", "计分指标", "工作量"]
MAX_ROWS = 200_000
MAX_BYTES = 20 * 1024 * 1024
_COLUMN_FIELD = {"工号": "worker", "姓名": "name", "工作日期": "work_date", "计分指标": "rule", "工作量": "quantity",
                 "说明": "note"}


class ImportFileError(Exception):
    """The file as a whole cannot be read (wrong type, no header, too big)."""


@dataclass
class ParsedFile:
    rows: list[EntryInput] = field(default_factory=list)
    raw: dict[int, list[str]] = field(default_factory=dict)  # row number -> the cells as read
    errors: list[RowError] = field(default_factory=list)
    total: int = 0


def read_table(name: str, content: bytes) -> list[list]:
    """Rows of cells (header first) from a .csv (UTF-8 or GBK, as Excel in China saves it) or .xlsx."""
    if len(content) > MAX_BYTES:
        raise ImportFileError(_("文件过大（上限20MB），请分批导入。"))
    lower = name.lower()
    if lower.endswith(".csv"):
        for encoding in ("utf-8-sig", "gb18030"):
            try:
                text = content.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
        else:
            raise ImportFileError(_("无法识别文件编码，请另存为UTF-8编码的CSV。"))
        return list(csv.reader(io.StringIO(text)))
    if lower.endswith(".xlsx"):
        from openpyxl import load_workbook

        try:
            book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        except Exception:  # openpyxl raises many kinds for a broken file; all mean "not a workbook"
            raise ImportFileError(_("无法读取该Excel文件，请使用下载的模板（.xlsx）。")) from None
        sheet = book.worksheets[0]
        return [list(row) for row in sheet.iter_rows(values_only=True)]
    raise ImportFileError(_("只支持 .xlsx 或 .csv 文件。"))


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _parse_date(value) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = _cell_text(value).replace("/", "-").replace(".", "-")
    if not text:
        return None
    try:
        return date.fromisoformat(text) if len(text) == 10 else datetime.strptime(text, "%Y-%m-%d").date()
    except ValueError:
        raise ValueError(_("日期格式应为 2026-11-23。")) from None


def parse_entries(*, actor, competition: Competition, table: list[list]) -> ParsedFile:
    """Resolve a table's rows to ``EntryInput``s; problems found here become row errors."""
    if not table:
        raise ImportFileError(_("文件是空的。"))
    header = [_cell_text(c) for c in table[0]]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise ImportFileError(_("缺少列：%(cols)s。请使用下载的模板。") % {"cols": "、".join(missing)})
    index = {name: header.index(name) for name in COLUMNS if name in header}
    body = [(n, row) for n, row in enumerate(table[1:], start=2) if any(_cell_text(c) for c in row)]
    if len(body) > MAX_ROWS:
        raise ImportFileError(_("一次最多导入%(max)s行，请分批导入。") % {"max": MAX_ROWS})

    def cell(row, name):
        i = index.get(name)
        return row[i] if i is not None and i < len(row) else None

    employee_nos = {_cell_text(cell(row, "工号")) for _, row in body}
    # Only workers the clerk may enter for are found; others read as unknown (no probing).
    workers = {
        emp: (pk, name, job_type_id)
        for pk, emp, name, job_type_id in Worker.objects.enterable_by(actor)
        .filter(employee_no__in=employee_nos).values_list("pk", "employee_no", "name", "job_type_id")
    }
    rules = {(jt, metric): pk for pk, jt, metric in ScoringRule.objects.filter(competition=competition)
             .values_list("pk", "job_type_id", "metric")}

    parsed = ParsedFile(total=len(body))
    for n, row in body:
        parsed.raw[n] = [_cell_text(cell(row, name)) for name in COLUMNS]
        emp = _cell_text(cell(row, "工号"))
        found = workers.get(emp)
        worker_id = rule_id = None
        if not emp:
            parsed.errors.append(RowError(n, "worker", _("请填写工号。"), "worker_missing"))
        elif found is None:
            parsed.errors.append(RowError(n, "worker", _("找不到该职工，或该职工不属于您负责的单位。"),
                                          "worker_not_enterable"))
        else:
            worker_id = found[0]
            given_name = _cell_text(cell(row, "姓名"))
            if given_name and given_name != found[1]:
                parsed.errors.append(RowError(n, "name", _("姓名与工号不一致（系统中为 %(name)s）。") % {
                    "name": found[1]}, "name_mismatch"))
            metric = _cell_text(cell(row, "计分指标"))
            rule_id = rules.get((found[2], metric))
            if rule_id is None:
                parsed.errors.append(RowError(n, "rule", _("“%(metric)s”不是该职工工种在本竞赛中的计分指标。") % {
                    "metric": metric}, "rule_unknown"))
        work_date = None
        try:
            work_date = _parse_date(cell(row, "工作日期"))
            if work_date is None:
                parsed.errors.append(RowError(n, "work_date", _("请填写工作日期。"), "date_missing"))
        except ValueError as exc:
            parsed.errors.append(RowError(n, "work_date", str(exc), "date_invalid"))
        if worker_id and rule_id and work_date:
            parsed.rows.append(EntryInput(worker_id, rule_id, work_date, _cell_text(cell(row, "工作量")),
                                          _cell_text(cell(row, "说明"))[:200], row=n))
    return parsed


def check_file(*, actor, competition: Competition, name: str, content: bytes) -> tuple[ParsedFile, list]:
    """Read, resolve and check a whole file. Returns the parsed file and the checked good rows;
    ``parsed.errors`` lists every problem, sorted by row."""
    parsed = parse_entries(actor=actor, competition=competition, table=read_table(name, content))
    result = EntryChecker(actor=actor, competition=competition).check(parsed.rows)
    parsed.errors.extend(result.errors)
    parsed.errors.sort(key=lambda e: (e.row, list(_COLUMN_FIELD.values()).index(e.field)
                                      if e.field in _COLUMN_FIELD.values() else 9))
    bad_rows = {e.row for e in parsed.errors}
    good = [c for c in result.ok if c.row not in bad_rows]
    return parsed, good


def template_xlsx(competition: Competition, rules) -> bytes:
    """The fixed template: an entry sheet with the header and an example row, and a sheet listing the
    metrics per job type (so the clerk copies names exactly)."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "录入"
    sheet.append(COLUMNS)
    sheet.append(["E000001", "张三", timezone.localdate().isoformat(), "安全走行公里", 350, ""])
    for column, width in zip("ABCDEF", (12, 10, 12, 16, 10, 30), strict=True):
        sheet.column_dimensions[column].width = width
    metrics = book.create_sheet("计分指标")
    metrics.append(["业务系统", "工种", "计分指标", "计量单位", "加/扣分"])
    for rule in rules:
        metrics.append([rule.job_type.business_system.name, rule.job_type.name, rule.metric, rule.unit_of_measure,
                        rule.get_direction_display()])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def template_csv() -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    writer.writerow(["E000001", "张三", timezone.localdate().isoformat(), "安全走行公里", "350", ""])
    return out.getvalue().encode("utf-8-sig")


def bad_rows_csv(parsed: ParsedFile) -> bytes:
    """The rows with problems, as they were read, with an error column: fix and re-import."""
    messages: dict[int, list[str]] = {}
    for error in parsed.errors:
        messages.setdefault(error.row, []).append(f"{error.label}：{error.message}")
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["原行号", *COLUMNS, "错误"])
    for row in sorted(messages):
        writer.writerow([row, *parsed.raw.get(row, [""] * len(COLUMNS)), "；".join(messages[row])])
    return out.getvalue().encode("utf-8-sig")
