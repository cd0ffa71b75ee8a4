INSERT INTO "competitions_signedofftotal" (competition_id, business_system_id, month, worker_id, rule_id, quantity, points,
                      approved_points, entries)
SELECT competition_id, business_system_id, month, worker_id, rule_id, SUM(quantity), SUM(points),
       COALESCE(SUM(points) FILTER (WHERE status IN ('approved', 'locked')), 0), COUNT(*)
FROM "moved" AS counted
GROUP BY competition_id, business_system_id, month, worker_id, rule_id;
