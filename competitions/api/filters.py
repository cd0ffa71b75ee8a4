"""Filters of the catalog lists: job types and scoring rules by the id of what they belong to."""

import django_filters

from competitions.models import Competition, CompetitionStatus, JobType, ScoringRule
from config.api.filters import BooleanFilter, IdFilter


class CompetitionFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=CompetitionStatus.choices, help_text="状态：draft/active/closed")

    class Meta:
        model = Competition
        fields = ["status"]


class JobTypeFilter(django_filters.FilterSet):
    business_system = IdFilter(field_name="business_system_id", help_text="业务系统 id")

    class Meta:
        model = JobType
        fields = ["business_system"]


class RuleFilter(django_filters.FilterSet):
    competition = IdFilter(field_name="competition_id", help_text="劳动竞赛 id")
    job_type = IdFilter(field_name="job_type_id", help_text="工种 id")
    business_system = IdFilter(field_name="job_type__business_system_id", help_text="业务系统 id")
    is_active = BooleanFilter(help_text="是否启用")

    class Meta:
        model = ScoringRule
        fields = ["competition", "job_type", "business_system", "is_active"]
