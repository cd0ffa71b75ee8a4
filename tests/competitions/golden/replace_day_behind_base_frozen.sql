SELECT MAX(day) FROM "competitions_standingday" WHERE competition_id = %(competition)s AND day < %(day)s;
SELECT MAX(run_id) FROM "competitions_standingday" WHERE competition_id = %(competition)s AND day = %(base_day)s;
SET LOCAL enable_nestloop = 'off';
CREATE TABLE "competitions_standing_7_20260315_0123456789ab" AS SELECT CAST(%(competition)s AS bigint) AS "competition_id", CAST(%(day)s AS date) AS "day", CAST("r"."worker_id" AS bigint) AS "worker_id", CAST("r"."employee_no" AS varchar(20)) AS "employee_no", CAST("r"."business_system_id" AS bigint) AS "business_system_id", CAST("r"."job_type_id" AS bigint) AS "job_type_id", CAST("r"."depot_id" AS bigint) AS "depot_id", CAST("r"."points" AS numeric(18, 3)) AS "points", CAST("r"."approved_points" AS numeric(18, 3)) AS "approved_points", CAST("r"."pending_points" AS numeric(18, 3)) AS "pending_points", CAST("r"."entries" AS integer) AS "entries", CAST("r"."rank_overall" AS integer) AS "rank_overall", CAST("r"."rank_business_system" AS integer) AS "rank_business_system", CAST("r"."rank_job_type" AS integer) AS "rank_job_type", CAST("r"."rank_unit" AS integer) AS "rank_unit", CAST("r"."change_overall" AS integer) AS "change_overall", CAST("r"."change_business_system" AS integer) AS "change_business_system", CAST("r"."change_job_type" AS integer) AS "change_job_type", CAST("r"."change_unit" AS integer) AS "change_unit", CAST("r"."points_to_next" AS numeric(18, 3)) AS "points_to_next", CAST(%(now)s AS timestamp with time zone) AS "computed_at" FROM (
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
    SELECT t.worker_id, t.score, t.approved_score, t.entries,
           p.rank_overall AS prev_overall, p.rank_business_system AS prev_business_system,
           p.rank_job_type AS prev_job_type, p.rank_unit AS prev_unit
    FROM (
    SELECT worker_id, sum_int8(score) AS score, sum_int8(approved_score) AS approved_score, sum_int8(entries) AS entries
    FROM (
        
    SELECT worker_id, sum_int8(score) AS score, sum_int8(approved_score) AS approved_score,
           sum_int8(entries) AS entries
    FROM (
        SELECT e.worker_id, CAST(e.points * 1000 AS BIGINT) AS score, CASE WHEN e.status IN ('approved', 'locked') THEN CAST(e.points * 1000 AS BIGINT) ELSE 0 END AS approved_score,
               CAST(1 AS BIGINT) AS entries
        FROM "reviews_workentry" e
        WHERE e.competition_id = %(competition)s AND e.work_date <= %(day)s AND e.work_date >= %(open_from)s
          AND e.status <> 'rejected'
        UNION ALL
        SELECT f.worker_id, CAST(f.points * 1000 AS BIGINT), CAST(f.approved_points * 1000 AS BIGINT), CAST(f.entries AS BIGINT)
        FROM "competitions_signedofftotal" f
        JOIN unnest(CAST(%(frozen_systems)s AS bigint[]), CAST(%(frozen_months)s AS date[])) AS p(system_id, month)
          ON f.business_system_id = p.system_id AND f.month = p.month
        WHERE f.competition_id = %(competition)s
    ) AS t
    GROUP BY worker_id

        UNION ALL
        SELECT worker_id, -CAST(points * 1000 AS BIGINT), -CAST(approved_points * 1000 AS BIGINT), -entries
        FROM "competitions_standingdelta" WHERE competition_id = %(competition)s AND work_date <= %(day)s
        UNION ALL
        SELECT worker_id, 0, -CASE WHEN last_date <= %(day)s THEN approved_score ELSE (SELECT COALESCE(sum_int8(s), 0) FROM unnest(dates, approved_scores) AS a (d, s) WHERE d <= %(day)s) END, 0
        FROM "competitions_standingapproval" WHERE segment_id = ANY(ARRAY(SELECT id FROM "competitions_standingapprovalsegment" WHERE competition_id = %(competition)s AND run_id IS NULL)) AND first_date <= %(day)s
    ) AS u
    GROUP BY worker_id
    HAVING sum_int8(entries) <> 0
) AS t
    LEFT JOIN "competitions_standing" p
           ON p.competition_id = %(competition)s AND p.day = %(previous_day)s AND p.worker_id = t.worker_id
) AS s
JOIN "members_worker" w ON w.id = s.worker_id
JOIN "competitions_jobtype" jt ON jt.id = w.job_type_id
JOIN "members_unit" u ON u.id = w.unit_id
WINDOW overall AS (ORDER BY s.score DESC RANGE BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING),
       business_system AS (PARTITION BY jt.business_system_id ORDER BY s.score DESC),
       job_type AS (PARTITION BY w.job_type_id ORDER BY s.score DESC),
       unit AS (PARTITION BY u.depot_id ORDER BY s.score DESC)
) AS r;
ALTER TABLE "competitions_standing_7_20260315_0123456789ab" ALTER COLUMN "competition_id" SET NOT NULL, ALTER COLUMN "day" SET NOT NULL, ALTER COLUMN "worker_id" SET NOT NULL, ALTER COLUMN "employee_no" SET NOT NULL, ALTER COLUMN "business_system_id" SET NOT NULL, ALTER COLUMN "job_type_id" SET NOT NULL, ALTER COLUMN "points" SET NOT NULL, ALTER COLUMN "approved_points" SET NOT NULL, ALTER COLUMN "pending_points" SET NOT NULL, ALTER COLUMN "entries" SET NOT NULL, ALTER COLUMN "rank_overall" SET NOT NULL, ALTER COLUMN "rank_business_system" SET NOT NULL, ALTER COLUMN "rank_job_type" SET NOT NULL, ALTER COLUMN "points_to_next" SET NOT NULL, ALTER COLUMN "computed_at" SET NOT NULL;
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
ALTER TABLE "competitions_standing" DETACH PARTITION "competitions_standing_7_20260315_aaaaaaaaaaaa";
DROP TABLE "competitions_standing_7_20260315_aaaaaaaaaaaa";
ALTER TABLE "competitions_standing" ATTACH PARTITION "competitions_standing_7_20260315_0123456789ab" FOR VALUES FROM (7, '2026-03-15') TO (7, '2026-03-16');
SET LOCAL lock_timeout = DEFAULT;
