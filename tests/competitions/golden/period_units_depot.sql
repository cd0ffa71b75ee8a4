SELECT RANK() OVER (ORDER BY g.average DESC), g.unit_id, COALESCE(u.name, ''), d.name, g.participants,
       g.total, g.average
FROM (
    SELECT "depot_id" AS unit_id, COUNT(*) AS participants, SUM(approved_points) AS total,
           ROUND(SUM(approved_points) / COUNT(*), 3) AS average
    FROM "competitions_periodstanding"
    WHERE snapshot_id = %(snapshot)s AND "depot_id" IS NOT NULL
    GROUP BY "depot_id"
) AS g
LEFT JOIN "members_unit" u ON u.id = g.unit_id
LEFT JOIN "members_unit" d ON d.id = u.depot_id AND u.depot_id <> u.id
ORDER BY 1, g.unit_id;
