"""Builders shared by the standings tests: entries, and the standings "as a full recompute sees them"."""

from __future__ import annotations

import threading
from contextlib import contextmanager
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connections, transaction

from competitions import standings
from competitions.models import Standing
from config.months import month_of
from members.models import UnitLevel
from reviews.models import ReviewPeriod, WorkEntry

COMPARED = ["worker_id", "employee_no", "business_system_id", "job_type_id", "depot_id", "points",
            "approved_points", "pending_points", "entries", "rank_overall", "rank_business_system", "rank_job_type",
            "rank_unit", "change_overall", "change_business_system", "change_job_type", "change_unit",
            "points_to_next"]


D1, D2, D3, D4 = (date(2026, 3, d) for d in (1, 2, 3, 4))


def entry(competition, worker, rule, day: date, quantity, points=None, status="pending", **kw) -> WorkEntry:
    quantity = Decimal(str(quantity))
    points = quantity if points is None else Decimal(str(points))
    # As every write path of the product does (reviews.services._hold_open_periods): the entry's month has
    # its review period row, which the frozen-month reads rely on (competitions.standings.frozen).
    ReviewPeriod.objects.get_or_create(competition=competition, business_system=worker.job_type.business_system,
                                       month=month_of(day))
    return WorkEntry.objects.create(
        competition=competition, worker=worker, rule=rule, work_date=day, quantity=quantity, points=points,
        status=status, reject_reason="不符合" if status == "rejected" else "", unit=worker.unit,
        job_type=worker.job_type, business_system=worker.job_type.business_system, **kw,
    )


def rows(competition_id: int, day: date) -> list[tuple]:
    return list(Standing.objects.filter(competition_id=competition_id, day=day).order_by("worker_id")
                .values_list(*COMPARED))


def partitions(competition_id: int, day: date) -> list[str]:
    """PostgreSQL: the partitions of Standing holding the (competition, day); one after every run."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("""SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
                          WHERE i.inhparent = 'competitions_standing'::regclass
                            AND starts_with(c.relname, %s)""",
                       [f"competitions_standing_{competition_id}_{day:%Y%m%d}_"])
        return [row[0] for row in cursor.fetchall()]


def rows_by_full_path(competition_id: int, day: date, now) -> list[tuple]:
    """What the straight-from-the-entries path writes for the day (rolled back afterwards)."""

    class Rollback(Exception):
        pass

    result: list[tuple] = []
    try:
        with transaction.atomic():
            standings.replace_day(competition_id=competition_id, day=day, now=now, base_day=None)
            result = rows(competition_id, day)
            raise Rollback
    except Rollback:
        pass
    return result


def totals(competition_id: int, day: date) -> list[tuple]:
    """Per (worker, rule) as the read path reports them for the day's ranked workers, with each worker's
    standing points and counted entries (what the next incremental run starts from)."""
    out = []
    for worker_id, points, approved, entries in (
            Standing.objects.filter(competition_id=competition_id, day=day).order_by("worker_id")
            .values_list("worker_id", "points", "approved_points", "entries")):
        per_rule = standings.worker_rule_totals(competition_id=competition_id, worker_id=worker_id, day=day)
        assert sum(t.points for t in per_rule) == points and sum(t.approved_points for t in per_rule) == approved
        # Three decimals as shown.
        assert {v.as_tuple().exponent for t in per_rule for v in (t.quantity, t.points, t.approved_points)} <= {-3}
        out.extend((worker_id, t.rule_id, t.quantity, t.points, t.approved_points, entries) for t in per_rule)
    return out


def totals_from_entries(competition_id: int, day: date) -> list[tuple]:
    """The same, summed from the entries here: per (worker, rule), with the worker's counted entries."""
    from django.db.models import Count, Q, Sum

    counted = WorkEntry.objects.filter(competition_id=competition_id, work_date__lte=day).exclude(status="rejected")
    per_worker = dict(counted.values("worker_id").annotate(n=Count("id")).values_list("worker_id", "n"))
    qs = (counted.values("worker_id", "rule_id")
          .annotate(q=Sum("quantity"), p=Sum("points"),
                    a=Sum("points", filter=Q(status__in=["approved", "locked"]), default=Decimal(0)))
          .order_by("worker_id", "rule_id"))
    return [(r["worker_id"], r["rule_id"], r["q"], r["p"], r["a"], per_worker[r["worker_id"]]) for r in qs]


@contextmanager
def run_held_half_way(monkeypatch, **recompute):
    """A standings run (services.standings_recompute with ``recompute``) in a thread of its own, on a
    connection of its own, held just before it writes its day: it has its lock and its snapshot. The body
    runs meanwhile; on leaving, the run goes on and finishes. Yields a dict that then holds the run under
    "run". For transactional tests (the run commits)."""
    from competitions.services import standings_recompute

    inside, release = threading.Event(), threading.Event()
    real_replace_day = standings.replace_day

    def held_replace_day(**kw):
        inside.set()
        assert release.wait(20)
        return real_replace_day(**kw)

    monkeypatch.setattr(standings, "replace_day", held_replace_day)
    result = {}

    def run():
        try:
            result["run"] = standings_recompute(**recompute)
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    try:
        assert inside.wait(20), "the run never reached its write"
        yield result
    finally:
        release.set()
        thread.join(20)
        monkeypatch.setattr(standings, "replace_day", real_replace_day)


@pytest.fixture
def league(f):
    """Six workers in two business systems, three job types and two depots (hand-computed below)."""
    bs_a, bs_b = f.business_system(), f.business_system()
    j1, j2, j3 = f.job_type(bs_a), f.job_type(bs_a), f.job_type(bs_b)
    depot1, depot2 = f.depot(), f.depot()
    workshop1 = f.unit(parent=depot1, level=UnitLevel.WORKSHOP)
    comp = f.competition()
    rules = {j: f.rule(comp, j) for j in (j1, j2, j3)}
    w = {
        1: f.worker(workshop1, j1, employee_no="T001"),
        2: f.worker(depot1, j1, employee_no="T002"),
        3: f.worker(depot2, j2, employee_no="T003"),
        4: f.worker(depot2, j3, employee_no="T004"),
        5: f.worker(depot1, j3, employee_no="T005"),
        6: f.worker(depot2, j1, employee_no="T006"),
    }

    def add(n, day, quantity, status="pending"):
        return entry(comp, w[n], rules[w[n].job_type], day, quantity, status=status)

    add(1, D1, 6, "approved")
    add(1, D1 - timedelta(days=1), 4)
    add(2, D1, 8)
    rejected = add(2, D1 - timedelta(days=2), 100, "rejected")
    add(3, D1, 8, "approved")
    add(4, D1, 5)
    add(5, D1, 12)
    add(6, D1, 8, "locked")
    return {"comp": comp, "w": w, "add": add, "rejected": rejected, "bs": (bs_a, bs_b), "jt": (j1, j2, j3),
            "depots": (depot1, depot2)}
