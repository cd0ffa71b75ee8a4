"""The request-rate limit of every endpoint: one cache round trip per request.

DRF's AnonRateThrottle + UserRateThrottle keep a list of timestamps per client in the cache and read
and rewrite it on every request (a GET and a SET of a pickled list, through a Redis client Django
builds anew for each command): two to four round trips on the path of every API call.

This throttle counts requests in fixed windows of the rate's period (``"600/min"``: minutes) and
estimates the last period's count as a sliding window would: this window's count plus the previous
window's count weighted by how much of the previous window still falls within the period
("sliding window counter"). With Redis that is one round trip, a Lua script (INCR this window's
counter, set its expiry, GET the previous window's, decide), shared by every gunicorn process; with
another cache backend (the in-process cache of tests and of development without Redis) the same
through Django's cache API. A refused request is taken off the count again, as DRF does not count
refused requests.

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
    # {…}: both windows' keys in one Redis Cluster slot (the script touches both).
    cache_format = "throttle:{%(scope)s:%(ident)s}:%(window)d"

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


# The same in Redis, atomically, in one round trip.
_SCRIPT = """
local current = redis.call('INCR', KEYS[1])
if current == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
local previous = tonumber(redis.call('GET', KEYS[2]) or '0')
if previous * tonumber(ARGV[2]) + current <= tonumber(ARGV[3]) then
    return {1, current, previous}
end
redis.call('DECR', KEYS[1])
return {0, current - 1, previous}
"""


class _RedisCounter:
    """Counters in Redis: one script call (EVALSHA) per request, on one client kept per cache backend
    (Django's RedisCache builds a new client object for every command)."""

    def __init__(self, cache: RedisCache):
        self.cache = cache
        client = cache._cache.get_client(write=True)
        self.script = client.register_script(_SCRIPT)

    def hit(self, key: str, previous_key: str, *, period: int, limit: int, previous_weight: float):
        allowed, current, previous = self.script(
            keys=[self.cache.make_key(key), self.cache.make_key(previous_key)],
            args=[2 * period, repr(previous_weight), limit])
        return bool(allowed), current, previous


def _counter(cache):
    counter = getattr(cache, "_rate_throttle_counter", None)
    if counter is None:
        counter = _RedisCounter(cache) if isinstance(cache, RedisCache) else _CacheCounter(cache)
        cache._rate_throttle_counter = counter
    return counter
