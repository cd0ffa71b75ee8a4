"""Daily work entries for the demo: one row per worker, metric and day, generated as plain tuples.

This is the hot loop of ``seed_demo`` (≈7 million rows at seed scale), so it avoids ``Decimal``
and model instances: quantities are integers in thousandths, points are computed in integer
arithmetic with the same rounding as ``RuleVersion.points_for`` (ROUND_HALF_EVEN to 0.001), and
everything that is constant per worker, per rule or per (day, status, depot) is built once.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from competitions.demo import catalog
from config.months import month_of, next_month
from reviews.models import EntryKind, EntrySource, EntryStatus

ENTRY_COLUMNS = (
    "competition_id", "worker_id", "rule_id", "unit_id", "job_type_id", "business_system_id", "entered_by_id",
    "kind", "source", "note", "idempotency_key", "adjusts_id",
    "work_date", "quantity", "points",
    "status", "reject_reason", "reviewed_by_id", "reviewed_at", "created_at", "updated_at",
)


@dataclass(frozen=True)
class RulePlan:
    """A scoring rule as the generator needs it, with its rate on every seeded day."""

    rule_id: int
    spec: catalog.Metric
    rates_e4: tuple[int, ...]  # points_per_unit × 10⁴ of the version in force, per seeded day


@dataclass(frozen=True)
class EntryWorker:
    worker_id: int
    unit_id: int
    job_type_id: int
    business_system_id: int
    depot_index: int
    clerk_id: int
    factor: float
    rules: tuple[RulePlan, ...]


@dataclass
class EntryStats:
    rows: int = 0
    # (business system id, month) → entries locked by that month's sign-off, for its audit row.
    locked: dict = field(default_factory=dict)


@dataclass
class EntryPlan:
    competition_id: int
    days: list[date]
    today: date
    tz: object  # tzinfo of the portal (Asia/Shanghai): clerks and reviewers work on local time
    reviewer_by_system: dict[int, int]  # business system id → reviewer user id
    workers: list[EntryWorker]
    now: datetime


def sign_off_time(month: date, tz, now: datetime) -> datetime:
    """Reviewers sign a month off on the 3rd of the next month, in the afternoon."""
    return min(datetime.combine(next_month(month) + timedelta(days=2), time(16, 0), tz), now - timedelta(hours=1))


def timestamp_text(moment: datetime) -> str:
    """An aware timestamp as PostgreSQL reads it (the offset included, so the zone is not guessed)."""
    return moment.isoformat(sep=" ")


def thousandths(value: int) -> str:
    sign = "-" if value < 0 else ""
    whole, frac = divmod(abs(value), 1000)
    return f"{sign}{whole}.{frac:03d}"


def copy_text(value) -> str:
    """One field in PostgreSQL's COPY text format (our values hold no tab, newline or backslash)."""
    return "\\N" if value is None else str(value)


class _DayTails:
    """The end of a row (status, review, timestamps), which depends only on the day, the review
    outcome and the depot: built once per combination and reused for every row that shares it."""

    def __init__(self, plan: EntryPlan, day: date, locked: bool, as_text: bool):
        fmt = self.fmt = timestamp_text
        self.as_text = as_text
        self.reviewer_by_system = plan.reviewer_by_system
        self.created = datetime.combine(day, time(18, 0), plan.tz)
        self.approved_at = fmt(datetime.combine(day + timedelta(days=2), time(10, 0), plan.tz))
        self.rejected_at = fmt(datetime.combine(day + timedelta(days=1), time(15, 30), plan.tz))
        self.cache: dict[int, tuple | str] = {}

    def build(self, key: int, kind: int, depot: int, system_id: int, reason: int) -> tuple | str:
        # Clerks of one depot enter the day's work in one evening session, a few minutes apart
        # from other depots; reviewers approve two days later and sign the month off on the 3rd.
        created_at = self.fmt(self.created + timedelta(minutes=depot % 180))
        reviewer = self.reviewer_by_system[system_id]
        if kind == PENDING:
            row = (EntryStatus.PENDING.value, "", None, None, created_at, created_at)
        elif kind == APPROVED:
            row = (EntryStatus.APPROVED.value, "", reviewer, self.approved_at, created_at, self.approved_at)
        elif kind == REJECTED:
            row = (EntryStatus.REJECTED.value, catalog.REJECT_REASONS[reason], reviewer, self.rejected_at,
                   created_at, self.rejected_at)
        else:  # approved, in a month signed off later: it shows as locked (WorkEntry.shown_status)
            row = (EntryStatus.APPROVED.value, "", reviewer, self.approved_at, created_at, self.approved_at)
        value = "\t" + "\t".join(map(copy_text, row)) + "\n" if self.as_text else row
        self.cache[key] = value
        return value


PENDING, APPROVED, REJECTED, LOCKED = 0, 1, 2, 3


def generate_entries(plan: EntryPlan, rng: random.Random, stats: EntryStats, *, as_text: bool = False,
                     chunk_rows: int = 20_000) -> Iterator[tuple | str]:
    """Yield entry rows (``ENTRY_COLUMNS`` order), day by day like real daily entry; with
    ``as_text``, chunks of PostgreSQL COPY text lines instead (the seed-scale path).

    Entries of months before the current one are approved and locked (their month is signed off); in the
    current month older days are mostly approved, recent days still pending, and a few are
    rejected with a reason. ``stats`` counts the rows, and the locked ones per system and month.
    """
    rnd = rng.random
    current_month = month_of(plan.today)
    regular, seed = EntryKind.REGULAR.value, EntrySource.SEED.value
    n_reasons = len(catalog.REJECT_REASONS)
    system_ids = sorted(set(plan.reviewer_by_system))

    # Per (worker, rule): the constant head of the row and the worker's level for the metric.
    per_worker = []
    for w in plan.workers:
        items = []
        for r in w.rules:
            spec = r.spec
            head = (plan.competition_id, w.worker_id, r.rule_id, w.unit_id, w.job_type_id, w.business_system_id,
                    w.clerk_id, regular, seed, "", None, None)
            if as_text:
                head = "\t".join(map(copy_text, head)) + "\t"
            step = 10 ** spec.decimals  # quantities are whole units or tenths
            level = spec.typical * w.factor * step
            cap = None if spec.daily_cap is None else int(float(spec.daily_cap) * 1000)
            items.append((head, level, 1000 // step, cap, spec.frequency, r.rates_e4, spec.direction))
        per_worker.append((w.depot_index, w.business_system_id, items))

    # Formatted quantities and points repeat a lot: format each distinct value once.
    quantity_text: dict[int, str] = {}
    points_text: dict[int, str] = {}
    buffer: list[str] = []
    append = buffer.append
    rows = 0
    for d, day in enumerate(plan.days):
        work_date = day.isoformat()
        date_field = work_date + "\t"
        age = (plan.today - day).days
        locked = day < current_month
        # Reviewers catch up with a lag: a week back nearly all approved, the last days pending.
        p_approved = 0.0 if locked else (0.92 if age > 7 else 0.35 if age > 2 else 0.0)
        p_rejected = 0.0 if locked or age <= 2 else 0.004
        tails = _DayTails(plan, day, locked, as_text)
        cached_tail, build_tail = tails.cache.get, tails.build
        day_locked = dict.fromkeys(system_ids, 0)

        for depot, system_id, items in per_worker:
            for head, level, mul, cap, freq, rates, direction in items:
                if freq < 1.0 and rnd() >= freq:
                    continue
                if direction < 0:
                    qm = 2000 if rnd() < 0.1 else 1000
                else:
                    x = rnd()
                    # Most days within ±30% of the worker's level; now and then a short day
                    # (training, a half shift), so daily ranks move.
                    units = int(level * (0.55 + 0.9 * x if x > 0.04 else 0.3 + 3 * x) + 0.5)
                    qm = (units if units > 0 else 1) * mul
                    if cap is not None and qm > cap:
                        qm = cap
                # points (thousandths) = quantity × rate rounded half to even, as Decimal.quantize does.
                raw = qm * rates[d]
                points = (raw + 5000) // 10_000
                if raw % 20_000 == 5000:  # an exact tie whose lower neighbour is even: round down
                    points -= 1
                if direction < 0:
                    points = -points
                if locked:
                    kind = LOCKED
                    reason = 0
                    day_locked[system_id] += 1
                else:
                    y = rnd()
                    if y < p_rejected:
                        kind, reason = REJECTED, int(y * 1_000_003) % n_reasons
                    elif y < p_approved:
                        kind, reason = APPROVED, 0
                    else:
                        kind, reason = PENDING, 0
                key = (kind * 10 + reason) * 1_000_000 + depot
                tail = cached_tail(key) or build_tail(key, kind, depot, system_id, reason)
                qs = quantity_text.get(qm)
                if qs is None:
                    qs = quantity_text[qm] = thousandths(qm)
                ps = points_text.get(points)
                if ps is None:
                    ps = points_text[points] = thousandths(points)
                rows += 1
                if as_text:
                    append(f"{head}{date_field}{qs}\t{ps}{tail}")
                else:
                    yield head + (work_date, qs, ps) + tail
            if as_text and len(buffer) >= chunk_rows:
                yield "".join(buffer)
                buffer.clear()
        if locked:
            month = month_of(day)
            for system_id, n in day_locked.items():
                stats.locked[(system_id, month)] = stats.locked.get((system_id, month), 0) + n
        stats.rows = rows
    if buffer:
        yield "".join(buffer)
