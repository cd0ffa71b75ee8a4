"""Sends a person whose password was set by someone else to the password-change page until they
have chosen their own."""

from __future__ import annotations

from django.shortcuts import redirect
from django.urls import reverse


class PasswordChangeRequiredMiddleware:
    # What stays reachable: the change page itself, logging out, the language switch, static files.
    # The JSON API authenticates with its own tokens and answers in JSON; it is left to its own rules.
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
