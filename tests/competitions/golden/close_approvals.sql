SELECT pg_advisory_xact_lock(21313, %(competition)s);
UPDATE "competitions_standingapprovalsegment" SET closed = true WHERE competition_id = %(competition)s AND NOT closed;
