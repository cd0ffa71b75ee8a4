"""The worker's pages: "my page" (points, ranks, trend) and the leaderboards.

Both read only through the read paths of competitions.standings (no ranking SQL here) and only for
the signed-in worker: which worker, and which business system, job type and depot a leaderboard is
about, come from the session, never from the URL. Every other worker's name leaves this module
masked (张*明), and no Worker object reaches a leaderboard template, so an ID number or a phone
number cannot be printed there by mistake.

At the end, the union leaders' dashboard (staff only; its figures are competitions.dashboard's).
"""

from __future__ import annotations

from decimal import Decimal

from django.contrib import messages
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from competitions import standings
from competitions.charts import (
    chart_json,
    chart_scripts,
    daily_options,
    participation_options,
    review_options,
    trend_chart,
    trend_options,
)
from competitions.dashboard import DAY_CHOICES, FAILURES_DAYS, REFRESH_MINUTES, dashboard_read
from competitions.models import BusinessSystem, JobType, RunOutcome, StandingRun
from competitions.scopes import Scope
from competitions.workspace import lists
from config.cursors import InvalidCursor
from config.gate import portal_view, worker_page
from members.models import Unit, Worker
from members.validators import mask_name

FIRST_PAGE = 20  # the top of the list on the first page
PAGE = 50  # rows per page after it
AROUND = 10  # "the places around me"

# Scope -> (rank column, change column, label); URLs carry Scope values (the alias "system" still works).
SCOPES = {scope: (scope.rank, scope.change, scope.label) for scope in Scope}


def _my_worker(request) -> Worker:
    # Only what the pages print about the worker themself; never the ID number or phone.
    return (Worker.objects.select_related("unit__depot", "job_type__business_system")
            .only("id", "employee_no", "name", "skill_grade", "unit__name", "unit__depot__name", "job_type__name",
                  "job_type__business_system__name")
            .get(pk=request.worker_id))


def _scope_names(worker: Worker, row=None) -> dict[str, str]:
    """The names of the worker's scopes: of the business system, job type and depot ``row`` (a Standing)
    recorded, when given, which are the scopes its ranks are in; the worker's current ones otherwise. A
    worker moved since the row was computed is named with the depot they were ranked in, not the new one
    (a query per scope that changed; none when nothing did)."""
    names = {
        "overall": str(_("全部职工")),
        "business_system": worker.job_type.business_system.name,
        "job_type": worker.job_type.name,
        "unit": worker.unit.depot.name if worker.unit.depot_id else "",
    }
    if row is not None:
        recorded = {"business_system": (row.business_system_id, worker.job_type.business_system_id, BusinessSystem),
                    "job_type": (row.job_type_id, worker.job_type_id, JobType),
                    "unit": (row.depot_id, worker.unit.depot_id, Unit)}
        for key, (then, now, model) in recorded.items():
            if then != now:
                found = model.objects.filter(pk=then).values_list("name", flat=True).first() if then else None
                names[key] = found or ""
    return names


@worker_page
def me(request):
    competition = request.competition
    worker = _my_worker(request)
    history = standings.worker_history(competition_id=competition.pk, worker_id=worker.pk)
    standing = history[-1] if history else None
    totals = [] if standing is None else standings.worker_rule_totals(
        competition_id=competition.pk, worker_id=worker.pk, day=standing.day)
    run = None
    if standing is not None:
        run = (StandingRun.objects.filter(competition_id=competition.pk, day=standing.day,
                                          outcome=RunOutcome.SUCCEEDED)
               .order_by("-finished_at").only("finished_at").first())
    names = _scope_names(worker, standing)
    ranks = []
    if standing is not None:
        for key, (rank_field, change_field, label) in SCOPES.items():
            ranks.append({"key": key, "label": label, "name": names[key], "rank": getattr(standing, rank_field),
                          "change": getattr(standing, change_field)})
    rules = [{"metric": t.metric, "unit": t.unit_of_measure, "quantity": t.quantity, "points": t.points,
              "approved": t.approved_points, "pending": t.pending_points} for t in totals]
    # The totals per metric are the entries as they stand now (dated up to the standing's day), the card
    # above them the nightly run's: an entry reviewed, rejected or corrected since the run makes them
    # differ until the next run, which the page then says instead of showing two sums silently apart.
    totals_changed = standing is not None and (
        sum((t.points for t in totals), Decimal(0)) != standing.points
        or sum((t.approved_points for t in totals), Decimal(0)) != standing.approved_points)
    return render(request, "competitions/me.html", {
        "competition": competition, "worker": worker, "standing": standing, "ranks": ranks, "rules": rules,
        "totals_changed": totals_changed, "run": run, "chart": trend_chart(history, "rank_overall"),
        "chart_options": chart_json(trend_options(history)), "chart_scripts": chart_scripts(),
    })


def _rows(rows: list[standings.BoardRow], me_id: int) -> list[dict]:
    """What a leaderboard template gets: the selector's rows, the name masked unless it is the viewer's."""
    return [{**r._asdict(), "name": r.name if r.worker_id == me_id else mask_name(r.name),
             "is_me": r.worker_id == me_id} for r in rows]


@worker_page
def leaderboard(request):
    competition = request.competition
    scope = Scope.parse(request.GET.get("scope")) or Scope.OVERALL
    rank_field, _change_field, label = SCOPES[scope]
    worker = _my_worker(request)
    day = standings.latest_day(competition.pk)
    me_row = None
    if day is not None:
        me_row = standings.worker_standing(competition_id=competition.pk, worker_id=worker.pk, day=day)
    # The scope is the viewer's own system / job type / depot, as the standings recorded it that day
    # (the worker may have moved since); a worker not yet ranked falls back to their current record.
    scope_ids = {
        Scope.OVERALL: None,
        Scope.BUSINESS_SYSTEM: me_row.business_system_id if me_row else worker.job_type.business_system_id,
        Scope.JOB_TYPE: me_row.job_type_id if me_row else worker.job_type_id,
        Scope.UNIT: me_row.depot_id if me_row else worker.unit.depot_id,
    }
    context = {"competition": competition, "scopes": [(k.value, v[2]) for k, v in SCOPES.items()],
               "scope": scope.value, "label": label, "scope_name": _scope_names(worker, me_row)[scope], "day": day,
               "rows": [], "around": [], "next_after": None, "paged": False, "me": None}
    if day is None or (scope != Scope.OVERALL and scope_ids[scope] is None):
        return render(request, "competitions/leaderboard.html", context)
    list_of = {"competition_id": competition.pk, "scope": scope, "scope_id": scope_ids[scope]}
    try:
        after = standings.Cursor.decode(request.GET["after"], **list_of) if request.GET.get("after") else None
    except InvalidCursor:
        after = None  # an old or mangled link: the top of the list
    limit = PAGE if after else FIRST_PAGE
    rows = standings.leaderboard(day=day, after=after, limit=limit + 1, **list_of)
    more, rows = len(rows) > limit, rows[:limit]
    around = []
    if after is None and me_row is not None and all(r.worker_id != worker.pk for r in rows):
        shown = {r.worker_id for r in rows}
        around = [r for r in standings.around_standing(me_row, scope=scope, size=AROUND) if r.worker_id not in shown]
    context.update({
        "rows": _rows(rows, worker.pk),
        "around": _rows(around, worker.pk),
        "next_after": standings.Cursor(rows[-1].rank, rows[-1].worker_id).encode(**list_of) if more else None,
        "paged": after is not None,
        "me": {"rank": getattr(me_row, rank_field), "points": me_row.points} if me_row else None,
    })
    return render(request, "competitions/leaderboard.html", context)


# --- The union leaders' dashboard (staff) -------------------------------------------------------------------


@portal_view(roles=("staff",))
def dashboard(request):
    """Participation, points and entries per day, the month's review progress, each business system's top
    and the standings runs' health of one competition (competitions.dashboard): a fixed number of queries,
    the heavy figures read from their stored row with the time they were computed."""
    competition, competitions, errors = lists.parse_competition(request.GET, request.user)
    for error in errors:
        messages.error(request, error)
    days = DAY_CHOICES[-1] if request.GET.get("days") == str(DAY_CHOICES[-1]) else DAY_CHOICES[0]
    context = {"competition": competition, "competitions": competitions, "days": days, "day_choices": DAY_CHOICES,
               "refresh_minutes": REFRESH_MINUTES, "failures_days": FAILURES_DAYS, "board": None}
    if competition is not None:
        board = dashboard_read(competition, days=days, all_depots=request.GET.get("depots") == "all")
        context.update(board=board, chart_scripts=chart_scripts(), charts={
            "daily": chart_json(daily_options(board.days)),
            "participation": chart_json(participation_options(board.by_system)),
            "review": chart_json(review_options(board.review)),
        })
    return render(request, "competitions/dashboard.html", context)
