"""A standings run whose process is killed outright cannot record its end: the next run of the competition
and the periodic check mark its row failed, and never a run that is really still going."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from competitions import tasks
from competitions.locks import STANDINGS_LOCK_CLASS
from competitions.models import RunOutcome, StandingRun
from competitions.services import DEAD_RUN_ERROR, standings_recompute
from tests.competitions.test_tasks_standings import DAY, small_competition

ROOT = Path(__file__).resolve().parents[2]

# A run in its own process, on the test database, that stops inside its computation (holding the
# competition's lock, its row "running") until it is killed.
STUCK_RUN = textwrap.dedent("""
    import sys, time
    from datetime import date
    import django
    django.setup()
    from competitions import services
    services._compute = lambda run, full: time.sleep(600)
    services.standings_recompute(competition=int(sys.argv[1]), day=date.fromisoformat(sys.argv[2]))
""")


def lock_holder(competition_id: int) -> int | None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted AND objsubid = 2"
                       " AND classid::bigint = %s AND objid::bigint = %s"
                       " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
                       [STANDINGS_LOCK_CLASS, competition_id])
        row = cursor.fetchone()
    return row[0] if row else None


def backend_connected(pid: int) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", [pid])
        return cursor.fetchone() is not None


def wait_for(condition, what: str, timeout: float = 30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def stuck_run(tmp_path):
    """Starts a run of a competition in a subprocess and returns (process, its run row) once it is
    computing; kills the process at the end if the test has not."""
    started = []

    def start(competition_id: int):
        db = connection.settings_dict
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test",
               "DATABASE_URL": f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"}
        log = tmp_path / "run.log"
        process = subprocess.Popen([sys.executable, "-c", STUCK_RUN, str(competition_id), DAY.isoformat()],
                                   cwd=ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT)
        started.append(process)
        wait_for(lambda: lock_holder(competition_id) is not None or process.poll() is not None, "the run's lock")
        assert process.poll() is None, log.read_text()[-3000:]
        run = StandingRun.objects.get(competition_id=competition_id)
        assert run.outcome == RunOutcome.RUNNING and run.backend_pid == lock_holder(competition_id)
        return process, run

    yield start
    for process in started:
        if process.poll() is None:
            process.kill()
            process.wait(10)


def kill_run(process, run):
    process.send_signal(signal.SIGKILL)
    process.wait(10)
    # The server ends the backend (and with it the session's lock) when it sees the client gone.
    wait_for(lambda: not backend_connected(run.backend_pid), "the killed run's backend to end")


@pytest.mark.django_db(transaction=True)
def test_the_next_run_marks_a_run_killed_mid_computation_failed(f, stuck_run):
    # given a run killed with SIGKILL while computing
    comp = small_competition(f)
    process, killed = stuck_run(comp.pk)
    kill_run(process, killed)
    killed.refresh_from_db()
    assert killed.outcome == RunOutcome.RUNNING  # nobody recorded its end

    # when the next run of the competition starts
    run = standings_recompute(competition=comp.pk, day=DAY)

    # then the dead run is failed with the reason, and the new one went ahead
    killed.refresh_from_db()
    assert (killed.outcome, killed.error, killed.totals_day) == (RunOutcome.FAILED, DEAD_RUN_ERROR, None)
    assert killed.finished_at is not None
    assert run.outcome == RunOutcome.SUCCEEDED and run.rows == 5


@pytest.mark.django_db(transaction=True)
def test_the_periodic_check_marks_a_killed_run_failed_and_leaves_a_live_one_running(f, stuck_run):
    # given a run killed in one competition and a run still computing in another
    dead_comp, live_comp = small_competition(f), small_competition(f, workers=2)
    process, killed = stuck_run(dead_comp.pk)
    kill_run(process, killed)
    live_process, live = stuck_run(live_comp.pk)

    # when the periodic check runs (twice: it must be idempotent)
    assert tasks.mark_dead_standings_runs.apply().get() == [killed.pk]
    assert tasks.mark_dead_standings_runs.apply().get() == []

    # then only the dead run is failed
    killed.refresh_from_db()
    live.refresh_from_db()
    assert (killed.outcome, killed.error) == (RunOutcome.FAILED, DEAD_RUN_ERROR)
    assert (live.outcome, live.error) == (RunOutcome.RUNNING, "")
    assert live_process.poll() is None


@pytest.mark.django_db(transaction=True)
def test_a_run_still_computing_is_never_marked_by_a_run_that_finds_its_lock_taken(f, stuck_run, monkeypatch):
    # given a run that has been computing for long (past the grace for rows not yet holding the lock)
    comp = small_competition(f)
    process, live = stuck_run(comp.pk)
    StandingRun.objects.filter(pk=live.pk).update(started_at=live.started_at - timedelta(hours=10))

    # when another run of the competition starts
    second = standings_recompute(competition=comp.pk, day=DAY)

    # then the second run is skipped and the first is still running
    live.refresh_from_db()
    assert second.outcome == RunOutcome.SKIPPED
    assert live.outcome == RunOutcome.RUNNING
    assert process.poll() is None


def test_the_dead_run_check_is_scheduled_with_an_expiry_shorter_than_its_period():
    entry = settings.CELERY_BEAT_SCHEDULE["standings-dead-runs"]
    assert entry["task"] == tasks.mark_dead_standings_runs.name
    assert 0 < entry["options"]["expires"] < entry["schedule"]
