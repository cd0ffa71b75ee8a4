"""A run leaves the day's standings partition analyzed (see competitions.standings.partitions.publish_partition)."""

from datetime import date

import pytest
from django.db import connection

from competitions.services import standings_recompute
from tests.competitions.standings_data import entry


@pytest.mark.django_db(transaction=True)
def test_a_run_leaves_planner_statistics_for_the_partition_it_wrote(f):
    comp, job = f.competition(), f.job_type()
    rule, depot = f.rule(comp, job), f.depot()
    day = date(2026, 3, 7)
    for n in range(3):
        entry(comp, f.worker(depot, job), rule, day, n + 1)
    standings_recompute(competition=comp, day=day)
    with connection.cursor() as cursor:
        cursor.execute("""SELECT c.relname, c.reltuples, (SELECT count(*) FROM pg_stats s WHERE s.tablename = c.relname)
                          FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
                          WHERE i.inhparent = 'competitions_standing'::regclass
                            AND starts_with(c.relname, %s)""", [f"competitions_standing_{comp.pk}_20260307_"])
        partitions = cursor.fetchall()
    assert len(partitions) == 1
    _name, tuples, columns_with_stats = partitions[0]
    assert tuples == 3 and columns_with_stats > 0
