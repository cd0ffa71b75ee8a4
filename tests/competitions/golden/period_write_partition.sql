DROP TABLE IF EXISTS "competitions_periodstanding_7_5";
CREATE TABLE "competitions_periodstanding_7_5" (LIKE "competitions_periodstanding");
SET LOCAL enable_nestloop = 'off';
INSERT INTO "competitions_periodstanding_7_5" ("snapshot_id", "worker_id", "employee_no", "business_system_id", "job_type_id", "depot_id", "team_id", "points", "approved_points", "pending_points", "entries", "rank_overall", "rank_business_system", "rank_job_type", "rank_unit")
SELECT 5, r.worker_id, r.employee_no, r.business_system_id, r.job_type_id, r.depot_id, r.team_id,
       r.points, r.approved_points, r.pending_points, r.entries, r.rank_overall, r.rank_business_system,
       r.rank_job_type, r.rank_unit
FROM (
SELECT s.worker_id, w.employee_no, jt.business_system_id, w.job_type_id, u.depot_id, w.unit_id AS team_id,
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
FROM (SELECT t.*, NULL::integer AS prev_overall, NULL::integer AS prev_business_system, NULL::integer AS prev_job_type, NULL::integer AS prev_unit FROM (SELECT * FROM totals) AS t) AS s
JOIN "members_worker" w ON w.id = s.worker_id
JOIN "competitions_jobtype" jt ON jt.id = w.job_type_id
JOIN "members_unit" u ON u.id = w.unit_id
WINDOW overall AS (ORDER BY s.score DESC RANGE BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING),
       business_system AS (PARTITION BY jt.business_system_id ORDER BY s.score DESC),
       job_type AS (PARTITION BY w.job_type_id ORDER BY s.score DESC),
       unit AS (PARTITION BY u.depot_id ORDER BY s.score DESC)
) AS r;
SET LOCAL enable_nestloop = DEFAULT;
CREATE INDEX ON "competitions_periodstanding_7_5" ("worker_id");
CREATE INDEX ON "competitions_periodstanding_7_5" ("rank_overall", "worker_id");
CREATE INDEX ON "competitions_periodstanding_7_5" ("depot_id", "rank_overall", "worker_id");
SET LOCAL default_statistics_target = '10';
ANALYZE "competitions_periodstanding_7_5";
SET LOCAL default_statistics_target = DEFAULT;
ALTER TABLE "competitions_periodstanding" ATTACH PARTITION "competitions_periodstanding_7_5" FOR VALUES IN (5);
