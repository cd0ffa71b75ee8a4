"""How the standings statements reach PostgreSQL: composed with ``psycopg.sql``, rendered against the
connection, sent through Django's cursor (so queries are logged and counted like any other)."""

from __future__ import annotations

from django.db import connection
from psycopg import sql


def render(statement: sql.Composable) -> str:
    """The statement as text: identifiers quoted and literals escaped the way this connection wants."""
    connection.ensure_connection()
    return statement.as_string(connection.connection)


def send(text: str, params: dict) -> int:
    """Runs one rendered statement; returns its row count. Every statement of a run goes through here."""
    with connection.cursor() as cursor:
        cursor.execute(text, params)
        return cursor.rowcount


def execute(statement: sql.Composable, params: dict | None = None) -> int:
    return send(render(statement), params or {})


def scalar(statement: sql.Composable, params: dict | None = None):
    with connection.cursor() as cursor:
        cursor.execute(render(statement), params or {})
        return cursor.fetchone()[0]


def column(statement: sql.Composable, params: dict | None = None) -> list:
    with connection.cursor() as cursor:
        cursor.execute(render(statement), params or {})
        return [row[0] for row in cursor.fetchall()]
