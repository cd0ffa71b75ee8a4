"""The Celery app. Configuration lives in Django settings under the CELERY_ prefix."""

import os

from celery import Celery
from celery.signals import worker_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

app = Celery("portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_init.connect
def preload_jobs(**_kwargs):
    # In the worker's main process, before the pool's processes are forked: each of them then starts with
    # the jobs' code loaded instead of loading it during someone's first job (competitions.jobs.jobs_preload).
    import django

    django.setup()
    from competitions.jobs import jobs_preload

    jobs_preload()
