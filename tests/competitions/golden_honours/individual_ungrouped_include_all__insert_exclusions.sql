WITH line AS (
SELECT group_id, quota,
       LEAST(MIN("approved_points") FILTER (WHERE eligible AND pick <= quota),
             CASE WHEN COUNT(*) FILTER (WHERE eligible AND pick <= quota) < quota
                  THEN MIN("approved_points") FILTER (WHERE group_rank <= quota) END) AS line,
       COUNT(*) FILTER (WHERE eligible AND pick <= quota) AS chosen
FROM "honours_judged" GROUP BY group_id, quota
)
INSERT INTO "competitions_exclusion" (round_id, worker_id, name, employee_no, group_id, group_name, rank, approved_points, rule,
                         detail, params)
SELECT %(round)s, c.worker_id, w.name, c.employee_no, NULL, '', c.group_rank, c.approved_points,
       f.rule, f.detail, f.params
FROM "honours_judged" c
JOIN line l ON l.group_id = c.group_id
JOIN "members_worker" w ON w.id = c.worker_id
LEFT JOIN "competitions_awardround" hr ON hr.id = c.honoured_in

CROSS JOIN LATERAL (VALUES
    ('min_points', c.fails_min_points, format(%(t_min_points)s, c.approved_points, %(min_points)s),
     jsonb_build_object('points', CAST(c.approved_points AS text), 'min', CAST(CAST(%(min_points)s AS numeric) AS text))),
    ('max_deductions', c.fails_max_deductions, format(%(t_max_deductions)s, c.deductions, %(max_deductions)s),
     jsonb_build_object('deductions', c.deductions, 'allowed', CAST(%(max_deductions)s AS int))),
    ('open_dispute', c.fails_open_dispute, format(%(t_open_dispute)s, c.disputes),
     jsonb_build_object('disputes', c.disputes)),
    ('min_active_days', c.fails_min_active_days, format(%(t_min_active_days)s, c.active_days, %(min_active_days)s),
     jsonb_build_object('days', c.active_days, 'min', CAST(%(min_active_days)s AS int))),
    ('already_honoured', c.fails_already_honoured, format(%(t_already_honoured)s, hr.name),
     jsonb_build_object('round', hr.name)),
    ('min_skill_grade', c.fails_min_skill_grade,
     format(%(t_min_skill_grade)s, (CAST(%(grade_labels)s AS text[]))[c.skill_grade],
            (CAST(%(grade_labels)s AS text[]))[CAST(%(min_skill_grade)s AS int)]),
     jsonb_build_object('grade', c.skill_grade, 'min', CAST(%(min_skill_grade)s AS int)))
) AS f(rule, failed, detail, params)
WHERE f.failed AND NOT c.eligible AND c.approved_points >= l.line;
