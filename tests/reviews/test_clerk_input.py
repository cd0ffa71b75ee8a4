"""A clerk's three ways in: the batch grid (keeps what was typed, errors on their rows, paged), the single
entry form (the worker shown from the 工号, metrics of their job type, errors beside fields), and the file
import (grouped errors, a bad-rows file that imports once corrected, a template pre-filled with the roster)."""

import csv
import io
import re
from datetime import timedelta

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone, translation

from config.months import month_of
from config.spreadsheets import xlsx_append
from members.models import Worker
from reviews import grid, imports
from reviews.imports import ROSTER_COLUMNS, error_groups, rows_text
from reviews.models import PeriodStatus, WorkEntry
from reviews.validation import RowError
from tests.factories import ime_typed, make_id_number, next_id, review_period

pytestmark = pytest.mark.django_db

HEADER = ["工号", "姓名", "工作日期", "计分指标", "工作量", "说明"]


@pytest.fixture
def day(today):
    return today - timedelta(days=1)


def login(client, user):
    client.force_login(user)
    return client


def grid_url(w, day, **more):
    query = "&".join(f"{k}={v}" for k, v in {"mode": "day", "rule": w.km.pk, "date": day.isoformat(), **more}.items())
    return f"{reverse('entries:grid')}?{query}"


def drivers(w, unit, count, **kw):
    """``count`` drivers in ``unit`` in one statement (a 500-worker unit without 500 INSERTs)."""
    made = []
    for _ in range(count):
        n = next_id()
        made.append(Worker(employee_no=f"G{n:06d}", name=f"司机{n}", gender="M", id_number=make_id_number(n, born=f"19{50 + n // 1000 % 50}0312"),
                           unit=unit, job_type=w.driver, **kw))
    return Worker.objects.bulk_create(made)


# -- the batch grid --------------------------------------------------------------------------------

def test_the_grid_keeps_every_typed_value_and_note_after_an_error_and_shows_it_on_its_row(client, w, day):
    # given: the day grid of 安全走行公里 lists bob (the depot) as row 1 and alice (its workshop) as row 2
    login(client, w.clerk)
    url = grid_url(w, day)
    rows = client.get(url).context["rows"]
    assert [(r.n, r.worker.pk) for r in rows] == [(1, w.bob.pk), (2, w.alice.pk)]
    key_bob, key_alice = (r.key for r in rows)
    # when: alice's row is right and bob's quantity is not a number
    page = client.post(url, {"key": [key_bob, key_alice], f"q:{key_bob}": "12x", f"n:{key_bob}": "夜班",
                             f"q:{key_alice}": "320", f"n:{key_alice}": "早班"})
    # then: nothing saved, both rows keep what was typed, and the error sits on bob's row (row 1)
    assert page.status_code == 200 and not WorkEntry.objects.exists()
    html = page.content.decode()
    assert f'name="q:{key_alice}" value="320"' in html and f'name="n:{key_alice}" value="早班"' in html
    assert f'name="q:{key_bob}" value="12x"' in html and f'name="n:{key_bob}" value="夜班"' in html
    bob_row = re.search(r'<tr id="row-1" class="invalid">(.*?)</tr>', html, re.S).group(1)
    assert "工作量：工作量必须是数字。" in bob_row and 'id="err-1"' in bob_row
    assert '<tr id="row-2">' in html  # alice's row has no error
    assert "第 1 行有问题，未保存任何录入" in html
    # and in English, one row is a row, and several are listed with English commas
    client.cookies["django_language"] = "en"
    html = client.post(url, {"key": [key_bob, key_alice], f"q:{key_bob}": "12x",
                             f"q:{key_alice}": "320"}).content.decode()
    assert "Row 1 has a problem; nothing was saved." in html
    html = client.post(url, {"key": [key_bob, key_alice], f"q:{key_bob}": "12x",
                             f"q:{key_alice}": "-1"}).content.decode()
    assert "2 rows have problems (rows 1, 2); nothing was saved." in html


def test_the_week_grid_keeps_values_and_numbers_rows_as_on_screen(client, w, day):
    login(client, w.clerk)
    url = f"{reverse('entries:grid')}?mode=week&worker={w.alice.employee_no}&date={day.isoformat()}"
    rows = client.get(url).context["rows"]
    assert len(rows) == 14  # seven days × two metrics of a driver
    trips = [r for r in rows if r.rule.pk == w.trips.pk and r.day <= day]
    km = next(r for r in rows if r.rule.pk == w.km.pk and r.day <= day)
    # 7 trips is over the daily cap of 6
    page = client.post(url, {"key": [km.key, trips[0].key], f"q:{km.key}": "100",
                             f"q:{trips[0].key}": "7", f"n:{trips[0].key}": "加班"})
    assert not WorkEntry.objects.exists()
    shown = {r.key: r for r in page.context["rows"]}
    assert shown[km.key].value == "100" and shown[km.key].errors == []
    assert shown[trips[0].key].note == "加班"
    assert shown[trips[0].key].errors == ["工作量：超过该指标每日上限 6趟。"]
    html = page.content.decode()
    assert f'<tr id="row-{trips[0].n}" class="invalid">' in html


def test_a_unit_larger_than_a_page_says_so_and_pages_by_cursor(client, w, day, monkeypatch):
    monkeypatch.setattr(grid, "GRID_PAGE", 2)
    drivers(w, w.depot, 3)  # five drivers in all: three pages of two
    login(client, w.other_clerk)
    assert client.get(grid_url(w, day)).context["rows"] == []  # not this clerk's drivers
    login(client, w.clerk)
    first = client.get(grid_url(w, day))
    html = first.content.decode()
    assert "共 5 人，本页显示第 1–2 人。" in html
    seen = [r.worker.pk for r in first.context["rows"]]
    after = first.context["shown"].next
    second = client.get(grid_url(w, day, after=after))
    assert "共 5 人，本页显示第 3–4 人。" in second.content.decode()
    assert [r.n for r in second.context["rows"]] == [3, 4]
    seen += [r.worker.pk for r in second.context["rows"]]
    third = client.get(grid_url(w, day, after=second.context["shown"].next))
    assert "本页显示第 5–5 人" in third.content.decode() and third.context["shown"].next is None
    seen += [r.worker.pk for r in third.context["rows"]]
    expected = list(Worker.objects.filter(job_type=w.driver, unit__path__startswith=w.depot.path)
                    .order_by("unit__path", "employee_no").values_list("pk", flat=True))
    assert seen == expected
    # an error on page two is numbered as page two shows its rows
    row = second.context["rows"][1]
    page = client.post(grid_url(w, day, after=after), {"key": [row.key], f"q:{row.key}": "-1"})
    assert page.context["rows"][1].errors == ["工作量：工作量不能为负数。"]
    assert '<tr id="row-4" class="invalid">' in page.content.decode()


def test_a_mangled_grid_cursor_opens_the_first_page(client, w, day):
    login(client, w.clerk)
    page = client.get(grid_url(w, day, after="junk"))
    assert [r.n for r in page.context["rows"]] == [1, 2]


def test_the_week_grid_offers_no_cell_for_a_day_saving_would_refuse(client, w, today):
    # given: this week's grid for alice, and her business system's last month signed off
    last_month = month_of(today.replace(day=1) - timedelta(days=1))
    review_period(competition=w.comp, business_system=w.system, month=last_month, status=PeriodStatus.SIGNED_OFF,
                  signed_off_at=timezone.now())
    login(client, w.clerk)
    page = client.get(reverse("entries:grid"), {"mode": "week", "date": today.isoformat(),
                                                "worker": w.alice.employee_no})
    rows = page.context["rows"]
    html = page.content.decode()
    # then: a day after today shows why instead of an input (saving it says 不能录入未来日期的工作量)
    for row in rows:
        inputs = f'name="q:{row.key}"' in html
        if row.day > today:
            assert row.closed == "未来日期" and not inputs
        elif month_of(row.day) == last_month:
            assert row.closed == "本月已签发锁定" and not inputs
        else:
            assert row.closed is None and inputs
    assert any(row.day > today for row in rows) or today.weekday() == 6
    # and the day grid of a signed-off month has no inputs at all
    day_page = client.get(grid_url(w, last_month))
    assert [r.closed for r in day_page.context["rows"]] == ["本月已签发锁定"] * 2
    assert 'name="key"' not in day_page.content.decode() and "本月已签发锁定" in day_page.content.decode()


def test_a_grid_day_in_the_future_has_no_inputs(client, w, today):
    login(client, w.clerk)
    page = client.get(grid_url(w, today + timedelta(days=1)))
    assert [r.closed for r in page.context["rows"]] == ["未来日期"] * 2 and 'name="key"' not in page.content.decode()
    # today still takes entries
    assert 'name="key"' in client.get(grid_url(w, today)).content.decode()


def test_the_500_worker_grid_page_makes_a_fixed_number_of_queries(client, w, day, django_assert_num_queries):
    drivers(w, w.workshop, 520)
    login(client, w.clerk)
    # the session, the user, their scope (3), the navigation's unread count, the competition, the rules, the
    # count, the page of workers, their entries of the day and whether the day's month is signed off: the same
    # for page two (its cursor is resolved inside the page's query)
    with django_assert_num_queries(12):
        first = client.get(grid_url(w, day))
    assert len(first.context["rows"]) == 500 and first.context["shown"].total == 522
    with django_assert_num_queries(12):
        second = client.get(grid_url(w, day, after=first.context["shown"].next))
    assert len(second.context["rows"]) == 22


# -- the single entry form -----------------------------------------------------------------------

def test_the_form_shows_each_error_beside_its_field_and_keeps_what_was_typed(client, w, day):
    page = login(client, w.clerk).post(reverse("entries:new"), {
        "worker": w.alice.employee_no, "rule": w.km.pk, "work_date": day.isoformat(), "quantity": "-3",
        "note": "补录", "action": "save"})
    assert not WorkEntry.objects.exists()
    assert page.context["errors"] == {"quantity": ["工作量不能为负数。"]}
    html = page.content.decode()
    assert re.search(r'<ul class="errors" id="quantity-errors"><li>工作量不能为负数。</li>', html)
    assert 'value="-3"' in html and 'value="补录"' in html
    assert f"{w.alice.name} · {w.workshop.name} · {w.driver.name}" in html  # the worker is shown too


def test_another_units_worker_is_refused_beside_the_employee_number(client, w, day):
    page = login(client, w.clerk).post(reverse("entries:new"), {
        "worker": w.carol.employee_no, "rule": w.km.pk, "work_date": day.isoformat(), "quantity": "3"})
    assert page.context["errors"]["worker"] == ["找不到该职工，或该职工不属于您负责的单位。"]
    assert 'id="worker-errors"' in page.content.decode() and w.carol.name not in page.content.decode()


def test_without_script_the_lookup_button_shows_the_worker_and_only_their_job_types_metrics(client, f, w, day):
    f.worker(w.depot, w.track)  # the clerk's depot has a track worker: 线路养护 is on the clerk's list
    login(client, w.clerk)
    assert {r.pk for r in client.get(reverse("entries:new")).context["rules"]} == {w.km.pk, w.trips.pk, w.metres.pk}
    page = client.post(reverse("entries:new"), {"worker": w.alice.employee_no, "action": "lookup", "quantity": "5"})
    assert not WorkEntry.objects.exists()
    assert {r.pk for r in page.context["rules"]} == {w.km.pk, w.trips.pk}
    assert page.context["worker"].pk == w.alice.pk and 'value="5"' in page.content.decode()


def test_the_lookup_answers_name_unit_job_type_and_metrics_and_nothing_personal(client, f, w,
                                                                                 django_assert_max_num_queries):
    login(client, w.clerk)
    url = reverse("entries:worker_lookup")
    client.get(url, {"employee_no": w.alice.employee_no})
    # the session, the user, their scope (3), the competition, the worker, their job type's metrics
    with django_assert_max_num_queries(8):
        answer = client.get(url, {"employee_no": w.alice.employee_no})
    assert answer.status_code == 200
    assert answer.json() == {"employee_no": w.alice.employee_no, "name": w.alice.name, "unit": w.workshop.name,
                             "job_type": w.driver.name, "is_active": True, "rules": answer.json()["rules"]}
    assert sorted(answer.json()["rules"]) == sorted([w.km.pk, w.trips.pk])
    body = answer.content.decode()
    assert w.alice.id_number not in body and w.alice.mobile not in body


def test_the_lookup_for_every_role(client, w, f):
    url = reverse("entries:worker_lookup")
    query = {"employee_no": w.alice.employee_no}
    assert client.get(url, query).status_code == 302  # anonymous: to the login page
    # union staff and superusers enter nothing without a clerk grant (members.scope)
    superuser = f.staff_user(username="root", is_superuser=True)
    for outsider in (w.alice_user, w.reviewer, w.staff, superuser):
        assert login(client, outsider).get(url, query).status_code == 403
    # another unit's clerk: the same 404 as a number that does not exist
    other = login(client, w.other_clerk).get(url, query)
    missing = client.get(url, {"employee_no": "NO-SUCH"})
    assert other.status_code == missing.status_code == 404
    assert other.json() == missing.json() and w.alice.name not in other.content.decode()
    assert login(client, w.clerk).get(url, query).json()["name"] == w.alice.name
    # staff holding the depot's clerk grant look up its workers, and no other depot's
    staff_clerk = f.clerk(w.depot, username="staff-clerk", is_staff=True)
    assert login(client, staff_clerk).get(url, query).json()["name"] == w.alice.name
    assert client.get(url, {"employee_no": w.carol.employee_no}).status_code == 404


# -- the 工号 as typed with a Chinese input method ---------------------------------------------------

def test_a_full_width_employee_number_with_spaces_around_it_finds_the_worker_on_the_entry_form(client, w, day):
    login(client, w.clerk)
    typed = ime_typed(w.alice.employee_no)
    lookup = client.post(reverse("entries:new"), {"worker": typed, "action": "lookup"})
    assert lookup.context["worker"].pk == w.alice.pk and "worker" not in lookup.context["errors"]
    answer = client.get(reverse("entries:worker_lookup"), {"employee_no": typed})
    assert answer.status_code == 200 and answer.json()["employee_no"] == w.alice.employee_no
    client.post(reverse("entries:new"), {"worker": typed, "rule": w.km.pk, "work_date": day.isoformat(),
                                         "quantity": "300", "action": "save"})
    assert list(WorkEntry.objects.values_list("worker_id", "quantity")) == [(w.alice.pk, 300)]


def test_a_full_width_employee_number_opens_the_week_grid_and_filters_the_entry_list(client, w, day):
    login(client, w.clerk)
    typed = ime_typed(w.alice.employee_no)
    page = client.get(reverse("entries:grid"), {"mode": "week", "worker": typed, "date": day.isoformat()})
    assert page.context["worker"].pk == w.alice.pk and len(page.context["rows"]) == 14
    assert not [str(m) for m in page.context["messages"]]
    client.post(reverse("entries:new"), {"worker": w.bob.employee_no, "rule": w.km.pk, "work_date": day.isoformat(),
                                         "quantity": "5", "action": "save"})
    client.post(reverse("entries:new"), {"worker": w.alice.employee_no, "rule": w.km.pk,
                                         "work_date": day.isoformat(), "quantity": "7", "action": "save"})
    listed = client.get(reverse("entries:list"), {"worker": typed}).context["entries"]
    assert [e.worker_id for e in listed] == [w.alice.pk]


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_an_import_file_naming_workers_by_full_width_numbers_imports(client, w, day, kind):
    rows = [HEADER, [ime_typed(w.alice.employee_no), "", day.isoformat(), "安全走行公里", "300", ""],
            [f" {w.bob.employee_no}\ufeff", "", day.isoformat(), "安全走行公里", "5", ""]]
    if kind == "csv":
        out = io.StringIO()
        csv.writer(out).writerows(rows)
        content = out.getvalue().encode()
    else:
        content = _xlsx(rows)
    login(client, w.clerk)
    preview = client.post(reverse("entries:import"), {"file": SimpleUploadedFile(f"e.{kind}", content)})
    assert preview.context["preview"]["error_count"] == 0 and preview.context["preview"]["good"] == 2
    client.post(reverse("entries:import_confirm"), {"token": preview.context["preview"]["token"]})
    assert sorted(WorkEntry.objects.values_list("worker_id", "quantity")) == sorted([(w.alice.pk, 300), (w.bob.pk, 5)])


# -- the import: grouped errors ------------------------------------------------------------------

def test_rows_are_written_as_runs_and_a_scattered_group_as_first_to_last_with_thousands_separators():
    assert rows_text([12]) == "第 12 行"
    with translation.override("en"):  # one row is a Row; the runs are listed with English commas
        assert (rows_text([12]), rows_text([2, 5, 6, 7, 9])) == ("Row 12", "Rows 2, 5–7, 9")
    assert rows_text([2, 5, 6, 7, 9]) == "第 2、5–7、9 行"
    assert rows_text([12, *range(14, 3000), 3001, 3003, *range(3005, 7981)]) == "第 12–7,980 行"
    with translation.override("en"):
        assert rows_text([12, 13]) == "Rows 12–13"


def test_identical_errors_are_grouped_by_field_and_message_in_the_order_met():
    errors = [RowError(n, "quantity", "工作量不能为负数。", "quantity_invalid") for n in (2, 3, 4)]
    errors += [RowError(5, "worker", "请填写工号。", "worker_missing"),
               RowError(5, "quantity", "工作量不能为负数。", "quantity_invalid")]
    groups = error_groups(errors)
    assert [(g.label, g.message, g.rows, g.where, g.count) for g in groups] == [
        ("工作量", "工作量不能为负数。", [2, 3, 4, 5], "第 2–5 行", 4),
        ("工号", "请填写工号。", [5], "第 5 行", 1)]


def test_the_preview_groups_identical_errors_with_the_first_rows_listed(client, w, day):
    lines = [",".join(HEADER)]
    lines += [f"{w.alice.employee_no},,{day},安全走行公里,-{n},第{n}条" for n in range(2, 1202)]  # rows 2–1,201
    lines += [f"{w.bob.employee_no},,{day},安全走行公里,5,"]  # row 1,202: good
    lines += [f"NOBODY{n},,{day},安全走行公里,5," for n in range(3)]  # rows 1,203–1,205
    page = login(client, w.clerk).post(reverse("entries:import"), {
        "file": SimpleUploadedFile("e.csv", "\n".join(lines).encode())})
    preview = page.context["preview"]
    assert [(g.where, g.count) for g in preview["groups"]] == [("第 2–1,201 行", 1200), ("第 1,203–1,205 行", 3)]
    html = page.content.decode()
    assert "第 2–1,201 行</b>：工作量：工作量不能为负数，共 1,200 行" in html
    assert "共 1,204 行，正确 1 行，有问题 1,203 行。" in html
    first = preview["groups"][0].first
    assert [n for n, _cells in first] == [2, 3, 4, 5, 6] and first[0][1][4] == "-2" and first[0][1][5] == "第2条"
    assert not WorkEntry.objects.exists()


# -- the import: the bad-rows file, corrected and uploaded again --------------------------------

def _xlsx(rows) -> bytes:
    book = openpyxl.Workbook()
    for row in rows:
        xlsx_append(book.active, row)  # "=..." stays text, as a clerk's cell typed with a quote
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_the_bad_rows_xlsx_keeps_the_files_columns_and_imports_once_corrected(client, w, day):
    # given: a file with an extra column of the clerk's own, one good row and two bad ones
    login(client, w.clerk)
    content = _xlsx([["序号", *HEADER, "班组备注"],
                     [1, w.alice.employee_no, "张三明", day, "安全走行公里", 300, None, "甲"],
                     [2, w.bob.employee_no, "李四", day, "安全走行公里", -5, "=HYPERLINK(1)", "乙"],
                     [3, w.bob.employee_no, "李四", day, "值乘趟数", "七", None, "丙"]])
    preview = client.post(reverse("entries:import"), {"file": SimpleUploadedFile("e.xlsx", content)})
    token = preview.context["preview"]["token"]
    client.post(reverse("entries:import_confirm"), {"token": token, "save_valid_only": "1"})
    assert WorkEntry.objects.count() == 1
    # when: the bad rows are downloaded as .xlsx
    preview = client.post(reverse("entries:import"), {"file": SimpleUploadedFile("e.xlsx", content)})
    response = client.get(reverse("entries:import_bad_rows_xlsx", args=[preview.context["preview"]["token"]]))
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    sheet = book.active
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    # then: the file's own columns in its order, the error column last, the formula-like cell as text
    assert rows[0] == ["序号", *HEADER, "班组备注", "错误说明"]
    assert [r[0] for r in rows[1:]] == [1, 2, 3]  # alice's row is already imported: a duplicate now
    assert rows[2][5] == -5 and rows[2][6] == "=HYPERLINK(1)" and sheet.cell(3, 7).data_type == "s"
    assert rows[2][8] == "工作量：工作量不能为负数。" and rows[3][8] == "工作量：工作量必须是数字。"
    assert "已有录入" in rows[1][8]
    # corrected in the spreadsheet (the duplicate row deleted) and uploaded again, it imports
    sheet.delete_rows(2)
    sheet.cell(2, 6).value = 5
    sheet.cell(3, 6).value = 6
    out = io.BytesIO()
    book.save(out)
    again = client.post(reverse("entries:import"), {"file": SimpleUploadedFile("bad-rows.xlsx", out.getvalue())})
    assert again.context["preview"]["error_count"] == 0 and again.context["preview"]["good"] == 2
    client.post(reverse("entries:import_confirm"), {"token": again.context["preview"]["token"]})
    assert sorted(WorkEntry.objects.values_list("worker_id", "rule_id", "quantity", "note")) == sorted([
        (w.alice.pk, w.km.pk, 300, ""), (w.bob.pk, w.km.pk, 5, "=HYPERLINK(1)"), (w.bob.pk, w.trips.pk, 6, "")])


def test_the_bad_rows_csv_keeps_the_files_columns_and_imports_once_corrected(client, w, day):
    login(client, w.clerk)
    out = io.StringIO()
    csv.writer(out).writerows([["说明", "工作量", "计分指标", "工作日期", "工号", "姓名"],
                               ["@备注", "abc", "安全走行公里", day.isoformat(), w.alice.employee_no, ""],
                               ["", "4", "值乘趟数", "2026/13/01", w.bob.employee_no, ""]])
    preview = client.post(reverse("entries:import"), {"file": SimpleUploadedFile("e.csv", out.getvalue().encode())})
    bad = client.get(reverse("entries:import_bad_rows", args=[preview.context["preview"]["token"]]))
    rows = list(csv.reader(io.StringIO(bad.content.decode("utf-8-sig"))))
    assert rows[0] == ["说明", "工作量", "计分指标", "工作日期", "工号", "姓名", "错误说明"]
    assert rows[1][:2] == ["'@备注", "abc"] and rows[1][6] == "工作量：工作量必须是数字。"
    assert rows[2][3] == "2026/13/01" and rows[2][6] == "工作日期：日期格式应为 2026-11-23。"
    # corrected and sent again: the error column is not read
    rows[1][1], rows[2][3] = "12.5", day.isoformat()
    fixed = io.StringIO()
    csv.writer(fixed).writerows(rows)
    again = client.post(reverse("entries:import"), {
        "file": SimpleUploadedFile("bad-rows.csv", fixed.getvalue().encode("utf-8-sig"))})
    assert again.context["preview"]["error_count"] == 0
    client.post(reverse("entries:import_confirm"), {"token": again.context["preview"]["token"]})
    assert sorted(WorkEntry.objects.values_list("worker_id", "quantity", "note")) == sorted([
        (w.alice.pk, 12.5, "@备注"), (w.bob.pk, 4, "")])


def test_the_bad_rows_files_for_every_role(client, w, day):
    content = f"{','.join(HEADER)}\n{w.alice.employee_no},,{day},安全走行公里,-1,\n".encode()
    token = login(client, w.clerk).post(reverse("entries:import"), {
        "file": SimpleUploadedFile("e.csv", content)}).context["preview"]["token"]
    for name in ("entries:import_bad_rows", "entries:import_bad_rows_xlsx"):
        url = reverse(name, args=[token])
        assert login(client, w.clerk).get(url).status_code == 200
        # another clerk holding the link gets no file: the parked file is the uploader's own
        assert login(client, w.other_clerk).get(url).url == reverse("entries:import")
        for outsider in (w.alice_user, w.reviewer, w.staff):
            assert login(client, outsider).get(url).status_code == 403
        client.logout()
        assert client.get(url).url.startswith(reverse("login"))


# -- the template pre-filled with the roster -----------------------------------------------------

def test_the_roster_template_has_a_row_per_worker_and_metric_and_imports_what_is_filled(client, f, w, day,
                                                                                         monkeypatch):
    # given: the depot's drivers and a track worker, an inactive driver, and another depot's worker
    track_man = f.worker(w.depot, w.track, name="赵六")
    f.worker(w.depot, w.driver, name="离职", is_active=False)
    monkeypatch.setattr(imports, "ROSTER_CHUNK", 2)  # read by key in chunks: no row lost or repeated
    login(client, w.clerk)
    response = client.get(reverse("entries:roster_template", args=["xlsx"]),
                          {"unit": w.depot.pk, "date": day.isoformat()})
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    rows = [[c.value for c in row] for row in book["录入"].iter_rows()]
    assert rows[0] == ROSTER_COLUMNS
    # the unit tree's order: the depot's own workers, then its workshop's
    by_depot = sorted([w.bob, track_man], key=lambda x: x.employee_no)
    expected = []
    for worker in [*by_depot, w.alice]:
        unit = w.workshop if worker is w.alice else w.depot
        for rule in ([w.metres] if worker is track_man else [w.km, w.trips]):
            expected.append([unit.name, worker.employee_no, worker.name, rule.job_type.name, day.isoformat(),
                             rule.metric, rule.unit_of_measure, None, None])
    assert sorted(rows[1:], key=str) == sorted(expected, key=str)
    assert [r[1] for r in rows[1:]] == [r[1] for r in expected]  # in that order
    assert {r[2] for r in book["计分指标"].iter_rows(min_row=2, values_only=True)} == {"安全走行公里", "值乘趟数",
                                                                                    "线路养护"}
    # when: the clerk fills two quantities and uploads the file as it is
    sheet = book["录入"]
    for n, row in enumerate(rows[1:], start=2):
        if (row[1], row[5]) in ((w.bob.employee_no, "安全走行公里"), (track_man.employee_no, "线路养护")):
            sheet.cell(n, ROSTER_COLUMNS.index("工作量") + 1).value = 120
    out = io.BytesIO()
    book.save(out)
    preview = client.post(reverse("entries:import"), {"file": SimpleUploadedFile("roster.xlsx", out.getvalue())})
    # then: the two rows import, the empty ones are skipped and said so
    assert preview.context["preview"]["good"] == 2 and preview.context["preview"]["error_count"] == 0
    assert preview.context["preview"]["skipped"] == len(expected) - 2
    assert f"另有 {len(expected) - 2} 行未填工作量，已跳过。" in preview.content.decode()
    client.post(reverse("entries:import_confirm"), {"token": preview.context["preview"]["token"]})
    assert WorkEntry.objects.count() == 2


def test_the_roster_template_as_csv_reads_back(client, w, day):
    login(client, w.clerk)
    response = client.get(reverse("entries:roster_template", args=["csv"]), {"unit": w.workshop.pk})
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == ROSTER_COLUMNS
    assert sorted((r[1], r[5], r[7]) for r in rows[1:]) == sorted([(w.alice.employee_no, "安全走行公里", ""),
                                                                   (w.alice.employee_no, "值乘趟数", "")])
    assert rows[1][4] == day.isoformat()  # yesterday when no day is asked for


def test_the_roster_template_reads_a_big_depot_in_a_few_queries(client, w, day, monkeypatch,
                                                                   django_assert_num_queries):
    drivers(w, w.workshop, 45)
    monkeypatch.setattr(imports, "ROSTER_CHUNK", 20)
    login(client, w.clerk)
    url = reverse("entries:roster_template", args=["csv"])
    client.get(url, {"unit": w.depot.pk})
    # the session, the user, their scope (3), the competition, the unit, the rules, and three chunks of
    # workers (20, 20, 7): a chunk more per ROSTER_CHUNK workers, nothing per worker
    with django_assert_num_queries(11):
        rows = client.get(url, {"unit": w.depot.pk}).content.decode("utf-8-sig").splitlines()
    assert len(rows) == 1 + 47 * 2


def test_the_roster_template_for_every_role(client, w):
    url = reverse("entries:roster_template", args=["xlsx"])
    query = {"unit": w.depot.pk}
    assert client.get(url, query).url.startswith(reverse("login"))
    for outsider in (w.alice_user, w.reviewer, w.staff):
        assert login(client, outsider).get(url, query).status_code == 403
    assert login(client, w.other_clerk).get(url, query).status_code == 404  # not their unit
    assert client.get(url, {"unit": w.other_depot.pk}).status_code == 200
    assert login(client, w.clerk).get(url, {"unit": w.other_depot.pk}).status_code == 404
    assert client.get(url, {"unit": "x"}).status_code == 404
    assert client.get(reverse("entries:roster_template", args=["pdf"]), query).status_code == 404
    clerk = login(client, w.clerk).get(url, query)
    names = [r[2] for r in openpyxl.load_workbook(io.BytesIO(clerk.content))["录入"].iter_rows(min_row=2, values_only=True)]
    assert set(names) == {w.alice.name, w.bob.name}


def test_the_import_page_offers_the_clerks_units_for_the_roster(client, w):
    page = login(client, w.clerk).get(reverse("entries:import"))
    assert [u.pk for u in page.context["roster_units"]] == [w.depot.pk]
    assert login(client, w.staff).get(reverse("entries:import")).status_code == 403  # no clerk grant


# -- the entry list --------------------------------------------------------------------------------

def test_the_entry_list_makes_the_same_queries_for_a_page_of_many_entries_and_its_next_page(
        client, w, day, django_assert_num_queries):
    made = drivers(w, w.workshop, 30)
    WorkEntry.objects.bulk_create([
        WorkEntry(competition=w.comp, worker=d, rule=w.km, work_date=day - timedelta(days=n), quantity=100,
                  points=1, entered_by=w.clerk, unit=d.unit, job_type=w.driver, business_system=w.system)
        for d in made for n in range(4)])
    login(client, w.clerk)
    # the session, the user, their scope (3), the navigation's unread count, the competitions (2), the page's
    # ids (from the entries alone) and its rows with worker and rule: the same on the next page
    with django_assert_num_queries(9):
        first = client.get(reverse("entries:list"))
    assert len(first.context["entries"]) == 50 and first.context["next_after"]
    with django_assert_num_queries(9):
        second = client.get(reverse("entries:list"), {"after": first.context["next_after"]})
    seen = [e.pk for e in first.context["entries"]] + [e.pk for e in second.context["entries"]]
    # newest first, ties by id, no entry twice or skipped across the pages
    assert seen == [pk for _d, pk in sorted(WorkEntry.objects.values_list("work_date", "pk"), reverse=True)][:100]


@pytest.mark.parametrize("name", ["entries:list", "entries:new", "entries:grid", "entries:import"])
def test_the_clerks_tabs_mark_the_page_they_are_on_as_current(client, w, name):
    # given: a clerk on one of their four pages (the single-entry form was the one shown unmarked)
    html = login(client, w.clerk).get(reverse(name)).content.decode()
    # then: exactly one tab is current, and it is the link to this page
    current = re.findall(r'<a class="button primary" aria-current="page" href="([^"]+)"', html)
    assert current == [reverse(name)]
    assert html.count('aria-current="page"') == 1


@pytest.mark.parametrize(("n", "chinese", "english"), [
    (1, ["共 1 行，正确 1 行，有问题 0 行。", "另有 1 行未填工作量，已跳过。", "导入全部 1 行"],
     ["1 row: 1 correct, 0 with problems.", "1 more row has no quantity and was skipped.", "Import the 1 row"]),
    (2, ["共 2 行，正确 2 行，有问题 0 行。", "另有 2 行未填工作量，已跳过。", "导入全部 2 行"],
     ["2 rows: 2 correct, 0 with problems.", "2 more rows have no quantity and were skipped.", "Import all 2 rows"]),
])
def test_an_import_preview_counts_its_rows_in_the_form_for_the_count(n, chinese, english):
    from django.template.loader import render_to_string

    preview = {"name": "录入.xlsx", "total": n, "good": n, "bad_rows": 0, "skipped": n, "errors": [], "token": "t"}
    for language, texts in (("zh-hans", chinese), ("en", english)):
        with translation.override(language):
            html = render_to_string("portal/_import_preview.html", {"preview": preview})
        assert [text for text in texts if text not in html] == []


def test_saving_the_grid_says_how_many_entries_in_the_form_for_the_count(client, w, day):
    login(client, w.clerk)
    client.cookies["django_language"] = "en"
    # one row filled in: one entry
    url = grid_url(w, day)
    key_bob, key_alice = (r.key for r in client.get(url).context["rows"])
    page = client.post(url, {"key": [key_bob, key_alice], f"q:{key_bob}": "120"}, follow=True).content.decode()
    assert "Saved 1 entry, pending review." in page
    # both rows of the day before: two entries
    url = grid_url(w, day - timedelta(days=1))
    key_bob, key_alice = (r.key for r in client.get(url).context["rows"])
    page = client.post(url, {"key": [key_bob, key_alice], f"q:{key_bob}": "120", f"q:{key_alice}": "80"},
                       follow=True).content.decode()
    assert "Saved 2 entries, pending review." in page
    # Chinese as before
    client.cookies["django_language"] = "zh-hans"
    url = grid_url(w, day - timedelta(days=2))
    key_bob, _key_alice = (r.key for r in client.get(url).context["rows"])
    page = client.post(url, {"key": [key_bob], f"q:{key_bob}": "120"}, follow=True).content.decode()
    assert "已保存 1 条录入，待审核。" in page
    assert WorkEntry.objects.count() == 4
