"""The monthly partitions of the work entries (reviews_workentry, partitioned by range of ``work_date``).

One partition per calendar month, named ``reviews_workentry_pYYYYMM``: a month's approval, sign-off,
flags, vacuum and index maintenance touch that month's partition only. There is no DEFAULT partition:
a row dated in a month without a partition is refused by PostgreSQL ("no partition … found for row"),
which the entry services turn into a clear message (``missing_partition_day``), so no entry lands where
nobody looks for it and a later month's partition can always be attached without scanning a default one.

Partitions are made ahead of time, by ``entry_partitions_ensure``:

* every night by the beat task ``reviews.tasks.create_entry_partitions``: this month and the next
  ``AHEAD_MONTHS`` (entries are never dated in the future, so the current month is the one that must exist);
* when a competition is saved (``Competition.save``): the months of its dates (up to ``AHEAD_MONTHS`` past
  this month, at most ``MAX_MONTHS`` of them), so a competition's entries, including late ones for
  its first months, have somewhere to go;
* by the migration that partitioned the table: every month with entries, and the above.

Why this and not pg_partman: pg_partman is an extension only a superuser can create in a database, and
the portal's role (and the test databases it creates) is not one; its background worker also needs a
server setting. What is needed here is small: create missing monthly partitions, never drop any.

A new partition is created as a plain table with the parent's columns and CHECK constraints and
fillfactor 45 (approvals are HOT updates, see WorkEntry and FILLFACTOR), then ATTACHed: ATTACH takes only a SHARE UPDATE
EXCLUSIVE lock on the parent, so entering and reading entries go on meanwhile (CREATE TABLE … PARTITION
OF would lock the whole table), and the parent's indexes are built on the empty table as it attaches.
"""

from __future__ import annotations

import re
from datetime import date

from django.db import IntegrityError
from django.db import connection as default_connection
from psycopg import errors as pg_errors
from psycopg import sql

from config.months import month_bounds, month_of, months_between, next_month

TABLE = "reviews_workentry"
# The share of each page that inserts fill, leaving the rest for the new versions of its rows when their month
# is approved (a HOT update: same page, no index touched). An approval also sets reviewed_by and reviewed_at,
# empty until then, so each new version is 16 bytes wider than the row it replaces. At 50, a page filled with
# ~21 rows of ~190 bytes has ~4,100 bytes free and their ~21 new versions of ~210 bytes do not all fit: 8% of a
# 740,000-entry month's updates went to other pages and inserted into all ten indexes, 0.2 s of every 74,000
# (bench/entries.py: 9.6-10.2 s for the month, 7.7-8.1 s at 45 with every update HOT). At 45 the new versions
# fit for any row of 75 bytes or more (every entry has more); the table is 11% larger than at 50.
FILLFACTOR = 45
AHEAD_MONTHS = 3
# A competition's months get partitions up to this many (its latest ones), so a mistyped date range
# (year 9999) cannot create thousands of empty tables; an entry dated earlier is refused with a message.
MAX_MONTHS = 120
# Any two processes creating partitions take this transaction-level advisory lock first, so that both
# cannot create the same month (the second would fail on the name); the number is arbitrary but fixed.
LOCK_KEY = 0x7265_7669_6577_7331  # "reviews1"
NAME = re.compile(rf"^{TABLE}_p(\d{{4}})(\d{{2}})$")

_PARTITIONS = sql.SQL("""
SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
WHERE i.inhparent = {table}::regclass
""").format(table=sql.Literal(TABLE))


def partition_name(month: date) -> str:
    return f"{TABLE}_p{month:%Y%m}"


def partition_months(*, connection=default_connection) -> set[date]:
    """The months that have a partition."""
    with connection.cursor() as cursor:
        cursor.execute(_PARTITIONS.as_string(cursor.connection))
        names = [row[0] for row in cursor.fetchall()]
    return {date(int(m[1]), int(m[2]), 1) for m in map(NAME.match, names) if m}


def create_partition(month: date, *, log_triggers: bool = True) -> list[sql.Composed]:
    """The statements that create and attach ``month``'s partition (see the module's docstring), with the entries'
    log triggers for statements that name it (reviews/sql/entry_log.sql). ``log_triggers=False``: without them,
    for the migration that partitioned the table, which installs the log (and so every partition's) after."""
    from reviews.entry_log import PARTITION_FUNCTION

    name, (first, following) = sql.Identifier(partition_name(month)), month_bounds(month)
    statements = [
        sql.SQL("CREATE TABLE {} (LIKE {} INCLUDING DEFAULTS INCLUDING CONSTRAINTS) WITH (fillfactor = {})").format(
            name, sql.Identifier(TABLE), sql.Literal(FILLFACTOR)),
        sql.SQL("ALTER TABLE {} ATTACH PARTITION {} FOR VALUES FROM ({}) TO ({})").format(
            sql.Identifier(TABLE), name, sql.Literal(first.isoformat()), sql.Literal(following.isoformat())),
    ]
    if log_triggers:
        statements.append(sql.SQL("SELECT {}({}::regclass)").format(
            sql.Identifier(PARTITION_FUNCTION), sql.Literal(partition_name(month))))
    return statements


def entry_partitions_ensure(months, *, connection=default_connection) -> list[date]:
    """Creates the partitions of ``months`` (first days) that are missing; returns the months created.
    Reads the catalog first, so when every month exists (nearly always) it takes no lock at all."""
    wanted = {month_of(m) for m in months}
    if not wanted or wanted <= partition_months(connection=connection):
        return []
    with connection.cursor() as cursor:
        if connection.in_atomic_block:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK_KEY])
            return _create_missing(cursor, wanted, connection)
    from django.db import transaction

    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK_KEY])
        return _create_missing(cursor, wanted, connection)


def _create_missing(cursor, wanted: set[date], connection) -> list[date]:
    missing = sorted(wanted - partition_months(connection=connection))  # again, under the lock
    for month in missing:
        for statement in create_partition(month):
            cursor.execute(statement.as_string(cursor.connection))
    return missing


def months_ahead(today: date, ahead: int = AHEAD_MONTHS) -> list[date]:
    """This month and the ``ahead`` months after it."""
    months = [month_of(today)]
    for _step in range(ahead):
        months.append(next_month(months[-1]))
    return months


def months_for_dates(first: date, last: date, *, today: date) -> list[date]:
    """The months a competition from ``first`` to ``last`` needs now: up to AHEAD_MONTHS past this month
    (no entry is dated in the future; the nightly task adds the rest as time goes on), the latest
    MAX_MONTHS of them."""
    last = min(last, months_ahead(today)[-1])
    return months_between(first, last)[:MAX_MONTHS]


def missing_partition_day(error: IntegrityError) -> date | None:
    """The work date of the row PostgreSQL could not route to a partition, when that is what ``error`` is
    (SQLSTATE 23514 with "no partition of relation"); None for any other integrity error."""
    cause = error.__cause__
    if not isinstance(cause, pg_errors.CheckViolation) or not (cause.diag.message_primary or "").startswith(
            "no partition of relation"):
        return None
    found = re.search(r"\((\d{4}-\d{2}-\d{2})\)", cause.diag.message_detail or "")
    return date.fromisoformat(found[1]) if found else date.min
