"""Settings of the API benchmark's server: the production stack (DEBUG off, PostgreSQL, Redis cache
for the throttles) with one extra URL, a bare Django view, as the yardstick."""

from config.settings.base import *  # noqa: F403
from config.settings.base import REST_FRAMEWORK

DEBUG = False
ROOT_URLCONF = "bench.api_urls"
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
# Throttling stays on (every request pays its cache round trip, as in production); the limits are
# raised so that the load generator's few accounts are not refused.
REST_FRAMEWORK = {**REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {
    **REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "anon": "10000000/min", "user": "10000000/min"}}
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "WARNING"}}
