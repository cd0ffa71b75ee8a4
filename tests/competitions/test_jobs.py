"""Background jobs for everyone (competitions.jobs and the /jobs/ pages): who sees which job, the once key,
outcomes that are not files, errors in Chinese, and progress seen while a job's transaction is open."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import threading
import time
from datetime import date
from pathlib import Path

import pytest
from django.db import IntegrityError, connection, connections, transaction
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext_noop

from competitions import jobs, tasks
from competitions.jobs import JobKind, JobOutcome, JobRefused
from competitions.models import Job, JobStatus
from config.stored_text import Month, StoredText
from tests.concurrency import watch

pytestmark = pytest.mark.django_db

ROLES = ["alice_user", "clerk", "reviewer", "staff"]


@pytest.fixture
def files(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return tmp_path / "media"


def a_job(user, *, kind="standings_day_xlsx", status=JobStatus.SUCCEEDED, with_file=True, **fields) -> Job:
    job = Job.objects.create(kind=kind, params={}, created_by=user, status=status, done=3, total=3,
                             filename="排名.xlsx" if with_file else "", **fields)
    if with_file:
        job.file.save("x.xlsx", io.BytesIO(b"PK"), save=True)
    return job


def job_pages(job: Job) -> dict[str, str]:
    return {name: reverse(f"jobs:{name}", args=[job.pk]) for name in ("detail", "status", "download")}


# Kinds the tests register (JOB_KINDS is a plain dict: a kind is one entry).
def counting_kind(params, out, progress, *, user):
    progress(1, 2)
    return JobOutcome(summary={"已通过": 7, "本人录入，已跳过": 2}, message=f"{user.username} 完成了。",
                      link=reverse("entries:list"), link_label="查看录入")


def refusing_kind(params, out, progress):
    raise JobRefused("该日的排名已不存在，无法导出。")


def refused_outcome_kind(params, out, progress):
    return JobOutcome(summary={"有问题的行": 4}, message="文件有错误，未保存任何录入。", ok=False)


def crashing_kind(params, out, progress):
    raise ZeroDivisionError("a bug, not a message for anyone")


def translated_refusal_kind(params, out, progress):
    raise JobRefused(gettext_noop("超过 %(n)s 行，Excel 放不下；请缩小筛选范围后再导出。"), n="1,048,575")


def worded_outcome_kind(params, out, progress):
    return JobOutcome(summary={gettext_noop("已通过"): 7},
                      message=StoredText(gettext_noop("%(system)s %(month)s：已通过 %(n)s 条。"),
                                         {"system": "机务", "month": Month(date(2026, 11, 1)), "n": "7"}),
                      link=reverse("entries:list"), link_label=gettext_noop("查看录入"))


@pytest.fixture
def kinds(monkeypatch):
    for name in ("counting", "refusing", "refused_outcome", "crashing", "translated_refusal", "worded_outcome"):
        monkeypatch.setitem(jobs.JOB_KINDS, name, JobKind(name, f"tests.competitions.test_jobs.{name}_kind",
                                                          as_user=name == "counting"))


# -- who sees what ---------------------------------------------------------------------------------------

def test_anonymous_visitors_are_sent_to_the_login_page(client, w, files):
    job = a_job(w.staff)
    for page in [reverse("jobs:list"), *job_pages(job).values()]:
        response = client.get(page)
        assert response.status_code == 302 and response.url.startswith(reverse("login")), page


@pytest.mark.parametrize("role", ROLES)
def test_every_role_opens_the_history_and_its_own_job_and_downloads_its_file(client, w, files, role):
    user = getattr(w, role)
    job = a_job(user)
    client.force_login(user)
    assert client.get(reverse("jobs:list")).status_code == 200
    pages = job_pages(job)
    page = client.get(pages["detail"]).content.decode()
    assert 'id="download"' in page and "已完成，共 3 行" in page
    assert client.get(pages["status"]).json()["finished"] is True
    download = client.get(pages["download"])
    assert download.status_code == 200 and b"".join(download.streaming_content) == b"PK"


@pytest.mark.parametrize("role", ["alice_user", "clerk", "reviewer"])
def test_someone_elses_job_answers_like_a_missing_one_to_everyone_but_staff(client, w, files, role):
    theirs = a_job(w.other_clerk)
    client.force_login(getattr(w, role))
    for name, page in job_pages(theirs).items():
        assert client.get(page).status_code == 404, name
    assert client.get(reverse("jobs:detail", args=[987654])).status_code == 404
    assert reverse("jobs:detail", args=[theirs.pk]) not in client.get(reverse("jobs:list")).content.decode()


def test_staff_see_everyones_jobs_with_who_ran_them_but_download_only_their_own(client, w, f, files):
    # given a clerk's import and a reviewer's approval, and the staff member's own export
    clerks = a_job(w.clerk, kind="entries_import", with_file=False)
    reviewers = a_job(w.reviewer, kind="review_approve_all", status=JobStatus.FAILED, with_file=False,
                      error="您不负责该业务系统的审核。")
    other_staffs = a_job(w.staff)
    client.force_login(w.staff)

    # then the history lists all three with who ran them and what
    page = client.get(reverse("jobs:list")).content.decode()
    for job in (clerks, reviewers, other_staffs):
        assert f'id="job-{job.pk}"' in page
    assert "导入工作量" in page and "全部通过" in page and ">clerk<" in page and ">reviewer<" in page
    # and "mine" only their own
    mine = client.get(reverse("jobs:list"), {"mine": "1"}).content.decode()
    assert f'id="job-{other_staffs.pk}"' in mine and f'id="job-{clerks.pk}"' not in mine

    # a colleague's job page opens, says who ran it and why it failed, and offers no file
    detail = client.get(reverse("jobs:detail", args=[reviewers.pk])).content.decode()
    assert "发起人 reviewer" in detail and "任务失败：您不负责该业务系统的审核。" in detail
    # a colleague's file is not theirs to download
    client.force_login(f.staff_user())
    assert client.get(reverse("jobs:detail", args=[other_staffs.pk])).status_code == 200
    assert client.get(reverse("jobs:download", args=[other_staffs.pk])).status_code == 404
    assert 'id="download"' not in client.get(reverse("jobs:detail", args=[other_staffs.pk])).content.decode()


def test_the_history_pages_by_an_opaque_cursor_with_a_fixed_number_of_queries(
        client, w, files, monkeypatch, django_assert_max_num_queries):
    from competitions import job_views

    monkeypatch.setattr(job_views, "PAGE", 3)
    made = [a_job(w.clerk, with_file=False) for _ in range(7)]
    client.force_login(w.clerk)
    seen, url = [], reverse("jobs:list")
    while url:
        with django_assert_max_num_queries(7):  # with the navigation's unread count
            response = client.get(url)
        seen += [job.pk for job in response.context["jobs"]]
        after = response.context["next_after"]
        url = f"{reverse('jobs:list')}?after={after}" if after else None
    assert seen == [job.pk for job in reversed(made)]
    # a mangled cursor opens the first page
    assert client.get(reverse("jobs:list"), {"after": "nonsense"}).context["jobs"][0].pk == made[-1].pk


def test_the_old_workspace_addresses_redirect_to_the_job_pages(client, w, files):
    job = a_job(w.staff)
    client.force_login(w.staff)
    assert client.get("/staff/standings/jobs/").url == reverse("jobs:list")
    for old, new in (("job", "detail"), ("job_status", "status"), ("job_download", "download")):
        response = client.get(reverse(f"workspace:{old}", args=[job.pk]))
        assert response.status_code == 301 and response.url == reverse(f"jobs:{new}", args=[job.pk])


def test_the_history_is_in_the_navigation_of_the_roles_that_start_jobs(client, w):
    for role, shown in (("clerk", True), ("reviewer", True), ("staff", True), ("alice_user", False)):
        client.force_login(getattr(w, role))
        page = client.get(reverse("jobs:list")).content.decode()
        assert (f'href="{reverse("jobs:list")}" class="on">后台任务' in page) is shown, role


# -- once ------------------------------------------------------------------------------------------------

def test_a_once_key_returns_the_unfinished_job_instead_of_starting_a_second(w, monkeypatch):
    sent = []
    monkeypatch.setattr(tasks.run_job, "delay", lambda *a: sent.append(a))
    key = {"system": w.system.pk, "month": "2026-11", "filters": {"unit": "3"}}

    first = jobs.job_start(kind="review_approve_all", params={}, user=w.reviewer, once_key=key)
    again = jobs.job_start(kind="review_approve_all", params={}, user=w.reviewer,
                           once_key={"filters": {"unit": "3"}, "month": "2026-11", "system": w.system.pk})

    assert (first.reused, again.reused, again.pk) == (False, True, first.pk)
    # another person, another selection, or the same one once the first has finished: a job of its own
    assert not jobs.job_start(kind="review_approve_all", params={}, user=w.other_reviewer, once_key=key).reused
    assert not jobs.job_start(kind="review_approve_all", params={}, user=w.reviewer, once_key=[1]).reused
    Job.objects.filter(pk=first.pk).update(status=JobStatus.SUCCEEDED)
    assert jobs.job_start(kind="review_approve_all", params={}, user=w.reviewer, once_key=key).pk != first.pk
    # without a key, every press is a job
    assert jobs.job_start(kind="standings_day_xlsx", params={}, user=w.staff).pk != \
        jobs.job_start(kind="standings_day_xlsx", params={}, user=w.staff).pk


def test_the_database_refuses_two_unfinished_jobs_with_one_once_key(w):
    Job.objects.create(kind="review_approve_all", created_by=w.reviewer, once_key="k")
    with pytest.raises(IntegrityError), transaction.atomic():
        Job.objects.create(kind="review_approve_all", created_by=w.reviewer, once_key="k")
    Job.objects.create(kind="review_approve_all", created_by=w.reviewer, once_key="k", status=JobStatus.FAILED)


@pytest.mark.django_db(transaction=True)
def test_a_press_that_loses_the_race_is_given_the_winners_job(w, monkeypatch):
    # given the other press (another request: another connection) commits its job between this one's
    # check and its insert
    monkeypatch.setattr(tasks.run_job, "delay", lambda *a: None)
    create = Job.objects.create
    winner = []

    def other_press_first(**fields):
        if not winner:
            def other_request():
                winner.append(create(**fields))
                connections.close_all()

            thread = threading.Thread(target=other_request)
            thread.start()
            thread.join(10)
        return create(**fields)

    monkeypatch.setattr(Job.objects, "create", other_press_first)

    # when this press inserts, the constraint refuses it, and it is given the winner's job
    job = jobs.job_start(kind="review_approve_all", params={}, user=w.reviewer, once_key="k")
    assert job.pk == winner[0].pk and job.reused and Job.objects.count() == 1


# -- outcomes and errors ---------------------------------------------------------------------------------

def test_an_outcome_is_shown_as_its_lines_message_and_link(client, w, kinds, run_jobs):
    job = run_jobs(lambda: jobs.job_start(kind="counting", params={}, user=w.clerk))
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED and not job.file and (job.done, job.total) == (2, 2)
    assert job.summary == [("已通过", 7), ("本人录入，已跳过", 2)] and job.language == "zh-hans"
    client.force_login(w.clerk)
    page = client.get(reverse("jobs:detail", args=[job.pk])).content.decode()
    assert "clerk 完成了。" in page and "<dt>已通过</dt><dd class=\"num\">7</dd>" in page
    assert f'id="job-link" href="{reverse("entries:list")}">查看录入' in page
    assert '<progress max="100" value="100"' in page
    assert client.get(reverse("jobs:download", args=[job.pk])).status_code == 404


@pytest.mark.parametrize(("kind", "message"), [
    ("refusing", "任务失败：该日的排名已不存在，无法导出。"),
    ("refused_outcome", "任务失败：文件有错误，未保存任何录入。"),
    ("crashing", "任务失败：任务执行出错，请稍后重试；如仍失败请联系管理员。"),
])
def test_a_failing_job_shows_its_error_in_chinese(client, w, kinds, run_jobs, kind, message):
    job = run_jobs(lambda: jobs.job_start(kind=kind, params={}, user=w.staff))
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED and job.finished_at is not None
    client.force_login(w.staff)
    page = client.get(reverse("jobs:detail", args=[job.pk])).content.decode()
    assert message in page and "ZeroDivisionError" not in page
    assert client.get(reverse("jobs:status", args=[job.pk])).json()["finished"] is True
    if kind == "refused_outcome":
        assert "<dt>有问题的行</dt>" in page


def test_a_refusal_is_stored_in_chinese_and_read_in_each_readers_language(client, w, kinds, run_jobs):
    # given a job an English reader started, refused with a figure
    with translation.override("en"):
        job = run_jobs(lambda: jobs.job_start(kind="translated_refusal", params={}, user=w.staff))
    job.refresh_from_db()
    # then the admin's column says it in Chinese, with the message's id and facts beside it
    assert job.language == "en" and job.error == "超过 1,048,575 行，Excel 放不下；请缩小筛选范围后再导出。"
    assert job.error_params == {"id": "超过 %(n)s 行，Excel 放不下；请缩小筛选范围后再导出。", "facts": {"n": "1,048,575"}}
    # and its page says it in the language of whoever reads it
    client.force_login(w.staff)
    url = reverse("jobs:detail", args=[job.pk])
    client.cookies["django_language"] = "en"
    assert ("The job failed: More than 1,048,575 rows do not fit in Excel; narrow the filters and export again."
            in client.get(url).content.decode())
    client.cookies["django_language"] = "zh-hans"
    assert "任务失败：超过 1,048,575 行，Excel 放不下；请缩小筛选范围后再导出。" in client.get(url).content.decode()


@pytest.mark.parametrize(("language", "texts"), [
    ("en", ["机务 Nov 2026: 7 entries approved.", "<dt>Approved</dt>", ">See the entries</a>"]),
    ("zh-hans", ["机务 2026年11月：已通过 7 条。", "<dt>已通过</dt>", ">查看录入</a>"]),
])
def test_an_outcome_started_in_chinese_reads_in_the_readers_language(client, w, kinds, run_jobs, language, texts):
    with translation.override("zh-hans"):
        job = run_jobs(lambda: jobs.job_start(kind="worded_outcome", params={}, user=w.clerk))
    job.refresh_from_db()
    assert job.result["message"] == "机务 2026年11月：已通过 7 条。" and job.result["summary"] == [["已通过", 7]]
    client.force_login(w.clerk)
    client.cookies["django_language"] = language
    page = client.get(reverse("jobs:detail", args=[job.pk])).content.decode()
    for text in texts:
        assert text in page


@pytest.mark.parametrize(("language", "text"), [
    ("en", "The job failed: The task queue is unavailable, so this could not start; please try again later."),
    ("zh-hans", "任务失败：任务队列暂时不可用，未能开始；请稍后再试。"),
])
def test_a_job_the_queue_could_not_take_says_so_in_the_readers_language(
        client, w, monkeypatch, django_capture_on_commit_callbacks, language, text):
    def broker_away(*args):
        raise ConnectionError("Redis is away")

    monkeypatch.setattr(tasks.run_job, "delay", broker_away)
    with translation.override("en"), django_capture_on_commit_callbacks(execute=True):
        job = jobs.job_start(kind="review_approve_all", params={}, user=w.reviewer)
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED and job.error == "任务队列暂时不可用，未能开始；请稍后再试。"
    client.force_login(w.reviewer)
    client.cookies["django_language"] = language
    assert text in client.get(reverse("jobs:detail", args=[job.pk])).content.decode()


def test_a_job_stored_before_its_texts_ids_were_kept_shows_its_stored_words(client, w):
    job = a_job(w.staff, status=JobStatus.FAILED, with_file=False, error="旧的错误说明。",
                result={"summary": [["已导入", 3]], "message": "旧的结果。", "link": "", "link_label": ""})
    client.force_login(w.staff)
    client.cookies["django_language"] = "en"
    page = client.get(reverse("jobs:detail", args=[job.pk])).content.decode()
    assert "The job failed: 旧的错误说明。" in page and "<dt>已导入</dt>" in page


def test_a_job_that_acts_for_a_disabled_account_does_nothing(w, kinds, run_jobs):
    w.clerk.is_active = False
    w.clerk.save()
    job = run_jobs(lambda: jobs.job_start(kind="counting", params={}, user=w.clerk))
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED and job.error == "发起任务的账号已不可用。" and not job.result


# -- progress while a transaction is open ----------------------------------------------------------------

@pytest.mark.django_db(transaction=True)
def test_progress_is_seen_from_outside_while_the_jobs_transaction_is_still_open(w, monkeypatch):
    monkeypatch.setitem(jobs.JOB_KINDS, "slow", JobKind("slow", "tests.competitions.test_jobs.slow_kind"))
    job = Job.objects.create(kind="slow", created_by=w.staff, params={})
    watcher, seen = watch(lambda: Job.objects.filter(pk=job.pk).values_list("status", "done", "total").get(),
                          until=lambda row: row[0] in (JobStatus.SUCCEEDED, JobStatus.FAILED))
    jobs.job_run(job_id=job.pk)
    watcher.join(20)

    running = [(done, total) for status, done, total in seen if status == JobStatus.RUNNING and total]
    assert {(1, 4), (2, 4), (3, 4)} <= set(running), seen
    assert seen[-1] == (JobStatus.SUCCEEDED, 4, 4)


def slow_kind(params, out, progress):
    with transaction.atomic():
        for step in range(1, 5):
            time.sleep(0.4)
            progress(step, 4)
    return JobOutcome(summary={"步骤": 4})


def database_sessions() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()")
        return cursor.fetchone()[0]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("kind", ["slow", "refusing"])
def test_the_progress_connection_opened_beside_a_job_is_closed_when_it_ends(w, kinds, monkeypatch, kind):
    # Opened by a thread as the job starts, whether or not the job reports progress (a refusal reports none).
    monkeypatch.setitem(jobs.JOB_KINDS, "slow", JobKind("slow", "tests.competitions.test_jobs.slow_kind"))
    before = database_sessions()
    job = Job.objects.create(kind=kind, created_by=w.staff, params={})
    jobs.job_run(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == (JobStatus.SUCCEEDED if kind == "slow" else JobStatus.FAILED)
    assert (job.done, job.total) == ((4, 4) if kind == "slow" else (0, None))
    # A closed session's server process leaves pg_stat_activity a moment after the client hangs up.
    deadline = time.monotonic() + 5
    while database_sessions() != before and time.monotonic() < deadline:
        time.sleep(0.05)
    assert database_sessions() == before


def test_the_celery_worker_loads_the_jobs_code_before_it_forks_its_pool():
    # A fresh interpreter, as a worker starts: the kinds' modules and the URL patterns are loaded by the
    # worker_init signal (sent by the worker before it forks), not by the first job someone starts.
    loaded = ("reviews.jobs", "reviews.imports", "members.membership_jobs", "config.urls")
    script = ("import sys\n"
              "from celery.signals import worker_init\n"
              "import config.celery_app\n"
              f"loaded = {loaded!r}\n"
              "before = [m for m in loaded if m in sys.modules]\n"
              "worker_init.send(sender=None)\n"
              "print(before, [m for m in loaded if m in sys.modules])\n")
    ran = subprocess.run([sys.executable, "-c", script], cwd=Path(__file__).resolve().parents[2], text=True,
                         capture_output=True, timeout=120,
                         env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test"})
    assert ran.returncode == 0, ran.stderr[-3000:]
    assert ran.stdout.strip().splitlines()[-1] == f"[] {list(loaded)!r}"


@pytest.mark.parametrize(("kind", "n", "chinese", "english"), [
    ("standings_day_xlsx", 1, "已完成，共 1 行。", "Done: 1 row."),
    ("standings_day_xlsx", 2, "已完成，共 2 行。", "Done: 2 rows."),
    ("review_month_xlsx", 1, "报表已生成，其中退回明细 1 行。",
     "The report is ready; its sheet of rejected entries has 1 row."),
    ("review_month_xlsx", 2, "报表已生成，其中退回明细 2 行。",
     "The report is ready; its sheet of rejected entries has 2 rows."),
])
def test_a_finished_export_counts_its_rows_in_the_form_for_the_count(client, w, files, kind, n, chinese, english):
    job = a_job(w.staff, kind=kind)
    Job.objects.filter(pk=job.pk).update(done=n, total=n)
    client.force_login(w.staff)
    url = reverse("jobs:detail", args=[job.pk])
    assert chinese in client.get(url).content.decode()
    client.cookies["django_language"] = "en"
    assert english in client.get(url).content.decode()
