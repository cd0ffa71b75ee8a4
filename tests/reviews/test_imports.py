import io
from datetime import timedelta
from decimal import Decimal

import pytest
from openpyxl import Workbook

from reviews.imports import ImportFileError, bad_rows_csv, check_file, template_csv
from reviews.models import EntryEvent, EntrySource, WorkEntry
from reviews.services import entries_import
from reviews.validation import EntryRejected

pytestmark = pytest.mark.django_db


def csv_bytes(rows, header="工号,姓名,工作日期,计分指标,工作量,说明"):
    return ("\n".join([header, *rows]) + "\n").encode("utf-8-sig")


@pytest.fixture
def day(today):
    return (today - timedelta(days=1)).isoformat()


def test_a_clean_csv_imports_every_row_with_an_audit_fact_each(w, day):
    content = csv_bytes([f"{w.alice.employee_no},张三明,{day},安全走行公里,350,",
                         f"{w.bob.employee_no},,{day},值乘趟数,4,夜班"])
    result = entries_import(actor=w.clerk, competition=w.comp, name="entries.csv", content=content)
    assert result.created_count == 2
    assert set(WorkEntry.objects.values_list("source", flat=True)) == {EntrySource.IMPORT}
    assert EntryEvent.objects.filter(action="created").count() == 2


def test_one_bad_row_is_reported_by_row_and_field_in_chinese_and_nothing_is_saved(w, day):
    content = csv_bytes([f"{w.alice.employee_no},张三明,{day},安全走行公里,350,",
                         f"{w.bob.employee_no},李四,{day},值乘趟数,9,",
                         f"{w.carol.employee_no},王五,{day},线路养护,100,",
                         f"{w.bob.employee_no},李四,2026-13-01,安全走行公里,1,"])
    with pytest.raises(EntryRejected) as error:
        entries_import(actor=w.clerk, competition=w.comp, name="entries.csv", content=content)
    messages = [str(e) for e in error.value.errors]
    assert messages == [
        "第3行 工作量：超过该指标每日上限 6趟。",
        "第4行 工号：找不到该职工，或该职工不属于您负责的单位。",
        "第5行 工作日期：日期格式应为 2026-11-23。",
    ]
    assert WorkEntry.objects.count() == 0 and EntryEvent.objects.count() == 0


def test_dates_typed_the_chinese_way_or_saved_by_excel_as_text_import(w, today):
    first, second = today - timedelta(days=1), today - timedelta(days=2)
    content = csv_bytes([f"{w.alice.employee_no},,{first.year}年{first.month}月{first.day}日,安全走行公里,350,",
                         f"{w.bob.employee_no},,{second:%Y/%m/%d} 0:00,安全走行公里,120,"])
    result = entries_import(actor=w.clerk, competition=w.comp, name="entries.csv", content=content)
    assert result.created_count == 2
    assert set(WorkEntry.objects.values_list("worker_id", "work_date")) == {(w.alice.pk, first), (w.bob.pk, second)}


def test_the_clerk_may_explicitly_save_only_the_good_rows(w, day):
    content = csv_bytes([f"{w.alice.employee_no},,{day},安全走行公里,350,", f"{w.bob.employee_no},,{day},值乘趟数,x,"])
    result = entries_import(actor=w.clerk, competition=w.comp, name="e.csv", content=content, save_valid_only=True)
    assert result.created_count == 1 and [e.row for e in result.errors] == [3]


def test_an_xlsx_file_is_read_the_same_way_including_date_cells(w, today):
    book = Workbook()
    sheet = book.active
    sheet.append(["工号", "姓名", "工作日期", "计分指标", "工作量", "说明"])
    sheet.append([w.alice.employee_no, "张三明", today - timedelta(days=2), "安全走行公里", 120.5, None])
    sheet.append([w.bob.employee_no, "错名", (today - timedelta(days=2)).isoformat(), "安全走行公里", 1, None])
    out = io.BytesIO()
    book.save(out)
    parsed, good = check_file(actor=w.clerk, competition=w.comp, name="e.xlsx", content=out.getvalue())
    assert [str(e) for e in parsed.errors] == ["第3行 姓名：姓名与工号不一致（系统中为 李四）。"]
    assert len(good) == 1 and str(good[0].quantity) == "120.500"


def test_a_nul_character_in_any_cell_refuses_the_file_naming_the_row_and_column_and_nothing_is_saved(w, day):
    # PostgreSQL text cannot hold NUL: found when the file is read, never at saving (a 500 there, or a failed job)
    content = csv_bytes([f"{w.alice.employee_no},张三明,{day},安全走行公里,350,",
                         f"{w.bob.employee_no},李四,{day},安全走行公里,1,a\x00b"])
    with pytest.raises(ImportFileError, match="第3行“说明”列含有无法保存的空字符"):
        check_file(actor=w.clerk, competition=w.comp, name="e.csv", content=content)
    with pytest.raises(ImportFileError):
        entries_import(actor=w.clerk, competition=w.comp, name="e.csv", content=content)
    assert WorkEntry.objects.count() == 0
    book = Workbook()  # a sheet spells it _x0000_, which the reader decodes
    book.active.append(["工号", "姓名", "工作日期", "计分指标", "工作量", "说明"])
    book.active.append([w.alice.employee_no, "张三明", day, "安全走行公里", 1, "a\x00b".replace("\x00", "_x0000_")])
    out = io.BytesIO()
    book.save(out)
    with pytest.raises(ImportFileError, match="第2行“说明”列"):
        check_file(actor=w.clerk, competition=w.comp, name="e.xlsx", content=out.getvalue())


def test_a_quantity_with_a_huge_exponent_is_a_row_error(w, day):
    content = csv_bytes([f"{w.bob.employee_no},李四,{day},安全走行公里,1e999999999,"])
    parsed, good = check_file(actor=w.clerk, competition=w.comp, name="e.csv", content=content)
    assert [str(e) for e in parsed.errors] == ["第2行 工作量：工作量过大。"] and good == []


def test_the_bad_rows_file_lists_each_bad_row_with_its_errors(w, day):
    content = csv_bytes([f"{w.alice.employee_no},,{day},安全走行公里,-3,", f"{w.bob.employee_no},,{day},安全走行公里,3,"])
    parsed, _ = check_file(actor=w.clerk, competition=w.comp, name="e.csv", content=content)
    lines = bad_rows_csv(parsed).decode("utf-8-sig").splitlines()
    assert lines[0] == "工号,姓名,工作日期,计分指标,工作量,说明,错误说明"
    assert len(lines) == 2 and lines[1] == f"{w.alice.employee_no},,{day},安全走行公里,-3,,工作量：工作量不能为负数。"


def test_the_template_has_the_columns_the_importer_reads(w):
    assert template_csv().decode("utf-8-sig").splitlines()[0] == "工号,姓名,工作日期,计分指标,工作量,说明"


def test_an_xlsx_keeps_the_spreadsheets_row_numbers_and_reads_number_cells_as_text(w, today):
    day = today - timedelta(days=1)
    book = Workbook()
    sheet = book.active
    sheet.append(["工号", "姓名", "工作日期", "计分指标", "工作量", "说明"])
    sheet.append([w.alice.employee_no, None, day, "安全走行公里", 12, None])
    sheet.append([])  # a blank row is skipped, and the rows after it keep their numbers
    sheet.append([w.bob.employee_no, None, day.isoformat(), "安全走行公里", "x", None])
    sheet.append([w.bob.employee_no, "李四", day, "值乘趟数", 2.5, 7])
    out = io.BytesIO()
    book.save(out)
    parsed, good = check_file(actor=w.clerk, competition=w.comp, name="e.xlsx", content=out.getvalue())
    assert [str(e) for e in parsed.errors] == ["第4行 工作量：工作量必须是数字。"]
    assert [(c.row, c.worker_id, c.work_date, c.quantity, c.note) for c in good] == [
        (2, w.alice.pk, day, Decimal("12.000"), ""), (5, w.bob.pk, day, Decimal("2.500"), "7")]
