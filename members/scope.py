"""What a signed-in person may act on, read once per request and kept on the user object.

Every ``visible_to(user)`` queryset method builds its filter from this, so the rules of who sees
what are written once. A person may hold several roles at once (a clerk who is also a worker).
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

    @property
    def is_clerk(self) -> bool:
        return bool(self.clerk_unit_paths)

    @property
    def is_reviewer(self) -> bool:
        return bool(self.reviewer_system_ids)

    @property
    def is_worker(self) -> bool:
        return self.worker_id is not None

    @property
    def sees_nothing(self) -> bool:
        return not (self.is_staff or self.is_clerk or self.is_reviewer or self.is_worker)


EMPTY = Scope(False, (), (), (), None)


def scope_of(user) -> Scope:
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return EMPTY
    cached = getattr(user, "_portal_scope", None)
    if cached is not None:
        return cached
    from members.models import Worker

    units = list(user.clerk_units.values_list("id", "path"))
    systems = tuple(user.reviewer_systems.values_list("id", flat=True))
    worker_id = Worker.objects.filter(user_id=user.pk).values_list("id", flat=True).first()
    scope = Scope(
        is_staff=bool(user.is_staff),
        clerk_unit_paths=tuple(path for _, path in units),
        clerk_unit_ids=tuple(pk for pk, _ in units),
        reviewer_system_ids=systems,
        worker_id=worker_id,
    )
    user._portal_scope = scope
    return scope
