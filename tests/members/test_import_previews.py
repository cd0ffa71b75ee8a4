"""The office's file imports preview a file as the clerks' entry import does (templates/portal/_import_preview.html):
identical errors grouped ("第 2–1,201 行：…，共 1,200 行") with the first rows listed, and the bad rows as
.xlsx or CSV with the file's own columns plus 错误说明, which import once corrected."""

from __future__ import annotations

import csv
import io

import openpyxl
import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from members import skill_imports
from members.membership_imports import APPLICATIONS, CARDS
from members.models import MembershipApplication, MembershipStatus, Worker
from members.skills import SkillCertificate
from members.validators import mask_id_number
from tests.members.test_membership_imports import row_for, xlsx

pytestmark = pytest.mark.django_db

BODY = "北京市职业技能鉴定指导中心"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def upload(client, page: str, name: str, content: bytes):
    response = client.post(reverse(page), {"file": SimpleUploadedFile(name, content)})
    assert response.status_code == 200
    return response


def saved(book) -> bytes:
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# -- membership forms --------------------------------------------------------------------------------------

def test_1200_identical_bad_forms_are_one_group_and_the_bad_rows_xlsx_imports_once_corrected(client, m, f):
    # given: 1,200 of the depot's workers on forms giving an education that is not one of the options
    workers = f.workers(m.depot, m.driver, 1200)
    content = xlsx(APPLICATIONS.columns, [row_for(w, 文化程度="博士后") for w in workers])
    client.force_login(m.officer)

    # when: the union officer previews the file
    page = upload(client, "union:import_applications", "forms.xlsx", content)

    # then: one group of 1,200 rows, its first five rows as read with the ID number masked; nothing saved
    preview = page.context["preview"]
    assert [(g.where, g.count) for g in preview["groups"]] == [("第 2–1,201 行", 1200)]
    html = page.content.decode()
    assert "共 1,200 行，正确 0 行，有问题 1,200 行。" in html
    assert "第 2–1,201 行</b>：文化程度：请从下列选项中选择：" in html and "，共 1,200 行" in html
    first = preview["groups"][0].first
    id_at = APPLICATIONS.columns.index("身份证号")
    assert [n for n, _cells in first] == [2, 3, 4, 5, 6]
    assert first[0][1][:2] == [workers[0].employee_no, workers[0].name]
    assert first[0][1][id_at] == mask_id_number(workers[0].id_number)
    assert not any(w.id_number in html for w in workers[:5])
    assert "导入全部" not in html and not MembershipApplication.objects.exists()

    # when: the bad rows are downloaded as .xlsx
    response = client.get(reverse("union:import_applications_bad_rows_xlsx", args=[preview["token"]]))
    assert response.status_code == 200 and response["Content-Type"] == XLSX
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    sheet = book.active
    rows = list(sheet.iter_rows(values_only=True))

    # then: the file's own columns plus the error column, every bad row, the ID numbers masked
    assert list(rows[0]) == [*APPLICATIONS.columns, "错误说明"]
    assert [r[0] for r in rows[1:]] == [w.employee_no for w in workers]
    assert all(r[-1].startswith("文化程度：请从下列选项中选择") for r in rows[1:])
    assert [r[id_at] for r in rows[1:]] == [mask_id_number(w.id_number) for w in workers]
    mobile_at = APPLICATIONS.columns.index("手机号")  # the page masks phones; the file keeps them as typed
    assert first[0][1][mobile_at] == "138****8000" and "13800138000" not in html
    assert {r[mobile_at] for r in rows[1:]} == {"13800138000"}

    # when: the education is corrected in the spreadsheet and the file uploaded again
    education = APPLICATIONS.columns.index("文化程度") + 1
    for n in range(2, 1202):
        sheet.cell(n, education).value = "大专"
    again = upload(client, "union:import_applications", "bad-rows.xlsx", saved(book))

    # then: no problem left (a masked ID number stands for the one on file), and confirmed, all 1,200 are saved
    # with the ID numbers on file
    assert again.context["preview"]["error_count"] == 0 and again.context["preview"]["good"] == 1200
    response = client.post(reverse("union:import_applications"), {"token": again.context["preview"]["token"]},
                           follow=True)
    assert "已导入 1200 份入会申请，待审批。" in response.content.decode()
    assert sorted(MembershipApplication.objects.values_list("worker_id", "id_number")) == sorted(
        (w.pk, w.id_number) for w in workers)
    assert set(Worker.objects.filter(pk__in=[w.pk for w in workers]).values_list("membership_status", flat=True)) \
        == {MembershipStatus.APPLIED}


def test_a_masked_id_number_stands_only_for_the_workers_own_number(client, m):
    # the mask of another worker's number, and a number masked otherwise, are checked as typed: refused
    assert mask_id_number(m.bob.id_number) != mask_id_number(m.alice.id_number)
    rows = [row_for(m.alice, 身份证号=mask_id_number(m.bob.id_number)),
            row_for(m.bob, 身份证号=m.bob.id_number[:6] + "*" * 12)]
    client.force_login(m.officer)
    preview = upload(client, "union:import_applications", "forms.xlsx", xlsx(APPLICATIONS.columns, rows))
    codes = {(e.row, e.field) for e in preview.context["preview"]["errors"]}
    assert {(2, "id_number"), (3, "id_number")} <= codes
    assert preview.context["preview"]["good"] == 0


def test_the_bad_rows_csv_of_card_numbers_imports_once_corrected(client, m, f):
    from members import membership as services
    from tests.members.membership_data import card_number, form_for

    workers = f.workers(m.depot, m.driver, 3)
    ids = [services.application_submit(actor=m.staff, form=form_for(w)).pk for w in workers]
    services.applications_approve(actor=m.staff, application_ids=ids)
    rows = [[w.employee_no, card_number(i)[:-1] + "X", ""] for i, w in enumerate(workers)]  # issued today
    client.force_login(m.staff)
    page = upload(client, "union:import_cards", "cards.xlsx", xlsx(CARDS.columns, rows))
    assert [(g.where, g.count) for g in page.context["preview"]["groups"]] == [("第 2–4 行", 3)]
    response = client.get(reverse("union:import_cards_bad_rows", args=[page.context["preview"]["token"]]))
    table = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert table[0] == [*CARDS.columns, "错误说明"] and len(table) == 4
    for i, row in enumerate(table[1:]):
        row[1] = card_number(i)
    fixed = io.StringIO()
    csv.writer(fixed).writerows(table)
    again = upload(client, "union:import_cards", "bad-rows.csv", fixed.getvalue().encode("utf-8-sig"))
    assert again.context["preview"]["error_count"] == 0
    client.post(reverse("union:import_cards"), {"token": again.context["preview"]["token"]})
    assert set(Worker.objects.filter(pk__in=[w.pk for w in workers]).values_list("member_card_no", flat=True)) \
        == {card_number(i) for i in range(3)}


def test_the_office_bad_rows_files_for_every_role(client, m, f):
    client.force_login(m.officer)
    bad = xlsx(APPLICATIONS.columns, [row_for(m.alice, 姓名="别人")])
    token = upload(client, "union:import_applications", "forms.xlsx", bad).context["preview"]["token"]
    for name in ("union:import_applications_bad_rows", "union:import_applications_bad_rows_xlsx"):
        url = reverse(name, args=[token])
        client.force_login(m.officer)
        assert client.get(url).status_code == 200
        # another officer or staff holding the link gets no file: the parked file is the uploader's own
        for other in (m.other_officer, m.staff):
            client.force_login(other)
            assert client.get(url).url == reverse("union:import_applications")
        for outsider in (m.alice_user, m.clerk, m.reviewer):
            client.force_login(outsider)
            assert client.get(url).status_code == 403
        client.logout()
        assert client.get(url).url.startswith(reverse("login"))
    # card numbers: staff only
    client.force_login(m.staff)
    cards = xlsx(CARDS.columns, [["NOBODY", "1", ""]])
    token = upload(client, "union:import_cards", "cards.xlsx", cards).context["preview"]["token"]
    url = reverse("union:import_cards_bad_rows_xlsx", args=[token])
    assert client.get(url)["Content-Type"] == XLSX
    client.force_login(f.staff_user(username="staff2"))
    assert client.get(url).url == reverse("union:import_cards")
    client.force_login(m.officer)
    assert client.get(url).status_code == 403


# -- skill certificates ------------------------------------------------------------------------------------

def certificates_file(rows) -> bytes:
    book = openpyxl.Workbook()
    book.active.append(skill_imports.COLUMNS)
    for row in rows:
        book.active.append(row)
    return saved(book)


def test_1200_identical_bad_certificates_are_one_group_and_the_bad_rows_csv_imports_once_corrected(client, w):
    # given: 1,200 certificates of alice's with a grade that is none of the eight
    rows = [[w.alice.employee_no, "", "超级工", "", f"G-{n}", "2024-01-01", BODY] for n in range(1200)]
    client.force_login(w.clerk)

    # when: the clerk previews the file
    page = upload(client, "skills:import", "grades.xlsx", certificates_file(rows))

    # then: one group, its first rows as read, nothing saved
    preview = page.context["preview"]
    assert [(g.where, g.count) for g in preview["groups"]] == [("第 2–1,201 行", 1200)]
    html = page.content.decode()
    assert "共 1,200 行，正确 0 行，有问题 1,200 行。" in html
    assert "第 2–1,201 行</b>：技能等级：技能等级应为新八级工之一（如“高级工”，或1至8），共 1,200 行" in html
    first = preview["groups"][0].first
    assert [n for n, _cells in first] == [2, 3, 4, 5, 6] and first[0][1] == [
        w.alice.employee_no, "", "超级工", "", "G-0", "2024-01-01", BODY]
    assert "导入全部" not in html and not SkillCertificate.objects.exists()

    # the bad rows as .xlsx: the file's own columns and the error column
    token = preview["token"]
    response = client.get(reverse("skills:import_bad_rows_xlsx", args=[token]))
    assert response["Content-Type"] == XLSX
    sheet_rows = list(openpyxl.load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert list(sheet_rows[0]) == [*skill_imports.COLUMNS, "错误说明"] and len(sheet_rows) == 1201

    # when: the CSV is downloaded, the grade corrected, and the file uploaded again
    response = client.get(reverse("skills:import_bad_rows", args=[token]))
    table = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert table[0] == [*skill_imports.COLUMNS, "错误说明"] and len(table) == 1201
    grade = skill_imports.COLUMNS.index("技能等级")
    for row in table[1:]:
        row[grade] = "高级工"
    fixed = io.StringIO()
    csv.writer(fixed).writerows(table)
    again = upload(client, "skills:import", "bad-rows.csv", fixed.getvalue().encode("utf-8-sig"))

    # then: it previews clean, and confirmed, all 1,200 are saved
    assert again.context["preview"]["error_count"] == 0 and again.context["preview"]["good"] == 1200
    client.post(reverse("skills:import_confirm"), {"token": again.context["preview"]["token"]})
    assert SkillCertificate.objects.filter(worker=w.alice).count() == 1200


def test_the_skill_bad_rows_xlsx_for_every_role(client, w, f):
    union_officer = f.user(username="union")
    union_officer.union_units.set([w.depot])
    client.force_login(w.clerk)
    bad = certificates_file([[w.alice.employee_no, "", "超级工", "", "R-1", "2024-01-01", BODY]])
    token = upload(client, "skills:import", "grades.xlsx", bad).context["preview"]["token"]
    url = reverse("skills:import_bad_rows_xlsx", args=[token])
    assert client.get(url).status_code == 200
    for other in (w.other_clerk, union_officer, w.staff):
        client.force_login(other)
        assert client.get(url).url == reverse("skills:import")
    for outsider in (w.alice_user, w.reviewer):
        client.force_login(outsider)
        assert client.get(url).status_code == 403
    client.logout()
    assert client.get(url).url.startswith(reverse("login"))


# -- in the reader's language -----------------------------------------------------------------------------

@pytest.mark.parametrize(("language", "text"), [
    ("en", "Row 2</b>: Education: Choose one of: "),
    ("zh-hans", "第 2 行</b>：文化程度：请从下列选项中选择："),
])
def test_the_membership_forms_import_names_its_columns_in_the_officers_language(client, m, f, language, text):
    [worker] = f.workers(m.depot, m.driver, 1)
    client.force_login(m.officer)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    page = upload(client, "union:import_applications", "forms.xlsx",
                  xlsx(APPLICATIONS.columns, [row_for(worker, 文化程度="博士后")]))
    assert text in page.content.decode()


@pytest.mark.parametrize(("language", "text"), [
    ("en", "Columns: 工号 (Employee number), 姓名 (Name), 性别 (Gender), 身份证号 (ID number), "),
    ("zh-hans", "列：工号、姓名、性别、身份证号、出生日期、"),
])
def test_the_import_page_says_what_its_chinese_columns_are_in_the_officers_language(client, m, language, text):
    # given a union officer reading in ``language``
    client.force_login(m.officer)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    # when they open the membership forms' import
    page = client.get(reverse("union:import_applications")).content.decode()
    # then the columns the file must have (Chinese headers in every language) are named, and in English
    # glossed; before, an English page listed 工号、姓名、性别… with nothing to say what they were
    columns = page.split('id="columns">')[1].split("</p>")[0]
    assert columns.startswith(text)
    assert ("（" in columns) is ("、" in columns) is (language == "zh-hans")  # English: ", " and " ("
