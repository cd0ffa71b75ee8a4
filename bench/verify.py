"""Verification benchmark: a published day verified next to a full recompute, and what the digest ledger
adds to a nightly run. Prints figures; not part of the test suite.

Runs on the standings benchmark's database (bench/standings.py builds it, or this script does with the same
generator when it holds no entries):

    export DATABASE_URL=postgres://portal:portal@127.0.0.1:5432/portal_standings
    .venv/bin/python bench/verify.py [--workers 223000 --days 30]

Figures printed:
  * a full recompute of the latest day, and the verification of that day after a night's corrections
    (competitions.verify: recomputed as of its log position, compared both ways, digests, the chain), with
    their ratio (target <= 1.5x);
  * the nightly incremental run, and the digest of a day alone (the ledger entry each run appends right
    after its commit, still under its lock: readers see the day no later for it) as a share of the run.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from django.core.management import call_command, get_commands  # noqa: E402
from django.db import transaction  # noqa: E402

from bench import standings as bench  # noqa: E402 (sets Django up, before the project's imports below)
from competitions.models import Competition, VerificationOutcome  # noqa: E402
from competitions.standings.database import DEFAULT_WORK_MEM  # noqa: E402
from competitions.standings.digest import stored_day_digest  # noqa: E402
from competitions.verify import verify_day  # noqa: E402


def best_of(times: int, fn, *args, **kwargs) -> float:
    return min(bench.timed(fn, *args, **kwargs)[0] for _ in range(times))


def digest_alone(competition_id: int, day) -> float:
    """The ledger's share of a run: the day's digest (in a transaction rolled back: nothing is appended)."""
    def once():
        with transaction.atomic():
            stored_day_digest(competition_id=competition_id, day=day)
            transaction.set_rollback(True)
    return best_of(3, once)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=223_000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    bench.sql("SELECT set_config('work_mem', %s, false)", [DEFAULT_WORK_MEM])

    comp = Competition.objects.filter(entries__isnull=False).order_by("id").first()
    if comp is None:
        if "seed_demo" in get_commands():
            seconds, _ = bench.timed(call_command, "seed_demo", workers=args.workers, days=args.days, seed=args.seed)
        else:
            def build():
                cid = bench.generate_shape(args.workers)
                last = bench.START + timedelta(days=args.days - 1)
                bench.generate_days(cid, bench.START, last)
                return cid
            seconds, _ = bench.timed(build)
        bench.sql("VACUUM (ANALYZE)")
        comp = Competition.objects.filter(entries__isnull=False).order_by("id").first()
        print(f"data built in {seconds:.0f} s")
    cid = comp.pk
    day = bench.sql("SELECT MAX(work_date) FROM reviews_workentry WHERE competition_id = %s", [cid])[0][0]
    entries = bench.sql("SELECT COUNT(*) FROM reviews_workentry WHERE competition_id = %s", [cid])[0][0]
    print(f"competition {cid}: {entries:,} entries, {bench.history_days(cid)} days up to {day}")

    bench.recompute(cid, day, full=True)  # the day published, the data load's change log dropped
    bench.sql("VACUUM (ANALYZE) competitions_standingdelta")
    full = min(bench.recompute(cid, day, full=True)[0] for _ in range(2))
    print(f"  full recompute of {day}: {full:.2f} s (load average {os.getloadavg()[0]:.1f})")
    changed = bench.corrections(cid, day + timedelta(days=1))  # a night's corrections of the days before
    timings = []
    for _ in range(2):
        started = time.perf_counter()
        check = verify_day(competition_id=cid, day=day, trigger="command")
        timings.append(time.perf_counter() - started)
        assert check.outcome == VerificationOutcome.OK, (check.outcome, check.differences, check.error)
    verify = min(timings)
    print(f"  verifying {day} after {changed:,} later corrections: {verify:.2f} s = {verify / full:.2f}x the full "
          f"recompute (target <= 1.5x); {check.rows_stored:,} rows, digest {check.recomputed_digest[:12]}")

    night = day + timedelta(days=1)
    bench.sql("VACUUM (ANALYZE) competitions_standingdelta")
    reference = bench.reference(cid, day)
    incremental = min(bench.incremental_night(cid, night + timedelta(days=n), reference) for n in (0, 1))
    night += timedelta(days=1)
    digest = digest_alone(cid, night)
    print(f"  the day's digest alone (the ledger entry each run appends after its commit, under its lock): "
          f"{digest * 1000:.0f} ms = {digest / incremental:.1%} of the nightly incremental run's time above "
          f"({incremental:.2f} s, which includes it)")


if __name__ == "__main__":
    main()
