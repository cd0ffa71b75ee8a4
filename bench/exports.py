"""Export benchmark: the full-day standings export (xlsx) at seed scale. Prints figures; not part of the
test suite.

    su postgres -c "createdb -O portal portal_bench"
    export DATABASE_URL=postgres://portal:portal@127.0.0.1:5432/portal_bench
    .venv/bin/python manage.py migrate
    .venv/bin/python bench/exports.py --workers 223000

Data: the first competition with entries, else the standings benchmark's generator (bench/portal.py's
``build``: 9 business systems, 94 job types, ~300 depots) with ``--days`` days of entries; the latest
day is ranked if it is not. Then the export job of that day's whole overall list runs as the Celery
worker runs it (competitions.jobs.job_run: rows streamed from a server-side cursor into a constant-memory
workbook, progress written every chunk, the file kept in storage), and prints the rows, the seconds, the
file's size and the process's peak RSS. Target: 223,000 rows <= 60 s.

``--compare N`` also writes the first N rows of the list with both writers considered (xlsxwriter's
constant_memory, which the export uses, and openpyxl's write_only), same rows, same escaping.
"""

from __future__ import annotations

import argparse
import io
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

import django  # noqa: E402

django.setup()

from bench.portal import build, rank_days  # noqa: E402
from competitions import standings  # noqa: E402
from competitions.jobs import job_run  # noqa: E402
from competitions.models import Competition, Job, JobStatus  # noqa: E402
from competitions.scopes import Scope  # noqa: E402
from competitions.standings import reads  # noqa: E402
from competitions.workspace import exports  # noqa: E402
from config.spreadsheets import XlsxStream, xlsx_text  # noqa: E402
from members.models import User  # noqa: E402


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def compare(cid: int, day, n: int) -> None:
    """The first ``n`` rows written by each writer (rows read once, beforehand: only the writing is timed)."""
    rows = []
    for chunk in reads.staff_board_chunks(competition_id=cid, day=day, of=reads.StaffList(Scope.OVERALL)):
        rows += [exports.row_values(r, change=True) for r in chunk]
        if len(rows) >= n:
            break
    rows = rows[:n]
    headers = exports.headers(change=True)

    t0 = time.perf_counter()
    with tempfile.TemporaryFile() as out, XlsxStream(out) as book:
        sheet = book.sheet("排名", headers)
        for row in rows:
            sheet.append(row)
    xlsxwriter_s = time.perf_counter() - t0

    from openpyxl import Workbook

    t0 = time.perf_counter()
    book = Workbook(write_only=True)
    sheet = book.create_sheet("排名")
    sheet.append(headers)
    for row in rows:
        # write_only makes text beginning with "=" a formula: the same escaping needs a cell per text value.
        sheet.append([xlsx_text(v) if v.__class__ is str else v for v in row])
    with tempfile.TemporaryFile() as out:
        book.save(out)
    openpyxl_s = time.perf_counter() - t0
    print(f"  writers, {len(rows):,} rows: xlsxwriter constant_memory {xlsxwriter_s:.2f} s, "
          f"openpyxl write_only {openpyxl_s:.2f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=223_000)
    parser.add_argument("--days", type=int, default=3)
    parser.add_argument("--compare", type=int, default=0, metavar="N",
                        help="also time both xlsx writers on the first N rows")
    args = parser.parse_args()

    comp = Competition.objects.filter(entries__isnull=False).order_by("id").first()
    cid = comp.pk if comp else build(args.workers, args.days)
    rank_days(cid, 1)
    day = standings.latest_day(cid)
    user = User.objects.filter(is_staff=True).order_by("id").first() or User.objects.create_user(
        username="bench-export", password="bench-pass-2026", is_staff=True)
    rss_before = peak_rss_mb()

    job = Job.objects.create(kind="standings_day_xlsx", created_by=user,
                             params={"competition": cid, "day": day.isoformat(), "scope": Scope.OVERALL.value})
    t0 = time.perf_counter()
    job_run(job_id=job.pk)
    seconds = time.perf_counter() - t0
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED, job.error
    size = job.file.size
    print(f"\nfull-day export of {day}: {job.done:,} rows in {seconds:.1f} s "
          f"({job.done / seconds:,.0f} rows/s), {size / 1024 / 1024:.1f} MB xlsx, "
          f"peak RSS {peak_rss_mb():.0f} MB (before the export {rss_before:.0f} MB); target <= 60 s")
    with job.file.open("rb") as handle:
        head = io.BytesIO(handle.read(4))
    assert head.getvalue() == b"PK\x03\x04"
    job.file.delete(save=False)
    job.delete()
    if args.compare:
        compare(cid, day, args.compare)


if __name__ == "__main__":
    main()
