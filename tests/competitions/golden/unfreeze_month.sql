WITH unfrozen AS (
DELETE FROM "competitions_signedofftotal" WHERE competition_id = %(competition)s AND business_system_id = %(system)s AND month = %(month)s
RETURNING entries)
SELECT CAST(COALESCE(SUM(entries), 0) AS bigint) FROM unfrozen;
