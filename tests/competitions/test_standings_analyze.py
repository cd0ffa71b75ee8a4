"""After a run the planner knows the new day (see competitions.services._analyze_standings)."""

from datetime import date

import pytest
from django.db import connection

from competitions.services import standings_recompute
from tests.competitions.standings_data import entry


@pytest.mark.django_db(transaction=True)
def test_a_run_leaves_planner_statistics_that_know_the_day_it_wrote(f):
    comp, job = f.competition(), f.job_type()
    rule, depot = f.rule(comp, job), f.depot()
    day = date(2026, 3, 7)
    for n in range(3):
        entry(comp, f.worker(depot, job), rule, day, n + 1)
    standings_recompute(competition=comp, day=day)
    with connection.cursor() as cursor:
        cursor.execute("""SELECT most_common_vals::text, histogram_bounds::text FROM pg_stats
                          WHERE tablename = 'competitions_standing' AND attname = 'day'""")
        row = cursor.fetchone()
    assert row is not None and day.isoformat() in " ".join(v or "" for v in row)
