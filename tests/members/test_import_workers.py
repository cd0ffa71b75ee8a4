"""Importing and exporting workers from Excel/CSV in the admin: preview, all or nothing, Chinese errors."""

import csv
import io

import openpyxl
import pytest
import tablib
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from members.models import MembershipStatus, SkillGrade, Worker
from members.resources import WorkerResource, import_problems
from members.validators import id_number_check_digit, mask_id_number
from tests.factories import make_id_number

pytestmark = pytest.mark.django_db

IMPORT_URL = reverse("admin:members_worker_import")
PROCESS_URL = reverse("admin:members_worker_process_import")
EXPORT_URL = reverse("admin:members_worker_export")
HEADERS = ["工号", "姓名", "性别", "身份证号", "手机号", "单位编码", "工种", "技能等级", "会籍状态", "入会日期"]
XLSX, CSV = "0", "1"  # positions in PortalImportExportMixin.formats


def bad_check_digit(id_number: str) -> str:
    return id_number[:17] + ("0" if id_number[17] != "0" else "1")


@pytest.fixture
def setting(f):
    system = f.business_system(name="机务")
    return {"unit": f.unit(parent=f.depot(), code="BJ-JW-01"), "job": f.job_type(system, code="JT-DRV", name="司机")}


def rows(count, *, bad_row=None, start=1):
    """``count`` valid data rows; row ``bad_row`` (1-based, header excluded) has a wrong ID check digit."""
    result = []
    for n in range(start, start + count):
        id_number = make_id_number(n)
        if n - start + 1 == bad_row:
            id_number = bad_check_digit(id_number)
        result.append([f"W{n:05d}", f"职工{n}", "男" if n % 2 else "女", id_number, f"1380000{n:04d}", "BJ-JW-01",
                       "JT-DRV", "技师", "会员", "2020-05-01"])
    return result


def csv_upload(data_rows, headers=HEADERS):
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(headers)
    writer.writerows(data_rows)
    upload = io.BytesIO(buffer.getvalue().encode("utf-8-sig"))  # as Excel saves CSV on Windows
    upload.name = "workers.csv"
    return upload


def xlsx_upload(data_rows, headers=HEADERS):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(headers)
    for row in data_rows:
        sheet.append(row)
    upload = io.BytesIO()
    book.save(upload)
    upload.seek(0)
    upload.name = "workers.xlsx"
    return upload


def upload(client, file, fmt):
    return client.post(IMPORT_URL, {"import_file": file, "format": fmt, "resource": "0"})


def confirm(client, preview):
    form = preview.context["confirm_form"]
    return client.post(PROCESS_URL, {name: form.initial[name] for name in form.fields if name in form.initial})


@pytest.mark.parametrize(("make_file", "fmt"), [(csv_upload, CSV), (xlsx_upload, XLSX)], ids=["csv", "xlsx"])
def test_one_bad_id_number_reports_row_and_field_in_chinese_and_saves_nothing(admin_client, setting, make_file,
                                                                               fmt):
    f_existing = Worker.objects.count()

    response = upload(admin_client, make_file(rows(5, bad_row=3)), fmt)

    assert response.status_code == 200
    problems = response.context["import_problems"]
    assert problems == ["第3行 身份证号：身份证号校验位不正确，请核对。"]
    assert "第3行 身份证号：身份证号校验位不正确，请核对。" in response.content.decode()
    assert "confirm_form" not in response.context or response.context["confirm_form"] is None
    assert Worker.objects.count() == f_existing


@pytest.mark.parametrize(("make_file", "fmt"), [(csv_upload, CSV), (xlsx_upload, XLSX)], ids=["csv", "xlsx"])
def test_clean_file_previews_then_saves_every_row(admin_client, setting, make_file, fmt):
    preview = upload(admin_client, make_file(rows(6)), fmt)

    assert preview.status_code == 200
    assert preview.context["confirm_form"] is not None
    assert "W00003 职工3" in preview.content.decode()  # each row named in the preview
    assert Worker.objects.count() == 0  # the preview is a dry run

    done = confirm(admin_client, preview)

    assert done.status_code == 302
    assert Worker.objects.count() == 6
    worker = Worker.objects.get(employee_no="W00003")
    assert worker.name == "职工3"
    assert worker.gender == "M"
    assert worker.unit == setting["unit"]
    assert worker.job_type == setting["job"]
    assert worker.skill_grade == SkillGrade.TECHNICIAN
    assert worker.membership_status == MembershipStatus.MEMBER
    assert str(worker.joined_on) == "2020-05-01"


def test_validation_errors_roll_back_even_when_import_data_is_called_directly(setting):
    """All or nothing is the resource's rule, not only the admin page's."""
    dataset = tablib.Dataset(*rows(5, bad_row=3), headers=HEADERS)

    result = WorkerResource().import_data(dataset, dry_run=False)

    assert result.has_validation_errors()
    assert Worker.objects.count() == 0


def test_every_problem_names_its_row_and_chinese_column(setting):
    data = rows(4)
    data[0][2] = "未知"  # gender
    data[1][5] = "NO-SUCH-UNIT"
    data[2][7] = "大师"  # skill grade
    data[3][4] = "12345"  # mobile
    dataset = tablib.Dataset(*data, headers=HEADERS)
    resource = WorkerResource()

    result = resource.import_data(dataset, dry_run=True)

    problems = import_problems(result, resource)
    assert "第1行 性别：“未知”无效，应为：男、女。" in problems
    assert "第2行 单位编码：找不到单位“NO-SUCH-UNIT”。" in problems
    assert any(p.startswith("第3行 技能等级：“大师”无效") for p in problems)
    assert "第4行 手机号：手机号应为以1开头的11位数字。" in problems


def test_duplicate_numbers_in_the_file_or_on_file_are_reported_per_row(f, setting):
    taken = f.worker(setting["unit"], setting["job"], employee_no="OLD1", id_number=make_id_number(900))
    data = rows(3)
    data[1][0] = data[0][0]  # same employee number twice in the file
    data[2][3] = taken.id_number  # an ID number that belongs to someone else
    resource = WorkerResource()

    result = resource.import_data(tablib.Dataset(*data, headers=HEADERS), dry_run=False)

    problems = import_problems(result, resource)
    assert "第1行 工号：与文件中其他行重复（工号）。" in problems
    assert "第2行 工号：与文件中其他行重复（工号）。" in problems
    assert "第3行 身份证号：该身份证号已登记在其他职工名下。" in problems
    assert Worker.objects.count() == 1


def test_missing_key_column_is_reported_for_the_whole_file(setting):
    resource = WorkerResource()
    headers = [h for h in HEADERS if h != "工号"]
    data = [row[1:] for row in rows(2)]

    result = resource.import_data(tablib.Dataset(*data, headers=headers), dry_run=True)

    assert import_problems(result, resource) == ["整个文件：文件缺少必需的列：工号。请使用导出的模板。"]


def test_english_field_names_are_accepted_as_headers(setting):
    english = ["employee_no", "name", "gender", "id_number", "mobile", "unit", "job_type", "skill_grade",
               "membership_status", "joined_on"]

    result = WorkerResource().import_data(tablib.Dataset(*rows(2), headers=english), dry_run=False)

    assert not result.has_errors() and not result.has_validation_errors()
    assert Worker.objects.count() == 2


def test_job_type_by_name_when_unambiguous(setting):
    data = rows(1)
    data[0][6] = "司机"

    result = WorkerResource().import_data(tablib.Dataset(*data, headers=HEADERS), dry_run=False)

    assert not result.has_validation_errors()
    assert Worker.objects.get().job_type == setting["job"]


def test_import_queries_do_not_grow_with_rows(setting):
    def queries_for(count, start):
        dataset = tablib.Dataset(*rows(count, start=start), headers=HEADERS)
        with CaptureQueriesContext(connection) as ctx:
            result = WorkerResource().import_data(dataset, dry_run=False)
        assert not result.has_validation_errors() and not result.has_errors()
        return len(ctx.captured_queries)

    small = queries_for(5, start=100)
    large = queries_for(60, start=200)

    assert large == small


def test_export_round_trip_updates_in_place(setting):
    WorkerResource().import_data(tablib.Dataset(*rows(3), headers=HEADERS), dry_run=False)
    permitted = _permitted_user()

    exported = WorkerResource(user=permitted).export()
    assert exported.headers[:6] == ["工号", "姓名", "性别", "身份证号", "手机号", "单位编码"]
    exported[0] = tuple("改名" if h == "姓名" else v for h, v in zip(exported.headers, exported[0], strict=True))
    result = WorkerResource(user=permitted).import_data(exported, dry_run=False)

    assert not result.has_errors() and not result.has_validation_errors()
    assert result.totals["update"] == 3
    assert Worker.objects.count() == 3
    assert Worker.objects.get(employee_no="W00001").name == "改名"


def test_masked_export_round_trip_keeps_the_numbers_on_file(setting):
    data = rows(2)
    data[1][3] = same_mask_other_number(data[0][3])
    WorkerResource().import_data(tablib.Dataset(*data, headers=HEADERS), dry_run=False)
    assert Worker.objects.count() == 2
    assert len({mask_id_number(n) for n in Worker.objects.values_list("id_number", flat=True)}) == 1
    before = dict(Worker.objects.values_list("employee_no", "id_number"))

    exported = WorkerResource(user=None).export()
    assert all("*" in value for value in exported["身份证号"])
    result = WorkerResource(user=None).import_data(exported, dry_run=False)

    assert not result.has_errors() and not result.has_validation_errors()
    assert dict(Worker.objects.values_list("employee_no", "id_number")) == before


def same_mask_other_number(id_number):
    """A different valid ID number with the same region and last four: the same masked form."""
    for day in range(1, 29):
        first17 = f"{id_number[:6]}199001{day:02d}{id_number[14:17]}"
        if id_number_check_digit(first17) == id_number[17]:
            return first17 + id_number[17]
    raise AssertionError("no twin found")


def _permitted_user():
    from tests import factories

    account = factories.staff_user()
    account.user_permissions.add(Permission.objects.get(codename="view_full_id_number"))
    return type(account).objects.get(pk=account.pk)  # fresh: permissions are cached per instance


def _export_csv(client):
    from members.resources import WorkerResource as R

    data = {"format": CSV, "resource": "0"}
    for name in R().get_export_order():
        data[f"workerresource_{name}"] = "on"
    response = client.post(EXPORT_URL, data)
    assert response.status_code == 200, response.content[:500]
    return response.content.decode("utf-8-sig")


def test_admin_export_masks_id_numbers_for_staff_without_permission(client, f, setting):
    worker = f.worker(setting["unit"], setting["job"])
    staff = f.staff_user()
    staff.user_permissions.add(*Permission.objects.filter(codename="view_worker"))
    client.force_login(staff)

    content = _export_csv(client)

    assert worker.id_number not in content
    assert worker.id_number_masked in content
    assert worker.mobile not in content


def test_admin_export_shows_full_numbers_with_permission(client, f, setting):
    worker = f.worker(setting["unit"], setting["job"])
    staff = f.staff_user()
    staff.user_permissions.add(*Permission.objects.filter(codename__in=["view_worker", "view_full_id_number"]))
    client.force_login(staff)

    content = _export_csv(client)

    assert worker.id_number in content
    assert content.splitlines()[0].startswith("工号,姓名,性别,身份证号,手机号,单位编码")


def test_conflict_arising_between_preview_and_confirm_saves_nothing(admin_client, f, setting):
    data = rows(4)
    preview = upload(admin_client, csv_upload(data), CSV)
    # Meanwhile someone registers row 2's ID number for another worker.
    f.worker(setting["unit"], setting["job"], employee_no="OTHER", id_number=data[1][3])

    done = confirm(admin_client, preview)

    assert done.status_code == 302
    assert done["Location"] == IMPORT_URL
    assert Worker.objects.count() == 1
    messages = [str(m) for m in done.wsgi_request._messages]
    assert any("没有保存任何数据" in m and "第2行 身份证号：该身份证号已登记在其他职工名下。" in m for m in messages)


def test_worker_changelist_offers_import_and_export(admin_client):
    content = admin_client.get(reverse("admin:members_worker_changelist")).content.decode()

    assert IMPORT_URL in content
    assert EXPORT_URL in content


def test_staff_who_may_only_view_workers_can_export_but_not_import(client, f, setting):
    staff = f.staff_user()
    staff.user_permissions.add(*Permission.objects.filter(codename="view_worker"))
    client.force_login(staff)

    assert client.get(EXPORT_URL).status_code == 200
    assert client.get(IMPORT_URL).status_code == 403
    assert client.post(PROCESS_URL, {}).status_code == 403


def test_gbk_csv_as_excel_saves_it_on_chinese_windows_is_read(admin_client, setting):
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(HEADERS)
    writer.writerows(rows(2))
    file = io.BytesIO(buffer.getvalue().encode("gbk"))
    file.name = "workers.csv"

    preview = upload(admin_client, file, CSV)
    confirm(admin_client, preview)

    assert Worker.objects.get(employee_no="W00001").name == "职工1"


def test_blank_lines_are_skipped_and_row_numbers_still_match_the_file(setting):
    data = rows(4, bad_row=4)
    data.insert(1, [None] * len(HEADERS))  # a cleared line in the middle: the bad row is now row 5
    data.append([""] * len(HEADERS))
    resource = WorkerResource()

    result = resource.import_data(tablib.Dataset(*data, headers=HEADERS), dry_run=True)

    assert import_problems(result, resource) == ["第5行 身份证号：身份证号校验位不正确，请核对。"]


def test_unreadable_file_is_refused_in_chinese(admin_client, setting):
    file = io.BytesIO(b"not a workbook")
    file.name = "workers.xlsx"

    response = upload(admin_client, file, XLSX)

    assert "无法读取该文件" in response.content.decode()


def test_a_full_width_employee_number_in_a_file_updates_the_worker_it_names(admin_client, setting):
    from tests.factories import ime_typed

    confirm(admin_client, upload(admin_client, csv_upload(rows(2)), CSV))
    changed = rows(2)
    changed[0][0], changed[0][1] = ime_typed("W00001"), "改名"
    changed[1][0] = " W00002\ufeff"
    preview = upload(admin_client, xlsx_upload(changed), XLSX)
    assert preview.context["confirm_form"] is not None
    assert confirm(admin_client, preview).status_code == 302
    assert sorted(Worker.objects.values_list("employee_no", "name")) == [("W00001", "改名"), ("W00002", "职工2")]


def test_a_file_cannot_add_a_second_spelling_of_an_employee_number(setting):
    WorkerResource().import_data(tablib.Dataset(*rows(1), headers=HEADERS), dry_run=False)
    bad = rows(4, start=2)
    bad[0][0] = "w00001"  # W00001 on file in lower case
    bad[1][0] = "W 00003"  # a space inside
    bad[2][0], bad[3][0] = "X00004", "x00004"  # one new number twice, by case
    dataset = tablib.Dataset(*bad, headers=HEADERS)
    resource = WorkerResource()
    result = resource.import_data(dataset, dry_run=True)
    problems = import_problems(result, resource)
    assert "第1行 工号：工号与已有的工号 W00001 只有大小写不同，请核对。" in problems
    assert "第2行 工号：工号只能由字母、数字和“-”组成，不能含空格或其他字符。" in problems
    assert "第3行 工号：与文件中其他行重复（工号）。" in problems and "第4行 工号：与文件中其他行重复（工号）。" in problems
    assert list(Worker.objects.values_list("employee_no", flat=True)) == ["W00001"]


def test_the_files_case_only_check_reads_the_index_on_the_upper_case_number(f, setting):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.members.test_admin_workers import plan_of

    WorkerResource().import_data(tablib.Dataset(*rows(1), headers=HEADERS), dry_run=False)
    dataset = tablib.Dataset(*rows(3, start=2), headers=HEADERS)
    with CaptureQueriesContext(connection) as ran:
        WorkerResource().import_data(dataset, dry_run=True)
    [check] = [q["sql"] for q in ran.captured_queries if 'UPPER("members_worker"."employee_no")' in q["sql"]]
    plan = plan_of(f, check)
    assert "worker_empno_upper" in plan and "Seq Scan" not in plan, plan
