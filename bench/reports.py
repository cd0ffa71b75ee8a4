"""Monthly review report benchmark: the xlsx report of one business system's month at seed scale, run as
the Celery worker runs it. Prints figures; not part of the test suite.

    export DATABASE_URL=postgres://portal:portal@127.0.0.1:5432/portal_bench DEBUG=0
    .venv/bin/python bench/reports.py --workers 223000     # seeds first when the database is empty

Data: the demo seed (``manage.py seed_demo --workers N --days 30``) when the database has no workers yet.
The business system and month with the most entries (bench/office_pages.py's choice; about 800,000 entries
at seed scale) are reported on through competitions.jobs.job_run (aggregates, the month's rejected
entries streamed into a constant-memory workbook, progress written, the file kept in storage). Printed:
the entries, the seconds, the rows of the rejected sheet, the file's size, the peak RSS. Target: <= 20 s.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

import django  # noqa: E402

django.setup()

from bench.exports import peak_rss_mb  # noqa: E402
from bench.office_pages import busiest_month, seeded  # noqa: E402
from competitions.jobs import job_run  # noqa: E402
from competitions.models import BusinessSystem, Job, JobStatus  # noqa: E402
from competitions.querysets import current_competition  # noqa: E402
from config.months import format_month  # noqa: E402
from members.models import User  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=223_000, help="seed this many workers if there are none")
    parser.add_argument("--days", type=int, default=30)
    args = parser.parse_args()

    seeded(args.workers, args.days)
    competition = current_competition()
    system_id, month, entries = busiest_month(competition)
    system = BusinessSystem.objects.get(pk=system_id)
    reviewer = User.objects.filter(reviewer_systems=system, is_active=True).order_by("id").first()
    rss_before = peak_rss_mb()

    job = Job.objects.create(kind="review_month_xlsx", created_by=reviewer, params={
        "competition": competition.pk, "system": system.pk, "month": format_month(month)})
    t0 = time.perf_counter()
    job_run(job_id=job.pk)
    seconds = time.perf_counter() - t0
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED, job.error
    print(f"monthly review report, {system.name} {format_month(month)}: {entries:,} entries, "
          f"{job.done:,} rejected entries listed, in {seconds:.1f} s; {job.file.size / 1024 / 1024:.1f} MB xlsx, "
          f"peak RSS {peak_rss_mb():.0f} MB (before {rss_before:.0f} MB); target <= 20 s")
    job.file.delete(save=False)
    job.delete()


if __name__ == "__main__":
    main()
