"""A background job whose process died (competitions.jobs): the heartbeat its process renews, the periodic task
that fails a job whose heartbeat stopped, and a press of the button that starts the work again at once."""

from __future__ import annotations

import os
import time
from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone, translation

from competitions import jobs, tasks
from competitions.jobs import JobKind, JobOutcome
from competitions.models import Job, JobStatus
from tests.celery_worker import celery_worker

pytestmark = pytest.mark.django_db

STALE = "任务中断（处理进程已停止），请重新发起。"


def waiting_kind(params, out, progress):
    # Reports no progress: what keeps the job alive on the record is the heartbeat alone.
    time.sleep(params["seconds"])
    return JobOutcome(summary={"等待秒数": params["seconds"]})


@pytest.fixture
def waiting(monkeypatch):
    monkeypatch.setitem(jobs.JOB_KINDS, "waiting", JobKind("waiting", "tests.competitions.test_job_heartbeat.waiting_kind"))


def running_job(user, *, heartbeat_minutes_ago: float | None, key: str = "k", **fields) -> Job:
    now = timezone.now()
    beat = None if heartbeat_minutes_ago is None else now - timedelta(minutes=heartbeat_minutes_ago)
    return Job.objects.create(kind="review_approve_all", created_by=user, once_key=jobs.once_key_of(key),
                              status=JobStatus.RUNNING, started_at=now - timedelta(hours=1), heartbeat_at=beat,
                              **fields)


# -- the reaper ----------------------------------------------------------------------------------------------

def test_a_running_job_whose_heartbeat_stopped_is_failed_and_a_live_one_is_left_alone(w):
    # given a job silent for longer than the bound, one that beat a minute ago, and one claimed before
    # heartbeats were kept (counted from its start, an hour ago)
    dead = running_job(w.reviewer, heartbeat_minutes_ago=settings.JOB_STALE_MINUTES + 1)
    alive = running_job(w.other_reviewer, heartbeat_minutes_ago=1)
    old = running_job(w.clerk, heartbeat_minutes_ago=None)
    queued = Job.objects.create(kind="review_approve_all", created_by=w.staff, once_key="q")

    # when the periodic task runs
    assert tasks.fail_stale_jobs.apply().get() == 2

    # then the silent ones failed with the message, the live and the queued ones are as they were
    for job in (dead, old):
        job.refresh_from_db()
        assert (job.status, job.error) == (JobStatus.FAILED, STALE) and job.finished_at is not None
    alive.refresh_from_db()
    queued.refresh_from_db()
    assert (alive.status, alive.error, queued.status) == (JobStatus.RUNNING, "", JobStatus.QUEUED)
    # and running it again finds nothing
    assert jobs.jobs_fail_stale() == 0


def test_the_check_is_scheduled_with_an_expiry_shorter_than_its_period_and_well_within_the_bound():
    entry = settings.CELERY_BEAT_SCHEDULE["jobs-fail-stale"]
    assert entry["task"] == tasks.fail_stale_jobs.name
    assert 0 < entry["options"]["expires"] < entry["schedule"] <= settings.JOB_STALE_MINUTES * 60
    assert settings.JOB_STALE_MINUTES * 60 >= 3 * settings.JOB_HEARTBEAT_SECONDS


def test_a_job_failed_as_dead_is_stored_in_chinese_and_read_in_each_readers_language(w):
    english = running_job(w.reviewer, heartbeat_minutes_ago=60, language="en")
    chinese = running_job(w.other_reviewer, heartbeat_minutes_ago=60, language="zh-hans")
    with translation.override("en"):
        jobs.jobs_fail_stale()
    failed = [Job.objects.get(pk=j.pk) for j in (english, chinese)]
    # stored in the portal's language, whoever's request or beat marked them (the admin reads it)
    assert [job.error for job in failed] == [STALE, STALE]
    # and shown in the reader's, whoever started the job
    with translation.override("en"):
        assert [job.error_text for job in failed] == [
            "The job was interrupted (its worker process stopped); start it again."] * 2
    with translation.override("zh-hans"):
        assert [job.error_text for job in failed] == [STALE, STALE]


def test_a_press_given_a_job_whose_process_died_starts_the_work_again(w, monkeypatch,
                                                                       django_capture_on_commit_callbacks):
    sent = []
    monkeypatch.setattr(tasks.run_job, "delay", lambda *a: sent.append(a))
    dead = running_job(w.reviewer, heartbeat_minutes_ago=settings.JOB_STALE_MINUTES + 1)

    with django_capture_on_commit_callbacks(execute=True):
        job = jobs.job_start(kind="review_approve_all", params={}, user=w.reviewer, once_key="k")

    dead.refresh_from_db()
    assert not job.reused and job.pk != dead.pk and sent == [(job.pk,)]
    assert (dead.status, dead.error) == (JobStatus.FAILED, STALE)
    # a redelivered message of the dead job does not run it behind its person's back
    assert jobs.job_run(job_id=dead.pk) is None
    dead.refresh_from_db()
    assert dead.status == JobStatus.FAILED


def test_a_press_given_a_job_that_is_alive_still_gets_that_job(w, monkeypatch):
    monkeypatch.setattr(tasks.run_job, "delay", lambda *a: None)
    alive = running_job(w.reviewer, heartbeat_minutes_ago=1)
    job = jobs.job_start(kind="review_approve_all", params={}, user=w.reviewer, once_key="k")
    assert job.reused and job.pk == alive.pk


def test_claiming_a_job_starts_its_heartbeat(w, waiting):
    job = Job.objects.create(kind="waiting", created_by=w.staff, params={"seconds": 0})
    assert job.heartbeat_at is None
    jobs.job_run(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED and job.heartbeat_at is not None


# -- with a real worker --------------------------------------------------------------------------------------

def job_row(pk: int) -> tuple:
    return Job.objects.filter(pk=pk).values_list("status", "heartbeat_at").get()


@pytest.fixture
def worker(tmp_path, monkeypatch, waiting, settings):
    """A real worker of an app that knows the ``waiting`` kind, beating every second, on a queue of its own;
    this process counts a job dead after 3 seconds without a heartbeat. Yields (the process, its log)."""
    queue = f"heartbeat-test-{os.getpid()}"
    log = tmp_path / "worker.log"
    settings.JOB_STALE_MINUTES = 0.05
    monkeypatch.setattr(tasks.run_job, "delay", lambda *a: tasks.run_job.apply_async(args=a, queue=queue))
    with celery_worker(broker=settings.CELERY_BROKER_URL, queue=queue, log=log,
                       app="tests.competitions.job_kinds_app", JOB_HEARTBEAT_SECONDS="1") as process:
        yield process, log


needs_redis = pytest.mark.skipif(not settings.CELERY_BROKER_URL.startswith("redis://"), reason="needs REDIS_URL")


@needs_redis
@pytest.mark.django_db(transaction=True)
def test_a_job_in_a_real_worker_keeps_beating_while_it_runs_and_is_never_failed_meanwhile(w, worker):
    process, log = worker
    # given a job that works for 5 seconds without reporting progress
    job = jobs.job_start(kind="waiting", params={"seconds": 5}, user=w.staff, once_key="wait")

    # when it runs, with the periodic check called every quarter of a second
    beats, deadline = set(), time.monotonic() + 60
    while (row := job_row(job.pk))[0] != JobStatus.SUCCEEDED and time.monotonic() < deadline:
        assert row[0] in (JobStatus.QUEUED, JobStatus.RUNNING), (row, log.read_text()[-3000:])
        if row[0] == JobStatus.RUNNING:
            beats.add(row[1])
        assert jobs.jobs_fail_stale() == 0
        time.sleep(0.25)

    # then it finished, its heartbeat having moved on every second or so
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED, log.read_text()[-3000:]
    assert len(beats) >= 4, sorted(beats)


@needs_redis
@pytest.mark.django_db(transaction=True)
def test_a_job_whose_worker_was_killed_is_failed_and_its_person_can_start_it_again(w, worker, monkeypatch):
    process, log = worker
    # given a long job running in the worker, its heartbeat seen to move
    job = jobs.job_start(kind="waiting", params={"seconds": 120}, user=w.staff, once_key="wait")
    first_beat, deadline = None, time.monotonic() + 60
    while time.monotonic() < deadline:
        status, beat = job_row(job.pk)
        if status == JobStatus.RUNNING:
            first_beat = first_beat or beat
            if beat != first_beat:
                break
        time.sleep(0.1)
    else:
        pytest.fail(f"the job did not beat: {log.read_text()[-3000:]}")

    # when the worker is killed outright (as the OOM killer does)
    process.kill()
    process.wait(10)
    status, last_beat = job_row(job.pk)
    assert status == JobStatus.RUNNING
    time.sleep(3.5)

    # then the heartbeat stopped, and the periodic task fails the job
    assert job_row(job.pk) == (JobStatus.RUNNING, last_beat)
    assert tasks.fail_stale_jobs.apply().get() == 1
    job.refresh_from_db()
    assert (job.status, job.error) == (JobStatus.FAILED, STALE)

    # and the same press starts a new job at once
    monkeypatch.setattr(tasks.run_job, "delay", lambda *a: None)
    again = jobs.job_start(kind="waiting", params={"seconds": 1}, user=w.staff, once_key="wait")
    assert not again.reused and again.pk != job.pk
