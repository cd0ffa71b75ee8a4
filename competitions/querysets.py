from django.db import models


class CompetitionQuerySet(models.QuerySet):
    def active(self):
        return self.filter(status="active")


class RuleVersionQuerySet(models.QuerySet):
    def in_force_on(self, day):
        """The version in force on ``day``: the latest one that took effect on or before it."""
        return self.filter(effective_from__lte=day).order_by("-effective_from")


def current_competition():
    """The competition the portal shows: the most recently started active one."""
    from competitions.models import Competition

    return Competition.objects.active().order_by("-start_date", "-id").first()
