WITH line AS (
SELECT group_id, quota,
       LEAST(MIN("average_points") FILTER (WHERE eligible AND pick <= quota),
             CASE WHEN COUNT(*) FILTER (WHERE eligible AND pick <= quota) < quota
                  THEN MIN("average_points") FILTER (WHERE group_rank <= quota) END) AS line,
       COUNT(*) FILTER (WHERE eligible AND pick <= quota) AS chosen
FROM "honours_judged" GROUP BY group_id, quota
)
INSERT INTO "competitions_nominee" (round_id, unit_id, name, employee_no, depot_id, team_id, group_id, group_name, rank, points,
                       approved_points, participants, average_points, over_quota, status, reason, position)
SELECT %(round)s, c.unit_id, c.name, '', c.depot_id, c.unit_id, NULLIF(c.group_id, 0), COALESCE(gn.name, ''), c.group_rank, c.points,
       c.approved_points, c.participants, c.average_points,
       (l.chosen > l.quota AND c.average_points = l.line), 'shortlisted', '',
       ROW_NUMBER() OVER (ORDER BY c.group_id, c.pick, c.code)
FROM "honours_judged" c
JOIN line l ON l.group_id = c.group_id
LEFT JOIN "members_unit" gn ON gn.id = c.group_id
WHERE c.eligible AND c.pick <= c.quota;
