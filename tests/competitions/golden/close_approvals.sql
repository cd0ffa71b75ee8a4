SET LOCAL lock_timeout = '5min';
SELECT pg_advisory_xact_lock(21313, %(competition)s);
SET LOCAL lock_timeout = DEFAULT;
UPDATE "competitions_standingapprovalsegment" SET closed = true WHERE competition_id = %(competition)s AND NOT closed;
