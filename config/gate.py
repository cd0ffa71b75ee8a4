"""The one gate in front of every portal page: who may open it, and the competition it is about.

Every portal view is wrapped in ``portal_view``; tests/test_view_gate.py walks the URL patterns and fails
for a page that is not (the admin and the JSON API have their own gates, and the login, logout and
language pages are listed there as open). So a page cannot forget to check the role: it does not exist
until it says which roles may open it.

It lives here rather than in members (where the roles are read, members/scope.py) because every app's
views use it, as they use the querysets' ``visible_to``: the gate decides who may open a page, ``visible_to``
what the page may show.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import BadRequest, PermissionDenied
from django.shortcuts import render

from competitions.querysets import current_competition
from members.navigation import ROLES, holds
from members.scope import scope_of


@dataclass(frozen=True)
class Gate:
    roles: tuple[str, ...] | None  # None: any signed-in person
    competition: bool


def portal_view(*, roles: tuple[str, ...] | None, competition: bool = False) -> Callable:
    """Wraps a portal view function (or a class-based view's ``as_view()``).

    ``roles``: the person must hold one of them (worker, clerk, reviewer, staff), or None for any signed-in
    person. Someone not signed in is sent to the login page; a signed-in person without the role gets 403.
    ``competition``: the page is about the current competition, set as ``request.competition``; without
    one the page says so instead. ``request.scope`` is the person's scope (members.scope.scope_of) and
    ``request.worker_id`` their worker's id (None when they are not a worker).
    """
    if roles is not None:
        unknown = set(roles) - set(ROLES)
        if not roles or unknown:
            raise ValueError(f"portal_view: unknown roles {sorted(unknown)}; roles are {ROLES}")
    gate = Gate(roles=roles, competition=competition)

    def decorator(view):
        @login_required
        @wraps(view)
        def gated(request, *args, **kwargs):
            scope = scope_of(request.user)
            if roles is not None and not any(holds(scope, role) for role in roles):
                raise PermissionDenied
            if holds_nul(request):
                # PostgreSQL text cannot hold NUL: a page would fail on it in a query or a write (a 500).
                # No form or link of the portal sends one, so the request is refused, whatever the page.
                raise BadRequest("NUL character in the request's parameters")
            request.scope = scope
            request.worker_id = scope.worker_id
            if competition:
                request.competition = current_competition(request.user)
                if request.competition is None:
                    return render(request, "reviews/no_competition.html")
            return view(request, *args, **kwargs)

        gated.portal_gate = gate
        return gated

    return decorator


def holds_nul(request) -> bool:
    """Whether a name or value of the query string or of a posted form holds a NUL character (the admin's
    pages ask it too: config.middleware.AdminParametersMiddleware)."""
    for params in (request.GET, request.POST):
        for key, values in params.lists():
            if "\x00" in key or any("\x00" in value for value in values):
                return True
    return False


# The portal's pages by role. Entering work needs a clerk grant and reviewing it a reviewer grant, whoever
# holds is_staff (members.scope: separation of duties): clerk_page and reviewer_page are for the grant
# holders alone. Union staff read everything, so the pages that list entries, the queue and the review
# progress are also theirs to open (``..._reading_page``); what such a page may change is refused there
# unless the person holds the grant (the querysets editable_by / reviewable_by, Scope.may_review).
# A worker's own pages need a worker, which staff need not be.
worker_page = portal_view(roles=("worker",), competition=True)
clerk_page = portal_view(roles=("clerk",), competition=True)
reviewer_page = portal_view(roles=("reviewer",), competition=True)
clerk_reading_page = portal_view(roles=("clerk", "staff"), competition=True)
reviewer_reading_page = portal_view(roles=("reviewer", "staff"), competition=True)
signed_in_page = portal_view(roles=None)
