-- The log trigger of reviews_workentry: one function, fired once per statement (INSERT, UPDATE, DELETE),
-- keeps the approval queue (reviews_pendingentry) and the standings change log
-- (competitions_standingdelta). Rendered by reviews.entry_log from the entry statuses and the models'
-- tables; installed by the reviews migration; `manage.py check` reports a function that differs.
--
-- On an UPDATE whose statement reviews.workflow describes (the transaction-local setting
-- reviews.entry_log.STATUS_MOVE = '<from>><to>', set right before its UPDATE), both logs are written from new_rows alone:
-- the queue rows of the moved entries go (from pending) or come (to pending), and the standing deltas
-- are the points times the change in "counted" / "counted as approved" (a move between pending and
-- approved, which changes only the approved split, goes to the approval log, per worker: see
-- competitions.StandingApproval). The setting is a claim about
-- one statement, so the function clears it the first time it runs, whatever the statement; it counts
-- only for the statement that fires the trigger directly (pg_trigger_depth() = 1) and only in the exact
-- form '<status>><status>'; anything else takes the general path (old and new rows paired by id),
-- which is always right. Set with is_local, a failed statement's rollback takes it back too.
--
-- The triggers are on the partitioned table, and the same function is on each monthly partition too
-- ({partition_function}, below): a statement fires the statement-level triggers of the table it names only.
-- A partition's UPDATE trigger captures the new rows alone, so a status move that names its month's partition
-- (a step of a month's approval: reviews.workflow) does not copy every old row aside for nothing: 5% of a
-- step. An UPDATE naming a partition that is not such a move is refused (the general path needs the old
-- rows); INSERT and DELETE naming a partition are logged as through the table.
CREATE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    hint text := current_setting({setting}, true);
    move_from text;
    move_to text;
    d_counted int;   -- change of "counts" (not rejected): -1, 0 or 1
    d_approved int;  -- change of "counts as approved" (approved or locked): -1, 0 or 1
    low_id bigint;   -- the moved entries' lowest and highest ids (a move from pending)
    high_id bigint;
    low_system bigint;  -- and the bounds of their business systems, competitions and dates
    high_system bigint;
    low_competition bigint;
    high_competition bigint;
    low_date date;
    high_date date;
    moved_count bigint;  -- how many rows the statement moved (a move from pending)
    gone bigint;         -- how many queue rows the range's DELETE took
    competition bigint;   -- an approval's competition, its open segment and latest stored standings day
    open_segment bigint;
    latest_day date;
    competitions bigint[];  -- the moved rows' competitions, in order (an approval's; read from new_rows once,
                            -- with the queue's bounds when they are of one competition)
BEGIN
    IF hint <> '' THEN
        -- A claim about one statement: gone before anything else can run (see reviews.workflow).
        PERFORM set_config({setting}, '', true);
    END IF;

    IF TG_OP = 'INSERT' THEN
        INSERT INTO {pending_table} (entry_id, competition_id, business_system_id, month, work_date, flags)
        SELECT id, competition_id, business_system_id, date_trunc('month', work_date)::date, work_date, flags FROM new_rows WHERE status = {pending};
        INSERT INTO {delta_table} (competition_id, worker_id, rule_id, work_date, quantity, points, approved_points, entries)
        SELECT competition_id, worker_id, rule_id, work_date, quantity, points,
               CASE WHEN status IN ({approved}) THEN points ELSE 0 END, 1
          FROM new_rows WHERE status <> {rejected};

    ELSIF TG_OP = 'DELETE' THEN
        DELETE FROM {pending_table} p USING old_rows o WHERE p.entry_id = o.id AND o.status = {pending};
        INSERT INTO {delta_table} (competition_id, worker_id, rule_id, work_date, quantity, points, approved_points, entries)
        SELECT competition_id, worker_id, rule_id, work_date, -quantity, -points,
               CASE WHEN status IN ({approved}) THEN -points ELSE 0 END, -1
          FROM old_rows WHERE status <> {rejected};

    ELSIF pg_trigger_depth() = 1
          AND hint ~ {status_move_pattern} THEN
        -- A pure status move, every row from move_from to move_to, nothing else counted changed.
        move_from := split_part(hint, '>', 1);
        move_to := split_part(hint, '>', 2);
        IF move_from = {pending} THEN
            -- The moved entries' queue rows, looked for within the range of their ids: a step of a month's
            -- approval (a range of ids) reads that range of the queue once and hashes it, a few entries scattered
            -- over the queue are probed one by one. When they are all of one business system, competition and
            -- month (a step of a month's approval always is), the range is read from the queue's index on those
            -- and the id (pending_range), which holds only theirs: the primary key's range also holds the rows of
            -- every other system whose entries were made on the same days, eight rows in nine on the railway.
            -- Planned for each statement (EXECUTE), with its own number of rows and range: a plan cached from
            -- either size would be kept for the other. Without the range, the planner hashed the whole queue
            -- table for a month.
            SELECT MIN(n.id), MAX(n.id), MIN(n.business_system_id), MAX(n.business_system_id), MIN(n.competition_id),
                   MAX(n.competition_id), MIN(n.work_date), MAX(n.work_date), COUNT(*)
              INTO low_id, high_id, low_system, high_system, low_competition, high_competition, low_date, high_date,
                   moved_count
              FROM new_rows n;
            IF low_competition = high_competition THEN
                competitions := ARRAY[low_competition];  -- read here for the approval log below, in the same pass
            END IF;
            IF low_system = high_system AND low_competition = high_competition
               AND date_trunc('month', low_date) = date_trunc('month', high_date) THEN
                -- When the range holds exactly as many queue rows as the statement moved, they are the moved
                -- entries' rows (each moved entry was pending, so it has its row there, and it is locked by this
                -- transaction): they are deleted by the range alone, counted and deleted in one statement, on one
                -- snapshot, without reading new_rows again. Otherwise (the actor's own work was left, or another
                -- transaction moved an entry meanwhile) the range's DELETE takes nothing, and the moved rows' queue
                -- rows are deleted by joining them. A step of 74,000 entries: 0.04-0.05 s less.
                EXECUTE 'WITH queued AS MATERIALIZED (SELECT count(*) AS n FROM {pending_table} p'
                        || ' WHERE p.business_system_id = $3 AND p.competition_id = $4 AND p.month = $5'
                        || ' AND p.entry_id BETWEEN $1 AND $2)'
                        || ' DELETE FROM {pending_table} p'
                        || ' WHERE p.business_system_id = $3 AND p.competition_id = $4 AND p.month = $5'
                        || ' AND p.entry_id BETWEEN $1 AND $2 AND (SELECT n FROM queued) = $6'
                        USING low_id, high_id, low_system, low_competition, date_trunc('month', low_date)::date,
                              moved_count;
                GET DIAGNOSTICS gone = ROW_COUNT;
                IF gone = 0 THEN
                    EXECUTE 'DELETE FROM {pending_table} p USING new_rows n WHERE p.entry_id = n.id'
                            || ' AND p.business_system_id = $3 AND p.competition_id = $4 AND p.month = $5'
                            || ' AND p.entry_id BETWEEN $1 AND $2'
                            USING low_id, high_id, low_system, low_competition, date_trunc('month', low_date)::date;
                END IF;
            ELSE
                EXECUTE 'DELETE FROM {pending_table} p USING new_rows n'
                        || ' WHERE p.entry_id = n.id AND p.entry_id BETWEEN $1 AND $2' USING low_id, high_id;
            END IF;
        ELSIF move_to = {pending} THEN
            INSERT INTO {pending_table} (entry_id, competition_id, business_system_id, month, work_date, flags) SELECT id, competition_id, business_system_id, date_trunc('month', work_date)::date, work_date, flags FROM new_rows;
        END IF;
        d_counted := (move_to <> {rejected})::int - (move_from <> {rejected})::int;
        d_approved := (move_to IN ({approved}))::int - (move_from IN ({approved}))::int;
        IF d_counted = 0 AND d_approved <> 0 THEN
            -- Approved <-> pending: only the approved split moves. Logged in the approval log, one row per
            -- (competition, worker, run date): the run date is the latest stored standings day, or the
            -- entry's date when later; each entry's date and approved points in the two arrays (in no
            -- particular order; a date may come more than once). A job that moves a month in
            -- several statements merges its rows once at the end (reviews.entry_log).
            -- Zero-points entries log nothing.
            -- The rows go into each competition's open segment of the log (competitions.StandingApprovalSegment;
            -- opened here when there is none), under the log's lock held shared to the end of the
            -- transaction: a standings run closes the open segment only once no transaction writes into it
            -- (competitions.standings.approvals). Each statement below reads the segments as of its own
            -- start, after the lock. A transaction that reads one snapshot throughout (REPEATABLE READ)
            -- could still see a segment closed since: it locks the segment's row, which fails to serialize
            -- then rather than write into a closed segment.
            IF competitions IS NULL THEN  -- not already known from the queue's pass above
                SELECT array_agg(DISTINCT n.competition_id ORDER BY n.competition_id) INTO competitions FROM new_rows n;
            END IF;
            PERFORM pg_advisory_xact_lock_shared({approval_lock_class}, CAST(c.competition_id AS integer))
               FROM (SELECT unnest(competitions) AS competition_id ORDER BY 1) AS c;
            INSERT INTO {segment_table} (competition_id, closed)
            SELECT c.competition_id, false FROM unnest(competitions) AS c (competition_id)
             WHERE NOT EXISTS (SELECT FROM {segment_table} s WHERE s.competition_id = c.competition_id AND NOT s.closed)
            ON CONFLICT (competition_id) WHERE NOT closed DO NOTHING;
            IF current_setting('transaction_isolation') <> 'read committed' THEN
                PERFORM FROM {segment_table} s
                  WHERE NOT s.closed AND s.competition_id = ANY (competitions) FOR SHARE;
            END IF;
            IF current_setting({staging_setting}, true) = 'on' THEN
                -- A job that moves a month in several statements stages each moved entry's approved points in a
                -- temporary table of its transaction (no grouping per statement), and writes them into the log
                -- once, merged per worker, at its end (reviews.entry_log.staged_approvals), under the lock above.
                EXECUTE 'INSERT INTO ' || {staging_table} || ' (competition_id, worker_id, work_date, approved_score)'
                        || ' SELECT n.competition_id, n.worker_id, n.work_date, CAST(n.points * 1000 AS BIGINT) * $1'
                        || ' FROM new_rows n WHERE n.points <> 0' USING d_approved;
            ELSE
                -- Per competition (a month's approval has one): its open segment and latest stored day read once,
                -- its moved rows grouped by worker and run date, without joining each of them to those.
                FOREACH competition IN ARRAY COALESCE(competitions, ARRAY[]::bigint[]) LOOP  -- none when nothing moved
                    SELECT s.id INTO open_segment FROM {segment_table} s WHERE s.competition_id = competition AND NOT s.closed;
                    SELECT MAX(s.day) INTO latest_day FROM {standing_day_table} s WHERE s.competition_id = competition;
                    -- Planned for each statement (EXECUTE): from one entry's row to a month's.
                    EXECUTE $sql$
                    INSERT INTO {approval_table} (segment_id, competition_id, worker_id, work_date, first_date,
                                                  last_date, approved_score, dates, approved_scores, batch)
                    SELECT $3, $4, n.worker_id, GREATEST(n.work_date, $5), MIN(n.work_date), MAX(n.work_date),
                           CAST(SUM(n.points * 1000) AS BIGINT) * $1, array_agg(n.work_date),
                           array_agg(CAST(n.points * 1000 AS BIGINT) * $1), $2
                      FROM new_rows n
                     WHERE n.competition_id = $4 AND n.points <> 0
                     GROUP BY n.worker_id, GREATEST(n.work_date, $5)
                    $sql$ USING d_approved, {this_batch}, open_segment, competition, latest_day;
                END LOOP;
            END IF;
        ELSIF d_counted <> 0 OR d_approved <> 0 THEN
            -- What pairing would log: the rows whose counted values differ (not a zero-points approval).
            INSERT INTO {delta_table} (competition_id, worker_id, rule_id, work_date, quantity, points, approved_points, entries)
            SELECT competition_id, worker_id, rule_id, work_date, d_counted * quantity, d_counted * points,
                   d_approved * points, d_counted
              FROM new_rows WHERE d_counted <> 0 OR points <> 0;
        END IF;

    ELSE
        IF TG_TABLE_NAME <> {entry_table_name} THEN
            -- A partition's trigger has no old rows (see the file's header).
            RAISE EXCEPTION 'an UPDATE naming % must be a status move of reviews.workflow; update % instead',
                  TG_TABLE_NAME, {entry_table_name} USING ERRCODE = 'feature_not_supported';
        END IF;
        -- Any other update. Queue: whatever was pending goes, whatever is pending now comes (back)
        -- with its current day and flags. Standings: each row's old and new contribution, paired by id.
        DELETE FROM {pending_table} p USING old_rows o WHERE o.status = {pending} AND p.entry_id = o.id;
        INSERT INTO {pending_table} (entry_id, competition_id, business_system_id, month, work_date, flags)
        SELECT id, competition_id, business_system_id, date_trunc('month', work_date)::date, work_date, flags FROM new_rows WHERE status = {pending};

        EXECUTE $sql$
        WITH pairs AS MATERIALIZED (
            SELECT o.competition_id AS o_comp, o.worker_id AS o_worker, o.rule_id AS o_rule, o.work_date AS o_day,
                   CASE WHEN o.status <> {rejected} THEN o.quantity ELSE 0 END AS o_q,
                   CASE WHEN o.status <> {rejected} THEN o.points ELSE 0 END AS o_p,
                   CASE WHEN o.status IN ({approved}) THEN o.points ELSE 0 END AS o_a,
                   CASE WHEN o.status <> {rejected} THEN 1 ELSE 0 END AS o_e,
                   n.competition_id AS n_comp, n.worker_id AS n_worker, n.rule_id AS n_rule, n.work_date AS n_day,
                   CASE WHEN n.status <> {rejected} THEN n.quantity ELSE 0 END AS n_q,
                   CASE WHEN n.status <> {rejected} THEN n.points ELSE 0 END AS n_p,
                   CASE WHEN n.status IN ({approved}) THEN n.points ELSE 0 END AS n_a,
                   CASE WHEN n.status <> {rejected} THEN 1 ELSE 0 END AS n_e
              FROM old_rows o JOIN new_rows n ON n.id = o.id
        ), changed AS (
            SELECT *, (o_comp, o_worker, o_rule, o_day) = (n_comp, n_worker, n_rule, n_day) AS same_key
              FROM pairs
             WHERE (o_comp, o_worker, o_rule, o_day, o_q, o_p, o_a, o_e)
                   IS DISTINCT FROM (n_comp, n_worker, n_rule, n_day, n_q, n_p, n_a, n_e)
        )
        INSERT INTO {delta_table} (competition_id, worker_id, rule_id, work_date, quantity, points, approved_points, entries)
        SELECT n_comp, n_worker, n_rule, n_day, n_q - o_q, n_p - o_p, n_a - o_a, n_e - o_e
          FROM changed WHERE same_key
        UNION ALL
        SELECT o_comp, o_worker, o_rule, o_day, -o_q, -o_p, -o_a, -o_e FROM changed WHERE NOT same_key AND o_e = 1
        UNION ALL
        SELECT n_comp, n_worker, n_rule, n_day, n_q, n_p, n_a, n_e FROM changed WHERE NOT same_key AND n_e = 1
        $sql$;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER {insert_trigger} AFTER INSERT ON {entry_table}
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION {function}();
CREATE TRIGGER {update_trigger} AFTER UPDATE ON {entry_table}
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION {function}();
CREATE TRIGGER {delete_trigger} AFTER DELETE ON {entry_table}
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION {function}();

-- The same function on a monthly partition of the entries, for statements naming the partition: its UPDATE
-- trigger without the old rows (see the file's header). Called for every partition below, and by
-- reviews.partitions for a partition it creates.
CREATE FUNCTION {partition_function}(part regclass) RETURNS void LANGUAGE plpgsql AS $partition$
BEGIN
    EXECUTE format('CREATE TRIGGER %I AFTER INSERT ON %s REFERENCING NEW TABLE AS new_rows'
                   ' FOR EACH STATEMENT EXECUTE FUNCTION %I()', {insert_trigger_name}, part, {function_name});
    EXECUTE format('CREATE TRIGGER %I AFTER UPDATE ON %s REFERENCING NEW TABLE AS new_rows'
                   ' FOR EACH STATEMENT EXECUTE FUNCTION %I()', {update_trigger_name}, part, {function_name});
    EXECUTE format('CREATE TRIGGER %I AFTER DELETE ON %s REFERENCING OLD TABLE AS old_rows'
                   ' FOR EACH STATEMENT EXECUTE FUNCTION %I()', {delete_trigger_name}, part, {function_name});
END
$partition$;

SELECT {partition_function}(i.inhrelid::regclass) FROM pg_inherits i WHERE i.inhparent = {entry_table_name}::regclass;
