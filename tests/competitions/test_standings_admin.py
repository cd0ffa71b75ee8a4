import os
import time
from datetime import date, timedelta

import pytest
from django.conf import settings
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from competitions import admin_standings
from competitions.models import RunOutcome, Standing, StandingRun
from config import tasks as config_tasks
from config.celery_app import app as celery_app
from tests.competitions.standings_data import entry

pytestmark = pytest.mark.django_db


@pytest.fixture
def run_tasks_inline(monkeypatch):
    """Run the admin's tasks in this process, as Celery does without a broker (the tasks then have someone
    to run them: workers_listening says so without asking the broker)."""
    monkeypatch.setitem(celery_app.conf, "task_always_eager", True)


def test_union_staff_start_a_recompute_from_the_admin_and_see_the_run(client, f, run_tasks_inline,
                                                                     django_capture_on_commit_callbacks):
    staff = f.user(is_staff=True, is_superuser=True)
    client.force_login(staff)
    comp, jt = f.competition(), f.job_type()
    rule = f.rule(comp, jt)
    yesterday = timezone.localdate() - timedelta(days=1)
    for q in (3, 5):
        entry(comp, f.worker(job_type_=jt), rule, yesterday, q)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("admin:competitions_standingscompetition_changelist"),
                               {"action": "recompute_yesterday", "_selected_action": [comp.pk]}, follow=True)

    assert response.status_code == 200
    run = StandingRun.objects.get(competition=comp)
    assert (run.day, run.outcome, run.rows, run.trigger) == (yesterday, RunOutcome.SUCCEEDED, 2, "admin")
    assert Standing.objects.filter(competition=comp, day=yesterday).count() == 2
    runs_page = client.get(reverse("admin:competitions_standingrun_changelist"))
    assert runs_page.status_code == 200 and "成功" in runs_page.content.decode()
    days = client.get(reverse("admin:competitions_standingday_changelist"))
    assert days.status_code == 200 and str(yesterday.year) in days.content.decode()
    assert client.get(reverse("admin:competitions_standingrun_change", args=[run.pk])).status_code == 200


def test_a_failed_run_shows_its_error_to_staff(client, f):
    client.force_login(f.user(is_staff=True, is_superuser=True))
    comp = f.competition()
    StandingRun.objects.create(competition=comp, day=date(2026, 3, 1), kind="full", requested_kind="full",
                               outcome=RunOutcome.FAILED, started_at=timezone.now(), error="boom: disk full")
    page = client.get(reverse("admin:competitions_standingrun_change",
                              args=[StandingRun.objects.get().pk])).content.decode()
    assert "boom: disk full" in page


def test_the_runs_list_names_triggers_and_outcomes_in_words_and_formats_its_counts(client, f):
    client.force_login(f.user(is_staff=True, is_superuser=True))
    comp = f.competition()
    StandingRun.objects.create(competition=comp, day=date(2026, 3, 1), kind="full", requested_kind="full",
                               trigger="nightly", outcome=RunOutcome.SUCCEEDED, started_at=timezone.now(),
                               rows=223_000, deltas=1_234_567)
    html = client.get(reverse("admin:competitions_standingrun_changelist")).content.decode()
    assert "每晚定时" in html and "成功" in html and "全量" in html
    assert "223,000" in html and "1,234,567" in html
    assert ">nightly<" not in html and ">succeeded<" not in html


# -- a repair of any day, with its reason --------------------------------------------------------------

def test_staff_recompute_an_old_day_from_the_admin_as_a_background_run_with_their_reason(
        client, f, run_tasks_inline, django_capture_on_commit_callbacks):
    # given a competition running for two months, with work entered forty days ago
    staff = f.user(is_staff=True, is_superuser=True, username="union-staff")
    client.force_login(staff)
    today = timezone.localdate()
    comp, jt = f.competition(start=today - timedelta(days=60), end=today + timedelta(days=30)), f.job_type()
    rule = f.rule(comp, jt)
    old_day = today - timedelta(days=40)
    for q in (3, 5, 8):
        entry(comp, f.worker(job_type_=jt), rule, old_day, q)
    page = client.get(reverse("admin:competitions_standingscompetition_repair", args=[comp.pk]))
    html = page.content.decode()
    assert page.status_code == 200
    assert f'min="{comp.start_date.isoformat()}"' in html and f'max="{today.isoformat()}"' in html
    # the list of competitions links to it
    listing = client.get(reverse("admin:competitions_standingscompetition_changelist")).content.decode()
    assert reverse("admin:competitions_standingscompetition_repair", args=[comp.pk]) in listing

    # when staff recompute that day with a reason
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("admin:competitions_standingscompetition_repair", args=[comp.pk]),
                               {"day": old_day.isoformat(), "reason": "补录后修复当日排名"}, follow=True)

    # then the run is recorded for that day with who asked and why, and the day's standings are there
    assert response.status_code == 200
    assert f"已提交 1 个排名计算（{old_day.year}年{old_day.month}月{old_day.day}日）" in response.content.decode()
    run = StandingRun.objects.get(competition=comp)
    assert (run.day, run.outcome, run.rows, run.trigger) == (old_day, RunOutcome.SUCCEEDED, 3, "admin")
    assert (run.requested_by, run.reason) == (staff, "补录后修复当日排名")
    assert Standing.objects.filter(competition=comp, day=old_day).count() == 3
    history = client.get(reverse("admin:competitions_standingrun_changelist")).content.decode()
    assert "补录后修复当日排名" in history and "union-staff" in history


@pytest.mark.parametrize(("offset", "reason", "message"), [
    (-61, "修复", "只能重算竞赛期间内"),  # before the competition started
    (1, "修复", "只能重算竞赛期间内"),  # tomorrow: no work yet
    (-5, "", "请填写重算原因"),
    (-5, "\u200b \ufeff", "请填写重算原因"),  # zero-width space and byte order mark: nothing a person can read
])
def test_a_repair_outside_the_competition_or_without_a_reason_is_refused_and_nothing_is_sent(
        client, f, monkeypatch, offset, reason, message):
    client.force_login(f.user(is_staff=True, is_superuser=True))
    today = timezone.localdate()
    comp = f.competition(start=today - timedelta(days=60), end=today + timedelta(days=30))
    sent = []
    monkeypatch.setattr(admin_standings.standings_recompute_task, "delay", lambda *a, **kw: sent.append(a))
    response = client.post(reverse("admin:competitions_standingscompetition_repair", args=[comp.pk]),
                           {"day": (today + timedelta(days=offset)).isoformat(), "reason": reason})
    assert response.status_code == 200 and message in response.content.decode()
    assert sent == [] and not StandingRun.objects.exists()


def test_the_repair_page_is_the_admins(client, f):
    comp = f.competition()
    url = reverse("admin:competitions_standingscompetition_repair", args=[comp.pk])
    client.force_login(f.clerk(f.unit()))
    assert client.get(url).status_code == 302  # to the admin's login: not staff


# -- a recompute sent with no worker to run it ---------------------------------------------------------------

@pytest.fixture
def no_cached_answer():
    cache.delete(config_tasks.WORKERS_CACHE_KEY)
    yield
    cache.delete(config_tasks.WORKERS_CACHE_KEY)


def test_with_no_worker_running_the_recompute_is_queued_and_staff_are_told_nothing_runs_it_yet(
        client, f, no_cached_answer, django_capture_on_commit_callbacks):
    # given: Redis takes the message (the test broker), but no Celery worker listens on it
    client.force_login(f.user(is_staff=True, is_superuser=True))
    comp = f.competition()

    # when: staff ask for yesterday's standings now
    started = time.monotonic()
    response = client.post(reverse("admin:competitions_standingscompetition_changelist"),
                           {"action": "recompute_yesterday", "_selected_action": [comp.pk]}, follow=True)
    first = time.monotonic() - started

    # then: the page says the recompute waits for a worker, not that it was submitted, and answers promptly
    html = response.content.decode()
    assert response.status_code == 200
    assert "1 个排名计算已放入任务队列，但现在没有后台处理进程（Celery worker）在运行" in html
    assert "已提交" not in html
    assert first < config_tasks.WORKERS_PING_SECONDS + 2
    # the answer is kept: the repair page pressed next does not ask the workers again
    assert cache.get(config_tasks.WORKERS_CACHE_KEY) is False
    repaired = client.post(reverse("admin:competitions_standingscompetition_repair", args=[comp.pk]),
                           {"day": comp.start_date.isoformat(), "reason": "修复"}, follow=True)
    assert "没有后台处理进程" in repaired.content.decode()
    assert not StandingRun.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_with_a_worker_listening_staff_are_told_the_recompute_was_submitted(client, f, tmp_path, no_cached_answer):
    from tests.celery_worker import celery_worker

    client.force_login(f.user(is_staff=True, is_superuser=True))
    comp = f.competition()
    # a real worker on the test broker, on a queue of its own (it answers the ping; the recompute it is not
    # asked to run stays in the default queue)
    with celery_worker(broker=settings.CELERY_BROKER_URL, queue=f"ping-test-{os.getpid()}",
                       log=tmp_path / "worker.log"):
        deadline = time.monotonic() + 60
        while not celery_app.control.ping(timeout=0.5):
            assert time.monotonic() < deadline, (tmp_path / "worker.log").read_text()
        response = client.post(reverse("admin:competitions_standingscompetition_changelist"),
                               {"action": "recompute_yesterday", "_selected_action": [comp.pk]}, follow=True)
    html = response.content.decode()
    assert "已提交 1 个排名计算" in html and "没有后台处理进程" not in html
