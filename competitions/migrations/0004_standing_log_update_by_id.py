"""The standings change log's UPDATE branch pairs each row's old and new version by id instead of
grouping a union of both: a sign-off (approved → locked changes nothing counted) then writes and sorts
nothing, and an approval writes one delta per entry without aggregating twice as many rows.
The statement is run with EXECUTE, so each UPDATE plans the pairing for its own row count.
INSERT and DELETE are unchanged; SQLite's row triggers are unchanged.
"""

from django.db import migrations

_FUNCTION = """
CREATE OR REPLACE FUNCTION competitions_standing_log() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO competitions_standingdelta
            (competition_id, worker_id, rule_id, work_date, quantity, points, approved_points, entries)
        SELECT competition_id, worker_id, rule_id, work_date, quantity, points,
               CASE WHEN status IN ('approved', 'locked') THEN points ELSE 0 END, 1
        FROM new_rows WHERE status <> 'rejected';
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO competitions_standingdelta
            (competition_id, worker_id, rule_id, work_date, quantity, points, approved_points, entries)
        SELECT competition_id, worker_id, rule_id, work_date, -quantity, -points,
               CASE WHEN status IN ('approved', 'locked') THEN -points ELSE 0 END, -1
        FROM old_rows WHERE status <> 'rejected';
    ELSE
%(update)s
    END IF;
    RETURN NULL;
END
$$;
"""

UPDATE_BY_ID = """
        -- EXECUTE: planned afresh for each statement. A cached plan made for a one-row update would
        -- pair a month's 800,000 old and new rows by nested loop.
        EXECUTE $sql$
        -- What each row counted before and after (rejected counts nothing; approved and locked
        -- count as approved), paired by id. Pairs that count the same under the same key (a note,
        -- a flag, approved -> locked at sign-off) log nothing.
        WITH pairs AS MATERIALIZED (
            SELECT o.competition_id AS o_comp, o.worker_id AS o_worker, o.rule_id AS o_rule, o.work_date AS o_day,
                   CASE WHEN o.status <> 'rejected' THEN o.quantity ELSE 0 END AS o_q,
                   CASE WHEN o.status <> 'rejected' THEN o.points ELSE 0 END AS o_p,
                   CASE WHEN o.status IN ('approved', 'locked') THEN o.points ELSE 0 END AS o_a,
                   CASE WHEN o.status <> 'rejected' THEN 1 ELSE 0 END AS o_e,
                   n.competition_id AS n_comp, n.worker_id AS n_worker, n.rule_id AS n_rule, n.work_date AS n_day,
                   CASE WHEN n.status <> 'rejected' THEN n.quantity ELSE 0 END AS n_q,
                   CASE WHEN n.status <> 'rejected' THEN n.points ELSE 0 END AS n_p,
                   CASE WHEN n.status IN ('approved', 'locked') THEN n.points ELSE 0 END AS n_a,
                   CASE WHEN n.status <> 'rejected' THEN 1 ELSE 0 END AS n_e
              FROM old_rows o JOIN new_rows n ON n.id = o.id
        ), changed AS (
            SELECT *, (o_comp, o_worker, o_rule, o_day) = (n_comp, n_worker, n_rule, n_day) AS same_key
              FROM pairs
             WHERE (o_comp, o_worker, o_rule, o_day, o_q, o_p, o_a, o_e)
                   IS DISTINCT FROM (n_comp, n_worker, n_rule, n_day, n_q, n_p, n_a, n_e)
        )
        INSERT INTO competitions_standingdelta
            (competition_id, worker_id, rule_id, work_date, quantity, points, approved_points, entries)
        SELECT n_comp, n_worker, n_rule, n_day, n_q - o_q, n_p - o_p, n_a - o_a, n_e - o_e
          FROM changed WHERE same_key
        UNION ALL
        SELECT o_comp, o_worker, o_rule, o_day, -o_q, -o_p, -o_a, -o_e FROM changed WHERE NOT same_key AND o_e = 1
        UNION ALL
        SELECT n_comp, n_worker, n_rule, n_day, n_q, n_p, n_a, n_e FROM changed WHERE NOT same_key AND n_e = 1
        $sql$;"""

UPDATE_GROUPED = """
        INSERT INTO competitions_standingdelta
            (competition_id, worker_id, rule_id, work_date, quantity, points, approved_points, entries)
        SELECT competition_id, worker_id, rule_id, work_date, SUM(quantity), SUM(points),
               SUM(approved_points), SUM(entries)
        FROM (
            SELECT competition_id, worker_id, rule_id, work_date, quantity, points,
                   CASE WHEN status IN ('approved', 'locked') THEN points ELSE 0 END AS approved_points,
                   1 AS entries
            FROM new_rows WHERE status <> 'rejected'
            UNION ALL
            SELECT competition_id, worker_id, rule_id, work_date, -quantity, -points,
                   CASE WHEN status IN ('approved', 'locked') THEN -points ELSE 0 END, -1
            FROM old_rows WHERE status <> 'rejected'
        ) AS change
        GROUP BY competition_id, worker_id, rule_id, work_date
        HAVING SUM(quantity) <> 0 OR SUM(points) <> 0 OR SUM(approved_points) <> 0 OR SUM(entries) <> 0;"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(_FUNCTION % {"update": UPDATE_BY_ID})


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(_FUNCTION % {"update": UPDATE_GROUPED})


class Migration(migrations.Migration):

    dependencies = [
        ('competitions', '0003_standing_board'),
    ]

    operations = [
        migrations.RunPython(forward, backward),
    ]
