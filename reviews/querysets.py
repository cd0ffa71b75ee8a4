"""Who may see which entries, periods, disputes and audit facts."""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from members.querysets import unit_subtree_q
from members.scope import scope_of


class WorkEntryQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Staff: all. Clerk: entries of their units (subunits included). Reviewer: entries of their
        business systems. Worker: their own. Roles held together add up."""
        scope = scope_of(user)
        if scope.is_staff:
            return self
        if scope.sees_nothing:
            return self.none()
        q = Q(pk__in=[])
        if scope.is_clerk:
            q |= unit_subtree_q(scope.clerk_unit_paths, "unit__path")
        if scope.is_reviewer:
            q |= Q(business_system_id__in=scope.reviewer_system_ids)
        if scope.is_worker:
            q |= Q(worker_id=scope.worker_id)
        return self.filter(q)

    def pending(self):
        """Entries awaiting review, found through the queue table (``PendingEntry``, kept by triggers):
        there is deliberately no index on ``status`` (see the model's indexes)."""
        return self.filter(pending__isnull=False)

    def reviewable_by(self, user):
        """Entries a department reviewer may act on: their business systems only."""
        scope = scope_of(user)
        if scope.is_staff:
            return self
        if not scope.is_reviewer:
            return self.none()
        return self.filter(business_system_id__in=scope.reviewer_system_ids)

    def editable_by(self, user):
        """Entries a clerk may correct: their units' entries."""
        scope = scope_of(user)
        if scope.is_staff:
            return self
        if not scope.is_clerk:
            return self.none()
        return self.filter(unit_subtree_q(scope.clerk_unit_paths, "unit__path"))


class EntryEventQuerySet(models.QuerySet):
    def visible_to(self, user):
        from reviews.models import WorkEntry

        return self.filter(entry__in=WorkEntry.objects.visible_to(user).values("pk"))


class ReviewPeriodQuerySet(models.QuerySet):
    def visible_to(self, user):
        scope = scope_of(user)
        if scope.is_staff:
            return self
        if scope.is_reviewer:
            return self.filter(business_system_id__in=scope.reviewer_system_ids)
        return self.none()


class DisputeQuerySet(models.QuerySet):
    def visible_to(self, user):
        scope = scope_of(user)
        if scope.is_staff:
            return self
        if scope.sees_nothing:
            return self.none()
        q = Q(pk__in=[])
        if scope.is_clerk:
            q |= unit_subtree_q(scope.clerk_unit_paths, "unit__path")
        if scope.is_worker:
            q |= Q(worker_id=scope.worker_id)
        return self.filter(q)
