from django.db import models
from django.db.models import BooleanField, Exists, ExpressionWrapper, OuterRef, Q


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

    def taking_part(self, user):
        """The competitions a person takes part in: staff, all; a worker, those with a scoring rule for their
        job type; a clerk or a union officer (基层工会干部), those with a rule for the job type of a worker of
        their units; a reviewer, those with a rule in their business systems. Roles held together add up.
        Competitions in preparation stay hidden from everyone but staff (visible_to)."""
        from competitions.models import ScoringRule
        from members.models import Worker
        from members.querysets import unit_subtree_q
        from members.scope import scope_of

        scope = scope_of(user)
        visible = self.visible_to(user)
        if scope.is_staff:
            return visible
        rules = ScoringRule.objects.filter(competition_id=OuterRef("pk"))
        q = Q(pk__in=[])
        if scope.is_worker:
            q |= Exists(rules.filter(job_type__in=Worker.objects.filter(pk=scope.worker_id).values("job_type_id")))
        unit_paths = scope.clerk_unit_paths + scope.union_unit_paths
        if unit_paths:
            units_workers = Worker.objects.filter(unit_subtree_q(unit_paths, "unit__path"))
            q |= Exists(rules.filter(job_type__in=units_workers.values("job_type_id")))
        if scope.is_reviewer:
            q |= Exists(rules.filter(job_type__business_system_id__in=scope.reviewer_system_ids))
        return visible.filter(q)


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


def current_competition(user=None):
    """The competition the portal shows ``user``: the most recently started active one they take part in
    (Competition.objects.taking_part: a worker's job type has its rules, a clerk's or union officer's
    workers', a reviewer's business systems'), so that two competitions running at once each show to their
    own people; someone taking part in none (and no ``user``), the most recently started active one. Staff
    take part in all. One query."""
    from competitions.models import Competition

    competitions = Competition.objects.active()
    order = ["-start_date", "-id"]
    if user is not None and getattr(user, "is_authenticated", False):
        mine = Competition.objects.taking_part(user).values("pk")
        competitions = competitions.annotate(mine=ExpressionWrapper(Q(pk__in=mine), output_field=BooleanField()))
        order.insert(0, "-mine")
    return competitions.order_by(*order).first()


class JobQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Everyone sees the background jobs they started; union staff also see everyone's (who ran what,
        when, with which outcome: the history of the office's long work). A job's file is another matter:
        downloadable_by."""
        if not (getattr(user, "is_authenticated", False) and user.is_active):
            return self.none()
        if user.is_staff:
            return self
        return self.filter(created_by=user)

    def downloadable_by(self, user):
        """A job's file is its creator's only, not even other staff's: an export holds the full names of a
        whole competition, and who fetched it is part of its history."""
        if not (getattr(user, "is_authenticated", False) and user.is_active):
            return self.none()
        return self.filter(created_by=user)
