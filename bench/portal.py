"""Portal benchmark: server time, SQL queries and bytes of the worker's pages at seed scale.
Prints figures; not part of the test suite.

    su postgres -c "createdb -O portal portal_bench"
    export DATABASE_URL=postgres://portal:portal@127.0.0.1:5432/portal_bench DEBUG=0
    .venv/bin/python manage.py migrate
    .venv/bin/python bench/portal.py --workers 223000 --days 14 --ranked-days 7

Data: the standings benchmark's set-based generator (bench/standings.py: 9 business systems, 94 job
types, ~300 depots, one entry per worker per day), then the standings of the last ``--ranked-days``
days, oldest first (one full run, then the nightly incremental ones), so "my page" has a history.
Then, for a worker in the middle of the overall ranking, signed in: each page requested through the
whole Django stack (middleware, session, templates), timed over ``--repeat`` requests after a warm-up.
Target (issue 6): <= 100 ms server time, a fixed number of queries, < 30 KB of HTML.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from competitions import standings  # noqa: E402
from competitions.models import Competition, Standing, StandingRun  # noqa: E402
from competitions.services import standings_recompute  # noqa: E402
from members.models import User, Worker  # noqa: E402


def _standings_bench():
    spec = importlib.util.spec_from_file_location("bench_standings", ROOT / "bench" / "standings.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def build(workers: int, days: int) -> int:
    gen = _standings_bench()
    t0 = time.perf_counter()
    cid = gen.generate_shape(workers)
    last = gen.START + timedelta(days=days - 1)
    # The generator predates the entries' review-flags column: give it its model default while loading.
    gen.sql("ALTER TABLE reviews_workentry ALTER COLUMN flags SET DEFAULT 0")
    gen.generate_days(cid, gen.START, last)
    gen.sql("ALTER TABLE reviews_workentry ALTER COLUMN flags DROP DEFAULT")
    gen.sql("ANALYZE")
    print(f"data: {workers:,} workers x {days} days built in {time.perf_counter() - t0:.0f} s")
    return cid


def rank_days(cid: int, ranked_days: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT MAX(work_date) FROM reviews_workentry WHERE competition_id = %s", [cid])
        last_day = cursor.fetchone()[0]
    done = set(StandingRun.objects.filter(competition_id=cid, outcome="succeeded").values_list("day", flat=True))
    for n in range(ranked_days - 1, -1, -1):
        day = last_day - timedelta(days=n)
        if day in done:
            continue
        t0 = time.perf_counter()
        run = standings_recompute(competition=cid, day=day, trigger="command")
        print(f"  standings {day} ({run.kind}): {run.rows:,} rows in {time.perf_counter() - t0:.1f} s")


def measure(client: Client, url: str, repeat: int) -> dict:
    client.get(url)  # warm-up: connection, template loading, first-touch of the pages' index blocks
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - t0) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    return {"median_ms": statistics.median(times), "p95_ms": sorted(times)[int(len(times) * 0.95) - 1],
            "queries": len(queries.captured_queries), "bytes": len(response.content)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=223_000)
    parser.add_argument("--days", type=int, default=14)
    parser.add_argument("--ranked-days", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--after-run", action="store_true",
                        help="also time each page once right after the next day's run")
    args = parser.parse_args()

    comp = Competition.objects.filter(entries__isnull=False).order_by("id").first()
    cid = comp.pk if comp else build(args.workers, args.days)
    Competition.objects.filter(pk=cid).update(status="active")
    rank_days(cid, args.ranked_days)
    day = standings.latest_day(cid)
    total = Standing.objects.filter(competition_id=cid, day=day).count()
    middle = (Standing.objects.filter(competition_id=cid, day=day, rank_overall__gte=total // 2)
              .order_by("rank_overall", "worker_id").first())
    worker = Worker.objects.get(pk=middle.worker_id)
    user = worker.user or User.objects.create_user(username=worker.employee_no, password="bench-pass-2026")
    if worker.user_id is None:
        worker.user = user
        worker.save(update_fields=["user"])
    client = Client(SERVER_NAME="localhost")
    client.force_login(user)
    deep = standings.Cursor(middle.rank_overall, middle.worker_id).encode(competition_id=cid, scope="overall",
                                                                         scope_id=None)
    print(f"\n{total:,} workers ranked on {day}; signed in as a worker ranked {middle.rank_overall:,} overall, "
          f"{len(standings.worker_history(competition_id=cid, worker_id=worker.pk))} days of history")
    pages = [("my page", "/me/")] + [
        (f"leaderboard {scope}", f"/leaderboard/?scope={scope}") for scope in ("overall", "business_system", "job_type", "unit")
    ] + [("leaderboard overall, page at my rank", f"/leaderboard/?scope=overall&after={deep}"),
         ("my entries", "/me/entries/")]
    for name, url in pages:
        figures = measure(client, url, args.repeat)
        print(f"  {name:40s} {figures['median_ms']:6.1f} ms median, {figures['p95_ms']:6.1f} ms p95, "
              f"{figures['queries']:2d} queries, {figures['bytes'] / 1024:5.1f} KB HTML")


    if args.after_run:
        next_day = day + timedelta(days=1)
        standings_recompute(competition=cid, day=next_day, trigger="command")
        print(f"\nright after the run of {next_day} (the run analyzes the table it wrote; without that these took 0.3-0.8 s):")
        for name, url in pages[:5]:
            t0 = time.perf_counter()
            client.get(url)
            print(f"  {name:40s} {(time.perf_counter() - t0) * 1000:6.1f} ms (first request)")


if __name__ == "__main__":
    main()
