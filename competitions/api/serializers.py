"""Output shapes of the competition catalog (read-only through the API; union staff edit it in the admin)."""

from __future__ import annotations

from rest_framework import serializers


class BusinessSystemOutput(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField(help_text="编码")
    name = serializers.CharField(help_text="业务系统名称，如 机务、车务")


class JobTypeOutput(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField(help_text="编码")
    name = serializers.CharField(help_text="工种名称")
    business_system = BusinessSystemOutput()


class OrganizerOutput(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField(help_text="主办工会")


class CompetitionOutput(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField(help_text="竞赛名称")
    status = serializers.CharField(help_text="draft 筹备 / active 进行中 / closed 已结束")
    status_label = serializers.CharField(source="get_status_display")
    start_date = serializers.DateField()
    end_date = serializers.DateField()
    description = serializers.CharField()
    organizers = OrganizerOutput(many=True)


class RuleVersionOutput(serializers.Serializer):
    effective_from = serializers.DateField(help_text="生效日期")
    points_per_unit = serializers.DecimalField(max_digits=10, decimal_places=4, help_text="每单位积分")
    daily_cap = serializers.DecimalField(max_digits=12, decimal_places=3, allow_null=True,
                                         help_text="每人每天的工作量上限；null 表示不设上限")


class RuleOutput(serializers.Serializer):
    id = serializers.IntegerField()
    competition_id = serializers.IntegerField()
    job_type = JobTypeOutput()
    metric = serializers.CharField(help_text="量化指标")
    unit_of_measure = serializers.CharField(help_text="计量单位")
    direction = serializers.IntegerField(help_text="1 加分 / -1 扣分")
    is_active = serializers.BooleanField()
    version = RuleVersionOutput(source="version_in_force", allow_null=True,
                                help_text="查询日期（on，默认今天）生效的计分标准；尚未生效为 null")


class RuleQueryInput(serializers.Serializer):
    on = serializers.DateField(required=False, help_text="按哪一天生效的计分标准，默认今天（YYYY-MM-DD）")
