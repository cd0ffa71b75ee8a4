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
        return self.exclude(status__in=HIDDEN_FROM_NON_STAFF)


HIDDEN_FROM_NON_STAFF = ("draft",)


def competition_status_visible_to(user, status: str | None) -> bool:
    """The rule of ``CompetitionQuerySet.visible_to`` for one competition whose status is known."""
    if status is None or not getattr(user, "is_authenticated", False):
        return False
    return (getattr(user, "is_staff", False) and user.is_active) or status not in HIDDEN_FROM_NON_STAFF


class RuleVersionQuerySet(models.QuerySet):
    def in_force_on(self, day):
        """The version in force on ``day``: the latest one that took effect on or before it."""
        return self.filter(effective_from__lte=day).order_by("-effective_from")


def current_competition():
    """The competition the portal shows: the most recently started active one."""
    from competitions.models import Competition

    return Competition.objects.active().order_by("-start_date", "-id").first()


class JobQuerySet(models.QuerySet):
    def visible_to(self, user):
        """A background job and its file are its creator's: union staff who started an export see and
        download it; nobody else does, not even other staff (the file holds the full names of a whole
        competition, and who fetched it is part of its history)."""
        if not (getattr(user, "is_authenticated", False) and user.is_active and user.is_staff):
            return self.none()
        return self.filter(created_by=user)
