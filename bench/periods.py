"""Period standings benchmark on seed-scale data. Prints figures; not part of the test suite.

    export DATABASE_URL=postgres://portal:portal@127.0.0.1:5432/portal_standings
    .venv/bin/python bench/periods.py

Uses the first competition with entries and its stored standings (run bench/standings.py or seed_demo
first). A period bound is read from a stored day with a log position (StandingDay.run); days stored before
positions were recorded have none, so the bounds' days are first recomputed (the latest day by a full run,
older ones by a repair of an old day), unless ``--no-prepare``: a bound without a position is then summed
from the entries, which is what the figures would show. Figures printed (target: <= 2 s per snapshot):
  * compute_period_snapshot for the ``--range-days`` days ending on the latest standings day, for a range
    not aligned to months, and for the first with only signed-off months counted;
  * a 50-row page of the snapshot's lists (first page, deep page, a business system, a depot);
  * the rankings of depots and of teams.
The snapshots it makes are deleted at the end.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

import django  # noqa: E402

django.setup()

from django.db.models import Max  # noqa: E402

from competitions.models import Competition, PeriodSnapshot, PeriodStanding, StandingDay  # noqa: E402
from competitions.scopes import Scope  # noqa: E402
from competitions.services import standings_recompute  # noqa: E402
from competitions.standings import periods  # noqa: E402
from config import cursors  # noqa: E402
from reviews.models import PeriodStatus, ReviewPeriod  # noqa: E402


def timed(fn, *args, **kwargs):
    t0 = time.perf_counter()
    result = fn(*args, **kwargs)
    return time.perf_counter() - t0, result


def describe(competition_id: int, day: date, latest: date) -> str:
    bound = periods.bound_for(competition_id, day, latest=latest)
    if bound.stored is None:
        return f"{day}: from the entries (no stored day with a position at or before it)"
    how = "live log" if bound.log_covers else "entries"
    return f"{day}: stored {bound.stored} (run {bound.run})" + (f" + {how} to {day}" if bound.stored < day else "")


def prepare(competition_id: int, days: list[date], latest: date) -> None:
    """Gives the bounds' days a log position: the latest day by a full run (it consumes the log), the others
    by a repair of an old day (stored as of the latest run's position)."""
    if not StandingDay.objects.filter(competition_id=competition_id, day=latest, run__isnull=False).exists():
        seconds, run = timed(standings_recompute, competition=competition_id, day=latest, full=True)
        print(f"  prepared {latest} (full run {run.pk}, {run.outcome}): {seconds:.1f} s")
    for day in sorted(set(days)):
        if day >= latest or not StandingDay.objects.filter(competition_id=competition_id, day=day).exists():
            continue
        if StandingDay.objects.filter(competition_id=competition_id, day=day, run__isnull=False).exists():
            continue
        seconds, run = timed(standings_recompute, competition=competition_id, day=day)
        print(f"  prepared {day} (repair run {run.pk}, {run.outcome}): {seconds:.1f} s")


MADE: list[int] = []  # every snapshot made here, deleted at the end


def snapshot(competition_id: int, start: date, end: date, label: str, *, signed_off_only: bool = False,
             repeat: int = 2) -> PeriodSnapshot:
    times, made = [], None
    for _ in range(repeat):  # a shared machine: show the spread
        seconds, made = timed(periods.compute_period_snapshot, competition_id=competition_id, start=start, end=end,
                              signed_off_only=signed_off_only)
        times.append(seconds)
        MADE.append(made.pk)
    print(f"  {label} [{start} .. {end}]: {' / '.join(f'{t:.2f}' for t in times)} s (target <= 2 s); "
          f"{made.rows:,} rows; load average {os.getloadavg()[0]:.1f}")
    return made


def board(made: PeriodSnapshot) -> None:
    def page_ms(**kw) -> str:
        samples = []
        for _ in range(5):
            seconds, page = timed(periods.period_board, made, **kw)
            samples.append(seconds * 1000)
        return f"{statistics.median(samples):.1f} ms ({len(page.rows)} rows)"

    print(f"  period_board first page: {page_ms()}")
    deep = (PeriodStanding.objects.filter(snapshot=made).order_by("rank_overall", "worker_id")
            .values_list("rank_overall", "worker_id")[max(made.rows // 2, 1) - 1:max(made.rows // 2, 1)])
    if deep:
        rank, worker_id = deep[0]
        after = cursors.encode(periods._board_salt(made.pk, Scope.OVERALL, None, None, None), rank, worker_id)
        print(f"  period_board page in the middle (rank {rank:,}): {page_ms(after=after)}")
    row = PeriodStanding.objects.filter(snapshot=made).values("business_system_id", "depot_id").first()
    if row:
        print(f"  period_board of a business system: "
              f"{page_ms(scope='business_system', scope_id=row['business_system_id'])}")
        if row["depot_id"]:
            print(f"  period_board of a depot: {page_ms(scope='unit', scope_id=row['depot_id'])}")


def units(made: PeriodSnapshot) -> None:
    for level in ("depot", "team"):
        samples, found = [], []
        for _ in range(3):
            seconds, found = timed(periods.unit_rankings, made, level)
            samples.append(seconds * 1000)
        print(f"  unit_rankings({level!r}): {statistics.median(samples):.0f} ms ({len(found)} units)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--range-days", type=int, default=90)
    parser.add_argument("--no-prepare", action="store_true", help="time the bounds as they are stored")
    parser.add_argument("--keep", action="store_true", help="keep the snapshots made")
    args = parser.parse_args()

    comp = Competition.objects.filter(entries__isnull=False).order_by("id").first()
    if comp is None:
        sys.exit("no competition with entries: run bench/standings.py or manage.py seed_demo first")
    cid = comp.pk
    latest = StandingDay.objects.filter(competition_id=cid).aggregate(day=Max("day"))["day"]
    if latest is None:
        sys.exit(f"competition {cid} has no standings: run bench/standings.py first")
    first_day = StandingDay.objects.filter(competition_id=cid).order_by("day").values_list("day", flat=True)[0]
    ranges = {
        f"{args.range_days} days ending on the latest day": (latest - timedelta(days=args.range_days - 1), latest),
        "not aligned to months": (max(first_day + timedelta(days=3), latest - timedelta(days=33)),
                                  latest - timedelta(days=4)),
    }
    stored = StandingDay.objects.filter(competition_id=cid).count()
    print(f"competition {cid}: standings {first_day} .. {latest}, {stored} days stored")
    if not args.no_prepare:
        prepare(cid, [day for start, end in ranges.values() for day in (start - timedelta(days=1), end)], latest)
    latest = StandingDay.objects.filter(competition_id=cid).aggregate(day=Max("day"))["day"]
    made = []
    for label, (start, end) in ranges.items():
        print(f"  bounds: {describe(cid, start - timedelta(days=1), latest)}; {describe(cid, end, latest)}")
        made.append(snapshot(cid, start, end, label))
    signed = ReviewPeriod.objects.filter(competition_id=cid, status=PeriodStatus.SIGNED_OFF).count()
    start, end = ranges[f"{args.range_days} days ending on the latest day"]
    snapshot(cid, start, end, f"signed-off months only ({signed} signed-off system-months)", signed_off_only=True)
    board(made[0])
    units(made[0])
    if not args.keep:
        # One by one: PeriodSnapshot.delete drops the snapshot's partition, a queryset's delete would only
        # empty it and leave the table behind.
        for made_snapshot in PeriodSnapshot.objects.filter(pk__in=MADE):
            made_snapshot.delete()


if __name__ == "__main__":
    main()
