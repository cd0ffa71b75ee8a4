from __future__ import annotations

import os
import time
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from celery import Celery
from celery.schedules import crontab
from django.conf import settings

from competitions import tasks
from competitions.models import RunOutcome, Standing, StandingRun
from competitions.services import standings_recompute
from tests.celery_worker import celery_worker
from tests.competitions.standings_data import entry, run_held_half_way

DAY = date(2026, 3, 1)


def small_competition(f, workers=5):
    comp, jt = f.competition(), f.job_type()
    rule = f.rule(comp, jt)
    for i in range(workers):
        entry(comp, f.worker(job_type_=jt), rule, DAY, i + 1)
    return comp


def test_beat_runs_nightly_at_one_oclock_shanghai_time_and_expires_before_the_next_run():
    nightly = settings.CELERY_BEAT_SCHEDULE["standings-nightly"]
    assert nightly["task"] == "competitions.tasks.recompute_active_competitions"
    assert nightly["schedule"] == crontab(hour=1, minute=0)
    assert settings.CELERY_TIMEZONE == "Asia/Shanghai"
    assert 0 < nightly["options"]["expires"] < 24 * 3600
    # Using the project's time zone, the entry is due at 01:00 in Shanghai, which is 17:00 UTC.
    shanghai = ZoneInfo("Asia/Shanghai")
    app = Celery(set_as_current=False)
    app.conf.timezone, app.conf.enable_utc = settings.CELERY_TIMEZONE, settings.CELERY_ENABLE_UTC
    schedule = crontab(hour=1, minute=0, app=app)
    last_run = datetime(2026, 3, 1, 1, 0, tzinfo=shanghai)
    schedule.nowfun = lambda: datetime(2026, 3, 2, 0, 59, tzinfo=shanghai)
    assert schedule.is_due(last_run) == (False, 60)
    schedule.nowfun = lambda: datetime(2026, 3, 1, 17, 0, 1, tzinfo=ZoneInfo("UTC"))
    assert schedule.is_due(last_run).is_due is True


def test_intraday_runs_compute_today_but_leave_the_night_to_the_nightly_run(f, db, monkeypatch):
    from competitions import services

    running = f.competition(start=date(2020, 1, 1), end=date(2099, 12, 31))
    sent = []
    monkeypatch.setattr(tasks.standings_recompute_task, "delay", lambda *a, **kw: sent.append((a, kw)))
    shanghai = ZoneInfo("Asia/Shanghai")
    for now in (datetime(2026, 3, 2, 1, 30, tzinfo=shanghai), datetime(2026, 3, 2, 10, 15, tzinfo=shanghai)):
        monkeypatch.setattr(tasks.timezone, "localtime", lambda *a, now=now: now)
        monkeypatch.setattr(services.timezone, "localdate", lambda *a, now=now: now.date())
        tasks.recompute_active_competitions(intraday=True)

    assert sent == [((running.pk, "2026-03-02"), {"trigger": "intraday"})]  # only the 10:15 one


def test_nightly_fans_out_one_task_per_active_competition_for_yesterday(f, db, monkeypatch):
    running = f.competition(start=date(2020, 1, 1), end=date(2099, 12, 31))
    f.competition(start=date(2020, 1, 1), end=date(2099, 12, 31), status="draft")
    f.competition(start=date(2020, 1, 1), end=date(2020, 2, 1))  # over
    sent = []
    monkeypatch.setattr(tasks.standings_recompute_task, "delay", lambda *a, **kw: sent.append((a, kw)))

    assert tasks.recompute_active_competitions() == [running.pk]

    yesterday = datetime.now(ZoneInfo("Asia/Shanghai")).date() - timedelta(days=1)
    assert sent == [((running.pk, yesterday.isoformat()), {"trigger": "nightly"})]


def test_task_exits_cleanly_when_the_competition_is_gone(db):
    assert tasks.standings_recompute_task.apply(args=(987654, "2026-03-01")).get() is None


def test_recompute_task_is_late_acked_and_retries_database_errors_with_backoff():
    task = tasks.standings_recompute_task
    assert task.acks_late is True
    assert task.max_retries == 5 and task.retry_backoff
    from django.db import DatabaseError, OperationalError

    assert issubclass(OperationalError, task.autoretry_for)
    assert DatabaseError in task.autoretry_for
    assert not getattr(tasks.recompute_active_competitions, "acks_late", False)


@pytest.mark.django_db(transaction=True)
def test_two_overlapping_runs_of_one_competition_are_serialized_by_the_lock(f, monkeypatch):
    comp = small_competition(f)
    with run_held_half_way(monkeypatch, competition=comp.pk, day=DAY) as results:
        # the first run holds the lock, half-way through its transaction
        second = standings_recompute(competition=comp.pk, day=DAY)  # another connection, same competition

    assert second.outcome == RunOutcome.SKIPPED
    assert results["run"].outcome == RunOutcome.SUCCEEDED
    assert Standing.objects.filter(competition=comp, day=DAY).count() == 5
    other = small_competition(f, workers=2)  # the lock is per competition
    assert standings_recompute(competition=other.pk, day=DAY).outcome == RunOutcome.SUCCEEDED
    assert standings_recompute(competition=comp.pk, day=DAY).outcome == RunOutcome.SUCCEEDED  # released


@pytest.mark.django_db(transaction=True)
def test_a_real_celery_worker_with_a_real_redis_broker_runs_the_recompute(f, tmp_path):
    # given committed data in the test database, and a worker process on its own Redis database
    comp = small_competition(f)
    broker = os.environ.get("STANDINGS_TEST_REDIS_URL", "redis://127.0.0.1:6379/4")
    queue = f"standings-test-{os.getpid()}"
    log = tmp_path / "worker.log"
    with celery_worker(broker=broker, queue=queue, log=log) as worker:
        # when the task is sent through the broker
        client = Celery(broker=broker, set_as_current=False)
        client.send_task("competitions.tasks.standings_recompute_task", args=[comp.pk, DAY.isoformat()],
                         kwargs={"trigger": "manual"}, queue=queue)

        # then the worker records a succeeded run and writes the standings
        deadline = time.monotonic() + 40
        run = None
        while time.monotonic() < deadline:
            run = StandingRun.objects.filter(competition=comp, outcome=RunOutcome.SUCCEEDED).first()
            if run is not None or worker.poll() is not None:
                break
            time.sleep(0.3)
        assert run is not None, log.read_text()[-3000:]
        assert run.rows == 5
        assert Standing.objects.filter(competition=comp, day=DAY).count() == 5
