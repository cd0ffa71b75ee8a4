"""How a nominee's points were made: every point traceable to the entries behind it.

A nominee's figures come from the period snapshot (competitions.standings.periods): the points of the
entries dated in the round's basis period, as they stood when the shortlist was made, and, for a round on
signed-off months only, just the entries of the months signed off for the worker's business system. This
module reads the same entries straight from reviews_workentry, so staff can check them line by line:

* ``points_by_month_and_rule``: one row per (month, rule) with the counted entries, their
  quantity, points and approved points, and whether they count for the round (the month signed off);
  the totals of the rows that count are the nominee's figures (unless an entry changed since the snapshot:
  the page shows both, and the difference is itself the news);
* ``month_entries``: one month's entries, keyset-paged, each with the rule version in force on its date
  (points per unit, daily cap, effective from) and its review history (reviews.history: who, when, what, the month's
  sign-off included).

Queries are bounded whatever the worker's history: one aggregate, one for the signed-off months, and per
page of entries four (the entries, the versions of their rules, their audit facts, their months' sign-offs).
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncMonth

from competitions.models import RuleVersion
from competitions.standings import APPROVED_STATUSES
from config import cursors
from config.months import month_bounds
from reviews.history import entry_histories
from reviews.models import EntryEvent, EntryStatus, ReviewPeriod, WorkEntry

ZERO = Decimal("0.000")
PAGE = 100


@dataclass(frozen=True)
class MonthRule:
    month: date
    rule_id: int
    metric: str
    unit_of_measure: str
    entries: int  # counted: not rejected
    rejected: int
    quantity: Decimal
    points: Decimal
    approved_points: Decimal
    signed_off: bool
    counts: bool  # counts for the round: always, or (signed-off rounds) when its month is signed off


@dataclass(frozen=True)
class PointsTrace:
    rows: list[MonthRule]
    points: Decimal  # of the rows that count
    approved_points: Decimal
    entries: int

    @property
    def months(self) -> list[date]:
        return sorted({row.month for row in self.rows})


def _signed_off(competition_id: int, business_system_id: int, start: date, end: date) -> set[date]:
    return set(ReviewPeriod.objects.signed_off().overlapping(start, end)
               .filter(competition_id=competition_id, business_system_id=business_system_id)
               .values_list("month", flat=True))


def points_by_month_and_rule(*, user, competition_id: int, worker_id: int, business_system_id: int | None,
                             start: date, end: date, signed_off_only: bool) -> PointsTrace:
    """The worker's entries dated in [start, end], summed per (month, rule); see the module's docstring.
    Rejected entries count nothing (their number is shown). For a round on signed-off months only, a month
    counts when it is signed off for ``business_system_id``, the worker's current business system, as the
    period standings count it (competitions.standings.periods)."""
    counted = ~Q(status=EntryStatus.REJECTED)
    groups = (WorkEntry.objects.visible_to(user)
              .filter(competition_id=competition_id, worker_id=worker_id, work_date__gte=start, work_date__lte=end)
              .annotate(month=TruncMonth("work_date"))
              .values("month", "rule_id", "rule__metric", "rule__unit_of_measure")
              .annotate(counted=Count("id", filter=counted), rejected=Count("id", filter=~counted),
                        total_quantity=Sum("quantity", filter=counted, default=ZERO),
                        total_points=Sum("points", filter=counted, default=ZERO),
                        total_approved=Sum("points", filter=Q(status__in=APPROVED_STATUSES), default=ZERO))
              .order_by("month", "rule__metric", "rule_id"))
    signed = _signed_off(competition_id, business_system_id, start, end) if signed_off_only else set()
    rows = []
    for g in groups:
        month = g["month"] if isinstance(g["month"], date) else g["month"].date()
        is_signed = month in signed
        rows.append(MonthRule(
            month=month, rule_id=g["rule_id"], metric=g["rule__metric"], unit_of_measure=g["rule__unit_of_measure"],
            entries=g["counted"], rejected=g["rejected"], quantity=g["total_quantity"], points=g["total_points"],
            approved_points=g["total_approved"], signed_off=is_signed, counts=is_signed or not signed_off_only))
    counting = [row for row in rows if row.counts]
    return PointsTrace(rows=rows, points=sum((r.points for r in counting), ZERO),
                       approved_points=sum((r.approved_points for r in counting), ZERO),
                       entries=sum(r.entries for r in counting))


@dataclass
class TracedEntry:
    entry: WorkEntry
    version: RuleVersion | None
    events: list[EntryEvent] = field(default_factory=list)

    @property
    def counted(self) -> bool:
        return self.entry.status != EntryStatus.REJECTED

    @property
    def review_unrecorded(self) -> bool:
        """Reviewed, with no stored fact of it (entries loaded in bulk, such as the demo's): the page shows
        the entry's own reviewer and time instead."""
        return self.entry.reviewed_at is not None and not any(event.stored for event in self.events)

    @property
    def rate(self) -> str:
        """Points per unit as written where the rule is defined: 0.01, not 0.0100."""
        return _plain(self.version.points_per_unit) if self.version else ""

    @property
    def cap(self) -> str:
        return _plain(self.version.daily_cap) if self.version and self.version.daily_cap is not None else ""


def _plain(value: Decimal) -> str:
    return format(value.normalize(), "f")


def _cursor_salt(list_key: str, month: date) -> str:
    return f"honours-trace:{list_key}:{month:%Y-%m}"


def month_entries(*, user, competition_id: int, worker_id: int, month: date, start: date, end: date,
                  list_key: str, after: str | None = None, limit: int = PAGE) -> tuple[list[TracedEntry], str | None]:
    """The worker's entries of ``month`` within [start, end], by date, ``limit`` a page, after the cursor
    ``after`` (an invalid one: the first page); with the next page's cursor (None on the last page).
    ``list_key`` names the list the cursor belongs to (a cursor of another nominee's list is refused)."""
    first, following = month_bounds(month)
    qs = (WorkEntry.objects.visible_to(user)
          .filter(competition_id=competition_id, worker_id=worker_id, work_date__gte=max(first, start),
                  work_date__lt=following, work_date__lte=end)
          .select_related("rule", "reviewed_by").with_month_lock())
    salt = _cursor_salt(list_key, month)
    if after:
        try:
            after_day, after_id = cursors.decode(salt, after, date, int)
            qs = qs.filter(Q(work_date__gt=after_day) | Q(work_date=after_day, id__gt=after_id))
        except cursors.InvalidCursor:
            pass
    entries = list(qs.order_by("work_date", "id")[: limit + 1])
    more, entries = len(entries) > limit, entries[:limit]
    versions: dict[int, list[RuleVersion]] = {}
    for version in (RuleVersion.objects.filter(rule_id__in={e.rule_id for e in entries})
                    .order_by("rule_id", "effective_from")):
        versions.setdefault(version.rule_id, []).append(version)
    starts = {rule_id: [v.effective_from for v in of_rule] for rule_id, of_rule in versions.items()}
    events = entry_histories(entries)
    traced = []
    for entry in entries:
        # The version in force on the entry's date: the latest that took effect on or before it.
        i = bisect_right(starts.get(entry.rule_id, []), entry.work_date)
        version = versions[entry.rule_id][i - 1] if i else None
        traced.append(TracedEntry(entry=entry, version=version, events=events.get(entry.pk, [])))
    next_after = cursors.encode(salt, entries[-1].work_date, entries[-1].pk) if more else None
    return traced, next_after


MEMBERS_SHOWN = 200


def _unit_rows(award_round, nominee):
    """The round's snapshot rows of a collective nominee's members: workers whose current unit is the
    nominee's depot or team, with counted entries."""
    from competitions.honours.models import UnitLevelChoice
    from competitions.models import PeriodStanding

    if award_round.snapshot_id is None or nominee.unit_id is None:
        return PeriodStanding.objects.none()
    unit_filter = ({"depot_id": nominee.unit_id} if award_round.unit_level == UnitLevelChoice.DEPOT
                   else {"team_id": nominee.unit_id})
    return PeriodStanding.objects.filter(snapshot_id=award_round.snapshot_id, entries__gt=0, **unit_filter)


def unit_members(award_round, nominee) -> tuple[list, bool]:
    """A collective nominee's members as the round's snapshot counted them, by approved points: the people
    behind the unit's figures, at most MEMBERS_SHOWN, and whether there are more."""
    rows = list(_unit_rows(award_round, nominee).select_related("worker", "job_type")
                .order_by("-approved_points", "worker_id")[: MEMBERS_SHOWN + 1])
    return rows[:MEMBERS_SHOWN], len(rows) > MEMBERS_SHOWN


def unit_member(award_round, nominee, worker_id: int):
    """One member's snapshot row (None when the worker is not one of the unit's counted members)."""
    return _unit_rows(award_round, nominee).select_related("worker").filter(worker_id=worker_id).first()
