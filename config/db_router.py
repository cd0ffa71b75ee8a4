"""Which database a query goes to: reads that may be a few seconds old on a streaming replica, everything
else on the primary.

With ``DATABASE_REPLICA_URLS`` unset (settings.DATABASE_REPLICAS empty) every query goes to ``default``, as
on one machine. With replicas:

* **What may go to a replica.** Reads of the models in REPLICA_MODELS (the standings, their days and
  period standings, and the catalog: competitions, job types, scoring rules), and only inside a
  GET/HEAD/OPTIONS request, which ReplicaReadsMiddleware marks. The API's hot reads and the leaderboards
  are raw SQL (competitions.standings.reads, competitions.api.reads): they ask
  ``router.db_for_read(Standing)`` for their connection, the same decision. Entries, workers, accounts,
  sessions, jobs and runs always read the primary: a person acts on them right after writing them. So do
  units and business systems, although catalog: they carry who may see what (a unit's clerks and union
  officers, a business system's reviewers, members.scope), and a permission taken away must not go on
  working for the seconds a replica is behind. (They are small tables; the replicas' gain is the
  standings.)
* **Always the primary.** Every write (db_for_write); every read inside transaction.atomic (it must see
  the transaction's own writes; select_for_update is a write query anyway); everything outside a
  request: Celery tasks (standings runs, jobs), management commands, the shell.
* **Read your own writes.** A request with an unsafe method (POST, PUT, PATCH, DELETE) reads the primary
  throughout, and afterwards its user is pinned to the primary for ``pin_seconds()``: a mark with that
  expiry in the shared cache (Redis), keyed by the user, so it holds for the portal's session and for API
  clients alike (a mobile client keeps no cookies), and on every host and device of that user. The
  window is the lag bound plus how long a lag check is trusted: a replica used after it has replayed the
  write. Without Redis the mark is lost (config.cache: a miss), and reads fall back to "at most the lag
  bound old".
* **Lag.** A replica is used while its replay is at most settings.DATABASE_REPLICA_MAX_LAG_SECONDS
  behind: caught up when it has replayed the primary's current WAL position (read first), otherwise behind
  by the age of the last transaction it replayed. (That age alone would grow on an idle primary, where
  nothing is left to replay; the position comparison says "caught up" there.) The answer is kept in
  process memory for CHECK_SECONDS, so a request pays no query for it, one request in a few seconds
  pays two small ones. Clocks of the primary and the replica's host are assumed in step (NTP).
* **Down.** A replica that cannot be reached is skipped for DOWN_SECONDS; a read that fails on a replica
  in the middle of a request (it stopped, or cancelled the query to replay a conflicting change) is sent
  again to the primary by the middleware: never a 500 because of a replica.
"""

from __future__ import annotations

import logging
import math
import random
import time
from contextvars import ContextVar
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, DatabaseError, InterfaceError, OperationalError, connections
from psycopg.errors import QueryCanceled

log = logging.getLogger(__name__)

# Read-only to a request: written by the nightly run and Celery jobs, or catalog that staff edit rarely
# (and then read their own edit from the primary; others may see an edit, a competition's status among
# them, up to the lag bound late).
REPLICA_MODELS = frozenset({
    "competitions.standing",
    "competitions.standingday",
    "competitions.periodsnapshot",
    "competitions.periodstanding",
    "competitions.competition",
    "competitions.standingscompetition",
    "competitions.organizer",
    "competitions.jobtype",
    "competitions.scoringrule",
    "competitions.ruleversion",
})
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CHECK_SECONDS = 2.0
REPLAY_POLLS, REPLAY_POLL_SECONDS = 4, 0.01
DOWN_SECONDS = 15.0
PIN_KEY = "db:primary-until:{}"

# alias -> (time.monotonic() until which the answer holds, usable)
_health: dict[str, tuple[float, bool]] = {}


@dataclass
class _Reads:
    """A safe request whose replica-eligible reads may go to a replica; ``alias`` is decided at its first
    such read and kept, so one page reads one database."""

    request: object
    alias: str | None = None


_reads: ContextVar[_Reads | None] = ContextVar("replica_reads", default=None)


def pin_seconds() -> int:
    return math.ceil(settings.DATABASE_REPLICA_MAX_LAG_SECONDS + CHECK_SECONDS) + 1


def pin_to_primary(user) -> None:
    """``user``'s reads go to the primary for pin_seconds(): they just wrote."""
    cache.set(PIN_KEY.format(user.pk), 1, timeout=pin_seconds())


def _pinned(request) -> bool:
    user = getattr(request, "user", None)
    return user is not None and user.is_authenticated and cache.get(PIN_KEY.format(user.pk)) is not None


def read_alias() -> str:
    """The database a replica-eligible read goes to now (see the module's docstring)."""
    if not settings.DATABASE_REPLICAS:
        return DEFAULT_DB_ALIAS
    reads = _reads.get()
    if reads is None or connections[DEFAULT_DB_ALIAS].in_atomic_block:
        return DEFAULT_DB_ALIAS
    if reads.alias is None:
        usable = [] if _pinned(reads.request) else [a for a in settings.DATABASE_REPLICAS if replica_usable(a)]
        reads.alias = random.choice(usable) if usable else DEFAULT_DB_ALIAS
    return reads.alias


def replica_usable(alias: str) -> bool:
    """Whether ``alias`` answers and is within the lag bound, as last checked (at most CHECK_SECONDS ago)."""
    now = time.monotonic()
    known = _health.get(alias)
    if known is not None and known[0] > now:
        return known[1]
    lag = replica_lag(alias)
    if lag is None:
        _health[alias] = (now + DOWN_SECONDS, False)
        return False
    usable = lag <= settings.DATABASE_REPLICA_MAX_LAG_SECONDS
    if not usable and (known is None or known[1]):  # once when it falls behind, not every check
        log.warning("replica %s is %.1f s behind; reading from the primary", alias, lag)
    _health[alias] = (now + CHECK_SECONDS, usable)
    return usable


def forget_replica_health() -> None:
    """Check every replica again at its next use (tests, and after a failover)."""
    _health.clear()


def replica_lag(alias: str) -> float | None:
    """Seconds ``alias`` replays behind the primary; ``math.inf`` if it is behind with no replayed
    transaction to date the gap; None if it cannot be reached or is not a replica (a promoted one has left
    the primary's timeline).

    Caught up means it has replayed the primary's WAL position as read first: 0 at once, or the time it
    took when it gets there within a few quick polls (a busy primary, or an idle one whose checkpoints
    and autovacuum still write a little WAL, is always a few milliseconds ahead). Otherwise, the age of the
    last transaction it replayed: nothing committed after it has reached the replica's readers."""
    started = time.monotonic()
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute("SELECT pg_current_wal_lsn()::text")
        primary_lsn = cursor.fetchone()[0]
    replica = connections[alias]
    for poll in range(REPLAY_POLLS):
        if poll:
            time.sleep(REPLAY_POLL_SECONDS)
        try:
            with replica.cursor() as cursor:
                cursor.execute(
                    "SELECT pg_is_in_recovery(), pg_last_wal_replay_lsn() >= %s::pg_lsn,"
                    " EXTRACT(EPOCH FROM clock_timestamp() - pg_last_xact_replay_timestamp())::float8",
                    [primary_lsn])
                in_recovery, caught_up, age = cursor.fetchone()
        except DatabaseError as exc:
            log.warning("replica %s cannot be reached: %s", alias, exc)
            _close(alias)
            return None
        if not in_recovery:
            log.warning("replica %s is not in recovery; not reading from it", alias)
            return None
        if caught_up:
            return 0.0 if poll == 0 else time.monotonic() - started
    return math.inf if age is None else max(age, 0.0)


def _close(alias: str) -> None:
    try:
        connections[alias].close()
    except DatabaseError:
        pass  # already broken: the next use opens a fresh connection


class PrimaryReplicaRouter:
    """settings.DATABASE_ROUTERS: the module's rules. Every alias holds the same data (replicas copy the
    primary), so relations between objects read from different aliases are allowed, and an object read
    from a replica saves to the primary."""

    def db_for_read(self, model, **hints):
        if model._meta.label_lower in REPLICA_MODELS:
            return read_alias()
        return DEFAULT_DB_ALIAS

    def db_for_write(self, model, **hints):
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints):
        return True

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        # Replicas are read-only copies: migrations reach them through the primary's WAL.
        return None if db == DEFAULT_DB_ALIAS else False


class ReplicaReadsMiddleware:
    """Marks a safe request's reads as allowed on a replica; pins the user of an unsafe one to the primary;
    retries on the primary a safe request whose read failed on a replica."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not settings.DATABASE_REPLICAS:
            return self.get_response(request)
        if request.method not in SAFE_METHODS:
            response = self.get_response(request)
            user = getattr(request, "user", None)
            if user is not None and user.is_authenticated:
                pin_to_primary(user)
            return response
        token = _reads.set(_Reads(request))
        try:
            return self.get_response(request)
        finally:
            _reads.reset(token)

    def process_exception(self, request, exception):
        reads = _reads.get()
        if reads is None or reads.alias in (None, DEFAULT_DB_ALIAS):
            return None
        if not isinstance(exception, OperationalError | InterfaceError):
            return None
        # A statement timeout is the request's own slowness, answered by db_health's 503, not a replica fault.
        if isinstance(exception.__cause__, QueryCanceled) or not connections[reads.alias].errors_occurred:
            return None
        log.warning("read on replica %s failed (%s); answering %s from the primary", reads.alias, exception,
                    request.path)
        _health[reads.alias] = (time.monotonic() + DOWN_SECONDS, False)
        _close(reads.alias)
        reads.alias = DEFAULT_DB_ALIAS
        return self.get_response(request)
