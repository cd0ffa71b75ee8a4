"""Portal pages for unit clerks (entry, grid, import, corrections, disputes) and department
reviewers (the monthly approval queue). Every list starts from a ``visible_to``/``editable_by``/
``reviewable_by`` queryset; every write calls a service."""

from __future__ import annotations

from datetime import date, timedelta
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import BadRequest, PermissionDenied, ValidationError
from django.db.models import Q
from django.http import Http404, HttpResponse, JsonResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from competitions.jobs import job_start
from competitions.models import BusinessSystem, JobType, ScoringRule
from config import cursors, parked_uploads
from config.formatting import display_month, format_count, format_points, format_quantity
from config.gate import clerk_page, clerk_reading_page, reviewer_page, reviewer_reading_page, worker_page
from config.months import format_month, month_of, months_between, parse_month
from config.text import typed_code
from members.models import Unit, Worker
from members.querysets import unit_subtree_q
from members.scope import scope_of
from reviews import grid, imports
from reviews.history import entry_history
from reviews.models import Dispute, DisputeStatus, EntryStatus, PendingEntry, PeriodStatus, ReviewPeriod, WorkEntry
from reviews.queue import FILTERS, queue_filters, queue_filters_checked, queue_selection
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
from reviews.validation import FIELD_LABELS, EntryInput, EntryRejected, local_today
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


def drop_bad_date(kept: dict[str, str], errors: list[str]) -> None:
    """A list's ``date`` filter that is not a day (_parse_date) is left out of ``kept``, with the message its
    filter form shows in ``errors``: the entry list and the review queue read it alike."""
    if "date" in kept and _parse_date(kept["date"]) is None:
        errors.append(_("日期格式应为 YYYY-MM-DD，已取消该筛选。"))
        del kept["date"]


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
    # The page's ids first, read from the entries alone: the joins (worker, rule) of a clerk's depot would
    # otherwise be made for each of its tens of thousands of entries before the sort picks fifty.
    ids = list(qs.order_by(*order).values_list("pk", flat=True)[: PAGE + 1])
    rows = list(qs.filter(pk__in=ids).order_by(*order)) if ids else []
    more = len(rows) > PAGE
    rows = rows[:PAGE]
    next_after = cursors.encode(salt, rows[-1].work_date, rows[-1].pk) if more else None
    return rows, next_after


def _query_without(request, key):
    params = request.GET.copy()
    params.pop(key, None)
    return params.urlencode()


# What the queue's address may carry back after a review (its filters, business system and month), and how
# long a value may be: the form's ``query`` is whatever was posted, and a redirect to an overlong address
# is refused by Django (DisallowedRedirect, a 400 logged as an error).
QUEUE_PARAMS = (*FILTERS, "system", "month")
QUEUE_PARAM_MAX = 100


def _back_to_queue(request):
    """Back to the review queue as it was shown: the known parameters of the posted ``query`` only."""
    posted = QueryDict(request.POST.get("query", ""))
    params = {name: value for name in QUEUE_PARAMS if (value := posted.get(name, "")) and len(value) <= QUEUE_PARAM_MAX}
    return redirect(f"{reverse('review:queue')}?{urlencode(params)}" if params else "review:queue")


def _clerk_rules(request):
    """Rules of the job types the clerk's workers have (a depot clerk does not wade through 94)."""
    job_types = Worker.objects.enterable_by(request.user).values("job_type_id").distinct()
    return (ScoringRule.objects.filter(competition=request.competition, is_active=True, job_type_id__in=job_types)
            .select_related("job_type").order_by("job_type__name", "metric"))


def _show_errors(request, error: EntryRejected, limit=20):
    for e in error.errors[:limit]:
        messages.error(request, str(e))
    if len(error.errors) > limit:
        more = len(error.errors) - limit
        messages.error(request, ngettext("……另有 %(n)s 个问题。", "……另有 %(n)s 个问题。", more) % {"n": more})


# -- clerk -------------------------------------------------------------------------------------

ENTRY_LIST_FILTERS = ("status", "date", "worker")


def entry_list_filtered(user, competition, params):
    """The clerk's entry list as ``params`` filter it (ENTRY_LIST_FILTERS): the page and its export (a
    clerk's units; every unit's for union staff, who read them)."""
    qs = WorkEntry.objects.clerk_readable_by(user).filter(competition=competition)
    status = params.get("status")
    if status in EntryStatus.values:
        qs = qs.in_shown_status([status])
    day = _parse_date(params.get("date"))
    if day:
        qs = qs.filter(work_date=day)
    emp = typed_code(params.get("worker"))
    if emp:
        qs = qs.filter(worker__employee_no=emp)
    return qs


def entry_list_filters_checked(params) -> tuple[dict[str, str], list[str]]:
    """The entry list's filters as given (ENTRY_LIST_FILTERS), with a status or day that is none left out
    and a message for it, shown in the filter form: the list is then not filtered by what the form shows
    empty (a mistyped ?date= listed every day, saying nothing)."""
    kept, errors = _known(params, ENTRY_LIST_FILTERS), []
    if "status" in kept and kept["status"] not in EntryStatus.values:
        errors.append(_("所选状态不存在，已取消该筛选。"))
        del kept["status"]
    drop_bad_date(kept, errors)
    return kept, errors


@clerk_reading_page
def entry_list(request):
    kept, filter_errors = entry_list_filters_checked(request.GET)
    qs = (entry_list_filtered(request.user, request.competition, kept).select_related("worker", "rule")
          .with_month_lock())
    rows, next_after = _keyset(request, qs)
    return render(request, "reviews/entry_list.html", {
        "entries": rows, "next_after": next_after, "base_query": _query_without(request, "after"),
        "statuses": EntryStatus.choices, "filters": kept, "filter_errors": filter_errors,
        "export_filters": kept.items(), "list_query": urlencode(kept),
    })


def _list_query(request) -> str:
    """The entry list's filters (ENTRY_LIST_FILTERS) from this page's address, as a query string: an entry
    opened from a filtered list leads back to it, also after a correction."""
    return urlencode(_known(request.GET, ENTRY_LIST_FILTERS))


def _field_errors(error: EntryRejected) -> dict[str, list[str]]:
    """Each field's messages, for a form that shows them beside their inputs."""
    by_field: dict[str, list[str]] = {}
    for e in error.errors:
        by_field.setdefault(e.field if e.field in FIELD_LABELS else "entry", []).append(e.message)
    return by_field


def _enterable_worker(request, employee_no: str):
    """The worker with this 工号 the person may enter work for (their units only), with unit and job type;
    None for another unit's worker exactly as for a number that does not exist. The number is read as typed
    (config.text.typed_code: full-width digits from a Chinese input method, spaces around it)."""
    employee_no = typed_code(employee_no)
    if not employee_no or len(employee_no) > 20:
        return None
    return (Worker.objects.enterable_by(request.user).filter(employee_no=employee_no)
            .select_related("unit", "job_type").only("pk", "employee_no", "name", "is_active", "unit__name",
                                                     "job_type__name").first())


@clerk_page
def entry_new(request):
    """One entry. Typing the 工号 shows the worker (name, unit, job type) and narrows the metric list to
    their job type: at once through worker_lookup where the page's script runs, and with the 查找 button
    (or on any error) from the server where it does not. Errors are shown beside their fields."""
    rules = list(_clerk_rules(request))
    form = {"work_date": (local_today() - timedelta(days=1)).isoformat()}
    errors: dict[str, list[str]] = {}
    worker = None
    dispute = _dispute_without_entry(request, request.GET.get("dispute") or request.POST.get("dispute"))
    if dispute is not None and request.method == "GET":
        # From an open dispute about a day with no entry: its worker and its day, ready for the quantity.
        form = {"worker": dispute.worker.employee_no, "work_date": dispute.work_date.isoformat()}
        worker = _enterable_worker(request, dispute.worker.employee_no)
    if request.method == "POST":
        form = request.POST
        worker = _enterable_worker(request, form.get("worker", ""))
        if form.get("action") == "lookup":
            if worker is None:
                errors["worker"] = [_("找不到该职工，或该职工不属于您负责的单位。")]
        else:
            try:
                entry = entry_create(
                    actor=request.user, competition=request.competition,
                    worker_id=worker.pk if worker else None, rule_id=_id_param(form.get("rule")),
                    work_date=_parse_date(form.get("work_date")), quantity=form.get("quantity"),
                    note=form.get("note", ""),
                )
            except EntryRejected as error:
                errors = _field_errors(error)
                messages.error(request, _("未保存，请按标出的项修改。"))
            else:
                messages.success(request, _("已保存：%(name)s %(day)s %(qty)s，积分 %(points)s，待审核。") % {
                    "name": entry.worker.name, "day": entry.work_date,
                    "qty": format_quantity(entry.quantity, entry.rule.unit_of_measure, with_unit=True),
                    "points": format_points(entry.points)})
                # Entered for a dispute: back to the disputes, where it is answered.
                return redirect("entries:disputes" if dispute is not None else "entries:new")
    if worker is not None:
        rules = [r for r in rules if r.job_type_id == worker.job_type_id]
    return render(request, "reviews/entry_new.html", {"rules": rules, "form": form, "errors": errors,
                                                      "worker": worker, "dispute": dispute})


def _dispute_without_entry(request, value):
    """The open dispute ``value`` names, about a day its worker has no entry, among those the person answers;
    None for any other (answered, about an entry, another unit's, not a number)."""
    pk = _id_param(value or "")
    if pk is None:
        return None
    return (disputes_handled_by(request.user).filter(pk=pk, status=DisputeStatus.OPEN, entry__isnull=True)
            .select_related("worker").first())


@clerk_page
def worker_lookup(request):
    """JSON for the single-entry form: the worker with ``?employee_no=`` among those the person may enter
    work for: name, unit, job type and the ids of that job type's metrics, nothing else (no ID number, no
    phone). Another unit's worker answers 404, exactly like a number that does not exist."""
    worker = _enterable_worker(request, request.GET.get("employee_no", ""))
    if worker is None:
        return JsonResponse({"error": {"code": "not_found", "message": _(
            "找不到该职工，或该职工不属于您负责的单位。")}}, status=404)
    rule_ids = list(ScoringRule.objects.filter(competition=request.competition, is_active=True,
                                               job_type_id=worker.job_type_id).order_by("metric")
                    .values_list("pk", flat=True))
    return JsonResponse({"employee_no": worker.employee_no, "name": worker.name, "unit": worker.unit.name,
                         "job_type": worker.job_type.name, "is_active": worker.is_active, "rules": rule_ids})


def _grid_posted(request, rows: list[grid.GridRow]) -> list[EntryInput]:
    """The grid's inputs as posted, as ``EntryInput``s numbered as the rows are on screen; every typed
    value and note is put back on its row so that a page shown again after an error keeps them. A key
    that is not on this page (edited by hand, or the roster changed since) gets a number past the last row."""
    by_key = {row.key: row for row in rows}
    inputs = []
    extra = rows[-1].n if rows else 0
    for key in request.POST.getlist("key"):
        value = request.POST.get(f"q:{key}", "").strip()
        note = request.POST.get(f"n:{key}", "")
        row = by_key.get(key)
        if row is not None:
            row.value, row.note = value, note
            n = row.n
        else:
            extra += 1
            n = extra
        if value:
            worker_id, rule_id, day_text = (key.split(":") + ["", "", ""])[:3]
            inputs.append(EntryInput(_id_param(worker_id), _id_param(rule_id), _parse_date(day_text), value,
                                     note, row=n))
    return inputs


@clerk_page
def entry_grid(request):
    """A batch grid: one day and one rule with a row per worker (a page of GRID_PAGE workers at a time,
    and the page says how many there are), or one worker and one week with a row per day and rule.
    Saved together, all or nothing; after an error every typed value stays and each row shows its own."""
    rules = list(_clerk_rules(request))
    mode = request.GET.get("mode", "day")
    day = _parse_date(request.GET.get("date")) or (local_today() - timedelta(days=1))
    rule = next((r for r in rules if str(r.pk) == request.GET.get("rule")), None)
    rows: list[grid.GridRow] = []
    worker = None
    shown = None
    if mode == "day" and rule is not None:
        rows, shown = grid.day_rows(user=request.user, competition=request.competition, rule=rule, day=day,
                                     after=_after(request, grid.CURSOR, int, int))
    elif mode == "week":
        emp = typed_code(request.GET.get("worker"))
        worker = Worker.objects.enterable_by(request.user).filter(employee_no=emp).select_related("unit").first()
        if worker is not None:
            rows = grid.week_rows(worker=worker, competition=request.competition, rules=rules, day=day)
        elif emp:
            messages.error(request, _("找不到该职工，或该职工不属于您负责的单位。"))

    if request.method == "POST":
        inputs = _grid_posted(request, rows)
        if not inputs:
            messages.error(request, _("没有填写任何工作量。"))
        else:
            try:
                result = entries_create(actor=request.user, competition=request.competition, rows=inputs,
                                        source="grid")
            except EntryRejected as error:
                _grid_errors(request, error.errors, rows)
            else:
                messages.success(request, ngettext("已保存 %(n)s 条录入，待审核。", "已保存 %(n)s 条录入，待审核。",
                                                   result.created_count) % {"n": format_count(result.created_count)})
                return redirect(request.get_full_path())
    return render(request, "reviews/entry_grid.html", {
        "rules": rules, "mode": mode, "day": day, "rule": rule, "rows": rows, "rows_html": grid.rows_html(rows),
        "worker": worker, "shown": shown,
        "next_query": _query_with(request, after=shown.next) if shown and shown.next else None,
        "first_query": _query_without(request, "after"),
    })


def _grid_errors(request, errors, rows: list[grid.GridRow]) -> None:
    """Each error beside its row; the top of the page says which rows, and shows the errors that have no
    row on the page (a whole-batch refusal, a key edited by hand)."""
    bad, elsewhere = grid.place_errors(errors, rows)
    for e in elsewhere:
        messages.error(request, str(e))
    if len(bad) == 1:  # English says "Row 3 has a problem", not "1 rows have problems (rows 3)"
        messages.error(request, _("第 %(row)s 行有问题，未保存任何录入；已填写的内容都还在，"
                                  "请按该行的提示修改后再保存。") % {"row": format_count(bad[0])})
    elif bad:
        listed = _("、").join(format_count(n) for n in bad[:10]) + (_("……") if len(bad) > 10 else "")
        messages.error(request, _("%(count)s 行有问题（第 %(rows)s 行），未保存任何录入；已填写的内容都还在，"
                                  "请按各行的提示修改后再保存。") % {"count": format_count(len(bad)), "rows": listed})


def _query_with(request, **params) -> str:
    query = request.GET.copy()
    for key, value in params.items():
        query[key] = value
    return query.urlencode()


@clerk_page
def entry_import(request):
    """Upload → preview (identical errors grouped, nothing saved) → confirm. The page also offers the
    templates: the plain one, and one pre-filled with a unit's roster for a day."""
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
            preview = imports.import_preview(token=token, name=upload.name, total=parsed.total, good=len(good),
                                             errors=parsed.errors, columns=imports.COLUMNS, cells=parsed.cells,
                                             skipped=parsed.skipped)
    return render(request, "reviews/entry_import.html", {
        "preview": preview, "roster_units": _roster_units(request),
        "roster_day": (local_today() - timedelta(days=1)).isoformat(),
    })


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
    if imports.import_in_background(name, content):
        # A large file is checked and written by a background job (reviews.jobs), reading the parked file;
        # the same file confirmed again while it runs returns that job.
        job = job_start(kind="entries_import", user=request.user, once_key=["entries_import", request.POST["token"]],
                        params={"competition": request.competition.pk, "token": request.POST["token"], "name": name,
                                "save_valid_only": save_valid_only})
        if job.reused:
            messages.info(request, _("该文件已在导入中。"))
        return redirect("jobs:detail", job.pk)
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
        messages.success(request, ngettext("已导入 %(n)s 条录入，待审核。", "已导入 %(n)s 条录入，待审核。",
                                           result.created_count) % {"n": result.created_count})
        if result.errors:
            bad = len({e.row for e in result.errors})
            messages.error(request, ngettext("有 %(n)s 个问题的行未导入。", "有 %(n)s 个问题的行未导入。", bad)
                           % {"n": bad})
        return redirect("entries:list")
    return redirect("entries:import")


@clerk_page
def entry_import_bad_rows(request, token, fmt="csv"):
    """The uploaded file's rows with problems, every column as uploaded plus 错误说明, as .csv or .xlsx: the
    clerk corrects them and uploads the same file again."""
    stored = _cached_import(request, token)
    if stored is None:
        return redirect("entries:import")
    try:
        parsed, _good = imports.check_file(actor=request.user, competition=request.competition, name=stored[0],
                                           content=stored[1])
    except imports.ImportFileError as error:  # the competition's rules changed under a parked file
        messages.error(request, str(error))
        return redirect("entries:import")
    if fmt == "xlsx":
        response = HttpResponse(imports.bad_rows_xlsx(parsed), content_type=XLSX_TYPE)
    else:
        response = HttpResponse(imports.bad_rows_csv(parsed), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="bad-rows.{fmt}"'
    return response


@clerk_page
def entry_template(request, fmt):
    if fmt not in ("xlsx", "csv"):
        raise Http404
    if fmt == "xlsx":
        content = imports.template_xlsx(request.competition, _clerk_rules(request).select_related(
            "job_type__business_system"))
        response = HttpResponse(content, content_type=XLSX_TYPE)
    else:
        response = HttpResponse(imports.template_csv(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="entry-template.{fmt}"'
    return response


def _roster_units(request):
    """Units a roster template can be asked for: the clerk's own units."""
    return list(Unit.objects.filter(pk__in=request.scope.clerk_unit_ids).order_by("path").only("pk", "name"))


@clerk_page
def entry_roster_template(request, fmt):
    """The template pre-filled for one unit (its subunits included) and one day: a row per active worker
    and metric of their job type, 工作量 left to fill. A unit outside the person's units is a 404."""
    if fmt not in ("xlsx", "csv"):
        raise Http404
    unit = (Unit.objects.filter(pk=_id_param(request.GET.get("unit")) or 0)
            .filter(unit_subtree_q(request.scope.clerk_unit_paths)).only("pk", "path").first())
    if unit is None:
        raise Http404
    day = _parse_date(request.GET.get("date")) or (local_today() - timedelta(days=1))
    rules = list(_clerk_rules(request).select_related("job_type__business_system"))
    workers = Worker.objects.enterable_by(request.user).filter(
        unit__path__startswith=unit.path, is_active=True, job_type_id__in={r.job_type_id for r in rules})
    if fmt == "xlsx":
        response = HttpResponse(imports.roster_xlsx(workers, rules, day), content_type=XLSX_TYPE)
    else:
        response = HttpResponse(imports.roster_csv(workers, rules, day), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="entry-roster-{day.isoformat()}.{fmt}"'
    return response


@clerk_reading_page
def entry_detail(request, pk):
    """An entry with its audit trail, and its correction forms for the clerk of its unit. Union staff
    read any entry here; changing one needs a clerk grant for its unit (refused otherwise)."""
    entry = (WorkEntry.objects.clerk_readable_by(request.user).with_month_lock()
             .select_related("worker", "rule", "entered_by", "changed_by", "reviewed_by").filter(pk=pk).first())
    if entry is None:
        raise Http404
    editable = WorkEntry.objects.editable_by(request.user).filter(pk=entry.pk).exists()
    list_query = _list_query(request)  # the forms post to the page's own address, filters and all
    if request.method == "POST":
        if not editable:
            raise PermissionDenied
        try:
            if request.POST.get("action") == "adjust":
                adjustment = entry_adjust(actor=request.user, entry_id=entry.pk,
                                          quantity_delta=request.POST.get("quantity"),
                                          reason=request.POST.get("reason", ""))
                messages.success(request, _("已提交调整，待审核。"))
                return redirect(_with_query(reverse("entries:detail", args=[adjustment.pk]), list_query))
            entry_update(actor=request.user, entry_id=entry.pk, quantity=request.POST.get("quantity"),
                         note=request.POST.get("note", entry.note))
            messages.success(request, _("已修改。"))
            return redirect(_with_query(reverse("entries:detail", args=[entry.pk]), list_query))
        except EntryRejected as error:
            _show_errors(request, error)
        except TransitionRefused as error:
            messages.error(request, error.message)
    return render(request, "reviews/entry_detail.html",
                  {"entry": entry, "events": entry_history(entry), "editable": editable,
                   "list_url": _with_query(reverse("entries:list"), list_query)})


def _with_query(url: str, query: str) -> str:
    return f"{url}?{query}" if query else url


def disputes_handled_by(user):
    """The disputes a clerk answers: their units' workers', never their own (the page and its export)."""
    return Dispute.objects.visible_to(user).exclude(worker_id=scope_of(user).worker_id)


@clerk_reading_page
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
    disputes = list(qs.filter(status=show).select_related("worker", "entry__rule").with_entry_month_lock()
                    .order_by("created_at", "id")[:200])
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
        except EntryRejected as error:  # one form, not rows of a file: the message alone
            for problem in error.errors:
                messages.error(request, problem.message)
        else:
            messages.success(request, _("申诉已提交，本单位录入员会处理并答复。"))
        return redirect(f"{reverse('my_entries')}?end={end.isoformat()}")

    mine = WorkEntry.objects.visible_to(request.user).filter(worker_id=request.worker_id, competition=competition)
    entries = list(mine.filter(work_date__gte=start, work_date__lte=end).select_related("rule").with_month_lock()
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
    """The business systems whose queue the person may open: a reviewer's own, every one for union staff
    (who read them; approving stays with the system's reviewers, ``_refuse_unless_reviewer``)."""
    scope = scope_of(request.user)
    qs = BusinessSystem.objects.all()
    if not scope.reads_everything:
        qs = qs.filter(pk__in=scope.reviewer_system_ids)
    return list(qs)


def _refuse_unless_reviewer(request, system) -> None:
    """A form that approves, rejects or signs off: only from a reviewer of the system (members.scope)."""
    if not request.scope.may_review(system.pk):
        raise PermissionDenied


def _month_param(request, value) -> date:
    """The month asked for; on a page, the current month when none (or no valid one) is. A form (POST)
    acts on the month it names: without a valid one it is refused (404), never applied to the current
    month instead (a tampered "approve all" would approve this month's queue)."""
    try:
        return parse_month(value)
    except ValidationError:
        if request.method == "POST":
            raise Http404 from None
        return month_of(local_today())


def _queue_filters(request, system, month):
    """The queue's selection (reviews.queue) from the page's query string, or from its form when posted:
    (entries, status, the filters kept, the messages on those left out)."""
    g = request.GET if request.method == "GET" else request.POST
    kept, errors = queue_filters_checked(competition=request.competition, system=system, filters=g)
    qs, status = queue_selection(user=request.user, competition=request.competition, system=system, month=month,
                                 filters=kept)
    return qs, status, kept, errors


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


@reviewer_reading_page
def review_queue(request):
    systems = _reviewer_systems(request)
    if not systems:
        raise PermissionDenied
    g = request.GET if request.method == "GET" else request.POST
    system = _reviewer_system(request, systems)
    month = _month_param(request, g.get("month"))
    qs, status, kept, filter_errors = _queue_filters(request, system, month)

    if request.method == "POST":
        _refuse_unless_reviewer(request, system)
        action = request.POST.get("action")
        if action == "sign_off":
            # Signing off locks the month for good: only from the page that shows what it locks.
            return redirect(_sign_off_url(system, month))
        if action == "approve_all":
            return _approve_all_in_background(request, system, month)
        try:
            if action in ("approve", "reject"):
                target = qs.filter(pk__in=[
                    pk for x in request.POST.getlist("entry") if (pk := _id_param(x)) is not None])
                to = EntryStatus.REJECTED if action == "reject" else EntryStatus.APPROVED
                result = entries_transition(actor=request.user, entries=target, to_status=to,
                                            reason=request.POST.get("reason", ""), systems=[system.pk], month=month)
                messages.success(request, _reviewed_text(to, result.moved))
                if result.skipped_own:
                    messages.error(request, ngettext(
                        "%(n)s 条是您本人的工作量或您录入、修改过的，不能由您审核，已跳过。",
                        "%(n)s 条是您本人的工作量或您录入、修改过的，不能由您审核，已跳过。",
                        result.skipped_own) % {"n": format_count(result.skipped_own)})
        except TransitionRefused as error:
            messages.error(request, error.message)
        return _back_to_queue(request)

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
    rows = list(qs.select_related("worker", "rule", "unit", "entered_by").with_month_lock()
                .order_by(*order)[: PAGE + 1])
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
        "may_review": request.scope.may_review(system.pk),
        "next_after": next_after, "status": status, "statuses": EntryStatus.choices,
        "period": period, "signed_off": period is not None and period.status == PeriodStatus.SIGNED_OFF,
        "sign_off_refusal": sign_off_refusal(competition=request.competition, month=month),
        "sign_off_url": _sign_off_url(system, month),
        "pending_capped": pending_capped, "filters": kept, "export_filters": kept.items(),
        "filter_errors": filter_errors,
        "query": _query_without(request, "after"),
        "depots": _depots_for(system),
        "job_types": JobType.objects.filter(business_system=system),
        "rules": ScoringRule.objects.filter(competition=request.competition, job_type__business_system=system)
        .select_related("job_type"),
    })


def _approve_all_in_background(request, system, month):
    """全部通过: everything the queue's filters select in the month may be 740,000 entries, so it is a
    background job (reviews.jobs) whose page shows the progress; pressed again while it runs, the same job."""
    params = {"competition": request.competition.pk, "system": system.pk, "month": format_month(month),
              "filters": queue_filters(request.POST)}
    job = job_start(kind="review_approve_all", params=params, user=request.user, once_key=params)
    if job.reused:
        messages.info(request, _("同样的“全部通过”已在进行中。"))
    return redirect("jobs:detail", job.pk)


@reviewer_reading_page
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
        _refuse_unless_reviewer(request, system)
        if request.POST.get("shown") != shown:
            messages.error(request, _("本月录入在您确认期间有变化，请核对后重新确认。"))
        else:
            try:
                period_sign_off(actor=request.user, competition=competition, business_system=system, month=month)
            except TransitionRefused as error:
                messages.error(request, error.message)
            else:
                messages.success(request, _("%(month)s 已签发，本月录入已锁定。") % {"month": display_month(month)})
                return redirect(f"{reverse('review:queue')}?system={system.pk}&month={format_month(month)}")
        return redirect(_sign_off_url(system, month))

    period = ReviewPeriod.objects.filter(competition=competition, business_system=system, month=month).first()
    return render(request, "reviews/review_sign_off.html", {
        "system": system, "month": month, "depots": depots, "totals": totals, "shown": shown,
        "signed_off": period is not None and period.status == PeriodStatus.SIGNED_OFF, "period": period,
        "refusal": sign_off_refusal(competition=competition, month=month),
        "may_review": request.scope.may_review(system.pk),
    })


ROW_ACTIONS = {"approve": EntryStatus.APPROVED, "reject": EntryStatus.REJECTED}


def _reviewed_text(to: str, n: int) -> str:
    """What a review from the queue did, said after it: approved or rejected, and how many."""
    done = _("已退回 %(n)s 条录入，已通知录入员。") if to == EntryStatus.REJECTED else _("已通过 %(n)s 条录入。")
    return done % {"n": format_count(n)}


@reviewer_page
@require_POST
def review_entry(request, pk):
    """Approve or reject one entry from its row."""
    entry = WorkEntry.objects.reviewable_by(request.user).filter(pk=pk).first()
    if entry is None:
        raise Http404
    to = ROW_ACTIONS.get(request.POST.get("action"))
    if to is None:  # the row's buttons send one of these; anything else is not a review
        raise BadRequest("unknown review action")
    try:
        entry_transition(actor=request.user, entry=entry, to_status=to, reason=request.POST.get("reason", ""))
        messages.success(request, _reviewed_text(to, 1))
    except TransitionRefused as error:
        messages.error(request, error.message)
    return _back_to_queue(request)



# -- office reports ----------------------------------------------------------------------------------

def _export(request, kind: str, params: dict):
    """Starts an export job for the person, with the page's filters (only the ones the list knows, never
    the CSRF token or a cursor); the job's page follows its progress and offers the file. The same export
    asked for again while it runs is the same job (a double click, a second tab)."""
    job = job_start(kind=kind, params=params, user=request.user, once_key=params)
    return redirect("jobs:detail", job.pk)


def _known(data, keys) -> dict:
    return {key: data[key].strip() for key in keys if data.get(key, "").strip()}


@clerk_reading_page
@require_POST
def entry_export(request):
    """The entry list as filtered on the page, every row, as xlsx (in the background)."""
    return _export(request, "entries_xlsx", {"competition": request.competition.pk,
                                             "filters": _known(request.POST, ENTRY_LIST_FILTERS)})


@clerk_reading_page
@require_POST
def dispute_export(request):
    """The dispute list of the status shown, as xlsx (in the background)."""
    return _export(request, "disputes_xlsx", _known(request.POST, ("status",)))


def _reviewed_month(request):
    """The reviewer's business system and month the page or form names: another system than their own
    answers 404, a bad month is the current one on a page and 404 for a form (as on the queue)."""
    systems = _reviewer_systems(request)
    if not systems:
        raise PermissionDenied
    g = request.GET if request.method == "GET" else request.POST
    return _reviewer_system(request, systems, strict=True), _month_param(request, g.get("month")), systems


@reviewer_reading_page
@require_POST
def review_export(request):
    """The review queue as filtered on the page, every row, as xlsx (in the background)."""
    system, month, _systems = _reviewed_month(request)
    return _export(request, "review_queue_xlsx", {
        "competition": request.competition.pk, "system": system.pk, "month": format_month(month),
        "filters": queue_filters(request.POST)})


@reviewer_reading_page
@require_POST
def review_report(request):
    """The monthly review report of a business system (xlsx, in the background)."""
    system, month, _systems = _reviewed_month(request)
    return _export(request, "review_month_xlsx", {"competition": request.competition.pk, "system": system.pk,
                                                  "month": format_month(month)})


@reviewer_reading_page
def review_progress(request):
    """Before sign-off: per depot of the system, what is entered, approved, pending, rejected and hinted
    for the month, the share reviewed, and the depots that have entered nothing yet."""
    system, month, systems = _reviewed_month(request)
    months = months_between(request.competition.start_date, local_today())
    if month not in months:
        months = sorted([*months, month], reverse=True)
    refusal = sign_off_refusal(competition=request.competition, month=month)
    return render(request, "reviews/review_progress.html", {
        "systems": systems, "system": system, "month": month, "months": months,
        # A month outside the competition expects no entries: the page says so instead of listing every
        # depot as one that has entered nothing yet.
        "outside": refusal if refusal is not None and refusal.code == "month_outside_competition" else None,
        "queue_url": f"{reverse('review:queue')}?system={system.pk}&month={format_month(month)}",
        "sign_off_url": _sign_off_url(system, month),
        **review_progress_cached(request.competition, system, month),
    })
