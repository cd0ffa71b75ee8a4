"""The request-rate limit of every endpoint: one cache round trip per request.

DRF's AnonRateThrottle + UserRateThrottle keep a list of timestamps per client in the cache and read
and rewrite it on every request (a GET and a SET of a pickled list, through a Redis client Django
builds anew for each command): two to four round trips on the path of every API call.

This throttle counts requests in fixed windows of the rate's period (``"600/min"``: minutes) and
estimates the last period's count as a sliding window would: this window's count plus the previous
window's count weighted by how much of the previous window still falls within the period
("sliding window counter"). With Redis that is one pipelined round trip (INCR this window's counter,
EXPIRE it, GET the previous window's counter), shared by every gunicorn process; with another cache
backend (the in-process cache of tests and of development without Redis) the same through Django's
cache API. A refused request is taken off the count again, as DRF does not count refused requests.

The limits stay in REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]: ``user`` per signed-in account, ``anon``
per client address (``NUM_PROXIES`` as in DRF) for requests without credentials.
"""

from __future__ import annotations

import math

from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from rest_framework.throttling import SimpleRateThrottle


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
        counter = _counter(caches[self.cache_alias])
        current, previous = counter.hit(key, previous_key, period)
        elapsed = now / period - window  # fraction of this window gone by
        if previous * (1 - elapsed) + current <= limit:
            return True
        counter.undo(key)
        self.wait_seconds = _wait(limit, current - 1, previous, elapsed, period)
        return False

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

    def hit(self, key: str, previous_key: str, period: int) -> tuple[int, int]:
        if self.cache.add(key, 1, 2 * period):
            current = 1
        else:
            try:
                current = self.cache.incr(key)
            except ValueError:  # expired in between
                self.cache.set(key, 1, 2 * period)
                current = 1
        return current, int(self.cache.get(previous_key) or 0)

    def undo(self, key: str) -> None:
        try:
            self.cache.decr(key)
        except ValueError:
            pass


class _RedisCounter:
    """Counters in Redis: one pipelined round trip per request, on one client kept per cache backend
    (Django's RedisCache builds a new client object for every command)."""

    def __init__(self, cache: RedisCache):
        self.cache = cache
        self.client = cache._cache.get_client(write=True)

    def hit(self, key: str, previous_key: str, period: int) -> tuple[int, int]:
        key, previous_key = self.cache.make_key(key), self.cache.make_key(previous_key)
        pipe = self.client.pipeline(transaction=False)
        pipe.incr(key)
        pipe.expire(key, 2 * period)
        pipe.get(previous_key)
        current, _expire, previous = pipe.execute()
        return current, int(previous or 0)

    def undo(self, key: str) -> None:
        self.client.decr(self.cache.make_key(key))


def _counter(cache):
    counter = getattr(cache, "_rate_throttle_counter", None)
    if counter is None:
        counter = _RedisCounter(cache) if isinstance(cache, RedisCache) else _CacheCounter(cache)
        cache._rate_throttle_counter = counter
    return counter
