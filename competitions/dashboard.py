"""The union leaders' dashboard: what a competition looks like today, on one page for union staff.

Two kinds of figures, read differently so that the page costs a fixed, small number of queries however
large the competition:

* **Figures that need a scan of many entries or workers** (participation per business system and depot,
  points and entries per day over the last DAYS days, the current month's review progress per business
  system, each business system's top TOP of the latest standings day) are computed set-based by
  ``dashboard_refresh`` (a handful of GROUP BY queries, and one leaderboard page per business system) and
  stored whole in one DashboardFigures row per competition, replaced in one statement. Celery beat refreshes
  every active competition every REFRESH_MINUTES (competitions.tasks.refresh_dashboards); the page reads the
  row and says when it was computed. At seed scale the scans take seconds, so they cannot run in a request;
  a refresh every few minutes keeps the review progress close to what reviewers are doing, and the standings
  figures change only with a standings run anyway.
* **Small live figures** (the last standings runs and their failures, the latest verification, which months
  are signed off) are index probes, read on every request.

The figures are exact as of ``computed_at`` (aggregates over every row, never a sample). Participation is
the workers taking part in the competition (a scoring rule for their job type, in service now) per business
system and depot as they are now, and how many of them have counted entries up to the latest standings day
(they have a standings row that day).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.conf import settings
from django.db.models import Count, Exists, IntegerField, OuterRef, Q, Sum, Value
from django.utils import timezone

from competitions.models import (
    BusinessSystem,
    Competition,
    DashboardFigures,
    RunOutcome,
    Standing,
    StandingRun,
    StandingVerification,
)
from competitions.scopes import Scope
from competitions.standings import reads
from competitions.standings.ranking import APPROVED_STATUSES
from config.months import month_of
from members.models import Worker
from reviews.models import EntryStatus, ReviewPeriod, WorkEntry
from reviews.reports import review_progress

DAYS = 90  # points and entries per day: the page shows the last 30 or all 90
DAY_CHOICES = (30, 90)
TOP = 10  # the top of each business system
RUNS = 10  # the last standings runs shown
DEPOTS_SHOWN = 20  # the depots with the lowest participation; the page lists all on request (a few hundred)
FAILURES_DAYS = 30  # failed runs are counted over this many days
# How often beat refreshes the figures (config/settings/base.py's schedule); the page says so.
REFRESH_MINUTES = settings.DASHBOARD_REFRESH_MINUTES


def _number(value) -> float:
    # Three decimals, as points are stored; JSON carries them as numbers for the charts.
    return round(float(value or 0), 3)


def _window(competition: Competition, today: date) -> tuple[date, date] | None:
    """The days of the per-day figures: the last DAYS days up to today, within the competition."""
    last = min(today, competition.end_date)
    first = max(competition.start_date, last - timedelta(days=DAYS - 1))
    return (first, last) if first <= last else None


def _systems(competition: Competition) -> list[BusinessSystem]:
    """The business systems with a scoring rule in the competition, in their order."""
    return list(BusinessSystem.objects.filter(job_types__rules__competition=competition).distinct()
                .order_by("sort_order", "code").only("id", "name"))


def _daily(competition: Competition, window: tuple[date, date] | None) -> list[dict]:
    """Per work date in the window: counted (not rejected) entries, the workers they are of, their points and
    the approved part. One aggregate over the window's entries (index entry_competition_day); days without
    entries are listed with zeros so the chart's axis has every day."""
    if window is None:
        return []
    first, last = window
    found = {row["work_date"]: row for row in
             WorkEntry.objects.filter(competition=competition, work_date__gte=first, work_date__lte=last)
             .exclude(status=EntryStatus.REJECTED).order_by().values("work_date")
             .annotate(entries=Count("id"), workers=Count("worker_id", distinct=True), total_points=Sum("points"),
                       total_approved=Sum("points", filter=Q(status__in=APPROVED_STATUSES)))}
    days = []
    for n in range((last - first).days + 1):
        day = first + timedelta(days=n)
        row = found.get(day, {})
        days.append({"day": day.isoformat(), "entries": row.get("entries", 0), "workers": row.get("workers", 0),
                     "points": _number(row.get("total_points")),
                     "approved": _number(row.get("total_approved"))})
    return days


def _review(competition: Competition, month: date, systems: list[BusinessSystem]) -> list[dict]:
    """The month's entries of each business system by review status, how many carry a review hint, and how
    many of its depots have entered nothing yet: the totals of the reviewers' progress page
    (reviews.reports.review_progress, two queries per system). Signed off or not is read live
    (dashboard_read)."""
    rows = []
    for system in systems:
        progress = review_progress(competition, system, month)
        totals = progress["totals"]
        rows.append({"system_id": system.pk, "system": system.name, "entered": totals["total"],
                     "approved": totals["approved"], "pending": totals["n_pending"],
                     "rejected": totals["n_rejected"], "flagged": totals["flagged"],
                     "reviewed": totals["reviewed"], "silent_depots": len(progress["silent"])})
    return rows


def _share(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def _sum_by(participation: list[dict], key: str, name: str) -> list[dict]:
    """The (business system, depot) rows summed per business system or per depot, in the rows' order."""
    groups: dict = {}
    for row in participation:
        group = groups.setdefault(row[key], {key: row[key], name: row[name], "workers": 0, "ranked": 0})
        group["workers"] += row["workers"]
        group["ranked"] += row["ranked"]
    return [{**g, "share": _share(g["ranked"], g["workers"])} for g in groups.values()]


def _participation(competition: Competition, standings_day: date | None) -> dict[str, list[dict]]:
    """Of the workers taking part now, per business system (``systems``) and per depot (``depots``, the
    lowest participation first: the depots a leader would ask about): how many there are, how many have a
    standings row on the latest standings day (counted entries up to it), and the share in percent. One
    aggregate per (business system, depot) over the workers with a semi-join to that day's partition,
    summed here."""
    workers = Worker.objects.taking_part_in(competition.pk).filter(is_active=True)
    ranked = Value(0, output_field=IntegerField())
    if standings_day is not None:
        ranked = Count("id", filter=Exists(Standing.objects.filter(
            competition_id=competition.pk, day=standings_day, worker_id=OuterRef("pk"))))
    rows = (workers.order_by().values("job_type__business_system_id", "job_type__business_system__name",
                                      "unit__depot_id", "unit__depot__name", "unit__depot__path")
            .annotate(workers=Count("id"), ranked=ranked)
            .order_by("job_type__business_system__sort_order", "job_type__business_system__code", "unit__depot__path"))
    pairs = [{"system_id": r["job_type__business_system_id"], "system": r["job_type__business_system__name"],
              "depot_id": r["unit__depot_id"], "depot": r["unit__depot__name"] or "",
              "workers": r["workers"], "ranked": r["ranked"]} for r in rows]
    depots = sorted(_sum_by(pairs, "depot_id", "depot"),
                    key=lambda d: (d["share"] is None, d["share"] or 0, d["depot"]))
    return {"systems": _sum_by(pairs, "system_id", "system"), "depots": depots}


def _top(competition: Competition, standings_day: date | None, systems: list[BusinessSystem]) -> list[dict]:
    """Each business system's first TOP places of the latest standings day: one leaderboard page each (the
    scope's index, standings.reads.staff_board)."""
    if standings_day is None:
        return []
    tops = []
    for system in systems:
        rows = reads.staff_board(competition_id=competition.pk, day=standings_day,
                                 of=reads.StaffList(Scope.BUSINESS_SYSTEM, system.pk), limit=TOP)
        tops.append({"system_id": system.pk, "system": system.name, "rows": [
            {"rank": r.rank, "employee_no": r.employee_no, "name": r.name, "depot": r.depot or "",
             "job_type": r.job_type, "points": _number(r.points), "approved": _number(r.approved_points)}
            for r in rows]})
    return tops


def dashboard_refresh(*, competition: Competition, today: date | None = None) -> DashboardFigures:
    """Computes the competition's stored dashboard figures and replaces its row (one upsert: a reader sees
    the previous figures or these, never a mixture). Safe to run twice or concurrently: the later write wins,
    and each is complete. ``today`` (default: the local date) sets the window and the month.

    ``figures``: ``today``, ``standings_day`` (ISO dates or null); ``days`` (the per-day rows of _daily,
    oldest first); ``month`` (the first day of the month of the review figures) and ``review`` (per
    business system); ``participation`` (``systems`` and ``depots``); ``top`` (per business system)."""
    started = time.monotonic()
    today = today or timezone.localdate()
    standings_day = reads.latest_day(competition.pk)
    systems = _systems(competition)
    month = month_of(min(today, competition.end_date))
    figures = {
        "today": today.isoformat(),
        "standings_day": standings_day.isoformat() if standings_day else None,
        "days": _daily(competition, _window(competition, today)),
        "month": month.isoformat(),
        "review": _review(competition, month, systems),
        "participation": _participation(competition, standings_day),
        "top": _top(competition, standings_day, systems),
    }
    row, _created = DashboardFigures.objects.update_or_create(
        competition=competition, defaults={"computed_at": timezone.now(), "figures": figures,
                                           "seconds": round(time.monotonic() - started, 3)})
    return row


# --- Reading the page's figures ------------------------------------------------------------------------


@dataclass
class Dashboard:
    """What the dashboard page shows for one competition."""

    competition: Competition
    stored: DashboardFigures | None
    runs: list[StandingRun]
    failures: int  # failed runs in the last FAILURES_DAYS days
    verification: StandingVerification | None
    days: list[dict] = field(default_factory=list)
    review: list[dict] = field(default_factory=list)
    by_system: list[dict] = field(default_factory=list)
    by_depot: list[dict] = field(default_factory=list)
    depots_total: int = 0
    top: list[dict] = field(default_factory=list)
    totals: dict = field(default_factory=dict)
    month: date | None = None
    standings_day: date | None = None


def dashboard_read(competition: Competition, *, days: int = DAY_CHOICES[0], all_depots: bool = False) -> Dashboard:
    """The page's figures: the stored ones (one query) and the live ones (four index queries: the last runs,
    the failures, the latest verification, the month's sign-offs). ``days``: how many of the stored days;
    ``all_depots``: every depot's participation rather than the DEPOTS_SHOWN lowest."""
    stored = DashboardFigures.objects.filter(competition=competition).first()
    since = timezone.now() - timedelta(days=FAILURES_DAYS)
    runs = list(StandingRun.objects.filter(competition=competition).order_by("-started_at", "-id")
                .only("day", "kind", "trigger", "outcome", "started_at", "finished_at", "rows", "error")[:RUNS])
    failures = StandingRun.objects.filter(competition=competition, outcome=RunOutcome.FAILED,
                                          started_at__gte=since).count()
    verification = (StandingVerification.objects.filter(competition=competition).order_by("-started_at", "-id")
                    .first())
    board = Dashboard(competition=competition, stored=stored, runs=runs, failures=failures,
                      verification=verification)
    if stored is None:
        return board
    figures = stored.figures
    board.month = date.fromisoformat(figures["month"])
    board.standings_day = date.fromisoformat(figures["standings_day"]) if figures["standings_day"] else None
    board.days = figures["days"][-days:]
    signed = dict(ReviewPeriod.objects.signed_off().filter(competition=competition, month=board.month)
                  .values_list("business_system_id", "signed_off_at"))
    board.review = [{**row, "signed_off": row["system_id"] in signed, "signed_off_at": signed.get(row["system_id"])}
                    for row in figures["review"]]
    board.by_system = figures["participation"]["systems"]
    board.depots_total = len(figures["participation"]["depots"])
    board.by_depot = figures["participation"]["depots"][:None if all_depots else DEPOTS_SHOWN]
    board.top = figures["top"]
    workers = sum(row["workers"] for row in board.by_system)
    ranked = sum(row["ranked"] for row in board.by_system)
    board.totals = {"workers": workers, "ranked": ranked, "share": _share(ranked, workers),
                    "entries": sum(d["entries"] for d in board.days),
                    "points": round(sum(d["points"] for d in board.days), 3),
                    "entered": sum(r["entered"] for r in board.review),
                    "pending": sum(r["pending"] for r in board.review)}
    return board
