"""The competition catalog: competitions, business systems, job types, scoring rules."""

from __future__ import annotations

from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import generics

from competitions.api import filters, serializers
from competitions.models import BusinessSystem, Competition, JobType, RuleVersion, ScoringRule
from config.api.errors import error_responses
from config.api.pagination import IdAscendingPagination, KeysetPagination
from config.api.query import parse_query
from reviews.validation import local_today

TAG = ["竞赛 competitions"]


@extend_schema_view(get=extend_schema(tags=TAG, operation_id="competitions_list", summary="劳动竞赛列表",
                                      description="筹备中的竞赛只对工会干部可见。",
                                      responses={200: serializers.CompetitionOutput(many=True),
                                                 **error_responses(400)}))
class CompetitionList(generics.ListAPIView):
    serializer_class = serializers.CompetitionOutput
    filterset_class = filters.CompetitionFilter
    pagination_class = KeysetPagination

    def get_queryset(self):
        return Competition.objects.visible_to(self.request.user).prefetch_related("organizers")


@extend_schema_view(get=extend_schema(tags=TAG, operation_id="competitions_retrieve", summary="劳动竞赛详情",
                                      responses={200: serializers.CompetitionOutput, **error_responses(404)}))
class CompetitionDetail(generics.RetrieveAPIView):
    serializer_class = serializers.CompetitionOutput

    def get_queryset(self):
        return Competition.objects.visible_to(self.request.user).prefetch_related("organizers")


@extend_schema_view(get=extend_schema(tags=TAG, operation_id="business_systems_list", summary="业务系统列表",
                                      description="固定的小目录（9个），不分页。",
                                      responses={200: serializers.BusinessSystemOutput(many=True),
                                                 **error_responses()}))
class BusinessSystemList(generics.ListAPIView):
    serializer_class = serializers.BusinessSystemOutput
    queryset = BusinessSystem.objects.all()
    pagination_class = None


@extend_schema_view(get=extend_schema(tags=TAG, operation_id="job_types_list", summary="工种列表",
                                      description="固定的小目录（94个），不分页。",
                                      responses={200: serializers.JobTypeOutput(many=True), **error_responses(400)}))
class JobTypeList(generics.ListAPIView):
    serializer_class = serializers.JobTypeOutput
    filterset_class = filters.JobTypeFilter
    queryset = JobType.objects.select_related("business_system")
    pagination_class = None


class RuleQuerysetMixin:
    def get_queryset(self):
        day = parse_query(serializers.RuleQueryInput, self.request.query_params).get("on") or local_today()
        # The versions in force on or before the day, newest first: the first one is the one in force.
        versions = RuleVersion.objects.filter(effective_from__lte=day).order_by("rule_id", "-effective_from")
        return (ScoringRule.objects
                .filter(competition__in=Competition.objects.visible_to(self.request.user))
                .select_related("job_type__business_system")
                .prefetch_related(Prefetch("versions", queryset=versions, to_attr="versions_until_day")))

    def get_serializer(self, *args, **kwargs):
        instances = args[0] if args else None
        for rule in instances if isinstance(instances, list) else [instances] if instances is not None else []:
            rule.version_in_force = rule.versions_until_day[0] if rule.versions_until_day else None
        return super().get_serializer(*args, **kwargs)


@extend_schema_view(get=extend_schema(tags=TAG, operation_id="rules_list", summary="计分规则列表",
                                      description="每条规则附带查询日期生效的计分标准（每单位积分、每日上限）。",
                                      parameters=[serializers.RuleQueryInput],
                                      responses={200: serializers.RuleOutput(many=True), **error_responses(400)}))
class RuleList(RuleQuerysetMixin, generics.ListAPIView):
    serializer_class = serializers.RuleOutput
    filterset_class = filters.RuleFilter
    pagination_class = IdAscendingPagination


@extend_schema_view(get=extend_schema(tags=TAG, operation_id="rules_retrieve", summary="计分规则详情",
                                      parameters=[serializers.RuleQueryInput],
                                      responses={200: serializers.RuleOutput, **error_responses(400, 404)}))
class RuleDetail(RuleQuerysetMixin, generics.RetrieveAPIView):
    serializer_class = serializers.RuleOutput
