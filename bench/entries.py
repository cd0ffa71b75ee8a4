"""Issue 3 figures at seed scale: import speed, approving, signing off and reopening one business system's month,
and the approval queue's first page.

    DATABASE_URL=postgres://portal:portal@127.0.0.1/portal_bench REDIS_URL=redis://127.0.0.1:6379/5 DEBUG=0 \
        .venv/bin/python bench/entries.py

With REDIS_URL set, as in production, the follow-up Celery tasks (queue flags) are queued, not run
inside the import; the flag recompute is timed on its own below.

Needs seed-scale workers (``manage.py seed_demo --workers 223000 --days 30``; pass ``--seed-first`` to build
them). The benchmark works in a competition of its own ("基准测试"), so it never disturbs the seed data:
it creates one rule per job type there, imports files into it, then fills one business system's month with
about 740,000 pending entries (set-based INSERT … SELECT) to approve and sign off. When it ends it deletes
the data of every "基准测试" competition, its own included (``--keep`` to keep it), so runs do not pile
up months of entries in the tables they measure.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import sys
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost")  # the queue page is fetched with the test client

import django  # noqa: E402

django.setup()

from django.core.cache import cache  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, reset_queries, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from competitions.models import BusinessSystem, Competition, JobType, Organizer, RuleVersion, ScoringRule  # noqa: E402
from competitions.standings.partitions import forget_competition  # noqa: E402
from config.celery_app import app as celery_app  # noqa: E402
from config.months import month_bounds, month_last_day, next_month, previous_month  # noqa: E402
from members.models import User, Worker  # noqa: E402
from reviews.flags import entries_flag  # noqa: E402
from reviews.models import EntryEvent, EntryStatus, ReviewPeriod, WorkEntry  # noqa: E402
from reviews.partitions import partition_name  # noqa: E402
from reviews.services import entries_import  # noqa: E402
from reviews.workflow import entries_transition, period_reopen, period_sign_off  # noqa: E402

BENCH_NAME = "基准测试"


def say(label, value):
    print(f"{label:<58} {value}", flush=True)


def bench_competition(today: date) -> tuple[Competition, dict[int, ScoringRule]]:
    """A competition of the benchmark's own over the last 120 days, one rule per job type."""
    Competition.objects.filter(name=BENCH_NAME).update(status="closed")
    comp = Competition.objects.create(name=BENCH_NAME, start_date=today - timedelta(days=120), end_date=today,
                                      status="closed")
    comp.organizers.add(Organizer.objects.get_or_create(name="北京市总工会")[0])
    rules = ScoringRule.objects.bulk_create([
        ScoringRule(competition=comp, job_type=jt, metric="基准工作量", unit_of_measure="件")
        for jt in JobType.objects.all()
    ])
    RuleVersion.objects.bulk_create([
        RuleVersion(rule=r, effective_from=comp.start_date, points_per_unit="0.5") for r in rules
    ])
    return comp, {r.job_type_id: r for r in rules}


def clear_bench_data() -> int:
    """Deletes what earlier runs left in their "基准测试" competitions (entries with their audit facts,
    queue rows, standings change log, standings, review periods); the competitions and rules stay.
    Without it every run leaves another month of entries behind, and the tables a run writes to
    grow from run to run. Competitions of other names (the seed's) are never touched."""
    ids = list(Competition.objects.filter(name=BENCH_NAME).order_by("pk").values_list("pk", flat=True))
    deleted = 0
    for pk in ids:  # one competition per transaction: the delete trigger's old rows stay in memory
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL work_mem = '256MB'")
            cursor.execute("DELETE FROM reviews_entryevent e USING reviews_workentry w "
                           "WHERE e.entry_id = w.id AND w.competition_id = %s", [pk])
            # A month's approval job's facts, in batches of the competition's entries (bench/jobs.py).
            cursor.execute("DELETE FROM reviews_entrybatchevent b USING reviews_workentry w "
                           "WHERE b.first_entry_id = w.id AND w.competition_id = %s", [pk])
            cursor.execute("DELETE FROM reviews_dispute d USING reviews_workentry w "
                           "WHERE d.entry_id = w.id AND w.competition_id = %s", [pk])
            # The triggers drop the entries' queue rows and log their removal, deleted just below.
            cursor.execute("DELETE FROM reviews_workentry WHERE competition_id = %s", [pk])
            deleted += cursor.rowcount
            # The standings' partitions, archives, approval log, frozen totals and period snapshots, as a
            # deleted competition's go; then the change log and the days and runs the competition keeps.
            forget_competition(competition_id=pk)
            for table in ("competitions_standingdelta", "competitions_standingday", "competitions_standingrun"):
                cursor.execute(f"DELETE FROM {table} WHERE competition_id = %s", [pk])
            cursor.execute("DELETE FROM reviews_periodevent e USING reviews_reviewperiod p "
                           "WHERE e.period_id = p.id AND p.competition_id = %s", [pk])
            cursor.execute("DELETE FROM reviews_reviewperiod WHERE competition_id = %s", [pk])
    if deleted:
        # Make the space reusable for the next run's month (and keep autovacuum out of its timings).
        with connection.cursor() as cursor:
            cursor.execute("VACUUM (ANALYZE) reviews_workentry, reviews_entryevent, reviews_pendingentry, "
                           "competitions_standingdelta, competitions_standingapproval")
    return deleted


def bench_importer() -> User:
    """The account the benchmarks import with: a clerk of every bureau (subunits included), since entering
    work takes a clerk's grant (union staff administer, they do not enter)."""
    from members.models import Unit

    importer = User.objects.get_or_create(username="bench-importer")[0]
    importer.clerk_units.set(Unit.objects.filter(parent__isnull=True))
    return importer


def import_rows(workers, days: list[date], limit: int):
    rows = []
    for day in days:
        for emp, name in workers:
            rows.append([emp, name, day.isoformat(), "基准工作量", str(10 + len(rows) % 90), ""])
            if len(rows) >= limit:
                return rows
    return rows


def csv_content(rows) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["工号", "姓名", "工作日期", "计分指标", "工作量", "说明"])
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def xlsx_content(rows) -> bytes:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("录入")
    sheet.append(["工号", "姓名", "工作日期", "计分指标", "工作量", "说明"])
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def fill_month(comp: Competition, system: BusinessSystem, month: date, actor: User, entries: int | None) -> int:
    """One pending entry per worker of ``system`` per day of ``month``, set-based; with ``entries``, only
    as many of the system's workers (by id) as make about that many entries."""
    first, last = month, month_last_day(month)
    workers = -(-entries // ((last - first).days + 1)) if entries else None
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute("""
            INSERT INTO reviews_workentry (competition_id, worker_id, rule_id, work_date, quantity, points, status,
                kind, note, reject_reason, source, unit_id, job_type_id, business_system_id, entered_by_id,
                created_at, updated_at, flags)
            SELECT %(comp)s, w.id, r.id, d::date, q.qty, q.qty * 0.5, 'pending', 'regular', '', '', 'import',
                   w.unit_id, w.job_type_id, jt.business_system_id, %(actor)s, %(now)s, %(now)s, 0
              FROM (SELECT w.* FROM members_worker w
                      JOIN competitions_jobtype jt ON jt.id = w.job_type_id AND jt.business_system_id = %(system)s
                     ORDER BY w.id LIMIT %(workers)s) w
              JOIN competitions_jobtype jt ON jt.id = w.job_type_id
              JOIN competitions_scoringrule r ON r.competition_id = %(comp)s AND r.job_type_id = w.job_type_id
             CROSS JOIN generate_series(%(first)s::date, %(last)s::date, interval '1 day') d
             CROSS JOIN LATERAL (SELECT (10 + (hashtext(w.id::text || d::text) & 63))::numeric AS qty) q
            -- The imports above may have entered some of these days already (their days are counted back
            -- from today, so whether they fall in this month depends on the date): those stay as they are.
                ON CONFLICT (worker_id, rule_id, work_date) WHERE kind = 'regular' DO NOTHING
        """, {"comp": comp.pk, "system": system.pk, "first": first, "last": last, "actor": actor.pk, "now": now,
              "workers": workers})
        count = cursor.rowcount
        # The month's review period row, as every write path of the product makes sure of.
        cursor.execute("INSERT INTO reviews_reviewperiod (competition_id, business_system_id, month, status) "
                       "VALUES (%s, %s, %s, 'open') ON CONFLICT DO NOTHING", [comp.pk, system.pk, first])
        # A month entered over 30 days has been through autovacuum by the time it is approved; one written
        # by a single statement a moment ago has not, and the first statement to read each of its rows would
        # pay for setting the row's hint bits (a tenth of an approval's time). VACUUM does it here.
        cursor.execute(f"VACUUM (ANALYZE) {partition_name(first)}, reviews_pendingentry")
        cursor.execute("ANALYZE reviews_workentry")
    return count


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--seed-first", action="store_true", help="build seed scale with seed_demo first")
    parser.add_argument("--csv-rows", type=int, default=100_000)
    parser.add_argument("--xlsx-rows", type=int, default=20_000)
    parser.add_argument("--system", choices=["typical", "largest"], default="typical",
                        help="the business system whose month is approved: about 740,000 entries, or the largest")
    parser.add_argument("--entries", type=int, default=None,
                        help="fill the month for only as many of the system's workers as make about this many "
                             "entries (e.g. 740000, the issue's size; default: all of its workers)")
    parser.add_argument("--only", choices=["import"], help="stop after the part named (import: the two file imports)")
    parser.add_argument("--keep", action="store_true",
                        help="keep this run's entries (by default a run deletes the data of every benchmark "
                             "competition, its own included, when it ends)")
    args = parser.parse_args()
    if args.seed_first:
        started = time.perf_counter()
        call_command("seed_demo", workers=223_000, days=30, seed=1)
        say("seed_demo --workers 223000 --days 30", f"{time.perf_counter() - started:.1f} s")

    today = timezone.localdate()
    clerk = User.objects.get_or_create(username="bench-clerk")[0]
    reviewer = User.objects.get_or_create(username="bench-reviewer")[0]
    importer = bench_importer()
    say("workers", f"{Worker.objects.count():,}")
    say("entries already in the database", f"{WorkEntry.objects.count():,}")

    comp, _rules = bench_competition(today)
    workers = list(Worker.objects.order_by("id").values_list("employee_no", "name"))
    days = [today - timedelta(days=i) for i in range(1, 10)]

    # -- imports (a clerk of every bureau, bench_importer; the checks are those of any clerk) ------------------
    # In the portal the upload's preview step has already used the cache (and imported the Redis
    # client, half a second) by the time the import runs: do the same here, outside the timing.
    cache.get("bench-warm-up")
    # Likewise a portal process has queued Celery tasks before (every entry write does): the first
    # one in a process loads the app's tasks and the broker transport and connects, about 0.1 s that
    # an import pays only if it is the process's first write. Connect here, outside the timing.
    celery_app.finalize(auto=True)
    with celery_app.producer_or_acquire() as producer:
        producer.connection.ensure_connection(max_retries=1)
    rows = import_rows(workers, days, args.csv_rows)
    content = csv_content(rows)
    started = time.perf_counter()
    result = entries_import(actor=importer, competition=comp, name="bench.csv", content=content)
    elapsed = time.perf_counter() - started
    say(f"CSV import, {result.created_count:,} validated entries", f"{elapsed:.2f} s = {result.created_count / elapsed:,.0f} rows/s")

    rows = import_rows(workers[len(workers) // 2:], [today - timedelta(days=20)], args.xlsx_rows)
    content = xlsx_content(rows)
    started = time.perf_counter()
    result = entries_import(actor=importer, competition=comp, name="bench.xlsx", content=content)
    elapsed = time.perf_counter() - started
    say(f"xlsx import, {result.created_count:,} validated entries", f"{elapsed:.2f} s = {result.created_count / elapsed:,.0f} rows/s")
    if args.only == "import":
        clean_up(args.keep)
        return

    # -- one business system's month at seed scale ---------------------------------------------------
    # The issue's figure is "one business system's month at seed scale (about 740,000 entries)": the
    # system whose month comes closest to that (--system largest for the biggest one instead).
    sizes = {s: Worker.objects.filter(job_type__business_system=s).count() * 30 for s in BusinessSystem.objects.all()}
    if args.system == "largest":
        system = max(sizes, key=sizes.get)
    else:
        system = min(sizes, key=lambda s: abs(sizes[s] - 740_000))
    month = previous_month(today)
    if month < comp.start_date:
        month = next_month(month)
    started = time.perf_counter()
    filled = fill_month(comp, system, month, clerk, args.entries)
    say(f"generated {system.name} {month:%Y-%m} pending entries", f"{filled:,} in {time.perf_counter() - started:.1f} s")
    reviewer.reviewer_systems.set([system])
    started = time.perf_counter()
    changed = entries_flag(competition_id=comp.pk, business_system_id=system.pk, month=month)
    say("queue flags for that month (Celery task; medians, cap streaks)", f"{time.perf_counter() - started:.1f} s, "
        f"{changed:,} entries flagged")

    # The queue's first page, as the reviewer's browser asks for it.
    # The portal shows the current active competition: make the benchmark's the current one for now.
    previously_active = list(Competition.objects.filter(status="active").values_list("pk", flat=True))
    Competition.objects.filter(pk__in=previously_active).update(status="draft")
    comp.status = "active"
    comp.save(update_fields=["status"])
    client = Client()
    client.force_login(reviewer)
    url = f"/review/?system={system.pk}&month={month:%Y-%m}"
    client.get(url)  # warm caches
    timings = []
    for _ in range(5):
        reset_queries()
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            response = client.get(url)
            timings.append(time.perf_counter() - started)
        assert response.status_code == 200
    say("approval queue first page (median of 5, server time)", f"{sorted(timings)[2] * 1000:.0f} ms, "
        f"{len(queries.captured_queries)} SQL queries")

    period_entries = WorkEntry.objects.filter(competition=comp, business_system=system,
                                              work_date__gte=month, work_date__lt=month_bounds(month)[1])
    events_before = EntryEvent.objects.count()
    started = time.perf_counter()
    moved = entries_transition(actor=reviewer, entries=period_entries, to_status=EntryStatus.APPROVED,
                               month=month).moved
    elapsed = time.perf_counter() - started
    say(f"approve the month ({moved:,} entries, audit included)", f"{elapsed:.1f} s")
    assert EntryEvent.objects.count() - events_before == moved

    started = time.perf_counter()
    period_sign_off(actor=reviewer, competition=comp, business_system=system, month=month)
    elapsed = time.perf_counter() - started
    locked = period_entries.in_shown_status([EntryStatus.LOCKED]).count()
    say(f"sign off the month ({locked:,} entries locked, audit included)", f"{elapsed:.1f} s")

    # Union staff reopen it (audited once, for the month), and the reviewer signs it off again.
    staff = User.objects.update_or_create(username="bench-staff", defaults={"is_staff": True})[0]
    period = ReviewPeriod.objects.get(competition=comp, business_system=system, month=month)
    started = time.perf_counter()
    period_reopen(actor=staff, period=period, reason="基准测试：解锁")
    elapsed = time.perf_counter() - started
    say(f"reopen the month ({period_entries.in_shown_status([EntryStatus.APPROVED]).count():,} entries unlocked)",
        f"{elapsed:.2f} s")
    started = time.perf_counter()
    period_sign_off(actor=reviewer, competition=comp, business_system=system, month=month)
    say("sign it off again", f"{time.perf_counter() - started:.1f} s")

    # Leave the seed's competitions as they were.
    comp.status = "closed"
    comp.save(update_fields=["status"])
    Competition.objects.filter(pk__in=previously_active).update(status="active")
    clean_up(args.keep)


def clean_up(keep: bool) -> None:
    if keep:
        return
    started = time.perf_counter()
    deleted = clear_bench_data()
    say("clean-up: benchmark entries deleted (with VACUUM)", f"{deleted:,} in {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
