"""The partitioned table Standing's rows live in (``standings_partitioned.sql``, beside this module)."""

from __future__ import annotations

from pathlib import Path

from psycopg import sql

from config.sqlfiles import SqlFile


def _values() -> dict[str, sql.Composable]:
    from django.db import connection

    from competitions.models import Standing
    from competitions.standings.partitions import PARTITION_INDEXES, index_columns

    standing = sql.Identifier(Standing._meta.db_table)
    columns = [
        sql.SQL("{} {}{}").format(sql.Identifier(field.column), sql.SQL(field.db_type(connection)),
                                  sql.SQL("" if field.null else " NOT NULL"))
        for field in Standing._meta.concrete_fields
    ]
    indexes = [sql.SQL("CREATE INDEX {} ON {} ({});").format(sql.Identifier(name), standing, index_columns(columns))
               for name, columns in PARTITION_INDEXES.items()]
    return {"standing": standing, "columns": sql.SQL(", ").join(columns), "indexes": sql.SQL("\n").join(indexes)}


# Dropping the parent drops its partitions with it.
STANDINGS_PARTITIONED = SqlFile(path=Path(__file__).parent / "standings_partitioned.sql", values=_values,
                                drop="DROP TABLE {standing}", installed_by=("competitions", "0001_initial"))
