"""What the offices count and export: the month of a business system per depot (the review progress page,
the sign-off page, the monthly review report), and the office lists as xlsx files.

The exports are background job kinds (competitions.jobs.JOB_KINDS) that run as the person who started
them and list exactly what that person's page lists, through the same filter function and the same
``visible_to``/``editable_by``/``reviewable_by`` queryset: a job never exports more than its page shows,
even if the person's roles changed after it was started. Rows are read from a server-side
cursor a chunk at a time and written to a constant-memory workbook (competitions.workspace.exports.
write_rows, the standings exports' writer), with the job's progress after each chunk.

The monthly review report is a handful of GROUP BY statements over the month's entries (index
entry_system_day), then the month's rejected entries row by row: no statement per depot or per entry.
"""

from __future__ import annotations

from datetime import date, timedelta
from itertools import islice

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db.models import Count, Exists, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from competitions.jobs import PROGRESS_EVERY, JobRefused, Progress
from competitions.models import BusinessSystem, Competition
from competitions.workspace.exports import write_about, write_rows
from config.months import format_month, month_bounds, parse_month
from config.spreadsheets import XlsxStream
from config.stored_text import StoredText, label_text, shown
from config.tasks import send_on_commit
from config.text import FileName
from members.models import Unit, UnitLevel, Worker
from members.scope import scope_of
from reviews.models import Dispute, DisputeStatus, EntryFlag, EntryStatus, ReviewPeriod, WorkEntry
from reviews.querysets import shown_status_expression
from reviews.queue import FILTERS as QUEUE_FILTERS
from reviews.queue import queue_selection

# An .xlsx sheet holds 1,048,576 rows; an export that would not fit is refused before it starts.
MAX_ROWS = 1_000_000

DEPOT = ("unit__depot__path", "unit__depot__name")  # month_by_depot's grouping: the depot (站段)
UNIT = ("unit__depot__path", "unit__depot__name", "unit__path", "unit__name")  # the entry's own unit


def month_by_depot(competition, system, month, *, by=DEPOT) -> list[dict]:
    """What a sign-off locks, per depot (站段; ``by=UNIT``: per unit the entries were made for): the month's
    entries by status (``n_<status>``), their ``total``, and how many carry a review hint (``flagged``).
    Approved entries count as locked (``n_locked``) once the month is signed off (WorkEntry.shown_status).
    One aggregate over the month's entries (index entry_system_day)."""
    first, following = month_bounds(month)
    # Whether the month is signed off: one sub-select for the whole statement (it names no entry column).
    locked = Q(Exists(ReviewPeriod.objects.signed_off().filter(competition=competition, business_system=system,
                                                               month=month)))
    approved = Q(status=EntryStatus.APPROVED)
    by_status = {f"n_{value}": Count("id", filter=Q(status=value)) for value in EntryStatus.values}
    by_status.update(n_approved=Count("id", filter=approved & ~locked), n_locked=Count("id", filter=approved & locked))
    return list(WorkEntry.objects.filter(competition=competition, business_system=system, work_date__gte=first,
                                         work_date__lt=following)
                .values(*by)
                .annotate(total=Count("id"), flagged=Count("id", filter=~Q(flags=0)), **by_status)
                .order_by(*by[::2]))


def system_depots(system):
    """Depots with workers in this business system (a few hundred at most): the queue's unit filter, and
    the depots the review progress expects entries from."""
    depot_ids = Worker.objects.filter(job_type__business_system=system).values("unit__depot_id")
    return Unit.objects.filter(level=UnitLevel.DEPOT, pk__in=depot_ids).order_by("path")


def reviewed_share(row: dict) -> float | None:
    """The share of a depot's entries reviewed (not pending any more), in percent; None without entries."""
    return round(100 * (row["total"] - row["n_pending"]) / row["total"], 1) if row["total"] else None


def review_progress(competition, system, month) -> dict:
    """The review progress page's figures: ``depots`` (month_by_depot's rows, each with ``approved``
    = approved or locked and ``reviewed`` = reviewed_share), their ``totals``, ``silent``: the names of
    the depots with workers of the system that have entered nothing for the month yet, and when they were
    ``computed_at``. Two queries, the first over the whole month."""
    computed_at = timezone.now()
    depots = month_by_depot(competition, system, month)
    for row in depots:
        row["approved"] = row["n_approved"] + row["n_locked"]
        row["reviewed"] = reviewed_share(row)
    totals = {key: sum(row[key] for row in depots)
              for key in ("total", "flagged", "approved", *(f"n_{value}" for value in EntryStatus.values))}
    totals["reviewed"] = reviewed_share(totals)
    entered = {row["unit__depot__path"] for row in depots}
    silent = [name for name, path in system_depots(system).values_list("name", "path") if path not in entered]
    return {"depots": depots, "totals": totals, "silent": silent, "computed_at": computed_at}


# The progress page shows a copy of review_progress kept in the cache: at seed scale one system's month is
# about 740,000 entries spread over the whole entries table, and counting them takes far longer than a page
# may. A copy older than PROGRESS_FRESH is shown while a Celery task counts again (one at a time per month);
# without a copy (the first look at a month that day, or Redis away) the page counts itself, as the
# sign-off page always does. The page says when its figures were counted.
PROGRESS_FRESH = timedelta(minutes=1)
PROGRESS_KEEP_SECONDS = 24 * 3600
PROGRESS_REFRESH_SECONDS = 10 * 60  # a refresh that was sent and never ran is sent again after this


def _progress_key(competition, system_id: int, month: date) -> str:
    # The competition's creation time too: a test database recreated with the same ids must not find
    # another database's copy in a Redis that outlived it.
    return f"reviews:progress:{competition.pk}:{competition.created_at.timestamp()}:{system_id}:{month.isoformat()}"


def review_progress_cached(competition, system, month) -> dict:
    """review_progress's figures from the cache (see PROGRESS_FRESH): counted now when there is no copy,
    counted again in the background when the copy is older than PROGRESS_FRESH."""
    key = _progress_key(competition, system.pk, month)
    figures = cache.get(key)
    if figures is None:
        figures = review_progress(competition, system, month)
        cache.set(key, figures, PROGRESS_KEEP_SECONDS)
    elif timezone.now() - figures["computed_at"] > PROGRESS_FRESH and cache.add(
            f"{key}:refreshing", 1, PROGRESS_REFRESH_SECONDS):
        from reviews.tasks import refresh_review_progress

        send_on_commit(refresh_review_progress, competition.pk, system.pk, month.isoformat(),
                       unsent=lambda: cache.delete(f"{key}:refreshing"))
    return figures


def review_progress_refresh(*, competition_id: int, system_id: int, month: date) -> dict | None:
    """Counts a month's review progress again into the cache; None when the competition or system is gone."""
    competition = Competition.objects.filter(pk=competition_id).first()
    system = BusinessSystem.objects.filter(pk=system_id).first()
    if competition is None or system is None:
        return None
    key = _progress_key(competition, system.pk, month)
    figures = review_progress(competition, system, month)
    cache.set(key, figures, PROGRESS_KEEP_SECONDS)
    cache.delete(f"{key}:refreshing")
    return figures


# -- the jobs' common steps ---------------------------------------------------------------------------------

def _competition(params: dict) -> Competition:
    competition = Competition.objects.filter(pk=params.get("competition")).first()
    if competition is None:
        raise JobRefused(gettext_noop("该劳动竞赛已不存在，无法导出。"))
    return competition


def _reviewed_system(user, params: dict) -> BusinessSystem:
    """The business system the job names, if the person (still) reviews it; their month."""
    scope = scope_of(user)
    system = BusinessSystem.objects.filter(pk=params.get("system")).first()
    if system is None or not (scope.is_staff or system.pk in scope.reviewer_system_ids):
        raise JobRefused(gettext_noop("您已不再负责该业务系统的审核，无法导出。"))
    return system


def _month(params: dict) -> date:
    try:
        return parse_month(params.get("month"))
    except ValidationError:
        raise JobRefused(gettext_noop("月份无效，无法导出。")) from None


def _counted(qs) -> int:
    """How many rows an export will write, refused beyond MAX_ROWS (counted no further than that)."""
    total = qs[:MAX_ROWS + 1].count()
    if total > MAX_ROWS:
        raise JobRefused(gettext_noop("超过 %(n)s 行，Excel 放不下；请缩小筛选范围后再导出。"), n=f"{MAX_ROWS:,}")
    return total


def _chunks(rows, convert) -> object:
    """``rows`` (an iterator over a server-side cursor) as lists of PROGRESS_EVERY converted rows."""
    while chunk := list(islice(rows, PROGRESS_EVERY)):
        yield [convert(row) for row in chunk]


def _local(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M:%S") if moment else ""


def _write(out, *, title: str, headers: list[str], qs, fields: tuple, convert, total: int, notes, progress):
    with XlsxStream(out) as book:
        rows = write_rows(book, title=title, headers=headers, total=total, progress=progress,
                          chunks=_chunks(qs.values_list(*fields).iterator(chunk_size=PROGRESS_EVERY), convert))
        write_about(book, [*notes, (_("行数"), rows), (_("导出时间"), _local(timezone.now()))])


def _filter_notes(params: dict, keys) -> list[tuple[str, str]]:
    """The page's filters the export was made with, as the 说明 sheet shows them: a label and a name each."""
    from competitions.models import JobType, ScoringRule
    from reviews.views import _id_param

    names = {
        "status": (_("状态"), _status_label),
        "date": (_("工作日期"), str),
        "worker": (_("工号"), str),
        "unit": (_("单位"), lambda pk: Unit.objects.filter(pk=_id_param(pk)).values_list("name", flat=True).first()),
        "job_type": (_("工种"), lambda pk: JobType.objects.filter(pk=_id_param(pk))
                     .values_list("name", flat=True).first()),
        "rule": (_("指标"), lambda pk: ScoringRule.objects.filter(pk=_id_param(pk))
                 .values_list("metric", flat=True).first()),
        "flagged": (_("只看提示"), lambda value: _("是")),
    }
    notes = []
    for key in keys:
        value = params.get(key)
        if value and key in names:
            label, name = names[key]
            notes.append((label, name(value) or str(value)))
    return notes


def _status_label(value: str) -> str:
    return str(EntryStatus(value).label) if value in EntryStatus.values else value


def _flag_labels(flags: int) -> str:
    return "、".join(str(flag.label) for flag in EntryFlag if flags & flag.value)


# -- the clerk's entry list -------------------------------------------------------------------------------

ENTRY_FIELDS = ("work_date", "worker__employee_no", "worker__name", "unit__name", "job_type__name", "rule__metric",
                "quantity", "rule__unit_of_measure", "points", "status_shown", "kind", "reject_reason", "note",
                "note_params", "entered_by__username", "created_at")


def entry_headers() -> list[str]:
    return [_("工作日期"), _("工号"), _("姓名"), _("单位"), _("工种"), _("指标"), _("工作量"), _("计量单位"),
            _("积分"), _("状态"), _("类型"), _("退回原因"), _("说明"), _("录入人"), _("录入时间")]


def _entry_row(row) -> list:
    (day, number, name, unit, job_type, metric, quantity, measure, points, status, kind, reason, note, note_params,
     by, created) = row
    # The note in the file's language (the starter's), as its headers: an adjustment's written again from its facts.
    return [day.isoformat(), number, name, unit, job_type, metric, quantity, measure, points, _status_label(status),
            _("调整") if kind == "adjustment" else _("日常录入"), reason, shown(note_params, note), by or "",
            _local(created)]


def entries_xlsx(params: dict, out, progress: Progress, *, user) -> FileName:
    """The clerk's entry list as its page filters it (params: competition, and filters: the page's,
    reviews.views.ENTRY_LIST_FILTERS), every row, newest first as on the page."""
    from reviews.views import ENTRY_LIST_FILTERS, entry_list_filtered

    competition, filters = _competition(params), params.get("filters") or {}
    qs = (entry_list_filtered(user, competition, filters).annotate(status_shown=shown_status_expression())
          .order_by("-work_date", "-id"))
    notes = [(_("劳动竞赛"), competition.name), *_filter_notes(filters, ENTRY_LIST_FILTERS)]
    _write(out, title=_("录入"), headers=entry_headers(), qs=qs, fields=ENTRY_FIELDS, convert=_entry_row,
           total=_counted(qs), notes=notes, progress=progress)
    return FileName((competition.name, StoredText(gettext_noop("录入列表")), timezone.localdate().isoformat()))


# -- the reviewer's queue ---------------------------------------------------------------------------------

QUEUE_FIELDS = ("work_date", "worker__employee_no", "worker__name", "unit__depot__name", "unit__name",
                "job_type__name", "rule__metric", "quantity", "rule__unit_of_measure", "points", "status_shown",
                "flags", "reject_reason", "entered_by__username")


def queue_headers() -> list[str]:
    return [_("工作日期"), _("工号"), _("姓名"), _("站段"), _("单位"), _("工种"), _("指标"), _("工作量"),
            _("计量单位"), _("积分"), _("状态"), _("审核提示"), _("退回原因"), _("录入人")]


def _queue_row(row) -> list:
    (day, number, name, depot, unit, job_type, metric, quantity, measure, points, status, flags, reason, by) = row
    return [day.isoformat(), number, name, depot or "", unit, job_type, metric, quantity, measure, points,
            _status_label(status), _flag_labels(flags), reason, by or ""]


def queue_xlsx(params: dict, out, progress: Progress, *, user) -> FileName:
    """The review queue of a business system's month as its page filters it (params: competition, system,
    month, and filters: the page's, reviews.queue.FILTERS), in the page's order."""
    competition, filters = _competition(params), params.get("filters") or {}
    system, month = _reviewed_system(user, params), _month(params)
    qs, status = queue_selection(user=user, competition=competition, system=system, month=month, filters=filters)
    on = "pending__" if status == EntryStatus.PENDING else ""
    qs = qs.annotate(status_shown=shown_status_expression()).order_by(f"-{on}flags", f"{on}work_date", "id")
    notes = [(_("劳动竞赛"), competition.name), (_("业务系统"), system.name), (_("月份"), format_month(month)),
             (_("状态"), _status_label(status)), *_filter_notes(filters, [k for k in QUEUE_FILTERS if k != "status"])]
    _write(out, title=_("审核队列"), headers=queue_headers(), qs=qs, fields=QUEUE_FIELDS, convert=_queue_row,
           total=_counted(qs), notes=notes, progress=progress)
    return FileName((competition.name, system.name, format_month(month), StoredText(gettext_noop("审核队列")),
                     label_text(EntryStatus(status).label) if status in EntryStatus.values else status))


# -- the dispute list ------------------------------------------------------------------------------------

DISPUTE_FIELDS = ("created_at", "worker__employee_no", "worker__name", "unit__name", "work_date", "entry__rule__metric",
                  "entry__quantity", "comment", "status", "response", "responded_by__username", "responded_at")


def dispute_headers() -> list[str]:
    return [_("提交时间"), _("工号"), _("姓名"), _("单位"), _("工作日期"), _("申诉的录入"), _("录入工作量"),
            _("申诉内容"), _("状态"), _("处理意见"), _("处理人"), _("处理时间")]


def _dispute_row(row) -> list:
    (created, number, name, unit, day, metric, quantity, comment, status, response, by, answered) = row
    label = str(DisputeStatus(status).label) if status in DisputeStatus.values else status
    return [_local(created), number, name, unit, day.isoformat(), metric or _("当天无录入"), quantity, comment, label,
            response, by or "", _local(answered)]


def disputes_xlsx(params: dict, out, progress: Progress, *, user) -> FileName:
    """The dispute list of a status as its page shows it (params: status), oldest first."""
    from reviews.views import disputes_handled_by

    status = params.get("status") if params.get("status") in DisputeStatus.values else DisputeStatus.OPEN
    qs = disputes_handled_by(user).filter(status=status).order_by("created_at", "id")
    label = str(DisputeStatus(status).label)
    _write(out, title=_("申诉"), headers=dispute_headers(), qs=qs, fields=DISPUTE_FIELDS, convert=_dispute_row,
           total=_counted(qs), notes=[(_("状态"), label)], progress=progress)
    return FileName((StoredText(gettext_noop("申诉")), label_text(DisputeStatus(status).label),
                     timezone.localdate().isoformat()))


# -- the monthly review report --------------------------------------------------------------------------

def _month_disputes(competition, system, month, by) -> dict[tuple, dict]:
    """The month's disputes about the system's work, per depot (or unit): open and handled. A dispute about
    a day without an entry belongs to the system of the worker's job type."""
    first, following = month_bounds(month)
    rows = (Dispute.objects.filter(work_date__gte=first, work_date__lt=following)
            .filter(Q(entry__business_system_id=system.pk, entry__competition_id=competition.pk)
                    | Q(entry__isnull=True, worker__job_type__business_system_id=system.pk))
            .values(*by[::2])
            .annotate(open=Count("id", filter=Q(status=DisputeStatus.OPEN)),
                      handled=Count("id", filter=~Q(status=DisputeStatus.OPEN)))
            .order_by())
    return {tuple(row[key] for key in by[::2]): row for row in rows}


def report_depot_headers() -> list[str]:
    return [_("站段"), _("录入"), _("已通过"), _("已锁定"), _("待审核"), _("已退回"), _("有审核提示"),
            _("已审核比例（%）"), _("申诉待处理"), _("申诉已处理")]


def report_unit_headers() -> list[str]:
    return [_("站段"), _("单位"), _("录入"), _("已通过"), _("已锁定"), _("待审核"), _("已退回"), _("有审核提示"),
            _("已审核比例（%）"), _("申诉待处理"), _("申诉已处理")]


REJECTED_FIELDS = ("work_date", "worker__employee_no", "worker__name", "unit__depot__name", "unit__name",
                   "job_type__name", "rule__metric", "quantity", "rule__unit_of_measure", "points", "reject_reason",
                   "reviewed_by__username", "reviewed_at")


def rejected_headers() -> list[str]:
    return [_("工作日期"), _("工号"), _("姓名"), _("站段"), _("单位"), _("工种"), _("指标"), _("工作量"),
            _("计量单位"), _("积分"), _("退回原因"), _("审核人"), _("审核时间")]


def _rejected_row(row) -> list:
    (day, number, name, depot, unit, job_type, metric, quantity, measure, points, reason, by, at) = row
    return [day.isoformat(), number, name, depot or "", unit, job_type, metric, quantity, measure, points, reason,
            by or "", _local(at)]


def _figures(row: dict, disputes: dict | None) -> list:
    disputes = disputes or {}
    return [row["total"], row["n_approved"], row["n_locked"], row["n_pending"], row["n_rejected"], row["flagged"],
            reviewed_share(row), disputes.get("open", 0), disputes.get("handled", 0)]


def _depot_totals(units: list[dict]) -> list[dict]:
    """month_by_depot's rows per depot from its rows per unit (ordered by depot, as both are)."""
    depots: dict[str, dict] = {}
    for row in units:
        depot = depots.setdefault(row["unit__depot__path"], {key: row[key] for key in DEPOT})
        for key, value in row.items():
            if key not in UNIT:
                depot[key] = depot.get(key, 0) + value
    return list(depots.values())


def review_month_xlsx(params: dict, out, progress: Progress, *, user) -> FileName:
    """The monthly review report of one business system (params: competition, system, month): per
    depot and per unit the month's entries by status, the hinted ones, the share reviewed and the disputes;
    the depots that entered nothing; the rejections grouped by reason; every rejected entry with its reason."""
    competition = _competition(params)
    system, month = _reviewed_system(user, params), _month(params)
    progress(0, None)
    first, following = month_bounds(month)
    month_entries = WorkEntry.objects.filter(competition=competition, business_system=system, work_date__gte=first,
                                             work_date__lt=following)
    # The depots' rows are their units' added up: one pass over the month's entries, not two.
    units = month_by_depot(competition, system, month, by=UNIT)
    depots = _depot_totals(units)
    depot_disputes = _month_disputes(competition, system, month, DEPOT)
    unit_disputes = _month_disputes(competition, system, month, UNIT)
    reasons = list(month_entries.filter(status=EntryStatus.REJECTED).values("reject_reason")
                   .annotate(n=Count("id")).order_by("-n", "reject_reason"))
    rejected = sum(row["n"] for row in reasons)
    entered = {row["unit__depot__path"] for row in depots}
    silent = [depot for depot in system_depots(system).only("name", "path") if depot.path not in entered]
    progress(0, rejected)

    with XlsxStream(out) as book:
        sheet = book.sheet(_("按站段"), report_depot_headers())
        for row in depots:
            sheet.append([row["unit__depot__name"] or "-",
                          *_figures(row, depot_disputes.get((row["unit__depot__path"],)))])
        sheet = book.sheet(_("按单位"), report_unit_headers())
        for row in units:
            sheet.append([row["unit__depot__name"] or "-", row["unit__name"],
                          *_figures(row, unit_disputes.get((row["unit__depot__path"], row["unit__path"])))])
        sheet = book.sheet(_("退回原因"), [_("退回原因"), _("条数")])
        for row in reasons:
            sheet.append([row["reject_reason"], row["n"]])
        sheet = book.sheet(_("未录入的站段"), [_("站段")])
        for depot in silent:
            sheet.append([depot.name])
        details = month_entries.filter(status=EntryStatus.REJECTED).order_by("unit__path", "work_date", "id")
        write_rows(book, title=_("退回明细"), headers=rejected_headers(), total=rejected, progress=progress,
                   chunks=_chunks(details.values_list(*REJECTED_FIELDS).iterator(chunk_size=PROGRESS_EVERY),
                                  _rejected_row))
        write_about(book, [(_("劳动竞赛"), competition.name), (_("业务系统"), system.name),
                           (_("月份"), format_month(month)), (_("录入"), sum(row["total"] for row in depots)),
                           (_("说明"), _("已审核比例 = 已通过、已锁定和已退回的录入占全部录入的比例。申诉按工作日期计入"
                                       "月份；当天无录入的申诉计入职工工种所属的业务系统。")),
                           (_("导出时间"), _local(timezone.now()))])
    return FileName((competition.name, system.name, format_month(month), StoredText(gettext_noop("月度审核报表"))))
