"""The partitioned table Standing's rows live in (``competitions/sql/standings_partitioned.sql``)."""

from __future__ import annotations

from pathlib import Path

from psycopg import sql

from config.sqlfiles import SqlFile


def _values() -> dict[str, sql.Composable]:
    from django.db import connection

    from competitions.models import Standing

    columns = [
        sql.SQL("{} {}{}").format(sql.Identifier(field.column), sql.SQL(field.db_type(connection)),
                                  sql.SQL("" if field.null else " NOT NULL"))
        for field in Standing._meta.concrete_fields
    ]
    return {"standing": sql.Identifier(Standing._meta.db_table), "columns": sql.SQL(", ").join(columns)}


# Dropping the parent drops its partitions with it.
STANDINGS_PARTITIONED = SqlFile(path=Path(__file__).parent / "sql" / "standings_partitioned.sql", values=_values,
                                drop="DROP TABLE {standing}", installed_by=("competitions", "0001_initial"))
