"""One trigger function keeps both logs of reviews_workentry: the approval queue (reviews_pendingentry,
migration 0003) and the standings change log (competitions_standingdelta, competitions 0002/0004).
On an UPDATE it can skip pairing old and new rows when the review workflow says what the statement is.

Approving a month is one ``UPDATE … SET status = 'approved' … WHERE … AND status = 'pending'``. What
that changes in both logs follows from the two statuses alone: every moved row leaves the queue, and
gains its points as approved points. The general UPDATE path cannot know that; it pairs 800,000 old
and new rows by id and compares them (measured: 5.1 s of a 13.5 s approval).

So ``reviews.workflow`` sets the transaction-local setting ``reviews.status_move`` to ``'<from>><to>'``
right before its UPDATE, and this function, on the UPDATE's statement, reads it and writes both logs
from ``new_rows`` alone: the queue rows of the moved entries go (from pending) or come (to pending), and
the standing deltas are the points times the change in "counted" / "counted as approved".

The setting is a claim about one statement, so:
* the function clears it the first time it runs, whatever the statement (INSERT, UPDATE or DELETE):
  it can never describe a later statement, even if the workflow's own reset never ran;
* it counts only for the statement that fires the trigger directly (``pg_trigger_depth() = 1``) and
  only in the exact form ``<status>><status>``; anything else takes the general path, which is
  always right;
* set with ``is_local``, a failed statement's rollback (to the savepoint of the workflow's atomic block)
  takes it back too.
The workflow's UPDATE sets only status, reviewer, times and reject reason, and re-checks the source
status on every row it moves (``WHERE status = <from>``), so the claim is true by construction.

The previous functions (``reviews_pending_sync``, ``competitions_standing_log``) stay defined, unused,
so that reversing this migration restores exactly the previous triggers. SQLite keeps its row triggers.
"""

from django.db import migrations

COLUMNS_DELTA = "(competition_id, worker_id, rule_id, work_date, quantity, points, approved_points, entries)"
COLUMNS_PENDING = "(entry_id, competition_id, business_system_id, month, work_date, flags)"
PENDING_ROW = "id, competition_id, business_system_id, date_trunc('month', work_date)::date, work_date, flags"

# The general UPDATE path of competitions 0004 (pairing by id), unchanged.
STANDINGS_BY_ID = """
        EXECUTE $sql$
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
        INSERT INTO competitions_standingdelta %(delta)s
        SELECT n_comp, n_worker, n_rule, n_day, n_q - o_q, n_p - o_p, n_a - o_a, n_e - o_e
          FROM changed WHERE same_key
        UNION ALL
        SELECT o_comp, o_worker, o_rule, o_day, -o_q, -o_p, -o_a, -o_e FROM changed WHERE NOT same_key AND o_e = 1
        UNION ALL
        SELECT n_comp, n_worker, n_rule, n_day, n_q, n_p, n_a, n_e FROM changed WHERE NOT same_key AND n_e = 1
        $sql$;""" % {"delta": COLUMNS_DELTA}

PG_FUNCTION = """
CREATE FUNCTION reviews_workentry_log() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    hint text := current_setting('reviews.status_move', true);
    move_from text;
    move_to text;
    d_counted int;   -- change of "counts" (not rejected): -1, 0 or 1
    d_approved int;  -- change of "counts as approved" (approved or locked): -1, 0 or 1
    saved_hashjoin text;
    saved_mergejoin text;
BEGIN
    IF hint <> '' THEN
        -- A claim about one statement: gone before anything else can run (see migration 0005).
        PERFORM set_config('reviews.status_move', '', true);
    END IF;

    IF TG_OP = 'INSERT' THEN
        INSERT INTO reviews_pendingentry %(pending)s
        SELECT %(pending_row)s FROM new_rows WHERE status = 'pending';
        INSERT INTO competitions_standingdelta %(delta)s
        SELECT competition_id, worker_id, rule_id, work_date, quantity, points,
               CASE WHEN status IN ('approved', 'locked') THEN points ELSE 0 END, 1
          FROM new_rows WHERE status <> 'rejected';

    ELSIF TG_OP = 'DELETE' THEN
        DELETE FROM reviews_pendingentry p USING old_rows o WHERE p.entry_id = o.id AND o.status = 'pending';
        INSERT INTO competitions_standingdelta %(delta)s
        SELECT competition_id, worker_id, rule_id, work_date, -quantity, -points,
               CASE WHEN status IN ('approved', 'locked') THEN -points ELSE 0 END, -1
          FROM old_rows WHERE status <> 'rejected';

    ELSIF pg_trigger_depth() = 1
          AND hint ~ '^(pending|approved|rejected|locked)>(pending|approved|rejected|locked)$' THEN
        -- A pure status move, every row from move_from to move_to, nothing else counted changed.
        move_from := split_part(hint, '>', 1);
        move_to := split_part(hint, '>', 2);
        IF move_from = 'pending' THEN
            -- One primary-key probe per moved entry, for one entry or a month: left to itself the
            -- planner hashes the whole queue table for a month (measured: 3.8 s against 1.5 s for
            -- 830,000 probes into 5 million queue rows), and a plan cached from either size would
            -- be kept for the other.
            saved_hashjoin := current_setting('enable_hashjoin');
            saved_mergejoin := current_setting('enable_mergejoin');
            PERFORM set_config('enable_hashjoin', 'off', true), set_config('enable_mergejoin', 'off', true);
            EXECUTE 'DELETE FROM reviews_pendingentry p USING new_rows n WHERE p.entry_id = n.id';
            PERFORM set_config('enable_hashjoin', saved_hashjoin, true),
                    set_config('enable_mergejoin', saved_mergejoin, true);
        ELSIF move_to = 'pending' THEN
            INSERT INTO reviews_pendingentry %(pending)s SELECT %(pending_row)s FROM new_rows;
        END IF;
        d_counted := (move_to <> 'rejected')::int - (move_from <> 'rejected')::int;
        d_approved := (move_to IN ('approved', 'locked'))::int - (move_from IN ('approved', 'locked'))::int;
        IF d_counted <> 0 OR d_approved <> 0 THEN
            -- What pairing would log: the rows whose counted values differ (not a zero-points approval).
            INSERT INTO competitions_standingdelta %(delta)s
            SELECT competition_id, worker_id, rule_id, work_date, d_counted * quantity, d_counted * points,
                   d_approved * points, d_counted
              FROM new_rows WHERE d_counted <> 0 OR points <> 0;
        END IF;

    ELSE
        -- Any other update. Queue: whatever was pending goes, whatever is pending now comes (back)
        -- with its current day and flags. Standings: each row's old and new contribution, paired by id.
        DELETE FROM reviews_pendingentry p USING old_rows o WHERE o.status = 'pending' AND p.entry_id = o.id;
        INSERT INTO reviews_pendingentry %(pending)s
        SELECT %(pending_row)s FROM new_rows WHERE status = 'pending';
%(standings_by_id)s
    END IF;
    RETURN NULL;
END
$$;
""" % {"pending": COLUMNS_PENDING, "pending_row": PENDING_ROW, "delta": COLUMNS_DELTA,
       "standings_by_id": STANDINGS_BY_ID}

PG_FORWARD = PG_FUNCTION + """
DROP TRIGGER reviews_pending_insert ON reviews_workentry;
DROP TRIGGER reviews_pending_update ON reviews_workentry;
DROP TRIGGER reviews_pending_delete ON reviews_workentry;
DROP TRIGGER competitions_standing_log_insert ON reviews_workentry;
DROP TRIGGER competitions_standing_log_update ON reviews_workentry;
DROP TRIGGER competitions_standing_log_delete ON reviews_workentry;
CREATE TRIGGER reviews_workentry_log_insert AFTER INSERT ON reviews_workentry
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION reviews_workentry_log();
CREATE TRIGGER reviews_workentry_log_update AFTER UPDATE ON reviews_workentry
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION reviews_workentry_log();
CREATE TRIGGER reviews_workentry_log_delete AFTER DELETE ON reviews_workentry
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION reviews_workentry_log();
"""

PG_REVERSE = """
DROP TRIGGER reviews_workentry_log_insert ON reviews_workentry;
DROP TRIGGER reviews_workentry_log_update ON reviews_workentry;
DROP TRIGGER reviews_workentry_log_delete ON reviews_workentry;
DROP FUNCTION reviews_workentry_log();
CREATE TRIGGER competitions_standing_log_insert AFTER INSERT ON reviews_workentry
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION competitions_standing_log();
CREATE TRIGGER competitions_standing_log_update AFTER UPDATE ON reviews_workentry
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION competitions_standing_log();
CREATE TRIGGER competitions_standing_log_delete AFTER DELETE ON reviews_workentry
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION competitions_standing_log();
CREATE TRIGGER reviews_pending_insert AFTER INSERT ON reviews_workentry
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION reviews_pending_sync();
CREATE TRIGGER reviews_pending_update AFTER UPDATE ON reviews_workentry
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION reviews_pending_sync();
CREATE TRIGGER reviews_pending_delete AFTER DELETE ON reviews_workentry
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION reviews_pending_sync();
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_FORWARD)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_REVERSE)


class Migration(migrations.Migration):

    dependencies = [
        ('reviews', '0004_denormalized_columns_without_fk_checks'),
        ('competitions', '0004_standing_log_update_by_id'),
    ]

    operations = [
        migrations.RunPython(forward, backward),
    ]
