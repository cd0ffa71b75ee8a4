"""Work-entry files from unit clerks: the template, reading CSV/xlsx, and turning rows into entries.

The file's rows are resolved in bulk (employee numbers and metric names to ids, one query each) and
then checked by the same ``EntryChecker`` as every other path. Row numbers in messages are the
spreadsheet's own (the header is row 1), so a clerk can go straight to the line.
"""

from __future__ import annotations

import csv
import gc
import io
import re
import zipfile
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, pgettext

from competitions.models import Competition, ScoringRule
from config.formatting import format_count
from config.spreadsheets import (
    SpreadsheetRefused,
    XlsxStream,
    cell_date,
    check_xlsx,
    csv_row,
    csv_rows_read,
    xlsx_append,
)
from config.stored_text import Refusal
from config.text import typed_code
from reviews.validation import EntryChecker, EntryInput, RowError

COLUMNS = ["工号", "姓名", "工作日期", "计分指标", "工作量", "说明"]
REQUIRED = ["工号", "工作日期", "计分指标", "工作量"]
MAX_ROWS = 200_000
MAX_BYTES = 20 * 1024 * 1024
_COLUMN_FIELD = {"工号": "worker", "姓名": "name", "工作日期": "work_date", "计分指标": "rule", "工作量": "quantity",
                 "说明": "note"}


# A file of more rows than this is imported by a background job (reviews.jobs) rather than in the request:
# at import speed that is about a tenth of a second, well inside a request; a file of 200,000 rows is not.
IMPORT_BACKGROUND_ROWS = 2_000
_XLSX_DIMENSION = re.compile(rb'<(?:\w+:)?dimension ref="[A-Z]+[0-9]+:[A-Z]+([0-9]+)"')


def import_in_background(name: str, content: bytes) -> bool:
    """Whether the file has more than IMPORT_BACKGROUND_ROWS rows, judged without reading it: a CSV's
    line breaks, an xlsx sheet's declared dimension (the start of its first sheet, a few kilobytes
    unpacked). A file that does not say (no dimension, not a workbook) goes to the background: the job
    reads it properly and says what is wrong with it."""
    if name.lower().endswith(".csv"):
        lines = content.count(b"\n") + (not content.endswith(b"\n"))
        return lines - 1 > IMPORT_BACKGROUND_ROWS  # the header is not a row
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as book:
            sheets = sorted(n for n in book.namelist() if n.startswith("xl/worksheets/sheet") and n.endswith(".xml"))
            if not sheets:
                return True
            with book.open(sheets[0]) as sheet:
                head = sheet.read(8192)
    except Exception:  # a broken or unusual zip raises several kinds; the job says what is wrong
        return True
    found = _XLSX_DIMENSION.search(head)
    return found is None or int(found.group(1)) - 1 > IMPORT_BACKGROUND_ROWS


class ImportFileError(Refusal):
    """The file as a whole cannot be read (wrong type, no header, too big): a message id and its facts
    (config.stored_text), so a background import keeps it to be shown in its reader's language."""


@dataclass
class ParsedFile:
    rows: list[EntryInput] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    total: int = 0
    table: list[list] = field(default_factory=list, repr=False)
    index: dict[str, int] = field(default_factory=dict, repr=False)  # column name -> position
    # Rows left without a 工作量 (the roster template has a row per worker and metric; those a clerk
    # leaves empty are work not done, not mistakes). Counted, so the preview says how many.
    skipped: int = 0

    def cells(self, row: int) -> list[str]:
        """Row ``row`` (the spreadsheet's number) as read, one text per column of ``COLUMNS``."""
        cells = self.table[row - 1] if 1 < row <= len(self.table) else []
        return [_cell_text(cells[i]) if (i := self.index.get(name)) is not None and i < len(cells) else ""
                for name in COLUMNS]


def read_table(name: str, content: bytes) -> list[list]:
    """Rows of cells (header first) from a .csv (UTF-8 or GBK, as Excel in China saves it) or .xlsx."""
    if len(content) > MAX_BYTES:
        raise ImportFileError(gettext_noop("文件过大（上限20MB），请分批导入。"))
    lower = name.lower()
    if lower.endswith(".csv"):
        for encoding in ("utf-8-sig", "gb18030"):
            try:
                text = content.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
        else:
            raise ImportFileError(gettext_noop("无法识别文件编码，请另存为UTF-8编码的CSV。"))
        rows = list(csv.reader(io.StringIO(text)))
        if "\x00" in text:
            _refuse_nul(rows)
        # Only a file with a quote anywhere can hold a quoted formula-like cell (the common case skips the pass).
        return csv_rows_read(rows) if "'" in text else rows
    if lower.endswith(".xlsx"):
        # calamine (Rust) reads a sheet about eight times faster than openpyxl. Empty cells come back
        # as "", whole numbers as floats (1.0) and date cells as date/datetime; _cell_text and
        # cell_date read all of these. skip_empty_area=False keeps row numbers the spreadsheet's own.
        from python_calamine import CalamineWorkbook

        try:
            check_xlsx(content)
        except SpreadsheetRefused as refused:
            raise ImportFileError(refused.text) from None
        try:
            rows = CalamineWorkbook.from_filelike(io.BytesIO(content)).get_sheet_by_index(0).to_python(
                skip_empty_area=False)
        except Exception:  # a broken file raises several kinds; all mean "not a workbook"
            raise ImportFileError(gettext_noop("无法读取该Excel文件，请使用下载的模板（.xlsx）。")) from None
        _refuse_nul(rows)  # a sheet's XML spells one as _x0000_, which the reader turns into the character
        return rows
    raise ImportFileError(gettext_noop("只支持 .xlsx 或 .csv 文件。"))


def _refuse_nul(rows: list[list]) -> None:
    """ImportFileError naming the first cell that holds a NUL character (PostgreSQL text cannot store one;
    it would fail the save after a preview that passed), by row and by the column's header. Every import
    reads its file through read_table, so this is the one check for all of them."""
    header = rows[0] if rows else []
    for n, row in enumerate(rows, start=1):
        for i, cell in enumerate(row):
            if isinstance(cell, str) and "\x00" in cell:
                column = _cell_text(header[i]).replace("\x00", "") if i < len(header) else ""
                raise ImportFileError(
                    gettext_noop("第%(row)s行“%(column)s”列含有无法保存的空字符（NUL），请删除后重新导入。"),
                    row=n, column=column or i + 1)

def _cell_text(value) -> str:
    if value.__class__ is str:
        return value.strip()
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def parse_entries(*, checker: EntryChecker, table: list[list]) -> ParsedFile:
    """Resolve a table's rows to ``EntryInput``s for ``checker``; problems found here become row errors."""
    if not table:
        raise ImportFileError(gettext_noop("文件是空的。"))
    header = [_cell_text(c) for c in table[0]]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise ImportFileError(gettext_noop("缺少列：%(cols)s。请使用下载的模板。"), cols="、".join(missing))
    index = {name: header.index(name) for name in COLUMNS if name in header}
    width = max(index.values()) + 1
    body = []  # (row number, cells as read, their texts)
    strip = str.strip
    for n, row in enumerate(table[1:], start=2):
        # This runs once per cell of the file. A CSV's cells are all text: strip them in one go.
        try:
            texts = list(map(strip, row))
        except TypeError:  # a spreadsheet's numbers, dates, empty cells
            texts = [_cell_text(c) for c in row]
        if any(texts):
            if len(row) < width:
                row = [*row, *[None] * (width - len(row))]
                texts += [""] * (width - len(texts))
            body.append((n, row, texts))
    if len(body) > MAX_ROWS:
        raise ImportFileError(gettext_noop("一次最多导入%(max)s行，请分批导入。"), max=MAX_ROWS)
    i_worker, i_date, i_rule, i_quantity = (index[c] for c in REQUIRED)
    i_name, i_note = index.get("姓名"), index.get("说明")
    kept = [item for item in body if item[2][i_quantity]]  # see ParsedFile.skipped
    skipped = len(body) - len(kept)
    body = kept
    for _n, _row, texts in body:
        # The 工号 as typed with a Chinese input method (１１０００４４６, spaces around it) is the number.
        texts[i_worker] = typed_code(texts[i_worker])

    # Only workers the clerk may enter for are found; others read as unknown (no probing).
    workers = checker.workers_by_employee_no({texts[i_worker] for _, _, texts in body})
    rules = {(jt, metric): pk for pk, jt, metric in ScoringRule.objects.filter(competition=checker.competition)
             .values_list("pk", "job_type_id", "metric")}

    parsed = ParsedFile(total=len(body), table=table, index=index, skipped=skipped)
    errors, inputs = parsed.errors, parsed.rows
    dates: dict = {}  # cell value -> date, None (empty) or the message why it is not a date
    for n, row, texts in body:
        emp = texts[i_worker]
        found = workers.get(emp)
        worker_id = rule_id = None
        if not emp:
            errors.append(RowError(n, "worker", _("请填写工号。"), "worker_missing"))
        elif found is None:
            errors.append(RowError(n, "worker", _("找不到该职工，或该职工不属于您负责的单位。"),
                                   "worker_not_enterable"))
        else:
            worker_id = found[0]
            given_name = texts[i_name] if i_name is not None else ""
            if given_name and given_name != found[1]:
                errors.append(RowError(n, "name", _("姓名与工号不一致（系统中为 %(name)s）。") % {
                    "name": found[1]}, "name_mismatch"))
            metric = texts[i_rule]
            rule_id = rules.get((found[2], metric))
            if rule_id is None:
                errors.append(RowError(n, "rule", _("“%(metric)s”不是该职工工种在本竞赛中的计分指标。") % {
                    "metric": metric}, "rule_unknown"))
        value = row[i_date]
        try:
            work_date = dates[value]
        except KeyError:
            try:
                work_date = cell_date(value)
            except ValueError as exc:
                work_date = str(exc)
            dates[value] = work_date
        if work_date is None:
            errors.append(RowError(n, "work_date", _("请填写工作日期。"), "date_missing"))
        elif work_date.__class__ is str:
            errors.append(RowError(n, "work_date", work_date, "date_invalid"))
        elif worker_id and rule_id:
            inputs.append(EntryInput(worker_id, rule_id, work_date, texts[i_quantity],
                                     texts[i_note][:200] if i_note is not None else "", n))
    return parsed


@contextmanager
def collector_paused():
    """Python's cycle collector off while a file is read, checked and written, back as it was afterwards.

    Reading and checking a file makes a few objects per row (its cells, the row to check, the checked
    row) that live until the import ends: the collector runs again and again while they pile up and
    walks them all each time (a large share of the Python time of a big file). They form no
    reference cycles. If two requests overlap, the first to finish switches the collector back on."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def check_file(*, actor, competition: Competition, name: str, content: bytes) -> tuple[ParsedFile, list]:
    """Read, resolve and check a whole file. Returns the parsed file and the checked good rows;
    ``parsed.errors`` lists every problem, sorted by row."""
    checker = EntryChecker(actor=actor, competition=competition)
    with collector_paused():
        parsed = parse_entries(checker=checker, table=read_table(name, content))
        result = checker.check(parsed.rows)
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
        xlsx_append(metrics, [rule.job_type.business_system.name, rule.job_type.name, rule.metric,
                              rule.unit_of_measure, rule.get_direction_display()])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def template_csv() -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    writer.writerow(["E000001", "张三", timezone.localdate().isoformat(), "安全走行公里", "350", ""])
    return out.getvalue().encode("utf-8-sig")


# -- the preview's report and the bad-rows file -------------------------------------------------

ERROR_COLUMN = "错误说明"
GROUP_FIRST_ROWS = 5  # rows of each group shown on the preview as they were read
GROUP_RUNS_LISTED = 4  # a group of more runs of rows than this shows its first and last row only


@dataclass
class ErrorGroup:
    """Rows with the same problem (same field, same message): "第 12–7,980 行：…，共 7,967 行"."""

    label: str
    message: str
    rows: list[int]
    first: list[tuple[int, list[str]]] = field(default_factory=list)  # set by the page: (row, its cells)

    @property
    def count(self) -> int:
        return len(self.rows)

    @property
    def brief(self) -> str:
        """The message without its full stop, for "…：message，共 n 行"."""
        return self.message.rstrip("。.")

    @property
    def where(self) -> str:
        return rows_text(self.rows)


def rows_text(rows: list[int]) -> str:
    """Sorted row numbers as a person reads them: "第 12 行", "第 2、5–9 行", or, for rows scattered in
    many runs, the first and the last ("第 12–7,980 行"; the group's count says how many)."""
    runs: list[list[int]] = []
    for n in rows:
        if runs and n == runs[-1][1] + 1:
            runs[-1][1] = n
        else:
            runs.append([n, n])
    if len(runs) > GROUP_RUNS_LISTED:
        runs = [[rows[0], rows[-1]]]
    parts = [format_count(a) if a == b else f"{format_count(a)}–{format_count(b)}" for a, b in runs]
    if len(rows) == 1:  # English says "Row 4", not "Rows 4"
        return pgettext("一行", "第 %(rows)s 行") % {"rows": parts[0]}
    return _("第 %(rows)s 行") % {"rows": _("、").join(parts)}


def error_groups(errors: list[RowError]) -> list[ErrorGroup]:
    """The errors grouped by field and message, the group met first in the file first."""
    groups: dict[tuple[str, str], ErrorGroup] = {}
    for error in errors:
        key = (error.field, error.message)
        group = groups.get(key)
        if group is None:
            group = groups[key] = ErrorGroup(error.label, error.message, [])
        if not group.rows or group.rows[-1] != error.row:
            group.rows.append(error.row)
    return list(groups.values())


PREVIEW_GROUPS_SHOWN = 50  # groups of identical errors on a preview; the bad-rows file has them all


def import_preview(*, token: str, name: str, total: int, good: int, errors: list[RowError], columns,
                   cells: Callable[[int], list[str]], skipped: int = 0) -> dict:
    """What an import's preview shows (templates/portal/_import_preview.html, for every file import):
    the counts, and the errors grouped, the first PREVIEW_GROUPS_SHOWN groups each with its first rows
    as read, ``cells(row)`` giving a row's texts in ``columns``."""
    groups = error_groups(errors)
    for group in groups[:PREVIEW_GROUPS_SHOWN]:
        group.first = [(n, cells(n)) for n in group.rows[:GROUP_FIRST_ROWS]]
    return {"token": token, "name": name, "total": total, "good": good, "skipped": skipped,
            "errors": errors[:300], "error_count": len(errors), "groups": groups[:PREVIEW_GROUPS_SHOWN],
            "group_count": len(groups), "columns": list(columns), "bad_rows": len({e.row for e in errors})}


def bad_rows_table(parsed, masked: dict[str, Callable[[str], str]] | None = None) -> tuple[list, list[list]]:
    """The header and the rows with problems exactly as uploaded (every column, in the file's order),
    with the problems in one more column, ``错误说明``. Corrected and uploaded again, the file imports: the
    importer reads its columns by name, so the error column is not read. A file that already had the
    column (a bad-rows file uploaded again) gets it filled anew rather than a second one.

    ``parsed`` is any import's checked file with the ``table`` it was read from and its ``errors``.
    ``masked``: column name -> how that column's cells are written (an ID number masked)."""
    messages: dict[int, list[str]] = {}
    for error in parsed.errors:
        messages.setdefault(error.row, []).append(error.field_text)
    header = list(parsed.table[0]) if parsed.table else []
    while header and _cell_text(header[-1]) == "":
        header.pop()
    texts = [_cell_text(c) for c in header]
    error_at = texts.index(ERROR_COLUMN) if ERROR_COLUMN in texts else len(header)
    width = max(len(header), error_at + 1)
    header = [*texts, *[""] * (width - len(texts))]
    header[error_at] = ERROR_COLUMN
    masks = [(texts.index(column), mask) for column, mask in (masked or {}).items() if column in texts]
    rows = []
    for n in sorted(messages):
        cells = list(parsed.table[n - 1][:width]) if 1 < n <= len(parsed.table) else []
        cells += [None] * (width - len(cells))
        cells[error_at] = _("；").join(messages[n])
        for at, mask in masks:
            cells[at] = mask(_cell_text(cells[at]))
        rows.append(cells)
    return header, rows


def _cell_out(value):
    """A cell as read, as it is written back: text and numbers as they were; a date (Excel's date cells
    come back as dates, sometimes with a midnight time) as the text the importer reads."""
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat(" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def bad_rows_csv(parsed, masked: dict[str, Callable[[str], str]] | None = None) -> bytes:
    """The bad-rows file as CSV (UTF-8 with a byte order mark, as Excel in China opens it)."""
    header, rows = bad_rows_table(parsed, masked)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(csv_row(header))
    for cells in rows:
        # The cells are the clerk's own file as read: "=..." in one must not become a live formula here.
        writer.writerow(csv_row(["" if c is None else _cell_out(c) for c in cells]))
    return out.getvalue().encode("utf-8-sig")


def bad_rows_xlsx(parsed, masked: dict[str, Callable[[str], str]] | None = None) -> bytes:
    """The bad-rows file as .xlsx; text stays text (a formula-like cell is a string cell)."""
    header, rows = bad_rows_table(parsed, masked)
    out = io.BytesIO()
    with XlsxStream(out) as book:
        sheet = book.sheet("问题行", header)
        for cells in rows:
            sheet.append([_cell_out(c) for c in cells])
    return out.getvalue()


# -- the template pre-filled with a unit's roster -------------------------------------------------

ROSTER_COLUMNS = ["单位", "工号", "姓名", "工种", "工作日期", "计分指标", "计量单位", "工作量", "说明"]
ROSTER_CHUNK = 2000


def roster_workers(workers):
    """``workers`` (a queryset) as (unit name, employee number, name, job type id), in the unit tree's
    order, read by key (unit path, employee number) a chunk at a time: a 5,000-worker depot is a few
    short queries, never one long-held cursor nor a deep OFFSET."""
    qs = workers.order_by("unit__path", "employee_no").values_list("unit__path", "employee_no", "unit__name",
                                                                  "name", "job_type_id")
    after = None
    while True:
        chunk = list((qs.filter(Q(unit__path__gt=after[0]) | Q(unit__path=after[0], employee_no__gt=after[1]))
                      if after else qs)[:ROSTER_CHUNK])
        for _path, employee_no, unit_name, name, job_type_id in chunk:
            yield unit_name, employee_no, name, job_type_id
        if len(chunk) < ROSTER_CHUNK:
            return
        after = chunk[-1][:2]


def roster_rows(workers, rules, day: date):
    """One row per worker and metric of their job type, 工作量 left for the clerk: the clerk types only
    numbers (no metric names to spell), and a row left empty is skipped on import."""
    by_job_type: dict[int, list] = {}
    for rule in rules:
        by_job_type.setdefault(rule.job_type_id, []).append(rule)
    for unit_name, employee_no, name, job_type_id in roster_workers(workers):
        for rule in by_job_type.get(job_type_id, ()):
            yield [unit_name, employee_no, name, rule.job_type.name, day.isoformat(), rule.metric,
                   rule.unit_of_measure, None, None]


def roster_xlsx(workers, rules: list, day: date) -> bytes:
    """The roster template: the roster sheet, and the metrics per job type for reference."""
    out = io.BytesIO()
    with XlsxStream(out) as book:
        sheet = book.sheet("录入", ROSTER_COLUMNS)
        for row in roster_rows(workers, rules, day):
            sheet.append(row)
        metrics = book.sheet("计分指标", ["业务系统", "工种", "计分指标", "计量单位", "加/扣分"])
        for rule in rules:
            metrics.append([rule.job_type.business_system.name, rule.job_type.name, rule.metric,
                            rule.unit_of_measure, str(rule.get_direction_display())])
    return out.getvalue()


def roster_csv(workers, rules: list, day: date) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(ROSTER_COLUMNS)
    for row in roster_rows(workers, rules, day):
        writer.writerow(csv_row(["" if c is None else c for c in row]))
    return out.getvalue().encode("utf-8-sig")
