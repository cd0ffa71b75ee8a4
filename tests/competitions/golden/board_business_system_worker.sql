SELECT "s"."rank_business_system", "s"."change_business_system", s.worker_id, COALESCE(w.name, ''), depot.name, COALESCE(unit.name, ''),
       COALESCE(jt.name, ''), s.points, s.approved_points
FROM "competitions_standing" s
LEFT JOIN "members_worker" w ON w.id = s.worker_id
LEFT JOIN "members_unit" unit ON unit.id = w.unit_id
LEFT JOIN "members_unit" depot ON depot.id = s.depot_id
LEFT JOIN "competitions_jobtype" jt ON jt.id = s.job_type_id
WHERE s.competition_id = %(competition)s AND s.day = %(day)s AND s.worker_id = %(worker)s
ORDER BY "s"."rank_business_system", s.worker_id
LIMIT %(limit)s;
