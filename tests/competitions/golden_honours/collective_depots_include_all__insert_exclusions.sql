WITH line AS (
SELECT group_id, quota,
       LEAST(MIN("average_points") FILTER (WHERE eligible AND pick <= quota),
             CASE WHEN COUNT(*) FILTER (WHERE eligible AND pick <= quota) < quota
                  THEN MIN("average_points") FILTER (WHERE group_rank <= quota) END) AS line,
       COUNT(*) FILTER (WHERE eligible AND pick <= quota) AS chosen
FROM "honours_judged" GROUP BY group_id, quota
)
INSERT INTO "competitions_exclusion" (round_id, unit_id, name, employee_no, group_id, group_name, rank, approved_points, rule,
                         detail, params)
SELECT %(round)s, c.unit_id, c.name, '', NULL, '', c.group_rank, c.approved_points, 'min_participants',
       format(%(t_min_participants)s, c.participants, %(min_participants)s),
       jsonb_build_object('participants', c.participants, 'min', CAST(%(min_participants)s AS int))
FROM "honours_judged" c
JOIN line l ON l.group_id = c.group_id

WHERE NOT c.eligible AND c.average_points >= l.line;
