"""What a signed-in person may act on, read once per request and kept on the user object.

Every ``visible_to(user)`` queryset method builds its filter from this, so the rules of who sees
what are written once. A person may hold several roles at once (a clerk who is also a worker).

Separation of duties: entering work and reviewing it are explicit grants, never a side effect of
``is_staff`` or ``is_superuser``. Entering for a unit needs a clerk grant covering it (subunits included),
reviewing a business system's entries a reviewer grant for that system (``may_enter`` / ``may_review``).
Union staff administer (in the Django admin) and read everything; a staff member who also holds a grant
enters or reviews only within it. The querysets that decide which entries may be changed or reviewed
(reviews.querysets ``editable_by`` / ``reviewable_by``), the API's role checks and the portal's gate read
these and nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Scope:
    is_staff: bool
    clerk_unit_paths: tuple[str, ...]  # a clerk's units, subunits included (path prefixes)
    clerk_unit_ids: tuple[int, ...]
    reviewer_system_ids: tuple[int, ...]
    worker_id: int | None
    # A unit's union officer (基层工会干部): approves enrollment and keeps the membership of their units'
    # workers, subunits included. The federation's union staff are ``is_staff``.
    union_unit_paths: tuple[str, ...] = ()
    union_unit_ids: tuple[int, ...] = ()

    @property
    def is_clerk(self) -> bool:
        return bool(self.clerk_unit_paths)

    @property
    def is_reviewer(self) -> bool:
        return bool(self.reviewer_system_ids)

    @property
    def may_enter(self) -> bool:
        """Holds a clerk grant: may enter work for the workers of ``clerk_unit_paths`` (and only those)."""
        return self.is_clerk

    def may_review(self, system_id) -> bool:
        """Holds a reviewer grant for this business system."""
        return system_id is not None and int(system_id) in self.reviewer_system_ids

    @property
    def reads_everything(self) -> bool:
        """Union staff read every unit's entries and every system's queue, without acting on them."""
        return self.is_staff

    @property
    def is_worker(self) -> bool:
        return self.worker_id is not None

    @property
    def is_union_officer(self) -> bool:
        return bool(self.union_unit_paths)

    @property
    def sees_nothing(self) -> bool:
        return not (self.is_staff or self.is_clerk or self.is_reviewer or self.is_worker or self.is_union_officer)


EMPTY = Scope(False, (), (), (), None)


def scope_of(user) -> Scope:
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return EMPTY
    cached = getattr(user, "_portal_scope", None)
    if cached is not None:
        return cached
    from django.db.models import CharField, Value

    from members.models import Unit, Worker

    # Clerk and union units in one query: pages pin their query counts, and a second role must not add one.
    units = list(
        Unit.objects.filter(clerks=user).annotate(role=Value("clerk", CharField())).values_list("id", "path", "role")
        .union(Unit.objects.filter(union_officers=user).annotate(role=Value("union", CharField()))
               .values_list("id", "path", "role"), all=True)
    )
    clerk = [(pk, path) for pk, path, role in units if role == "clerk"]
    union = [(pk, path) for pk, path, role in units if role == "union"]
    systems = tuple(user.reviewer_systems.values_list("id", flat=True))
    worker_id = Worker.objects.filter(user_id=user.pk).values_list("id", flat=True).first()
    scope = Scope(
        is_staff=bool(user.is_staff),
        clerk_unit_paths=tuple(path for _, path in clerk),
        clerk_unit_ids=tuple(pk for pk, _ in clerk),
        reviewer_system_ids=systems,
        worker_id=worker_id,
        union_unit_paths=tuple(path for _, path in union),
        union_unit_ids=tuple(pk for pk, _ in union),
    )
    user._portal_scope = scope
    return scope
