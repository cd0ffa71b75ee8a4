"""A large import and the review queue's 全部通过 run as background jobs (reviews.jobs): started from their
pages, once per file or selection, all or nothing, with their outcome on the job's page."""

from __future__ import annotations

import io
from datetime import date, timedelta

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from competitions import jobs, tasks
from competitions.models import Job, JobStatus
from config import parked_uploads
from reviews import imports
from reviews import jobs as review_jobs
from reviews.models import EntryAction, EntryEvent, EntryStatus, PendingEntry, WorkEntry
from reviews.services import entry_create, entry_update
from tests.factories import review_facts
from tests.reviews.test_pending_queue import assert_queue_matches_entries, step_forms

pytestmark = pytest.mark.django_db

HEADER = "工号,姓名,工作日期,计分指标,工作量,说明\n"


@pytest.fixture(autouse=True)
def parking(settings, tmp_path):
    settings.PARKED_UPLOADS_DIR = str(tmp_path / "parked")


@pytest.fixture
def day(today):
    return today - timedelta(days=1)


@pytest.fixture
def background_from_three_rows(monkeypatch):
    monkeypatch.setattr(imports, "IMPORT_BACKGROUND_ROWS", 2)


def csv_file(w, day, *, bad: int = 0) -> bytes:
    rows = [f"{worker.employee_no},,{day - timedelta(days=n)},安全走行公里,{10 + n},"
            for n, worker in enumerate((w.alice, w.bob, w.alice))]
    rows += [f"{w.alice.employee_no},,{day},安全走行公里,-{n + 1}," for n in range(bad)]
    return (HEADER + "\n".join(rows) + "\n").encode()


def preview(client, content: bytes, name="entries.csv") -> str:
    response = client.post(reverse("entries:import"), {"file": SimpleUploadedFile(name, content)})
    assert response.status_code == 200
    return response.context["preview"]["token"]


def page_of(client, job: Job) -> str:
    response = client.get(reverse("jobs:detail", args=[job.pk]))
    assert response.status_code == 200
    return response.content.decode()


# -- import ------------------------------------------------------------------------------------------------

def test_a_large_import_runs_as_a_job_and_its_page_says_how_many_were_imported_and_skipped(
        client, w, day, background_from_three_rows, run_jobs):
    # given a clerk's file of three good rows and one bad, previewed
    client.force_login(w.clerk)
    token = preview(client, csv_file(w, day, bad=1))

    # when the clerk saves the good rows
    response = run_jobs(lambda: client.post(reverse("entries:import_confirm"),
                                            {"token": token, "save_valid_only": "1"}))

    # then a job did it, as the clerk, and its page says what happened
    job = Job.objects.get()
    assert response.status_code == 302 and response.url == reverse("jobs:detail", args=[job.pk])
    assert job.kind == "entries_import" and job.created_by == w.clerk and job.status == JobStatus.SUCCEEDED
    assert job.params == {"competition": w.comp.pk, "token": token, "name": "entries.csv", "save_valid_only": True}
    assert WorkEntry.objects.filter(source="import", entered_by=w.clerk).count() == 3
    assert job.summary == [("已导入", 3), ("有问题未导入的行", 1)]
    page = page_of(client, job)
    assert "已导入 3 条录入，待审核。" in page and f'href="{reverse("entries:list")}">查看录入' in page
    # the parked file is done with
    assert parked_uploads.parked(user_id=w.clerk.pk, token=token) is None


def test_a_large_import_with_bad_rows_saves_nothing_and_offers_the_bad_rows_file(
        client, w, day, background_from_three_rows, run_jobs):
    client.force_login(w.clerk)
    token = preview(client, csv_file(w, day, bad=2))

    run_jobs(lambda: client.post(reverse("entries:import_confirm"), {"token": token}))

    job = Job.objects.get()
    assert job.status == JobStatus.FAILED and job.error == "文件有错误，未保存任何录入。"
    assert not WorkEntry.objects.exists()
    assert job.summary == [("有问题的行", 2), ("已导入", 0)]
    page = page_of(client, job)
    assert "任务失败：文件有错误，未保存任何录入。" in page
    bad_rows = reverse("entries:import_bad_rows", args=[token])
    assert f'href="{bad_rows}">下载有问题的行' in page
    # the file is still parked: its bad rows can be fetched, fixed and the file sent again
    assert "工作量不能为负数" in client.get(bad_rows).content.decode("utf-8-sig")


def test_a_small_import_is_saved_in_the_request_without_a_job(client, w, day):
    client.force_login(w.clerk)
    token = preview(client, csv_file(w, day))
    response = client.post(reverse("entries:import_confirm"), {"token": token})
    assert response.url == reverse("entries:list") and WorkEntry.objects.count() == 3 and not Job.objects.exists()


def test_confirming_the_same_file_again_while_it_is_imported_shows_the_same_job(
        client, w, day, background_from_three_rows, monkeypatch, django_capture_on_commit_callbacks):
    monkeypatch.setattr(tasks.run_job, "delay", lambda *a: None)  # the queue holds it
    client.force_login(w.clerk)
    token = preview(client, csv_file(w, day))
    with django_capture_on_commit_callbacks(execute=True):
        first = client.post(reverse("entries:import_confirm"), {"token": token})
        again = client.post(reverse("entries:import_confirm"), {"token": token}, follow=True)
    job = Job.objects.get()
    assert first.url == again.redirect_chain[0][0] == reverse("jobs:detail", args=[job.pk])
    assert "该文件已在导入中。" in again.content.decode() and "排队中" in again.content.decode()


def test_an_import_whose_file_expired_before_it_ran_fails_with_a_message(
        client, w, day, background_from_three_rows, monkeypatch, django_capture_on_commit_callbacks):
    monkeypatch.setattr(tasks.run_job, "delay", lambda *a: None)
    client.force_login(w.clerk)
    token = preview(client, csv_file(w, day))
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("entries:import_confirm"), {"token": token})
    parked_uploads.unpark(user_id=w.clerk.pk, token=token)

    job = tasks.run_job.apply(args=[Job.objects.get().pk]) and Job.objects.get()

    assert job.status == JobStatus.FAILED and job.error == "导入文件已过期，请重新上传。"
    assert "任务失败：导入文件已过期，请重新上传。" in page_of(client, job)


def test_an_import_job_enters_only_what_its_clerk_may_enter(client, w, day, background_from_three_rows, run_jobs):
    # carol is a worker of the other depot: the other clerk's, not this clerk's
    client.force_login(w.clerk)
    content = (HEADER + f"{w.carol.employee_no},,{day},线路养护,5,\n" * 3).encode()
    token = preview(client, content)
    run_jobs(lambda: client.post(reverse("entries:import_confirm"), {"token": token}))
    assert Job.objects.get().status == JobStatus.FAILED and not WorkEntry.objects.exists()


def xlsx_of(rows: int) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(imports.COLUMNS)
    for n in range(rows):
        sheet.append([f"E{n:06d}", "", "2026-11-02", "安全走行公里", n, ""])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_whether_a_file_goes_to_the_background_is_judged_without_reading_it():
    limit = imports.IMPORT_BACKGROUND_ROWS
    assert limit == 2000
    assert not imports.import_in_background("a.csv", (HEADER + "x\n" * limit).encode())
    assert imports.import_in_background("a.CSV", (HEADER + "x\n" * (limit + 1)).encode())
    assert not imports.import_in_background("a.xlsx", xlsx_of(limit))
    assert imports.import_in_background("a.xlsx", xlsx_of(limit + 1))
    # a file that does not say how long it is goes to the background, where it is read properly
    assert imports.import_in_background("a.xlsx", b"not a workbook")
    assert imports.import_in_background("a.txt", b"")


# -- approve all ---------------------------------------------------------------------------------------------

@pytest.fixture
def month_of_entries(w, day):
    """Pending entries of the month: alice's and bob's (the clerk's), and one the reviewer entered."""
    entries = [entry_create(actor=w.clerk, competition=w.comp, worker_id=worker.pk, rule_id=w.km.pk,
                            work_date=day, quantity=str(q)) for worker, q in ((w.alice, 300), (w.bob, 400))]
    w.reviewer.clerk_units.add(w.depot)
    w.reviewer._portal_scope = None
    own = entry_create(actor=w.reviewer, competition=w.comp, worker_id=w.alice.pk, rule_id=w.trips.pk,
                       work_date=day, quantity="2")
    w.reviewer._portal_scope = None
    return [*entries, own]


def approve_all(client, day, **filters):
    return client.post(reverse("review:queue"), {"action": "approve_all", "month": f"{day:%Y-%m}", **filters})


def test_approve_all_runs_as_a_job_with_the_queues_filters_and_skips_the_reviewers_own_entries(
        client, w, day, month_of_entries, run_jobs):
    alices, bobs, own = month_of_entries
    client.force_login(w.reviewer)

    # the queue filtered to bob's employee number: only his entry moves
    response = run_jobs(lambda: approve_all(client, day, worker=w.bob.employee_no))
    job = Job.objects.get()
    assert response.url == reverse("jobs:detail", args=[job.pk])
    assert job.params == {"competition": w.comp.pk, "system": w.system.pk, "month": f"{day:%Y-%m}",
                          "filters": {"worker": w.bob.employee_no}}
    assert dict(WorkEntry.objects.values_list("pk", "status")) == {
        alices.pk: EntryStatus.PENDING, bobs.pk: EntryStatus.APPROVED, own.pk: EntryStatus.PENDING}
    assert job.summary == [("已通过", 1)]
    # its page leads back to the queue as it was, filter included
    assert (f'href="{reverse("review:queue")}?worker={w.bob.employee_no}&amp;system={w.system.pk}'
            f'&amp;month={day:%Y-%m}">返回审核队列') in page_of(client, job)

    # an entry of the clerk's that the reviewer (also a clerk of the depot) then corrected: their work too
    changed = entry_create(actor=w.clerk, competition=w.comp, worker_id=w.bob.pk, rule_id=w.trips.pk,
                           work_date=day, quantity="1")
    entry_update(actor=w.reviewer, entry_id=changed.pk, quantity="2")

    # the whole month: alice's moves, the reviewer's own and the one they changed are skipped and said so
    run_jobs(lambda: approve_all(client, day))
    job = Job.objects.latest("id")
    assert job.status == JobStatus.SUCCEEDED and job.summary == [("已通过", 1), ("本人的或本人录入、修改过的，已跳过", 2)]
    assert WorkEntry.objects.get(pk=alices.pk).status == EntryStatus.APPROVED
    assert WorkEntry.objects.get(pk=own.pk).status == WorkEntry.objects.get(pk=changed.pk).status == "pending"
    page = page_of(client, job)
    assert f"机务 {day.year}年{day.month}月：已通过 1 条。" in page and "<dt>本人的或本人录入、修改过的，已跳过</dt>" in page
    assert f'href="{reverse("review:queue")}?system={w.system.pk}&amp;month={day:%Y-%m}">返回审核队列' in page
    # one audit fact per approved entry, by the reviewer
    assert [actor for _entry, actor in review_facts(EntryAction.APPROVED)] == [w.reviewer.pk] * 2


def test_an_approve_all_jobs_page_names_the_filters_it_was_started_with_in_the_readers_language(
        client, w, day, month_of_entries, run_jobs, django_assert_max_num_queries):
    client.force_login(w.reviewer)
    run_jobs(lambda: approve_all(client, day, unit=str(w.depot.pk), job_type=str(w.driver.pk),
                                 rule=str(w.km.pk), worker=f" {w.bob.employee_no}", date=day.isoformat(),
                                 flagged="1", status="pending"))
    job = Job.objects.get()
    # the params keep ids, the month and the employee number: nothing personal to word later
    assert job.params["filters"] == {"status": "pending", "unit": str(w.depot.pk), "job_type": str(w.driver.pk),
                                     "rule": str(w.km.pk), "worker": w.bob.employee_no,
                                     "date": day.isoformat(), "flagged": "1"}
    with django_assert_max_num_queries(11):  # the page's 7, and a name each for system, depot, job type, rule
        page = page_of(client, job)
    assert (f"<dt>业务系统</dt><dd>机务</dd><dt>月份</dt><dd>{day.year}年{day.month}月</dd>"
            "<dt>状态</dt><dd>待审核</dd><dt>站段</dt><dd>北京机务段</dd><dt>工种</dt><dd>电力机车司机</dd>"
            f"<dt>指标</dt><dd>电力机车司机·安全走行公里</dd><dt>工号</dt><dd>{w.bob.employee_no}</dd>"
            f"<dt>日期</dt><dd>{day.year}年{day.month}月{day.day}日</dd><dt>只看提示</dt><dd>是</dd>") in page
    assert w.bob.name not in page and w.bob.id_number not in page

    # an English reader reads the same filters in English; a depot deleted since is named by its id
    client.cookies["django_language"] = "en"
    english = page_of(client, job)
    assert ">Started with</p>" in english
    assert ("<dt>Business system</dt><dd>机务</dd>" in english and "<dt>Status</dt><dd>Pending</dd>" in english
            and "<dt>Depot</dt><dd>北京机务段</dd>" in english and "<dt>Flagged only</dt><dd>Yes</dd>" in english
            and f"<dt>Employee number</dt><dd>{w.bob.employee_no}</dd>" in english)
    job.params["filters"]["unit"] = "999999999"
    job.save(update_fields=["params"])
    assert "<dt>Depot</dt><dd>#999999999 (deleted)</dd>" in page_of(client, job)


def test_the_whole_months_approve_all_says_so_and_other_jobs_name_nothing(client, w, day, month_of_entries,
                                                                          run_jobs):
    client.force_login(w.reviewer)
    run_jobs(lambda: approve_all(client, day))
    page = page_of(client, Job.objects.get())
    assert (f"<dt>业务系统</dt><dd>机务</dd><dt>月份</dt><dd>{day.year}年{day.month}月</dd>"
            "<dt>状态</dt><dd>待审核</dd></dl>") in page


def test_pressing_approve_all_again_while_it_runs_shows_the_same_job(
        client, w, day, month_of_entries, monkeypatch, django_capture_on_commit_callbacks):
    monkeypatch.setattr(tasks.run_job, "delay", lambda *a: None)
    client.force_login(w.reviewer)
    with django_capture_on_commit_callbacks(execute=True):
        approve_all(client, day, unit=str(w.depot.pk))
        again = client.post(reverse("review:queue"), {"action": "approve_all", "month": f"{day:%Y-%m}",
                                                      "unit": str(w.depot.pk)}, follow=True)
        other_selection = approve_all(client, day, unit=str(w.workshop.pk))
    assert "同样的“全部通过”已在进行中。" in again.content.decode()
    assert Job.objects.count() == 2 and other_selection.url != again.redirect_chain[0][0]


def test_approve_all_leaves_another_competitions_and_another_systems_entries_alone(
        client, w, f, day, month_of_entries, run_jobs):
    earlier = f.competition(start=date(day.year - 2, 1, 1), end=date(day.year, 12, 31))
    theirs = entry_create(actor=w.clerk, competition=earlier, worker_id=w.alice.pk,
                          rule_id=f.rule(earlier, w.driver).pk, work_date=day, quantity="1")
    carols = entry_create(actor=w.other_clerk, competition=w.comp, worker_id=w.carol.pk, rule_id=w.metres.pk,
                          work_date=day, quantity="1")
    client.force_login(w.reviewer)
    run_jobs(lambda: approve_all(client, day))
    assert WorkEntry.objects.get(pk=theirs.pk).status == EntryStatus.PENDING
    assert WorkEntry.objects.get(pk=carols.pk).status == EntryStatus.PENDING


def test_a_reviewer_cannot_approve_another_systems_month_by_a_hand_made_form(client, w, day, month_of_entries):
    client.force_login(w.reviewer)
    response = approve_all(client, day, system=str(w.other_system.pk))
    assert response.status_code == 404 and not Job.objects.exists()


def test_approve_all_refuses_when_the_reviewer_no_longer_reviews_the_system(
        client, w, day, month_of_entries, monkeypatch, django_capture_on_commit_callbacks):
    monkeypatch.setattr(tasks.run_job, "delay", lambda *a: None)
    client.force_login(w.reviewer)
    with django_capture_on_commit_callbacks(execute=True):
        approve_all(client, day)
    w.reviewer.reviewer_systems.clear()

    tasks.run_job.apply(args=[Job.objects.get().pk])

    job = Job.objects.get()
    assert job.status == JobStatus.FAILED and job.error == "您不负责该业务系统的审核。"
    assert set(WorkEntry.objects.values_list("status", flat=True)) == {EntryStatus.PENDING}


def test_workers_and_clerks_cannot_start_approve_all(client, w, day, month_of_entries):
    for role in ("alice_user", "clerk"):
        client.force_login(getattr(w, role))
        assert approve_all(client, day).status_code == 403
    client.logout()
    assert approve_all(client, day).url.startswith(reverse("login"))
    assert not Job.objects.exists()


def many_entries(f, w, day, n):
    workers = [f.worker(w.depot, w.driver) for _ in range(n)]
    from reviews.services import entries_create
    from reviews.validation import EntryInput

    entries_create(actor=w.clerk, competition=w.comp,
                   rows=[EntryInput(x.pk, w.km.pk, day, "1", row=i) for i, x in enumerate(workers, 1)])
    return WorkEntry.objects.filter(competition=w.comp)


def test_approving_in_steps_reports_progress_after_each_and_moves_every_entry(w, f, day, monkeypatch):
    monkeypatch.setattr(review_jobs, "APPROVE_CHUNKS", 3)
    entries = many_entries(f, w, day, 10)
    steps = []

    result = review_jobs.entries_approve_in_steps(actor=w.reviewer, entries=entries, system=w.system,
                                                  progress=lambda done, total: steps.append((done, total)))

    assert result.moved == 10 and steps[0] == (0, 10) and steps[-1] == (10, 10)
    assert len(steps) == 1 + 3 and [d for d, _t in steps] == sorted(d for d, _t in steps)
    assert set(entries.values_list("status", flat=True)) == {EntryStatus.APPROVED}
    # Not told the month: an audit fact per entry (EntryEvent), not in batches
    assert EntryEvent.objects.filter(action=EntryAction.APPROVED).count() == 10


def test_approving_in_steps_is_all_or_nothing(w, f, day, monkeypatch):
    monkeypatch.setattr(review_jobs, "APPROVE_CHUNKS", 3)
    entries = many_entries(f, w, day, 10)
    real, calls = review_jobs.entries_transition, []

    def fails_on_the_second_step(**kw):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("the server went away")
        return real(**kw)

    monkeypatch.setattr(review_jobs, "entries_transition", fails_on_the_second_step)
    with pytest.raises(RuntimeError):
        review_jobs.entries_approve_in_steps(actor=w.reviewer, entries=entries, system=w.system,
                                             progress=lambda done, total: None)
    assert set(entries.values_list("status", flat=True)) == {EntryStatus.PENDING}
    assert not review_facts(EntryAction.APPROVED)


def test_approving_the_whole_queue_in_steps_counts_it_from_the_queue_table_and_the_own_work_in_the_moves(
        w, day, month_of_entries, monkeypatch, django_assert_max_num_queries):
    # given: the month's queue of the reviewer's system (one entry of it their own), and another system's
    # pending entry the same month, which is not in it
    from config.months import month_of
    from reviews.queue import queue_selection

    monkeypatch.setattr(review_jobs, "APPROVE_CHUNKS", 2)
    carols = entry_create(actor=w.other_clerk, competition=w.comp, worker_id=w.carol.pk, rule_id=w.metres.pk,
                          work_date=day, quantity="1")
    month = month_of(day)
    entries, _status = queue_selection(user=w.reviewer, competition=w.comp, system=w.system, month=month,
                                       filters={})
    steps = []

    # when: approved in steps, its size read from the queue table
    # (the system lock, the queue's count, whether the month's partition carries the log's trigger, and per step:
    # its savepoint, the lock, work_mem, the hint, the move, the hint's reset and the savepoint's release; before
    # them the approval log's staging table, after them the staging's end and its write into the log)
    with django_assert_max_num_queries(3 + 2 * 8 + 3):
        result = review_jobs.entries_approve_in_steps(actor=w.reviewer, entries=entries, system=w.system,
                                                      progress=lambda done, total: steps.append((done, total)),
                                                      queue=(w.comp.pk, month))

    # then: the total is the month's queue of the system, the own entry skipped and counted by the moves
    assert steps[0] == (0, 3) and steps[-1] == (3, 3)
    assert (result.moved, result.skipped_own) == (2, 1)
    assert WorkEntry.objects.get(pk=month_of_entries[2].pk).status == EntryStatus.PENDING
    assert WorkEntry.objects.get(pk=carols.pk).status == EntryStatus.PENDING


@pytest.mark.parametrize("chunks", [3, 1], ids=["a step per entry", "one step for all"])
@pytest.mark.parametrize("form", ["from the queue", "by the key"])
def test_a_step_driven_by_the_queue_leaves_what_the_reviewer_entered_or_changed_and_counts_it(
        w, day, month_of_entries, monkeypatch, chunks, form):
    # given: the month's queue, one entry the reviewer entered and one of the clerk's the reviewer changed; the
    # steps read either from the queue rows or (a range dense with them) through the entries' key. With one step
    # for all three, the trigger finds more queue rows in the range than the step moved, and deletes only the
    # moved entry's by joining them.
    from config.months import month_of
    from reviews.queue import queue_selection

    monkeypatch.setattr(review_jobs, "APPROVE_CHUNKS", chunks)
    monkeypatch.setattr(review_jobs, "DENSE_RANGE", 10**9 if form == "by the key" else 0)
    alices, bobs, own = month_of_entries
    entry_update(actor=w.reviewer, entry_id=bobs.pk, quantity="401")
    month = month_of(day)
    entries, _status = queue_selection(user=w.reviewer, competition=w.comp, system=w.system, month=month,
                                       filters={})

    # when: approved in steps driven by the queue table
    with CaptureQueriesContext(connection) as queries:
        result = review_jobs.entries_approve_in_steps(actor=w.reviewer, entries=entries, system=w.system,
                                                      progress=lambda done, total: None, queue=(w.comp.pk, month))
    moves = [q["sql"] for q in queries.captured_queries if "UPDATE" in q["sql"] and "reviews_entrybatchevent" in q["sql"]]
    assert len(moves) == chunks and step_forms(queries) == [form] * chunks
    assert all("target" not in sql for sql in moves)

    # then: only the clerk's unchanged entry moved, with its audit fact; the other two are left and counted
    assert (result.moved, result.skipped_own) == (1, 2)
    assert dict(WorkEntry.objects.filter(pk__in=[alices.pk, bobs.pk, own.pk]).values_list("pk", "status")) == {
        alices.pk: EntryStatus.APPROVED, bobs.pk: EntryStatus.PENDING, own.pk: EntryStatus.PENDING}
    assert review_facts(EntryAction.APPROVED) == [(alices.pk, w.reviewer.pk)]
    assert sorted(PendingEntry.objects.filter(month=month, business_system_id=w.system.pk)
                  .values_list("entry_id", flat=True)) == sorted([bobs.pk, own.pk])
    assert_queue_matches_entries()


# -- in the reader's language ------------------------------------------------------------------------------

def read_in(client, job: Job, language: str) -> str:
    client.cookies["django_language"] = language
    return page_of(client, job)


def test_a_large_import_an_english_clerk_started_is_stored_in_chinese_and_read_in_each_language(
        client, w, day, background_from_three_rows, run_jobs):
    # given a clerk reading in English, whose file has two bad rows
    client.force_login(w.clerk)
    client.cookies["django_language"] = "en"
    token = preview(client, csv_file(w, day, bad=2))

    # when they import it in the background
    run_jobs(lambda: client.post(reverse("entries:import_confirm"), {"token": token}))

    # then the job keeps its words in Chinese (the admin reads them) ...
    job = Job.objects.get()
    assert job.language == "en" and job.error == "文件有错误，未保存任何录入。"
    assert job.result["summary"] == [["有问题的行", 2], ["已导入", 0]] and job.result["link_label"] == "下载有问题的行"
    # ... and its page says them in the language of whoever reads it
    english = read_in(client, job, "en")
    assert "The job failed: The file has errors; nothing was saved." in english
    assert "<dt>Rows with problems</dt>" in english and "<dt>Imported</dt>" in english
    assert ">Download the rows with problems</a>" in english
    client.force_login(w.staff)
    chinese = read_in(client, job, "zh-hans")
    assert "任务失败：文件有错误，未保存任何录入。" in chinese and "<dt>有问题的行</dt>" in chinese


def test_a_succeeded_import_reads_its_message_in_the_readers_language(
        client, w, day, background_from_three_rows, run_jobs):
    client.force_login(w.clerk)
    token = preview(client, csv_file(w, day))
    run_jobs(lambda: client.post(reverse("entries:import_confirm"), {"token": token}))
    job = Job.objects.get()
    assert job.status == JobStatus.SUCCEEDED and job.result["message"] == "已导入 3 条录入，待审核。"
    english = read_in(client, job, "en")
    assert "Imported 3 entries, pending review." in english and ">See the entries</a>" in english
    assert "已导入 3 条录入，待审核。" in read_in(client, job, "zh-hans")


@pytest.mark.parametrize(("language", "text"), [
    ("en", "The job failed: Row 3, column “工作量” holds a NUL character, which cannot be stored; remove it and "
           "import again."),
    ("zh-hans", "任务失败：第3行“工作量”列含有无法保存的空字符（NUL），请删除后重新导入。"),
])
def test_a_parked_file_the_import_job_cannot_read_says_why_in_the_readers_language(
        client, w, day, run_jobs, language, text):
    # given a parked file whose third row holds a NUL (the job reads the file again: one parked before a
    # check was added, or changed under it)
    content = csv_file(w, day).replace(b",11,", b",1\x001,")
    token = parked_uploads.park(user_id=w.clerk.pk, name="entries.csv", content=content)

    # when its import runs, started by a clerk reading in English
    with translation.override("en"):
        job = run_jobs(lambda: jobs.job_start(kind="entries_import", user=w.clerk,
                                              params={"competition": w.comp.pk, "token": token}))

    # then it failed, stored in Chinese with the row and the column, and reads in the reader's language
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED
    assert job.error == "第3行“工作量”列含有无法保存的空字符（NUL），请删除后重新导入。"
    client.force_login(w.clerk)
    assert text in read_in(client, job, language)
    assert not WorkEntry.objects.exists()


@pytest.mark.parametrize(("language", "text"), [
    ("en", "The job failed: The uploaded file has expired; upload it again."),
    ("zh-hans", "任务失败：导入文件已过期，请重新上传。"),
])
def test_an_import_whose_file_expired_meanwhile_says_so_in_the_readers_language(
        client, w, day, run_jobs, language, text):
    with translation.override("en"):
        job = run_jobs(lambda: jobs.job_start(kind="entries_import", user=w.clerk,
                                              params={"competition": w.comp.pk, "token": "gone"}))
    job.refresh_from_db()
    assert job.error == "导入文件已过期，请重新上传。"
    client.force_login(w.clerk)
    assert text in read_in(client, job, language)
