WITH b0 AS MATERIALIZED (
    SELECT worker_id, sum_int8(score) AS score, sum_int8(approved_score) AS approved_score,
           sum_int8(entries) AS entries
    FROM (SELECT worker_id, CAST("points" * 1000 AS BIGINT), CAST("approved_points" * 1000 AS BIGINT), entries FROM "competitions_standing" WHERE competition_id = 7 AND day = '2026-01-31'::date
        UNION ALL
        SELECT worker_id, CAST("points" * 1000 AS BIGINT), CAST("approved_points" * 1000 AS BIGINT), entries FROM "competitions_standingcorrection" WHERE competition_id = 7 AND run_id > 12 AND work_date <= '2026-01-31'::date
        UNION ALL
        SELECT worker_id, CAST("points" * 1000 AS BIGINT), CAST("approved_points" * 1000 AS BIGINT), entries FROM "competitions_standingdelta" WHERE competition_id = 7 AND work_date <= '2026-01-31'::date
        UNION ALL
        SELECT worker_id, 0, CASE WHEN last_date <= '2026-01-31'::date THEN approved_score ELSE (SELECT COALESCE(sum_int8(s), 0) FROM unnest(dates, approved_scores) AS a (d, s) WHERE d <= '2026-01-31'::date) END, 0 FROM "competitions_standingapproval" WHERE segment_id = ANY(ARRAY(SELECT id FROM "competitions_standingapprovalsegment" WHERE competition_id = 7 AND run_id > 12)) AND first_date <= '2026-01-31'::date
        UNION ALL
        SELECT worker_id, 0, CASE WHEN last_date <= '2026-01-31'::date THEN approved_score ELSE (SELECT COALESCE(sum_int8(s), 0) FROM unnest(dates, approved_scores) AS a (d, s) WHERE d <= '2026-01-31'::date) END, 0 FROM "competitions_standingapproval" WHERE segment_id = ANY(ARRAY(SELECT id FROM "competitions_standingapprovalsegment" WHERE competition_id = 7 AND run_id IS NULL)) AND first_date <= '2026-01-31'::date) AS u (worker_id, score, approved_score, entries)
    GROUP BY worker_id
    HAVING TRUE),
b1 AS MATERIALIZED (
    SELECT worker_id, sum_int8(score) AS score, sum_int8(approved_score) AS approved_score,
           sum_int8(entries) AS entries
    FROM (SELECT worker_id, CAST("points" * 1000 AS BIGINT), CAST("approved_points" * 1000 AS BIGINT), entries FROM "competitions_standing" WHERE competition_id = 7 AND day = '2026-02-28'::date
        UNION ALL
        SELECT worker_id, CAST("points" * 1000 AS BIGINT), CAST("approved_points" * 1000 AS BIGINT), entries FROM "competitions_standingcorrection" WHERE competition_id = 7 AND run_id > 30 AND work_date <= '2026-02-28'::date
        UNION ALL
        SELECT worker_id, CAST("points" * 1000 AS BIGINT), CAST("approved_points" * 1000 AS BIGINT), entries FROM "competitions_standingdelta" WHERE competition_id = 7 AND work_date <= '2026-02-28'::date
        UNION ALL
        SELECT worker_id, 0, CASE WHEN last_date <= '2026-02-28'::date THEN approved_score ELSE (SELECT COALESCE(sum_int8(s), 0) FROM unnest(dates, approved_scores) AS a (d, s) WHERE d <= '2026-02-28'::date) END, 0 FROM "competitions_standingapproval" WHERE segment_id = ANY(ARRAY(SELECT id FROM "competitions_standingapprovalsegment" WHERE competition_id = 7 AND run_id > 30)) AND first_date <= '2026-02-28'::date
        UNION ALL
        SELECT worker_id, 0, CASE WHEN last_date <= '2026-02-28'::date THEN approved_score ELSE (SELECT COALESCE(sum_int8(s), 0) FROM unnest(dates, approved_scores) AS a (d, s) WHERE d <= '2026-02-28'::date) END, 0 FROM "competitions_standingapproval" WHERE segment_id = ANY(ARRAY(SELECT id FROM "competitions_standingapprovalsegment" WHERE competition_id = 7 AND run_id IS NULL)) AND first_date <= '2026-02-28'::date) AS u (worker_id, score, approved_score, entries)
    GROUP BY worker_id
    HAVING TRUE),
b2 AS MATERIALIZED (
    SELECT worker_id, sum_int8(score) AS score, sum_int8(approved_score) AS approved_score,
           sum_int8(entries) AS entries
    FROM (SELECT worker_id, CAST("points" * 1000 AS BIGINT), CAST("approved_points" * 1000 AS BIGINT), entries FROM "competitions_standing" WHERE competition_id = 7 AND day = '2026-03-15'::date
        UNION ALL
        SELECT worker_id, CAST("points" * 1000 AS BIGINT), CAST("approved_points" * 1000 AS BIGINT), entries FROM "competitions_standingcorrection" WHERE competition_id = 7 AND run_id > 40 AND work_date <= '2026-03-15'::date
        UNION ALL
        SELECT worker_id, CAST("points" * 1000 AS BIGINT), CAST("approved_points" * 1000 AS BIGINT), entries FROM "competitions_standingdelta" WHERE competition_id = 7 AND work_date <= '2026-03-15'::date
        UNION ALL
        SELECT worker_id, 0, CASE WHEN last_date <= '2026-03-15'::date THEN approved_score ELSE (SELECT COALESCE(sum_int8(s), 0) FROM unnest(dates, approved_scores) AS a (d, s) WHERE d <= '2026-03-15'::date) END, 0 FROM "competitions_standingapproval" WHERE segment_id = ANY(ARRAY(SELECT id FROM "competitions_standingapprovalsegment" WHERE competition_id = 7 AND run_id > 40)) AND first_date <= '2026-03-15'::date
        UNION ALL
        SELECT worker_id, 0, CASE WHEN last_date <= '2026-03-15'::date THEN approved_score ELSE (SELECT COALESCE(sum_int8(s), 0) FROM unnest(dates, approved_scores) AS a (d, s) WHERE d <= '2026-03-15'::date) END, 0 FROM "competitions_standingapproval" WHERE segment_id = ANY(ARRAY(SELECT id FROM "competitions_standingapprovalsegment" WHERE competition_id = 7 AND run_id IS NULL)) AND first_date <= '2026-03-15'::date) AS u (worker_id, score, approved_score, entries)
    GROUP BY worker_id
    HAVING TRUE)
    SELECT b.worker_id, sum_int8(b.score * k.sign) AS score,
           sum_int8(b.approved_score * k.sign) AS approved_score,
           sum_int8(b.entries * k.sign) AS entries
    FROM (SELECT b.*, jt.business_system_id
          FROM (SELECT 0, worker_id, score, approved_score, entries FROM b0
    UNION ALL
    SELECT 1, worker_id, score, approved_score, entries FROM b1
    UNION ALL
    SELECT 2, worker_id, score, approved_score, entries FROM b2) AS b (bound, worker_id, score, approved_score, entries)
          JOIN "members_worker" w ON w.id = b.worker_id
          JOIN "competitions_jobtype" jt ON jt.id = w.job_type_id
          OFFSET 0) AS b
    JOIN (VALUES (1, 2, 1), (2, 1, 1), (1, 0,  -1), (2, 0,  -1)) AS k (business_system_id, bound, sign)
      ON k.business_system_id = b.business_system_id AND k.bound = b.bound
    GROUP BY b.worker_id
    HAVING sum_int8(b.entries * k.sign) > 0;
