"""Hand-written SQL for the API's hot read paths, as PostgreSQL prepared statements.

The ORM costs a millisecond or more per query on these paths (compiling the query, then building
model instances with per-field converters), which is more than PostgreSQL needs to answer it, and a
plain client-side query is parsed and planned again on every request. These helpers send the query
with server-side parameters, and psycopg prepares it on the connection (``prepare_threshold`` is 0 in
the settings; psycopg keeps the last 100 statements), so later requests only bind and execute.

The cursor is Django's wrapper (queries are logged, counted by the tests' query pins, and database
errors wrapped as usual) around a psycopg server-binding cursor; only the statement goes there, the
rest of the project keeps Django's client-side binding.
"""

from __future__ import annotations

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.backends.postgresql.base import TIMESTAMPTZ_OID, ServerBindingCursor
from django.db.backends.postgresql.psycopg_any import register_tzloader
from psycopg.pq import Format


def _cursor(conn):
    """Django's cursor wrapper around this connection's server-binding psycopg cursor, which is kept
    and reused: a new psycopg cursor looks up the loaders of every result column again, a third of a
    query's client-side cost here. (What BaseDatabaseWrapper.cursor() and the backend's create_cursor()
    do, with this cursor class.)"""
    conn.close_if_health_check_failed()
    conn.ensure_connection()
    with conn.wrap_database_errors:
        conn.validate_thread_sharing()
        kept = getattr(conn, "_api_cursor", None)
        if kept is not None and kept[0] is conn.connection and not kept[1].closed:
            raw = kept[1]
        else:
            raw = ServerBindingCursor(conn.connection)
            conn._api_cursor = (conn.connection, raw)
        if conn.timezone != conn.connection.adapters.get_loader(TIMESTAMPTZ_OID, Format.TEXT).timezone:
            register_tzloader(conn.timezone, raw)
        return conn.make_debug_cursor(raw) if conn.queries_logged else conn.make_cursor(raw)


def _run(sql: str, params, fetch, using: str):
    conn = connections[using]
    cur = _cursor(conn)
    try:
        cur.execute(sql, params)
        if conn.queries_logged and conn.queries_log and conn.queries_log[-1]["sql"] is None:
            # Django reads the text of a client-side query back from psycopg; a prepared one has none.
            conn.queries_log[-1]["sql"] = conn.ops.compose_sql(sql, params)
        return fetch(cur)
    except Exception:
        conn._api_cursor = None
        raise


def fetch_one(sql: str, params, *, using: str = DEFAULT_DB_ALIAS) -> tuple | None:
    """The statement's first row, on the database ``using`` (an alias; a read replica's if the router chose it)."""
    return _run(sql, params, lambda cur: cur.fetchone(), using)


def fetch_all(sql: str, params, *, using: str = DEFAULT_DB_ALIAS) -> list[tuple]:
    return _run(sql, params, lambda cur: cur.fetchall(), using)
