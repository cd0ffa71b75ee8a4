"""Skill grades and membership statistics on seed-scale data. Prints figures; not part of the test suite.

    su postgres -c "createdb -O portal portal_skills"           # a database of your own
    DATABASE_URL=postgres://portal:portal@127.0.0.1:5432/portal_skills DEBUG=0 \\
        .venv/bin/python bench/skills.py [--workers 223000] [--rows 20000] [--runs 5]

Uses the workers in the database, or builds them with ``seed_demo`` (migrating first). Figures printed:
  * each statistics page (/union/statistics/…) and its .xlsx export as union staff: the median server time of
    ``--runs`` requests (target <= 100 ms) and the number of queries; the page shows its copy in the cache,
    so first the time the background task takes to count each page's copy, and the page without a copy
    ("统计中", a count sent); all of it again right after the import, before its rows are all-visible;
  * importing a file of ``--rows`` certificates (.xlsx, one per worker, every check): read + check + write
    (the current grades included), rows per second (target >= 5,000 rows/s for 20,000 rows), and the check
    alone.
The certificates the benchmark writes are deleted at the end and the workers' grades put back as they were.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics as stats
import sys
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost")  # the pages are fetched with the test client

BODY = "基准测试鉴定中心"


def say(label, value):
    print(f"{label:<58} {value}", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=223_000)
    parser.add_argument("--days", type=int, default=3)
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
        print("请设置 DATABASE_URL=postgres://…（使用自己的数据库）。", file=sys.stderr)
        return 2

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse
    from openpyxl import Workbook

    from members import skill_imports
    from members.models import SkillGrade, User, Worker
    from members.skills import SkillCertificate

    call_command("migrate", verbosity=0)
    if not Worker.objects.exists():
        started = time.perf_counter()
        call_command("seed_demo", workers=args.workers, days=args.days, seed=args.seed)
        with connection.cursor() as cursor:
            cursor.execute("VACUUM (ANALYZE)")
        say(f"seed_demo --workers {args.workers} --days {args.days}", f"{time.perf_counter() - started:.0f} s")
    staff, _ = User.objects.get_or_create(username="bench-skills", defaults={"is_staff": True})
    say("workers", f"{Worker.objects.count():,}")

    # -- the statistics pages --------------------------------------------------------------------------
    from django.core.cache import cache

    from members import statistics
    from members import tasks as member_tasks

    client = Client()
    client.force_login(staff)
    year = date.today().year
    pages = [("members and applications by depot and month", "membership", {"year": year}),
             ("card status by depot", "cards", {}),
             ("grade distribution by job type and depot", "grades", {})]
    member_tasks.refresh_statistics.delay = lambda *args: None  # the counts below are timed here instead

    def time_pages(when: str):
        for label, page, params in pages:
            cache.delete(statistics._page_key(page, params.get("year")))
            cache.delete(statistics._page_key(page, params.get("year")) + ":refreshing")
            for suffix, extra in (("page, no copy", {}), ("background count", None), ("page", {}),
                                  ("xlsx", {"format": "xlsx"})):
                times, queries = [], 0
                for _ in range(args.runs if suffix != "page, no copy" else 1):
                    with CaptureQueriesContext(connection) as captured:
                        started = time.perf_counter()
                        if extra is None:
                            statistics.page_figures_refresh(page=page, year=params.get("year"))
                        else:
                            response = client.get(reverse(f"statistics:{page}"), {**params, **extra})
                            assert response.status_code == 200, response.status_code
                        times.append(time.perf_counter() - started)
                    queries = len(captured)
                say(f"{label} ({suffix}, {when})", f"{stats.median(times) * 1000:.0f} ms median, {queries} queries")

    time_pages("before the import")

    # -- the import ------------------------------------------------------------------------------------
    workers = list(Worker.objects.filter(is_active=True).order_by("?").values_list("pk", "employee_no", "name",
                                                                                   "skill_grade")[:args.rows])
    grades_before = [(pk, grade) for pk, _emp, _name, grade in workers]
    labels = [str(label) for label in SkillGrade.labels]
    run = time.strftime("%Y%m%d%H%M%S")
    book = Workbook(write_only=True)
    sheet = book.create_sheet("技能等级")
    sheet.append(skill_imports.COLUMNS)
    first_day = date.today() - timedelta(days=3000)
    for i, (_pk, employee_no, name, _grade) in enumerate(workers):
        sheet.append([employee_no, name, labels[i % 8], "", f"B{run}-{i:06d}",
                      (first_day + timedelta(days=i % 2900)).isoformat(), BODY])
    out = io.BytesIO()
    book.save(out)
    content = out.getvalue()
    say("file", f"{len(workers):,} rows, {len(content) / 1e6:.1f} MB")
    try:
        started = time.perf_counter()
        parsed = skill_imports.check_file(actor=staff, name="bench.xlsx", content=content)
        checked = time.perf_counter() - started
        assert not parsed.errors, parsed.errors[:5]
        say("read + check (preview)", f"{checked:.2f} s, {len(workers) / checked:,.0f} rows/s")
        started = time.perf_counter()
        written = skill_imports.certificates_import(actor=staff, name="bench.xlsx", content=content)
        seconds = time.perf_counter() - started
        say("import: read + check + write + current grades", f"{seconds:.2f} s, {written / seconds:,.0f} rows/s "
            f"(target >= 5,000)")
        # Right after the import the workers it updated are not all-visible to the index-only scans until
        # autovacuum has passed: the background count slows down, the pages read their copies as before.
        time_pages("right after the import")
    finally:
        SkillCertificate.objects.filter(issuing_body=BODY).delete()
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE members_worker w SET skill_grade = b.grade FROM unnest(%s::bigint[], %s::int[]) AS b(id, grade) "
                "WHERE w.id = b.id", [[pk for pk, _g in grades_before], [g for _pk, g in grades_before]])
    return 0


if __name__ == "__main__":
    sys.exit(main())
