-- The guard of scoring-rule versions: points already given must keep matching the version that
-- produced them. Rendered by competitions.rule_versions from the models' tables; installed by the
-- competitions migration; `manage.py check` reports a function that differs.
--
-- A version covers its rule's entries dated from its effective_from up to (not including) the next
-- version's. The function, fired before each row is written, refuses with check_violation (23514):
--   * on competitions_ruleversion, an UPDATE of rule, effective_from or points_per_unit, or a DELETE,
--     while the old version covers entries; and an INSERT, or an UPDATE of rule or effective_from, whose
--     new version would cover entries (they would be priced by it from then on), unless the transaction
--     has claimed, through the transaction-local setting {setting} = '<rule id>', that it rescores that
--     rule's entries in the same transaction (competitions.services.rule_version_add does);
--   * on competitions_scoringrule, an UPDATE of direction while the rule has entries.
CREATE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    check_old boolean;  -- the old version must not cover entries
    check_new boolean;  -- the new version must not cover entries
    covered boolean := false;
    span_end date;
BEGIN
    IF TG_TABLE_NAME = {rule_table_name} THEN
        IF NEW.direction IS DISTINCT FROM OLD.direction
           AND EXISTS (SELECT 1 FROM {entry_table} e WHERE e.rule_id = OLD.id) THEN
            RAISE EXCEPTION USING ERRCODE = 'check_violation', MESSAGE = {rule_message};
        END IF;
        RETURN NEW;
    END IF;

    check_old := TG_OP = 'DELETE' OR (TG_OP = 'UPDATE' AND (NEW.rule_id <> OLD.rule_id
        OR NEW.effective_from <> OLD.effective_from OR NEW.points_per_unit <> OLD.points_per_unit));
    check_new := (TG_OP = 'INSERT' OR (TG_OP = 'UPDATE' AND (NEW.rule_id <> OLD.rule_id
        OR NEW.effective_from <> OLD.effective_from)))
        AND current_setting({setting}, true) IS DISTINCT FROM NEW.rule_id::text;
    -- A span runs from the version's date to the next version's (the version itself left out). Each span
    -- is its own query on one rule and a date range, which the rule's index of the entries answers: a
    -- single query over both spans was planned, once its plan was cached, as a scan of every entry.
    IF check_old THEN
        SELECT COALESCE(min(v.effective_from), 'infinity'::date) INTO span_end FROM {version_table} v
         WHERE v.rule_id = OLD.rule_id AND v.effective_from > OLD.effective_from AND v.id <> OLD.id;
        covered := EXISTS (SELECT 1 FROM {entry_table} e WHERE e.rule_id = OLD.rule_id
                              AND e.work_date >= OLD.effective_from AND e.work_date < span_end);
    END IF;
    IF check_new AND NOT covered THEN
        SELECT COALESCE(min(v.effective_from), 'infinity'::date) INTO span_end FROM {version_table} v
         WHERE v.rule_id = NEW.rule_id AND v.effective_from > NEW.effective_from AND v.id <> NEW.id;
        covered := EXISTS (SELECT 1 FROM {entry_table} e WHERE e.rule_id = NEW.rule_id
                              AND e.work_date >= NEW.effective_from AND e.work_date < span_end);
    END IF;
    IF covered THEN
        RAISE EXCEPTION USING ERRCODE = 'check_violation', MESSAGE = {version_message};
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER {version_trigger} BEFORE INSERT OR UPDATE OR DELETE ON {version_table}
    FOR EACH ROW EXECUTE FUNCTION {function}();
CREATE TRIGGER {rule_trigger} BEFORE UPDATE OF direction ON {rule_table}
    FOR EACH ROW EXECUTE FUNCTION {function}();
