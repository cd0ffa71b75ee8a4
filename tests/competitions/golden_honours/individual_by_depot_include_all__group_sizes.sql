SELECT COALESCE("ps"."depot_id", 0) AS group_id, COUNT(*) AS participants, COUNT(*) FILTER (WHERE ps.approved_points > 0) AS ranked
FROM "competitions_periodstanding" ps
WHERE ps.snapshot_id = %(snapshot)s
GROUP BY 1;
