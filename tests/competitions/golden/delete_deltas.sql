WITH taken AS (
    DELETE FROM "competitions_standingdelta" WHERE competition_id = %(competition)s AND work_date <= %(day)s
    RETURNING competition_id, worker_id, work_date, points, approved_points, entries
), archived AS (
    INSERT INTO "competitions_standingcorrection" (competition_id, worker_id, work_date, points, approved_points, entries, run_id)
    SELECT competition_id, worker_id, work_date, SUM(points), SUM(approved_points), SUM(entries), %(run)s
    FROM taken
    WHERE work_date <= (SELECT MAX(day) FROM "competitions_standingday" WHERE competition_id = %(competition)s AND day < %(day)s)
    GROUP BY competition_id, worker_id, work_date
    HAVING SUM(points) <> 0 OR SUM(approved_points) <> 0 OR SUM(entries) <> 0
)
SELECT count(*) FROM taken;
UPDATE "competitions_standingapprovalsegment" SET run_id = %(run)s
WHERE competition_id = %(competition)s AND closed AND run_id IS NULL
RETURNING id;
SELECT (SELECT id FROM "competitions_standingapprovalsegment" WHERE competition_id = %(competition)s AND NOT closed);
SELECT EXISTS (SELECT FROM "competitions_standingapproval" WHERE segment_id = %(open)s AND work_date <= %(day)s);
UPDATE "competitions_standingapproval" SET segment_id = %(segment)s WHERE segment_id = %(open)s AND work_date <= %(day)s;
SELECT EXISTS (SELECT FROM "competitions_standingapproval" WHERE segment_id = ANY(%(segments)s) AND work_date > %(day)s);
INSERT INTO "competitions_standingapprovalsegment" (competition_id, closed, run_id) VALUES (%(competition)s, true, %(run)s) RETURNING id;
UPDATE "competitions_standingapproval" SET segment_id = %(segment)s WHERE segment_id = ANY(%(segments)s) AND work_date > %(day)s;
SELECT count(*) FROM "competitions_standingapproval" WHERE segment_id = ANY(%(segments)s) AND work_date <= %(day)s;
