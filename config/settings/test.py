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
