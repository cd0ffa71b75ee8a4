"""A finished month's daily standings partitions merged into one (PostgreSQL): same answers, fewer partitions."""

from __future__ import annotations

import random
from datetime import date, timedelta

import pytest
from celery.schedules import crontab
from django.conf import settings
from django.core.management import call_command
from django.db import DatabaseError, connection, connections
from django.utils import timezone

from competitions import standings, tasks
from competitions.locks import STANDINGS_LOCK_CLASS
from competitions.models import RunKind, Standing, StandingDay
from competitions.services import competition_delete, standings_compact, standings_recompute, standings_totals_day
from competitions.standings import database
from competitions.standings.partitions import month_partition
from members.models import UnitLevel
from reviews.models import WorkEntry
from tests.competitions.standings_data import entry, rows, rows_by_full_path

pytestmark = pytest.mark.django_db

FIRST, LAST = date(2026, 1, 27), date(2026, 3, 4)  # the end of January, February, the start of March
JAN, FEB, MAR = date(2026, 1, 1), date(2026, 2, 1), date(2026, 3, 1)


def days(first=FIRST, last=LAST):
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


@pytest.fixture
def season(f):
    """Twelve workers in two business systems, three job types and two depots (one worker under none), with
    entries on most days, ties, a rejection, and standings computed night after night up to LAST."""
    rnd = random.Random(11)
    bs_a, bs_b = f.business_system(), f.business_system()
    jts = [f.job_type(bs_a), f.job_type(bs_a), f.job_type(bs_b)]
    depots = [f.depot(), f.depot()]
    places = [*depots, f.unit(parent=depots[0], level=UnitLevel.WORKSHOP), f.unit()]  # the last: no depot
    comp = f.competition()
    rules = {jt.pk: f.rule(comp, jt) for jt in jts}
    workers = [f.worker(places[i % 4], jts[i % 3], employee_no=f"M{i:03d}") for i in range(12)]
    for day in days():
        for w in rnd.sample(workers, 9):
            entry(comp, w, rules[w.job_type_id], day, rnd.randint(1, 4),
                  status=rnd.choice(["pending", "approved", "rejected"] if day.day % 7 else ["pending"]))
        standings_recompute(competition=comp, day=day, trigger="nightly")
    return {"comp": comp, "workers": workers, "rules": rules}


def partitions(competition_id: int) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("""SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
                          WHERE i.inhparent = 'competitions_standing'::regclass AND starts_with(c.relname, %s)
                          ORDER BY 1""", [f"competitions_standing_{competition_id}_"])
        return [row[0] for row in cursor.fetchall()]


def merged_tables(competition_id: int) -> list[str]:
    """Every month table of the competition, attached or not."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT relname FROM pg_class WHERE relkind = 'r' AND relname ~ %s ORDER BY 1",
                       [rf"^competitions_standing_{competition_id}_\d{{6}}m_"])
        return [row[0] for row in cursor.fetchall()]


def month_of(table: str) -> str:
    return table.split("_")[3]  # competitions_standing_<id>_<yyyymmdd or yyyymm + "m">_<suffix>


def everything_a_reader_sees(comp, workers) -> dict:
    """Every day's rows, every worker's history and standing, each scope's pages and the places around a
    worker, on old days as on the latest."""
    seen = {("rows", day): rows(comp.pk, day) for day in days()}
    for w in workers:
        seen["history", w.pk] = [(s.day, s.points, s.rank_overall, s.change_overall)
                                 for s in standings.worker_history(competition_id=comp.pk, worker_id=w.pk)]
    for day in (FIRST, date(2026, 2, 14), LAST):
        for w in workers[:4]:
            me = standings.worker_standing(competition_id=comp.pk, worker_id=w.pk, day=day)
            seen["standing", day, w.pk] = me and (me.points, me.rank_overall, me.rank_unit, me.points_to_next)
            for scope in standings.SCOPES:
                seen["around", day, w.pk, scope] = [
                    s.worker_id for s in standings.around_worker(competition_id=comp.pk, worker_id=w.pk, day=day,
                                                                  scope=scope, size=5)]
                column = standings.SCOPES[scope][0]
                if me is None or (column and getattr(me, column) is None):
                    continue
                scope_id = getattr(me, column) if column else None
                page = standings.leaderboard(competition_id=comp.pk, day=day, scope=scope, scope_id=scope_id, limit=3)
                after = standings.Cursor(page[-1].rank, page[-1].worker_id)
                rest = standings.leaderboard(competition_id=comp.pk, day=day, scope=scope, scope_id=scope_id,
                                             after=after, limit=50)
                seen["page", day, w.pk, scope] = [s.worker_id for s in page + rest]
    return seen


def test_finished_months_are_merged_and_every_read_gives_the_same_answers(season, django_assert_num_queries):
    comp, workers = season["comp"], season["workers"]
    before = everything_a_reader_sees(comp, workers)
    assert len(partitions(comp.pk)) == len(days())

    assert standings_compact(competition=comp) == [JAN, FEB]

    tables = partitions(comp.pk)
    assert [month_of(t) for t in tables] == ["202601m", "202602m", "20260301", "20260302", "20260303", "20260304"]
    assert merged_tables(comp.pk) == tables[:2]
    assert everything_a_reader_sees(comp, workers) == before
    ranked_days = Standing.objects.filter(competition=comp, worker=workers[0]).count()
    with django_assert_num_queries(1):  # still one query, now over two months and four days
        assert len(standings.worker_history(competition_id=comp.pk, worker_id=workers[0].pk)) == ranked_days
    assert standings_compact(competition=comp) == []  # nothing left to merge
    assert partitions(comp.pk) == tables


def test_a_month_is_merged_only_once_no_run_can_read_its_last_day_as_base_or_previous_day(season):
    comp = season["comp"]
    later = {row[0]: row for row in StandingDay.objects.filter(competition=comp, day__gte=date(2026, 3, 2))
             .values_list("day", "rows")}
    StandingDay.objects.filter(competition=comp, day__gte=date(2026, 3, 2)).delete()  # latest day: March 1st
    assert standings.compactable_months(competition_id=comp.pk, base_day=LAST) == [JAN]
    assert standings.compactable_months(competition_id=comp.pk, base_day=date(2026, 2, 2)) == [JAN]
    assert standings.compactable_months(competition_id=comp.pk, base_day=date(2026, 2, 1)) == []
    assert standings.compactable_months(competition_id=comp.pk, base_day=None) == [JAN]
    StandingDay.objects.bulk_create([StandingDay(competition=comp, day=d, rows=n, computed_at=comp.created_at)
                                     for d, n in later.values()])
    assert standings.compactable_months(competition_id=comp.pk, base_day=LAST) == [JAN, FEB]


def test_a_repaired_day_of_a_merged_month_and_the_nights_after_it_are_right(season):
    comp, workers, rules = season["comp"], season["workers"], season["rules"]
    standings_compact(competition=comp)
    tables = partitions(comp.pk)
    old = date(2026, 2, 10)
    untouched = {day: rows(comp.pk, day) for day in (date(2026, 2, 9), date(2026, 2, 11))}
    as_of_last_night = rows_by_full_path(comp.pk, old, timezone.now())
    changed = WorkEntry.objects.filter(competition=comp, work_date=old).exclude(status="rejected").first()
    changed.status, changed.reject_reason = "rejected", "重复录入"
    changed.save()

    run = standings_recompute(competition=comp, day=old, trigger="admin")

    assert (run.kind, run.rows) == (RunKind.FULL, Standing.objects.filter(competition=comp, day=old).count())
    # An old day is stored as of the last night's run (its log position); the rejection since is in the
    # change log, which period standings add (tests/competitions/test_periods.py).
    assert rows(comp.pk, old) == as_of_last_night != rows_by_full_path(comp.pk, old, run.started_at)
    assert partitions(comp.pk) == tables  # written into February's partition, not beside it
    assert {day: rows(comp.pk, day) for day in untouched} == untouched
    # The change log still holds the rejection (the repair was of an older day): the next night adds it.
    night = LAST + timedelta(days=1)
    entry(comp, workers[0], rules[workers[0].job_type_id], night, 2)
    run = standings_recompute(competition=comp, day=night, trigger="nightly")
    assert run.kind == RunKind.INCREMENTAL
    assert rows(comp.pk, night) == rows_by_full_path(comp.pk, night, run.started_at)


def test_an_interrupted_compaction_leaves_the_daily_partitions_as_they_were(season, monkeypatch):
    comp, workers = season["comp"], season["workers"]
    before, tables = everything_a_reader_sees(comp, workers), partitions(comp.pk)
    real_send = database.send

    def crash_at_attach(sql, params):
        if "ATTACH PARTITION" in sql:
            raise DatabaseError("injected: the server went away")
        return real_send(sql, params)

    monkeypatch.setattr(database, "send", crash_at_attach)
    with pytest.raises(DatabaseError):
        standings_compact(competition=comp)

    assert partitions(comp.pk) == tables
    assert merged_tables(comp.pk) == []  # no merged table left behind, attached or not
    assert everything_a_reader_sees(comp, workers) == before


@pytest.mark.django_db(transaction=True)
def test_compaction_waits_for_no_one_it_is_skipped_while_a_run_holds_the_lock(f):
    comp, jt = f.competition(), f.job_type()
    rule = f.rule(comp, jt)
    w = f.worker(job_type_=jt)
    for day in days(date(2026, 1, 30), date(2026, 2, 3)):
        entry(comp, w, rule, day, 1)
        standings_recompute(competition=comp, day=day)
    other = connections.create_connection("default")
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s, %s)", [STANDINGS_LOCK_CLASS, comp.pk])
        assert standings_compact(competition=comp) is None
        assert len(partitions(comp.pk)) == 5
    finally:
        # Unlocked explicitly: closing the connection releases the lock too, but only once the server
        # process notices the closed socket, which can be after the next line's try.
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [STANDINGS_LOCK_CLASS, comp.pk])
        other.close()
    assert standings_compact(competition=comp) == [JAN]
    assert [month_of(t) for t in partitions(comp.pk)] == ["202601m", "20260201", "20260202", "20260203"]


def test_the_command_merges_what_the_monthly_task_would(season, capsys):
    comp = season["comp"]
    call_command("compact_standings", competition=comp.pk)
    assert capsys.readouterr().out.strip() == f"competition {comp.pk}: 2026-01, 2026-02"
    assert tasks.compact_standings.apply().get() == {comp.pk: []}


def test_deleting_a_competition_drops_its_merged_months_too(season):
    comp = season["comp"]
    standings_compact(competition=comp)
    WorkEntry.objects.filter(competition=comp).delete()
    comp.rules.all().delete()
    comp.periods.all().delete()  # the entries' review periods protect it too
    comp_id = comp.pk
    competition_delete(actor=None, competition=comp)
    assert partitions(comp_id) == []


def test_beat_merges_monthly_on_the_third_and_the_task_is_safe_to_redeliver():
    monthly = settings.CELERY_BEAT_SCHEDULE["standings-compact-monthly"]
    assert monthly["task"] == "competitions.tasks.compact_standings"
    assert monthly["schedule"] == crontab(day_of_month=3, hour=3, minute=30)
    assert 0 < monthly["options"]["expires"] < 28 * 24 * 3600
    task = tasks.compact_standings
    assert task.acks_late is True and DatabaseError in task.autoretry_for and task.max_retries


def test_the_base_day_stays_daily_after_compaction(season):
    comp = season["comp"]
    standings_compact(competition=comp)
    base = standings_totals_day(competition_id=comp.pk)
    assert base == LAST and month_partition(comp.pk, base) is None
