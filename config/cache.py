"""The shared cache: Redis, but never a reason for a request to fail.

Everything the portal keeps in the cache is a copy or a hint (leaderboard pages, login-failure counts,
the debounce of the flag recompute): PostgreSQL holds the truth. So when Redis is unreachable a read is
a miss and a write is dropped, and logins, pages and API reads go on from the database. A subclass of
Django's own backend rather than django-redis's ``IGNORE_EXCEPTIONS``: one Redis client for the whole
project (the API's rate limit talks to this backend's client directly, config/api/throttling.py), and
no second library for the thirty lines below.

After a failure Redis is not tried again for ``RETRY_SECONDS``, so that while it is down (or a
firewall drops its packets) each request does not wait out a connect timeout per cache call.
"""

from __future__ import annotations

import logging
import time

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

RETRY_SECONDS = 1.0
# Connect and command timeouts (seconds) unless the settings' OPTIONS say otherwise: a stalled Redis
# costs a request at most this much, once per RETRY_SECONDS.
SOCKET_TIMEOUTS = {"socket_connect_timeout": 0.5, "socket_timeout": 0.5}


class TolerantRedisCache(RedisCache):
    """Django's RedisCache whose failures are misses (reads) and no-ops (writes), logged once per outage."""

    def __init__(self, server, params):
        params = {**params, "OPTIONS": {**SOCKET_TIMEOUTS, **params.get("OPTIONS", {})}}
        super().__init__(server, params)
        self._down_until = 0.0

    def _tolerant(self, command, fallback):
        if self._down_until > time.monotonic():
            return fallback
        try:
            result = command()
        except (RedisError, OSError):
            if not self._down_until:
                logger.warning("cache: Redis unreachable, serving from the database meanwhile", exc_info=True)
            self._down_until = time.monotonic() + RETRY_SECONDS
            return fallback
        if self._down_until:
            logger.warning("cache: Redis reachable again")
            self._down_until = 0.0
        return result

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        # False, as for a key someone else holds: whoever debounces on add() does not act twice.
        return self._tolerant(lambda: super(TolerantRedisCache, self).add(key, value, timeout, version), False)

    def get(self, key, default=None, version=None):
        return self._tolerant(lambda: super(TolerantRedisCache, self).get(key, default, version), default)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        self._tolerant(lambda: super(TolerantRedisCache, self).set(key, value, timeout, version), None)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return self._tolerant(lambda: super(TolerantRedisCache, self).touch(key, timeout, version), False)

    def delete(self, key, version=None):
        return self._tolerant(lambda: super(TolerantRedisCache, self).delete(key, version), False)

    def get_many(self, keys, version=None):
        return self._tolerant(lambda: super(TolerantRedisCache, self).get_many(keys, version), {})

    def has_key(self, key, version=None):
        return self._tolerant(lambda: super(TolerantRedisCache, self).has_key(key, version), False)

    def incr(self, key, delta=1, version=None):
        # A counter that cannot be counted reads as the first of its window.
        return self._tolerant(lambda: super(TolerantRedisCache, self).incr(key, delta, version), delta)

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        return self._tolerant(lambda: super(TolerantRedisCache, self).set_many(data, timeout, version), list(data))

    def delete_many(self, keys, version=None):
        self._tolerant(lambda: super(TolerantRedisCache, self).delete_many(keys, version), None)

    def clear(self):
        return self._tolerant(lambda: super(TolerantRedisCache, self).clear(), False)
