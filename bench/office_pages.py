"""Office pages benchmark: server time and SQL queries of the clerks', reviewers' and union staff's daily
pages at seed scale. Prints figures; not part of the test suite.

    su postgres -c "createdb -O portal portal_bench"
    export DATABASE_URL=postgres://portal:portal@127.0.0.1:5432/portal_bench DEBUG=0
    .venv/bin/python manage.py migrate
    .venv/bin/python bench/office_pages.py --workers 223000     # seeds first when the database is empty

Data: the demo seed (``manage.py seed_demo --workers N --days 30``, its clerks per depot and reviewers per
business system) when the database has no workers yet; otherwise what is there. Pages, each requested
through the whole Django stack (middleware, session, templates) by the role that uses it:

* the entry list, as the clerk of the depot with the most workers;
* the batch grid of one day and one rule for 500 workers of one job type (the grid's page size): as a
  clerk of the depots with the most workers of the largest job type, as many depots as make 500;
* the review queue and the review progress page of the business system and month with the most entries,
  as that system's reviewer;
* the dashboard (url name ``dashboard``) as union staff, when the project has it.

Each is requested once to warm up, then ``--repeat`` times; printed: the median and p95 server time,
and the SQL queries of one more request. Target: <= 150 ms each, a fixed number of queries.
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
os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db.models import Count, Max  # noqa: E402
from django.test import Client  # noqa: E402
from django.urls import NoReverseMatch, reverse  # noqa: E402

from bench.portal import measure  # noqa: E402
from competitions.models import ScoringRule  # noqa: E402
from competitions.querysets import current_competition  # noqa: E402
from config.months import format_month, month_bounds, month_of, previous_month  # noqa: E402
from members.models import Unit, User, Worker  # noqa: E402
from reviews.models import WorkEntry  # noqa: E402

GRID_WORKERS = 500  # the grid's page: workers of one job type in the clerk's units


def seeded(workers: int, days: int) -> None:
    """The demo seed at the size asked for, when the database has no workers yet."""
    if not Worker.objects.exists():
        t0 = time.perf_counter()
        call_command("seed_demo", workers=workers, days=days)
        print(f"seed_demo --workers {workers} --days {days}: {time.perf_counter() - t0:.0f} s")


def signed_in(user: User) -> Client:
    client = Client(SERVER_NAME="localhost")
    client.force_login(user)
    return client


def busiest_month(competition) -> tuple[int, object, int]:
    """The (business system, month) with the most entries among the last two months of entries."""
    last = WorkEntry.objects.filter(competition=competition).aggregate(day=Max("work_date"))["day"]
    best = (None, None, -1)
    for month in (month_of(last), previous_month(month_of(last))):
        first, following = month_bounds(month)
        rows = (WorkEntry.objects.filter(competition=competition, work_date__gte=first, work_date__lt=following)
                .values("business_system_id").annotate(n=Count("id")).order_by("-n")[:1])
        for row in rows:
            if row["n"] > best[2]:
                best = (row["business_system_id"], month, row["n"])
    return best


def grid_clerk(competition) -> tuple[User, ScoringRule, int]:
    """A clerk of the depots with the most workers of the largest job type, as many as make GRID_WORKERS."""
    job_type_id = (Worker.objects.filter(is_active=True).values("job_type_id").annotate(n=Count("id"))
                   .order_by("-n")[0]["job_type_id"])
    depots = (Worker.objects.filter(is_active=True, job_type_id=job_type_id).values("unit__depot_id")
              .annotate(n=Count("id")).order_by("-n"))
    chosen, workers = [], 0
    for row in depots:
        chosen.append(row["unit__depot_id"])
        workers += row["n"]
        if workers >= GRID_WORKERS:
            break
    clerk = User.objects.get_or_create(username="bench-office-clerk")[0]
    clerk.clerk_units.set(Unit.objects.filter(pk__in=chosen))
    rule = ScoringRule.objects.filter(competition=competition, job_type_id=job_type_id, is_active=True).first()
    return clerk, rule, min(workers, GRID_WORKERS)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=223_000, help="seed this many workers if there are none")
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()

    seeded(args.workers, args.days)
    competition = current_competition()
    print(f"{Worker.objects.count():,} workers; competition {competition.name}")

    depot = (Worker.objects.values("unit__depot_id").annotate(n=Count("id")).order_by("-n")[0])
    depot_clerk = User.objects.filter(clerk_units__pk=depot["unit__depot_id"]).order_by("id").first()
    system_id, month, month_entries = busiest_month(competition)
    reviewer = User.objects.filter(reviewer_systems__pk=system_id, is_staff=False).order_by("id").first()
    staff = User.objects.filter(is_staff=True, is_active=True).order_by("id").first()
    clerk, rule, grid_rows = grid_clerk(competition)
    last_day = WorkEntry.objects.filter(competition=competition).aggregate(day=Max("work_date"))["day"]
    print(f"entry list: the clerk of a depot of {depot['n']:,} workers; grid: {grid_rows} workers of one job type; "
          f"queue and progress: {month_entries:,} entries of one business system in {format_month(month)}\n")

    monthly = f"system={system_id}&month={format_month(month)}"
    pages = [
        ("entry list", depot_clerk, reverse("entries:list")),
        (f"grid, {grid_rows} workers", clerk,
         f"{reverse('entries:grid')}?mode=day&rule={rule.pk}&date={last_day.isoformat()}"),
        ("review queue", reviewer, f"{reverse('review:queue')}?{monthly}"),
        ("review progress", reviewer, f"{reverse('review:progress')}?{monthly}"),
    ]
    try:
        pages.append(("dashboard", staff, reverse("dashboard")))
    except NoReverseMatch:
        print("(no dashboard in this version: not measured)")
    for name, user, url in pages:
        figures = measure(signed_in(user), url, args.repeat)
        print(f"  {name:32s} {figures['median_ms']:7.1f} ms median, {figures['p95_ms']:7.1f} ms p95, "
              f"{figures['queries']:3d} queries, {figures['bytes'] / 1024:6.1f} KB HTML")


if __name__ == "__main__":
    main()
