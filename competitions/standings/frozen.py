"""Signed-off months frozen as totals (SignedOffTotal): written when a business system's month is signed off,
deleted when it is reopened, read by every run that sums the entries.

Why: a full run (a repair, the first run, a verification's recompute) sums every entry dated up to its day,
so its cost grows with the competition's history, although a signed-off month can never change (its entries
are locked: no edit, review or rule change reaches them until union staff reopen the month). Its totals per
(worker, rule) are written once, in the sign-off's transaction, from its entries; a run then reads those few
rows per worker instead of the month's entries, and the entries only for the months still open.

Which entries a run still reads: those dated from ``open_from`` (the first day of the earliest month with a
review period not frozen) up to its day, less the (business system, month) pairs signed off among them.
Every entry has its period row (see for_day), and before ``open_from`` every row is signed off, so every
entry dated there is in the frozen totals; the date bound is what lets the run read the open months
through the (competition, work date) index instead of the whole table. A month counts as frozen for a
run of day D only if it ended by D: a repair of a day inside a signed-off month sums its entries.

The ReviewPeriod row's status is the truth (the month lock reads it); the frozen rows follow it in the same
transaction, so the two never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db import transaction
from psycopg import sql

from competitions.models import SignedOffTotal
from competitions.standings import database
from config.months import month_last_day, month_of, next_month

SIGNED_OFF_TOTAL = sql.Identifier(SignedOffTotal._meta.db_table)


@dataclass(frozen=True)
class Frozen:
    """What a run for one day reads from frozen totals: the (business system, month) pairs, and the first
    day whose entries it must still read."""

    systems: list[int]
    months: list[date]
    open_from: date

    @property
    def partial(self) -> list[tuple[int, date]]:
        """The signed-off pairs in months from ``open_from`` on: their entries are scanned and left out."""
        return [(system, month) for system, month in zip(self.systems, self.months, strict=True)
                if month >= self.open_from]

    def params(self) -> dict:
        partial = self.partial
        return {"frozen_systems": self.systems, "frozen_months": self.months, "open_from": self.open_from,
                "partial_systems": [system for system, _month in partial],
                "partial_months": [month for _system, month in partial]}


def _entry_table() -> sql.Identifier:
    from reviews.models import WorkEntry

    return sql.Identifier(WorkEntry._meta.db_table)


# The counted entries of signed-off months summed per (worker, rule): of every signed-off month of a
# competition (a loader that writes signed-off periods directly, the demo seed), or of one (``{one_month}``,
# a sign-off). Returns the entries it sums: a sign-off's count of the entries it locks.
FREEZE = """
WITH frozen AS (
INSERT INTO {frozen} (competition_id, business_system_id, month, worker_id, rule_id, quantity, points,
                      approved_points, entries)
SELECT p.competition_id, p.business_system_id, p.month, e.worker_id, e.rule_id, SUM(e.quantity), SUM(e.points),
       COALESCE(SUM(e.points) FILTER (WHERE e.status IN ({approved})), 0), COUNT(*)
FROM {period} p
JOIN {entry} e
  ON e.competition_id = p.competition_id AND e.business_system_id = p.business_system_id
 AND e.work_date >= p.month AND e.work_date < CAST(p.month + interval '1 month' AS date) AND e.status <> {rejected}
WHERE p.competition_id = %(competition)s AND p.status = {signed_off}{one_month}
GROUP BY p.competition_id, p.business_system_id, p.month, e.worker_id, e.rule_id
RETURNING entries)
SELECT CAST(COALESCE(SUM(entries), 0) AS bigint) FROM frozen
"""
ONE_MONTH = " AND p.business_system_id = %(system)s AND p.month = %(month)s"
# The entries are read through a bitmap of the (business system, work date) index, each page once, and not
# one index probe and heap fetch per entry: the planner takes the month's entries of one business system to
# be laid out in the index's order and prefers the plain index scan, but nine business systems enter side
# by side, so the month's every page holds entries of each. The entries of one business system's month
# (1,287,202 of 6.9 M in the partition) were summed in 2.06-2.56 s by the index scan, in 0.60 s by the
# bitmap (psql); the sign-off, with its write, took 3.1-3.9 s before and 1.3-1.7 s after.
FREEZE_SCAN = ("enable_indexscan", "off")
# Returns the entries the deleted totals summed: a reopening's count of the entries it unlocks.
UNFREEZE = """
WITH unfrozen AS (
DELETE FROM {frozen} WHERE competition_id = %(competition)s AND business_system_id = %(system)s AND month = %(month)s
RETURNING entries)
SELECT CAST(COALESCE(SUM(entries), 0) AS bigint) FROM unfrozen
"""


def _statement(template: str, one_month: bool = False) -> sql.Composed:
    from competitions.standings.ranking import APPROVED_STATUSES
    from reviews.models import EntryStatus, PeriodStatus, ReviewPeriod

    values = {"frozen": SIGNED_OFF_TOTAL, "entry": _entry_table(),
              "period": sql.Identifier(ReviewPeriod._meta.db_table),
              "signed_off": sql.Literal(PeriodStatus.SIGNED_OFF.value),
              "approved": sql.SQL(", ").join(sql.Literal(s.value) for s in APPROVED_STATUSES),
              "rejected": sql.Literal(EntryStatus.REJECTED.value),
              "one_month": sql.SQL(ONE_MONTH if one_month else "")}
    return sql.SQL(template).format(**values)


def freeze_month(*, competition_id: int, business_system_id: int, month: date) -> int:
    """Writes the totals of a month whose period is signed off (a sign-off, in its transaction, after it has
    marked the period), from its entries, replacing any; returns how many entries they sum (the approved
    entries the sign-off locks: none is pending, and rejected ones count nothing)."""
    params = {"competition": competition_id, "system": business_system_id, "month": month_of(month)}
    database.scalar(_statement(UNFREEZE), params)
    with database.local_setting(*FREEZE_SCAN):
        return database.scalar(_statement(FREEZE, one_month=True), params)


def freeze_signed_off(*, competition_id: int) -> int:
    """Writes the totals of every signed-off month of the competition (replacing any); returns the entries
    they sum."""
    with transaction.atomic(), database.local_setting(*FREEZE_SCAN):
        forget_competition_totals(competition_id=competition_id)
        return database.scalar(_statement(FREEZE), {"competition": competition_id})


def unfreeze_month(*, competition_id: int, business_system_id: int, month: date) -> int:
    """Deletes the month's totals (a reopen, in its transaction): its entries are read again. Returns how many
    entries they summed (the approved entries the reopening unlocks)."""
    return database.scalar(_statement(UNFREEZE), {"competition": competition_id, "system": business_system_id,
                                                  "month": month_of(month)})


def forget_competition_totals(*, competition_id: int) -> None:
    database.execute(sql.SQL("DELETE FROM {} WHERE competition_id = %(competition)s").format(SIGNED_OFF_TOTAL),
                     {"competition": competition_id})


def for_day(*, competition_id: int, day: date) -> Frozen | None:
    """The frozen months a run of ``day`` reads instead of their entries (those that ended by ``day``), or
    None when there are none (the run sums the entries alone, as it always did)."""
    from reviews.models import PeriodStatus, ReviewPeriod

    periods = ReviewPeriod.objects.filter(competition_id=competition_id, month__lte=month_of(day))
    signed, still_read = [], []
    for month, system, status in periods.order_by("month", "business_system_id").values_list(
            "month", "business_system_id", "status"):
        if status == PeriodStatus.SIGNED_OFF and month_last_day(month) <= day:
            signed.append((month, system))
        else:
            still_read.append(month)
    if not signed:
        return None
    # Every write of an entry makes sure its (business system, month) has its period row first
    # (reviews.services._hold_open_periods; the demo and benchmark loaders write them too), so a month
    # without a row has no entries: the entries are read from the earliest month with a row not frozen.
    open_from = min(still_read, default=next_month(signed[-1][0]))
    return Frozen(systems=[system for _month, system in signed], months=[month for month, _system in signed],
                  open_from=open_from)
