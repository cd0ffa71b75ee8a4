"""The background jobs' pages (/jobs/), for every signed-in person: the history of jobs (who ran what,
when, with which outcome, how long), a job's page with its progress bar and its result, the status the
page polls, and the download of a job's file.

What a person sees is Job.objects.visible_to (their own jobs; union staff everyone's); a file is
downloaded by its creator only (downloadable_by). Someone else's job answers exactly like a missing one.
"""

from __future__ import annotations

from pathlib import PurePath

from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from competitions.jobs import JOB_KEEP_DAYS, job_kind_label, job_progress_text, job_started_with
from competitions.models import Job, JobStatus
from config import cursors
from config.gate import signed_in_page

PAGE = 50  # jobs per page of the history
FILE_TYPES = {".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
              ".csv": "text/csv; charset=utf-8", ".pdf": "application/pdf", ".zip": "application/zip"}
_CURSOR = "jobs"


def _visible_job(request, pk: int) -> Job:
    job = Job.objects.visible_to(request.user).select_related("created_by").filter(pk=pk).first()
    if job is None:
        raise Http404
    return job


def _downloadable(job: Job, user) -> bool:
    # The rule of Job.objects.downloadable_by, for a job already read.
    return job.status == JobStatus.SUCCEEDED and bool(job.file) and job.created_by_id == user.pk


def _duration_text(job: Job) -> str:
    """How long the job ran, for a person: seconds with a decimal under a minute, else minutes and seconds."""
    if job.duration is None:
        return ""
    seconds = job.duration.total_seconds()
    if seconds < 60:
        return _("%(s).1f 秒") % {"s": seconds}
    minutes, rest = divmod(round(seconds), 60)
    return _("%(m)s 分 %(s)s 秒") % {"m": minutes, "s": rest}


@signed_in_page
def job_list(request):
    """The history, newest first, paged by id (config.cursors). Staff see everyone's jobs, or with
    ``?mine=1`` their own. Two queries."""
    jobs = Job.objects.visible_to(request.user)
    mine = not request.scope.is_staff or request.GET.get("mine") == "1"
    if mine:
        jobs = jobs.filter(created_by=request.user)
    if request.GET.get("after"):
        try:
            (after,) = cursors.decode(_CURSOR, request.GET["after"], int)
        except cursors.InvalidCursor:
            after = None
        if after is not None:
            jobs = jobs.filter(pk__lt=after)
    # ``result`` is read (a few lines): it keeps the file's name, which the list shows in the reader's language.
    rows = list(jobs.select_related("created_by").defer("params", "error").order_by("-id")[: PAGE + 1])
    more = len(rows) > PAGE
    rows = rows[:PAGE]
    for job in rows:
        job.kind_label = job_kind_label(job)
        job.downloadable = _downloadable(job, request.user)
        job.duration_text = _duration_text(job) or "–"
    return render(request, "competitions/jobs/list.html", {
        "jobs": rows, "keep_days": JOB_KEEP_DAYS, "mine": mine, "everyone": request.scope.is_staff,
        "next_after": cursors.encode(_CURSOR, rows[-1].pk) if more else None})


@signed_in_page
def job_detail(request, pk: int):
    job = _visible_job(request, pk)
    return render(request, "competitions/jobs/detail.html", {
        "job": job, "kind_label": job_kind_label(job), "progress_text": job_progress_text(job),
        "duration_text": _duration_text(job), "started_with": job_started_with(job),
        "downloadable": _downloadable(job, request.user)})


@signed_in_page
def job_status(request, pk: int):
    """What the job page polls: status and progress (JSON)."""
    job = _visible_job(request, pk)
    return JsonResponse({"status": job.status, "done": job.done, "total": job.total, "percent": job.percent,
                         "finished": job.finished, "text": job_progress_text(job)})


@signed_in_page
def job_download(request, pk: int):
    """The job's file, to its creator only, named in the reader's language (Job.download_name; RFC 5987 in
    the header)."""
    job = Job.objects.downloadable_by(request.user).filter(pk=pk).first()
    if job is None or job.status != JobStatus.SUCCEEDED or not job.file:
        raise Http404
    try:
        handle = job.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    filename = job.download_name or f"{job.pk}.xlsx"
    return FileResponse(handle, as_attachment=True, filename=filename,
                        content_type=FILE_TYPES.get(PurePath(filename).suffix.lower(), "application/octet-stream"))


# The job pages' first addresses, under the staff workspace (/staff/standings/jobs/…): bookmarks and
# links in old messages keep working.
@signed_in_page
def old_job_list(request):
    return redirect("jobs:list", permanent=True)


@signed_in_page
def old_job_detail(request, pk: int):
    return redirect("jobs:detail", pk, permanent=True)


@signed_in_page
def old_job_status(request, pk: int):
    return redirect("jobs:status", pk, permanent=True)


@signed_in_page
def old_job_download(request, pk: int):
    return redirect("jobs:download", pk, permanent=True)
