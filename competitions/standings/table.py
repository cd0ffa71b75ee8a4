"""The partitioned tables Standing's and PeriodStanding's rows live in (``standings_partitioned.sql`` and
``period_standings_partitioned.sql``, beside this module)."""

from __future__ import annotations

from pathlib import Path

from psycopg import sql

from config.sqlfiles import SqlFile


def _table(model, indexes: dict[str, tuple[str, ...]]) -> tuple[sql.Composable, sql.Composable, sql.Composable]:
    """The table's name, its columns from the model (types and NOT NULLs) and its CREATE INDEX statements."""
    from django.db import connection

    from competitions.standings.partitions import index_columns

    table = sql.Identifier(model._meta.db_table)
    columns = [
        sql.SQL("{} {}{}").format(sql.Identifier(field.column), sql.SQL(field.db_type(connection)),
                                  sql.SQL("" if field.null else " NOT NULL"))
        for field in model._meta.concrete_fields
    ]
    statements = [sql.SQL("CREATE INDEX {} ON {} ({});").format(sql.Identifier(name), table, index_columns(columns))
                  for name, columns in indexes.items()]
    return table, sql.SQL(", ").join(columns), sql.SQL("\n").join(statements)


def _values() -> dict[str, sql.Composable]:
    from competitions.models import Standing
    from competitions.standings.partitions import PARTITION_INDEXES

    standing, columns, indexes = _table(Standing, PARTITION_INDEXES)
    return {"standing": standing, "columns": columns, "indexes": indexes}


def _period_values() -> dict[str, sql.Composable]:
    from competitions.models import PeriodStanding
    from competitions.standings.periods import PERIOD_INDEXES

    table, columns, indexes = _table(PeriodStanding, PERIOD_INDEXES)
    return {"table": table, "columns": columns, "indexes": indexes}


# Dropping the parent drops its partitions with it.
STANDINGS_PARTITIONED = SqlFile(path=Path(__file__).parent / "standings_partitioned.sql", values=_values,
                                drop="DROP TABLE {standing}", installed_by=("competitions", "0001_initial"))
PERIOD_STANDINGS_PARTITIONED = SqlFile(path=Path(__file__).parent / "period_standings_partitioned.sql",
                                       values=_period_values, drop="DROP TABLE {table}",
                                       installed_by=("competitions", "0004_standing_corrections_period_snapshots"))
