"""Builders shared by the standings tests: entries, and the standings "as a full recompute sees them"."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.db import transaction

from competitions import standings
from competitions.models import Standing, StandingBoard, StandingTotal
from reviews.models import WorkEntry

COMPARED = ["worker_id", "employee_no", "business_system_id", "job_type_id", "depot_id", "points",
            "approved_points", "pending_points", "rank_overall", "rank_business_system", "rank_job_type",
            "rank_unit", "change_overall", "change_business_system", "change_job_type", "change_unit",
            "points_to_next"]


def entry(competition, worker, rule, day: date, quantity, points=None, status="pending", **kw) -> WorkEntry:
    quantity = Decimal(str(quantity))
    points = quantity if points is None else Decimal(str(points))
    return WorkEntry.objects.create(
        competition=competition, worker=worker, rule=rule, work_date=day, quantity=quantity, points=points,
        status=status, reject_reason="不符合" if status == "rejected" else "", unit=worker.unit,
        job_type=worker.job_type, business_system=worker.job_type.business_system, **kw,
    )


def rows(competition_id: int, day: date) -> list[tuple]:
    return list(Standing.objects.filter(competition_id=competition_id, day=day).order_by("worker_id")
                .values_list(*COMPARED))


BOARD_COMPARED = [name for name in COMPARED if name not in ("pending_points", "points_to_next")]


def board_rows(competition_id: int, day: date) -> list[tuple]:
    """The day's leaderboard rows, in the shape of the history's (they must agree)."""
    return list(StandingBoard.objects.filter(competition_id=competition_id, day=day).order_by("worker_id")
                .values_list(*BOARD_COMPARED))


def history_as_board(competition_id: int, day: date) -> list[tuple]:
    return list(Standing.objects.filter(competition_id=competition_id, day=day).order_by("worker_id")
                .values_list(*BOARD_COMPARED))


def board_partitions(competition_id: int, day: date) -> list[str]:
    """PostgreSQL: the board partitions holding the (competition, day); one after every run."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("""SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
                          WHERE i.inhparent = 'competitions_standingboard'::regclass
                            AND starts_with(c.relname, %s)""",
                       [f"competitions_standingboard_{competition_id}_{day:%Y%m%d}_"])
        return [row[0] for row in cursor.fetchall()]


def rows_by_full_path(competition_id: int, day: date, now) -> list[tuple]:
    """What the straight-from-the-entries path writes for the day (rolled back afterwards)."""

    class Rollback(Exception):
        pass

    result: list[tuple] = []
    try:
        with transaction.atomic():
            standings.replace_day(competition_id=competition_id, day=day, now=now, from_totals=False)
            result = rows(competition_id, day)
            raise Rollback
    except Rollback:
        pass
    return result


def totals(competition_id: int) -> list[tuple]:
    return list(StandingTotal.objects.filter(competition_id=competition_id).order_by("worker_id", "rule_id")
                .values_list("worker_id", "rule_id", "quantity", "points", "approved_points", "entries"))


def totals_from_entries(competition_id: int, day: date) -> list[tuple]:
    from django.db.models import Count, Q, Sum

    qs = (WorkEntry.objects.filter(competition_id=competition_id, work_date__lte=day).exclude(status="rejected")
          .values("worker_id", "rule_id")
          .annotate(q=Sum("quantity"), p=Sum("points"),
                    a=Sum("points", filter=Q(status__in=["approved", "locked"]), default=Decimal(0)),
                    n=Count("id"))
          .order_by("worker_id", "rule_id"))
    return [(r["worker_id"], r["rule_id"], r["q"], r["p"], r["a"], r["n"]) for r in qs]
