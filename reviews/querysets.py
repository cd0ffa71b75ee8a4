"""Who may see which entries, periods, disputes and audit facts."""

from __future__ import annotations

from django.db import models
from django.db.models import Case, CharField, DateField, Exists, F, Func, OuterRef, Q, Value, When

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

    def with_month_lock(self):
        """Each entry annotated ``month_locked``: whether its (competition, business system, month) is signed
        off. That is what makes an approved entry locked (WorkEntry.shown_status): a sign-off changes the
        month's ReviewPeriod row, not its entries. One probe of the periods' unique key per entry."""
        return self.annotate(month_locked=month_locked_expression())

    def in_shown_status(self, values):
        """The entries whose shown status (WorkEntry.shown_status) is one of ``values``: "locked" is an
        approved entry of a signed-off month, "approved" one of a month still open."""
        from reviews.models import EntryStatus

        values = set(values)
        q = Q(status__in=values - {EntryStatus.APPROVED, EntryStatus.LOCKED})
        if EntryStatus.APPROVED in values and EntryStatus.LOCKED in values:
            q |= Q(status=EntryStatus.APPROVED)
        elif EntryStatus.APPROVED in values:
            q |= Q(status=EntryStatus.APPROVED) & ~Q(month_locked_expression())
        elif EntryStatus.LOCKED in values:
            q |= Q(status=EntryStatus.APPROVED) & Q(month_locked_expression())
        return self.filter(q)

    def in_open_months(self):
        """The entries whose month is not signed off (the only ones a review may move)."""
        return self.filter(~Q(month_locked_expression()))

    def pending(self):
        """Entries awaiting review, found through the queue table (``PendingEntry``, kept by triggers):
        there is deliberately no index on ``status`` (see the model's indexes)."""
        return self.filter(pending__isnull=False)

    def reviewable_by(self, user):
        """Entries a department reviewer may approve or reject: their business systems only. Staff and
        superusers review nothing without a reviewer grant (members.scope: separation of duties); whose
        own work an entry is, is decided by the review itself (reviews.workflow)."""
        scope = scope_of(user)
        if not scope.is_reviewer:
            return self.none()
        return self.filter(business_system_id__in=scope.reviewer_system_ids)

    def review_readable_by(self, user):
        """Entries of the review queue a person may read: a reviewer's systems, and every system for union
        staff (who follow the review, and act on it only within a reviewer grant of their own)."""
        if scope_of(user).reads_everything:
            return self
        return self.reviewable_by(user)

    def editable_by(self, user):
        """Entries a clerk may correct: their units' entries. Staff and superusers change none without a
        clerk grant (members.scope)."""
        scope = scope_of(user)
        if not scope.may_enter:
            return self.none()
        return self.filter(unit_subtree_q(scope.clerk_unit_paths, "unit__path"))

    def clerk_readable_by(self, user):
        """The entries of the clerks' pages a person may read: a clerk's units', and every unit's for union
        staff (who change them only within a clerk grant of their own)."""
        if scope_of(user).reads_everything:
            return self
        return self.editable_by(user)


def month_locked_expression() -> Exists:
    """EXISTS the signed-off review period of the entry (of a WorkEntry queryset's rows)."""
    from reviews.models import ReviewPeriod

    return Exists(ReviewPeriod.objects.signed_off().of_entry_row())


def shown_status_expression() -> Case:
    """WorkEntry.shown_status in SQL (for a values() read: exports): "locked" for an approved entry of a
    signed-off month, else the stored status."""
    from reviews.models import EntryStatus

    return Case(When(Q(status=EntryStatus.APPROVED) & Q(month_locked_expression()),
                     then=Value(EntryStatus.LOCKED.value)),
                default=F("status"), output_field=CharField())


class EntryEventQuerySet(models.QuerySet):
    def visible_to(self, user):
        from reviews.models import WorkEntry

        return self.filter(entry__in=WorkEntry.objects.visible_to(user).values("pk"))


class ReviewPeriodQuerySet(models.QuerySet):
    """A review period is one business system's month in one competition; an entry's is the one of its
    competition, business system and the month of its work date. "Signed off" (locked) is asked here, in
    every shape a caller needs it: for one entry, for the rows of an entries query, for a range of days."""

    def visible_to(self, user):
        scope = scope_of(user)
        if scope.is_staff:
            return self
        if scope.is_reviewer:
            return self.filter(business_system_id__in=scope.reviewer_system_ids)
        return self.none()

    def signed_off(self):
        """The signed-off periods: their approved entries show as locked, and nothing is written into their
        months until union staff reopen them (reviews.workflow)."""
        from reviews.models import PeriodStatus

        return self.filter(status=PeriodStatus.SIGNED_OFF)

    def of_entry(self, entry):
        """The period ``entry`` (a WorkEntry) belongs to: one probe of the periods' unique key."""
        from config.months import month_of

        return self.filter(competition_id=entry.competition_id, business_system_id=entry.business_system_id,
                           month=month_of(entry.work_date))

    def of_entry_row(self, via: str = ""):
        """The period of the WorkEntry row of the enclosing query (for Exists / Subquery); ``via`` reaches
        the entry from another row ("entry__" from a dispute)."""
        return self.filter(competition_id=OuterRef(f"{via}competition_id"),
                           business_system_id=OuterRef(f"{via}business_system_id"),
                           month=Func(OuterRef(f"{via}work_date"),
                                      template="CAST(date_trunc('month', %(expressions)s) AS date)",
                                      output_field=DateField()))

    def overlapping(self, start, end):
        """The periods whose month has a day in [start, end]."""
        from config.months import month_of

        return self.filter(month__gte=month_of(start), month__lte=end)


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

    def with_entry_month_lock(self):
        """Each dispute annotated ``entry_month_locked``: whether the month of the entry it is about is signed
        off, so the entry cannot be changed any more (False for a day without an entry)."""
        from reviews.models import ReviewPeriod

        return self.annotate(entry_month_locked=Exists(ReviewPeriod.objects.signed_off().of_entry_row("entry__")))
