"""Loading many rows into PostgreSQL fast: COPY, and secondary indexes rebuilt after a bulk load.

Generic: nothing here knows about the rows it loads (``competitions.demo`` and the seed-scale
benchmarks use it).
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from contextlib import contextmanager

from django.db import connection
from psycopg import sql


def _copy_statement(table: str, columns: tuple[str, ...], *, freeze: bool = False) -> sql.Composed:
    return sql.SQL("COPY {table} ({columns}) FROM STDIN{freeze}").format(
        table=sql.Identifier(table),
        columns=sql.SQL(", ").join(map(sql.Identifier, columns)),
        freeze=sql.SQL(" WITH (FREEZE)" if freeze else ""),
    )


def table_list(names) -> sql.Composed:
    """``a, b, c`` as quoted identifiers (TRUNCATE and ANALYZE take several tables)."""
    return sql.SQL(", ").join(map(sql.Identifier, names))


def load_rows(table: str, columns: tuple[str, ...], rows: Iterable[tuple]) -> int:
    """Append ``rows`` to ``table`` with one COPY stream and return how many were written.

    psycopg dumps each row in C, which is the fastest way in short of ready-made COPY text
    (``copy_text_chunks``); unlike ``bulk_create`` no model instances are built, and ``auto_now``
    does not overwrite timestamps the caller chose.
    """
    count = 0
    connection.ensure_connection()
    with connection.connection.cursor() as cursor:
        with cursor.copy(_copy_statement(table, columns)) as copy:
            write = copy.write_row
            for row in rows:
                write(row)
                count += 1
    return count


def copy_text_chunks(table: str, columns: tuple[str, ...], chunks: Iterable[str], *, freeze: bool = False) -> None:
    """Stream ready-made COPY text (tab-separated lines) into ``table``.

    For millions of rows: one ``write`` per chunk of thousands of lines rather than one call per
    row, and a queued writer sends each chunk from a background thread (libpq releases the GIL)
    while the next one is being generated, so Python and the server work at the same time.
    ``freeze`` (only right after ``deferred_indexes`` emptied the table in this transaction) writes
    the rows already frozen: no hint-bit rewrite of every page on the first reads, the index
    builds and foreign-key checks that follow.
    """
    from psycopg.copy import QueuedLibpqWriter

    connection.ensure_connection()
    with connection.connection.cursor() as cursor:
        # PostgreSQL refuses COPY FREEZE into a partitioned table (the rows go to its partitions, which
        # were not emptied themselves): such a table is loaded without it.
        cursor.execute("SELECT relkind FROM pg_class WHERE oid = %s::regclass", [table])
        freeze = freeze and cursor.fetchone()[0] != "p"
        with cursor.copy(_copy_statement(table, columns, freeze=freeze), writer=QueuedLibpqWriter(cursor)) as copy:
            for chunk in chunks:
                copy.write(chunk)


def _secondary_indexes(table: str) -> list[tuple[str, str]]:
    """(name, CREATE INDEX statement) of every index on ``table`` except those backing a
    constraint (the primary key, UNIQUE constraints): exactly as PostgreSQL itself reports them, except
    that the index of a partitioned table loses the ONLY pg_get_indexdef gives it (pg_dump's way of
    building one partition at a time): run with it, the statement would index the parent alone and
    leave every partition without; without it, it builds every partition's index."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT c.relname,
                   regexp_replace(pg_get_indexdef(i.indexrelid), '^(CREATE (UNIQUE )?INDEX \\S+ ON )ONLY ', '\\1')
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
        cursor.execute(sql.SQL("SELECT NOT EXISTS (SELECT 1 FROM {})").format(sql.Identifier(table)))
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
    """Drop the secondary indexes and foreign keys of ``model``'s table for a bulk load, and restore them after.
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
            cursor.execute(sql.SQL("ALTER TABLE {} DROP CONSTRAINT {}").format(sql.Identifier(table),
                                                                                 sql.Identifier(name)))
        for name, _ in indexes:
            cursor.execute(sql.SQL("DROP INDEX {}").format(sql.Identifier(name)))
        # An (already empty) table truncated in this transaction may be loaded with COPY FREEZE.
        # Tables referencing it must be named too; they were checked empty above, so nothing is lost.
        cursor.execute(sql.SQL("TRUNCATE {}").format(table_list((table, *referencing))))
    yield
    with connection.cursor() as cursor:
        # Index builds sort in memory when they can; SET LOCAL ends with the transaction.
        cursor.execute("SET LOCAL maintenance_work_mem = '1GB'")
        for name, definition in indexes:
            started = time.perf_counter()
            cursor.execute(definition)  # as pg_get_indexdef wrote it: names already quoted
            if log:
                log(f"  重建索引 {name}：{time.perf_counter() - started:.1f} 秒")
        for name, definition in foreign_keys:
            started = time.perf_counter()
            cursor.execute(sql.SQL("ALTER TABLE {} ADD CONSTRAINT {} {}").format(
                sql.Identifier(table), sql.Identifier(name), sql.SQL(definition)))
            if log:
                log(f"  校验外键 {name}：{time.perf_counter() - started:.1f} 秒")
        after = index_definitions(table)
        if after != before:
            raise RuntimeError(f"index definitions of {table} changed during the bulk load")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        cursor.execute(sql.SQL("ANALYZE {}").format(sql.Identifier(table)))
