"""Portal-wide rules about accounts: a person whose password was set by someone else goes to the
password-change page until they have chosen their own; nothing personal is kept in a cache."""

from __future__ import annotations

from django.shortcuts import redirect
from django.urls import reverse
from django.utils.cache import add_never_cache_headers


class PasswordChangeRequiredMiddleware:
    # What stays reachable: the change page itself, logging out, the language switch, static files.
    # The JSON API authenticates with its own tokens and answers in JSON: it refuses the same accounts
    # with 403 password_change_required (members.api.authentication.refuse_until_password_changed).
    ALLOWED_PREFIXES = ("/static/", "/i18n/", "/api/")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (user is not None and user.is_authenticated and getattr(user, "must_change_password", False)
                and not request.path.startswith(self.ALLOWED_PREFIXES)
                and request.path not in (reverse("password_change"), reverse("logout"))):
            return redirect(f"{reverse('password_change')}?first=1")
        return self.get_response(request)


class NoStoreMiddleware:
    """``Cache-Control: no-store`` (with Django's never-cache set) on every API response and on every
    page answered to a signed-in person: ranks, entries, ID numbers and the temporary passwords a clerk
    sets must not stay in a shared phone's or a depot proxy's cache after logging out. Static files are
    answered before this middleware (WhiteNoise) and keep their long cache lifetime; anonymous pages
    (the login form) are not personal."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if request.path_info.startswith("/api/") or (user is not None and user.is_authenticated):
            add_never_cache_headers(response)
        return response
