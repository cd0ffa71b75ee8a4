SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
WHERE i.inhparent = 'competitions_standing'::regclass AND starts_with(c.relname, %(prefix)s);
