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
    """A unit clerk: holds a clerk grant (members.scope; ``is_staff`` alone enters nothing)."""

    message = _("只有单位录入员可以使用该功能。")

    def has_permission(self, request, view):
        return scope_of(request.user).may_enter


class IsReviewer(BasePermission):
    """A department reviewer: holds a reviewer grant (members.scope; ``is_staff`` alone reviews nothing)."""

    message = _("只有业务部门审核员可以使用该功能。")

    def has_permission(self, request, view):
        return scope_of(request.user).is_reviewer


class IsReviewerOrStaffReading(IsReviewer):
    """The review queue and periods: reviewers, and union staff reading them (they read everything)."""

    def has_permission(self, request, view):
        if request.method in ("GET", "HEAD", "OPTIONS") and scope_of(request.user).reads_everything:
            return True
        return super().has_permission(request, view)


class IsClerkOrStaff(IsClerk):
    """Answering a worker's dispute: their unit's clerk, or union staff (answering changes no entry)."""

    def has_permission(self, request, view):
        return scope_of(request.user).is_staff or super().has_permission(request, view)


class IsClerkForWrites(IsClerk):
    """Reading is for everyone the queryset lets see the object; writing is for clerks."""

    def has_permission(self, request, view):
        return request.method in ("GET", "HEAD", "OPTIONS") or super().has_permission(request, view)
