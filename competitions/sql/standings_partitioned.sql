-- The standings table: partitioned by RANGE (competition_id, day), one partition per (competition, day)
-- written by each run, or per month once compacted (competitions.standings). Django cannot declare a
-- partitioned table, so Standing is unmanaged and this file, rendered by competitions.standings_table from
-- the model's columns, is installed by the competitions migration.
--
-- The parent's indexes are those every partition carries and ATTACH adopts (standings.PARTITION_INDEXES):
-- they leave out the constant (competition, day): the worker, and one per scope ordered by rank.
CREATE TABLE {standing} ({columns}) PARTITION BY RANGE (competition_id, day);
CREATE INDEX standing_worker ON {standing} (worker_id);
CREATE INDEX standing_overall ON {standing} (rank_overall, worker_id);
CREATE INDEX standing_business_system ON {standing} (business_system_id, rank_business_system, worker_id);
CREATE INDEX standing_job_type ON {standing} (job_type_id, rank_job_type, worker_id);
CREATE INDEX standing_unit ON {standing} (depot_id, rank_unit, worker_id);
