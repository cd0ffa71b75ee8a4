"""Login lockout: after repeated failed logins an account, or an address, is refused for a while.

Counts live in the cache (Redis in production), in fixed windows that start at the first failure:
``LOGIN_FAILURE_LIMIT`` failures for one employee number within ``LOGIN_LOCKOUT_SECONDS`` lock that
account; ``LOGIN_IP_FAILURE_LIMIT`` failures from one address lock the address. The address limit is
higher than the account limit on purpose: a whole depot's phones often reach us through one NAT
address, and one careless worker must not lock out the depot. While locked, the password is not even
checked, so guessing cannot go on behind the refusal.

Enforced in ``LockoutBackend`` (so every path that calls ``authenticate`` is covered: the portal's
login, the admin's login, the API); the login form asks ``locked_out`` first only to show people a
precise message instead of "wrong password".
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.core.cache import caches
from django.core.exceptions import PermissionDenied

PREFIX = "login-fail"


def _cache():
    return caches[getattr(settings, "LOGIN_LOCKOUT_CACHE", "default")]


def _limits() -> tuple[int, int, int]:
    return (getattr(settings, "LOGIN_FAILURE_LIMIT", 5), getattr(settings, "LOGIN_IP_FAILURE_LIMIT", 20),
            getattr(settings, "LOGIN_LOCKOUT_SECONDS", 15 * 60))


def client_ip(request) -> str:
    # REMOTE_ADDR only: X-Forwarded-For is set by whoever sends the request, so trusting it would let
    # an attacker pick a fresh "address" for every guess. Behind a reverse proxy, the proxy must set
    # REMOTE_ADDR (e.g. gunicorn --forwarded-allow-ips with a proxy that overwrites the header).
    return (request.META.get("REMOTE_ADDR") or "unknown") if request is not None else "unknown"


def _account_key(username: str) -> str:
    # Hashed: the cache is no place for a list of employee numbers people typed.
    digest = hashlib.sha256((username or "").strip().lower().encode()).hexdigest()[:32]
    return f"{PREFIX}:user:{digest}"


def _ip_key(ip: str) -> str:
    return f"{PREFIX}:ip:{ip}"


def _bump(key: str, ttl: int) -> int:
    # add() starts the window only if none is running; incr() is atomic in Redis.
    cache = _cache()
    if cache.add(key, 1, ttl):
        return 1
    try:
        return cache.incr(key)
    except ValueError:  # expired between add() and incr()
        cache.add(key, 1, ttl)
        return 1


def locked_out(request, username: str) -> bool:
    account_limit, ip_limit, _ttl = _limits()
    counts = _cache().get_many([_account_key(username), _ip_key(client_ip(request))])
    return (counts.get(_account_key(username), 0) >= account_limit
            or counts.get(_ip_key(client_ip(request)), 0) >= ip_limit)


def record_failure(request, username: str) -> None:
    _account_limit, _ip_limit, ttl = _limits()
    _bump(_account_key(username), ttl)
    _bump(_ip_key(client_ip(request)), ttl)


def clear_account(username: str) -> None:
    """After a successful login or a password reset: the account's count starts again (the address's
    count does not, or one good login would reopen an address that is guessing at many accounts)."""
    _cache().delete(_account_key(username))


class LockoutBackend(ModelBackend):
    """ModelBackend with the lockout in front of it."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None:
            username = kwargs.get(self._username_field())
        if username is None or password is None:
            return None
        if locked_out(request, username):
            # PermissionDenied stops authenticate() from trying further backends.
            raise PermissionDenied
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is None:
            record_failure(request, username)
        else:
            clear_account(username)
        return user

    @staticmethod
    def _username_field() -> str:
        from django.contrib.auth import get_user_model

        return get_user_model().USERNAME_FIELD
