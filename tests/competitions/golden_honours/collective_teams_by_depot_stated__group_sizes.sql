SELECT group_id, SUM(participants), COUNT(*) FROM (
SELECT r.unit_id, r.participants, CAST(NULL AS numeric) AS points, r.total AS approved_points,
       r.average AS average_points, u.code, u.name, u.depot_id, COALESCE(u.depot_id, 0) AS group_id
FROM (
SELECT RANK() OVER (ORDER BY g.average DESC), g.unit_id, COALESCE(u.name, ''), d.name, g.participants,
       g.total, g.average
FROM (
    SELECT "team_id" AS unit_id, COUNT(*) AS participants, SUM(approved_points) AS total,
           ROUND(SUM(approved_points) / COUNT(*), 3) AS average
    FROM "competitions_periodstanding"
    WHERE snapshot_id = %(snapshot)s AND "team_id" IS NOT NULL
    GROUP BY "team_id"
) AS g
LEFT JOIN "members_unit" u ON u.id = g.unit_id
LEFT JOIN "members_unit" d ON d.id = u.depot_id AND u.depot_id <> u.id
ORDER BY 1, g.unit_id) AS r(rank, unit_id, unit_name, depot_name, participants, total, average)
JOIN "members_unit" u ON u.id = r.unit_id
WHERE u.level = 4
) AS s GROUP BY 1;
