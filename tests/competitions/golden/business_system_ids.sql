SELECT DISTINCT business_system_id FROM "competitions_jobtype" ORDER BY 1;
