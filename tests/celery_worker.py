"""A real Celery worker process for a test: on a broker and queue the test names, reading the test database
(the test must use committed data: ``django_db(transaction=True)``)."""

from __future__ import annotations

import os
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

from django.db import connection

ROOT = Path(__file__).resolve().parents[1]


@contextmanager
def celery_worker(*, broker: str, queue: str, log: Path, app: str = "config.celery_app", **env: str):
    """Runs ``celery worker`` (one process, solo pool) of the Celery ``app`` module consuming ``queue`` on
    ``broker`` with the test settings and this test database, ``env`` added to its environment; its output
    goes to ``log``. Stopped (terminated, then killed) when the block ends."""
    db = connection.settings_dict
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "REDIS_URL": broker,
        **env,
    }
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", app, "worker", "--pool=solo", "--concurrency=1",
         "-Q", queue, "--without-gossip", "--without-mingle", "--without-heartbeat", "--loglevel=INFO"],
        cwd=ROOT, env=environment, stdout=log.open("w"), stderr=subprocess.STDOUT,
    )
    try:
        yield worker
    finally:
        worker.terminate()
        try:
            worker.wait(15)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait(5)
