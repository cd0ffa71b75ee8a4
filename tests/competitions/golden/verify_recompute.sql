CREATE TEMP TABLE "standings_verify" ON COMMIT DROP AS 
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
    SELECT worker_id, sum_int8(score) AS score, sum_int8(approved_score) AS approved_score,
           sum_int8(entries) AS entries
    FROM (
        
    SELECT e.worker_id, sum_int8(CAST(e.points * 1000 AS BIGINT)) AS score,
           COALESCE(sum_int8(CAST(e.points * 1000 AS BIGINT)) FILTER (WHERE e.status IN ('approved', 'locked')), 0)
               AS approved_score,
           COUNT(*) AS entries
    FROM "reviews_workentry" e
    WHERE e.competition_id = %(competition)s AND e.work_date <= %(day)s AND e.status <> 'rejected'
    GROUP BY e.worker_id

        UNION ALL
        SELECT c.worker_id, -CAST(c.points * 1000 AS BIGINT), -CAST(c.approved_points * 1000 AS BIGINT), -c.entries FROM (
SELECT worker_id, score * 0.001 AS points, approved_score * 0.001 AS approved_points, entries
FROM (
    SELECT worker_id, sum_int8(score) AS score, sum_int8(approved_score) AS approved_score,
           sum_int8(entries) AS entries
    FROM (SELECT worker_id, CAST("points" * 1000 AS BIGINT), CAST("approved_points" * 1000 AS BIGINT), entries FROM "competitions_standingcorrection" WHERE competition_id = 7 AND run_id > 40 AND work_date <= '2026-03-15'::date
        UNION ALL
        SELECT worker_id, CAST("points" * 1000 AS BIGINT), CAST("approved_points" * 1000 AS BIGINT), entries FROM "competitions_standingdelta" WHERE competition_id = 7 AND work_date <= '2026-03-15'::date
        UNION ALL
        SELECT worker_id, 0, CASE WHEN last_date <= '2026-03-15'::date THEN approved_score ELSE (SELECT COALESCE(sum_int8(s), 0) FROM unnest(dates, approved_scores) AS a (d, s) WHERE d <= '2026-03-15'::date) END, 0 FROM "competitions_standingapproval" WHERE segment_id = ANY(ARRAY(SELECT id FROM "competitions_standingapprovalsegment" WHERE competition_id = 7 AND run_id > 40)) AND first_date <= '2026-03-15'::date
        UNION ALL
        SELECT worker_id, 0, CASE WHEN last_date <= '2026-03-15'::date THEN approved_score ELSE (SELECT COALESCE(sum_int8(s), 0) FROM unnest(dates, approved_scores) AS a (d, s) WHERE d <= '2026-03-15'::date) END, 0 FROM "competitions_standingapproval" WHERE segment_id = ANY(ARRAY(SELECT id FROM "competitions_standingapprovalsegment" WHERE competition_id = 7 AND run_id IS NULL)) AND first_date <= '2026-03-15'::date) AS u (worker_id, score, approved_score, entries)
    GROUP BY worker_id
    HAVING TRUE) AS c) AS c
    ) AS t
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
       unit AS (PARTITION BY u.depot_id ORDER BY s.score DESC);
