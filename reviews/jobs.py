"""The reviews' background jobs (kinds of competitions.jobs.JOB_KINDS): a clerk's large import, a
reviewer's 全部通过 of the queue's selection, and the API's approve-matching of a selection too large for its
request. Each runs as the person who started it: what they may enter or review is decided again here, as it
would be in the page or the API.

Each is all or nothing, one transaction, with the progress written beside it (competitions.jobs).
"""

from __future__ import annotations

from datetime import date
from urllib.parse import urlencode

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Max, Min
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from competitions.jobs import JobOutcome, JobRefused, Progress, parked_upload
from competitions.models import BusinessSystem, Competition
from config import parked_uploads
from config.formatting import display_date, display_month, format_count
from config.months import format_month, parse_month
from config.stored_text import Month, StoredText
from members.scope import scope_of
from reviews.entry_log import partition_logs_moves, staged_approvals
from reviews.imports import ImportFileError
from reviews.models import EntryStatus, PendingEntry
from reviews.partitions import partition_name
from reviews.queue import name_now, queue_filter_lines, queue_filters, queue_selection
from reviews.services import entries_import
from reviews.validation import EntryRejected
from reviews.workflow import (
    DENSE_RANGE,
    QueueRange,
    TransitionRefused,
    TransitionResult,
    entries_transition,
    lock_systems,
)

# A month's approval is cut into this many statements (by ranges of entry ids), so that its page can show
# how far it got; each is still one set-based UPDATE of a tenth of the month.
APPROVE_CHUNKS = 10
# The API's approve-matching approves up to this many entries inside the request (about a second at seed
# scale); a larger selection (a business system's month is 200,000 to 1,300,000 entries at seed scale, ten
# times that at 10x) goes to a background job (review_approve_matching_job), as the queue's 全部通过 does:
# in the request it would run into the web processes' statement time limit (WEB_STATEMENT_TIMEOUT_MS) and
# gunicorn's worker timeout.
APPROVE_IN_REQUEST_MAX = 50_000


def entries_import_job(params: dict, out, progress: Progress, *, user) -> JobOutcome:
    """Imports the parked file ``params["token"]`` of ``user`` into the competition ``params["competition"]``
    (reviews.services.entries_import: all or nothing, or only the good rows with ``save_valid_only``)."""
    competition = Competition.objects.filter(pk=params.get("competition")).first()
    if competition is None:
        raise JobRefused(gettext_noop("该竞赛已不存在。"))
    token, name, content = parked_upload(params, user=user)
    progress(0, 2)
    try:
        result = entries_import(actor=user, competition=competition, name=name, content=content,
                                save_valid_only=bool(params.get("save_valid_only")),
                                checked=lambda: progress(1, 2))
    except ImportFileError as error:
        raise JobRefused(error.text) from None
    except EntryRejected as error:
        # Nothing saved; the file stays parked, so its bad rows can still be fetched and fixed.
        return JobOutcome(summary={gettext_noop("有问题的行"): len({e.row for e in error.errors}),
                                   gettext_noop("已导入"): 0},
                          message=gettext_noop("文件有错误，未保存任何录入。"),
                          link=reverse("entries:import_bad_rows", args=[token]),
                          link_label=gettext_noop("下载有问题的行"), ok=False)
    parked_uploads.unpark(user_id=user.pk, token=token)
    return JobOutcome(summary={gettext_noop("已导入"): result.created_count,
                               gettext_noop("有问题未导入的行"): len({e.row for e in result.errors})},
                      message=StoredText(gettext_noop("已导入 %(n)s 条录入，待审核。"),
                                         {"n": format_count(result.created_count)},
                                         plural=gettext_noop("已导入 %(n)s 条录入，待审核。"),
                                         count=result.created_count),
                      link=reverse("entries:list"), link_label=gettext_noop("查看录入"))


def _approval_summary(result: TransitionResult) -> dict:
    """An approval job's lines: how many were approved, and how many were the person's own work, skipped."""
    summary = {gettext_noop("已通过"): result.moved}
    if result.skipped_own:
        summary[gettext_noop("本人的或本人录入、修改过的，已跳过")] = result.skipped_own
    return summary


def approve_in_background(entries) -> bool:
    """Whether the API's approve-matching of ``entries`` goes to a background job: more than
    APPROVE_IN_REQUEST_MAX of them, counted no further than that (the count costs the same for a month as for a
    day)."""
    return entries.order_by()[:APPROVE_IN_REQUEST_MAX + 1].count() > APPROVE_IN_REQUEST_MAX


def review_approve_all_job(params: dict, out, progress: Progress, *, user) -> JobOutcome:
    """Approves every entry the review queue's filters (``params["filters"]``) select in a business
    system's month, as the page would (reviews.queue, reviews.workflow.entries_transition): the person's
    own entries are skipped, and counted."""
    competition = Competition.objects.filter(pk=params.get("competition")).first()
    system = BusinessSystem.objects.filter(pk=params.get("system")).first()
    try:
        month = parse_month(params.get("month"))
    except ValidationError:
        month = None
    if competition is None or system is None or month is None:
        raise JobRefused(gettext_noop("要审核的竞赛、业务系统或月份已不存在。"))
    if not scope_of(user).may_review(system.pk):
        raise JobRefused(gettext_noop("您不负责该业务系统的审核。"))
    filters = params.get("filters") or {}
    entries, status = queue_selection(user=user, competition=competition, system=system, month=month,
                                      filters=filters)
    # The page's default view, the month's whole queue: its size is the queue table's for the month.
    whole_queue = status == EntryStatus.PENDING and not (queue_filters(filters).keys() - {"status"})
    try:
        result = entries_approve_in_steps(actor=user, entries=entries, system=system, progress=progress,
                                          month=month, queue=(competition.pk, month) if whole_queue else None)
    except TransitionRefused as refused:
        raise JobRefused(refused.text) from None
    return JobOutcome(summary=_approval_summary(result),
                      message=StoredText(gettext_noop("%(system)s %(month)s：已通过 %(n)s 条。"), {
                          "system": system.name, "month": Month(month), "n": format_count(result.moved)},
                          plural=gettext_noop("%(system)s %(month)s：已通过 %(n)s 条。"), count=result.moved),
                      # Back to the queue as it was when the job was started: its filters too.
                      link=f"{reverse('review:queue')}?" + urlencode(
                          {**queue_filters(filters), "system": system.pk, "month": format_month(month)}),
                      link_label=gettext_noop("返回审核队列"))


def review_approve_all_started_with(params: dict) -> list[tuple[str, str]]:
    """What a 全部通过 job was started with, for its page in the reader's language: the business system, the
    month and the queue's filters (reviews.queue.queue_filter_lines). Its params hold ids, a month and the
    filters (a worker only by employee number): named here, when the page is read."""
    system = BusinessSystem.objects.filter(pk=params.get("system")).values_list("name", flat=True).first()
    try:
        month = display_month(parse_month(params.get("month")))
    except ValidationError:
        month = "–"
    return [(_("业务系统"), system or "–"), (_("月份"), month),
            *queue_filter_lines(params.get("filters") or {})]


@transaction.atomic
def entries_approve_in_steps(*, actor, entries, system, progress: Progress, month=None, queue=None) -> TransitionResult:
    """``entries_transition`` to approved of all of ``entries`` (one business system's), all or nothing, in
    APPROVE_CHUNKS statements over ranges of ids with the progress reported after each. The system's lock
    is taken first, so the count is of what the steps will find (no other review moves them meanwhile).

    ``queue`` is (competition id, month) when ``entries`` are exactly that month's queue (PendingEntry)
    in ``system``: their number and id range are then read from the queue table's index alone, instead
    of a pass over the month's entries before the first step, and each step's UPDATE is driven by the
    queue rows of its range (workflow.QueueRange). ``month``: the month of every one of
    ``entries``, when known (see entries_transition); the steps then store their audit facts in batches
    (reviews.models.EntryBatchEvent)."""
    lock_systems([system.pk])
    if queue is not None:
        competition_id, month = queue
        bounds = (PendingEntry.objects.filter(business_system_id=system.pk, competition_id=competition_id,
                                              month=month)
                  .aggregate(n=Count("*"), low=Min("entry_id"), high=Max("entry_id")))
    else:
        bounds = entries.order_by().aggregate(n=Count("id"), low=Min("id"), high=Max("id"))
    total = bounds["n"]
    progress(0, total)
    moved = skipped_own = 0
    if not total:
        return TransitionResult(moved=0)
    span = bounds["high"] - bounds["low"] + 1
    step = -(-span // APPROVE_CHUNKS)
    # When the month's queue rows are at least one id in DENSE_RANGE of their range (entered or imported by
    # themselves), each step reads its entries through the entries' key (workflow.DENSE_RANGE).
    dense = total * DENSE_RANGE >= span
    # Each step names the month's partition, whose log trigger keeps the new rows only (5% of a step), when it
    # carries that trigger (every partition the portal makes does).
    partition = partition_name(month) if queue is not None else None
    if partition is not None and not partition_logs_moves(partition):
        partition = None
    # Each step's approval-log rows (one per worker it moved) are staged and written into the log once, one per
    # worker, for the night after (entry_log.staged_approvals).
    with staged_approvals(within=queue):
        for low in range(bounds["low"], bounds["high"] + 1, step):
            # The range is also put on the queue table's key (PendingEntry.entry_id, its primary key): only
            # pending entries are approved, and a step then reads its own part of the month's queue rather
            # than all of it again.
            part = entries.filter(id__gte=low, id__lt=low + step, pending__entry_id__gte=low,
                                  pending__entry_id__lt=low + step)
            result = entries_transition(
                actor=actor, entries=part, to_status=EntryStatus.APPROVED, systems=[system.pk], month=month,
                queue=(QueueRange(competition_id, system.pk, month, low, low + step, dense, partition)
                       if queue is not None else None),
                # The step's audit facts as a few rows of ids (EntryBatchEvent) rather than a row per entry.
                in_batches=month is not None)
            moved += result.moved
            skipped_own += result.skipped_own
            progress(moved + skipped_own, total)
    return TransitionResult(moved=moved, skipped_own=skipped_own)


def review_approve_matching_job(params: dict, out, progress: Progress, *, user) -> JobOutcome:
    """Approves every pending entry that the API's approve-matching criteria (``params["criteria"]``) select
    among those ``user`` may review (reviews.api.filters.pending_matching, read again now), one business system
    (and competition, for a month's queues) after another (entries_approve_in_steps), all or nothing; the
    person's own entries are skipped, and counted.
    Started by the API for a selection larger than APPROVE_IN_REQUEST_MAX."""
    from reviews.api.filters import pending_matching

    criteria = params.get("criteria") or {}
    matching = pending_matching(user, criteria)
    try:
        month = parse_month(criteria.get("month"))
    except ValidationError:
        month = None
    if month is None or not matching.is_valid():
        raise JobRefused(gettext_noop("审核条件无效。"))
    entries = matching.qs
    # A month with no criteria but the competition and the business system is, in each (business system,
    # competition), exactly that month's queue: each step is then driven by the queue table's rows
    # (entries_approve_in_steps), as the portal's 全部通过. Other criteria: the selection, one system at a time.
    given = {key for key, value in criteria.items() if value not in (None, "")}  # an empty one filters nothing
    whole_queues = not (given - {"month", "competition", "business_system"})
    if whole_queues:
        sizes = {(system_id, competition_id): n for system_id, competition_id, n in entries.order_by().values_list(
            "business_system_id", "competition_id").annotate(n=Count("id"))}
    else:
        sizes = {(system_id, None): n for system_id, n in entries.order_by().values_list(
            "business_system_id").annotate(n=Count("id"))}
    systems = BusinessSystem.objects.in_bulk({system_id for system_id, _competition in sizes})
    total = sum(sizes.values())
    moved = skipped_own = 0
    progress(0, total)
    with transaction.atomic():
        for system_id, competition_id in sorted(sizes, key=lambda part: (part[0], part[1] or 0)):
            before = moved + skipped_own

            def overall(done, _total, before=before):
                progress(before + done, total)

            part = entries.filter(business_system_id=system_id)
            if competition_id is not None:
                part = part.filter(competition_id=competition_id)
            try:
                result = entries_approve_in_steps(
                    actor=user, entries=part, system=systems[system_id], progress=overall, month=month,
                    queue=(competition_id, month) if competition_id is not None else None)
            except TransitionRefused as refused:
                raise JobRefused(refused.text) from None
            moved += result.moved
            skipped_own += result.skipped_own
    return JobOutcome(summary=_approval_summary(TransitionResult(moved=moved, skipped_own=skipped_own)),
                      message=StoredText(gettext_noop("%(month)s：已通过 %(n)s 条。"),
                                         {"month": Month(month), "n": format_count(moved)},
                                         plural=gettext_noop("%(month)s：已通过 %(n)s 条。"), count=moved))


def review_approve_matching_started_with(params: dict) -> list[tuple[str, str]]:
    """What an approve-matching job was started with, for its page in the reader's language: the month, then
    each other criterion by name as it is now (one query each that is set; a worker by employee number), or
    its id marked deleted."""
    from competitions.models import JobType, ScoringRule
    from members.models import Unit, Worker

    criteria = params.get("criteria") or {}
    try:
        month = display_month(parse_month(criteria.get("month")))
    except ValidationError:
        month = "–"
    lines = [(_("月份"), month)]
    named = [("competition", _("劳动竞赛"), Competition.objects, ("name",)),
             ("business_system", _("业务系统"), BusinessSystem.objects, ("name",)),
             ("unit", _("单位"), Unit.objects, ("name",)), ("job_type", _("工种"), JobType.objects, ("name",)),
             ("rule", _("计分规则"), ScoringRule.objects, ("job_type__name", "metric")),
             ("worker", _("职工"), Worker.objects, ("employee_no",))]
    for key, label, queryset, fields in named:
        pk = criteria.get(key)
        if isinstance(pk, int):
            lines.append((label, name_now(queryset, pk, *fields)))
    try:
        day = date.fromisoformat(criteria["work_date"]) if criteria.get("work_date") else None
    except (TypeError, ValueError):
        day = None
    if day is not None:
        lines.append((_("工作日期"), display_date(day)))
    return lines
