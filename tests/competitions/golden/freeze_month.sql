INSERT INTO "competitions_signedofftotal" (competition_id, business_system_id, month, worker_id, rule_id, quantity, points,
                      approved_points, entries)
SELECT %(competition)s, %(system)s, %(month)s, e.worker_id, e.rule_id, SUM(e.quantity), SUM(e.points),
       COALESCE(SUM(e.points) FILTER (WHERE e.status IN ('approved', 'locked')), 0), COUNT(*)
FROM "reviews_workentry" e
WHERE e.competition_id = %(competition)s AND e.business_system_id = %(system)s
  AND e.work_date >= %(first)s AND e.work_date < %(following)s AND e.status <> 'rejected'
GROUP BY e.worker_id, e.rule_id;
