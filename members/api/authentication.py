"""Bearer tokens for the mobile app, the portal's session for the API, the "must change password" gate
both share, and throttles on failed logins."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS
from django.db.models import CharField, Func
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.authentication import SessionScheme
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions, status
from rest_framework.throttling import SimpleRateThrottle

from config.api import db
from config.text import typed_code
from members.models import ApiToken, User, Worker


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def login_employee_no(request) -> str | None:
    """The employee number a login's body names, as the throttles read it before the body is validated:
    a string UTF-8 can encode, or None. A JSON body may hold a lone surrogate ("\\ud800"), which no hash
    or query takes; the login's serializer then refuses it in the error format."""
    username = request.data.get("employee_no") if isinstance(request.data, dict) else None
    if not isinstance(username, str):
        return None
    try:
        username.encode()
    except UnicodeEncodeError:
        return None
    return username


def password_stamp(user) -> str:
    """What ApiToken.password_stamp holds for ``user``'s current password: a token issued before the
    password changed no longer matches. (PostgreSQL computes the same value: PasswordStamp.)"""
    return digest(user.password)


class PasswordStamp(Func):
    """``password_stamp`` of a password column, in PostgreSQL: its built-in sha256() as lowercase hex.
    (Django's SHA256 calls pgcrypto's digest(), an extension this database does not need.)"""

    template = "encode(sha256(convert_to(%(expressions)s, 'UTF8')), 'hex')"
    output_field = CharField()


@dataclass
class IssuedTokens:
    access: str
    access_expires_at: datetime
    refresh: str
    refresh_expires_at: datetime


def _lifetimes() -> tuple[timedelta, timedelta]:
    return (timedelta(seconds=settings.API_ACCESS_TOKEN_SECONDS),
            timedelta(seconds=settings.API_REFRESH_TOKEN_SECONDS))


def tokens_issue(*, user) -> IssuedTokens:
    access, refresh = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    access_ttl, refresh_ttl = _lifetimes()
    now = timezone.now()
    ApiToken.objects.create(user=user, access_digest=digest(access), access_expires_at=now + access_ttl,
                            refresh_digest=digest(refresh), refresh_expires_at=now + refresh_ttl,
                            password_stamp=password_stamp(user))
    return IssuedTokens(access, now + access_ttl, refresh, now + refresh_ttl)


def tokens_refresh(*, refresh: str) -> IssuedTokens | None:
    """Rotate both tokens of a login. One UPDATE guarded by the old digest: of two refreshes racing
    with the same refresh token only one succeeds, and the old refresh token is dead afterwards. A
    token issued before the account's password changed is not refreshed (its stamp no longer matches)."""
    access, new_refresh = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    access_ttl, refresh_ttl = _lifetimes()
    now = timezone.now()
    updated = ApiToken.objects.filter(
        refresh_digest=digest(refresh), refresh_expires_at__gt=now, revoked_at__isnull=True,
        user__is_active=True, password_stamp=PasswordStamp("user__password"),
    ).update(access_digest=digest(access), access_expires_at=now + access_ttl,
             refresh_digest=digest(new_refresh), refresh_expires_at=now + refresh_ttl)
    if not updated:
        return None
    return IssuedTokens(access, now + access_ttl, new_refresh, now + refresh_ttl)


def tokens_revoke(*, token: ApiToken) -> None:
    ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())


_USER_FIELDS = [f.attname for f in User._meta.concrete_fields]
# The token with its account and the account's worker (id and name: what the "me" endpoints use; the
# worker's other fields load on access), in one statement on the unique access_digest index.
TOKEN_SQL = f"""
SELECT t.id, t.access_expires_at, t.password_stamp,
       {", ".join(f'u."{User._meta.get_field(a).column}"' for a in _USER_FIELDS)},
       w.id, w.name
FROM {ApiToken._meta.db_table} t
JOIN {User._meta.db_table} u ON u.id = t.user_id
LEFT JOIN {Worker._meta.db_table} w ON w.user_id = u.id
WHERE t.access_digest = %s AND t.revoked_at IS NULL
"""


def token_lookup(access_digest: str) -> ApiToken | None:
    """The live (not revoked) token with this digest, its ``user`` and the user's ``worker`` (None if
    the account has none) already attached; expiry, the password stamp and the account's state are the
    caller's to check.

    One prepared statement, rows turned into model instances by hand (the ORM's query compilation costs
    several times the query on this path, which every API request takes).
    """
    row = db.fetch_one(TOKEN_SQL, [access_digest])
    if row is None:
        return None
    n = len(_USER_FIELDS)
    user = User.from_db(DEFAULT_DB_ALIAS, _USER_FIELDS, row[3:3 + n])
    worker_id, worker_name = row[3 + n:]
    worker = None if worker_id is None else Worker.from_db(
        DEFAULT_DB_ALIAS, ["id", "name", "user_id"], (worker_id, worker_name, user.pk))
    if worker is not None:
        Worker.user.field.set_cached_value(worker, user)
    User.worker.related.set_cached_value(user, worker)  # as select_related("worker") leaves it
    token = ApiToken.from_db(DEFAULT_DB_ALIAS, ["id", "user_id", "access_expires_at", "password_stamp"],
                             (row[0], user.pk, row[1], row[2]))
    ApiToken.user.field.set_cached_value(token, user)
    return token


def refuse_until_password_changed(request, user) -> None:
    """An account whose password was set by someone else (a clerk's reset, staff) may use only the views
    that let it finish signing in: logout and the password change (``password_change_allowed = True``);
    login and refresh authenticate no one. Checked where every API request is authenticated, so a new
    endpoint cannot forget it; the portal's pages have members.middleware for the same rule."""
    if not user.must_change_password:
        return
    # Imported here: config.api.errors imports rest_framework.views, which imports this module (the
    # default authentication classes) while it loads.
    from config.api.errors import ApiError

    view = request.parser_context.get("view") if request.parser_context else None
    if not getattr(view, "password_change_allowed", False):
        raise ApiError(_("请先修改密码：您的密码由他人设置，修改后才能继续使用。"), "password_change_required",
                       status.HTTP_403_FORBIDDEN)


class BearerTokenAuthentication(authentication.BaseAuthentication):
    """``Authorization: Bearer <access token>``: one indexed query joining the account and its worker."""

    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(_("令牌格式无效。"))
        try:
            raw = header[1].decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed(_("令牌格式无效。")) from None
        # The worker row comes along (a LEFT JOIN), so endpoints for "me" need no query to find it.
        token = token_lookup(digest(raw))
        if (token is None or token.access_expires_at <= timezone.now() or not token.user.is_active
                or token.password_stamp != password_stamp(token.user)):
            raise exceptions.AuthenticationFailed(_("登录已失效，请重新登录。"))
        refuse_until_password_changed(request, token.user)
        return token.user, token

    def authenticate_header(self, request):
        # Makes DRF answer 401 (not 403) to a request without credentials.
        return self.keyword


class PortalSessionAuthentication(authentication.SessionAuthentication):
    """The portal's session cookie (with DRF's CSRF check), under the same "must change password" gate."""

    def authenticate(self, request):
        result = super().authenticate(request)
        if result is not None:
            refuse_until_password_changed(request, result[0])
        return result


class PortalSessionScheme(SessionScheme):
    target_class = "members.api.authentication.PortalSessionAuthentication"
    priority = 0


class BearerTokenScheme(OpenApiAuthenticationExtension):
    target_class = "members.api.authentication.BearerTokenAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer",
                "description": "登录接口返回的 access 令牌：Authorization: Bearer <access>"}


class FailedLoginThrottle(SimpleRateThrottle):
    """Counts failed logins only (a person typing the right password is never slowed down), per
    ``scope``; a request is refused while the count within the window is at the limit."""

    def get_cache_key(self, request, view):
        ident = self.ident_for(request)
        return None if ident is None else self.cache_format % {"scope": self.scope, "ident": ident}

    def ident_for(self, request):
        raise NotImplementedError

    def allow_request(self, request, view):
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        self.history = self.cache.get(self.key, [])
        self.now = self.timer()
        while self.history and self.history[-1] <= self.now - self.duration:
            self.history.pop()
        return len(self.history) < self.num_requests

    def record_failure(self, request, view):
        key = self.get_cache_key(request, view)
        if key is None:
            return
        now = self.timer()
        history = [t for t in self.cache.get(key, []) if t > now - self.duration]
        history.insert(0, now)
        self.cache.set(key, history, self.duration)


class LoginAccountThrottle(FailedLoginThrottle):
    """Guessing one account's password from many addresses."""

    scope = "login_account"
    cache = cache

    def ident_for(self, request):
        username = login_employee_no(request)
        # The number as lockout.authenticate reads it: １１０００４４６ and 11000446 are one account's guesses.
        if username is None or not typed_code(username):
            return None
        return digest(typed_code(username).lower())


class LoginAddressThrottle(FailedLoginThrottle):
    """One address trying many accounts."""

    scope = "login_ip"
    cache = cache

    def ident_for(self, request):
        return self.get_ident(request)
