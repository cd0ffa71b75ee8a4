-- The period standings table: partitioned by LIST (snapshot_id), one partition per PeriodSnapshot, written,
-- indexed and attached by competitions.standings.periods. Django cannot declare a partitioned table, so
-- PeriodStanding is unmanaged and this file, rendered by competitions.standings.table from the model's
-- columns, is installed by the competitions migration.
--
-- The parent's indexes are those every partition carries and ATTACH adopts (periods.PERIOD_INDEXES,
-- rendered below), without the constant snapshot_id: the worker, the overall list, and the depots' lists.
-- Every list is in the overall order (a scope's ranks order its workers as the overall ranks do).
CREATE TABLE "competitions_periodstanding" ("snapshot_id" bigint NOT NULL, "worker_id" bigint NOT NULL, "employee_no" varchar(20) NOT NULL, "business_system_id" bigint NOT NULL, "job_type_id" bigint NOT NULL, "depot_id" bigint, "team_id" bigint NOT NULL, "points" numeric(18, 3) NOT NULL, "approved_points" numeric(18, 3) NOT NULL, "pending_points" numeric(18, 3) NOT NULL, "entries" integer NOT NULL, "rank_overall" integer NOT NULL, "rank_business_system" integer NOT NULL, "rank_job_type" integer NOT NULL, "rank_unit" integer) PARTITION BY LIST (snapshot_id);
CREATE INDEX "periodstanding_worker" ON "competitions_periodstanding" ("worker_id");
CREATE INDEX "periodstanding_overall" ON "competitions_periodstanding" ("rank_overall", "worker_id");
CREATE INDEX "periodstanding_depot" ON "competitions_periodstanding" ("depot_id", "rank_overall", "worker_id");
