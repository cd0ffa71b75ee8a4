-- A worker or a scoring rule that an entry names cannot be deleted (nor its id changed): what the
-- foreign keys from reviews_workentry did, kept on the referenced side only, so that writing entries
-- costs no referential check per row. Rendered by reviews.entry_references from the models' tables;
-- installed by the reviews migration; `manage.py check` reports a function that differs.
--
-- Fired before each row of the worker and rule tables is deleted; refuses with foreign_key_violation
-- (23503, an IntegrityError in Django) while an entry names it. Safe against an entry write under way:
-- every write holds the workers and rules it checked FOR KEY SHARE until it commits
-- (reviews.validation.EntryChecker), and the delete has locked its row before this runs, so it waits
-- for that write first, and this query (a statement of its own, reading what is committed when it
-- starts) then sees the new entries. A write that comes after the delete waits for its row lock in
-- turn, and then finds the worker or rule gone.
CREATE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    named boolean;
BEGIN
    IF TG_OP = 'UPDATE' AND NEW.id = OLD.id THEN
        RETURN NEW;
    END IF;
    IF TG_TABLE_NAME = {worker_table_name} THEN
        named := EXISTS (SELECT 1 FROM {entry_table} WHERE {worker_column} = OLD.id);
    ELSE
        named := EXISTS (SELECT 1 FROM {entry_table} WHERE {rule_column} = OLD.id);
    END IF;
    IF named THEN
        RAISE EXCEPTION USING ERRCODE = 'foreign_key_violation',
            MESSAGE = format({message}, TG_TABLE_NAME, OLD.id);
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER {worker_trigger} BEFORE DELETE OR UPDATE OF id ON {worker_table}
    FOR EACH ROW EXECUTE FUNCTION {function}();
CREATE TRIGGER {rule_trigger} BEFORE DELETE OR UPDATE OF id ON {rule_table}
    FOR EACH ROW EXECUTE FUNCTION {function}();
