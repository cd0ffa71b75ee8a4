"""Skill grades (新八级工): the current grade following the latest certificate, the checks of one certificate and
of a file (bad rows leave the database unchanged), the pages for every role, a worker's own history, the API."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from members import skill_imports
from members.models import SkillGrade, Worker
from members.skills import CertificateRejected, SkillCertificate, certificate_create

pytestmark = pytest.mark.django_db

BODY = "北京市职业技能鉴定指导中心"
HEADER = skill_imports.COLUMNS


def grade_of(worker) -> int:
    return Worker.objects.values_list("skill_grade", flat=True).get(pk=worker.pk)


def add(actor, worker, grade, day, number, body=BODY, job_type=None):
    return certificate_create(actor=actor, worker_id=worker.pk, grade=grade, certificate_no=number, assessed_on=day,
                              issuing_body=body, job_type_id=job_type)


def xlsx(rows, header=HEADER) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def state() -> tuple:
    """What an import may change: every certificate and every worker's grade."""
    return (sorted(SkillCertificate.objects.values_list("worker_id", "grade", "certificate_no", "issuing_body")),
            sorted(Worker.objects.values_list("pk", "skill_grade")))


@pytest.fixture
def union_officer(f, w):
    account = f.user(username="union")
    account.union_units.set([w.depot])
    return account


# -- the current grade -----------------------------------------------------------------------------------

def test_the_current_grade_follows_the_latest_certificate_by_assessment_date(w):
    assert grade_of(w.alice) == SkillGrade.JUNIOR  # the record's grade before any certificate
    add(w.clerk, w.alice, SkillGrade.SENIOR, date(2024, 6, 1), "A-1")
    assert grade_of(w.alice) == SkillGrade.SENIOR
    # an older certificate entered later does not change the current grade
    add(w.clerk, w.alice, SkillGrade.INTERMEDIATE, date(2020, 6, 1), "A-2")
    assert grade_of(w.alice) == SkillGrade.SENIOR
    # a newer one does, even a lower grade (the latest assessment is the current one)
    add(w.clerk, w.alice, SkillGrade.TECHNICIAN, date(2025, 6, 1), "A-3")
    assert grade_of(w.alice) == SkillGrade.TECHNICIAN
    # two on one day: the one entered later
    add(w.clerk, w.alice, SkillGrade.SENIOR_TECHNICIAN, date(2025, 6, 1), "A-4")
    assert grade_of(w.alice) == SkillGrade.SENIOR_TECHNICIAN
    assert grade_of(w.bob) == SkillGrade.JUNIOR  # nobody else's grade moved


def test_the_job_type_is_the_workers_unless_stated(w):
    own = add(w.clerk, w.alice, SkillGrade.SENIOR, date(2024, 6, 1), "J-1")
    stated = add(w.clerk, w.alice, SkillGrade.SENIOR, date(2024, 6, 2), "J-2", job_type=w.track.pk)
    assert (own.job_type_id, stated.job_type_id) == (w.driver.pk, w.track.pk)
    assert own.entered_by == w.clerk


@pytest.mark.parametrize("change, code", [
    ({"assessed_on": date.today() + timedelta(days=2)}, "date_in_future"),
    ({"certificate_no": "  "}, "certificate_no_missing"),
    ({"certificate_no": "\u200b\ufeff"}, "certificate_no_missing"),  # nothing visible is no number
    ({"issuing_body": "\u200b"}, "issuing_body_missing"),
    ({"issuing_body": ""}, "issuing_body_missing"),
    ({"certificate_no": "X" * 41}, "certificate_no_too_long"),
    ({"grade": 9}, "grade_invalid"),
    ({"job_type_id": 987654}, "job_type_unknown"),
])
def test_a_certificate_that_breaks_a_rule_is_refused_and_nothing_changes(w, change, code):
    before = state()
    fields = {"worker_id": w.alice.pk, "grade": SkillGrade.SENIOR, "certificate_no": "N-1",
              "assessed_on": date(2024, 1, 1), "issuing_body": BODY, **change}
    with pytest.raises(CertificateRejected) as refused:
        certificate_create(actor=w.clerk, **fields)
    assert [e.code for e in refused.value.errors] == [code]
    assert state() == before


def test_an_assessment_before_the_worker_was_born_is_refused_by_hand_and_in_a_file(w):
    # the factory's workers were born on 1985-03-12 (their ID numbers say so); 0202 is a typo of 2022
    before = state()
    for day in (date(1985, 3, 11), date(202, 6, 7)):
        with pytest.raises(CertificateRejected) as refused:
            add(w.clerk, w.alice, SkillGrade.SENIOR, day, "N-1")
        assert [e.code for e in refused.value.errors] == ["date_before_birth"]
    parsed = skill_imports.check_file(actor=w.clerk, name="grades.xlsx", content=xlsx([
        [w.alice.employee_no, "", "高级工", "", "B-1", "1985-03-11", BODY],
        [w.alice.employee_no, "", "高级工", "", "B-2", "1985-03-12", BODY],  # on the day of birth: not refused
    ]))
    assert [(e.row, e.field, e.code) for e in parsed.errors] == [(2, "评定日期", "date_before_birth")]
    assert state() == before


def test_a_number_is_unique_per_issuing_body(w):
    add(w.clerk, w.alice, SkillGrade.SENIOR, date(2024, 1, 1), "N-1")
    with pytest.raises(CertificateRejected) as refused:
        add(w.clerk, w.bob, SkillGrade.SENIOR, date(2024, 1, 1), "N-1")
    assert refused.value.errors[0].message == "该发证机构的此证书编号已登记。"
    add(w.clerk, w.bob, SkillGrade.SENIOR, date(2024, 1, 1), "N-1", body="天津市职业技能鉴定中心")  # another body
    assert SkillCertificate.objects.count() == 2
    # the same number in full-width letters and digits is the same number, by hand and in a file
    with pytest.raises(CertificateRejected) as refused:
        add(w.clerk, w.bob, SkillGrade.SENIOR, date(2024, 1, 1), "Ｎ-１")
    assert refused.value.errors[0].code == "certificate_taken"
    parsed = skill_imports.check_file(actor=w.clerk, name="grades.xlsx", content=xlsx([
        [w.bob.employee_no, "", "高级工", "", "Ｎ-１", "2024-01-01", BODY]]))
    assert [(e.row, e.code) for e in parsed.errors] == [(2, "certificate_taken")]
    assert SkillCertificate.objects.count() == 2


def test_a_clerk_cannot_grade_another_units_worker_but_staff_and_the_units_union_officer_can(w, union_officer):
    with pytest.raises(CertificateRejected) as refused:
        add(w.clerk, w.carol, SkillGrade.SENIOR, date(2024, 1, 1), "C-1")
    assert refused.value.errors[0].code == "worker_not_gradable"
    with pytest.raises(CertificateRejected):
        add(w.reviewer, w.alice, SkillGrade.SENIOR, date(2024, 1, 1), "C-1")
    with pytest.raises(CertificateRejected):
        add(w.alice_user, w.alice, SkillGrade.SENIOR, date(2024, 1, 1), "C-1")  # not even for themself
    with pytest.raises(CertificateRejected):
        add(union_officer, w.carol, SkillGrade.SENIOR, date(2024, 1, 1), "C-1")
    add(union_officer, w.alice, SkillGrade.SENIOR, date(2024, 1, 1), "C-1")
    add(w.staff, w.carol, SkillGrade.TECHNICIAN, date(2024, 1, 1), "C-2")
    assert (grade_of(w.alice), grade_of(w.carol)) == (SkillGrade.SENIOR, SkillGrade.TECHNICIAN)


def test_a_clerk_union_officer_or_staff_who_is_the_worker_does_not_record_their_own_certificate(
        client, w, union_officer, f):
    # alice's own account is a clerk of her depot, bob's a union officer of it, and carol's union staff
    w.alice_user.clerk_units.set([w.depot])
    bob_user = f.worker_user(w.bob)
    bob_user.union_units.set([w.depot])
    carol_staff = f.worker_user(w.carol, is_staff=True)
    before = state()
    for actor, worker in ((w.alice_user, w.alice), (bob_user, w.bob), (carol_staff, w.carol)):
        with pytest.raises(CertificateRejected) as refused:
            add(actor, worker, SkillGrade.SENIOR, date(2024, 1, 1), f"OWN-{worker.pk}")
        assert [(e.field, e.code) for e in refused.value.errors] == [("工号", "own_certificate")]
        assert refused.value.errors[0].message == "不能登记本人的技能等级证书，请由其他录入员或工会干部登记。"
    content = xlsx([[w.alice.employee_no, "", "高级工", "", "OWN-F1", "2024-01-01", BODY],
                    [w.bob.employee_no, "", "高级工", "", "OWN-F2", "2024-01-01", BODY]])
    with pytest.raises(CertificateRejected) as refused:
        skill_imports.certificates_import(actor=w.alice_user, name="grades.xlsx", content=content)
    assert [(e.row, e.code) for e in refused.value.errors] == [(2, "own_certificate")]
    client.force_login(w.alice_user)
    form = {"employee_no": w.alice.employee_no, "grade": SkillGrade.SENIOR, "job_type": "",
            "certificate_no": "OWN-P1", "assessed_on": "2024-05-01", "issuing_body": BODY}
    page = client.post(reverse("skills:new"), form).content.decode()
    assert "不能登记本人的技能等级证书，请由其他录入员或工会干部登记。" in page
    page = client.post(reverse("skills:import"), {"file": _upload("grades.xlsx", content)}).content.decode()
    assert "不能登记本人的技能等级证书" in page and "导入全部" not in page
    assert state() == before
    # another person of the unit records it; they record another's
    add(bob_user, w.alice, SkillGrade.SENIOR, date(2024, 1, 1), "OWN-1")
    add(w.alice_user, w.bob, SkillGrade.SENIOR, date(2024, 1, 1), "OWN-2")
    add(carol_staff, w.alice, SkillGrade.TECHNICIAN, date(2025, 1, 1), "OWN-3")
    assert (grade_of(w.alice), grade_of(w.bob)) == (SkillGrade.TECHNICIAN, SkillGrade.SENIOR)


# -- the file import ---------------------------------------------------------------------------------------

def test_a_good_file_imports_every_row_and_sets_the_current_grades(w):
    content = xlsx([
        [w.alice.employee_no, w.alice.name, "高级工", "", "F-1", "2024-03-01", BODY],
        [w.alice.employee_no, "", "技师", "", "F-2", date(2025, 3, 1), BODY],
        [w.bob.employee_no, w.bob.name, "6", w.track.code, "F-3", "2023/05/06", BODY],
    ])
    assert skill_imports.certificates_import(actor=w.clerk, name="grades.xlsx", content=content) == 3
    assert (grade_of(w.alice), grade_of(w.bob)) == (SkillGrade.TECHNICIAN, SkillGrade.SENIOR_TECHNICIAN)
    bob = SkillCertificate.objects.get(certificate_no="F-3")
    assert (bob.job_type_id, bob.assessed_on, bob.entered_by) == (w.track.pk, date(2023, 5, 6), w.clerk)


def test_a_file_with_bad_rows_leaves_the_database_unchanged_and_says_what_is_wrong_row_by_row(w):
    add(w.clerk, w.bob, SkillGrade.SENIOR, date(2024, 1, 1), "TAKEN")
    before = state()
    future = (date.today() + timedelta(days=3)).isoformat()
    content = xlsx([
        [w.alice.employee_no, w.alice.name, "高级工", "", "OK-1", "2024-03-01", BODY],  # row 2: good
        [w.carol.employee_no, "", "高级工", "", "B-1", "2024-03-01", BODY],  # another unit's worker
        [w.alice.employee_no, "别人", "九级工", "", "B-2", "2024-03-01", BODY],  # name, grade
        [w.alice.employee_no, "", "技师", "不存在的工种", "B-3", future, BODY],  # job type, date
        [w.bob.employee_no, "", "技师", "", "TAKEN", "2024-03-01", BODY],  # registered already
        [w.bob.employee_no, "", "技师", "", "OK-1", "2024-03-01", BODY],  # repeats row 2
        ["", "", "", "", "", "2024-13-01", ""],  # nothing but a bad date
    ])
    parsed = skill_imports.check_file(actor=w.clerk, name="grades.xlsx", content=content)
    assert parsed.total == 7 and len(parsed.rows) == 1
    assert [(e.row, e.field, e.code) for e in parsed.errors] == [
        (3, "工号", "worker_not_gradable"),
        (4, "姓名", "name_mismatch"), (4, "技能等级", "grade_invalid"),
        (5, "工种", "job_type_unknown"), (5, "评定日期", "date_in_future"),
        (6, "证书编号", "certificate_taken"),
        (7, "证书编号", "certificate_repeated"),
        (8, "工号", "worker_missing"), (8, "技能等级", "grade_invalid"), (8, "证书编号", "certificate_no_missing"),
        (8, "评定日期", "date_invalid"), (8, "发证机构", "issuing_body_missing"),
    ]
    assert str(parsed.errors[0]) == "第3行 工号：找不到该职工，或您不能为该职工录入技能等级。"
    assert parsed.errors[6].message == "与第2行的证书编号重复。"
    with pytest.raises(CertificateRejected):
        skill_imports.certificates_import(actor=w.clerk, name="grades.xlsx", content=content)
    assert state() == before
    # the bad-rows file: the file's own columns and the six bad rows as uploaded, with their messages in one
    # more column (fix them and upload the same file again), formulas escaped
    rows = list(csv.reader(io.StringIO(skill_imports.bad_rows_csv(parsed).decode("utf-8-sig"))))
    assert rows[0] == [*HEADER, "错误说明"] and len(rows) == 7
    assert "姓名：姓名与工号不一致" in rows[2][-1]


def test_an_unreadable_or_wrong_file_is_refused_as_a_whole(w):
    with pytest.raises(skill_imports.ImportFileError, match="缺少列：技能等级、证书编号、评定日期、发证机构"):
        skill_imports.check_file(actor=w.clerk, name="x.xlsx", content=xlsx([], header=["工号"]))
    with pytest.raises(skill_imports.ImportFileError, match="只支持"):
        skill_imports.check_file(actor=w.clerk, name="x.pdf", content=b"%PDF")
    with pytest.raises(skill_imports.ImportFileError):
        skill_imports.check_file(actor=w.clerk, name="x.xlsx", content=b"PK\x03\x04 broken")


def test_checking_a_file_costs_the_same_queries_for_three_rows_or_three_hundred(w, f):
    workers = [f.worker(w.depot, w.driver) for _ in range(300)]

    def count(rows) -> int:
        content = xlsx([[x.employee_no, "", "高级工", w.driver.name, f"Q-{i}", "2024-01-01", BODY]
                        for i, x in enumerate(rows)])
        with CaptureQueriesContext(connection) as queries:
            parsed = skill_imports.check_file(actor=w.clerk, name="q.xlsx", content=content)
        assert not parsed.errors
        return len(queries)

    count(workers[:1])  # the clerk's scope, read once per request
    assert count(workers[:3]) == count(workers) == 3  # workers, job types, numbers already registered


# -- pages --------------------------------------------------------------------------------------------------

GRADE_PAGES = ["skills:certificates", "skills:new", "skills:import", "skills:template"]


def test_anonymous_visitors_are_sent_to_log_in(client):
    for name in [*GRADE_PAGES, "my_skills"]:
        response = client.get(reverse(name))
        assert response.status_code == 302 and response.url.startswith(reverse("login")), name


@pytest.mark.parametrize("role, allowed", [("alice_user", False), ("reviewer", False), ("clerk", True),
                                           ("union", True), ("staff", True)])
def test_the_grade_pages_are_for_clerks_union_officers_and_staff(client, w, union_officer, role, allowed):
    client.force_login(union_officer if role == "union" else getattr(w, role))
    for name in GRADE_PAGES:
        assert client.get(reverse(name)).status_code == (200 if allowed else 403), name
    assert client.post(reverse("skills:import_confirm"), {"token": "x" * 22}).status_code == (302 if allowed else 403)


def test_the_list_shows_only_the_certificates_of_the_persons_units(client, w, union_officer):
    add(w.staff, w.alice, SkillGrade.SENIOR, date(2024, 1, 1), "MINE-1")
    add(w.staff, w.carol, SkillGrade.SENIOR, date(2024, 1, 1), "THEIRS-1")
    for account, shown, hidden in ((w.clerk, "MINE-1", "THEIRS-1"), (union_officer, "MINE-1", "THEIRS-1"),
                                   (w.other_clerk, "THEIRS-1", "MINE-1")):
        client.force_login(account)
        page = client.get(reverse("skills:certificates")).content.decode()
        assert shown in page and hidden not in page
    client.force_login(w.staff)
    page = client.get(reverse("skills:certificates")).content.decode()
    assert "MINE-1" in page and "THEIRS-1" in page
    assert w.alice.id_number not in page and w.alice.mobile not in page


def test_the_list_is_keyset_paged_at_a_fixed_number_of_queries(client, w, f, monkeypatch):
    from members import skill_views

    monkeypatch.setattr(skill_views, "PAGE", 2)
    for i in range(5):
        add(w.staff, w.alice, SkillGrade.SENIOR, date(2024, 1, 1 + i), f"P-{i}")
    client.force_login(w.clerk)
    url, seen, counts = reverse("skills:certificates"), [], []
    while url:
        with CaptureQueriesContext(connection) as queries:
            page = client.get(url).content.decode()
        counts.append(len(queries))
        seen += sorted((n for n in (f"P-{i}" for i in range(5)) if n in page), key=page.index)
        url = page.split('class="pager"><a class="button" href="')[1].split('"')[0].replace("&amp;", "&") \
            if "下一页" in page else None
    assert seen == ["P-4", "P-3", "P-2", "P-1", "P-0"] and len(set(counts)) == 1, counts
    assert client.get(reverse("skills:certificates"), {"after": "forged"}).status_code == 200


def test_a_clerk_enters_a_certificate_on_the_form_and_is_told_what_is_wrong(client, w):
    client.force_login(w.clerk)
    form = {"employee_no": w.alice.employee_no, "grade": SkillGrade.SENIOR, "job_type": "",
            "certificate_no": "FORM-1", "assessed_on": "2024-05-01", "issuing_body": BODY}
    response = client.post(reverse("skills:new"), form)
    assert response.status_code == 302 and grade_of(w.alice) == SkillGrade.SENIOR
    # another unit's worker, the same number again, a date in the future: messages, nothing saved
    before = state()
    page = client.post(reverse("skills:new"), {**form, "employee_no": w.carol.employee_no}).content.decode()
    assert "找不到该职工，或您不能为该职工录入技能等级。" in page
    page = client.post(reverse("skills:new"), form).content.decode()
    assert "该发证机构的此证书编号已登记。" in page
    page = client.post(reverse("skills:new"), {**form, "certificate_no": "FORM-2",
                                               "assessed_on": (date.today() + timedelta(days=1)).isoformat()})
    assert "评定日期不能晚于今天。" in page.content.decode()
    page = client.post(reverse("skills:new"), {**form, "grade": "99", "assessed_on": "2024-02-30"}).content.decode()
    assert "技能等级应为新八级工之一。" in page and "日期格式应为" in page
    assert state() == before


def test_the_import_pages_preview_then_confirm_all_or_nothing(client, w):
    client.force_login(w.clerk)
    bad = xlsx([[w.alice.employee_no, "", "高级工", "", "I-1", "2024-01-01", BODY],
                [w.carol.employee_no, "", "高级工", "", "I-2", "2024-01-01", BODY]])
    page = client.post(reverse("skills:import"), {"file": _upload("bad.xlsx", bad)}).content.decode()
    assert "共 2 行，正确 1 行，有问题 1 行。" in page and "第 3 行" in page and "导入全部" not in page
    assert not SkillCertificate.objects.exists()
    good = xlsx([[w.alice.employee_no, "", "高级工", "", "I-1", "2024-01-01", BODY]])
    page = client.post(reverse("skills:import"), {"file": _upload("good.xlsx", good)}).content.decode()
    token = page.split('name="token" value="')[1].split('"')[0]
    assert not SkillCertificate.objects.exists()  # the preview saves nothing
    response = client.post(reverse("skills:import_confirm"), {"token": token})
    assert response.status_code == 302 and response.url == reverse("skills:certificates")
    assert grade_of(w.alice) == SkillGrade.SENIOR
    # another account cannot use the token
    client.force_login(w.other_clerk)
    client.post(reverse("skills:import_confirm"), {"token": token})
    assert SkillCertificate.objects.count() == 1


def test_the_template_has_the_columns_and_the_grades(client, w):
    client.force_login(w.clerk)
    book = openpyxl.load_workbook(io.BytesIO(client.get(reverse("skills:template")).content))
    assert [c.value for c in book["技能等级"][1]] == HEADER
    grades = [row[1] for row in book["等级与工种"].iter_rows(min_row=2, values_only=True)][:8]
    assert grades == [str(label) for label in SkillGrade.labels]


def _upload(name, content):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content)


# -- the worker's own grade and history ------------------------------------------------------------------

def test_a_worker_sees_their_current_grade_and_their_own_history_only(client, w):
    add(w.staff, w.alice, SkillGrade.SENIOR, date(2023, 1, 1), "OWN-1")
    add(w.staff, w.alice, SkillGrade.TECHNICIAN, date(2025, 1, 1), "OWN-2")
    add(w.staff, w.bob, SkillGrade.CHIEF_TECHNICIAN, date(2025, 1, 1), "BOB-1")
    client.force_login(w.alice_user)
    page = client.get(reverse("my_skills")).content.decode()
    assert "技师" in page.split('id="my-grade"')[1].split("</div>")[0]
    assert page.index("OWN-2") < page.index("OWN-1") and "BOB-1" not in page
    me = client.get(reverse("me")).content.decode()
    assert "技师" in me.split('id="my-skill-grade"')[1].split("</p>")[0]
    client.force_login(w.clerk)
    assert client.get(reverse("my_skills")).status_code == 403  # a clerk who is not a worker


# -- the API ---------------------------------------------------------------------------------------------

def test_the_api_lists_the_certificates_each_role_may_see(w, union_officer, django_assert_max_num_queries):
    from tests.api.conftest import bearer_client

    add(w.staff, w.alice, SkillGrade.SENIOR, date(2024, 1, 1), "API-A")
    add(w.staff, w.carol, SkillGrade.TECHNICIAN, date(2024, 1, 1), "API-C")

    def numbers(user, **params) -> list[str]:
        response = bearer_client(user).get("/api/v1/skills/", params)
        assert response.status_code == 200, response.content
        return sorted(r["certificate_no"] for r in response.json()["results"])

    assert numbers(w.alice_user) == ["API-A"]
    assert numbers(w.alice_user, worker=w.carol.pk) == []  # someone else's: nothing, as if none
    assert numbers(w.clerk) == ["API-A"] and numbers(union_officer) == ["API-A"]
    assert numbers(w.other_clerk) == ["API-C"] and numbers(w.reviewer) == []
    assert numbers(w.staff) == ["API-A", "API-C"]
    body = bearer_client(w.alice_user).get("/api/v1/skills/").json()["results"][0]
    assert body["grade"] == 4 and body["grade_label"] == "高级工" and body["worker"]["id"] == w.alice.pk
    assert body["job_type"]["name"] == "电力机车司机" and "id_number" not in body["worker"]
    me = bearer_client(w.alice_user).get("/api/v1/me/").json()["worker"]
    assert (me["skill_grade"], me["skill_grade_label"]) == (4, "高级工")
    bad = bearer_client(w.staff).get("/api/v1/skills/", {"worker": "x"})
    assert bad.status_code == 400 and bad.json()["error"]["code"]
    assert bearer_client(None).get("/api/v1/skills/").status_code == 401
    client = bearer_client(w.staff)
    with django_assert_max_num_queries(6):  # token, scope (3), the page
        client.get("/api/v1/skills/")


def test_a_full_width_employee_number_finds_the_worker_on_the_form_in_a_file_and_in_the_list(client, w):
    from tests.factories import ime_typed

    client.force_login(w.clerk)
    typed = ime_typed(w.alice.employee_no)
    response = client.post(reverse("skills:new"), {
        "employee_no": typed, "grade": SkillGrade.SENIOR, "job_type": "", "certificate_no": "FORM-1",
        "assessed_on": "2024-05-01", "issuing_body": BODY})
    assert response.status_code == 302 and grade_of(w.alice) == SkillGrade.SENIOR
    content = xlsx([[typed, w.alice.name, "技师", "", "F-1", "2025-03-01", BODY]])
    assert skill_imports.certificates_import(actor=w.clerk, name="grades.xlsx", content=content) == 1
    assert grade_of(w.alice) == SkillGrade.TECHNICIAN
    listed = client.get(reverse("skills:certificates"), {"employee_no": typed}).context["rows"]
    assert {row.certificate_no for row in listed} == {"FORM-1", "F-1"}
