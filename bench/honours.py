"""Shortlist benchmark on seed-scale data: an award round with quotas per business system (in proportion to
participants) and every eligibility rule on. Prints seconds; not part of the test suite.

    su postgres -c "createdb -O portal portal_honours"          # a database of your own
    DATABASE_URL=postgres://portal:portal@127.0.0.1:5432/portal_honours \\
        .venv/bin/python bench/honours.py [--workers 223000] [--days 90] [--runs 3]

Uses the competition with entries in the database, or builds one with ``seed_demo`` (migrating first). The
basis period is the competition's last ``--days`` days of entries. Figures printed:
  * the period snapshot of the basis period (the period engine's work, which the shortlist starts from);
  * the shortlist from that snapshot, ``--runs`` times (target <= 3 s), with its number of queries, nominees
    and exclusion rows;
  * the shortlist end to end, the snapshot computed inside it.
Eligibility: approved points >= 1, no deduction, no open dispute (some are opened for top workers), active on
at least half the days, not honoured in an earlier round (one is made, with final nominees from the top of the
ranking). Everything the benchmark adds is deleted at the end.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import disk  # noqa: E402

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=223_000)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--quota", type=int, default=70)
    parser.add_argument("--signed-off-only", action="store_true")
    parser.add_argument("--verbose", action="store_true", help="the slowest statements of each shortlist run")
    disk.add_option(parser)
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
        print("请设置 DATABASE_URL=postgres://…（使用自己的数据库）。", file=sys.stderr)
        return 2

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.db.models import Max, Min
    from django.test.utils import CaptureQueriesContext

    from competitions.honours import services
    from competitions.honours.models import AwardRound, Nominee, NomineeStatus, QuotaBy, QuotaMode
    from competitions.honours.shortlist import generate_shortlist
    from competitions.models import Competition, PeriodSnapshot, PeriodStanding
    from competitions.standings.periods import compute_period_snapshot
    from members.models import User
    from reviews.models import Dispute, WorkEntry

    call_command("migrate", verbosity=0)
    comp = Competition.objects.filter(entries__isnull=False).order_by("id").first()
    if comp is None:
        if args.disk_check:
            disk.disk_check(args.workers, args.days)
        started = time.perf_counter()
        call_command("seed_demo", workers=args.workers, days=args.days, seed=args.seed)
        with connection.cursor() as cursor:
            cursor.execute("VACUUM (ANALYZE)")
        print(f"seed_demo --workers {args.workers} --days {args.days}: {time.perf_counter() - started:.0f} s")
        comp = Competition.objects.filter(entries__isnull=False).order_by("id").first()
    span = WorkEntry.objects.filter(competition=comp).aggregate(first=Min("work_date"), last=Max("work_date"))
    end = span["last"]
    start = max(span["first"], end - timedelta(days=args.days - 1))
    days = (end - start).days + 1
    staff, _ = User.objects.get_or_create(username="bench-honours", defaults={"is_staff": True})
    print(f"competition {comp.pk}, basis {start} .. {end} ({days} days), signed_off_only={args.signed_off_only}")

    made_rounds: list[int] = []
    made_snapshots: list[int] = []
    made_disputes: list[int] = []
    try:
        t0 = time.perf_counter()
        snapshot = compute_period_snapshot(competition_id=comp.pk, start=start, end=end,
                                           signed_off_only=args.signed_off_only, user=staff)
        print(f"period snapshot: {time.perf_counter() - t0:.2f} s, {snapshot.rows:,} rows, status {snapshot.status}")
        made_snapshots.append(snapshot.pk)

        top = list(PeriodStanding.objects.filter(snapshot=snapshot).order_by("-approved_points", "worker_id")
                   .select_related("worker")[:200])
        # An earlier round whose final list holds every tenth of the top 200 (the rule "not honoured in it").
        earlier = AwardRound.objects.create(competition=comp, name="往期评选（bench）", basis_start=start,
                                            basis_end=end, quota_total=20, created_by=staff)
        made_rounds.append(earlier.pk)
        Nominee.objects.bulk_create(
            Nominee(round=earlier, worker_id=row.worker_id, name=row.worker.name, employee_no=row.employee_no,
                    status=NomineeStatus.FINAL, position=i) for i, row in enumerate(top[::10], 1))
        # Open disputes of every seventh of them (the rule "no open dispute").
        made_disputes = [Dispute.objects.create(worker_id=row.worker_id, work_date=end, unit_id=row.worker.unit_id,
                                                comment="bench").pk for row in top[3::7]]

        round_ = services.round_create(
            actor=staff, competition=comp, name="先进个人（bench）", basis_start=start, basis_end=end,
            quota_total=args.quota, quota_by=QuotaBy.BUSINESS_SYSTEM, quota_mode=QuotaMode.PROPORTIONAL,
            signed_off_only=args.signed_off_only, min_points=Decimal("1"), max_deductions=0, no_open_dispute=True,
            min_active_days=days // 2, excluded_rounds=[earlier])
        made_rounds.append(round_.pk)
        for run in range(1, args.runs + 1):
            with CaptureQueriesContext(connection) as queries:
                t0 = time.perf_counter()
                round_ = generate_shortlist(round_=round_, actor=staff, snapshot=snapshot)
                seconds = time.perf_counter() - t0
            print(f"shortlist from the snapshot, run {run}: {seconds:.2f} s (target <= 3 s), {len(queries)} queries, "
                  f"{round_.nominees.count()} nominees, {round_.exclusions.count()} exclusion rows, "
                  f"load average {os.getloadavg()[0]:.1f}")
            if args.verbose:
                for query in sorted(queries.captured_queries, key=lambda q: -float(q["time"]))[:5]:
                    print(f"    {query['time']} s  {' '.join(query['sql'].split())[:150]}")
        t0 = time.perf_counter()
        round_ = generate_shortlist(round_=round_, actor=staff)
        print(f"shortlist end to end (snapshot computed inside): {time.perf_counter() - t0:.2f} s")
        made_snapshots.append(round_.snapshot_id)
    finally:
        AwardRound.objects.filter(pk__in=made_rounds).delete()
        PeriodSnapshot.objects.filter(pk__in=made_snapshots).delete()
        Dispute.objects.filter(pk__in=made_disputes).delete()
    return 0


if __name__ == "__main__":
    sys.exit(main())
