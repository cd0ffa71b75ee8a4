SELECT MAX(day) FROM "competitions_standingday" WHERE competition_id = %(competition)s AND day < %(day)s;
SET LOCAL enable_nestloop = 'off';
SET LOCAL max_parallel_workers_per_gather = '0';
CREATE TABLE "competitions_standing_7_20260315_0123456789ab" (LIKE "competitions_standing");
INSERT INTO "competitions_standing_7_20260315_0123456789ab" ("competition_id", "day", "worker_id", "employee_no", "business_system_id", "job_type_id", "depot_id", "points", "approved_points", "pending_points", "entries", "rank_overall", "rank_business_system", "rank_job_type", "rank_unit", "change_overall", "change_business_system", "change_job_type", "change_unit", "points_to_next", "computed_at") SELECT %(competition)s, %(day)s, "r"."worker_id", "r"."employee_no", "r"."business_system_id", "r"."job_type_id", "r"."depot_id", "r"."points", "r"."approved_points", "r"."pending_points", "r"."entries", "r"."rank_overall", "r"."rank_business_system", "r"."rank_job_type", "r"."rank_unit", "r"."change_overall", "r"."change_business_system", "r"."change_job_type", "r"."change_unit", "r"."points_to_next", %(now)s FROM (
SELECT s.worker_id, w.employee_no, jt.business_system_id, w.job_type_id, u.depot_id,
       s.score * 0.001 AS points, s.approved_score * 0.001 AS approved_points, (s.score - s.approved_score) * 0.001 AS pending_points, s.entries,
       RANK() OVER overall AS rank_overall,
       (1 + CASE jt.business_system_id WHEN 1 THEN COUNT(*) FILTER (WHERE jt.business_system_id = 1) OVER overall WHEN 2 THEN COUNT(*) FILTER (WHERE jt.business_system_id = 2) OVER overall WHEN 3 THEN COUNT(*) FILTER (WHERE jt.business_system_id = 3) OVER overall END) AS rank_business_system,
       RANK() OVER job_type AS rank_job_type,
       CASE WHEN u.depot_id IS NULL THEN NULL ELSE RANK() OVER unit END AS rank_unit,
       s.prev_overall - RANK() OVER overall AS change_overall,
       s.prev_business_system - (1 + CASE jt.business_system_id WHEN 1 THEN COUNT(*) FILTER (WHERE jt.business_system_id = 1) OVER overall WHEN 2 THEN COUNT(*) FILTER (WHERE jt.business_system_id = 2) OVER overall WHEN 3 THEN COUNT(*) FILTER (WHERE jt.business_system_id = 3) OVER overall END) AS change_business_system,
       s.prev_job_type - RANK() OVER job_type AS change_job_type,
       s.prev_unit - RANK() OVER unit AS change_unit,
       COALESCE(LAST_VALUE(s.score) OVER overall - s.score, 0) * 0.001 AS points_to_next
FROM (
    SELECT worker_id, sum_int8(score) AS score, sum_int8(approved_score) AS approved_score,
           SUM(entries) AS entries,
           MAX(rank_overall) AS prev_overall, MAX(rank_business_system) AS prev_business_system,
           MAX(rank_job_type) AS prev_job_type, MAX(rank_unit) AS prev_unit
    FROM (
        SELECT worker_id, CAST(points * 1000 AS BIGINT) AS score, CAST(approved_points * 1000 AS BIGINT) AS approved_score,
               entries, rank_overall, rank_business_system, rank_job_type, rank_unit
        FROM "competitions_standing" WHERE competition_id = %(competition)s AND day = %(base_day)s
        UNION ALL
        SELECT worker_id, CAST(points * 1000 AS BIGINT), CAST(approved_points * 1000 AS BIGINT), entries,
               NULL, NULL, NULL, NULL
        FROM "competitions_standingdelta" WHERE competition_id = %(competition)s AND work_date <= %(day)s
        UNION ALL
        SELECT worker_id, 0, approved_score, 0, NULL, NULL, NULL, NULL
        FROM "competitions_standingapproval" WHERE segment_id = ANY(ARRAY(SELECT id FROM "competitions_standingapprovalsegment" WHERE competition_id = %(competition)s AND run_id IS NULL)) AND work_date <= %(day)s
        ORDER BY worker_id
    ) AS u
    GROUP BY worker_id
    HAVING SUM(entries) <> 0
) AS s
JOIN "members_worker" w ON w.id = s.worker_id
JOIN "competitions_jobtype" jt ON jt.id = w.job_type_id
JOIN "members_unit" u ON u.id = w.unit_id
WINDOW overall AS (ORDER BY s.score DESC RANGE BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING),
       business_system AS (PARTITION BY jt.business_system_id ORDER BY s.score DESC),
       job_type AS (PARTITION BY w.job_type_id ORDER BY s.score DESC),
       unit AS (PARTITION BY u.depot_id ORDER BY s.score DESC)
) AS r;
SET LOCAL max_parallel_workers_per_gather = DEFAULT;
SET LOCAL enable_nestloop = DEFAULT;
CREATE INDEX ON "competitions_standing_7_20260315_0123456789ab" ("worker_id");
CREATE INDEX ON "competitions_standing_7_20260315_0123456789ab" ("rank_overall", "worker_id");
CREATE INDEX ON "competitions_standing_7_20260315_0123456789ab" ("business_system_id", "rank_business_system", "worker_id");
CREATE INDEX ON "competitions_standing_7_20260315_0123456789ab" ("job_type_id", "rank_job_type", "worker_id");
CREATE INDEX ON "competitions_standing_7_20260315_0123456789ab" ("depot_id", "rank_unit", "worker_id");
SET LOCAL default_statistics_target = '10';
ANALYZE "competitions_standing_7_20260315_0123456789ab";
SET LOCAL default_statistics_target = DEFAULT;
SET LOCAL lock_timeout = '2s';
ALTER TABLE "competitions_standing" ATTACH PARTITION "competitions_standing_7_20260315_0123456789ab" FOR VALUES FROM (7, '2026-03-15') TO (7, '2026-03-16');
SET LOCAL lock_timeout = DEFAULT;
