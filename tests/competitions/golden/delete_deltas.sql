DELETE FROM "competitions_standingdelta" WHERE competition_id = %(competition)s AND work_date <= %(day)s;
