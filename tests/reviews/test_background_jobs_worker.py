"""The reviews' background jobs end to end, with committed data: a real Celery worker on Redis imports a
file above the background threshold and approves the month to 100%, and an approval's progress is seen
from outside while its one transaction is still open (nothing approved yet)."""

from __future__ import annotations

import os
import time
from datetime import timedelta

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Func, Subquery
from django.urls import reverse

from competitions import tasks
from competitions.models import Job, JobStatus
from reviews import imports
from reviews import jobs as review_jobs
from reviews.models import EntryStatus, WorkEntry
from tests.celery_worker import celery_worker
from tests.concurrency import watch

pytestmark = pytest.mark.django_db(transaction=True)

HEADER = "工号,姓名,工作日期,计分指标,工作量,说明\n"


@pytest.fixture
def parked_dir(settings, tmp_path):
    settings.PARKED_UPLOADS_DIR = str(tmp_path / "parked")
    return settings.PARKED_UPLOADS_DIR


def job_row(pk: int) -> tuple:
    return Job.objects.filter(pk=pk).values_list("status", "done", "total").get()


def finished(row: tuple) -> bool:
    return row[0] in (JobStatus.SUCCEEDED, JobStatus.FAILED)


def wait_for(job: Job) -> tuple[Job, list]:
    """Polls the job from another session (as its page does) until it finishes: the job, the rows seen."""
    watcher, seen = watch(lambda: job_row(job.pk), until=finished, every=0.05)
    watcher.join(60)
    job.refresh_from_db()
    return job, seen


@pytest.fixture
def worker_log(tmp_path, parked_dir, monkeypatch):
    """A real worker on this checkout's Redis, on a queue of its own, reading this test database and the
    same parked files; the portal's run_job messages are routed to that queue. Yields the worker's log."""
    queue = f"jobs-test-{os.getpid()}"
    log = tmp_path / "worker.log"
    monkeypatch.setattr(tasks.run_job, "delay", lambda *a: tasks.run_job.apply_async(args=a, queue=queue))
    with celery_worker(broker=settings.CELERY_BROKER_URL, queue=queue, log=log, PARKED_UPLOADS_DIR=parked_dir):
        yield log


@pytest.mark.skipif(not settings.CELERY_BROKER_URL.startswith("redis://"), reason="needs REDIS_URL")
def test_a_real_worker_imports_a_large_file_and_approves_the_month_to_100_percent(
        client, f, w, today, worker_log):
    # given a file of more rows than the background threshold: 21 drivers × 100 days
    drivers = [f.worker(w.depot, w.driver) for _ in range(21)]
    days = [today - timedelta(days=n) for n in range(1, 101)]
    rows = [f"{d.employee_no},,{day},安全走行公里,{n % 400}," for n, (d, day) in
            enumerate((d, day) for d in drivers for day in days)]
    assert len(rows) > imports.IMPORT_BACKGROUND_ROWS
    client.force_login(w.clerk)
    response = client.post(reverse("entries:import"), {
        "file": SimpleUploadedFile("big.csv", (HEADER + "\n".join(rows) + "\n").encode())})
    token = response.context["preview"]["token"]

    # when the clerk confirms it
    response = client.post(reverse("entries:import_confirm"), {"token": token})

    # then the worker imports it; the job reaches 100% and says how many
    job = Job.objects.get(kind="entries_import")
    assert response.url == reverse("jobs:detail", args=[job.pk])
    job, samples = wait_for(job)
    assert job.status == JobStatus.SUCCEEDED, (job.error, worker_log.read_text()[-3000:])
    assert job.percent == 100 and job.summary == [("已导入", len(rows)), ("有问题未导入的行", 0)]
    assert WorkEntry.objects.filter(source="import").count() == len(rows)
    dones = [done for _status, done, _total in samples]
    assert samples[-1][0] == JobStatus.SUCCEEDED and dones == sorted(dones)

    # when the reviewer approves the month of yesterday
    month = days[0].replace(day=1)
    in_month = WorkEntry.objects.filter(work_date__gte=month, work_date__lte=days[0])
    client.force_login(w.reviewer)
    client.post(reverse("review:queue"), {"action": "approve_all", "month": f"{month:%Y-%m}"})

    # then the worker approves all of it, and the job's page shows 100%
    job = Job.objects.get(kind="review_approve_all")
    job, samples = wait_for(job)
    assert job.status == JobStatus.SUCCEEDED, (job.error, worker_log.read_text()[-3000:])
    assert (job.done, job.total, job.percent) == (in_month.count(), in_month.count(), 100)
    dones = [done for _status, done, _total in samples]
    assert samples[-1] == (JobStatus.SUCCEEDED, in_month.count(), in_month.count()) and dones == sorted(dones)
    assert set(in_month.values_list("status", flat=True)) == {EntryStatus.APPROVED}
    assert WorkEntry.objects.filter(status=EntryStatus.PENDING).count() == len(rows) - in_month.count()
    status = client.get(reverse("jobs:status", args=[job.pk])).json()
    assert status["finished"] and status["percent"] == 100


def test_an_approvals_progress_is_seen_while_its_transaction_is_open_and_nothing_is_approved_yet(
        client, f, w, today, monkeypatch):
    # given 12 pending entries, approved in four slowed steps
    from reviews.services import entries_create
    from reviews.validation import EntryInput

    day = today - timedelta(days=1)
    drivers = [f.worker(w.depot, w.driver) for _ in range(12)]
    entries_create(actor=w.clerk, competition=w.comp,
                   rows=[EntryInput(d.pk, w.km.pk, day, "1", row=i) for i, d in enumerate(drivers, 1)])
    monkeypatch.setattr(review_jobs, "APPROVE_CHUNKS", 4)
    real = review_jobs.entries_transition

    def slowly(**kw):
        time.sleep(0.4)
        return real(**kw)

    monkeypatch.setattr(review_jobs, "entries_transition", slowly)
    monkeypatch.setattr(tasks.run_job, "delay", lambda *a: None)
    client.force_login(w.reviewer)
    client.post(reverse("review:queue"), {"action": "approve_all", "month": f"{day:%Y-%m}"})
    job = Job.objects.get()

    # when the job runs here while another connection watches, as the job's page would
    # (one statement, so the job row and the count come from one snapshot: read one after the other, the
    # commit could fall between them and show an old `done` beside the approved count)
    approved = WorkEntry.objects.filter(status=EntryStatus.APPROVED).order_by().values(n=Func("pk", function="COUNT"))
    watcher, seen = watch(lambda: Job.objects.filter(pk=job.pk).values_list(
        "status", "done", "total", Subquery(approved)).get(), until=finished)
    tasks.run_job.apply(args=[job.pk])
    watcher.join(30)

    # then part of the way was seen while no entry was approved yet (one transaction), then all of it
    midway = [(done, approved) for status, done, total, approved in seen if status == JobStatus.RUNNING and 0 < done < 12]
    assert midway and all(approved == 0 for done, approved in midway), seen
    assert seen[-1] == (JobStatus.SUCCEEDED, 12, 12, 12)
