"""The union office's background jobs (kinds of competitions.jobs.JOB_KINDS): a large file of enrollment
forms, and 批准全部待审批 when many are waiting. Each runs as the person who started it: which workers and
forms are theirs is decided again here (members.membership_imports, MembershipApplication.decidable_by),
as it would be in the page. Both are all or nothing, one transaction, as their inline versions are.
"""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_noop

from competitions.jobs import JobOutcome, JobRefused, Progress, parked_upload
from config import parked_uploads
from config.formatting import format_count
from config.stored_text import StoredText
from members import membership_imports as imports
from members.membership import MembershipRefused, applications_approve
from members.models import ApplicationStatus, MembershipApplication
from reviews.imports import ImportFileError
from reviews.validation import EntryRejected

# "批准全部待审批" of more forms than this runs as a job: one statement numbers and audits each form, about
# as many rows a second as an import writes, so up to this many stay well inside a request.
APPROVE_BACKGROUND_COUNT = 2_000


def approve_all_in_background(user) -> bool:
    """Whether ``user``'s 批准全部 would approve more than APPROVE_BACKGROUND_COUNT forms (a capped count)."""
    waiting = MembershipApplication.objects.decidable_by(user).filter(status=ApplicationStatus.SUBMITTED)
    return len(waiting.values_list("id", flat=True)[:APPROVE_BACKGROUND_COUNT + 1]) > APPROVE_BACKGROUND_COUNT


def applications_import_job(params: dict, out, progress: Progress, *, user) -> JobOutcome:
    """Imports the parked file ``params["token"]`` of ``user`` (members.membership_imports.applications_import:
    every form or none)."""
    token, name, content = parked_upload(params, user=user)
    progress(0, 1)
    try:
        count = imports.applications_import(actor=user, name=name, content=content)
    except ImportFileError as error:
        raise JobRefused(error.text) from None
    except EntryRejected as error:
        # Nothing saved; the file stays parked, so its bad rows can still be fetched and fixed.
        bad = len({e.row for e in error.errors if e.row})
        return JobOutcome(summary={gettext_noop("有问题的行"): bad, gettext_noop("已导入"): 0},
                          message=gettext_noop("文件有错误，未保存任何入会申请。") if bad else error.errors[0].text,
                          link=reverse("union:import_applications_bad_rows", args=[token]) if bad else "",
                          link_label=gettext_noop("下载有问题的行") if bad else "", ok=False)
    parked_uploads.unpark(user_id=user.pk, token=token)
    progress(1, 1)
    return JobOutcome(summary={gettext_noop("已导入"): count},
                      message=StoredText(gettext_noop("已导入 %(n)s 份入会申请，待审批。"), {"n": format_count(count)}),
                      link=reverse("union:applications"), link_label=gettext_noop("查看入会申请"))


def applications_approve_all_job(params: dict, out, progress: Progress, *, user) -> JobOutcome:
    """Approves every form still 待审批 that ``user`` may decide, with the date of joining
    ``params["joined_on"]`` (the day of approval when empty): one statement, as the page's."""
    from config.spreadsheets import DATE_INVALID, cell_date

    try:
        joined_on = cell_date(params.get("joined_on"))
    except ValueError:
        raise JobRefused(DATE_INVALID) from None
    ids = list(MembershipApplication.objects.decidable_by(user).filter(status=ApplicationStatus.SUBMITTED)
               .values_list("id", flat=True))
    progress(0, len(ids))
    try:
        count = applications_approve(actor=user, application_ids=ids, joined_on=joined_on)
    except MembershipRefused as refused:
        raise JobRefused(refused.text) from None
    progress(len(ids), len(ids))
    summary = {gettext_noop("已批准"): count}
    if len(ids) > count:
        # Decided by someone else between the count and the statement.
        summary[gettext_noop("已由他人处理，未再批准")] = len(ids) - count
    return JobOutcome(summary=summary,
                      message=StoredText(gettext_noop("已批准 %(n)s 份入会申请。"), {"n": format_count(count)},
                                         plural=gettext_noop("已批准 %(n)s 份入会申请。"), count=count),
                      link=reverse("union:applications"), link_label=gettext_noop("返回入会申请"))
