"""The migration that partitions the entries by month, on a populated database: forward, back and forward
again, every row kept as it was (entries of several months, adjustments, disputes, audit facts, queue,
Idempotency-Keys), and the id sequence carried over."""

from datetime import date

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = ("reviews", "0006_entry_references_by_trigger")
AFTER = ("reviews", "0007_workentry_partitioned_by_month")
# The app's latest migration, where every test leaves the database (the later tests run on it).
LATEST = ("reviews", None)


def migrate(target):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    if target == LATEST:
        [target] = executor.loader.graph.leaf_nodes("reviews")
    executor.migrate([target])


def rows(query, params=None):
    with connection.cursor() as cursor:
        cursor.execute(query, params)
        return cursor.fetchall() if cursor.description else []


def everything():
    """Every row of the tables the migration touches, as text, in a fixed order."""
    return {table: rows(f"SELECT count(*), md5(string_agg(t::text, '|' ORDER BY t::text)) FROM {table} t")[0]
            for table in ("reviews_workentry", "reviews_dispute", "reviews_entryevent", "reviews_pendingentry",
                          "competitions_standingdelta")}


def relkind():
    return rows("SELECT relkind FROM pg_class WHERE relname = 'reviews_workentry'")[0][0]


def populate(comp, rule, workers, clerk):
    """Entries in January to April as the old table took them (raw SQL: the models are the new ones)."""
    common = ("competition_id, worker_id, rule_id, quantity, points, note, reject_reason, source, flags, unit_id, "
              "job_type_id, business_system_id, created_at, updated_at")
    for n, worker in enumerate(workers):
        for month in (1, 2, 3, 4):
            status = ("pending", "approved", "rejected", "locked")[(n + month) % 4]
            rows(f"""INSERT INTO reviews_workentry (work_date, status, kind, entered_by_id, idempotency_key, {common})
                     VALUES (%s, %s, 'regular', %s, %s, %s, %s, %s, %s, %s, %s, %s, 'form', 0, %s, %s, %s, now(), now())
                     RETURNING id""",
                 [date(2026, month, n % 28 + 1), status, clerk.pk, f"key-{n}-{month}" if n % 3 == 0 else None,
                  comp.pk, worker.pk, rule.pk, 10 + n, 1 + n, f"第{n}行",
                  "核减" if status == "rejected" else "", worker.unit_id, worker.job_type_id,
                  rule.job_type.business_system_id])
    (original,), = rows("SELECT min(id) FROM reviews_workentry WHERE status = 'locked'")
    rows("""INSERT INTO reviews_workentry (work_date, status, kind, adjusts_id, competition_id, worker_id, rule_id,
                quantity, points, note, reject_reason, source, flags, unit_id, job_type_id, business_system_id,
                created_at, updated_at)
            SELECT '2026-04-20', 'pending', 'adjustment', id, competition_id, worker_id, rule_id, -1, -1, '调整', '',
                   'form', 0, unit_id, job_type_id, business_system_id, now(), now()
              FROM reviews_workentry WHERE id = %s""", [original])
    rows("""INSERT INTO reviews_dispute (worker_id, entry_id, work_date, unit_id, comment, status, response, created_at)
            SELECT worker_id, id, work_date, unit_id, '漏计', 'open', '', now() FROM reviews_workentry
            WHERE work_date < '2026-03-01' ORDER BY id LIMIT 5""")
    rows("""INSERT INTO reviews_entryevent (entry_id, action, at, from_status, to_status, reason)
            SELECT id, 'created', now(), '', 'pending', '' FROM reviews_workentry""")


@pytest.mark.django_db(transaction=True)
def test_partitioning_migration_forward_back_and_forward_keeps_every_row(f):
    comp = f.competition(start=date(2026, 1, 1), end=date(2026, 12, 31))
    system = f.business_system()
    rule = f.rule(comp, f.job_type(system))
    unit = f.unit(code="U1")
    workers = [f.worker(unit, rule.job_type, name=f"职工{i}") for i in range(12)]
    clerk = f.clerk(unit)
    try:
        migrate(BEFORE)
        assert relkind() == "r"
        populate(comp, rule, workers, clerk)
        (last_id,), = rows("SELECT max(id) FROM reviews_workentry")
        before = everything()
        assert before["reviews_workentry"][0] == 12 * 4 + 1 and before["reviews_dispute"][0] == 5

        migrate(AFTER)
        assert relkind() == "p" and everything() == before
        partitions = {name for (name,) in rows("""SELECT c.relname FROM pg_inherits i JOIN pg_class c
                                                  ON c.oid = i.inhrelid WHERE i.inhparent = 'reviews_workentry'::regclass""")}
        assert {f"reviews_workentry_p2026{m:02d}" for m in range(1, 13)} <= partitions
        assert rows("""SELECT count(*) FROM reviews_entryidempotencykey k JOIN reviews_workentry e
                       ON e.id = k.entry_id AND e.idempotency_key = k.key AND e.entered_by_id = k.entered_by_id""") == [
            (4 * 4,)]
        assert rows("SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = 'reviews_workentry_pkey'") == [
            ("PRIMARY KEY (id, work_date)",)]

        migrate(BEFORE)
        assert relkind() == "r" and everything() == before
        assert rows("SELECT count(*) FROM pg_constraint WHERE conrelid = 'reviews_dispute'::regclass AND contype = 'f' "
                    "AND confrelid = 'reviews_workentry'::regclass") == [(1,)]
        assert rows("SELECT count(*) FROM pg_indexes WHERE indexname = 'entry_idempotency_key_unique' "
                    "AND tablename = 'reviews_workentry'") == [(1,)]

        migrate(AFTER)
        assert relkind() == "p" and everything() == before
        # The identity sequence went along: a new entry gets the next id, not one already used.
        (new_id,), = rows("""INSERT INTO reviews_workentry (work_date, status, kind, competition_id, worker_id,
                               rule_id, quantity, points, note, reject_reason, source, flags, unit_id, job_type_id,
                               business_system_id, created_at, updated_at)
                             SELECT '2026-05-05', status, kind, competition_id, worker_id, rule_id, quantity, points,
                                    note, reject_reason, source, flags, unit_id, job_type_id, business_system_id,
                                    now(), now()
                               FROM reviews_workentry WHERE kind = 'regular' ORDER BY id LIMIT 1
                             RETURNING id""")
        assert new_id > last_id
    finally:
        migrate(LATEST)
