"""API speed on seed-scale data: "my standing", a leaderboard page, and a bare Django view, under gunicorn.

    .venv/bin/python bench/api.py                            # 223,000 workers, 2 standings days
    .venv/bin/python bench/api.py --workers 20000 --days 2   # quicker, while developing
    .venv/bin/python bench/api.py --reuse                    # keep the previous run's data

It uses its own database (BENCH_DATABASE_URL, default: the portal server's ``portal_api_bench``), builds
the data once (units, 9 business systems, 94 job types, one rule each, workers, one entry per worker per
day, and the standings computed by ``competitions.services.standings_recompute``), issues bearer tokens for
a sample of workers, starts gunicorn (one worker process per core) and runs ``wrk`` (Debian package
``wrk``) against each target in turn. Latency is measured server-side, from gunicorn's access log
(``%(D)s``: microseconds from request read to response written); requests per second from wrk. A
target's run is repeated (up to 5 times) while one gunicorn process served much less than its share:
wrk's keep-alive connections stay with the process that accepted them, and all of them landing on
one process leaves a core idle. The last column shows the requests each process served.
"""

from __future__ import annotations

import argparse
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
BIN = Path(sys.executable).parent


def service_env() -> dict:
    """DATABASE_URL / REDIS_URL as .ci/services prints them (it starts PostgreSQL and Redis if needed)."""
    out = subprocess.run(["bash", str(ROOT / ".ci/services")], capture_output=True, text=True, check=True).stdout
    return dict(line.split("=", 1) for line in out.splitlines() if "=" in line)


def ensure_database(url: str) -> None:
    import psycopg

    parts = urlparse(url)
    name = parts.path.lstrip("/")
    admin = parts._replace(path="/portal").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def build(n_workers: int, days: int):
    from datetime import date
    from decimal import Decimal

    from django.db import connection
    from django.utils import timezone

    from competitions.models import BusinessSystem, Competition, JobType, RuleVersion, ScoringRule
    from competitions.services import standings_recompute
    from members.models import Unit, UnitLevel

    today = timezone.localdate()
    comp = Competition.objects.create(name="轨道上的京津冀（基准测试）", start_date=date(today.year - 1, 1, 1),
                                      end_date=date(today.year, 12, 31), status="active")
    systems = BusinessSystem.objects.bulk_create(
        [BusinessSystem(code=f"S{i}", name=f"业务系统{i}", sort_order=i) for i in range(9)])
    job_types = JobType.objects.bulk_create(
        [JobType(code=f"J{i:02d}", name=f"工种{i}", business_system=systems[i % 9]) for i in range(94)])
    rules = ScoringRule.objects.bulk_create(
        [ScoringRule(competition=comp, job_type=jt, metric="工作量", unit_of_measure="件") for jt in job_types])
    RuleVersion.objects.bulk_create([RuleVersion(rule=r, effective_from=comp.start_date,
                                                 points_per_unit=Decimal("0.5")) for r in rules])
    depots = []
    for region in ("BJ", "TJ", "HE"):
        bureau = Unit.objects.create(code=f"B{region}", name=f"{region}路局", level=UnitLevel.BUREAU, region=region)
        depots += [Unit.objects.create(code=f"{region}-D{i:03d}", name=f"{region}站段{i}", level=UnitLevel.DEPOT,
                                       region=region, parent=bureau) for i in range(80)]
    with connection.cursor() as cur:
        print(f"  {n_workers} workers …", flush=True)
        cur.execute("""
            INSERT INTO members_worker (employee_no, name, gender, id_number, mobile, unit_id, job_type_id,
                                        skill_grade, membership_status, is_active, created_at, updated_at)
            SELECT 'B' || lpad(i::text, 7, '0'), '职工' || i, CASE WHEN i % 5 = 0 THEN 'F' ELSE 'M' END,
                   '11' || lpad(i::text, 16, '0'), '', (%(depots)s::bigint[])[1 + i % %(nd)s],
                   (%(jts)s::bigint[])[1 + (i / 7) % 94], 1 + i % 8, 'none', true, now(), now()
              FROM generate_series(1, %(n)s) AS i
        """.replace(" % ", " %% "), {
            "depots": [d.pk for d in depots], "nd": len(depots), "jts": [j.pk for j in job_types], "n": n_workers})
        for d in range(days, 0, -1):
            day = today - timedelta(days=d - 1)
            print(f"  entries for {day} …", flush=True)
            cur.execute("""
                INSERT INTO reviews_workentry (competition_id, worker_id, rule_id, work_date, quantity, points,
                       status, kind, note, reject_reason, source, unit_id, job_type_id, business_system_id,
                       created_at, updated_at)
                SELECT %(comp)s, w.id, r.id, %(day)s, q.qty, q.qty * 0.5,
                       CASE WHEN w.id %% 3 = 0 THEN 'pending' ELSE 'approved' END, 'regular', '', '', 'seed',
                       w.unit_id, w.job_type_id, jt.business_system_id, now(), now()
                  FROM members_worker w
                  JOIN competitions_jobtype jt ON jt.id = w.job_type_id
                  JOIN competitions_scoringrule r ON r.job_type_id = w.job_type_id AND r.competition_id = %(comp)s
                 CROSS JOIN LATERAL (SELECT ((w.id * 7919 + %(d)s * 104729) %% 100000)::numeric / 1000 AS qty) q
            """, {"comp": comp.pk, "day": day, "d": d})
            print(f"  standings for {day} …", flush=True)
            standings_recompute(competition=comp, day=day)
        cur.execute("ANALYZE")
    return comp


def sample_accounts(comp, n: int) -> list[str]:
    """Bearer tokens for n workers spread over the list (new tokens each run: they expire)."""
    from django.db import connection

    from members.api.authentication import tokens_issue
    from members.models import User

    with connection.cursor() as cur:
        cur.execute("""
            INSERT INTO members_user (password, is_superuser, username, first_name, last_name, email, is_staff,
                                      is_active, date_joined, must_change_password)
            SELECT '!', false, w.employee_no, '', '', '', false, true, now(), false
              FROM members_worker w
             WHERE w.user_id IS NULL AND w.id %% (SELECT GREATEST(count(*) / %(n)s, 1) FROM members_worker) = 0
             LIMIT %(n)s
            ON CONFLICT (username) DO NOTHING
        """, {"n": n})
        cur.execute("UPDATE members_worker w SET user_id = u.id FROM members_user u "
                    "WHERE u.username = w.employee_no AND w.user_id IS NULL")
    users = list(User.objects.filter(worker__isnull=False).order_by("?")[:n])
    tokens = [tokens_issue(user=u).access for u in users]
    with connection.cursor() as cur:
        # Planner statistics for the accounts and tokens just written (in production autovacuum keeps
        # them): without them a token lookup may be planned as a scan of the whole token table.
        cur.execute("ANALYZE members_user, members_apitoken")
    return tokens


def leaderboard_paths(comp) -> list[str]:
    """First pages of every scope kind, and pages deep in the overall list (by rank cursor)."""
    from competitions import standings
    from competitions.models import Standing

    day = standings.latest_day(comp.pk)
    base = f"/api/v1/competitions/{comp.pk}/leaderboard/?page_size=50"
    rows = Standing.objects.filter(competition=comp, day=day)
    paths = [base]
    for column, scope in (("business_system_id", "business_system"), ("job_type_id", "job_type"),
                          ("depot_id", "unit")):
        ids = list(rows.values_list(column, flat=True).distinct()[:500])
        paths += [f"{base}&scope={scope}&scope_id={i}" for i in random.sample(ids, min(len(ids), 20))]
    total = rows.count()
    for fraction in (0.01, 0.1, 0.3, 0.5, 0.7, 0.9):
        row = rows.order_by("rank_overall", "worker_id")[int(total * fraction)]
        cursor = standings.Cursor(row.rank_overall, row.worker_id).encode(competition_id=comp.pk, scope="overall",
                                                                          scope_id=None)
        paths.append(f"{base}&day={day}&cursor={cursor}")
    return paths


LUA = """
local tokens = {%(tokens)s}
local paths = {%(paths)s}
local n = 0
request = function()
  n = n + 1
  local headers = {}
  headers["Authorization"] = "Bearer " .. tokens[(n %% #tokens) + 1]
  return wrk.format("GET", paths[(n * 7919 %% #paths) + 1], headers)
end
"""


def lua_script(tmp: Path, name: str, tokens: list[str], paths: list[str]) -> Path:
    script = tmp / f"{name}.lua"
    quote = lambda items: ", ".join(f'"{i}"' for i in items)  # noqa: E731
    script.write_text(LUA % {"tokens": quote(tokens), "paths": quote(paths)})
    return script


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def percentile(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


# A target's run counts when every worker process served at least this share of an even split.
BALANCED = 0.75
MAX_ATTEMPTS = 5


def run_wrk(url: str, script: Path, seconds: int, connections: int) -> tuple[float, str]:
    out = subprocess.run(["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "-s", str(script), url],
                         capture_output=True, text=True, check=True).stdout
    rps = float(next(line.split()[-1] for line in out.splitlines() if line.startswith("Requests/sec")))
    return rps, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workers", type=int, default=223_000, help="workers (职工) to generate")
    parser.add_argument("--days", type=int, default=2, help="standings days to generate")
    parser.add_argument("--reuse", action="store_true", help="keep the data of an earlier run")
    parser.add_argument("--accounts", type=int, default=500, help="workers who log in during the run")
    parser.add_argument("--duration", type=int, default=15, help="seconds of load per target")
    parser.add_argument("--connections", type=int, default=4, help="concurrent connections of wrk")
    parser.add_argument("--server-workers", type=int, default=os.cpu_count() or 1, help="gunicorn processes")
    parser.add_argument("--threads", type=int, default=1, help="gunicorn threads per process (gthread)")
    args = parser.parse_args()

    env = service_env()
    db_url = os.environ.get("BENCH_DATABASE_URL") or env["DATABASE_URL"].rsplit("/", 1)[0] + "/portal_api_bench"
    ensure_database(db_url)
    os.environ.update(DATABASE_URL=db_url, REDIS_URL=env.get("REDIS_URL", ""),
                      DJANGO_SETTINGS_MODULE="bench.api_settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connections

    from competitions.models import Competition, Standing

    call_command("migrate", verbosity=0)
    comp = Competition.objects.filter(name="轨道上的京津冀（基准测试）").first()
    if comp is None or not args.reuse:
        if comp is not None:
            print("dropping the previous data: run with --reuse to keep it")
            connections.close_all()
            import psycopg

            parts = urlparse(db_url)
            with psycopg.connect(parts._replace(path="/portal").geturl(), autocommit=True) as conn:
                conn.execute(f'DROP DATABASE "{parts.path.lstrip("/")}" WITH (FORCE)')
            ensure_database(db_url)
            call_command("migrate", verbosity=0)
        print(f"building: {args.workers} workers × {args.days} days", flush=True)
        started = time.monotonic()
        comp = build(args.workers, args.days)
        print(f"built in {time.monotonic() - started:.0f}s", flush=True)
    tokens = sample_accounts(comp, args.accounts)
    standing_rows = Standing.objects.filter(competition=comp).count()
    from members.models import Worker

    worker_count = Worker.objects.count()
    board = leaderboard_paths(comp)
    connections.close_all()

    cores = min(args.server_workers, os.cpu_count() or 1)
    port = free_port()
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        access_log = tmp / "access.log"
        server = subprocess.Popen(
            [str(BIN / "gunicorn"), "bench.api_wsgi:application", "--bind", f"127.0.0.1:{port}",
             "--workers", str(args.server_workers), "--worker-class", "gthread", "--threads", str(args.threads),
             # Each process holds at most its share of wrk's keep-alive connections, so one fast process
             # cannot accept them all and leave a core idle (the bare view did so in most runs).
             "--worker-connections", str(-(-args.connections // args.server_workers)),
             "--access-logfile", str(access_log), "--access-logformat", "%(U)s %(s)s %(D)s %(p)s",
             "--log-level", "warning"],
            cwd=ROOT, env={**os.environ},
        )
        try:
            base = f"http://127.0.0.1:{port}"
            for _ in range(100):
                try:
                    urllib.request.urlopen(f"{base}/bench/constant/", timeout=2)  # noqa: S310 - localhost
                    break
                except OSError:
                    time.sleep(0.2)
            targets = [
                ("bare Django view (constant JSON)", ["/bench/constant/"]),
                ("my standing", [f"/api/v1/competitions/{comp.pk}/standings/me/"]),
                ("leaderboard page (50 rows)", board),
            ]
            results = []
            for name, paths in targets:
                script = lua_script(tmp, name.split()[0], tokens, paths)
                run_wrk(base + paths[0].split("?")[0], script, 3, args.connections)  # warm-up
                for attempt in range(1, MAX_ATTEMPTS + 1):
                    offset = access_log.stat().st_size
                    rps, out = run_wrk(base + paths[0].split("?")[0], script, args.duration, args.connections)
                    with access_log.open() as log:
                        log.seek(offset)
                        lines = [line.split() for line in log.read().splitlines()]
                    lines = [parts for parts in lines if len(parts) == 4]
                    # wrk's keep-alive connections stay with the worker process that accepted them, and
                    # which one does is a race: all 4 connections on one of 2 workers leaves a core idle
                    # and halves req/s (seen for the bare view as often as not). Such a run says
                    # nothing about the server; it is run again.
                    split = sorted(Counter(parts[3] for parts in lines).values(), reverse=True)
                    split += [0] * (args.server_workers - len(split))
                    if min(split) >= BALANCED * len(lines) / args.server_workers or attempt == MAX_ATTEMPTS:
                        break
                    print(f"  {name}: requests per worker process {split}: unbalanced, running again", flush=True)
                micros = [int(parts[2]) for parts in lines]
                bad = sum(1 for parts in lines if not parts[1].startswith("2"))
                results.append((name, rps, statistics.median(micros) / 1000, percentile(micros, 0.95) / 1000,
                                len(micros), bad, split))
        finally:
            server.terminate()
            server.wait(20)

    bare_rps = results[0][1]
    print()
    print(f"data: {worker_count} workers, {standing_rows} standing rows; {len(tokens)} signed-in workers; "
          f"{len(board)} leaderboard pages")
    print(f"server: gunicorn gthread, {args.server_workers} processes × {args.threads} threads on {cores} core(s); "
          f"wrk 1 thread, {args.connections} connections, {args.duration}s per target (same machine)")
    print(f"{'target':36} {'median ms':>10} {'p95 ms':>8} {'req/s':>8} {'req/s/core':>11} {'vs bare':>8} "
          f"{'requests':>9} {'non-2xx':>8}  per worker")
    for name, rps, median, p95, count, bad, split in results:
        print(f"{name:36} {median:10.2f} {p95:8.2f} {rps:8.0f} {rps / cores:11.0f} {rps / bare_rps:8.0%} "
              f"{count:9d} {bad:8d}  {'/'.join(map(str, split))}")


if __name__ == "__main__":
    main()
