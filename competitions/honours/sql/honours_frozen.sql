-- A finalized or cancelled award round never changes again. Rendered by competitions.honours.freeze from the
-- models' tables and statuses; installed by the competitions migration; `manage.py check` reports a function
-- that differs.
--
-- The function, fired before each row is written, refuses with check_violation (23514):
--   * on the rounds table, an UPDATE or DELETE of a round whose (old) status is closed;
--   * on the rounds' quotas, nominees, exclusions, events and objections, an INSERT, UPDATE or DELETE of a row
--     whose round's status is closed.
-- So the services finalize a round by writing its nominees and its event first, and its status last.
CREATE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    round_status text;
BEGIN
    IF TG_TABLE_NAME = {round_table_name} THEN
        round_status := OLD.status;
    ELSIF TG_OP = 'DELETE' THEN
        SELECT r.status INTO round_status FROM {round_table} r WHERE r.id = OLD.round_id;
    ELSE
        SELECT r.status INTO round_status FROM {round_table} r WHERE r.id = NEW.round_id;
    END IF;
    IF round_status IN ({closed}) THEN
        RAISE EXCEPTION USING ERRCODE = 'check_violation', MESSAGE = {message};
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER {round_trigger} BEFORE UPDATE OR DELETE ON {round_table}
    FOR EACH ROW EXECUTE FUNCTION {function}();
CREATE TRIGGER {quota_trigger} BEFORE INSERT OR UPDATE OR DELETE ON {quota_table}
    FOR EACH ROW EXECUTE FUNCTION {function}();
CREATE TRIGGER {nominee_trigger} BEFORE INSERT OR UPDATE OR DELETE ON {nominee_table}
    FOR EACH ROW EXECUTE FUNCTION {function}();
CREATE TRIGGER {exclusion_trigger} BEFORE INSERT OR UPDATE OR DELETE ON {exclusion_table}
    FOR EACH ROW EXECUTE FUNCTION {function}();
CREATE TRIGGER {event_trigger} BEFORE INSERT OR UPDATE OR DELETE ON {event_table}
    FOR EACH ROW EXECUTE FUNCTION {function}();
CREATE TRIGGER {objection_trigger} BEFORE INSERT OR UPDATE OR DELETE ON {objection_table}
    FOR EACH ROW EXECUTE FUNCTION {function}();
