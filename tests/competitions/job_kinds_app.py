"""The portal's Celery app with one more job kind, ``waiting`` (it waits ``params["seconds"]`` without
reporting progress), for tests that run a job in a real worker process: ``celery -A`` this module."""

import django

django.setup()

from competitions import jobs  # noqa: E402
from config.celery_app import app  # noqa: E402, F401

jobs.JOB_KINDS["waiting"] = jobs.JobKind("waiting", "tests.competitions.test_job_heartbeat.waiting_kind")
