import django_filters

from competitions.models import Competition, CompetitionStatus, JobType, ScoringRule


class CompetitionFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=CompetitionStatus.choices, help_text="状态：draft/active/closed")

    class Meta:
        model = Competition
        fields = ["status"]


class JobTypeFilter(django_filters.FilterSet):
    business_system = django_filters.NumberFilter(field_name="business_system_id", help_text="业务系统 id")

    class Meta:
        model = JobType
        fields = ["business_system"]


class RuleFilter(django_filters.FilterSet):
    competition = django_filters.NumberFilter(field_name="competition_id", help_text="劳动竞赛 id")
    job_type = django_filters.NumberFilter(field_name="job_type_id", help_text="工种 id")
    business_system = django_filters.NumberFilter(field_name="job_type__business_system_id", help_text="业务系统 id")
    is_active = django_filters.BooleanFilter(help_text="是否启用")

    class Meta:
        model = ScoringRule
        fields = ["competition", "job_type", "business_system", "is_active"]
