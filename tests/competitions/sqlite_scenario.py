"""The standings on the embedded SQLite default: run in a subprocess by test_standings_sqlite.py.

    DATABASE_URL=sqlite:////tmp/x.sqlite3 DJANGO_SETTINGS_MODULE=config.settings.local \
        python -m tests.competitions.sqlite_scenario

Migrates a fresh SQLite file (the trigger migration has a SQLite branch), then checks hand-computed
ranks and ties, a rejection dropping out, incremental = full on a randomized history, and a deleted
competition's standings going with it. Exits non-zero on the first mismatch.
"""

from __future__ import annotations

import os
import random
import sys
from datetime import date, timedelta
from decimal import Decimal

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from competitions import standings  # noqa: E402
from competitions.models import RunKind, Standing  # noqa: E402
from competitions.services import competition_delete, standings_compact, standings_recompute  # noqa: E402
from members.models import UnitLevel  # noqa: E402
from reviews.models import WorkEntry  # noqa: E402
from tests import factories as f  # noqa: E402
from tests.competitions.standings_data import (  # noqa: E402
    entry,
    rows,
    rows_by_full_path,
    totals,
    totals_from_entries,
)


def check(condition, message):
    if not condition:
        print("FAILED:", message)
        sys.exit(1)


def main():
    assert connection.vendor == "sqlite", connection.vendor
    call_command("migrate", verbosity=0)
    day = date(2026, 3, 1)

    # Hand-made: 12, 10, 8, 8, 5 (+ a rejected 100) -> ranks 1, 2, 3, 3, 5; gaps 0, 2, 2, 2, 3.
    comp, jt = f.competition(), f.job_type()
    rule = f.rule(comp, jt)
    depot = f.depot()
    ws = [f.worker(depot, jt, employee_no=f"S00{i}") for i in range(5)]
    for w, q in zip(ws, [12, 10, 8, 8, 5], strict=True):
        entry(comp, w, rule, day, q)
    entry(comp, ws[4], rule, day - timedelta(days=1), 100, status="rejected")
    standings_recompute(competition=comp, day=day)
    got = [(s.employee_no, s.rank_overall, s.rank_unit, s.points_to_next) for s in
           Standing.objects.filter(competition=comp, day=day).order_by("rank_overall", "employee_no")]
    check(got == [("S000", 1, 1, 0), ("S001", 2, 2, 2), ("S002", 3, 3, 2), ("S003", 3, 3, 2), ("S004", 5, 5, 3)],
          got)
    e = WorkEntry.objects.get(worker=ws[0])
    e.status, e.reject_reason = "rejected", "x"
    e.save()
    run = standings_recompute(competition=comp, day=day)
    check(run.kind == RunKind.INCREMENTAL, run.kind)
    check(Standing.objects.filter(competition=comp, day=day).count() == 4, "rejected worker still ranked")
    board = standings.leaderboard(competition_id=comp.pk, day=day)
    got = [(s.employee_no, s.rank_overall) for s in board]
    check(got == [("S001", 1), ("S002", 2), ("S003", 2), ("S004", 4)], f"leaderboard after the rejection: {got}")

    # Randomized history: incremental = full.
    rnd = random.Random(7)
    comp2 = f.competition()
    jts = [f.job_type() for _ in range(3)]
    rules = {j.pk: f.rule(comp2, j) for j in jts}
    units = [f.depot() for _ in range(2)]
    units.append(f.unit(parent=units[0], level=UnitLevel.WORKSHOP))
    workers = [f.worker(rnd.choice(units), rnd.choice(jts)) for _ in range(15)]
    made = []
    for offset in range(6):
        d = day + timedelta(days=offset)
        for w in rnd.sample(workers, 10):
            for when in {d, day + timedelta(days=rnd.randint(0, offset))}:
                if not WorkEntry.objects.filter(worker=w, rule=rules[w.job_type_id], work_date=when).exists():
                    q = Decimal(rnd.randint(0, 5))
                    made.append(entry(comp2, w, rules[w.job_type_id], when, q, points=q * rnd.choice([1, -1, 2])))
        for x in rnd.sample(made, 3):
            x.status = rnd.choice(["approved", "rejected", "pending", "locked"])
            x.reject_reason = "x" if x.status == "rejected" else ""
            x.points += 1
            x.save()
        run = standings_recompute(competition=comp2, day=d)
        check(rows(comp2.pk, d) == rows_by_full_path(comp2.pk, d, run.started_at), f"incremental != full on {d}")
        check([tuple(map(Decimal, t)) for t in totals(comp2.pk, d)]
              == [tuple(map(Decimal, t)) for t in totals_from_entries(comp2.pk, d)], f"totals differ on {d}")
    # Merging months of partitions is PostgreSQL's: nothing to do here, and nothing changes.
    before = rows(comp2.pk, day + timedelta(days=5))
    check(standings_compact(competition=comp2) == [], "compaction on SQLite")
    check(rows(comp2.pk, day + timedelta(days=5)) == before, "compaction changed rows on SQLite")

    # Deleting a competition (its entries and rules first: they protect it) removes its standings only.
    WorkEntry.objects.filter(competition=comp).delete()
    comp.rules.all().delete()
    comp_id = comp.pk
    competition_delete(actor=None, competition=comp)
    check(not Standing.objects.filter(competition_id=comp_id).exists(), "a deleted competition's standings remain")
    check(Standing.objects.filter(competition=comp2).exists(), "another competition's standings went too")
    print("sqlite scenario ok")


if __name__ == "__main__":
    main()
