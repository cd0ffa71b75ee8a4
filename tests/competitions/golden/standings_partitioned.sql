-- The standings table: partitioned by RANGE (competition_id, day), one partition per (competition, day)
-- written by each run, or per month once compacted (competitions.standings.partitions). Django cannot
-- declare a partitioned table, so Standing is unmanaged and this file, rendered by
-- competitions.standings.table from the model's columns, is installed by the competitions migration.
--
-- The parent's indexes are those every partition carries and ATTACH adopts (partitions.PARTITION_INDEXES,
-- rendered below): they leave out the constant (competition, day): the worker, and one per scope
-- ordered by rank.
CREATE TABLE "competitions_standing" ("competition_id" bigint NOT NULL, "day" date NOT NULL, "worker_id" bigint NOT NULL, "employee_no" varchar(20) NOT NULL, "business_system_id" bigint NOT NULL, "job_type_id" bigint NOT NULL, "depot_id" bigint, "points" numeric(18, 3) NOT NULL, "approved_points" numeric(18, 3) NOT NULL, "pending_points" numeric(18, 3) NOT NULL, "entries" integer NOT NULL, "rank_overall" integer NOT NULL, "rank_business_system" integer NOT NULL, "rank_job_type" integer NOT NULL, "rank_unit" integer, "change_overall" integer, "change_business_system" integer, "change_job_type" integer, "change_unit" integer, "points_to_next" numeric(18, 3) NOT NULL, "computed_at" timestamp with time zone NOT NULL) PARTITION BY RANGE (competition_id, day);
CREATE INDEX "standing_worker" ON "competitions_standing" ("worker_id");
CREATE INDEX "standing_overall" ON "competitions_standing" ("rank_overall", "worker_id");
CREATE INDEX "standing_business_system" ON "competitions_standing" ("business_system_id", "rank_business_system", "worker_id");
CREATE INDEX "standing_job_type" ON "competitions_standing" ("job_type_id", "rank_job_type", "worker_id");
CREATE INDEX "standing_unit" ON "competitions_standing" ("depot_id", "rank_unit", "worker_id");
