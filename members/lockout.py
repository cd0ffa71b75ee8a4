"""Login lockout on django-axes: guessing is slowed and stopped, and nobody can lock anyone else out.

Every failed login (the portal's, the admin's and the API's: all go through ``authenticate`` with the
request, and axes' backend stands in front of the password check) is a row of axes' ``AccessAttempt``
table in PostgreSQL, one per (employee number, address, browser) with its count and its last failure.
So the lockout keeps working without Redis, and union staff see and lift locks in the admin (登录保护 ›
登录失败记录: deleting the rows lifts the lock).

A request is refused, before its password is checked, while one of these counts is at its limit:

- this employee number from this address: ``LOGIN_FAILURE_LIMIT`` (someone guessing one password);
- this address, whatever the account: ``LOGIN_IP_FAILURE_LIMIT``, over failures of the last
  ``LOGIN_LOCKOUT_SECONDS`` only (someone trying many accounts; higher, and short-lived, because a
  depot's phones share one NAT address);
- this employee number from every address: ``LOGIN_ACCOUNT_FAILURE_LIMIT`` (guessing spread over
  many addresses).

None of those applies to a **known device**: a browser or app that has logged in to this account
before carries a signed cookie saying so, with a random id of the device (``remember_device``). Only
its own failures count against it (this employee number on this device, ``LOGIN_FAILURE_LIMIT``).
So an attacker who types a victim's employee number with wrong passwords, from anywhere, locks out
only the attacker: the victim logs in from their phone as always. Employee numbers are easy to
learn; the cookie is not. (A known device's rows carry its id in axes' user_agent column.)

Delays grow: a lock lasts ``LOGIN_LOCKOUT_SECONDS`` from the last failure and doubles with every
further limit's worth of failures (``LOGIN_LOCKOUT_MAX_SECONDS`` at most), so a guesser gets a handful
of tries a day. Failures go on counting while locked. A successful login, or a clerk's password reset,
clears the account's rows (never the address's: one good login must not reopen an address that is
guessing at many accounts).

Guesses sent at the same instant are taken one at a time per account (``authenticate``): otherwise
each would pass the check before any of them was counted, and twenty parallel requests would get
twenty guesses where the limit allows five.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib import auth
from django.core import signing
from django.db import connection, transaction
from django.db.models import Max, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from config.text import typed_code

DEVICE_COOKIE = "portal_device"
_DEVICE_SALT = "members.lockout.device"
_DEVICE_ACCOUNTS = 5  # a shared depot computer remembers this many accounts


def client_ip(request) -> str | None:
    # REMOTE_ADDR only: X-Forwarded-For is set by whoever sends the request, so trusting it would let
    # an attacker pick a fresh "address" for every guess. Behind a reverse proxy, the proxy must set
    # REMOTE_ADDR (e.g. gunicorn --forwarded-allow-ips with a proxy that overwrites the header).
    return request.META.get("REMOTE_ADDR") or None


def lock_seconds(failures: int, limit: int) -> int:
    """How long a count of ``failures`` (at or over ``limit``) locks, from the last failure: the base
    period, doubled for every further ``limit`` failures, capped."""
    doublings = min((failures - limit) // limit, 30)
    return min(settings.LOGIN_LOCKOUT_SECONDS * 2 ** doublings, settings.LOGIN_LOCKOUT_MAX_SECONDS)


def cool_off(request=None) -> timedelta:
    """axes' AXES_COOLOFF_TIME: its rows are kept (and counted) this long after their last failure,
    which is the longest lock."""
    return timedelta(seconds=settings.LOGIN_LOCKOUT_MAX_SECONDS)


# The first half of the two-int advisory lock key: "login" for every lock taken here, so these never
# collide with another feature's locks (the second half is a hash of the employee number).
LOGIN_LOCK_CLASS = 0x4C47  # "LG"


def authenticate(request, *, username: str, password: str):
    """``django.contrib.auth.authenticate`` as one step per account: the lock check, the password check
    and the count of a failure happen under the account's advisory lock, in one transaction, so a
    guess sent at the same time as another waits until that one is counted and then sees it. Every
    password login goes through here (the portal's and the admin's forms, the API).

    The username is an employee number as typed (config.text.typed_code): １１０００４４６ from a Chinese input
    method, or one with a space around it or a zero-width space anywhere in it, is the account 11000446, and
    its failures are counted, locked and cleared under that one number (axes reads it from these credentials), never
    under a second spelling that has a count of its own. Usernames are stored NFKC-normalised already
    (AbstractBaseUser.normalize_username) and hold no spaces; a worker's account named after a number stored
    with an invisible character inside it (before members 0008) is renamed with the number by
    ``manage.py normalise_employee_numbers``."""
    username = typed_code(username)
    with transaction.atomic():
        with connection.cursor() as cursor:
            # hashtext: two employee numbers sharing a hash only wait for each other, never unlock.
            cursor.execute("SELECT pg_advisory_xact_lock(%s, hashtext(%s))", [LOGIN_LOCK_CLASS, username or ""])
        return auth.authenticate(request, username=username, password=password)


# --- Known devices --------------------------------------------------------------------------------

def _account_digest(username: str) -> str:
    # Hashed: the cookie is no place for a list of employee numbers.
    return hashlib.sha256(f"{_DEVICE_SALT}:{typed_code(username).lower()}".encode()).hexdigest()[:24]


def _device(request) -> tuple[str | None, list[str]]:
    """The device's id and the accounts that have logged in on it, from its signed cookie."""
    value = getattr(request, "COOKIES", {}).get(DEVICE_COOKIE)
    if not value:
        return None, []
    try:
        data = signing.loads(value, salt=_DEVICE_SALT, max_age=timedelta(days=settings.LOGIN_DEVICE_DAYS))
        return str(data["d"]), [str(a) for a in data["a"]]
    except (signing.BadSignature, KeyError, TypeError):
        return None, []


def known_device(request, username: str | None) -> str | None:
    """The id of this device if ``username`` has logged in on it before, else None."""
    device, accounts = _device(request)
    return device if username and _account_digest(username) in accounts else None


def remember_device(request, response, username: str) -> None:
    """After a successful login: this browser (or app) is a known device of ``username`` from now on."""
    device, accounts = _device(request)
    digest = _account_digest(username)
    accounts = [digest, *(a for a in accounts if a != digest)][:_DEVICE_ACCOUNTS]
    value = signing.dumps({"d": device or secrets.token_urlsafe(12), "a": accounts}, salt=_DEVICE_SALT)
    response.set_cookie(DEVICE_COOKIE, value, max_age=settings.LOGIN_DEVICE_DAYS * 24 * 60 * 60, httponly=True,
                        samesite="Lax", secure=settings.SESSION_COOKIE_SECURE)


def _device_tag(device: str) -> str:
    return f" [device {device}]"


def _tagged_agent(agent: str, device: str) -> str:
    """A known device's failures are rows of their own: its id follows the browser's name in axes'
    user_agent column (which staff see), because the name alone is shared by every phone of a model
    and is whatever an attacker sends."""
    tag = _device_tag(device)
    return agent if agent.endswith(tag) else agent[:255 - len(tag)] + tag


# --- The rule -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Lock:
    until: datetime
    known_device: bool = False  # the device's own guesses locked it

    @property
    def minutes(self) -> int:
        return max(1, -(-int((self.until - timezone.now()).total_seconds()) // 60))


def lock_for(request, username: str | None) -> Lock | None:
    """The lock that refuses this login attempt now, if any (the rule of the module's docstring)."""
    ip = request.axes_ip_address
    now = request.axes_attempt_time or timezone.now()
    recent = now - timedelta(seconds=settings.LOGIN_LOCKOUT_SECONDS)
    limit = settings.LOGIN_FAILURE_LIMIT
    mine = Q(username=username)
    device = known_device(request, username)
    if device:
        counts = {"device": (mine & Q(user_agent__endswith=_device_tag(device)), limit)}
    else:
        counts = {"pair": (mine & Q(ip_address=ip), limit),
                  "account": (mine, settings.LOGIN_ACCOUNT_FAILURE_LIMIT),
                  "address": (Q(ip_address=ip, attempt_time__gte=recent), settings.LOGIN_IP_FAILURE_LIMIT)}
    aggregates = {}
    for name, (match, _limit) in counts.items():
        aggregates[f"{name}_n"] = Sum("failures_since_start", filter=match)
        aggregates[f"{name}_last"] = Max("attempt_time", filter=match)
    # One query over the rows of this account or this address that are still kept.
    row = (AccessAttempt.objects.filter(attempt_time__gte=now - cool_off())
           .filter(mine | Q(ip_address=ip)).aggregate(**aggregates))
    locks = []
    for name, (_match, name_limit) in counts.items():
        failures, last = row[f"{name}_n"] or 0, row[f"{name}_last"]
        if failures >= name_limit:
            until = last + timedelta(seconds=lock_seconds(failures, name_limit))
            if until > now:
                locks.append(Lock(until, known_device=bool(device)))
    return max(locks, key=lambda lock: lock.until) if locks else None


def clear_account(username: str) -> None:
    """After a password reset or a successful login: the account's failures are forgotten (the
    address's are not)."""
    AccessAttempt.objects.filter(username=username).delete()


def logged_in(request, response, username: str) -> None:
    """A login by password succeeded (the portal's, the API's): the account's count starts again and
    the device is known from now on. (The admin's login clears the count through axes' signal.)"""
    clear_account(username)
    remember_device(request, response, username)


class LoginLockHandler(AxesDatabaseHandler):
    """axes' database handler with the rule above in place of its single count and limit."""

    def user_login_failed(self, sender, credentials: dict, request=None, **kwargs):
        if request is not None:
            device = known_device(request, get_client_username(request, credentials))
            if device:
                request.axes_user_agent = _tagged_agent(request.axes_user_agent, device)
        return super().user_login_failed(sender, credentials, request, **kwargs)

    def is_locked(self, request, credentials: dict | None = None) -> bool:
        lock = lock_for(request, get_client_username(request, credentials))
        request.login_lock = lock
        return lock is not None

    def get_failures(self, request, credentials: dict | None = None) -> int:
        # axes compares this with AXES_FAILURE_LIMIT after recording a failure, to mark the request
        # locked out: the rule is is_locked's.
        return settings.AXES_FAILURE_LIMIT if self.is_locked(request, credentials) else 0

    def reset_user_attempts(self, request, credentials: dict | None = None) -> int:
        # On a successful login (AXES_RESET_ON_SUCCESS): the account's rows only, not the address's.
        username = get_client_username(request, credentials)
        return AccessAttempt.objects.filter(username=username).delete()[0] if username else 0


def locked_message(request) -> str:
    lock = getattr(request, "login_lock", None)
    minutes = lock.minutes if lock else settings.LOGIN_LOCKOUT_SECONDS // 60
    if lock is not None and lock.known_device:
        return _("登录失败次数过多，已暂时锁定，请%(minutes)s分钟后再试，或联系本单位录入员重置密码。") % {
            "minutes": minutes}
    return _("登录失败次数过多，已暂时锁定，请%(minutes)s分钟后再试。在以前登录过的手机或电脑上输入正确密码仍可登录，"
             "也可联系本单位录入员重置密码。") % {"minutes": minutes}


def lockout_response(request, original_response, credentials=None):
    """AXES_LOCKOUT_CALLABLE: the page (or API answer) the view built already says the login is locked
    (the login forms and the API login ask ``request.axes_locked_out``), so it stands."""
    return original_response
