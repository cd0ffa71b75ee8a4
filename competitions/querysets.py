from django.db import models


class CompetitionQuerySet(models.QuerySet):
    def active(self):
        return self.filter(status="active")

    def visible_to(self, user):
        """Competitions in preparation (draft) are for union staff only; the rest are public to
        every signed-in person."""
        if getattr(user, "is_staff", False) and user.is_active:
            return self
        if not getattr(user, "is_authenticated", False):
            return self.none()
        return self.exclude(status="draft")


class RuleVersionQuerySet(models.QuerySet):
    def in_force_on(self, day):
        """The version in force on ``day``: the latest one that took effect on or before it."""
        return self.filter(effective_from__lte=day).order_by("-effective_from")
