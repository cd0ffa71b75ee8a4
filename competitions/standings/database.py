"""How the standings statements reach PostgreSQL: composed with ``psycopg.sql``, rendered against the
connection, sent through Django's cursor (so queries are logged and counted like any other)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from contextlib import contextmanager

from django.conf import settings
from django.db import connection, transaction
from psycopg import sql

SETTING_NAME = re.compile(r"[a-z_]+")
# Memory per sort and hash of the standings' statements (SET LOCAL: their transaction only); the
# STANDINGS_WORK_MEM setting overrides it.
DEFAULT_WORK_MEM = "256MB"


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


def create_indexes(table: str, indexes: Iterable[tuple[str, ...]]) -> None:
    """A freshly filled table's indexes, one per column list, each built in one sorted pass (cheaper than
    maintaining them while inserting)."""
    for columns in indexes:
        execute(sql.SQL("CREATE INDEX ON {} ({})").format(sql.Identifier(table),
                                                          sql.SQL(", ").join(map(sql.Identifier, columns))))


def analyze_coarsely(table: str) -> None:
    """Statistics of a freshly written table, before anyone can read it, from a coarse sample (a tenth of the
    default): plenty for choosing one of its indexes."""
    with local_setting("default_statistics_target", "10"):
        execute(sql.SQL("ANALYZE {}").format(sql.Identifier(table)))


@contextmanager
def local_setting(name: str, value: str):
    """SET LOCAL ``name`` = ``value`` (a planner or lock setting) for the statements inside, then back to the
    session's default: the caller's transaction only. No reset on error: SET LOCAL ends with the failed
    transaction. ``name`` is the code's own constant (it is sent as written), never a user's input."""
    if not SETTING_NAME.fullmatch(name):
        raise ValueError(f"not a setting name: {name!r}")
    execute(sql.SQL("SET LOCAL {} = {}").format(sql.SQL(name), sql.Literal(value)))
    yield
    execute(sql.SQL("SET LOCAL {} = DEFAULT").format(sql.SQL(name)))


@contextmanager
def standings_snapshot(*, lock: sql.Composable | None = None):
    """A transaction (transaction.atomic) whose statements all read one REPEATABLE READ snapshot, with the
    standings' memory per sort and hash (DEFAULT_WORK_MEM). ``lock``, a LOCK TABLE statement, is taken before
    the snapshot is (its first query). Nested in an outer transaction (the tests'), it keeps that one's
    isolation: PostgreSQL sets it only as a transaction's first statement."""
    outer_atomic = connection.in_atomic_block
    with transaction.atomic():
        if not outer_atomic:
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        if lock is not None:
            execute(lock)
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config('work_mem', %s, true)",
                           [getattr(settings, "STANDINGS_WORK_MEM", DEFAULT_WORK_MEM)])
        yield
