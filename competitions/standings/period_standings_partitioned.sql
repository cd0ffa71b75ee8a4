-- The period standings table: partitioned by LIST (snapshot_id), one partition per PeriodSnapshot, written,
-- indexed and attached by competitions.standings.periods. Django cannot declare a partitioned table, so
-- PeriodStanding is unmanaged and this file, rendered by competitions.standings.table from the model's
-- columns, is installed by the competitions migration.
--
-- The parent's indexes are those every partition carries and ATTACH adopts (periods.PERIOD_INDEXES,
-- rendered below), without the constant snapshot_id: the worker, the overall list, and the depots' lists.
-- Every list is in the overall order (a scope's ranks order its workers as the overall ranks do).
CREATE TABLE {table} ({columns}) PARTITION BY LIST (snapshot_id);
{indexes}
