"""Who may see which award rounds, nominees and objections: union staff see everything; anyone else sees the
rounds in 公示 or finalized of the competitions they take part in (never a draft, never another competition's),
the names on those lists (name, employee number, units, job type: the copies on Nominee, never an ID number or
a phone), and only the objections they raised themselves.

Separation of duties: a member of staff whose account is a worker does not answer an objection to their own
nomination nor add themselves to a list (``own_worker_id``); another member of staff does."""

from __future__ import annotations

from django.db import models

from members.scope import scope_of


def _public_statuses():
    from competitions.honours.models import PUBLIC_STATUSES

    return PUBLIC_STATUSES


def _listed_statuses():
    from competitions.honours.models import LISTED_STATUSES

    return LISTED_STATUSES


def own_worker_id(user) -> int | None:
    """The worker record that is ``user``'s own: the one nominee whose objections they may not answer and
    the one worker they may not add to a list (services.answer_objection and committee_add refuse it,
    own_nomination; the round page and the candidate search leave it out)."""
    return scope_of(user).worker_id


def not_own_worker(user, workers):
    """``workers`` (a Worker queryset) without ``user``'s own record: whom they may add to a list."""
    own = own_worker_id(user)
    return workers if own is None else workers.exclude(pk=own)


class AwardRoundQuerySet(models.QuerySet):
    def visible_to(self, user):
        scope = scope_of(user)
        if scope.is_staff:
            return self
        if scope.sees_nothing:
            return self.none()
        from competitions.models import Competition

        return self.filter(status__in=_public_statuses(),
                           competition__in=Competition.objects.taking_part(user).values("pk"))

    def public(self):
        """Rounds whose list is public: in 公示 or finalized."""
        return self.filter(status__in=_public_statuses())


class NomineeQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Staff: every nominee, those taken off the list too. Anyone else: the names on the public lists of
        the rounds they may see (nobody taken off the list)."""
        from competitions.honours.models import AwardRound

        scope = scope_of(user)
        if scope.is_staff:
            return self
        if scope.sees_nothing:
            return self.none()
        return self.filter(status__in=_listed_statuses(), round__in=AwardRound.objects.visible_to(user).values("pk"))

    def listed(self):
        """On the list (shortlisted, added by the committee, or final), in list order."""
        return self.filter(status__in=_listed_statuses()).order_by("position", "id")

    def for_list(self):
        """What a list shows, in one query: the copied names and units, never the worker's personal data."""
        return self.select_related("business_system", "job_type", "depot", "team").order_by("position", "id")


class ObjectionQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Staff: all. Anyone else: the objections they raised (with the answer, once given)."""
        scope = scope_of(user)
        if scope.is_staff:
            return self
        if not getattr(user, "is_authenticated", False) or not user.is_active:
            return self.none()
        return self.filter(raised_by_id=user.pk)

    def answerable_by(self, user):
        """The objections ``user`` may answer: staff all but those about themselves (own_worker_id)."""
        scope = scope_of(user)
        if not scope.is_staff:
            return self.none()
        own = own_worker_id(user)
        return self if own is None else self.exclude(nominee__worker_id=own)
