"""Spreadsheets in and out, safely: every .xlsx is measured before a reader opens it, and every text
cell written to a CSV or .xlsx file is one Excel and WPS show as text and never evaluate.

Reading: an .xlsx is a zip of XML parts, and a sheet says where its cells are. Readers (calamine for
clerks' entry files, openpyxl for the admin's imports) allocate the whole rectangle from A1 to the last
cell a sheet declares: a 1.6 KB file with cells at A1 and XFD1048576 asks for 17 billion cells, and the
process dies (an abort, or the kernel's out-of-memory killer) without an exception anyone could
catch. ``check_xlsx`` reads the zip with a streaming XML parser first (bounded decompression, no
DTDs) and refuses a file whose sheets reach beyond ``MAX_CELLS`` or whose parts unpack to more than
``MAX_UNPACKED_BYTES``.

Writing: a cell whose text begins with ``= + - @`` (or a tab or carriage return) is a formula to a
spreadsheet; a worker named ``=HYPERLINK(...&D2, "点此核对")`` would send the next column (the ID number)
to whoever wrote it. ``csv_cell`` puts a single quote before such text (the OWASP advice for CSV);
``xlsx_append`` stores it as a string cell, so the value stays exactly what it was.

Numbers stay number cells (a person sums and sorts them) and are shown as the pages show them
(config.formatting): a whole number with thousands separators (``12,345``), a decimal like points
(``1,234.500``: one number format for every decimal cell, so a column's figures line up).
"""

from __future__ import annotations

import io
import re
import zipfile
import zlib
from datetime import date, datetime
from decimal import Decimal
from xml.parsers import expat

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from config.formatting import POINT_DECIMALS, xlsx_number_format
from config.stored_text import Refusal

# The rectangle from A1 to a sheet's last cell. An entry file at its row limit (200,000 rows × 6
# columns) is 1.2 million; five million leaves room for extra columns and stays a few hundred MB
# in the readers.
MAX_CELLS = 5_000_000
# Everything inside the zip, unpacked. A 20 MB file of plain cells unpacks to about 100-150 MB; a
# zip bomb unpacks to gigabytes from a few KB.
MAX_UNPACKED_BYTES = 256 * 1024 * 1024
_CHUNK = 1024 * 1024

_COLUMN_LETTERS = re.compile(r"[A-Z]{1,3}")
_DIGITS = "0123456789"
_WORKSHEET_REL = "/worksheet"

FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n", "＝", "＋", "－", "＠")
_PLAIN_NUMBER = re.compile(r"[+-]?[0-9]+(\.[0-9]+)?")


class SpreadsheetRefused(Refusal):
    """The file is not read: too large when unpacked, or broken; the message is for the person (its id and
    facts: config.stored_text)."""


_KINDS = {"c": 1, "row": 2, "dimension": 3, "Relationship": 4}


class _PartScan:
    """Feeds one XML part through expat and keeps the largest row and column any cell, row or
    ``<dimension>`` of it names (a cell without an ``r`` attribute follows the previous one, as the
    readers place it), and the (type, target) of the relationships a .rels part lists.

    Called once per element of a sheet, so it is written for speed: names and column letters are
    resolved once each, and the state is a few locals of a closure."""

    def __init__(self):
        self.relationships: list[tuple[str, str]] = []
        self.max_row = self.max_col = 0
        self.parser = expat.ParserCreate()
        # No document type: no entity expansion (billion laughs) and no external entities.
        self.parser.StartDoctypeDeclHandler = _refuse_doctype
        self.parser.StartElementHandler = self._handler()

    def _handler(self):
        kinds: dict[str, int] = {}
        columns: dict[str, int] = {}
        row = col = 0

        def start(name, attrs):
            nonlocal row, col
            kind = kinds.get(name)
            if kind is None:
                kind = kinds[name] = _KINDS.get(name.rpartition(":")[2], 0)
            if kind == 1:
                ref = attrs.get("r")
                if ref is None:
                    col += 1
                else:
                    letters = ref.rstrip(_DIGITS)
                    col = columns.get(letters) or columns.setdefault(letters, _column_number(letters))
                    row = _row_number(ref[len(letters):])
                if row > self.max_row or col > self.max_col:
                    self.note(row, col)
            elif kind == 2:
                ref = attrs.get("r")
                row, col = (_row_number(ref) if ref is not None else row + 1), 0
                if row > self.max_row:
                    self.note(row, 1)
            elif kind == 3:
                for corner in attrs.get("ref", "").split(":"):
                    letters = corner.rstrip(_DIGITS)
                    self.note(_row_number(corner[len(letters):]), _column_number(letters))
            elif kind == 4:
                self.relationships.append((attrs.get("Type", ""), attrs.get("Target", "")))

        return start

    def note(self, row: int, col: int):
        self.max_row, self.max_col = max(self.max_row, row), max(self.max_col, col)
        if self.max_row * self.max_col > MAX_CELLS:
            raise SpreadsheetRefused(gettext_noop(
                "表格范围过大（%(ref)s），请删除多余的行列或空白单元格后重新保存，或分批导入。"),
                ref=f"{_column_letters(self.max_col)}{self.max_row}")


def _refuse_doctype(*args):
    raise SpreadsheetRefused(gettext_noop("无法读取该Excel文件，请使用下载的模板（.xlsx）。"))


def _column_number(letters: str) -> int:
    if not _COLUMN_LETTERS.fullmatch(letters):
        raise SpreadsheetRefused(gettext_noop("无法读取该Excel文件，请使用下载的模板（.xlsx）。"))
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n


def _row_number(digits: str) -> int:
    if not (digits.isascii() and digits.isdigit() and len(digits) <= 7):
        raise SpreadsheetRefused(gettext_noop("无法读取该Excel文件，请使用下载的模板（.xlsx）。"))
    return int(digits)


def _column_letters(n: int) -> str:
    letters = ""
    while n:
        n, rest = divmod(n - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _unpacked(book: zipfile.ZipFile, info: zipfile.ZipInfo, budget: list[int]):
    """The part's bytes chunk by chunk, counted against what the whole file may unpack to."""
    with book.open(info) as part:
        while chunk := part.read(_CHUNK):
            budget[0] -= len(chunk)
            if budget[0] < 0:
                raise SpreadsheetRefused(gettext_noop("文件解压后过大，请删除多余内容后重新保存，或分批导入。"))
            yield chunk


def check_xlsx(content: bytes) -> None:
    """Refuse (SpreadsheetRefused) an .xlsx a reader could not open within bounded memory: parts
    unpacking beyond MAX_UNPACKED_BYTES, a sheet reaching beyond MAX_CELLS, a sheet stored under a
    name that is not .xml, or XML with a document type. A file that is not a zip at all passes: the
    reader refuses it with its own message."""
    try:
        book = zipfile.ZipFile(io.BytesIO(content))
    except zipfile.BadZipFile:
        return
    unreadable = gettext_noop("无法读取该Excel文件，请使用下载的模板（.xlsx）。")
    with book:
        infos = book.infolist()
        if sum(info.file_size for info in infos) > MAX_UNPACKED_BYTES:
            raise SpreadsheetRefused(gettext_noop("文件解压后过大，请删除多余内容后重新保存，或分批导入。"))
        budget = [MAX_UNPACKED_BYTES]
        for info in infos:
            name = info.filename.lower()
            if not name.endswith((".xml", ".rels")):
                continue  # pictures, VML drawings, printer settings: no reader allocates cells for them
            extent = _PartScan()
            try:
                for chunk in _unpacked(book, info, budget):
                    extent.parser.Parse(chunk, False)
                extent.parser.Parse(b"", True)
            except (expat.ExpatError, zipfile.BadZipFile, zlib.error, EOFError, RuntimeError, NotImplementedError):
                raise SpreadsheetRefused(unreadable) from None
            # Readers find sheets through these relationships; one stored under another name would
            # be read without having been measured here.
            if any(kind.endswith(_WORKSHEET_REL) and not target.lower().split("#")[0].endswith(".xml")
                   for kind, target in extent.relationships):
                raise SpreadsheetRefused(unreadable)


# -- writing ---------------------------------------------------------------------------------------

# A date as offices type or save it in a cell: 2026-11-23, 2026/11/23, 2026.11.23, 2026年11月23日, with or without
# leading zeros, and optionally a midnight time after it (Excel's text of a date cell: "2026/11/23 0:00").
_DATE_TEXT = re.compile(r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?(?:\s+0{1,2}:00(?::00)?)?")


# cell_date's refusal, as a message id (a background job keeps it, to be worded in its reader's language).
DATE_INVALID = gettext_noop("日期格式应为 2026-11-23。")


def cell_date(value) -> date | None:
    """A spreadsheet cell read as a date: a date or datetime cell as it is; text in one of the forms above;
    None for an empty cell; ValueError (in Chinese) otherwise. Every import reads its dates with this."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = value.strip() if value.__class__ is str else str(value or "").strip()
    if not text:
        return None
    if len(text) == 10 and text[4] == "-":  # the template's own form: the fast path of a 20,000-row file
        try:
            return date.fromisoformat(text)
        except ValueError:
            pass
    found = _DATE_TEXT.fullmatch(text)
    try:
        if found is None:
            raise ValueError
        return date(*(int(part) for part in found.groups()))
    except ValueError:
        raise ValueError(_(DATE_INVALID)) from None


def csv_cell(value):
    """``value`` for a CSV cell: text that a spreadsheet would take for a formula gets a leading single
    quote; numbers, and text that is just a number ("-3.5"), stay as they are."""
    if value.__class__ is str and value.startswith(FORMULA_START) and not _PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


def csv_row(values) -> list:
    return [csv_cell(v) for v in values]


def csv_rows_read(rows: list[list[str]]) -> list[list[str]]:
    """Rows read from a CSV with csv_cell's quote taken off again, so that a file this portal wrote
    (an export, the bad-rows file) imports as the values it was written from."""
    return [[v[1:] if v[:1] == "'" and v[1:].startswith(FORMULA_START) else v for v in row] for row in rows]


def xlsx_number_style(value) -> str | None:
    """The number format of a number cell holding ``value`` (None for anything that is no number)."""
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
        return None
    return xlsx_number_format(0 if isinstance(value, int) else POINT_DECIMALS)


def xlsx_append(sheet, values) -> None:
    """Append a row to an openpyxl worksheet with every text cell stored as text: openpyxl makes text
    beginning with "=" a formula; here it stays a string cell showing exactly that text. Control
    characters, which an .xlsx cannot hold, become U+FFFD instead of failing the whole file. Number
    cells get xlsx_number_style's format."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    values = [ILLEGAL_CHARACTERS_RE.sub("\N{REPLACEMENT CHARACTER}", v) if v.__class__ is str else v for v in values]
    sheet.append(values)
    formulas = any(v.__class__ is str and v.startswith("=") for v in values)
    styles = [xlsx_number_style(v) for v in values]
    if formulas or any(styles):
        for cell, style in zip(sheet[sheet.max_row], styles, strict=False):
            if cell.data_type == "f":
                cell.data_type = "s"
            if style:
                cell.number_format = style


def xlsx_file(headers, rows, *, title: str) -> bytes:
    """An .xlsx of one sheet: a bold, frozen header row, then ``rows``, every cell through xlsx_append."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    sheet.title = title
    if headers:
        xlsx_append(sheet, list(headers))
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        sheet.freeze_panes = "A2"
    for row in rows:
        xlsx_append(sheet, row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def xlsx_text(value: str) -> str:
    """Text as an .xlsx cell can hold it: control characters (which the format cannot store) become U+FFFD."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    return ILLEGAL_CHARACTERS_RE.sub("\N{REPLACEMENT CHARACTER}", value)


class XlsxStream:
    """An .xlsx written row by row in constant memory, for exports of a whole competition (xlsxwriter's
    constant_memory mode: each row goes to a temporary file as it is written, so 223,000 rows cost what one
    does). Text is always a string cell, never a formula, a number or a link, whatever it begins with: a
    name beginning with "=" shows as that text, as in xlsx_append. Numbers (int, Decimal, float) are number
    cells; None is an empty cell.

    Rows must be appended in order within each sheet; sheets may be filled one after the other. ``close()``
    (or leaving the ``with`` block) writes the file to ``out``.
    """

    def __init__(self, out):
        import xlsxwriter

        self.book = xlsxwriter.Workbook(out, {
            "constant_memory": True, "strings_to_formulas": False, "strings_to_numbers": False,
            "strings_to_urls": False,
        })
        self.bold = self.book.add_format({"bold": True})
        self.whole = self.book.add_format({"num_format": xlsx_number_format(0)})
        self.decimal = self.book.add_format({"num_format": xlsx_number_format(POINT_DECIMALS)})

    def sheet(self, title: str, headers=()) -> _StreamSheet:
        """A new sheet; ``headers``: a bold, frozen first row."""
        sheet = _StreamSheet(self.book.add_worksheet(title[:31]), self.whole, self.decimal)
        if headers:
            sheet.append(headers, style=self.bold)
            sheet.worksheet.freeze_panes(1, 0)
        return sheet

    def close(self) -> None:
        self.book.close()

    def __enter__(self) -> XlsxStream:
        return self

    def __exit__(self, kind, error, trace) -> None:
        if kind is None:
            self.close()


class _StreamSheet:
    def __init__(self, worksheet, whole, decimal):
        self.worksheet = worksheet
        self.row = 0
        self.whole, self.decimal = whole, decimal  # number formats, as xlsx_number_style

    def append(self, values, style=None) -> None:
        write_string, write_number = self.worksheet.write_string, self.worksheet.write_number
        row = self.row
        for col, value in enumerate(values):
            if value is None:
                continue
            if value.__class__ is str:
                write_string(row, col, xlsx_text(value) if not value.isprintable() else value, style)
            elif isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
                write_number(row, col, value, style or (self.whole if isinstance(value, int) else self.decimal))
            else:
                write_string(row, col, xlsx_text(str(value)), style)
        self.row = row + 1
