"""Background jobs (Job): the kinds there are, starting one, running one.

A kind is a function named in JOB_KINDS, called as ``run(params, out, progress)`` (and ``user=`` the person
who started the job, for a kind with ``as_user``: what it may see and change is decided as for them). It
calls ``progress(done, total)`` now and then, and ends in one of two ways:

- it writes a file to ``out`` (binary) and returns the name the download gets (an export): a
  ``config.text.FileName``, kept in ``result["texts"]["filename"]`` so the download is named in the reader's
  language (Job.download_name), or a plain name;
- it returns a ``JobOutcome``: a few lines for the job's page (how many were imported, how many moved),
  a message, a link onwards. ``JobOutcome(ok=False)`` is work that was refused as a whole (an import
  whose rows have errors): the job fails with the message, its lines still shown.

It raises JobRefused with a message for the person when the job cannot be done at all (what it was about
is gone). The job runs in the language of the person who started it (Job.language: its file's words). What
its page says afterwards (its error, its result's message and lines) is read by others too (union staff) and
by the same person after switching language, so it is kept as config.stored_text keeps a text: worded in the
portal's language (``error``, ``result``) for the admin and rows written before, and with its message ids and
facts (``error_params``, ``result["texts"]``), shown in the reader's language (Job.error_text, Job.summary,
Job.message, Job.link_label). A kind words these with ``gettext_noop`` (a message id) and facts, not with
``gettext``.

job_start records the job and sends it to a Celery task after commit; the task calls job_run, which runs
the kind and keeps the result. A page only reads the Job row. With a ``once_key`` (what the job does: the
month it approves, the file it imports) a person's unfinished job of the same kind and key is returned
instead of a second one started: pressing the button twice, or two tabs, start the work once.

Progress while one transaction runs: an approval of a month or an import is all or nothing, one
transaction, and the Job row's updates made inside it would only show at its commit. So progress is
written through a connection of its own (autocommit, to the same database: _ProgressWriter), which the
job page reads at once; it never touches the rows the job works on, so it waits for nothing the job holds.
The last values are also kept in memory and saved with the outcome, so the finished job is right even when
a progress write could not be made (a job run inside a test's transaction, whose Job row the other
connection cannot see).

A job whose worker was killed (out of memory, a deploy) cannot record its end, and its Celery message comes
back only after the broker's visibility timeout (an hour): meanwhile it would stay "running" and hold its
once key, so the person's button stays blocked. The same connection therefore renews ``heartbeat_at`` while
the job's process lives: with each progress write, and from a thread every JOB_HEARTBEAT_SECONDS (a kind
may spend minutes in one statement or reading a file without reporting progress). A running job whose
heartbeat is older than JOB_STALE_MINUTES is marked failed with STALE_ERROR (jobs_fail_stale: a periodic
task, and job_start for the one job a press would be given), and the person may start it again at once.
A message redelivered for a job so marked does not run it: job_run claims only queued and running jobs, and
the person has been told to start it again. A job wrongly thought dead (its process alive but unable to
reach the database for that long) still records the outcome it reaches.

A new kind is one entry here and its function; nothing else changes.
"""

from __future__ import annotations

import hashlib
import json
import logging
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import PurePath

from django.conf import settings
from django.core.files import File
from django.db import DatabaseError, IntegrityError, connections, transaction
from django.db.models import BooleanField, ExpressionWrapper, Q
from django.db.models.functions import Now
from django.utils import timezone, translation
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop, ngettext
from psycopg import sql

from competitions.models import Job, JobStatus
from config.formatting import format_count
from config.stored_text import Refusal, StoredText, as_stored
from config.tasks import send_on_commit
from config.text import FileName

logger = logging.getLogger(__name__)

QUEUE_DOWN = StoredText(gettext_noop("任务队列暂时不可用，未能开始；请稍后再试。"))
STALE_ERROR = StoredText(gettext_noop("任务中断（处理进程已停止），请重新发起。"))
FAILED_ERROR = StoredText(gettext_noop("任务执行出错，请稍后重试；如仍失败请联系管理员。"))

Progress = Callable[[int, "int | None"], None]
# What a job's page says while it runs, unless its kind says otherwise (JobKind.progress_text).
PROGRESS_TEXT = gettext_lazy("已完成 %(done)s / %(total)s")
# What it says once its file is made, unless its kind says otherwise (JobKind.done_text): the rows counted.
# A message id with a form per count (English "Done: 1 row."), worded by ngettext when the page is read.
DONE_TEXT = gettext_noop("已完成，共 %(n)s 行。")


@dataclass(frozen=True)
class JobKind:
    label: str
    run: str  # dotted path of the function: imported when a job runs, so this module imports no kind's code
    # The kind acts for the person who started it: it is called with ``user=`` (None if the account is gone
    # or disabled: the kind refuses then).
    as_user: bool = False
    # What the page says while it runs; %(done)s, %(total)s and %(percent)s are filled in.
    progress_text: str = PROGRESS_TEXT
    # What it says once the file is made; %(n)s is the rows the job counted (its progress). A message id
    # (gettext_noop) with a plural entry in the catalogue: the form is chosen by that count.
    done_text: str = DONE_TEXT
    # Dotted path of a function of the job's params giving (label, value) lines of what it was started with
    # (a selection's filters), worded when its page is read, in the reader's language; "" for none.
    started_with: str = ""


@dataclass(frozen=True)
class JobOutcome:
    """What a job that makes no file ends with: ``summary`` lines (label, value) shown on the job's page
    in the order given, a ``message`` above them, and a ``link`` onwards (a URL of the portal, with its
    ``link_label``). ``ok=False``: the work was refused as a whole; the job fails with ``message``.
    The labels, the message and the link's label are message ids (gettext_noop) or StoredTexts, shown in
    the reader's language."""

    summary: dict[str | StoredText, object] = field(default_factory=dict)
    message: str | StoredText = ""
    link: str = ""
    link_label: str | StoredText = ""
    ok: bool = True

    def as_result(self) -> dict:
        labels = [as_stored(label) for label in self.summary]
        message, link_label = as_stored(self.message), as_stored(self.link_label)
        # A list of pairs, not an object: jsonb does not keep the order of an object's keys.
        values = self.summary.values()
        return {"summary": [[label.written(), value] for label, value in zip(labels, values, strict=True)],
                "message": message.written(), "link": self.link, "link_label": link_label.written(),
                "texts": {"summary": [label.as_json() for label in labels], "message": message.as_json(),
                          "link_label": link_label.as_json()}}


JOB_KINDS: dict[str, JobKind] = {
    "standings_day_xlsx": JobKind(gettext_lazy("每日排名导出"), "competitions.workspace.exports.day_xlsx",
                                  progress_text=gettext_lazy("已导出 %(done)s / %(total)s 行")),
    "standings_period_xlsx": JobKind(gettext_lazy("时段排名导出"), "competitions.workspace.exports.period_xlsx",
                                     progress_text=gettext_lazy("已导出 %(done)s / %(total)s 行")),
    "entries_import": JobKind(gettext_lazy("导入工作量"), "reviews.jobs.entries_import_job", as_user=True,
                              progress_text=gettext_lazy("正在导入…… %(percent)s%%")),
    "review_approve_all": JobKind(gettext_lazy("全部通过"), "reviews.jobs.review_approve_all_job", as_user=True,
                                  progress_text=gettext_lazy("已处理 %(done)s / %(total)s 条"),
                                  started_with="reviews.jobs.review_approve_all_started_with"),
    # The API's approve-matching, for a selection too large to approve inside the request.
    "review_approve_matching": JobKind(gettext_lazy("通过符合条件的录入"), "reviews.jobs.review_approve_matching_job",
                                       as_user=True, progress_text=gettext_lazy("已处理 %(done)s / %(total)s 条"),
                                       started_with="reviews.jobs.review_approve_matching_started_with"),
}

# The offices' exports and the monthly review report (reviews/reports.py).
# They run as the person who started them: the rows are those their page shows them.
JOB_KINDS |= {
    "entries_xlsx": JobKind(gettext_lazy("录入列表导出"), "reviews.reports.entries_xlsx", as_user=True,
                            progress_text=gettext_lazy("已导出 %(done)s / %(total)s 行")),
    "review_queue_xlsx": JobKind(gettext_lazy("审核队列导出"), "reviews.reports.queue_xlsx", as_user=True,
                                 progress_text=gettext_lazy("已导出 %(done)s / %(total)s 行")),
    "disputes_xlsx": JobKind(gettext_lazy("申诉列表导出"), "reviews.reports.disputes_xlsx", as_user=True,
                             progress_text=gettext_lazy("已导出 %(done)s / %(total)s 行")),
    "review_month_xlsx": JobKind(gettext_lazy("月度审核报表"), "reviews.reports.review_month_xlsx", as_user=True,
                                 progress_text=gettext_lazy("已写出退回明细 %(done)s / %(total)s 行"),
                                 # Its progress counts the rejected entries' sheet only: "共 0 行" read as an
                                 # empty report for a month without rejections.
                                 done_text=gettext_noop("报表已生成，其中退回明细 %(n)s 行。")),
}

# The union office's large membership work (members/membership_jobs.py): a big file of enrollment forms,
# and 批准全部 of many waiting forms. They run as the person who started them: the forms are theirs to decide.
JOB_KINDS |= {
    "membership_import": JobKind(gettext_lazy("导入入会申请"), "members.membership_jobs.applications_import_job",
                                 as_user=True, progress_text=gettext_lazy("正在导入…… %(percent)s%%")),
    "membership_approve_all": JobKind(gettext_lazy("批准全部入会申请"),
                                      "members.membership_jobs.applications_approve_all_job", as_user=True,
                                      progress_text=gettext_lazy("已处理 %(done)s / %(total)s 份")),
}

# Finished jobs and their files are deleted after this many days (when the next job starts): an export is
# fetched the day it is made, and a file of full names should not lie around.
JOB_KEEP_DAYS = 7
# Progress is written every this many rows: a few writes per second at export speed, not one per row.
PROGRESS_EVERY = 5000
# ... and not more often than this many seconds, whatever a kind reports: the page polls every second or two.
PROGRESS_MIN_SECONDS = 0.2


def job_started_with(job: Job) -> list[tuple[str, str]]:
    """The lines of what ``job`` was started with (JobKind.started_with), in the active language."""
    kind = JOB_KINDS.get(job.kind)
    return import_string(kind.started_with)(job.params or {}) if kind and kind.started_with else []


class JobRefused(Refusal):
    """The job cannot be done; the message is for the person who started it (and whoever reads the job), a
    message id with its facts: ``JobRefused(gettext_noop("超过 %(n)s 行…"), n=…)``, or a refusal's ``text``."""


def parked_upload(params: dict, *, user) -> tuple[str, str, bytes]:
    """The upload an import job works on: (token, name, content) of the file ``user`` parked under
    ``params["token"]`` (config.parked_uploads); JobRefused when it has expired or is not theirs."""
    from config import parked_uploads

    token = params.get("token")
    stored = parked_uploads.parked(user_id=user.pk, token=token) if token else None
    if stored is None:
        raise JobRefused(gettext_noop("导入文件已过期，请重新上传。"))
    return token, *stored


def once_key_of(value) -> str:
    """A once key of any JSON value (a tuple of ids and filters): its digest, so any selection fits the
    column and no filter value is kept twice."""
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def job_start(*, kind: str, params: dict, user, once_key=None) -> Job:
    """Records a job of ``kind`` and sends it to the task queue once the record is committed. Old jobs are
    deleted first (job_purge). A queue that cannot be reached fails the job at once, its page says so.

    With ``once_key`` (any JSON value), ``user``'s unfinished job of this kind and key is returned if
    there is one (its ``reused`` is True) instead of a second started."""
    if kind not in JOB_KINDS:
        raise ValueError(f"unknown job kind {kind!r}")
    job_purge()
    from competitions.tasks import run_job

    key = once_key_of(once_key) if once_key is not None else ""
    unfinished = Job.objects.filter(created_by=user, kind=kind, once_key=key,
                                    status__in=[JobStatus.QUEUED, JobStatus.RUNNING])
    # Whether the earlier job's process died is read with it (the database's clock, as the heartbeat's).
    earlier = (unfinished.annotate(stale=ExpressionWrapper(_stale(), output_field=BooleanField())).first()
               if key else None)
    if earlier is not None and earlier.stale:
        # Its process died: it is failed now (freeing the once key) and this press starts the work again.
        jobs_fail_stale(pk=earlier.pk)
    elif earlier is not None:
        earlier.reused = True
        return earlier
    try:
        with transaction.atomic():
            job = Job.objects.create(kind=kind, params=params, created_by=user, once_key=key,
                                     language=translation.get_language() or settings.LANGUAGE_CODE)
            send_on_commit(run_job, job.pk, unsent=lambda: Job.objects.filter(pk=job.pk, status=JobStatus.QUEUED)
                           .update(status=JobStatus.FAILED, error=QUEUE_DOWN.written(),
                                   error_params=QUEUE_DOWN.as_json(), finished_at=timezone.now()))
    except IntegrityError:
        # The same press, a moment earlier, from another request (job_once_while_unfinished).
        earlier = unfinished.first()
        if earlier is None:
            raise
        earlier.reused = True
        return earlier
    job.reused = False
    return job


def _stale() -> Q:
    """Running jobs whose process stopped renewing the heartbeat JOB_STALE_MINUTES ago (a job claimed before
    heartbeats were kept counts from its start)."""
    cutoff = Now() - timedelta(minutes=settings.JOB_STALE_MINUTES)
    return Q(status=JobStatus.RUNNING) & (Q(heartbeat_at__lt=cutoff)
                                          | Q(heartbeat_at__isnull=True, started_at__lt=cutoff))


def jobs_fail_stale(**which) -> int:
    """Marks failed, with STALE_ERROR, the running jobs (those matching the filters ``which``, or all) whose
    heartbeat stopped: their process died. One statement; returns how many."""
    failed = Job.objects.filter(_stale(), **which).update(status=JobStatus.FAILED, error=STALE_ERROR.written(),
                                                          error_params=STALE_ERROR.as_json(), finished_at=Now())
    if failed:
        logger.warning("jobs: %s running job(s) failed: no heartbeat for %s minutes", failed,
                       settings.JOB_STALE_MINUTES)
    return failed


def jobs_preload() -> None:
    """Loads what a process's first job would otherwise load on the person's time (a second or more: the
    first 200-row import of a fresh process took 3.6 s against 0.2 s for the next): every kind's module with
    what it imports, the URL patterns (an outcome links to a page) and the translation catalogues (a job
    speaks its starter's language). The Celery worker calls it once before it forks its pool
    (config.celery_app), so each pool process starts with them. It opens no connection."""
    from django.urls import get_resolver

    for kind in JOB_KINDS.values():
        import_string(kind.run)
    get_resolver().url_patterns  # noqa: B018 (reading it imports every urls module)
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            pass


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


def job_kind_label(job: Job) -> str:
    """The job's kind as a person reads it (in the active language); the kind's key for a kind no longer known."""
    kind = JOB_KINDS.get(job.kind)
    return str(kind.label) if kind else job.kind


def job_progress_text(job: Job) -> str:
    """What the job's page and its status say about how far the job got."""
    if job.status == JobStatus.QUEUED:
        return _("排队中，等待开始……")
    if job.status == JobStatus.RUNNING and job.total:
        kind = JOB_KINDS.get(job.kind)
        text = kind.progress_text if kind else PROGRESS_TEXT
        return str(text) % {"done": format_count(job.done), "total": format_count(job.total), "percent": job.percent}
    if job.status == JobStatus.RUNNING:
        return _("正在准备……")
    if job.status == JobStatus.SUCCEEDED and job.filename:
        kind = JOB_KINDS.get(job.kind)
        text = kind.done_text if kind else DONE_TEXT
        return ngettext(text, text, job.done) % {"n": format_count(job.done)}
    return job.get_status_display()


class _ProgressWriter:
    """``progress(done, total)`` for one job: kept in memory, and written to the Job row through a
    connection of its own in autocommit, so the page sees it while the job's own transaction is still
    open. Writes come at most every PROGRESS_MIN_SECONDS; one that fails is logged and skipped (progress is
    a courtesy; the outcome is saved by the job's own connection).

    The same connection keeps the job's heartbeat: each progress write renews ``heartbeat_at``, and a
    thread started with the job (``open``) renews it when no write has for JOB_HEARTBEAT_SECONDS. That
    thread also opens the connection: connecting costs tens of milliseconds, mostly waiting for the server,
    which the job spends reading its file meanwhile instead. The job's thread and the heartbeat's share the
    connection explicitly, one statement at a time (a lock)."""

    def __init__(self, job_id: int):
        self.job_id = job_id
        self.done, self.total = 0, None
        self._connection = None
        self._beating: threading.Thread | None = None
        self._ready = threading.Event()
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._written_at = 0.0
        self._tried_at = time.monotonic()  # the last write tried: the heartbeat's next is due from then
        table = sql.Identifier(Job._meta.db_table)
        self._update = sql.SQL("UPDATE {} SET done = %s, total = %s, heartbeat_at = now() WHERE id = %s").format(table)
        # Only while running: a job marked failed meanwhile is not made to look alive again.
        self._beat = sql.SQL("UPDATE {} SET heartbeat_at = now() WHERE id = %s AND status = %s").format(table)

    def open(self) -> None:
        """Starts the heartbeat thread, which connects first; the first write waits for the connection."""
        self._beating = threading.Thread(target=self._keep_beating, name=f"job-{self.job_id}-heartbeat",
                                         daemon=True)
        self._beating.start()

    def _keep_beating(self) -> None:
        # A second connection to the same database (the test database in tests), not shared with the
        # job's: Django's own wrapper, so it has the same settings and autocommit.
        connection = connections.create_connection("default")
        connection.inc_thread_sharing()
        try:
            connection.ensure_connection()
        except DatabaseError:
            logger.warning("jobs: progress connection of job %s not opened", self.job_id, exc_info=True)
        finally:
            # Whatever happened, the job's first write must not wait for ever (it reconnects, or logs).
            self._connection = connection
            self._ready.set()
        every = settings.JOB_HEARTBEAT_SECONDS
        while not self._stop.wait(max(0.0, self._tried_at + every - time.monotonic())):
            if time.monotonic() - self._tried_at >= every:
                self._write(self._beat, [self.job_id, JobStatus.RUNNING.value], what="heartbeat")

    def _opened(self):
        if self._beating is not None:
            self._ready.wait()
        elif self._connection is None:
            self._connection = connections.create_connection("default")
        return self._connection

    def _write(self, statement, params, *, what: str) -> None:
        with self._lock:
            connection = self._opened()
            self._tried_at = time.monotonic()
            try:
                with connection.cursor() as cursor:
                    cursor.execute(statement, params)
            except DatabaseError:
                logger.warning("jobs: %s of job %s not written", what, self.job_id, exc_info=True)
                # A broken connection is opened anew by the next write rather than failing every one.
                connection.close()

    def __call__(self, done: int, total: int | None) -> None:
        done = max(0, int(done))
        total = None if total is None else max(0, int(total))
        self.done, self.total = (done if total is None else min(done, total)), total
        now = time.monotonic()
        if now - self._written_at < PROGRESS_MIN_SECONDS:
            return
        self._written_at = now
        self._write(self._update, [self.done, self.total, self.job_id], what="progress")

    def close(self) -> None:
        if self._beating is not None:
            self._stop.set()
            self._beating.join()
        if self._beating is not None or self._connection is not None:
            connection = self._opened()
            self._beating = self._connection = None
            connection.close()
            if connection.allow_thread_sharing:
                connection.dec_thread_sharing()


def job_run(*, job_id: int) -> Job | None:
    """Runs a queued (or redelivered running) job: the kind writes its file into a temporary file, which is
    then kept in storage, or returns its outcome. A job already finished, or gone, is left alone (a
    redelivered message), and so is one failed because its process died (jobs_fail_stale): its person was
    told to start it again."""
    claimed = (Job.objects.filter(pk=job_id, status__in=[JobStatus.QUEUED, JobStatus.RUNNING])
               .update(status=JobStatus.RUNNING, started_at=timezone.now(), heartbeat_at=Now(), done=0, total=None,
                       error=""))
    if not claimed:
        return None
    job = Job.objects.select_related("created_by").get(pk=job_id)
    with translation.override(job.language or settings.LANGUAGE_CODE):
        return _job_run(job)


def _job_run(job: Job) -> Job:
    kind = JOB_KINDS.get(job.kind)
    progress = _ProgressWriter(job.pk)
    progress.open()
    filename = None
    try:
        if kind is None:
            raise JobRefused(gettext_noop("未知的任务类型。"))
        run = import_string(kind.run)
        with tempfile.TemporaryFile() as out:
            if kind.as_user:
                user = job.created_by if job.created_by is not None and job.created_by.is_active else None
                if user is None:
                    raise JobRefused(gettext_noop("发起任务的账号已不可用。"))
                ended = run(job.params, out, progress, user=user)
            else:
                ended = run(job.params, out, progress)
            if not isinstance(ended, JobOutcome):
                filename = str(ended)
                out.seek(0)
                # Stored under the job's id (ASCII); the person's file name is what the download says.
                job.file.save(f"{job.pk}-{job.kind}{PurePath(filename).suffix}", File(out, name=filename),
                              save=False)
    except JobRefused as refused:
        return _job_finish(job, progress, status=JobStatus.FAILED, error=refused.text)
    except Exception:
        logger.exception("jobs: job %s (%s) failed", job.pk, job.kind)
        return _job_finish(job, progress, status=JobStatus.FAILED, error=FAILED_ERROR)
    finally:
        progress.close()
    if isinstance(ended, JobOutcome):
        job.result = ended.as_result()
        if not ended.ok:
            return _job_finish(job, progress, status=JobStatus.FAILED, error=as_stored(ended.message))
    else:
        job.filename = filename
        if isinstance(ended, FileName):
            job.result = {"texts": {"filename": ended.as_json()}}
    return _job_finish(job, progress, status=JobStatus.SUCCEEDED)


def _job_finish(job: Job, progress: _ProgressWriter, *, status: str, error: StoredText | None = None) -> Job:
    job.status, job.finished_at = status, timezone.now()
    job.error, job.error_params = (error.written(), error.as_json()) if error is not None else ("", {})
    job.done, job.total = progress.done, progress.total
    if status == JobStatus.SUCCEEDED:
        # Finished is all of it, whatever the last report said (a count taken before the work began).
        job.total = job.done if job.total is None else max(job.total, job.done)
        job.done = job.total
    job.save(update_fields=["status", "error", "error_params", "finished_at", "done", "total", "file", "filename",
                            "result"])
    return job
