WITH frozen AS (
INSERT INTO "competitions_signedofftotal" (competition_id, business_system_id, month, worker_id, rule_id, quantity, points,
                      approved_points, entries)
SELECT p.competition_id, p.business_system_id, p.month, e.worker_id, e.rule_id, SUM(e.quantity), SUM(e.points),
       COALESCE(SUM(e.points) FILTER (WHERE e.status IN ('approved', 'locked')), 0), COUNT(*)
FROM "reviews_reviewperiod" p
JOIN "reviews_workentry" e
  ON e.competition_id = p.competition_id AND e.business_system_id = p.business_system_id
 AND e.work_date >= p.month AND e.work_date < CAST(p.month + interval '1 month' AS date) AND e.status <> 'rejected'
WHERE p.competition_id = %(competition)s AND p.status = 'signed_off'
GROUP BY p.competition_id, p.business_system_id, p.month, e.worker_id, e.rule_id
RETURNING entries)
SELECT CAST(COALESCE(SUM(entries), 0) AS bigint) FROM frozen;
