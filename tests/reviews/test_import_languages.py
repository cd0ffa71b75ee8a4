"""A row's problem reads in the reader's language, row, column and reason alike ("Row 3, Quantity: …" in
English, "第3行 工作量：…" in Chinese): on the entries import's preview and its bad-rows file, beside a row of
the batch grid, on the clerks' skill certificates import (the union office's forms: tests/members/test_import_previews.py).
Real files are uploaded."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import openpyxl
import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from members import skill_imports
from reviews.models import WorkEntry
from reviews.validation import RowError
from tests.members.test_membership_imports import xlsx

pytestmark = pytest.mark.django_db

HEADER = ["工号", "姓名", "工作日期", "计分指标", "工作量", "说明"]


@pytest.fixture
def day(today):
    return today - timedelta(days=1)


def reading(client, user, language: str):
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client


def upload(client, page: str, name: str, content: bytes):
    response = client.post(reverse(page), {"file": SimpleUploadedFile(name, content)})
    assert response.status_code == 200
    return response


def entries_xlsx(w, day) -> bytes:
    # rows 2 and 3: a negative quantity; row 4: a worker who is nobody's
    rows = [[w.alice.employee_no, "", day.isoformat(), "安全走行公里", "-1", ""],
            [w.bob.employee_no, "", day.isoformat(), "安全走行公里", "-2", ""],
            ["NOBODY", "", day.isoformat(), "安全走行公里", "5", ""]]
    return xlsx(HEADER, rows)


@pytest.mark.parametrize(("language", "groups", "bad_rows"), [
    ("en", ["Rows 2–3</b>: Quantity: The quantity cannot be negative, 2 rows",
            "Row 4</b>: Employee number: No such worker, or the worker is not in one of your units."],
     ["Quantity: The quantity cannot be negative.", "Quantity: The quantity cannot be negative.",
      "Employee number: No such worker, or the worker is not in one of your units."]),
    ("zh-hans", ["第 2–3 行</b>：工作量：工作量不能为负数，共 2 行",
                 "第 4 行</b>：工号：找不到该职工，或该职工不属于您负责的单位。"],
     ["工作量：工作量不能为负数。", "工作量：工作量不能为负数。", "工号：找不到该职工，或该职工不属于您负责的单位。"]),
])
def test_the_entries_import_preview_and_bad_rows_file_read_in_the_clerks_language(
        client, w, day, language, groups, bad_rows):
    # given: a clerk reading the portal in ``language``
    reading(client, w.clerk, language)

    # when: they preview an .xlsx with three bad rows
    page = upload(client, "entries:import", "entries.xlsx", entries_xlsx(w, day))

    # then: each group of problems says its rows, its column and its reason in that language
    html = page.content.decode()
    for group in groups:
        assert group in html
    # and the bad-rows file's error column too (its header stays the column the importer knows)
    token = page.context["preview"]["token"]
    table = list(csv.reader(io.StringIO(
        client.get(reverse("entries:import_bad_rows", args=[token])).content.decode("utf-8-sig"))))
    assert table[0][-1] == "错误说明"
    assert [row[-1] for row in table[1:]] == bad_rows
    assert not WorkEntry.objects.exists()


def test_a_row_with_two_problems_joins_them_in_the_readers_language(w):
    class Parsed:
        table = [HEADER, ["X", "", "2026-13-01", "安全走行公里", "-1", ""]]
        errors = [RowError(2, "work_date", "日期格式应为 2026-11-23。", "date_invalid"),
                  RowError(2, "quantity", "工作量不能为负数。", "quantity_invalid")]

    from reviews.imports import bad_rows_table

    with translation.override("en"):
        _header, [row] = bad_rows_table(Parsed)
    assert row[-1] == "Work date: 日期格式应为 2026-11-23。; Quantity: 工作量不能为负数。"
    with translation.override("zh-hans"):
        _header, [row] = bad_rows_table(Parsed)
    assert row[-1] == "工作日期：日期格式应为 2026-11-23。；工作量：工作量不能为负数。"


@pytest.mark.parametrize(("language", "text", "no_row"), [
    ("en", "Row 3, Quantity: The quantity must be a number.", "Quantity: The quantity must be a number."),
    ("zh-hans", "第3行 工作量：工作量必须是数字。", "工作量：工作量必须是数字。"),
])
def test_a_row_error_names_its_row_column_and_reason_in_the_active_language(language, text, no_row):
    with translation.override(language):
        message = translation.gettext("工作量必须是数字。")
        assert str(RowError(3, "quantity", message, "quantity_invalid")) == text
        # a problem of no row (a whole batch refused) is its column and reason alone
        assert str(RowError(0, "quantity", message, "quantity_invalid")) == no_row


@pytest.mark.parametrize(("language", "text"), [
    ("en", "Quantity: The quantity must be a number."),
    ("zh-hans", "工作量：工作量必须是数字。"),
])
def test_the_grid_shows_a_rows_problem_beside_it_in_the_clerks_language(client, w, day, language, text):
    reading(client, w.clerk, language)
    url = f"{reverse('entries:grid')}?mode=day&rule={w.km.pk}&date={day.isoformat()}"
    key = client.get(url).context["rows"][0].key
    page = client.post(url, {"key": [key], f"q:{key}": "12x"})
    row = re.search(r'<tr id="row-1" class="invalid">(.*?)</tr>', page.content.decode(), re.S).group(1)
    assert text in row
    assert not WorkEntry.objects.exists()


@pytest.mark.parametrize(("language", "text"), [
    ("en", "Rows 2–3</b>: Skill grade: The skill grade must be one of the eight grades (such as “高级工”, or 1 to 8), "
           "2 rows"),
    ("zh-hans", "第 2–3 行</b>：技能等级：技能等级应为新八级工之一（如“高级工”，或1至8），共 2 行"),
])
def test_the_skill_certificates_import_names_its_columns_in_the_clerks_language(client, w, language, text):
    rows = [[w.alice.employee_no, "", "超级工", "", f"G-{n}", "2024-01-01", "鉴定中心"] for n in range(2)]
    reading(client, w.clerk, language)
    page = upload(client, "skills:import", "grades.xlsx", xlsx(skill_imports.COLUMNS, rows))
    assert text in page.content.decode()


def test_the_bad_rows_workbook_keeps_its_chinese_error_column_in_english(client, w, day):
    reading(client, w.clerk, "en")
    token = upload(client, "entries:import", "entries.xlsx", entries_xlsx(w, day)).context["preview"]["token"]
    response = client.get(reverse("entries:import_bad_rows_xlsx", args=[token]))
    rows = list(openpyxl.load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert rows[0][-1] == "错误说明" and rows[1][-1] == "Quantity: The quantity cannot be negative."
