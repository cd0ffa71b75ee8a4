"""Portal pages for unit clerks (entry, grid, import, corrections, disputes) and department
reviewers (the monthly approval queue). Every list starts from a ``visible_to``/``editable_by``/
``reviewable_by`` queryset; every write calls a service."""

from __future__ import annotations

from datetime import date, timedelta

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from competitions.models import BusinessSystem, JobType, ScoringRule
from config import cursors, parked_uploads
from config.gate import clerk_page, reviewer_page, worker_page
from config.months import format_month, month_bounds, month_of, months_between, parse_month
from members.models import Unit, Worker
from members.querysets import unit_subtree_q
from members.scope import scope_of
from reviews import imports
from reviews.models import Dispute, DisputeStatus, EntryStatus, PendingEntry, PeriodStatus, ReviewPeriod, WorkEntry
from reviews.queue import queue_filters
from reviews.reports import month_by_depot as _month_by_depot
from reviews.reports import review_progress_cached
from reviews.reports import system_depots as _depots_for
from reviews.services import (
    dispute_answer,
    dispute_open,
    entries_create,
    entries_import,
    entry_adjust,
    entry_create,
    entry_update,
)
from reviews.validation import EntryInput, EntryRejected, local_today
from reviews.workflow import (
    TransitionRefused,
    entries_transition,
    entry_transition,
    period_sign_off,
    sign_off_refusal,
)

PAGE = 50
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _parse_date(value) -> date | None:
    """A day from a form or query string; None when there is none or it is not one. Years 1 and 9999
    are refused too: pages step a week or a month from the day asked for, and must not step off
    the calendar (an OverflowError)."""
    try:
        day = date.fromisoformat(value) if value else None
    except ValueError:
        return None
    return day if day is None or 1 < day.year < 9999 else None


def _id_param(value) -> int | None:
    """A row id from a form or query string: ASCII digits in bigint range, else None. (str.isdigit()
    also accepts "²" and other digits int() refuses, and a longer number overflows the database.)"""
    if value and len(value) <= 18 and value.isascii() and value.isdigit():
        return int(value)
    return None


def _after(request, salt: str, *kinds: type) -> tuple | None:
    """The keys of the page's ``after`` cursor (config.cursors); an old or mangled one: the first page."""
    try:
        return cursors.decode(salt, request.GET["after"], *kinds) if request.GET.get("after") else None
    except cursors.InvalidCursor:
        return None


def _keyset(request, qs, order=("-work_date", "-id"), salt="entries"):
    """Page by (work_date, id) after the last row shown: no OFFSET, no COUNT(*)."""
    after = _after(request, salt, date, int)
    if after is not None:
        after_day, after_pk = after
        if order[0].startswith("-"):
            qs = qs.filter(Q(work_date__lt=after_day) | Q(work_date=after_day, id__lt=after_pk))
        else:
            qs = qs.filter(Q(work_date__gt=after_day) | Q(work_date=after_day, id__gt=after_pk))
    rows = list(qs.order_by(*order)[: PAGE + 1])
    more = len(rows) > PAGE
    rows = rows[:PAGE]
    next_after = cursors.encode(salt, rows[-1].work_date, rows[-1].pk) if more else None
    return rows, next_after


def _query_without(request, key):
    params = request.GET.copy()
    params.pop(key, None)
    return params.urlencode()


def _clerk_rules(request):
    """Rules of the job types the clerk's workers have (a depot clerk does not wade through 94)."""
    job_types = Worker.objects.enterable_by(request.user).values("job_type_id").distinct()
    return (ScoringRule.objects.filter(competition=request.competition, is_active=True, job_type_id__in=job_types)
            .select_related("job_type").order_by("job_type__name", "metric"))


def _show_errors(request, error: EntryRejected, limit=20):
    for e in error.errors[:limit]:
        messages.error(request, str(e) if e.row else f"{e.label}：{e.message}")
    if len(error.errors) > limit:
        messages.error(request, _("……另有 %(n)s 个问题。") % {"n": len(error.errors) - limit})


# -- clerk -------------------------------------------------------------------------------------

ENTRY_LIST_FILTERS = ("status", "date", "worker")


def entry_list_filtered(user, competition, params):
    """The clerk's entry list as ``params`` filter it (ENTRY_LIST_FILTERS): the page and its export."""
    qs = WorkEntry.objects.editable_by(user).filter(competition=competition)
    status = params.get("status")
    if status in EntryStatus.values:
        qs = qs.filter(status=status)
    day = _parse_date(params.get("date"))
    if day:
        qs = qs.filter(work_date=day)
    emp = params.get("worker", "").strip()
    if emp:
        qs = qs.filter(worker__employee_no=emp)
    return qs


@clerk_page
def entry_list(request):
    qs = entry_list_filtered(request.user, request.competition, request.GET).select_related("worker", "rule")
    rows, next_after = _keyset(request, qs)
    return render(request, "reviews/entry_list.html", {
        "entries": rows, "next_after": next_after, "base_query": _query_without(request, "after"),
        "statuses": EntryStatus.choices, "filters": request.GET,
        "export_filters": _known(request.GET, ENTRY_LIST_FILTERS).items(),
    })


@clerk_page
def entry_new(request):
    rules = _clerk_rules(request)
    form = {"work_date": (local_today() - timedelta(days=1)).isoformat()}
    if request.method == "POST":
        form = request.POST
        emp = form.get("worker", "").strip()
        worker = Worker.objects.enterable_by(request.user).filter(employee_no=emp).only("pk").first()
        try:
            entry = entry_create(
                actor=request.user, competition=request.competition, worker_id=worker.pk if worker else None,
                rule_id=_id_param(form.get("rule")), work_date=_parse_date(form.get("work_date")),
                quantity=form.get("quantity"), note=form.get("note", ""),
            )
        except EntryRejected as error:
            _show_errors(request, error)
        else:
            messages.success(request, _("已保存：%(name)s %(day)s %(qty)s，积分 %(points)s，待审核。") % {
                "name": entry.worker.name, "day": entry.work_date, "qty": entry.quantity, "points": entry.points})
            return redirect("entries:new")
    return render(request, "reviews/entry_new.html", {"rules": rules, "form": form})


@clerk_page
def entry_grid(request):
    """A batch grid: one day and one rule with a row per worker, or one worker and one week with a
    row per day and rule. Saved together, all or nothing."""
    rules = list(_clerk_rules(request))
    mode = request.GET.get("mode", "day")
    day = _parse_date(request.GET.get("date")) or (local_today() - timedelta(days=1))
    rule = next((r for r in rules if str(r.pk) == request.GET.get("rule")), None)
    rows = []
    worker = None
    if mode == "day" and rule is not None:
        workers = list(Worker.objects.enterable_by(request.user).filter(job_type_id=rule.job_type_id, is_active=True)
                       .select_related("unit").order_by("unit__path", "employee_no")[:500])
        existing = dict(WorkEntry.objects.filter(rule=rule, work_date=day, kind="regular",
                                                 worker__in=[w.pk for w in workers])
                        .values_list("worker_id", "quantity"))
        rows = [{"key": f"{w.pk}:{rule.pk}:{day.isoformat()}", "worker": w, "rule": rule, "day": day,
                 "existing": existing.get(w.pk)} for w in workers]
    elif mode == "week":
        emp = request.GET.get("worker", "").strip()
        worker = Worker.objects.enterable_by(request.user).filter(employee_no=emp).select_related("unit").first()
        if worker is not None:
            start = day - timedelta(days=day.weekday())
            days = [start + timedelta(days=i) for i in range(7)]
            worker_rules = [r for r in rules if r.job_type_id == worker.job_type_id]
            existing = {(r, d): q for r, d, q in WorkEntry.objects.filter(
                worker=worker, work_date__in=days, kind="regular").values_list("rule_id", "work_date", "quantity")}
            rows = [{"key": f"{worker.pk}:{r.pk}:{d.isoformat()}", "worker": worker, "rule": r, "day": d,
                     "existing": existing.get((r.pk, d))} for d in days for r in worker_rules]
        elif emp:
            messages.error(request, _("找不到该职工，或该职工不属于您负责的单位。"))

    if request.method == "POST":
        inputs = []
        for n, key in enumerate(request.POST.getlist("key"), start=1):
            value = request.POST.get(f"q:{key}", "").strip()
            if not value:
                continue
            worker_id, rule_id, day_text = (key.split(":") + ["", "", ""])[:3]
            inputs.append(EntryInput(_id_param(worker_id), _id_param(rule_id), _parse_date(day_text), value,
                                     request.POST.get(f"n:{key}", ""), row=n))
        if not inputs:
            messages.error(request, _("没有填写任何工作量。"))
        else:
            try:
                result = entries_create(actor=request.user, competition=request.competition, rows=inputs,
                                        source="grid")
            except EntryRejected as error:
                _show_errors(request, error)
            else:
                messages.success(request, _("已保存 %(n)s 条录入，待审核。") % {"n": result.created_count})
                return redirect(request.get_full_path())
    return render(request, "reviews/entry_grid.html", {
        "rules": rules, "mode": mode, "day": day, "rule": rule, "rows": rows, "worker": worker,
        "posted": request.POST if request.method == "POST" else {},
    })


@clerk_page
def entry_import(request):
    """Upload → preview (every bad row listed, nothing saved) → confirm."""
    preview = None
    if request.method == "POST" and "file" in request.FILES:
        upload = request.FILES["file"]
        content = upload.read(imports.MAX_BYTES + 1)
        try:
            parsed, good = imports.check_file(actor=request.user, competition=request.competition,
                                              name=upload.name, content=content)
        except imports.ImportFileError as error:
            messages.error(request, str(error))
        else:
            token = parked_uploads.park(user_id=request.user.pk, name=upload.name, content=content)
            preview = {"token": token, "name": upload.name, "total": parsed.total, "good": len(good),
                       "errors": parsed.errors[:300], "error_count": len(parsed.errors),
                       "bad_rows": len({e.row for e in parsed.errors})}
    return render(request, "reviews/entry_import.html", {"preview": preview})


def _cached_import(request, token):
    stored = parked_uploads.parked(user_id=request.user.pk, token=token) if token else None
    if stored is None:
        messages.error(request, _("导入文件已过期，请重新上传。"))
    return stored


@clerk_page
@require_POST
def entry_import_confirm(request):
    stored = _cached_import(request, request.POST.get("token"))
    if stored is None:
        return redirect("entries:import")
    name, content = stored
    save_valid_only = request.POST.get("save_valid_only") == "1"
    try:
        result = entries_import(actor=request.user, competition=request.competition, name=name, content=content,
                                save_valid_only=save_valid_only)
    except imports.ImportFileError as error:
        messages.error(request, str(error))
    except EntryRejected as error:
        _show_errors(request, error)
        messages.error(request, _("文件有错误，未保存任何录入。"))
    else:
        parked_uploads.unpark(user_id=request.user.pk, token=request.POST.get("token"))
        messages.success(request, _("已导入 %(n)s 条录入，待审核。") % {"n": result.created_count})
        if result.errors:
            messages.error(request, _("有 %(n)s 个问题的行未导入。") % {"n": len({e.row for e in result.errors})})
        return redirect("entries:list")
    return redirect("entries:import")


@clerk_page
def entry_import_bad_rows(request, token):
    stored = _cached_import(request, token)
    if stored is None:
        return redirect("entries:import")
    parsed, _good = imports.check_file(actor=request.user, competition=request.competition, name=stored[0],
                                       content=stored[1])
    response = HttpResponse(imports.bad_rows_csv(parsed), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="bad-rows.csv"'
    return response


@clerk_page
def entry_template(request, fmt):
    if fmt == "xlsx":
        content = imports.template_xlsx(request.competition, _clerk_rules(request).select_related(
            "job_type__business_system"))
        response = HttpResponse(content, content_type=XLSX_TYPE)
    else:
        response = HttpResponse(imports.template_csv(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="entry-template.{fmt}"'
    return response


@clerk_page
def entry_detail(request, pk):
    entry = (WorkEntry.objects.editable_by(request.user).select_related("worker", "rule", "entered_by", "reviewed_by")
             .filter(pk=pk).first())
    if entry is None:
        raise Http404
    if request.method == "POST":
        try:
            if request.POST.get("action") == "adjust":
                adjustment = entry_adjust(actor=request.user, entry_id=entry.pk,
                                          quantity_delta=request.POST.get("quantity"),
                                          reason=request.POST.get("reason", ""))
                messages.success(request, _("已提交调整，待审核。"))
                return redirect("entries:detail", pk=adjustment.pk)
            entry_update(actor=request.user, entry_id=entry.pk, quantity=request.POST.get("quantity"),
                         note=request.POST.get("note", entry.note))
            messages.success(request, _("已修改。"))
            return redirect("entries:detail", pk=entry.pk)
        except EntryRejected as error:
            _show_errors(request, error)
        except TransitionRefused as error:
            messages.error(request, error.message)
    events = entry.events.select_related("actor").order_by("at", "id")
    return render(request, "reviews/entry_detail.html", {"entry": entry, "events": events})


def disputes_handled_by(user):
    """The disputes a clerk answers: their units' workers', never their own (the page and its export)."""
    return Dispute.objects.visible_to(user).exclude(worker_id=scope_of(user).worker_id)


@clerk_page
def dispute_list(request):
    qs = disputes_handled_by(request.user)
    if request.method == "POST":
        try:
            dispute_answer(actor=request.user, dispute_id=_id_param(request.POST.get("dispute")) or 0,
                           response=request.POST.get("response", ""), corrected=request.POST.get("corrected") == "1")
            messages.success(request, _("已答复申诉。"))
        except Dispute.DoesNotExist:
            raise Http404 from None
        except EntryRejected as error:
            _show_errors(request, error)
        return redirect("entries:disputes")
    show = request.GET.get("status", DisputeStatus.OPEN)
    disputes = list(qs.filter(status=show).select_related("worker", "entry__rule").order_by("created_at", "id")[:200])
    return render(request, "reviews/dispute_list.html", {"disputes": disputes, "show": show,
                                                          "statuses": DisputeStatus.choices})


# -- worker ------------------------------------------------------------------------------------

MY_DAYS = 14  # days per page of "my entries"


@worker_page
def my_entries(request):
    """A worker's own entries, day by day (days with no entry shown too), with status, points, the
    reviewer's reason, and a dispute form for an entry or for a day with none. Paged by date window
    (``?end=``), newest first. Whose entries: the signed-in worker's, never a URL parameter."""
    competition = request.competition
    latest = min(local_today(), competition.end_date)
    end = min(_parse_date(request.GET.get("end")) or latest, latest)
    end = max(end, competition.start_date)
    start = max(end - timedelta(days=MY_DAYS - 1), competition.start_date)

    if request.method == "POST":
        entry_id = request.POST.get("entry", "")
        try:
            dispute_open(actor=request.user, work_date=_parse_date(request.POST.get("work_date")),
                         comment=request.POST.get("comment", ""),
                         entry_id=_id_param(entry_id))
        except WorkEntry.DoesNotExist:
            raise Http404 from None
        except EntryRejected as error:
            _show_errors(request, error)
        else:
            messages.success(request, _("申诉已提交，本单位录入员会处理并答复。"))
        return redirect(f"{reverse('my_entries')}?end={end.isoformat()}")

    mine = WorkEntry.objects.visible_to(request.user).filter(worker_id=request.worker_id, competition=competition)
    entries = list(mine.filter(work_date__gte=start, work_date__lte=end).select_related("rule")
                   .only("id", "work_date", "quantity", "points", "status", "kind", "reject_reason", "note",
                         "rule__metric", "rule__unit_of_measure").order_by("-work_date", "id"))
    disputes = Dispute.objects.visible_to(request.user).filter(worker_id=request.worker_id)
    window = list(disputes.filter(work_date__gte=start, work_date__lte=end).order_by("created_at"))
    by_entry = {d.entry_id: d for d in window if d.entry_id}
    by_day = {d.work_date: d for d in window if not d.entry_id}
    days = []
    for n in range((end - start).days + 1):
        day = end - timedelta(days=n)
        day_entries = [e for e in entries if e.work_date == day]
        for e in day_entries:
            e.dispute = by_entry.get(e.pk)
        days.append({"day": day, "entries": day_entries, "dispute": by_day.get(day),
                     "points": sum((e.points for e in day_entries if e.status != EntryStatus.REJECTED), 0)})
    recent = list(disputes.select_related("entry__rule").order_by("-created_at")[:20])
    return render(request, "reviews/my_entries.html", {
        "competition": competition, "days": days, "disputes": recent, "start": start, "end": end,
        "older": (start - timedelta(days=1)).isoformat() if start > competition.start_date else None,
        "newer": min(end + timedelta(days=MY_DAYS), latest).isoformat() if end < latest else None,
    })


# -- reviewer ----------------------------------------------------------------------------------

def _reviewer_systems(request):
    scope = scope_of(request.user)
    qs = BusinessSystem.objects.all()
    if not scope.is_staff:
        qs = qs.filter(pk__in=scope.reviewer_system_ids)
    return list(qs)


def _month_param(value) -> date:
    """The month asked for; the current month when none (or no valid one) is."""
    try:
        return parse_month(value)
    except ValidationError:
        return month_of(local_today())


def _queue_filters(request, system, month):
    g = request.GET if request.method == "GET" else request.POST
    status = g.get("status") or EntryStatus.PENDING
    qs = WorkEntry.objects.reviewable_by(request.user)
    if status == EntryStatus.PENDING:
        # Through the queue table's index (see PendingEntry): no scan of the month's reviewed entries.
        qs = qs.filter(pending__business_system_id=system.pk, pending__competition_id=request.competition.pk,
                       pending__month=month)
    else:
        first, following = month_bounds(month)
        qs = qs.filter(competition=request.competition, business_system=system, work_date__gte=first,
                       work_date__lt=following)
        if status in EntryStatus.values:
            qs = qs.filter(status=status)
    if (unit := _id_param(g.get("unit"))) is not None:
        unit_obj = Unit.objects.filter(pk=unit).only("path").first()
        qs = qs.filter(unit_subtree_q([unit_obj.path] if unit_obj else [], "unit__path"))
    if (job_type := _id_param(g.get("job_type"))) is not None:
        qs = qs.filter(job_type_id=job_type)
    if (rule := _id_param(g.get("rule"))) is not None:
        qs = qs.filter(rule_id=rule)
    if emp := g.get("worker", "").strip():
        qs = qs.filter(worker__employee_no=emp)
    if day := _parse_date(g.get("date")):
        qs = qs.filter(work_date=day)
    if g.get("flagged") == "1":
        qs = qs.exclude(flags=0)
    return qs, status


def _reviewer_system(request, systems, *, strict: bool = False):
    """The business system the page or form names (the reviewer's first when it names none). A form
    (POST) that names a system not among the reviewer's own is refused (and with ``strict`` a page
    too): a stale or tampered form is never applied to another system than the one it names."""
    g = request.GET if request.method == "GET" else request.POST
    named = g.get("system")
    system = next((s for s in systems if str(s.pk) == named), None)
    if system is None and named and (strict or request.method == "POST"):
        raise Http404
    return system or systems[0]


def _sign_off_url(system, month) -> str:
    return f"{reverse('review:sign_off')}?system={system.pk}&month={format_month(month)}"


@reviewer_page
def review_queue(request):
    systems = _reviewer_systems(request)
    if not systems:
        raise PermissionDenied
    g = request.GET if request.method == "GET" else request.POST
    system = _reviewer_system(request, systems)
    month = _month_param(g.get("month"))
    qs, status = _queue_filters(request, system, month)

    if request.method == "POST":
        action = request.POST.get("action")
        if action == "sign_off":
            # Signing off locks the month for good: only from the page that shows what it locks.
            return redirect(_sign_off_url(system, month))
        try:
            if action in ("approve", "reject", "approve_all"):
                target = qs if action == "approve_all" else qs.filter(pk__in=[
                    pk for x in request.POST.getlist("entry") if (pk := _id_param(x)) is not None])
                to = EntryStatus.REJECTED if action == "reject" else EntryStatus.APPROVED
                result = entries_transition(actor=request.user, entries=target, to_status=to,
                                            reason=request.POST.get("reason", ""), systems=[system.pk])
                messages.success(request, _("已处理 %(n)s 条。") % {"n": result.moved})
                if result.skipped_own:
                    messages.error(request, _("%(n)s 条是您本人录入的，不能由您审核，已跳过。")
                                   % {"n": result.skipped_own})
        except TransitionRefused as error:
            messages.error(request, error.message)
        return redirect(f"{reverse('review:queue')}?{request.POST.get('query', '')}")

    # Flagged first, then oldest first. Pending entries are read in the order of the queue table's
    # index (its flags and dates are the entries' own, kept by the triggers).
    on = "pending__" if status == EntryStatus.PENDING else ""
    # The id is the entry's own: the join makes it the queue table's entry_id for the planner.
    flags, day, ident = f"{on}flags", f"{on}work_date", "id"
    order = (f"-{flags}", day, ident)
    after = _after(request, "review-queue", int, date, int)
    if after is not None:
        f, d, i = after
        qs = qs.filter(Q(**{f"{flags}__lt": f}) | Q(**{flags: f, f"{day}__gt": d})
                       | Q(**{flags: f, day: d, f"{ident}__gt": i}))
    rows = list(qs.select_related("worker", "rule", "unit", "entered_by").order_by(*order)[: PAGE + 1])
    more = len(rows) > PAGE
    rows = rows[:PAGE]
    next_after = cursors.encode("review-queue", rows[-1].flags, rows[-1].work_date, rows[-1].pk) if more else None

    period = ReviewPeriod.objects.filter(competition=request.competition, business_system=system,
                                         month=month).first()
    # A capped count: exact up to 10,000, "10000+" beyond, without counting 700,000 rows per view.
    pending_capped = len(PendingEntry.objects.filter(
        business_system_id=system.pk, competition_id=request.competition.pk, month=month,
    ).values_list("entry_id", flat=True)[:10001])
    # Every month of the competition up to the current one, so the month due for sign-off is always on
    # the menu; and the month on the page even outside them (a link with ?month=), so the menu shows it.
    months = months_between(request.competition.start_date, local_today())
    if month not in months:
        months = sorted([*months, month], reverse=True)
    return render(request, "reviews/review_queue.html", {
        "systems": systems, "system": system, "month": month, "months": months, "entries": rows,
        "next_after": next_after, "status": status, "statuses": EntryStatus.choices,
        "period": period, "signed_off": period is not None and period.status == PeriodStatus.SIGNED_OFF,
        "sign_off_refusal": sign_off_refusal(competition=request.competition, month=month),
        "sign_off_url": _sign_off_url(system, month),
        "pending_capped": pending_capped, "filters": g, "export_filters": queue_filters(g).items(),
        "query": _query_without(request, "after"),
        "depots": _depots_for(system),
        "job_types": JobType.objects.filter(business_system=system),
        "rules": ScoringRule.objects.filter(competition=request.competition, job_type__business_system=system)
        .select_related("job_type"),
    })


@reviewer_page
def review_sign_off(request):
    """Sign-off, in two steps: this page shows what the sign-off will lock (entries per depot, what is
    still pending, what is flagged) and why it cannot happen yet; its POST signs off exactly the
    system and month it showed, if the month's entries did not change meanwhile."""
    systems = _reviewer_systems(request)
    if not systems:
        raise PermissionDenied
    system = _reviewer_system(request, systems, strict=True)
    g = request.GET if request.method == "GET" else request.POST
    try:
        month = parse_month(g.get("month"))
    except ValidationError:
        raise Http404 from None
    competition = request.competition
    depots = _month_by_depot(competition, system, month)
    totals = {key: sum(row[key] for row in depots) for key in ("total", "flagged", *(
        f"n_{value}" for value in EntryStatus.values))}
    # What the page showed: a sign-off confirmed from a page whose figures have changed since is shown again.
    shown = f"{totals['total']}:{totals['n_pending']}:{totals['n_approved']}:{totals['n_rejected']}"

    if request.method == "POST":
        if request.POST.get("shown") != shown:
            messages.error(request, _("本月录入在您确认期间有变化，请核对后重新确认。"))
        else:
            try:
                period_sign_off(actor=request.user, competition=competition, business_system=system, month=month)
            except TransitionRefused as error:
                messages.error(request, error.message)
            else:
                messages.success(request, _("%(month)s 已签发，本月录入已锁定。") % {"month": format_month(month)})
                return redirect(f"{reverse('review:queue')}?system={system.pk}&month={format_month(month)}")
        return redirect(_sign_off_url(system, month))

    period = ReviewPeriod.objects.filter(competition=competition, business_system=system, month=month).first()
    return render(request, "reviews/review_sign_off.html", {
        "system": system, "month": month, "depots": depots, "totals": totals, "shown": shown,
        "signed_off": period is not None and period.status == PeriodStatus.SIGNED_OFF, "period": period,
        "refusal": sign_off_refusal(competition=competition, month=month),
    })


@reviewer_page
@require_POST
def review_entry(request, pk):
    """Approve or reject one entry from its row."""
    entry = WorkEntry.objects.reviewable_by(request.user).filter(pk=pk).first()
    if entry is None:
        raise Http404
    to = EntryStatus.APPROVED if request.POST.get("action") == "approve" else EntryStatus.REJECTED
    try:
        entry_transition(actor=request.user, entry=entry, to_status=to, reason=request.POST.get("reason", ""))
        messages.success(request, _("已处理。"))
    except TransitionRefused as error:
        messages.error(request, error.message)
    return redirect(f"{reverse('review:queue')}?{request.POST.get('query', '')}")



# -- office reports ----------------------------------------------------------------------------------

def _export(request, kind: str, params: dict):
    """Starts an export job for the person, with the page's filters (only the ones the list knows, never
    the CSRF token or a cursor); the job's page follows its progress and offers the file. The same export
    asked for again while it runs is the same job (a double click, a second tab)."""
    from competitions.jobs import job_start

    job = job_start(kind=kind, params=params, user=request.user, once_key=params)
    return redirect("workspace:job", job.pk)


def _known(data, keys) -> dict:
    return {key: data[key].strip() for key in keys if data.get(key, "").strip()}


@clerk_page
@require_POST
def entry_export(request):
    """The entry list as filtered on the page, every row, as xlsx (in the background)."""
    return _export(request, "entries_xlsx", {"competition": request.competition.pk,
                                             "filters": _known(request.POST, ENTRY_LIST_FILTERS)})


@clerk_page
@require_POST
def dispute_export(request):
    """The dispute list of the status shown, as xlsx (in the background)."""
    return _export(request, "disputes_xlsx", _known(request.POST, ("status",)))


def _reviewed_month(request):
    """The reviewer's business system and month the page or form names: another system than their own
    answers 404, a bad month is the current one (as on the queue)."""
    systems = _reviewer_systems(request)
    if not systems:
        raise PermissionDenied
    g = request.GET if request.method == "GET" else request.POST
    return _reviewer_system(request, systems, strict=True), _month_param(g.get("month")), systems


@reviewer_page
@require_POST
def review_export(request):
    """The review queue as filtered on the page, every row, as xlsx (in the background)."""
    system, month, _systems = _reviewed_month(request)
    return _export(request, "review_queue_xlsx", {
        "competition": request.competition.pk, "system": system.pk, "month": format_month(month),
        "filters": queue_filters(request.POST)})


@reviewer_page
@require_POST
def review_report(request):
    """The monthly review report of a business system (xlsx, in the background)."""
    system, month, _systems = _reviewed_month(request)
    return _export(request, "review_month_xlsx", {"competition": request.competition.pk, "system": system.pk,
                                                  "month": format_month(month)})


@reviewer_page
def review_progress(request):
    """Before sign-off: per depot of the system, what is entered, approved, pending, rejected and hinted
    for the month, the share reviewed, and the depots that have entered nothing yet."""
    system, month, systems = _reviewed_month(request)
    months = months_between(request.competition.start_date, local_today())
    if month not in months:
        months = sorted([*months, month], reverse=True)
    return render(request, "reviews/review_progress.html", {
        "systems": systems, "system": system, "month": month, "months": months,
        "queue_url": f"{reverse('review:queue')}?system={system.pk}&month={format_month(month)}",
        "sign_off_url": _sign_off_url(system, month),
        **review_progress_cached(request.competition, system, month),
    })
