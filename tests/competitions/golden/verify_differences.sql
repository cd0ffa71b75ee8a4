WITH recomputed AS (SELECT CAST("r"."worker_id" AS bigint) AS "worker_id", CAST("r"."employee_no" AS varchar(20)) AS "employee_no", CAST("r"."business_system_id" AS bigint) AS "business_system_id", CAST("r"."job_type_id" AS bigint) AS "job_type_id", CAST("r"."depot_id" AS bigint) AS "depot_id", CAST("r"."points" AS numeric(18, 3)) AS "points", CAST("r"."approved_points" AS numeric(18, 3)) AS "approved_points", CAST("r"."pending_points" AS numeric(18, 3)) AS "pending_points", CAST("r"."entries" AS integer) AS "entries", CAST("r"."rank_overall" AS integer) AS "rank_overall", CAST("r"."rank_business_system" AS integer) AS "rank_business_system", CAST("r"."rank_job_type" AS integer) AS "rank_job_type", CAST("r"."rank_unit" AS integer) AS "rank_unit", CAST("r"."points_to_next" AS numeric(18, 3)) AS "points_to_next" FROM "standings_verify" r),
     stored AS (SELECT "s"."worker_id", "s"."employee_no", "s"."business_system_id", "s"."job_type_id", "s"."depot_id", "s"."points", "s"."approved_points", "s"."pending_points", "s"."entries", "s"."rank_overall", "s"."rank_business_system", "s"."rank_job_type", "s"."rank_unit", "s"."points_to_next" FROM "competitions_standing" s WHERE s.competition_id = %(competition)s AND s.day = %(day)s),
     differing AS (SELECT COALESCE(s.worker_id, r.worker_id) AS worker_id
                   FROM stored s FULL JOIN recomputed r ON r.worker_id = s.worker_id
                   WHERE ROW(s.*) IS DISTINCT FROM ROW(r.*)),
     shown AS (SELECT DISTINCT worker_id FROM differing ORDER BY worker_id LIMIT 10),
     diff AS (SELECT 'stored' AS side, s.* FROM stored s WHERE s.worker_id IN (SELECT worker_id FROM shown)
              UNION ALL
              SELECT 'recomputed', r.* FROM recomputed r WHERE r.worker_id IN (SELECT worker_id FROM shown))
SELECT (SELECT COUNT(DISTINCT worker_id) FROM differing) AS workers, (SELECT COUNT(*) FROM stored) AS stored_rows,
       diff.*, ARRAY[w.employee_no, jt.business_system_id::text, w.job_type_id::text, u.depot_id::text] AS current
FROM (SELECT 1) AS one
LEFT JOIN diff ON TRUE
LEFT JOIN "members_worker" w ON w.id = diff.worker_id
LEFT JOIN "competitions_jobtype" jt ON jt.id = w.job_type_id
LEFT JOIN "members_unit" u ON u.id = w.unit_id
ORDER BY diff.worker_id, diff.side;
