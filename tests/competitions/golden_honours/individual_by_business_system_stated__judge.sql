CREATE TEMP TABLE "honours_judged" ON COMMIT DROP AS
WITH quota AS (
    SELECT * FROM unnest(CAST(%(group_ids)s AS bigint[]), CAST(%(quotas)s AS int[])) AS q(group_id, quota)
), ranked AS (
    SELECT ps.worker_id, ps.employee_no, ps.business_system_id, ps.job_type_id, ps.depot_id, ps.team_id,
           ps.points, ps.approved_points, COALESCE("ps"."business_system_id", 0) AS group_id,
           RANK() OVER (PARTITION BY COALESCE("ps"."business_system_id", 0) ORDER BY ps.approved_points DESC) AS group_rank
    FROM "competitions_periodstanding" ps
    WHERE ps.snapshot_id = %(snapshot)s AND ps.approved_points > 0
), candidate AS (
    SELECT r.*, q.quota
    FROM ranked r JOIN quota q ON q.group_id = r.group_id
    WHERE q.quota > 0 AND r.group_rank <= q.quota + %(margin)s
), open_dispute AS MATERIALIZED (
    SELECT d.worker_id, COUNT(*) AS disputes
    FROM "reviews_dispute" d LEFT JOIN "reviews_workentry" de ON de.id = d.entry_id
    WHERE d.worker_id IN (SELECT worker_id FROM candidate) AND d.status = 'open'
      AND (de.competition_id = %(competition)s
           OR (d.entry_id IS NULL AND d.work_date BETWEEN %(competition_start)s AND %(competition_end)s))
    GROUP BY d.worker_id
), deduction_rules AS MATERIALIZED (
    SELECT COALESCE(array_agg(sr.id), '{}') AS ids FROM "competitions_scoringrule" sr
    WHERE sr.competition_id = %(competition)s AND sr.direction = -1
), honoured AS MATERIALIZED (
    SELECT n.worker_id, MIN(n.round_id) AS round_id
    FROM "competitions_nominee" n
    WHERE n.round_id = ANY(CAST(%(excluded_rounds)s AS bigint[])) AND n.status = 'final'
      AND n.worker_id IN (SELECT worker_id FROM candidate)
    GROUP BY n.worker_id
), judged AS (
    SELECT c.*, COALESCE(a.active_days, 0) AS active_days, COALESCE(a.deductions, 0) AS deductions,
           COALESCE(od.disputes, 0) AS disputes, h.round_id AS honoured_in,
           COALESCE(c.approved_points < CAST(%(min_points)s AS numeric), false) AS fails_min_points,
           COALESCE(COALESCE(a.deductions, 0) > CAST(%(max_deductions)s AS int), false) AS fails_max_deductions,
           (CAST(%(no_open_dispute)s AS boolean) AND od.disputes IS NOT NULL) AS fails_open_dispute,
           COALESCE(COALESCE(a.active_days, 0) < CAST(%(min_active_days)s AS int), false) AS fails_min_active_days,
           (h.worker_id IS NOT NULL) AS fails_already_honoured,
           wk.skill_grade, COALESCE(wk.skill_grade < CAST(%(min_skill_grade)s AS int), false) AS fails_min_skill_grade
    FROM candidate c
    JOIN "members_worker" wk ON wk.id = c.worker_id
    CROSS JOIN deduction_rules dr
    -- LATERAL: one probe of the entries' worker index per candidate, once. The planner cannot tell how few
    -- the candidates are: it would otherwise hash-join them to every entry of the period, or (with the facts
    -- as a CTE of their own) aggregate every candidate's entries again for each candidate. The deduction
    -- rules come as one array, not a join: joined, a month partition without statistics yet (new, or
    -- written in the same transaction) let the planner probe the entries once per rule instead.
    CROSS JOIN LATERAL (
        SELECT COUNT(DISTINCT e.work_date) AS active_days,
               COUNT(*) FILTER (WHERE e.rule_id = ANY(dr.ids)) AS deductions
        FROM "reviews_workentry" e
        WHERE e.worker_id = c.worker_id AND e.competition_id = %(competition)s
          AND e.work_date BETWEEN %(start)s AND %(end)s AND e.status <> 'rejected'
    ) AS a
    LEFT JOIN open_dispute od ON od.worker_id = c.worker_id
    LEFT JOIN honoured h ON h.worker_id = c.worker_id
), eligible AS (
    SELECT j.*, NOT (fails_min_points OR fails_max_deductions OR fails_open_dispute OR fails_min_active_days
                     OR fails_already_honoured OR fails_min_skill_grade) AS eligible
    FROM judged j
)
SELECT e.*, CASE WHEN e.eligible THEN ROW_NUMBER() OVER (PARTITION BY e.group_id, e.eligible ORDER BY e.approved_points DESC, e.active_days DESC, e.deductions ASC, e.employee_no ASC) END AS pick
FROM eligible e;
