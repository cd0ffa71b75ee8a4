"""The request-rate limit of every endpoint, shared by every gunicorn process, without a Redis round
trip per request.

DRF's AnonRateThrottle + UserRateThrottle keep a list of timestamps per client in the cache and read
and rewrite it on every request (a GET and a SET of a pickled list, through a Redis client Django
builds anew for each command): two to four round trips on the path of every API call.

This throttle counts requests in fixed windows of the rate's period (``"600/min"``: minutes) and
estimates the last period's count as a sliding window would: this window's count plus the previous
window's count weighted by how much of the previous window still falls within the period
("sliding window counter"). A refused request is not counted, as in DRF.

With Redis the counters live in Redis, and each process sends its requests' increments in batches:
a request is decided in memory, on the counts Redis returned at the last batch plus the process's own
requests since, and a batch (one pipelined round trip: INCRBY + EXPIRE of each counter that grew, GET of
the others the process watches) goes out when the last one is ``FLUSH_SECONDS`` old. So another
process's requests are seen at most that late. Once a client's estimate passes half its limit, each
of its requests sends the batch at once and is decided on the fresh count (and taken back if refused),
so the limit holds across processes where it matters. If Redis is unreachable, each process goes on
limiting on what it counts itself. With another cache backend (the in-process cache of tests and of
development without Redis) every request is counted through Django's cache API.

The limits stay in REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]: ``user`` per signed-in account, ``anon``
per client address (``NUM_PROXIES`` as in DRF) for requests without credentials.
"""

from __future__ import annotations

import logging
import math
import os
import threading
import time

from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import RedisError
from rest_framework.throttling import SimpleRateThrottle

logger = logging.getLogger(__name__)


class RateThrottle(SimpleRateThrottle):
    cache_alias = "default"
    cache_format = "throttle:%(scope)s:%(ident)s:%(window)d"

    def __init__(self):
        # The scope (and so the rate) depends on the request; see allow_request.
        self.wait_seconds = None

    def scope_and_ident(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            return "user", user.pk
        return "anon", self.get_ident(request)

    def allow_request(self, request, view):
        self.scope, ident = self.scope_and_ident(request)
        rate = self.THROTTLE_RATES.get(self.scope)
        if rate is None:
            return True
        limit, period = self.parse_rate(rate)
        now = self.timer()
        window = int(now // period)
        key = self.cache_format % {"scope": self.scope, "ident": ident, "window": window}
        previous_key = self.cache_format % {"scope": self.scope, "ident": ident, "window": window - 1}
        elapsed = now / period - window  # fraction of this window gone by
        allowed, current, previous = _counter(caches[self.cache_alias]).hit(
            key, previous_key, period=period, limit=limit, previous_weight=1 - elapsed)
        if not allowed:
            self.wait_seconds = _wait(limit, current, previous, elapsed, period)
        return allowed

    def wait(self):
        return self.wait_seconds


def _wait(limit: int, current: int, previous: int, elapsed: float, period: int) -> float:
    """Seconds until one more request fits, if no other arrives meanwhile (at least 1)."""
    if limit < 1:
        return period
    if current + 1 <= limit:
        # Within this window, once enough of the previous window has slid out.
        needed = 1 - (limit - current - 1) / previous if previous else elapsed
        seconds = (needed - elapsed) * period
    else:
        # In the next window, where this window's requests are the ones sliding out.
        needed = 1 - (limit - 1) / current
        seconds = (1 - elapsed + max(needed, 0)) * period
    return max(1, math.ceil(seconds))


class _CacheCounter:
    """Counters through Django's cache API (any backend)."""

    def __init__(self, cache):
        self.cache = cache

    def hit(self, key: str, previous_key: str, *, period: int, limit: int, previous_weight: float):
        """Counts a request; returns (allowed, this window's count, the previous window's count). A
        refused request is taken off the count again."""
        if self.cache.add(key, 1, 2 * period):
            current = 1
        else:
            try:
                current = self.cache.incr(key)
            except ValueError:  # expired in between
                self.cache.set(key, 1, 2 * period)
                current = 1
        previous = int(self.cache.get(previous_key) or 0)
        if previous * previous_weight + current <= limit:
            return True, current, previous
        try:
            self.cache.decr(key)
        except ValueError:
            pass
        return False, current - 1, previous


class _BatchedRedisCounter:
    """Counters in Redis, sent in batches (see the module's docstring). One per cache backend and
    process; the lock guards the bookkeeping against gthread's threads."""

    FLUSH_SECONDS = 0.1
    NEAR_LIMIT = 0.5

    def __init__(self, cache: RedisCache):
        self.cache = cache
        self.client = cache._cache.get_client(write=True)
        self.lock = threading.Lock()
        self._reset()

    def _reset(self) -> None:
        self.pid = os.getpid()
        self.pending: dict[str, int] = {}  # increments not sent yet
        self.known: dict[str, int] = {}  # counts as Redis returned them
        self.stale: set[str] = set()  # counters to read at the next batch
        self.expiry: dict[str, tuple[float, int]] = {}  # key -> (forget after, seconds to keep in Redis)
        self.last_flush = 0.0
        self.down_until = 0.0  # after a failure, Redis is tried again once a second at most

    def _estimate(self, key: str, previous_key: str, previous_weight: float) -> tuple[float, int, int]:
        current = self.known.get(key, 0) + self.pending.get(key, 0)
        previous = self.known.get(previous_key, 0)
        return previous * previous_weight + current, current, previous

    def hit(self, key: str, previous_key: str, *, period: int, limit: int, previous_weight: float):
        key, previous_key = self.cache.make_key(key), self.cache.make_key(previous_key)
        now = time.monotonic()
        with self.lock:
            if self.pid != os.getpid():  # a forked child starts afresh
                self._reset()
            if key not in self.expiry:
                self.expiry[key] = (now + 2 * period, 2 * period)
                self.stale.add(key)
            if previous_key not in self.expiry:  # the previous window's count is read once
                self.expiry[previous_key] = (now + period, 2 * period)
                self.stale.add(previous_key)
            estimate, current, previous = self._estimate(key, previous_key, previous_weight)
            if estimate + 1 > limit:
                # Counts only grow within a window: what this process knows is at most the truth.
                self.stale.add(key)
                return False, current, previous
            self.pending[key] = self.pending.get(key, 0) + 1
            near = estimate + 1 > self.NEAR_LIMIT * limit
            due = (near or now - self.last_flush >= self.FLUSH_SECONDS) and now >= self.down_until
        if not due or not self.flush() or not near:
            return True, current + 1, previous
        with self.lock:
            estimate, current, previous = self._estimate(key, previous_key, previous_weight)
            if estimate <= limit:
                return True, current, previous
            self.known[key] = self.known.get(key, 0) - 1
        self._send_safely(lambda: self.client.decr(key))
        return False, current - 1, previous

    def flush(self) -> bool:
        """Sends the pending increments and reads the counters to refresh; False if Redis failed."""
        with self.lock:
            now = time.monotonic()
            self.last_flush = now
            if len(self.expiry) > 2 * len(self.pending) + 1000:
                for key in [k for k, (forget, _ttl) in self.expiry.items() if forget < now]:
                    del self.expiry[key]
                    self.known.pop(key, None)
            sent, self.pending = self.pending, {}
            read, self.stale = self.stale - sent.keys(), set()
            ttl = {key: self.expiry[key][1] if key in self.expiry else 120 for key in sent}
        if not sent and not read:
            return True
        pipe = self.client.pipeline(transaction=False)
        for key, n in sent.items():
            pipe.incrby(key, n)
            pipe.expire(key, ttl[key])
        for key in read:
            pipe.get(key)
        replies = self._send_safely(pipe.execute)
        with self.lock:
            if replies is None:  # go on counting here; send them with the next batch
                for key, n in sent.items():
                    self.pending[key] = self.pending.get(key, 0) + n
                self.stale |= read
                return False
            for key, value in zip(sent, replies[0:2 * len(sent):2], strict=True):
                self.known[key] = value
            for key, value in zip(read, replies[2 * len(sent):], strict=True):
                self.known[key] = int(value or 0)
        return True

    def _send_safely(self, command):
        try:
            reply = command()
        except (RedisError, OSError):
            if not self.down_until:
                logger.warning("throttle counters: Redis unreachable, limiting per process meanwhile", exc_info=True)
            self.down_until = time.monotonic() + 1
            return None
        if self.down_until:
            logger.warning("throttle counters: Redis reachable again")
            self.down_until = 0.0
        return reply


def _counter(cache):
    counter = getattr(cache, "_rate_throttle_counter", None)
    if counter is None:
        counter = _BatchedRedisCounter(cache) if isinstance(cache, RedisCache) else _CacheCounter(cache)
        cache._rate_throttle_counter = counter
    return counter
