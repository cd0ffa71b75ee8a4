SELECT worker_id, score * 0.001 AS points, approved_score * 0.001 AS approved_points, entries
FROM (
    SELECT worker_id, sum_int8(score) AS score, sum_int8(approved_score) AS approved_score,
           sum_int8(entries) AS entries
    FROM (SELECT worker_id, CAST("points" * 1000 AS BIGINT), CAST("approved_points" * 1000 AS BIGINT), entries FROM "competitions_standingcorrection" WHERE competition_id = 7 AND run_id > 12 AND work_date <= '2026-01-30'::date
        UNION ALL
        SELECT worker_id, CAST("points" * 1000 AS BIGINT), CAST("approved_points" * 1000 AS BIGINT), entries FROM "competitions_standingdelta" WHERE competition_id = 7 AND work_date <= '2026-01-30'::date
        UNION ALL
        SELECT worker_id, 0, CASE WHEN last_date <= '2026-01-30'::date THEN approved_score ELSE (SELECT COALESCE(sum_int8(s), 0) FROM unnest(dates, approved_scores) AS a (d, s) WHERE d <= '2026-01-30'::date) END, 0 FROM "competitions_standingapproval" WHERE segment_id = ANY(ARRAY(SELECT id FROM "competitions_standingapprovalsegment" WHERE competition_id = 7 AND run_id > 12)) AND first_date <= '2026-01-30'::date
        UNION ALL
        SELECT worker_id, 0, CASE WHEN last_date <= '2026-01-30'::date THEN approved_score ELSE (SELECT COALESCE(sum_int8(s), 0) FROM unnest(dates, approved_scores) AS a (d, s) WHERE d <= '2026-01-30'::date) END, 0 FROM "competitions_standingapproval" WHERE segment_id = ANY(ARRAY(SELECT id FROM "competitions_standingapprovalsegment" WHERE competition_id = 7 AND run_id IS NULL)) AND first_date <= '2026-01-30'::date
        UNION ALL
        SELECT e.worker_id, CAST(e.points * 1000 AS BIGINT), CASE WHEN e.status IN ('approved', 'locked') THEN CAST(e.points * 1000 AS BIGINT) ELSE 0 END, 1 FROM "reviews_workentry" e WHERE e.competition_id = 7 AND e.work_date <= '2026-01-31'::date AND e.status <> 'rejected' AND e.work_date > '2026-01-30'::date) AS u (worker_id, score, approved_score, entries)
    GROUP BY worker_id
    HAVING TRUE) AS c;
