SELECT group_id, COUNT(*) FILTER (WHERE eligible), COUNT(*), MIN(approved_points) FROM "honours_judged" GROUP BY 1;
