"""The standings workspace's pages, for union staff only (config.gate): the full ranking of a published
day, period snapshots with their collective tables, exports as background jobs, printable pages.

Every list is keyset-paged (config.cursors, through the reads' cursors), so a page deep in a day of
223,000 rows costs what the first costs, and each page runs a fixed number of queries. Nothing slow runs
in a request: a period snapshot and an export are Celery tasks whose pages show their progress.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from competitions.jobs import job_start
from competitions.models import PeriodSnapshot, SnapshotStatus
from competitions.standings import periods as periods_engine
from competitions.standings import reads
from competitions.standings.digest import day_digest
from competitions.workspace import lists
from config.cursors import InvalidCursor
from config.formatting import display_date, display_datetime
from config.gate import portal_view

staff_page = portal_view(roles=("staff",))

PAGE = 100  # rows per page of a full ranking
PRINT_ROWS = 500  # the printable page shows the top of the list only; the export has every row


def _flash(request, errors: list[str]) -> None:
    for error in errors:
        messages.error(request, error)


def _day_list(request, query) -> dict:
    """The day list ``query`` asks for: competition, published day, selection; messages for what was
    not understood. Four queries (competition, its days, the selects' choices)."""
    competition, competitions, errors = lists.parse_competition(query, request.user)
    choices = lists.Choices.load()
    selection = lists.parse_selection(query, choices)
    errors += selection.errors
    days = lists.published_days(competition) if competition is not None else {}
    day, day_errors = lists.parse_day(query, days)
    errors += day_errors
    return {"competition": competition, "competitions": competitions, "days": days, "day": day,
            "standing_day": days.get(day), "choices": choices, "selection": selection,
            "scope_value": lists.scope_value(selection.of), "scope_name": choices.scope_name(selection.of),
            "errors": errors}


def _page_rows(request, fetch, decode, limit: int):
    """A keyset page: the rows after the ``after`` cursor (a bad one: the first page, with a message),
    one more fetched to know whether there is a next page."""
    after = None
    if request.GET.get("after"):
        try:
            after = decode(request.GET["after"])
        except InvalidCursor:
            messages.error(request, _("翻页链接无效或已过期，已显示第一页。"))
    rows = fetch(after=after, limit=limit + 1)
    return rows[:limit], len(rows) > limit, after is not None


def _link(name: str, params: dict, *args) -> str:
    return f"{reverse(name, args=args)}?{urlencode(params)}"


@staff_page
def day_ranking(request):
    """The full ranking of a published day: a scope's list with filters, 100 rows a page."""
    context = _day_list(request, request.GET)
    _flash(request, context["errors"])
    competition, day, of = context["competition"], context["day"], context["selection"].of
    rows, more, paged = [], False, False
    query = context["selection"].query()
    if competition is not None:
        query = {"competition": competition.pk, **({"day": day.isoformat()} if day else {}), **query}
    if day is not None:
        at = {"competition_id": competition.pk, "day": day}
        rows, more, paged = _page_rows(
            request, lambda **kw: reads.staff_board(**at, of=of, **kw),
            lambda text: of.decode(text, **at), PAGE)
    context.update({
        "rows": rows, "paged": paged, "query": query,
        "first_url": _link("workspace:day", query),
        "next_url": _link("workspace:day", {**query, "after": of.encode(rows[-1], **at)}) if more else None,
        "print_url": _link("workspace:day_print", query),
        "digest": _day_digest(competition, day),
    })
    return render(request, "competitions/workspace/day.html", context)


@staff_page
def day_print(request):
    """The top PRINT_ROWS rows of the same list, laid out for paper (print.css)."""
    context = _day_list(request, request.GET)
    competition, day, of = context["competition"], context["day"], context["selection"].of
    rows = []
    if day is not None:
        rows = reads.staff_board(competition_id=competition.pk, day=day, of=of, limit=PRINT_ROWS + 1)
    query = {k: v for k, v in request.GET.items() if k != "after"}
    context.update(_print_context(context, rows), title=_("每日排名"), period_label=_("排名日期"),
                   period=display_date(day) if day else "–", digest=_day_digest(competition, day),
                   back_url=_link("workspace:day", query), show_change=True)
    return render(request, "competitions/workspace/print.html", context)


def _print_context(context: dict, rows: list) -> dict:
    of, choices = context["selection"].of, context["choices"]
    return {"rows": rows[:PRINT_ROWS], "cut": len(rows) > PRINT_ROWS, "print_rows": PRINT_ROWS,
            "generated_at": timezone.now(), "depot_name": choices.depots.get(of.depot_id, ""),
            "job_type_name": choices.job_types.get(of.job_type_id, ("", ""))[0],
            "grade_name": choices.grade_name(of.min_grade)}


def _day_digest(competition, day) -> str | None:
    """The digest of the day's current publication (the ledger's latest entry for it), if it has one."""
    if competition is None or day is None:
        return None
    entry = day_digest(competition.pk, day)
    return entry.rows_digest if entry is not None else None


# -- period standings ----------------------------------------------------------------------------------

UNIT_TABS = {"depots": "depot", "teams": "team"}  # tab -> periods.unit_rankings level


@staff_page
def periods(request):
    """The period form (a preset or a range) and the competition's recent snapshots. Submitting starts
    a snapshot in the background and shows its page, which follows its progress."""
    competition, competitions, errors = lists.parse_competition(
        request.POST if request.method == "POST" else request.GET, request.user)
    presets = lists.period_presets(competition, timezone.localdate()) if competition is not None else []
    choice = lists.PeriodChoice()
    if request.method == "POST" and competition is not None and not errors:
        choice = lists.parse_period(request.POST, competition, presets)
        if not choice.errors:
            snapshot = periods_engine.request_period_snapshot(
                competition_id=competition.pk, start=choice.start, end=choice.end,
                signed_off_only=choice.signed_off_only, user=request.user)
            return redirect("workspace:period", snapshot.pk)
    _flash(request, errors + choice.errors)
    recent = []
    if competition is not None:
        recent = list(PeriodSnapshot.objects.filter(competition=competition).only(
            "id", "start", "end", "signed_off_only", "status", "created_at", "computed_at", "rows")[:20])
    return render(request, "competitions/workspace/periods.html", {
        "competition": competition, "competitions": competitions, "presets": presets, "choice": choice,
        "recent": recent, "section": "periods"})


def _snapshot(pk: int) -> PeriodSnapshot:
    snapshot = PeriodSnapshot.objects.select_related("competition").filter(pk=pk).first()
    if snapshot is None:
        raise Http404
    return snapshot


def _period_list(request, snapshot: PeriodSnapshot, query) -> dict:
    choices = lists.Choices.load()
    selection = lists.parse_selection(query, choices)
    tab = query.get("tab") if query.get("tab") in UNIT_TABS else "people"
    return {"snapshot": snapshot, "competition": snapshot.competition, "choices": choices,
            "selection": selection, "scope_value": lists.scope_value(selection.of),
            "scope_name": choices.scope_name(selection.of), "tab": tab, "errors": selection.errors}


def _board_page(snapshot: PeriodSnapshot, of: reads.StaffList, *, after: str | None, limit: int):
    return periods_engine.period_board(snapshot, scope=of.scope, scope_id=of.scope_id, depot_id=of.depot_id,
                                       job_type_id=of.job_type_id, after=after, limit=limit,
                                       min_grade=of.min_grade)


@staff_page
def period_detail(request, pk: int):
    """A snapshot: its progress while it runs; then its list (the day ranking's table, paged) and the
    collective tables of depots and teams."""
    snapshot = _snapshot(pk)
    context = _period_list(request, snapshot, request.GET)
    context["section"] = "periods"
    if snapshot.status != SnapshotStatus.READY:
        return render(request, "competitions/workspace/period.html", context)
    _flash(request, context["errors"])
    of = context["selection"].of
    query = {"tab": context["tab"], **context["selection"].query()}
    if context["tab"] in UNIT_TABS:
        context["units"] = periods_engine.unit_rankings(snapshot, UNIT_TABS[context["tab"]])
    else:
        after = request.GET.get("after") or None
        try:
            page = _board_page(snapshot, of, after=after, limit=PAGE)
        except InvalidCursor:
            messages.error(request, _("翻页链接无效或已过期，已显示第一页。"))
            after, page = None, _board_page(snapshot, of, after=None, limit=PAGE)
        context.update({
            "rows": page.rows, "paged": after is not None,
            "next_url": _link("workspace:period", {**query, "after": page.next_cursor}, snapshot.pk)
            if page.next_cursor else None})
    context.update({
        "query": query, "first_url": _link("workspace:period", query, snapshot.pk),
        "print_url": _link("workspace:period_print", query, snapshot.pk),
        "tabs": [(key, label, _link("workspace:period", {"tab": key}, snapshot.pk))
                 for key, label in (("people", _("先进个人（职工排名）")), ("depots", _("先进集体：站段")),
                                    ("teams", _("先进集体：班组")))],
    })
    return render(request, "competitions/workspace/period.html", context)


@staff_page
def period_status(request, pk: int):
    """What the snapshot page polls while the snapshot is computed."""
    snapshot = _snapshot(pk)
    return JsonResponse({"status": snapshot.status, "finished": snapshot.status != SnapshotStatus.RUNNING,
                         "text": snapshot.get_status_display(), "done": 0, "total": None})


@staff_page
def period_print(request, pk: int):
    """The top PRINT_ROWS rows of the snapshot's list (or its depot or team table), for paper."""
    snapshot = _snapshot(pk)
    context = _period_list(request, snapshot, request.GET)
    if snapshot.status != SnapshotStatus.READY:
        return redirect("workspace:period", snapshot.pk)
    rows, units = [], None
    if context["tab"] in UNIT_TABS:
        units = periods_engine.unit_rankings(snapshot, UNIT_TABS[context["tab"]])
    else:
        rows = _board_page(snapshot, context["selection"].of, after=None, limit=PRINT_ROWS + 1).rows
    query = {k: v for k, v in request.GET.items() if k != "after"}
    context.update(_print_context(context, rows), units=units, title=_("时段排名"), period_label=_("时段"),
                   period=f"{display_date(snapshot.start)} ~ {display_date(snapshot.end)}", digest=snapshot.digest,
                   basis=_period_basis(snapshot), back_url=_link("workspace:period", query, snapshot.pk))
    if units is not None:
        context["cut"] = False
    return render(request, "competitions/workspace/print.html", context)


def _period_basis(snapshot: PeriodSnapshot) -> str:
    at = display_datetime(snapshot.computed_at) if snapshot.computed_at else "–"
    if snapshot.signed_off_only:
        return _("按 %(at)s 时的录入计算，只计已签发月份") % {"at": at}
    return _("按 %(at)s 时的录入计算") % {"at": at}


# -- exports -------------------------------------------------------------------------------------------

@staff_page
@require_POST
def export_day(request):
    """Starts the xlsx export of the day list the form names (every row, in the background)."""
    context = _day_list(request, request.POST)
    if context["errors"] or context["day"] is None:
        _flash(request, context["errors"] or [_("还没有已发布的排名，无法导出。")])
        competition = context["competition"]
        return redirect(_link("workspace:day", {"competition": competition.pk} if competition else {}))
    params = {"competition": context["competition"].pk, "day": context["day"].isoformat(),
              **context["selection"].query()}
    # The same export asked for again while it runs is the same job (a double click, a second tab).
    job = job_start(kind="standings_day_xlsx", params=params, user=request.user, once_key=params)
    return redirect("jobs:detail", job.pk)


@staff_page
@require_POST
def export_period(request, pk: int):
    """Starts the xlsx export of the snapshot's list the form names, with its depot and team tables."""
    snapshot = _snapshot(pk)
    context = _period_list(request, snapshot, request.POST)
    if context["errors"] or snapshot.status != SnapshotStatus.READY:
        _flash(request, context["errors"] or [_("该时段排名尚未计算完成，无法导出。")])
        return redirect("workspace:period", snapshot.pk)
    params = {"snapshot": snapshot.pk, **context["selection"].query()}
    job = job_start(kind="standings_period_xlsx", params=params, user=request.user, once_key=params)
    return redirect("jobs:detail", job.pk)
