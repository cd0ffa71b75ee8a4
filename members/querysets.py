"""Who may see which units and workers. Every list of workers goes through ``visible_to``."""

from __future__ import annotations

from functools import reduce
from operator import or_

from django.db import models
from django.db.models import Count, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce, Upper
from django.db.models.lookups import In

from members.scope import scope_of


def unit_subtree_q(paths, field: str = "path") -> Q:
    """Units at or below any of ``paths`` (materialized path prefixes); matches nothing for none."""
    if not paths:
        return Q(pk__in=[])
    return reduce(or_, (Q(**{f"{field}__startswith": path}) for path in paths))


class UnitQuerySet(models.QuerySet):
    def visible_to(self, user):
        scope = scope_of(user)
        if scope.is_staff:
            return self
        if scope.sees_nothing:
            return self.none()
        q = unit_subtree_q(scope.clerk_unit_paths)
        if scope.is_reviewer:
            # A reviewer sees the units that have workers in their business systems.
            q |= Q(workers__job_type__business_system_id__in=scope.reviewer_system_ids)
        if scope.is_worker:
            q |= Q(workers__id=scope.worker_id)
        return self.filter(q).distinct()

    def subtree_of(self, unit):
        return self.filter(path__startswith=unit.path)

    def children_page(self, parent_id: int | None, *, after_code: str | None = None, limit: int = 200):
        """One keyset page of a unit's children (the bureaus for None) by code, each with ``child_count``,
        the number of its own children: the admin's collapsible tree opens one level at a time, so a
        depot with its few hundred units is a page of an index range, however large the whole tree."""
        children = self.filter(parent_id=parent_id) if parent_id is not None else self.filter(parent__isnull=True)
        if after_code is not None:
            children = children.filter(code__gt=after_code)
        counts = (self.model.objects.filter(parent_id=OuterRef("pk")).order_by().values("parent_id")
                  .annotate(n=Count("*")).values("n"))
        return children.annotate(child_count=Coalesce(Subquery(counts), 0)).order_by("code")[:limit]


class WorkerQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Staff see everyone; a clerk their units (subunits included); a reviewer the workers of
        their business systems; a worker only themself. Roles held together add up."""
        scope = scope_of(user)
        if scope.is_staff:
            return self
        if scope.sees_nothing:
            return self.none()
        q = Q(pk__in=[])
        if scope.is_clerk:
            q |= unit_subtree_q(scope.clerk_unit_paths, "unit__path")
        if scope.is_reviewer:
            q |= Q(job_type__business_system_id__in=scope.reviewer_system_ids)
        if scope.is_worker:
            q |= Q(pk=scope.worker_id)
        return self.filter(q)

    def numbered_any_case(self, numbers):
        """Workers whose 工号 is one of ``numbers`` in any case (q0001 names Q0001 here), for the rule that a
        new number may not differ from one on file only by case (Worker.validate_unique, the worker import).
        UPPER(employee_no) is the expression the index worker_empno_upper holds, so this reads the rows it
        names, not the table."""
        return self.filter(In(Upper("employee_no"), sorted({number.upper() for number in numbers})))

    def kept_records(self) -> dict[int, list[tuple[str, int]]]:
        """Per worker of this queryset that cannot be deleted, the records that keep it and how many: every
        relation that protects a worker (on_delete=PROTECT: work entries, disputes, membership history and
        cards, nominations) counted in one query, e.g. {7: [("工作量录入", 12), ("申诉", 1)]}. Such a worker
        leaves (is_active=False, 在职 unticked) instead: the records are the history of their work."""
        relations = [r for r in self.model._meta.related_objects if r.on_delete is models.PROTECT]
        counts = {
            f"kept_{i}": Coalesce(models.Subquery(
                r.related_model._base_manager.filter(**{r.field.name: models.OuterRef("pk")}).order_by()
                .values(r.field.name).annotate(n=models.Count("*")).values("n")), 0)
            for i, r in enumerate(relations)}
        kept = {}
        for row in self.order_by().annotate(**counts).values("pk", *counts):
            found = [(str(r.related_model._meta.verbose_name), row[f"kept_{i}"])
                     for i, r in enumerate(relations) if row[f"kept_{i}"]]
            if found:
                kept[row["pk"]] = found
        return kept

    def taking_part_in(self, competition_id: int):
        """The workers taking part in a competition: it has a scoring rule for their job type (the rule
        Competition.objects.taking_part reads from the competition's side)."""
        from competitions.models import ScoringRule

        return self.filter(models.Exists(ScoringRule.objects.filter(competition_id=competition_id,
                                                                    job_type_id=models.OuterRef("job_type_id"))))

    def membership_kept_by(self, user):
        """Workers whose union membership a person keeps (decides enrollment, records a transfer,
        suspension, termination or restoration): staff everyone, a union officer their units' workers."""
        scope = scope_of(user)
        if scope.is_staff:
            return self
        return self.filter(unit_subtree_q(scope.union_unit_paths, "unit__path"))

    def may_apply_for(self, user):
        """Workers a person may submit an enrollment form for: themself, a clerk or a union officer their
        units' workers (on the worker's behalf; the union office also imports forms), staff anyone."""
        scope = scope_of(user)
        if scope.is_staff:
            return self
        q = unit_subtree_q(scope.clerk_unit_paths + scope.union_unit_paths, "unit__path")
        if scope.is_worker:
            q |= Q(pk=scope.worker_id)
        return self.filter(q)

    def enterable_by(self, user):
        """Workers a person may enter work for: a clerk's own units only. Union staff and superusers enter
        nothing without a clerk grant (members.scope: separation of duties)."""
        scope = scope_of(user)
        if not scope.may_enter:
            return self.none()
        return self.filter(unit_subtree_q(scope.clerk_unit_paths, "unit__path"))


def _union_subtree_q(scope, field: str) -> Q:
    return unit_subtree_q(scope.union_unit_paths, field)


class MembershipApplicationQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Staff see every application; a union officer and a clerk those of their units (subunits
        included: a clerk submits for their workers, an officer decides); a worker only their own."""
        scope = scope_of(user)
        if scope.is_staff:
            return self
        q = Q(pk__in=[])
        if scope.is_union_officer:
            q |= _union_subtree_q(scope, "unit__path")
        if scope.is_clerk:
            q |= unit_subtree_q(scope.clerk_unit_paths, "unit__path")
        if scope.is_worker:
            q |= Q(worker_id=scope.worker_id)
        return self.filter(q)

    def decidable_by(self, user):
        """The applications a person may approve, return or reject: staff all, a union officer their units',
        never their own (an officer or a member of staff who is a worker does not decide their own
        enrollment; another does)."""
        scope = scope_of(user)
        if scope.is_staff:
            own = self
        elif scope.is_union_officer:
            own = self.filter(_union_subtree_q(scope, "unit__path"))
        else:
            return self.none()
        return own.exclude(worker_id=scope.worker_id) if scope.worker_id is not None else own


class MemberRecordQuerySet(models.QuerySet):
    """A member's own records (history, cards): staff see all; a union officer their units' members'
    (a card number still shown masked to them); the member their own."""

    def visible_to(self, user):
        scope = scope_of(user)
        if scope.is_staff:
            return self
        q = Q(pk__in=[])
        if scope.is_union_officer:
            q |= _union_subtree_q(scope, "worker__unit__path")
        if scope.is_worker:
            q |= Q(worker_id=scope.worker_id)
        return self.filter(q)


class NotificationQuerySet(models.QuerySet):
    def visible_to(self, user):
        """A notification is its recipient's alone, whatever their roles: staff do not read other people's
        messages either."""
        if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
            return self.none()
        return self.filter(recipient_id=user.pk)

    def unread(self):
        return self.filter(read_at__isnull=True)
