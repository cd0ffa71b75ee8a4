SET LOCAL lock_timeout = '2s';
DROP TABLE "competitions_standing_7_20260201_cccccccccccc";
DROP TABLE "competitions_standing_7_20260202_cccccccccccc";
SET LOCAL lock_timeout = DEFAULT;
DELETE FROM "competitions_standingcorrection" WHERE competition_id = %(competition)s;
DELETE FROM "competitions_standingapprovalcorrection" WHERE competition_id = %(competition)s;
DELETE FROM "competitions_standingapproval" WHERE competition_id = %(competition)s;
DELETE FROM "competitions_signedofftotal" WHERE competition_id = %(competition)s;
DROP TABLE "competitions_periodstanding_7_5";
