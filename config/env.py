"""Strict reading of settings from the environment.

Every reader fails start-up with an ``ImproperlyConfigured`` that names the variable and what was
wrong with it, rather than guessing: a typo in ``DEBUG`` must not silently turn debugging on in
production, and a malformed ``DATABASE_URL`` must not fall back to some default database.
"""

from __future__ import annotations

import os
from urllib.parse import urlparse

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}
_UNSET = object()


def _raw(name: str) -> str | None:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return None
    return value.strip()


def env_str(name: str, default=_UNSET) -> str:
    value = _raw(name)
    if value is None:
        if default is _UNSET:
            raise ImproperlyConfigured(f"Environment variable {name} is required but not set.")
        return default
    return value


def env_bool(name: str, default: bool) -> bool:
    value = _raw(name)
    if value is None:
        return default
    if value.lower() in _TRUE:
        return True
    if value.lower() in _FALSE:
        return False
    raise ImproperlyConfigured(
        f"Environment variable {name}={value!r} is not a boolean; use one of 1/0, true/false, yes/no, on/off."
    )


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    value = _raw(name)
    if value is None:
        return default
    try:
        number = int(value)
    except ValueError:
        raise ImproperlyConfigured(f"Environment variable {name}={value!r} is not an integer.") from None
    if minimum is not None and number < minimum:
        raise ImproperlyConfigured(f"Environment variable {name}={number} must be at least {minimum}.")
    return number


def env_list(name: str, default: list[str]) -> list[str]:
    value = _raw(name)
    if value is None:
        return list(default)
    items = [item.strip() for item in value.split(",")]
    if any(not item for item in items):
        raise ImproperlyConfigured(
            f"Environment variable {name}={value!r} has an empty item; separate values with single commas."
        )
    return items


def env_database(name: str) -> dict:
    """``DATABASE_URL`` as Django settings. PostgreSQL is the only database the portal runs on."""
    value = _raw(name)
    if value is None:
        raise ImproperlyConfigured(
            f"Environment variable {name} is required: postgres://user:password@host:5432/portal. "
            "(`bash .ci/test` starts a server for the tests and sets it; `bash .ci/demo` needs none.)"
        )
    return _database(name, value)


def env_databases(name: str) -> list[dict]:
    """A comma-separated list of database URLs (``DATABASE_REPLICA_URLS``) as Django settings, each read as
    ``env_database`` reads one; unset, an empty list."""
    return [_database(name, url) for url in env_list(name, [])]


def _database(name: str, value: str) -> dict:
    scheme = urlparse(value).scheme
    if scheme not in {"postgres", "postgresql", "pgsql"}:
        raise ImproperlyConfigured(
            f"Environment variable {name} has scheme {scheme!r}; the portal runs on PostgreSQL only: postgres://…"
        )
    try:
        # Persistent connections, checked at the start of each request by config.db_health's middleware
        # (Django's own check would cost a SELECT 1 round trip per request).
        config = dj_database_url.parse(value, conn_max_age=60, conn_health_checks=False)
    except Exception as exc:  # dj_database_url raises several kinds; all mean the same to the operator
        raise ImproperlyConfigured(f"Environment variable {name} could not be parsed: {exc}") from None
    if not config.get("NAME"):
        raise ImproperlyConfigured(f"Environment variable {name} names no database (postgres://host/NAME).")
    return config


def env_redis_url(name: str) -> str | None:
    value = _raw(name)
    if value is None:
        return None
    parsed = urlparse(value)
    if parsed.scheme not in {"redis", "rediss", "unix"}:
        raise ImproperlyConfigured(f"Environment variable {name} must be a redis:// or rediss:// URL.")
    try:
        parsed.port  # noqa: B018 - property access validates the port number
    except ValueError:
        raise ImproperlyConfigured(f"Environment variable {name} has an invalid port.") from None
    return value
