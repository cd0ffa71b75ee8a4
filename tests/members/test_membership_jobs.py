"""A large file of enrollment forms and 批准全部 of many waiting forms run as background jobs
(members.membership_jobs): started from the union office's pages, all or nothing, as the person who started
them, with a Chinese outcome on the job's page; small ones stay in the request."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook

from competitions.models import Job, JobStatus
from config import parked_uploads
from members import membership as services
from members import membership_imports, membership_jobs
from members.membership_imports import APPLICATIONS
from members.models import ApplicationStatus, MembershipApplication, MembershipStatus, Worker
from reviews import imports
from reviews.validation import local_today
from tests.members.membership_data import form_for, gender_of
from tests.reviews.test_background_jobs import page_of

pytestmark = pytest.mark.django_db

GENDER = {"M": "男", "F": "女"}


@pytest.fixture(autouse=True)
def parking(settings, tmp_path):
    settings.PARKED_UPLOADS_DIR = str(tmp_path / "parked")


@pytest.fixture
def background_from_two_rows(monkeypatch):
    monkeypatch.setattr(imports, "IMPORT_BACKGROUND_ROWS", 1)


@pytest.fixture
def background_from_two_forms(monkeypatch):
    monkeypatch.setattr(membership_jobs, "APPROVE_BACKGROUND_COUNT", 1)


def forms_file(*workers, **changes) -> bytes:
    book = Workbook()
    book.active.append(list(APPLICATIONS.columns))
    for worker in workers:
        values = {"工号": worker.employee_no, "姓名": worker.name, "性别": GENDER[gender_of(worker)],
                  "身份证号": worker.id_number, "出生日期": "", "手机号": "13800138000", "文化程度": "大专",
                  "政治面貌": "群众", "职务": "司机", "申请日期": ""}
        values.update(changes.get(worker.employee_no, {}))
        book.active.append([values[c] for c in APPLICATIONS.columns])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def preview(client, content: bytes) -> str:
    response = client.post(reverse("union:import_applications"), {"file": SimpleUploadedFile("forms.xlsx", content)})
    assert response.status_code == 200
    return response.context["preview"]["token"]


# -- the import of forms -----------------------------------------------------------------------------------

def test_a_large_file_of_forms_is_imported_by_a_job_and_its_page_says_how_many(
        client, m, background_from_two_rows, run_jobs):
    # given a union officer's file of two good forms, previewed
    client.force_login(m.officer)
    token = preview(client, forms_file(m.alice, m.bob))

    # when the officer confirms it
    response = run_jobs(lambda: client.post(reverse("union:import_applications"), {"token": token}))

    # then a job imported both, as the officer, and its page says so in Chinese
    job = Job.objects.get()
    assert response.status_code == 302 and response.url == reverse("jobs:detail", args=[job.pk])
    assert job.kind == "membership_import" and job.created_by == m.officer and job.status == JobStatus.SUCCEEDED
    assert job.summary == [("已导入", 2)]
    saved = MembershipApplication.objects.filter(status=ApplicationStatus.SUBMITTED, submitted_by=m.officer)
    assert set(saved.values_list("worker_id", flat=True)) == {m.alice.pk, m.bob.pk}
    page = page_of(client, job)
    assert "已导入 2 份入会申请，待审批。" in page and f'href="{reverse("union:applications")}">查看入会申请' in page
    assert parked_uploads.parked(user_id=m.officer.pk, token=token) is None


def test_an_officer_reading_english_imports_a_file_of_forms_with_their_chinese_choices(
        client, m, background_from_two_rows, run_jobs):
    # given a file whose gender, education and political status are the template's Chinese options
    client.force_login(m.officer)
    client.cookies["django_language"] = "en"
    token = preview(client, forms_file(m.alice, m.bob))
    # when an officer reading English imports it
    run_jobs(lambda: client.post(reverse("union:import_applications"), {"token": token}))
    # then both forms are saved (the options were matched against the English labels: 男 read as no gender)
    job = Job.objects.get()
    assert job.status == JobStatus.SUCCEEDED and job.result["summary"] == [["已导入", 2]]
    assert set(MembershipApplication.objects.values_list("gender", "education")) == {
        (gender_of(m.alice), "college"), (gender_of(m.bob), "college")}


def test_a_choice_the_file_may_not_hold_lists_the_chinese_options_in_the_readers_way(client, m):
    client.force_login(m.officer)
    client.cookies["django_language"] = "en"
    response = client.post(reverse("union:import_applications"), {"file": SimpleUploadedFile(
        "forms.xlsx", forms_file(m.alice, **{m.alice.employee_no: {"文化程度": "Junior college"}}))})
    assert "Choose one of: 初中及以下, 高中、中专、技校, 大专, 本科, 硕士研究生, 博士研究生." in response.content.decode()


def test_a_large_file_with_a_bad_row_saves_no_form_and_offers_the_bad_rows_file(
        client, m, background_from_two_rows, run_jobs):
    client.force_login(m.officer)
    token = preview(client, forms_file(m.alice, m.bob, **{m.bob.employee_no: {"姓名": "别人"}}))

    run_jobs(lambda: client.post(reverse("union:import_applications"), {"token": token}))

    job = Job.objects.get()
    assert job.status == JobStatus.FAILED and job.error == "文件有错误，未保存任何入会申请。"
    assert job.summary == [("有问题的行", 1), ("已导入", 0)]
    assert not MembershipApplication.objects.exists()
    assert Worker.objects.get(pk=m.alice.pk).membership_status != MembershipStatus.APPLIED
    bad_rows = reverse("union:import_applications_bad_rows", args=[token])
    assert f'href="{bad_rows}">下载有问题的行' in page_of(client, job)
    # the file stays parked: its bad rows can still be fetched and fixed
    assert "姓名与职工档案不一致" in client.get(bad_rows).content.decode("utf-8-sig")


def test_an_english_officers_import_refused_for_no_row_is_stored_in_chinese_and_read_in_each_language(
        client, m, background_from_two_rows, run_jobs, monkeypatch):
    # given an officer reading English whose file of two forms is checked, and then, before it is saved,
    # someone else submits a form for alice (what two people at once do, in one session)
    client.force_login(m.officer)
    client.cookies["django_language"] = "en"
    token = preview(client, forms_file(m.alice, m.bob))
    checked = membership_imports.check_applications

    def checked_then_alice_submitted(**kwargs):
        parsed = checked(**kwargs)
        services.application_submit(actor=m.staff, form=form_for(m.alice))
        return parsed

    monkeypatch.setattr(membership_imports, "check_applications", checked_then_alice_submitted)
    # when the job runs
    run_jobs(lambda: client.post(reverse("union:import_applications"), {"token": token}))
    # then nothing is saved, and the refusal (no row of the file) is kept in Chinese and read in each language
    job = Job.objects.get()
    assert job.language == "en" and job.status == JobStatus.FAILED
    assert job.error == "其中有职工刚被他人提交了入会申请，请重新预览后再导入。"
    assert not MembershipApplication.objects.exists()
    assert ("The job failed: Someone has just submitted an application for one of these workers; preview the file "
            "again and import.") in page_of(client, job)
    client.cookies["django_language"] = "zh-hans"
    assert "任务失败：其中有职工刚被他人提交了入会申请，请重新预览后再导入。" in page_of(client, job)


def test_an_import_job_imports_only_forms_for_its_officers_units(client, m, background_from_two_rows, run_jobs):
    # carol works in the other depot: not this officer's to enroll
    client.force_login(m.officer)
    token = preview(client, forms_file(m.alice, m.carol))

    run_jobs(lambda: client.post(reverse("union:import_applications"), {"token": token}))

    job = Job.objects.get()
    assert job.status == JobStatus.FAILED and job.summary == [("有问题的行", 1), ("已导入", 0)]
    assert not MembershipApplication.objects.exists()


def test_a_small_file_of_forms_is_imported_in_the_request_without_a_job(client, m):
    client.force_login(m.officer)
    token = preview(client, forms_file(m.alice, m.bob))
    response = client.post(reverse("union:import_applications"), {"token": token}, follow=True)
    assert "已导入 2 份入会申请，待审批。" in response.content.decode()
    assert MembershipApplication.objects.count() == 2 and not Job.objects.exists()


def test_an_import_whose_file_expired_before_it_ran_fails_with_a_message(
        client, m, background_from_two_rows, monkeypatch, django_capture_on_commit_callbacks):
    from competitions import tasks

    monkeypatch.setattr(tasks.run_job, "delay", lambda *a: None)  # the queue holds it
    client.force_login(m.officer)
    token = preview(client, forms_file(m.alice, m.bob))
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("union:import_applications"), {"token": token})
        again = client.post(reverse("union:import_applications"), {"token": token}, follow=True)
    assert Job.objects.count() == 1 and "该文件已在导入中。" in again.content.decode()
    parked_uploads.unpark(user_id=m.officer.pk, token=token)

    tasks.run_job.apply(args=[Job.objects.get().pk])

    job = Job.objects.get()
    assert job.status == JobStatus.FAILED and job.error == "导入文件已过期，请重新上传。"
    assert not MembershipApplication.objects.exists()


# -- 批准全部 ------------------------------------------------------------------------------------------------

def submitted(m, f, count: int) -> list[MembershipApplication]:
    workers = [f.worker(m.workshop, m.driver) for _ in range(count)]
    # Applied for a week ago: the tests approve them with dates of joining from then on.
    applied_on = local_today() - timedelta(days=7)
    return [services.application_submit(actor=m.clerk, form=form_for(w, applied_on=applied_on)) for w in workers]


def test_approving_many_waiting_forms_runs_as_a_job_for_the_officers_units_only(
        client, m, f, background_from_two_forms, run_jobs):
    # given three forms of the officer's depot waiting, and one of the other depot
    mine = submitted(m, f, 3)
    theirs = services.application_submit(actor=m.other_clerk, form=form_for(m.carol))
    joined_on = local_today() - timedelta(days=2)

    # when the officer approves all
    client.force_login(m.officer)
    response = run_jobs(lambda: client.post(reverse("union:applications_approve"),
                                             {"all": "1", "joined_on": joined_on.isoformat()}))

    # then a job approved their three, numbered and dated, and left the other depot's form alone
    job = Job.objects.get()
    assert response.url == reverse("jobs:detail", args=[job.pk])
    assert job.kind == "membership_approve_all" and job.status == JobStatus.SUCCEEDED
    assert job.summary == [("已批准", 3)]
    approved = MembershipApplication.objects.filter(pk__in=[a.pk for a in mine])
    assert set(approved.values_list("status", "joined_on")) == {(ApplicationStatus.APPROVED, joined_on)}
    assert all(approved.values_list("membership_no", flat=True))
    theirs.refresh_from_db()
    assert theirs.status == ApplicationStatus.SUBMITTED
    page = page_of(client, job)
    assert "已批准 3 份入会申请。" in page and "返回入会申请" in page


def test_an_approve_all_job_with_a_joining_date_in_the_future_approves_nothing(
        client, m, f, background_from_two_forms, run_jobs):
    forms = submitted(m, f, 2)
    client.force_login(m.officer)
    run_jobs(lambda: client.post(reverse("union:applications_approve"),
                                 {"all": "1", "joined_on": (local_today() + timedelta(days=1)).isoformat()}))
    job = Job.objects.get()
    assert job.status == JobStatus.FAILED and job.error == "入会日期不能晚于今天。"
    assert not MembershipApplication.objects.filter(pk__in=[a.pk for a in forms],
                                                    status=ApplicationStatus.APPROVED).exists()


def test_an_english_officers_refused_approve_all_is_stored_in_chinese_and_read_in_each_language(
        client, m, f, background_from_two_forms, run_jobs):
    submitted(m, f, 2)
    client.force_login(m.officer)
    client.cookies["django_language"] = "en"
    run_jobs(lambda: client.post(reverse("union:applications_approve"),
                                 {"all": "1", "joined_on": (local_today() + timedelta(days=1)).isoformat()}))
    job = Job.objects.get()
    assert job.language == "en" and job.error == "入会日期不能晚于今天。"
    assert "The job failed: The date of joining cannot be after today." in page_of(client, job)
    client.cookies["django_language"] = "zh-hans"
    assert "任务失败：入会日期不能晚于今天。" in page_of(client, job)


def test_approving_a_few_waiting_forms_stays_in_the_request(client, m, f):
    submitted(m, f, 2)
    client.force_login(m.officer)
    response = client.post(reverse("union:applications_approve"), {"all": "1"}, follow=True)
    assert "已批准 2 份入会申请。" in response.content.decode() and not Job.objects.exists()


@pytest.mark.parametrize("who", ["clerk", "worker", "reviewer"])
def test_only_union_officers_and_staff_may_start_approve_all(client, m, f, who, background_from_two_forms):
    forms = submitted(m, f, 2)
    user = {"clerk": m.clerk, "worker": m.alice_user, "reviewer": m.reviewer}[who]
    client.force_login(user)
    response = client.post(reverse("union:applications_approve"), {"all": "1"})
    assert response.status_code == 403
    assert not Job.objects.exists()
    assert not MembershipApplication.objects.filter(pk__in=[a.pk for a in forms],
                                                    status=ApplicationStatus.APPROVED).exists()


def test_an_anonymous_visitor_starts_no_job(client, m, f, background_from_two_forms):
    submitted(m, f, 2)
    response = client.post(reverse("union:applications_approve"), {"all": "1"})
    assert response.status_code == 302 and "login" in response.url and not Job.objects.exists()


def test_staff_approve_all_covers_every_unit(client, m, f, background_from_two_forms, run_jobs):
    mine = submitted(m, f, 2)
    theirs = services.application_submit(actor=m.other_clerk, form=form_for(m.carol))
    client.force_login(m.staff)
    run_jobs(lambda: client.post(reverse("union:applications_approve"), {"all": "1"}))
    assert Job.objects.get().summary == [("已批准", 3)]
    assert MembershipApplication.objects.filter(pk__in=[theirs.pk, *(a.pk for a in mine)],
                                                status=ApplicationStatus.APPROVED).count() == 3


def test_an_approve_all_job_given_a_date_it_cannot_read_says_so_in_the_readers_language(client, m, f):
    from competitions.jobs import job_run

    # given an approve-all job an officer reading English started with a date of joining that is no date
    submitted(m, f, 2)
    job = Job.objects.create(kind="membership_approve_all", created_by=m.officer, language="en",
                             params={"joined_on": "2026-13-45"})
    # when it runs, then it approves nothing and keeps its refusal in Chinese, read in each language
    job = job_run(job_id=job.pk)
    assert job.status == JobStatus.FAILED and job.error == "日期格式应为 2026-11-23。"
    assert not MembershipApplication.objects.filter(status=ApplicationStatus.APPROVED).exists()
    client.force_login(m.officer)
    client.cookies["django_language"] = "en"
    assert "The job failed: Dates look like 2026-11-23." in page_of(client, job)
    client.cookies["django_language"] = "zh-hans"
    assert "任务失败：日期格式应为 2026-11-23。" in page_of(client, job)
