"""Background jobs at seed scale: a 20,000-row import and the approval of a 740,000-entry month, each THROUGH
the job path (competitions.jobs.job_run, as the Celery worker runs it: the parked file read back, the
kind run as the person who started it, the outcome saved), with the progress another connection saw
while each ran (as the job's page polls it). Prints figures; not part of the test suite.

    export DATABASE_URL=postgres://portal:portal@127.0.0.1:5432/portal_bench REDIS_URL=redis://127.0.0.1:6379/5 DEBUG=0
    .venv/bin/python bench/jobs.py --workers 223000

Data: the workers already in the database (``seed_demo`` is run first when there are fewer than
``--workers``), and a competition of the benchmark's own, made and cleared as bench/entries.py does
(its helpers are used here). The month approved is the business system's whose month comes closest to
``--entries`` (one pending entry per worker per day, set-based). With ``--compare`` (the default) a second
month of the same size is approved by the single-statement path the page used before (entries_transition
over the whole selection), so the cost of cutting the approval into steps shows beside it.

The same number of rows is also imported inline (reviews.services.entries_import, as bench/entries.py
does, but with this file's size and in this run's state), right before the job, so what the job path
itself costs shows beside it: bench/entries.py times a 100,000-row file, whose fixed costs weigh less
per row.

Before the approval, the competition's standings are computed for yesterday, as the nightly runs have
done by the time a month is approved (``--no-standings``: not).

Targets: the import >= 20,000 rows/s end to end through the job; approve-all of a 740,000-entry month
<= 5 s (of one business system's month at ten times the railway, about 7 million entries: <= 60 s);
progress visible while both run. The month generated here is the business system's alone over its range of
ids, the kindest layout (its steps read their entries through the entries' key: reviews.workflow.DENSE_RANGE):
bench/standings.py approves a month whose nine systems' entries were made day by day, side by side, which its
steps read from the queue rows. The time a message waits in the queue for a free worker is
not included (it depends on the workers, not on the job).
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, connections  # noqa: E402
from django.utils import timezone  # noqa: E402

from bench import disk  # noqa: E402
from bench.entries import (  # noqa: E402
    bench_competition,
    bench_importer,
    clean_up,
    csv_content,
    fill_month,
    import_rows,
    say,
)
from competitions.jobs import job_run  # noqa: E402
from competitions.models import BusinessSystem, Job, JobStatus  # noqa: E402
from competitions.services import standings_recompute  # noqa: E402
from config import parked_uploads  # noqa: E402
from config.months import format_month, month_bounds, previous_month  # noqa: E402
from members.models import User, Worker  # noqa: E402
from reviews.models import EntryStatus, WorkEntry  # noqa: E402
from reviews.queue import queue_selection  # noqa: E402
from reviews.services import entries_import  # noqa: E402
from reviews.workflow import entries_transition  # noqa: E402


class Watcher:
    """Reads the job's row from another connection every ``every`` seconds while it runs, as its page
    does, and keeps each change: (seconds since start, status, done, total)."""

    # The page polls every second or two; a watcher in this process polling much faster would take the
    # interpreter from the job it times.
    def __init__(self, job_pk: int, every: float = 0.2):
        self.job_pk, self.every = job_pk, every
        self.samples: list[tuple[float, str, int, int | None]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run)

    def _run(self) -> None:
        started = time.perf_counter()
        try:
            while not self._stop.is_set():
                status, done, total = Job.objects.filter(pk=self.job_pk).values_list("status", "done", "total").get()
                if not self.samples or self.samples[-1][1:] != (status, done, total):
                    self.samples.append((time.perf_counter() - started, status, done, total))
                self._stop.wait(self.every)
        finally:
            connections.close_all()

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()

    def report(self) -> None:
        midway = [s for s in self.samples if s[1] == JobStatus.RUNNING and s[3] and 0 < s[2] < s[3]]
        say("  progress seen while it ran", f"{len(midway)} samples part of the way")
        for at, status, done, total in self.samples:
            percent = f"{done * 100 // total}%" if total else "–"
            print(f"    {at:6.2f} s  {status:<9} {done:>9,} / {total if total is not None else '–':>9}  {percent}")


def run_job(kind: str, params: dict, user) -> tuple[Job, float, Watcher]:
    """A job recorded as job_start records it, then run as the worker runs it, watched."""
    job = Job.objects.create(kind=kind, params=params, created_by=user, language="zh-hans")
    with Watcher(job.pk) as watcher:
        started = time.perf_counter()
        job_run(job_id=job.pk)
        elapsed = time.perf_counter() - started
        time.sleep(watcher.every + 0.05)  # the watcher's last look: the finished row
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED, job.error
    return job, elapsed, watcher


def time_imports(args, workers, importer, comp, import_job, today) -> None:
    """The import inline, then the same size through the job, ``args.repeat`` times (the r-th time one day
    further back)."""
    for r in range(args.repeat):
        rows = import_rows(workers, [today - timedelta(days=i) for i in range(21 + r, 30 + r)], args.rows)
        started = time.perf_counter()
        inline = entries_import(actor=importer, competition=comp, name="bench.csv", content=csv_content(rows))
        elapsed = time.perf_counter() - started
        say(f"the same size inline (no job), {inline.created_count:,} rows",
            f"{elapsed:.2f} s = {inline.created_count / elapsed:,.0f} rows/s")
        job, elapsed, watcher = import_job([today - timedelta(days=i) for i in range(1 + r, 10 + r)])
        imported = dict(job.summary)["已导入"]
        say(f"import through the job, {imported:,} rows", f"{elapsed:.2f} s = {imported / elapsed:,.0f} rows/s "
            "(target >= 20,000 rows/s)")
        watcher.report()


def audit_written() -> tuple[tuple[int, int], int]:
    """(per-entry audit rows, batch audit rows) and the two tables' size on disk with their indexes and TOAST."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT (SELECT count(*) FROM reviews_entryevent), (SELECT count(*) FROM reviews_entrybatchevent),"
                       " pg_total_relation_size('reviews_entryevent') + pg_total_relation_size('reviews_entrybatchevent')")
        events, batches, size = cursor.fetchone()
    return (events, batches), size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=223_000,
                        help="workers expected in the database (seed_demo makes them when there are fewer)")
    parser.add_argument("--rows", type=int, default=20_000, help="rows of the imported file")
    parser.add_argument("--entries", type=int, default=740_000, help="entries of the approved month")
    parser.add_argument("--no-compare", dest="compare", action="store_false",
                        help="skip the single-statement approval of a second month")
    parser.add_argument("--no-standings", dest="standings", action="store_false",
                        help="approve the month of a competition with no stored standings day")
    parser.add_argument("--keep", action="store_true", help="keep this run's entries")
    parser.add_argument("--only", choices=["import", "approve"],
                        help="time only the part named (import: the imports; approve: approve-all)")
    parser.add_argument("--repeat", type=int, default=1,
                        help="time the import (inline and through the job) this many times, on other days each")
    disk.add_option(parser)
    args = parser.parse_args()

    if Worker.objects.count() < args.workers:
        if args.disk_check:
            disk.disk_check(args.workers, 30)
        started = time.perf_counter()
        call_command("seed_demo", workers=args.workers, days=30, seed=1)
        say(f"seed_demo --workers {args.workers}", f"{time.perf_counter() - started:.1f} s")
    today = timezone.localdate()
    importer = bench_importer()
    clerk = User.objects.get_or_create(username="bench-clerk")[0]
    reviewer = User.objects.get_or_create(username="bench-reviewer")[0]
    say("workers", f"{Worker.objects.count():,}")
    comp, _rules = bench_competition(today)
    made: list[int] = []
    try:
        # -- the import: a parked file, read back and imported by the job (a clerk of every bureau) --
        workers = list(Worker.objects.order_by("id").values_list("employee_no", "name"))

        def import_job(days: list) -> tuple[Job, float, Watcher]:
            rows = import_rows(workers, days, args.rows)
            token = parked_uploads.park(user_id=importer.pk, name="bench.csv", content=csv_content(rows))
            job, elapsed, watcher = run_job("entries_import", {"competition": comp.pk, "token": token,
                                                               "name": "bench.csv", "save_valid_only": False}, importer)
            made.append(job.pk)
            return job, elapsed, watcher

        # A portal's worker has imported before (the first import of a process loads the file readers, the
        # cache and broker clients): one import of other days first, not timed.
        import_job([today - timedelta(days=i) for i in range(31, 40)])
        if args.only != "approve":
            time_imports(args, workers, importer, comp, import_job, today)
        if args.only == "import":
            return

        # -- approve-all of a month, through the job ---------------------------------------------------
        sizes = {s: Worker.objects.filter(job_type__business_system=s).count() * 30
                 for s in BusinessSystem.objects.all()}
        system = min(sizes, key=lambda s: abs(sizes[s] - args.entries))
        month = previous_month(today)
        if args.standings:
            # By the time a month is approved, the nightly runs have stored the competition's standings: the
            # approval log then dates each worker's approved entries up to the latest stored day on that
            # day, one row per worker (competitions.StandingApproval). Without a stored day it keeps one
            # row per worker and date, which costs more (--no-standings shows it).
            started = time.perf_counter()
            run = standings_recompute(competition=comp, day=today - timedelta(days=1))
            say(f"the nightly standings of {run.day} first", f"{run.outcome} in {time.perf_counter() - started:.1f} s")
        started = time.perf_counter()
        filled = fill_month(comp, system, month, clerk, args.entries)
        say(f"generated {system.name} {month:%Y-%m} pending entries", f"{filled:,} in {time.perf_counter() - started:.1f} s")
        reviewer.reviewer_systems.set([system])
        audit_before = audit_written()
        job, elapsed, watcher = run_job("review_approve_all", {"competition": comp.pk, "system": system.pk,
                                                               "month": format_month(month), "filters": {}}, reviewer)
        made.append(job.pk)
        audit_after = audit_written()
        first, following = month_bounds(month)
        approved = WorkEntry.objects.filter(competition=comp, business_system=system, work_date__gte=first,
                                            work_date__lt=following, status=EntryStatus.APPROVED).count()
        assert approved == dict(job.summary)["已通过"]
        # Issue 18's targets: at the railway's size, and for one business system's month at ten times it.
        target = 60 if approved > 2_000_000 else 5
        say(f"approve-all through the job, {approved:,} entries", f"{elapsed:.1f} s (target <= {target} s)")
        watcher.report()
        # The job's audit facts: batches of ids (reviews.EntryBatchEvent), not a row per entry.
        (events, batches), size = audit_after
        (events_before, batches_before), size_before = audit_before
        say("  its audit facts written (rows per entry, batch rows, table growth)",
            f"{events - events_before:,}, {batches - batches_before:,}, {(size - size_before) / 2**20:.1f} MB")

        if args.compare:
            # The same size of month, approved by one statement per source status (the page's former path).
            other = previous_month(month)
            filled = fill_month(comp, system, other, clerk, args.entries)
            entries, _status = queue_selection(user=reviewer, competition=comp, system=system, month=other,
                                               filters={})
            started = time.perf_counter()
            moved = entries_transition(actor=reviewer, entries=entries, to_status=EntryStatus.APPROVED,
                                       systems=[system.pk]).moved
            say(f"same month size in one statement (no steps), {moved:,} entries",
                f"{time.perf_counter() - started:.1f} s")
    finally:
        Job.objects.filter(pk__in=made).delete()
        clean_up(args.keep)


if __name__ == "__main__":
    main()
