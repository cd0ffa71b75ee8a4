"""Loading many rows fast: COPY, and index rebuilds.

Used by ``seed_demo`` and the seed-scale benchmark; nothing here knows about the demo catalog.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from contextlib import contextmanager

from django.db import connection


def load_rows(table: str, columns: tuple[str, ...], rows: Iterable[tuple]) -> int:
    """Append ``rows`` to ``table`` and return how many were written.

    One COPY stream (psycopg 3), the fastest way in; rows are dumped by psycopg's C code, without
    building model instances and without ``auto_now`` overwriting the seeded timestamps.
    """
    qn = connection.ops.quote_name
    cols = ", ".join(qn(c) for c in columns)
    count = 0
    connection.ensure_connection()
    with connection.connection.cursor() as cursor:
        with cursor.copy(f"COPY {qn(table)} ({cols}) FROM STDIN") as copy:
            write = copy.write_row
            for row in rows:
                write(row)
                count += 1
    return count


def copy_text_chunks(table: str, columns: tuple[str, ...], chunks: Iterable[str], *, freeze: bool = False) -> None:
    """Stream ready-made COPY text (tab-separated lines) into ``table``.

    The seed-scale path: one ``write`` per chunk of thousands of lines rather than one call per
    row, and a queued writer sends each chunk from a background thread (libpq releases the GIL)
    while the next one is being generated, so Python and the server work at the same time.
    ``freeze`` (only right after ``deferred_indexes`` emptied the table in this transaction) writes
    the rows already frozen: no hint-bit rewrite of every page on the first reads, the index
    builds and foreign-key checks that follow.
    """
    from psycopg.copy import QueuedLibpqWriter

    qn = connection.ops.quote_name
    cols = ", ".join(qn(c) for c in columns)
    connection.ensure_connection()
    with connection.connection.cursor() as cursor:
        sql = f"COPY {qn(table)} ({cols}) FROM STDIN" + (" WITH (FREEZE)" if freeze else "")
        with cursor.copy(sql, writer=QueuedLibpqWriter(cursor)) as copy:
            for chunk in chunks:
                copy.write(chunk)


def _secondary_indexes(table: str) -> list[tuple[str, str]]:
    """(name, CREATE INDEX statement) of every index on ``table`` except those backing a
    constraint (the primary key, UNIQUE constraints): exactly as PostgreSQL itself reports them."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT c.relname, pg_get_indexdef(i.indexrelid)
              FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
             WHERE i.indrelid = %s::regclass
               AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)
             ORDER BY c.relname
            """,
            [table],
        )
        return cursor.fetchall()


def _foreign_keys(table: str) -> list[tuple[str, str]]:
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT conname, pg_get_constraintdef(oid)
              FROM pg_constraint WHERE conrelid = %s::regclass AND contype = 'f'
             ORDER BY conname
            """,
            [table],
        )
        return cursor.fetchall()


def _referencing_tables(table: str) -> list[str]:
    """Other tables with a foreign key to ``table`` (TRUNCATE must name them too)."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT DISTINCT conrelid::regclass::text FROM pg_constraint
             WHERE confrelid = %s::regclass AND conrelid <> confrelid AND contype = 'f'
            """,
            [table],
        )
        return sorted(row[0] for row in cursor.fetchall())


def table_is_empty(table: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT NOT EXISTS (SELECT 1 FROM {connection.ops.quote_name(table)})")
        return cursor.fetchone()[0]


def index_definitions(table: str) -> dict[str, str]:
    """The table's secondary index and foreign-key definitions (for checks that nothing drifted)."""
    defs = dict(_secondary_indexes(table))
    defs.update({name: f"FK {definition}" for name, definition in _foreign_keys(table)})
    return defs


def model_index_names(model) -> set[str]:
    """Names of the indexes the model's Meta declares (indexes and unique constraints)."""
    from django.db.models import UniqueConstraint

    names = {index.name for index in model._meta.indexes}
    names |= {c.name for c in model._meta.constraints if isinstance(c, UniqueConstraint)}
    return names


@contextmanager
def deferred_indexes(model, *, log=None):
    """Drop ``table``'s secondary indexes and foreign keys for a bulk load, and restore them after.
    The body may load with ``copy_text_chunks(..., freeze=True)``.

    Why: maintaining a dozen B-trees row by row and firing one foreign-key trigger per row per
    reference costs several times the load itself; one sorted index build and one set-based
    foreign-key validation per constraint are far cheaper. Only for an EMPTY table (checked), and
    only inside a transaction (the caller's ``atomic``): DDL is transactional in PostgreSQL, so a
    failure anywhere rolls the drops back with the rows. The definitions are read back from
    PostgreSQL's own catalog (``pg_get_indexdef``/``pg_get_constraintdef``), which is what the
    migrations created, and re-run verbatim; the result is compared with the original. Before
    anything is dropped, the indexes the model's Meta declares must all be there: a database that
    has drifted from the models (a missing migration) is refused rather than "restored".
    """
    table = model._meta.db_table
    if not connection.in_atomic_block:
        raise RuntimeError("deferred_indexes must run inside transaction.atomic()")
    referencing = _referencing_tables(table)
    for name in (table, *referencing):
        if not table_is_empty(name):
            raise RuntimeError(f"deferred_indexes needs empty tables; {name} has rows")
    qn = connection.ops.quote_name
    before = index_definitions(table)
    missing = model_index_names(model) - set(before)
    if missing:
        raise RuntimeError(f"{table} lacks indexes its model declares ({', '.join(sorted(missing))}): run migrate")
    indexes = _secondary_indexes(table)
    foreign_keys = _foreign_keys(table)
    with connection.cursor() as cursor:
        # Dropping a foreign key touches the referenced table too, which PostgreSQL refuses while
        # deferred checks of earlier inserts are queued: run them now (as Django's own
        # check_constraints does), and go back to deferred afterwards.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        for name, _ in foreign_keys:
            cursor.execute(f"ALTER TABLE {qn(table)} DROP CONSTRAINT {qn(name)}")
        for name, _ in indexes:
            cursor.execute(f"DROP INDEX {qn(name)}")
        # An (already empty) table truncated in this transaction may be loaded with COPY FREEZE.
        # Tables referencing it must be named too; they were checked empty above, so nothing is lost.
        cursor.execute(f"TRUNCATE {', '.join(qn(t) for t in (table, *referencing))}")
    yield
    with connection.cursor() as cursor:
        # Index builds sort in memory when they can; SET LOCAL ends with the transaction.
        cursor.execute("SET LOCAL maintenance_work_mem = '1GB'")
        for name, definition in indexes:
            started = time.perf_counter()
            cursor.execute(definition)
            if log:
                log(f"  重建索引 {name}：{time.perf_counter() - started:.1f} 秒")
        for name, definition in foreign_keys:
            started = time.perf_counter()
            cursor.execute(f"ALTER TABLE {qn(table)} ADD CONSTRAINT {qn(name)} {definition}")
            if log:
                log(f"  校验外键 {name}：{time.perf_counter() - started:.1f} 秒")
        after = index_definitions(table)
        if after != before:
            raise RuntimeError(f"index definitions of {table} changed during the bulk load")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        cursor.execute(f"ANALYZE {qn(table)}")
