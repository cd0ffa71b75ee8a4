"""Redis down: logins, reads and an entry POST keep working from PostgreSQL, the entry's follow-up work
(the queue flags) is done by the sweep, and a Celery worker reconnects once Redis is back.

Each test starts a redis-server of its own on a free port and stops it; the web side is a real gunicorn
on the test database (data committed: transaction=True) pointed at that Redis, as production is.
"""

import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import pytest
import requests
from django.utils import timezone

from competitions.services import standings_recompute
from reviews.flags import flags_sweep
from reviews.models import EntryFlag, FlagsDue, WorkEntry
from tests.api.test_fuzz import ROOT, database_url
from tests.redis_server import RedisServer, free_port

pytestmark = pytest.mark.django_db(transaction=True)
VENV_BIN = Path(sys.executable).parent
PASSWORD = "pass-1234-word"  # tests/factories.py


@pytest.fixture
def redis_server(tmp_path):
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.stop()


def wait_for(condition, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    pytest.fail(f"timed out waiting for {what}")


@pytest.fixture
def web(redis_server, tmp_path):
    # The test settings as they are (the lockout counts in PostgreSQL; cache and broker are this test's Redis).
    (tmp_path / "redis_down_settings.py").write_text(
        "from config.settings.test import *  # noqa: F403\n")
    env = {**os.environ, "DATABASE_URL": database_url(), "DJANGO_SETTINGS_MODULE": "redis_down_settings",
           "PYTHONPATH": f"{tmp_path}{os.pathsep}{ROOT}", "REDIS_URL": redis_server.url, "LOG_LEVEL": "WARNING"}
    port = free_port()
    log = tempfile.TemporaryFile()
    server = subprocess.Popen([str(VENV_BIN / "gunicorn"), "config.wsgi:application", "--bind", f"127.0.0.1:{port}",
                               "--workers", "1", "--timeout", "60"], cwd=ROOT, env=env, stdout=log,
                              stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"

    def up():
        if server.poll() is not None:
            log.seek(0)
            pytest.fail(log.read().decode(errors="replace"))
        try:
            return requests.get(f"{url}/login/", timeout=10).status_code == 200
        except requests.RequestException:  # not listening yet, or still loading the application
            return False

    try:
        wait_for(up, 60, "gunicorn")
        yield url
    finally:
        server.terminate()
        server.wait(15)
        log.close()


def test_with_redis_down_logins_reads_and_entry_posts_succeed_and_the_sweep_flags_the_entries(
        w, f, today, web, redis_server):
    # given: a third worker of the clerk's depot, and Redis gone
    third = f.worker(w.depot, w.driver)
    redis_server.stop()

    # when / then: the portal's login form signs in (the lockout's counts are misses, not errors)
    portal = requests.Session()
    assert portal.get(f"{web}/login/", timeout=10).status_code == 200
    signed_in = portal.post(f"{web}/login/", data={"username": w.alice.employee_no, "password": PASSWORD,
                                                    "csrfmiddlewaretoken": portal.cookies["csrftoken"]},
                            allow_redirects=False, timeout=10)
    assert signed_in.status_code == 302, signed_in.text[:500]

    def api_login(username):
        response = requests.post(f"{web}/api/v1/auth/login/", json={"employee_no": username, "password": PASSWORD},
                                 timeout=10)
        assert response.status_code == 200, response.text
        return {"Authorization": f"Bearer {response.json()['access']}"}

    worker, clerk = api_login(w.alice.employee_no), api_login("clerk")

    # ... and entries are saved: bob's is more than three times the month's median of the rule
    for someone, quantity in ((w.alice, "10"), (third, "10"), (w.bob, "100")):
        response = requests.post(f"{web}/api/v1/entries/", headers=clerk, timeout=10, json={
            "competition": w.comp.pk, "worker": someone.pk, "rule": w.km.pk, "work_date": str(w.yesterday),
            "quantity": quantity})
        assert response.status_code == 201, response.text
    # ... and the standings they make are read (the leaderboard's shared page cache is a miss)
    standings_recompute(competition=w.comp, day=today)
    for path in (f"/api/v1/competitions/{w.comp.pk}/leaderboard/", f"/api/v1/competitions/{w.comp.pk}/standings/me/"):
        response = requests.get(f"{web}{path}", headers=worker, timeout=10)
        assert response.status_code == 200, (path, response.text)
    bob_entry = WorkEntry.objects.get(worker=w.bob)
    assert bob_entry.flags == 0  # the recompute could not be sent
    assert FlagsDue.objects.filter(competition_id=w.comp.pk, business_system_id=w.system.pk).exists()

    # when: the sweep runs once the rows are overdue
    FlagsDue.objects.update(created_at=timezone.now() - timedelta(minutes=10))
    assert flags_sweep() == 1

    # then: the outlier is flagged and nothing is left due
    bob_entry.refresh_from_db()
    assert bob_entry.flags & EntryFlag.OUTLIER
    assert not FlagsDue.objects.exists()


def test_the_sweep_leaves_months_whose_recompute_is_not_overdue_yet(w):
    FlagsDue.objects.create(competition_id=w.comp.pk, business_system_id=w.system.pk,
                            month=w.yesterday.replace(day=1))
    assert flags_sweep() == 0
    assert FlagsDue.objects.count() == 1


def test_a_celery_worker_reconnects_after_redis_restarts_and_runs_a_task_sent_then(w, redis_server, tmp_path):
    # given: a month due for its flag recompute, and a worker on this test's Redis
    month = w.yesterday.replace(day=1)
    FlagsDue.objects.create(competition_id=w.comp.pk, business_system_id=w.system.pk, month=month)
    log_path = tmp_path / "worker.log"
    env = {**os.environ, "DATABASE_URL": database_url(), "DJANGO_SETTINGS_MODULE": "config.settings.test",
           "REDIS_URL": redis_server.url}
    with log_path.open("w") as log:
        worker = subprocess.Popen(
            [str(VENV_BIN / "celery"), "-A", "config.celery_app", "worker", "--pool", "solo", "--loglevel", "INFO",
             "--without-heartbeat", "--without-mingle", "--without-gossip"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_for(lambda: "ready." in log_path.read_text(), 90, "the worker to start")

        # when: Redis goes away long enough for the worker to notice, and comes back empty
        redis_server.stop()
        wait_for(lambda: "Connection to broker lost" in log_path.read_text(), 30, "the worker to see Redis gone")
        time.sleep(2)
        redis_server.start()
        from celery import Celery

        sender = Celery(broker=redis_server.url, set_as_current=False)  # the project's app stays current
        sender.send_task("reviews.tasks.flag_entries", args=[w.comp.pk, w.system.pk, month.isoformat()])

        # then: the worker is still there and runs it (the recompute takes the month's FlagsDue row)
        wait_for(lambda: not FlagsDue.objects.exists(), 90, "the task to run:\n" + log_path.read_text()[-3000:])
        assert worker.poll() is None
    finally:
        worker.terminate()
        try:
            worker.wait(20)
        except subprocess.TimeoutExpired:
            worker.kill()


UNITS = ROOT / "config" / "deploy" / "systemd"


def test_the_shipped_systemd_units_restart_every_process_and_verify(tmp_path):
    units = sorted(UNITS.glob("*.service"))
    assert {u.name for u in units} == {"portal-web.service", "portal-worker.service", "portal-beat.service"}
    for unit in units:
        text = unit.read_text()
        assert "\nRestart=always\n" in text, unit.name
        # The paths of an installed checkout become this one's, so that verify checks the commands exist.
        (tmp_path / unit.name).write_text(text.replace("/srv/portal", str(ROOT)).replace("/etc/portal/env", "/dev/null"))
    if shutil.which("systemd-analyze") is None:
        pytest.skip("systemd-analyze not available")
    analyze = subprocess.run(["systemd-analyze", "verify", *sorted(str(p) for p in tmp_path.glob("*.service"))],
                             capture_output=True, text=True)
    assert analyze.returncode == 0 and not analyze.stderr.strip(), analyze.stderr


def test_with_redis_down_the_admins_recompute_action_says_it_could_not_be_sent_instead_of_failing(
        w, f, web, redis_server):
    # given: union staff signed in to the admin, and Redis gone
    f.user(username="union-admin", is_staff=True, is_superuser=True)
    admin = requests.Session()
    admin.get(f"{web}/admin/login/", timeout=10)
    signed_in = admin.post(f"{web}/admin/login/?next=/admin/", timeout=10, allow_redirects=False, data={
        "username": "union-admin", "password": PASSWORD, "csrfmiddlewaretoken": admin.cookies["csrftoken"]})
    assert signed_in.status_code == 302, signed_in.text[:500]
    redis_server.stop()

    # when: they ask for yesterday's standings now
    changelist = f"{web}/admin/competitions/standingscompetition/"
    response = admin.post(changelist, timeout=10, data={
        "action": "recompute_yesterday", "_selected_action": [w.comp.pk], "index": 0,
        "csrfmiddlewaretoken": admin.cookies["csrftoken"]})

    # then: the page answers, and says the recompute was not sent (rather than that it was)
    assert response.status_code == 200, response.text[:1000]
    assert "任务队列暂时不可用，1 个排名计算未能提交" in response.text
    assert "已提交" not in response.text
