"""Role checks for API views, read from the same per-request scope as the querysets.

A role check answers 403 ("you are not a clerk"); whether a *particular* object is yours is
answered by the querysets, with 404, so nobody learns that someone else's object exists.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import BasePermission

from members.scope import scope_of


class IsWorker(BasePermission):
    message = _("只有职工本人可以使用该功能。")

    def has_permission(self, request, view):
        return scope_of(request.user).is_worker


class IsClerk(BasePermission):
    """A unit clerk, or union staff (who may correct any unit's entries)."""

    message = _("只有单位录入员可以使用该功能。")

    def has_permission(self, request, view):
        scope = scope_of(request.user)
        return scope.is_clerk or scope.is_staff


class IsReviewer(BasePermission):
    """A department reviewer, or union staff."""

    message = _("只有业务部门审核员可以使用该功能。")

    def has_permission(self, request, view):
        scope = scope_of(request.user)
        return scope.is_reviewer or scope.is_staff


class IsClerkForWrites(IsClerk):
    """Reading is for everyone the queryset lets see the object; writing is for clerks."""

    def has_permission(self, request, view):
        return request.method in ("GET", "HEAD", "OPTIONS") or super().has_permission(request, view)
