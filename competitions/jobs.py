"""Background jobs (Job): the kinds there are, starting one, running one.

A kind is a function ``run(params, out, progress) -> filename`` named in JOB_KINDS: it writes its result
to ``out`` (a binary file), calls ``progress(done, total)`` now and then, and returns the name the download
gets; it raises JobRefused with a message for the person when the job cannot be done (what it was about is
gone). job_start records the job and sends it to a Celery task after commit; the task calls job_run, which
runs the kind and keeps the result in private storage. A page only reads the Job row (its progress).

A new kind is one entry here and its function; nothing else changes.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import PurePath

from django.core.files import File
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from competitions.models import Job, JobStatus
from config.tasks import send_on_commit

logger = logging.getLogger(__name__)

QUEUE_DOWN = gettext_lazy("任务队列暂时不可用，未能开始；请稍后再试。")

Progress = Callable[[int, "int | None"], None]


@dataclass(frozen=True)
class JobKind:
    label: str
    run: str  # dotted path of the function: imported when a job runs, so this module imports no kind's code


JOB_KINDS: dict[str, JobKind] = {
    "standings_day_xlsx": JobKind(gettext_lazy("每日排名导出"), "competitions.workspace.exports.day_xlsx"),
    "standings_period_xlsx": JobKind(gettext_lazy("时段排名导出"), "competitions.workspace.exports.period_xlsx"),
}

# The offices' exports and the monthly review report (reviews/reports.py).
JOB_KINDS |= {
    "entries_xlsx": JobKind(gettext_lazy("录入列表导出"), "reviews.reports.entries_xlsx"),
    "review_queue_xlsx": JobKind(gettext_lazy("审核队列导出"), "reviews.reports.queue_xlsx"),
    "disputes_xlsx": JobKind(gettext_lazy("申诉列表导出"), "reviews.reports.disputes_xlsx"),
    "review_month_xlsx": JobKind(gettext_lazy("月度审核报表"), "reviews.reports.review_month_xlsx"),
}

# Finished jobs and their files are deleted after this many days (when the next job starts): an export is
# fetched the day it is made, and a file of full names should not lie around.
JOB_KEEP_DAYS = 7
# Progress is written every this many rows: a few writes per second at export speed, not one per row.
PROGRESS_EVERY = 5000


class JobRefused(Exception):
    """The job cannot be done; the message is for the person who started it."""


def job_start(*, kind: str, params: dict, user) -> Job:
    """Records a job of ``kind`` and sends it to the task queue once the record is committed. Old jobs are
    deleted first (job_purge). A queue that cannot be reached leaves the job queued, its page says so."""
    if kind not in JOB_KINDS:
        raise ValueError(f"unknown job kind {kind!r}")
    job_purge()
    from competitions.tasks import run_job

    with transaction.atomic():
        job = Job.objects.create(kind=kind, params=params, created_by=user)
        send_on_commit(run_job, job.pk, unsent=lambda: Job.objects.filter(pk=job.pk, status=JobStatus.QUEUED)
                       .update(status=JobStatus.FAILED, error=str(QUEUE_DOWN), finished_at=timezone.now()))
    return job


def job_purge(*, now=None) -> int:
    """Deletes jobs older than JOB_KEEP_DAYS and their files; returns how many. A file whose row is gone
    is no longer reachable, so the row goes first and a file that cannot be removed is only logged."""
    cutoff = (now or timezone.now()) - timedelta(days=JOB_KEEP_DAYS)
    old = list(Job.objects.filter(created_at__lt=cutoff).values_list("pk", "file"))
    if not old:
        return 0
    Job.objects.filter(pk__in=[pk for pk, _file in old]).delete()
    storage = Job._meta.get_field("file").storage
    for _pk, name in old:
        if name:
            try:
                storage.delete(name)
            except OSError:
                logger.warning("jobs: could not delete %s", name)
    return len(old)


def job_run(*, job_id: int) -> Job | None:
    """Runs a queued (or redelivered running) job: the kind writes its file into a temporary file, which is
    then kept in storage. A job already finished, or gone, is left alone (a redelivered message)."""
    claimed = (Job.objects.filter(pk=job_id, status__in=[JobStatus.QUEUED, JobStatus.RUNNING])
               .update(status=JobStatus.RUNNING, started_at=timezone.now(), done=0, total=None, error=""))
    if not claimed:
        return None
    job = Job.objects.get(pk=job_id)
    kind = JOB_KINDS.get(job.kind)

    def progress(done: int, total: int | None) -> None:
        # Autocommit: the job's page sees each step as it is written.
        Job.objects.filter(pk=job_id).update(done=done if total is None else min(done, total), total=total)

    try:
        if kind is None:
            raise JobRefused(_("未知的任务类型。"))
        with tempfile.TemporaryFile() as out:
            filename = import_string(kind.run)(job.params, out, progress)
            out.seek(0)
            # Stored under the job's id (ASCII); the person's file name is what the download says.
            job.file.save(f"{job.pk}-{job.kind}{PurePath(filename).suffix}", File(out, name=filename), save=False)
    except JobRefused as refused:
        return _job_finish(job, status=JobStatus.FAILED, error=str(refused))
    except Exception:
        logger.exception("jobs: job %s (%s) failed", job.pk, job.kind)
        return _job_finish(job, status=JobStatus.FAILED, error=_("任务执行出错，请稍后重试；如仍失败请联系管理员。"))
    job.filename = filename
    return _job_finish(job, status=JobStatus.SUCCEEDED)


def _job_finish(job: Job, *, status: str, error: str = "") -> Job:
    job.status, job.error, job.finished_at = status, error, timezone.now()
    job.done, job.total = Job.objects.filter(pk=job.pk).values_list("done", "total").get()
    if status == JobStatus.SUCCEEDED and job.total is None:
        job.total = job.done
    job.save(update_fields=["status", "error", "finished_at", "done", "total", "file", "filename"])
    return job
