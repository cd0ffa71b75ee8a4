WITH line AS (
SELECT group_id, quota,
       LEAST(MIN("approved_points") FILTER (WHERE eligible AND pick <= quota),
             CASE WHEN COUNT(*) FILTER (WHERE eligible AND pick <= quota) < quota
                  THEN MIN("approved_points") FILTER (WHERE group_rank <= quota) END) AS line,
       COUNT(*) FILTER (WHERE eligible AND pick <= quota) AS chosen
FROM "honours_judged" GROUP BY group_id, quota
)
INSERT INTO "competitions_nominee" (round_id, worker_id, name, employee_no, business_system_id, job_type_id, depot_id, team_id,
                       group_id, group_name, rank, points, approved_points, active_days, deductions, over_quota,
                       status, reason, position)
SELECT %(round)s, c.worker_id, w.name, c.employee_no, c.business_system_id, c.job_type_id, c.depot_id,
       CASE WHEN tu.level = 4 THEN c.team_id END,
       NULLIF(c.group_id, 0), COALESCE(gn.name, ''), c.group_rank, c.points, c.approved_points, c.active_days, c.deductions,
       (l.chosen > l.quota AND c.approved_points = l.line), 'shortlisted', '',
       ROW_NUMBER() OVER (ORDER BY c.group_id, c.pick, c.employee_no)
FROM "honours_judged" c
JOIN line l ON l.group_id = c.group_id
JOIN "members_worker" w ON w.id = c.worker_id
LEFT JOIN "members_unit" tu ON tu.id = c.team_id
LEFT JOIN "competitions_businesssystem" gn ON gn.id = c.group_id
WHERE c.eligible AND c.pick <= c.quota;
