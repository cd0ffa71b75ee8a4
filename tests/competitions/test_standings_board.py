"""The standings partitions on PostgreSQL: how a run swaps a day's partition while people read them."""

from __future__ import annotations

from datetime import date, timedelta

import psycopg
import pytest
from django.db import DatabaseError, connection

from competitions import standings
from competitions.models import RunOutcome, StandingRun
from competitions.services import standings_recompute
from tests.competitions.standings_data import entry, partitions, rows

pytestmark = pytest.mark.django_db(transaction=True)

DAY = date(2026, 3, 1)


@pytest.fixture
def league(f):
    comp, jt = f.competition(), f.job_type()
    rule = f.rule(comp, jt)
    workers = [f.worker(job_type_=jt) for _ in range(4)]
    for i, w in enumerate(workers):
        entry(comp, w, rule, DAY, i + 1)
    return comp, rule, workers


def reader_in_a_transaction():
    """Another session, like a portal request, in the middle of reading the standings."""
    s = connection.settings_dict
    other = psycopg.connect(host=s["HOST"], port=s["PORT"], dbname=s["NAME"], user=s["USER"],
                            password=s["PASSWORD"])
    other.execute("SELECT count(*) FROM competitions_standing WHERE competition_id = 0 AND day = %s", [DAY])
    return other  # holds its lock on the table until it commits


def test_a_new_days_partition_is_attached_while_people_read_the_board(league):
    comp, rule, workers = league
    standings_recompute(competition=comp, day=DAY)
    entry(comp, workers[0], rule, DAY + timedelta(days=1), 10)
    reader = reader_in_a_transaction()
    try:
        # ATTACH needs only SHARE UPDATE EXCLUSIVE on the table: readers neither block the nightly run nor wait
        run = standings_recompute(competition=comp, day=DAY + timedelta(days=1))
    finally:
        reader.close()
    assert run.outcome == RunOutcome.SUCCEEDED
    board = standings.leaderboard(competition_id=comp.pk, day=DAY + timedelta(days=1))
    assert board[0].worker_id == workers[0].pk and len(board) == 4


def test_replacing_a_day_waits_briefly_for_readers_then_fails_and_keeps_the_old_partition(league):
    comp, rule, workers = league
    standings_recompute(competition=comp, day=DAY)
    before, before_partitions = rows(comp.pk, DAY), partitions(comp.pk, DAY)
    entry(comp, workers[0], rule, DAY - timedelta(days=1), 10)
    reader = reader_in_a_transaction()
    try:
        # DETACH of the day's old partition needs ACCESS EXCLUSIVE on the table: the run gives up after
        # SWAP_LOCK_TIMEOUT instead of queueing every reader behind it for longer (the task then retries)
        with pytest.raises(DatabaseError, match="lock timeout"):
            standings_recompute(competition=comp, day=DAY)
    finally:
        reader.close()
    assert StandingRun.objects.latest("id").outcome == RunOutcome.FAILED
    assert rows(comp.pk, DAY) == before and partitions(comp.pk, DAY) == before_partitions

    assert standings_recompute(competition=comp, day=DAY).outcome == RunOutcome.SUCCEEDED  # reader gone
    assert standings.leaderboard(competition_id=comp.pk, day=DAY)[0].worker_id == workers[0].pk
    assert len(partitions(comp.pk, DAY)) == 1
