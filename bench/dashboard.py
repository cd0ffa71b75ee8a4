"""Dashboard benchmark: the staff dashboard's server time and SQL queries at seed scale, and how long the
background refresh of its stored figures takes. Prints figures; not part of the test suite.

    su postgres -c "createdb -O portal portal_bench"
    export DATABASE_URL=postgres://portal:portal@127.0.0.1:5432/portal_bench DEBUG=0
    .venv/bin/python manage.py migrate
    .venv/bin/python bench/dashboard.py --workers 223000 --days 30 --ranked-days 30

Data: the portal benchmark's (bench/portal.py: the standings benchmark's set-based generator, 9 business
systems, ~300 depots, one entry per worker per day; the standings of the last ``--ranked-days`` days), built
only when the database has no competition with entries. Then one timed dashboard_refresh (what beat runs
every few minutes, in the background), and the page requested through the whole Django stack by a staff
account, timed over ``--repeat`` requests after a warm-up, for the 30-day and the 90-day view.
Target: <= 150 ms server time and a fixed number of queries.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from django.test import Client  # noqa: E402

from bench.portal import build, measure, rank_days  # noqa: E402  (sets up Django)
from competitions.dashboard import dashboard_refresh  # noqa: E402
from competitions.models import Competition  # noqa: E402
from members.models import User  # noqa: E402
from reviews.models import WorkEntry  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=223_000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--ranked-days", type=int, default=30)
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()

    comp = Competition.objects.filter(entries__isnull=False).order_by("id").first()
    cid = comp.pk if comp else build(args.workers, args.days)
    Competition.objects.filter(pk=cid).update(status="active")
    rank_days(cid, args.ranked_days)
    competition = Competition.objects.get(pk=cid)
    last = WorkEntry.objects.filter(competition_id=cid).order_by("-work_date").values_list("work_date", flat=True)[0]

    t0 = time.perf_counter()
    stored = dashboard_refresh(competition=competition, today=last)
    print(f"\ndashboard_refresh (background, every few minutes): {time.perf_counter() - t0:.2f} s; "
          f"{len(stored.figures['days'])} days, {len(stored.figures['participation']['depots'])} depots, "
          f"standings day {stored.figures['standings_day']}")

    user = User.objects.filter(username="bench-staff").first() or User.objects.create_user(
        username="bench-staff", password="bench-pass-2026", is_staff=True)
    client = Client(SERVER_NAME="localhost")
    client.force_login(user)
    for name, url in (("dashboard, 30 days", f"/staff/dashboard/?competition={cid}"),
                      ("dashboard, 90 days", f"/staff/dashboard/?competition={cid}&days=90")):
        figures = measure(client, url, args.repeat)
        print(f"  {name:24s} {figures['median_ms']:6.1f} ms median, {figures['p95_ms']:6.1f} ms p95, "
              f"{figures['queries']:2d} queries, {figures['bytes'] / 1024:5.1f} KB HTML")


if __name__ == "__main__":
    main()
