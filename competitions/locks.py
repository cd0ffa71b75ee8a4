"""PostgreSQL advisory locks, so two recomputes of one competition never overlap."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import DatabaseError, connection

logger = logging.getLogger(__name__)

# The first half of the two-int advisory lock key: "standings" for every lock taken here, so these
# locks never collide with another feature's that uses the competition id as its second half.
STANDINGS_LOCK_CLASS = 0x5354  # "ST"
# The approval log's lock (competitions.standings.approvals): a transaction writing a competition's approval
# rows holds it shared until it ends (the entries' log trigger takes it); a run closing the competition's
# open segment takes it exclusive, so it waits for them and no row is written into a segment once closed.
APPROVAL_LOG_LOCK_CLASS = 0x5341  # "SA"


@contextmanager
def standings_lock(competition_id: int) -> Iterator[bool]:
    """Yields True when this process now holds the competition's standings lock, False when another
    run holds it. It does not wait: a run that finds the lock taken is recorded as skipped, because the
    run in progress already covers the same changes and the next scheduled run picks up anything newer;
    queueing a second one behind it would only repeat the work.

    A session lock (not a transaction lock) so that it is held *before* the run's REPEATABLE READ
    snapshot is taken: the snapshot then includes everything the previous run committed. It is
    released in ``finally``, and by PostgreSQL if the connection dies.
    """
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [STANDINGS_LOCK_CLASS, competition_id])
        acquired = cursor.fetchone()[0]
    try:
        yield acquired
    finally:
        if acquired:
            try:
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [STANDINGS_LOCK_CLASS, competition_id])
            except DatabaseError:
                # The connection broke (that is probably why we are here): the server released the lock
                # with the session. Close it so the next use opens a fresh one, and keep the first error.
                logger.warning("standings lock of competition %s: unlock failed; closing the connection",
                               competition_id, exc_info=True)
                connection.close()


def standings_lock_until_commit(competition_id: int) -> bool:
    """Takes the competition's standings lock for the rest of the current transaction, without waiting;
    False when a run holds it. For a write that must exclude runs until it commits (deleting the
    competition drops the partitions a run writes into)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s, %s)", [STANDINGS_LOCK_CLASS, competition_id])
        return cursor.fetchone()[0]


def standings_lock_holders(competition_ids) -> dict[int, int]:
    """{competition id: backend pid of the session holding its standings lock}, for those of
    ``competition_ids`` whose lock is held right now. Reads pg_locks, so unlike trying the lock it never
    makes a run that starts at the same moment find the lock taken and skip."""
    with connection.cursor() as cursor:
        # A two-int advisory key shows as classid (first half), objid (second half), objsubid 2. pg_locks
        # lists the whole server's locks; advisory keys are per database, and another database on the
        # server (a staging copy, another test process) holds keys of the same numbers.
        cursor.execute("SELECT objid::bigint, pid FROM pg_locks"
                       " WHERE locktype = 'advisory' AND granted AND objsubid = 2 AND classid::bigint = %s"
                       "   AND objid::bigint = ANY(%s)"
                       "   AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
                       [STANDINGS_LOCK_CLASS, list(competition_ids)])
        return dict(cursor.fetchall())


def live_backends(pids) -> set[int]:
    """Those of ``pids`` that are PostgreSQL backends still connected now."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pid FROM pg_stat_activity WHERE pid = ANY(%s)", [list(pids)])
        return {pid for (pid,) in cursor.fetchall()}
