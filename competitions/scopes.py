"""The four scopes a worker is ranked in, one vocabulary for the standings, the portal and the API."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Scope(models.TextChoices):
    OVERALL = "overall", _("总排名")
    BUSINESS_SYSTEM = "business_system", _("业务系统")
    JOB_TYPE = "job_type", _("工种")
    UNIT = "unit", _("站段")

    @property
    def column(self) -> str | None:
        """The Standing column holding the scope's id (None: one list for everyone)."""
        return _COLUMNS[self]

    @property
    def rank(self) -> str:
        return f"rank_{self.value}"

    @property
    def change(self) -> str:
        return f"change_{self.value}"

    @classmethod
    def parse(cls, value: str | None) -> Scope | None:
        """A scope from a URL, or None. ``system`` is what portal links said before the API's word was
        adopted everywhere; bookmarks still carry it."""
        value = ALIASES.get(value, value)
        return cls(value) if value in cls.values else None

    def names(self, scope_id: int) -> bool:
        """Whether ``scope_id`` is something this scope's lists are of: a business system, a job type or a
        depot (站段; a bureau or a workshop has no list of its own). One query; OVERALL takes no id."""
        from competitions.models import BusinessSystem, JobType
        from members.models import Unit, UnitLevel

        if self is Scope.OVERALL:
            return scope_id is None
        found = {Scope.BUSINESS_SYSTEM: BusinessSystem.objects.all(), Scope.JOB_TYPE: JobType.objects.all(),
                 Scope.UNIT: Unit.objects.filter(level=UnitLevel.DEPOT)}[self]
        return found.filter(pk=scope_id).exists()


_COLUMNS = {
    Scope.OVERALL: None,
    Scope.BUSINESS_SYSTEM: "business_system_id",
    Scope.JOB_TYPE: "job_type_id",
    Scope.UNIT: "depot_id",
}
ALIASES = {"system": Scope.BUSINESS_SYSTEM.value}
