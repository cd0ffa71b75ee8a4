"""Seed-scale benchmark: build the 223,000-worker data set with ``seed_demo`` and print figures.

    su postgres -c "createdb -O portal portal_bench"          # a database of your own
    DATABASE_URL=postgres://portal:portal@127.0.0.1:5432/portal_bench \\
        .venv/bin/python bench/seed_scale.py [--workers 223000] [--days 30] [--seed 2024]

Migrates the database, wipes earlier seed data (``--reset``; refuses if real entries exist),
times the whole ``seed_demo`` run, and prints row counts and on-disk sizes. PostgreSQL only: the
seed-scale path is COPY plus an index rebuild, which is what this measures.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

from bench import disk  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description="seed_demo at seed scale, timed")
    parser.add_argument("--workers", type=int, default=223_000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--today", default=None, help="YYYY-MM-DD (default: today)")
    disk.add_option(parser)
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
        print("请设置 DATABASE_URL=postgres://…（使用自己的数据库）。", file=sys.stderr)
        return 2

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from competitions.demo import demo_data_exists

    call_command("migrate", verbosity=0)
    options = ["--workers", str(args.workers), "--days", str(args.days), "--seed", str(args.seed)]
    if args.today:
        options += ["--today", args.today]
    if demo_data_exists():
        options.append("--reset")
    if args.disk_check:
        disk.disk_check(args.workers, args.days)
    started = time.perf_counter()
    call_command("seed_demo", *options)
    elapsed = time.perf_counter() - started

    tables = ["competitions_businesssystem", "competitions_jobtype", "competitions_scoringrule",
              "competitions_ruleversion", "members_unit", "members_user", "members_worker", "reviews_workentry",
              "reviews_entryevent", "reviews_reviewperiod", "reviews_periodevent"]
    print()
    print(f"seed_demo {' '.join(options)}")
    print(f"wall time: {elapsed:.1f} s  (target: < 180 s)")
    print(f"{'table':32} {'rows':>12} {'total size':>12}")
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"SELECT count(*), pg_size_pretty(pg_total_relation_size('{table}')) FROM {table}")
            rows, size = cursor.fetchone()
            print(f"{table:32} {rows:>12,} {size:>12}")
        cursor.execute("SELECT status, count(*) FROM reviews_workentry GROUP BY status ORDER BY status")
        print("entries by status: " + ", ".join(f"{s} {n:,}" for s, n in cursor.fetchall()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
