"""Tests run against PostgreSQL and Redis, as production does (the test command starts both)."""

from config.env import env_str

from .base import *  # noqa: F403
from .base import CACHES, DATABASES

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # speed; never used outside tests
DEBUG = False

# Several checkouts may run their suites at once against one server: each names its own test database.
DATABASES["default"]["TEST"] = {"NAME": env_str("TEST_DB_NAME", "test_portal")}

# The Redis cache is shared by checkouts testing at once: this one's keys get its own prefix.
CACHES["default"]["KEY_PREFIX"] = DATABASES["default"]["TEST"]["NAME"]
# Login failure counts in a per-process cache that tests empty before each test: every test client
# logs in from 127.0.0.1, and counts left by one test (or an earlier run) must not lock out the next.
CACHES["lockout"] = {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "lockout"}
LOGIN_LOCKOUT_CACHE = "lockout"
