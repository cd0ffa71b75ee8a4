"""The request-rate limit (config/api/throttling.py): per account, per address without credentials, a
sliding estimate over fixed windows, and the same through Redis in batches shared by processes."""

import os
import time
import uuid

import pytest
from django.core.cache import caches
from rest_framework import throttling
from rest_framework.test import APIRequestFactory

from config.api.throttling import RateThrottle

pytestmark = pytest.mark.django_db


@pytest.fixture
def rates(settings):
    """Sets REST_FRAMEWORK rates for the test (DRF reads them into a class attribute at import)."""
    def set_rates(**new):
        rates = {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], **new}
        throttling.SimpleRateThrottle.THROTTLE_RATES = rates
    yield set_rates
    from rest_framework.settings import api_settings

    throttling.SimpleRateThrottle.THROTTLE_RATES = api_settings.DEFAULT_THROTTLE_RATES


def test_signed_in_requests_are_limited_per_account(api, w, rates):
    rates(user="3/min")
    url = f"/api/v1/competitions/{w.comp.pk}/"
    assert [api.worker.get(url).status_code for _ in range(3)] == [200, 200, 200]
    refused = api.worker.get(url)
    assert refused.status_code == 429
    assert refused.json()["error"]["code"] == "throttled"
    assert refused.json()["error"]["details"]["retry_after"] >= 1 and int(refused["Retry-After"]) >= 1
    # refused requests are not counted: still refused, not worse; and another account is not affected
    assert api.worker.get(url).status_code == 429
    assert api.other_worker.get(url).status_code == 200


class Clock:
    def __init__(self, now: float):
        self.now = now

    def __call__(self):
        return self.now


def make_throttle(cache_alias: str, clock: Clock) -> RateThrottle:
    throttle = RateThrottle()
    throttle.cache_alias = cache_alias
    throttle.timer = clock
    return throttle


def anon_request(address: str):
    from django.contrib.auth.models import AnonymousUser

    request = APIRequestFactory().get("/api/v1/schema/", REMOTE_ADDR=address)
    request.user = AnonymousUser()
    return request


def sliding_window_checks(cache_alias: str, rates) -> None:
    rates(anon="10/min")
    address = f"10.9.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}"
    clock = Clock(600 * 60 + 30)  # half way through a minute

    def allowed(n: int) -> list[bool]:
        return [make_throttle(cache_alias, clock).allow_request(anon_request(address), None) for _ in range(n)]

    assert allowed(12) == [True] * 10 + [False] * 2
    throttle = make_throttle(cache_alias, clock)
    assert not throttle.allow_request(anon_request(address), None)
    # the 10 of this window move to the next one: at 3/4 of it a quarter of them (2.5) still count
    assert 30 <= throttle.wait() <= 60
    clock.now += 30 + 45  # 3/4 into the next minute
    assert allowed(8) == [True] * 7 + [False]
    clock.now += 15 + 60  # two windows later: nothing counts
    assert allowed(10) == [True] * 10
    # another address has its own count
    assert make_throttle(cache_alias, clock).allow_request(anon_request("10.250.0.1"), None)


def test_sliding_window_with_the_in_process_cache(rates):
    sliding_window_checks("default", rates)


@pytest.fixture
def redis_cache(settings):
    """The shared Redis under a key prefix of this test's own."""
    settings.CACHES = {**settings.CACHES, "throttle-test": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": os.environ["REDIS_URL"],
        "KEY_PREFIX": f"test-throttle-{uuid.uuid4().hex}"}}
    cache = caches["throttle-test"]
    client = cache._cache.get_client(write=True)
    yield cache
    for key in client.scan_iter(match=f"{cache.key_prefix}*"):
        client.delete(key)


needs_redis = pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs REDIS_URL")


@needs_redis
def test_sliding_window_through_redis(redis_cache, rates):
    sliding_window_checks("throttle-test", rates)


@needs_redis
def test_redis_counts_are_batched_and_shared_by_processes(redis_cache, monkeypatch):
    from config.api.throttling import _BatchedRedisCounter

    a, b = _BatchedRedisCounter(redis_cache), _BatchedRedisCounter(redis_cache)  # two gunicorn processes
    for process in (a, b):
        process.FLUSH_SECONDS = 3600  # batches only when asked, or near a limit
        process.client.ping()
        process.last_flush = time.monotonic()
    connection_class = a.client.connection_pool.connection_class
    original, sent = connection_class.send_packed_command, []

    def counting(self, command, *args, **kwargs):
        sent.append(command)
        return original(self, command, *args, **kwargs)

    monkeypatch.setattr(connection_class, "send_packed_command", counting)

    def hit(process, limit=100):
        return process.hit("k", "k-previous", period=60, limit=limit, previous_weight=0.5)[0]

    a.flush()
    sent.clear()
    assert all(hit(a) for _ in range(20))
    assert sent == []  # far from the limit: decided in memory
    a.flush()
    assert len(sent) == 1  # one batch: INCRBY, EXPIRE, GETs in one write
    assert int(redis_cache.get("k")) == 20
    sent.clear()
    assert hit(b) and sent == []  # the other process counts its request in memory
    b.flush()  # and has the shared count after its next batch
    assert b.known[redis_cache.make_key("k")] == 21
    # Near the limit every request is decided on Redis' count: the two processes together stop at it.
    allowed = [hit(process, limit=50) for _ in range(20) for process in (a, b)]
    assert allowed.count(True) == 29 and int(redis_cache.get("k")) == 50
    assert not hit(a, limit=50) and not hit(b, limit=50)


@needs_redis
def test_without_redis_each_process_limits_on_its_own(settings, rates):
    settings.CACHES = {**settings.CACHES, "throttle-down": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://127.0.0.1:1/0"}}
    rates(anon="5/min")
    clock = Clock(1000.0)
    assert [make_throttle("throttle-down", clock).allow_request(anon_request("10.7.0.1"), None)
            for _ in range(7)] == [True] * 5 + [False] * 2
