"""The worker's pages: "my page" (points, ranks, trend) and the leaderboards.

Both read only through the read paths of competitions.standings (no ranking SQL here) and only for
the signed-in worker: which worker, and which business system, job type and depot a leaderboard is
about, come from the session, never from the URL. Every other worker's name leaves this module
masked (张*明), and no Worker object reaches a leaderboard template, so an ID number or a phone
number cannot be printed there by mistake.
"""

from __future__ import annotations

from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from competitions import standings
from competitions.charts import trend_chart
from competitions.models import RunOutcome, StandingRun
from config.gate import worker_page
from members.models import Worker
from members.validators import mask_name

FIRST_PAGE = 20  # the top of the list on the first page
PAGE = 50  # rows per page after it
AROUND = 10  # "the places around me"

# URL value -> (scope name in competitions.standings, rank column, change column, label)
SCOPES = {
    "overall": ("overall", "rank_overall", "change_overall", _("总排名")),
    "system": ("business_system", "rank_business_system", "change_business_system", _("业务系统")),
    "job_type": ("job_type", "rank_job_type", "change_job_type", _("工种")),
    "unit": ("unit", "rank_unit", "change_unit", _("站段")),
}


def _my_worker(request) -> Worker:
    # Only what the pages print about the worker themself; never the ID number or phone.
    return (Worker.objects.select_related("unit__depot", "job_type__business_system")
            .only("id", "employee_no", "name", "unit__name", "unit__depot__name", "job_type__name",
                  "job_type__business_system__name")
            .get(pk=request.worker_id))


def _scope_names(worker: Worker) -> dict[str, str]:
    return {
        "overall": str(_("全部职工")),
        "system": worker.job_type.business_system.name,
        "job_type": worker.job_type.name,
        "unit": worker.unit.depot.name if worker.unit.depot_id else "",
    }


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
    names = _scope_names(worker)
    ranks = []
    if standing is not None:
        for key, (_scope, rank_field, change_field, label) in SCOPES.items():
            ranks.append({"key": key, "label": label, "name": names[key], "rank": getattr(standing, rank_field),
                          "change": getattr(standing, change_field)})
    rules = [{"metric": t.metric, "unit": t.unit_of_measure, "quantity": t.quantity, "points": t.points,
              "approved": t.approved_points, "pending": t.pending_points} for t in totals]
    return render(request, "competitions/me.html", {
        "competition": competition, "worker": worker, "standing": standing, "ranks": ranks, "rules": rules,
        "run": run, "chart": trend_chart(history, "rank_job_type"),
    })


def _parse_cursor(value: str) -> standings.Cursor | None:
    rank, sep, employee_no = (value or "").partition("_")
    if not sep or not rank.isdigit() or not employee_no:
        return None
    return standings.Cursor(rank=int(rank), employee_no=employee_no)


def _rows(rows, rank_field, change_field, me_id, people) -> list[dict]:
    """What a leaderboard template gets: plain values, the name masked unless it is the viewer's."""
    out = []
    for s in rows:
        person = people.get(s.worker_id)
        name = person.name if person else ""
        out.append({
            "rank": getattr(s, rank_field), "change": getattr(s, change_field), "points": s.points,
            "name": name if s.worker_id == me_id else mask_name(name), "is_me": s.worker_id == me_id,
            "unit": person.unit.name if person else "", "job_type": person.job_type.name if person else "",
            "cursor": f"{getattr(s, rank_field)}_{s.employee_no}",
        })
    return out


@worker_page
def leaderboard(request):
    competition = request.competition
    key = request.GET.get("scope", "overall")
    if key not in SCOPES:
        key = "overall"
    scope, rank_field, change_field, label = SCOPES[key]
    worker = _my_worker(request)
    day = standings.latest_day(competition.pk)
    me_row = None
    if day is not None:
        me_row = standings.worker_standing(competition_id=competition.pk, worker_id=worker.pk, day=day)
    # The scope is the viewer's own system / job type / depot, as the standings recorded it that day
    # (the worker may have moved since); a worker not yet ranked falls back to their current record.
    scope_ids = {
        "overall": None,
        "business_system": me_row.business_system_id if me_row else worker.job_type.business_system_id,
        "job_type": me_row.job_type_id if me_row else worker.job_type_id,
        "unit": me_row.depot_id if me_row else worker.unit.depot_id,
    }
    context = {"competition": competition, "scopes": [(k, v[3]) for k, v in SCOPES.items()], "scope": key,
               "label": label, "scope_name": _scope_names(worker)[key], "day": day, "rows": [], "around": [],
               "next_after": None, "paged": False, "me": None}
    if day is None or (scope != "overall" and scope_ids[scope] is None):
        return render(request, "competitions/leaderboard.html", context)
    after = _parse_cursor(request.GET.get("after", ""))
    limit = PAGE if after else FIRST_PAGE
    rows = standings.leaderboard(competition_id=competition.pk, day=day, scope=scope, scope_id=scope_ids[scope],
                                 after=after, limit=limit + 1)
    more, rows = len(rows) > limit, rows[:limit]
    around = []
    if after is None and me_row is not None and all(r.worker_id != worker.pk for r in rows):
        shown = {r.worker_id for r in rows}
        around = [r for r in standings.around_worker(competition_id=competition.pk, worker_id=worker.pk, day=day,
                                                     scope=scope, size=AROUND) if r.worker_id not in shown]
    # One query for the names, units and job types of everyone on the page.
    ids = {r.worker_id for r in rows} | {r.worker_id for r in around}
    people = {p.pk: p for p in Worker.objects.filter(pk__in=ids).select_related("unit", "job_type")
              .only("id", "name", "unit__name", "job_type__name")}
    context.update({
        "rows": _rows(rows, rank_field, change_field, worker.pk, people),
        "around": _rows(around, rank_field, change_field, worker.pk, people),
        "next_after": f"{getattr(rows[-1], rank_field)}_{rows[-1].employee_no}" if more else None,
        "paged": after is not None,
        "me": {"rank": getattr(me_row, rank_field), "points": me_row.points} if me_row else None,
    })
    return render(request, "competitions/leaderboard.html", context)
