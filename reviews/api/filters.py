"""Filters of the entry lists and the reviewer's queue (query string, or a POST body for "approve all matching")."""

from __future__ import annotations

import django_filters
from django import forms
from drf_spectacular.utils import extend_schema_field

from config.api.filters import IdFilter
from config.months import _MONTH_TEXT as MONTH_TEXT
from config.months import month_bounds, parse_month
from members.models import Unit
from reviews.models import Dispute, DisputeStatus, EntryKind, EntryStatus, PeriodStatus, ReviewPeriod, WorkEntry


class MonthFormField(forms.CharField):
    def clean(self, value):
        value = super().clean(value)
        return parse_month(value) if value else None


@extend_schema_field({"type": "string", "pattern": f"^{MONTH_TEXT.pattern}$", "example": "2026-03"})
class MonthFilter(django_filters.Filter):
    field_class = MonthFormField

    def filter(self, qs, value):
        if not value:
            return qs
        first, following = month_bounds(value)
        return qs.filter(**{f"{self.field_name}__gte": first, f"{self.field_name}__lt": following})


def filter_unit_subtree(qs, name, value):
    """A unit and every unit below it (a depot's filter includes its workshops and teams)."""
    if not value:
        return qs
    path = Unit.objects.filter(pk=value).values_list("path", flat=True).first()
    if path is None:
        return qs.none()
    return qs.filter(unit__path__startswith=path)


class EntryFilter(django_filters.FilterSet):
    competition = IdFilter(field_name="competition_id", help_text="劳动竞赛 id")
    business_system = IdFilter(field_name="business_system_id", help_text="业务系统 id")
    unit = IdFilter(method=filter_unit_subtree, help_text="单位 id（含其下级单位）")
    job_type = IdFilter(field_name="job_type_id", help_text="工种 id")
    rule = IdFilter(field_name="rule_id", help_text="计分规则 id")
    worker = IdFilter(field_name="worker_id", help_text="职工 id")
    status = django_filters.MultipleChoiceFilter(choices=EntryStatus.choices, method="filter_status",
                                                 help_text="状态，可多选：pending/approved/rejected/locked"
                                                           "（locked：已通过且所在月份已签发）")
    kind = django_filters.ChoiceFilter(choices=EntryKind.choices, help_text="regular 日常录入 / adjustment 调整")
    work_date = django_filters.DateFilter(help_text="工作日期（YYYY-MM-DD）")
    date_from = django_filters.DateFilter(field_name="work_date", lookup_expr="gte", help_text="工作日期起（含）")
    date_to = django_filters.DateFilter(field_name="work_date", lookup_expr="lte", help_text="工作日期止（含）")
    month = MonthFilter(field_name="work_date", help_text="月份（YYYY-MM）")

    class Meta:
        model = WorkEntry
        fields = ["competition", "business_system", "unit", "job_type", "rule", "worker", "status", "kind",
                  "work_date", "date_from", "date_to", "month"]

    def filter_status(self, qs, name, value):
        return qs.in_shown_status(value) if value else qs


def pending_matching(user, criteria: dict) -> EntryFilter:
    """The filter of "approve all matching" (the API's approve-matching, and the background job it starts for a
    large selection, reviews.jobs): the pending entries ``user`` may review that ``criteria`` select, given as
    query-string values (month ``YYYY-MM``, ids, work_date ``YYYY-MM-DD``). The caller checks ``is_valid()``
    and reads ``qs``: an invalid filter never falls back to all."""
    return EntryFilter(data=criteria, queryset=WorkEntry.objects.reviewable_by(user).filter(status=EntryStatus.PENDING))


class DisputeFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=DisputeStatus.choices, help_text="open/answered/corrected")
    worker = IdFilter(field_name="worker_id", help_text="职工 id")
    unit = IdFilter(method=filter_unit_subtree, help_text="单位 id（含其下级单位）")

    class Meta:
        model = Dispute
        fields = ["status", "worker", "unit"]


class PeriodFilter(django_filters.FilterSet):
    competition = IdFilter(field_name="competition_id", help_text="劳动竞赛 id")
    business_system = IdFilter(field_name="business_system_id", help_text="业务系统 id")
    status = django_filters.ChoiceFilter(choices=PeriodStatus.choices, help_text="open 审核中 / signed_off 已签发")
    month = MonthFilter(field_name="month", help_text="月份（YYYY-MM）")

    class Meta:
        model = ReviewPeriod
        fields = ["competition", "business_system", "status", "month"]
