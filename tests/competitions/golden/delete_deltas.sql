INSERT INTO "competitions_standingcorrection" (competition_id, worker_id, work_date, points, approved_points, entries, run_id)
SELECT competition_id, worker_id, work_date, SUM(points), SUM(approved_points), SUM(entries), %(run)s
FROM "competitions_standingdelta"
WHERE competition_id = %(competition)s
  AND work_date <= (SELECT MAX(day) FROM "competitions_standingday" WHERE competition_id = %(competition)s AND day < %(day)s)
GROUP BY competition_id, worker_id, work_date
HAVING SUM(points) <> 0 OR SUM(approved_points) <> 0 OR SUM(entries) <> 0;
DELETE FROM "competitions_standingdelta" WHERE competition_id = %(competition)s AND work_date <= %(day)s;
WITH taken AS (
    DELETE FROM "competitions_standingapproval" WHERE competition_id = %(competition)s AND work_date <= %(day)s
    RETURNING worker_id, first_date, last_date, approved_score, dates, approved_scores
), archived AS (
    INSERT INTO "competitions_standingapprovalcorrection" (competition_id, run_id, worker_id, first_date, last_date, approved_score,
                                       dates, approved_scores)
    SELECT %(competition)s, %(run)s, worker_id, first_date, last_date, approved_score, dates, approved_scores
    FROM taken
    WHERE first_date <= (SELECT MAX(day) FROM "competitions_standingday" WHERE competition_id = %(competition)s AND day < %(day)s)
)
SELECT count(*) FROM taken;
