-- The standings table: partitioned by RANGE (competition_id, day), one partition per (competition, day)
-- written by each run, or per month once compacted (competitions.standings.partitions). Django cannot
-- declare a partitioned table, so Standing is unmanaged and this file, rendered by
-- competitions.standings.table from the model's columns, is installed by the competitions migration.
--
-- The parent's indexes are those every partition carries and ATTACH adopts (partitions.PARTITION_INDEXES,
-- rendered below): they leave out the constant (competition, day): the worker, and one per scope
-- ordered by rank.
CREATE TABLE {standing} ({columns}) PARTITION BY RANGE (competition_id, day);
{indexes}
