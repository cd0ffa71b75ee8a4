"""Tests run against PostgreSQL and Redis, as production does (the test command starts both)."""

import os
import re
from pathlib import Path

from config.env import env_str


def _separate_worker() -> None:
    """pytest-xdist runs the suite in several processes, "gw0", "gw1", …: pytest-django gives each its own
    test database; this gives each its own Redis database and job-file directories, so that one process's
    cache.clear() (a FLUSHDB) or a job's result file never reaches another's. Written into the environment
    once (marked), so that a Celery worker a test starts, which inherits it, uses the same ones."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if not worker or os.environ.get("TEST_WORKER") == worker:
        return
    index = int(worker.removeprefix("gw") or 0)
    url = os.environ.get("REDIS_URL")
    if url:
        base = re.match(r"^(redis://[^/]*)(?:/(\d+))?$", url)
        if base:  # redis://host:port/N -> database N + index (of Redis's 16)
            os.environ["REDIS_URL"] = f"{base[1]}/{(int(base[2] or 0) + index) % 16}"
    for name, folder in (("MEDIA_ROOT", "media"), ("PARKED_UPLOADS_DIR", "parked-uploads")):
        os.environ.setdefault(name, str(Path(__file__).resolve().parents[2] / "var" / f"test-{worker}" / folder))
    os.environ["TEST_WORKER"] = worker


_separate_worker()

from .base import *  # noqa: E402, F403
from .base import CACHES, DATABASES  # noqa: E402

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # speed; never used outside tests
DEBUG = False

# Several checkouts may run their suites at once against one server: each names its own test database
# (pytest-xdist's processes add their suffix to it).
DATABASES["default"]["TEST"] = {"NAME": env_str("TEST_DB_NAME", "test_portal")}

# The Redis cache is shared by checkouts testing at once: this one's keys get its own prefix.
CACHES["default"]["KEY_PREFIX"] = DATABASES["default"]["TEST"]["NAME"] + os.environ.get("TEST_WORKER", "")
