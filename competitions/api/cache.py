"""The standings endpoints' caches: a few facts kept per process for seconds, and leaderboard pages.

Freshness across processes comes from the TTLs alone (a run is saved by the Celery worker, never by the
web process that serves the page): a new standings run shows within LATEST_TTL seconds (README), and a
leaderboard page is cached under the competition's latest run, so that run makes new keys.
"""

from __future__ import annotations

import threading
import time

from django.core.cache import cache

from competitions import standings
from competitions.api import reads

LATEST_TTL = 10


class TTLCache:
    """A few facts every standings request needs and that change rarely (a competition's status, the
    latest standings day and run), kept per process for ``ttl`` seconds: under load each saved round
    trip to PostgreSQL is worth more than the query itself."""

    def __init__(self, ttl: float):
        self.ttl = ttl
        self.values: dict = {}

    def get(self, key, load):
        now = time.monotonic()
        hit = self.values.get(key)
        if hit is not None and hit[0] > now:
            return hit[1]
        value = load()
        self.values[key] = (now + self.ttl, value)
        return value


class PageCache:
    """Leaderboard pages, in this process (``local_ttl`` seconds, at most ``size`` pages) in front of
    the shared cache (Redis in production; ``shared_ttl`` seconds). Keys carry the competition's latest
    succeeded standings run, so a run that publishes new rows makes new keys (the old pages are never
    read again and expire); what a cached page may still show stale is a worker's name, depot, team or
    job type changed since, for at most the two TTLs."""

    def __init__(self, *, local_ttl: float, shared_ttl: int, size: int):
        self.local_ttl, self.shared_ttl, self.size = local_ttl, shared_ttl, size
        self.values: dict = {}
        self.lock = threading.Lock()

    def get(self, key: str, load):
        now = time.monotonic()
        hit = self.values.get(key)
        if hit is not None and hit[0] > now:
            return hit[1]
        value = cache.get(key)
        if value is None:
            value = load()
            cache.set(key, value, self.shared_ttl)
        with self.lock:  # gthread's threads share the dict
            if len(self.values) >= self.size:
                for old in list(self.values)[: self.size // 2]:  # the oldest half
                    del self.values[old]
            self.values[key] = (now + self.local_ttl, value)
        return value


STATUS = TTLCache(ttl=LATEST_TTL)
LATEST_DAY = TTLCache(ttl=LATEST_TTL)
LATEST_RUN = TTLCache(ttl=LATEST_TTL)
PAGES = PageCache(local_ttl=30, shared_ttl=120, size=2000)


def latest_day(competition_id: int):
    return LATEST_DAY.get(competition_id, lambda: standings.latest_day(competition_id))


def latest_run(competition_id: int):
    return LATEST_RUN.get(competition_id, lambda: reads.latest_run_id(competition_id))


def clear_caches() -> None:
    STATUS.values.clear()
    LATEST_DAY.values.clear()
    LATEST_RUN.values.clear()
    PAGES.values.clear()
