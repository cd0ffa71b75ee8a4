"""Output shapes of the competition catalog (read-only through the API; union staff edit it in the admin)."""

from __future__ import annotations

from django.utils.translation import gettext
from rest_framework import serializers

from competitions.scopes import Scope
from config import cursors


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


# -- standings ---------------------------------------------------------------------------------------

# The scopes of competitions.scopes, worded as the API documents them.
SCOPE_CHOICES = [(Scope.OVERALL.value, "总排名"), (Scope.BUSINESS_SYSTEM.value, "业务系统内"),
                 (Scope.JOB_TYPE.value, "工种内"), (Scope.UNIT.value, "站段内")]


class RanksOutput(serializers.Serializer):
    overall = serializers.IntegerField(help_text="总排名")
    business_system = serializers.IntegerField(help_text="业务系统内排名")
    job_type = serializers.IntegerField(help_text="工种内排名")
    unit = serializers.IntegerField(allow_null=True, help_text="站段内排名；不属于任何站段时为 null")


class ChangesOutput(serializers.Serializer):
    overall = serializers.IntegerField(allow_null=True,
                                       help_text="较上一排名日上升的名次（负数为下降；null 为上次未上榜）")
    business_system = serializers.IntegerField(allow_null=True)
    job_type = serializers.IntegerField(allow_null=True)
    unit = serializers.IntegerField(allow_null=True)


class RuleTotalOutput(serializers.Serializer):
    rule_id = serializers.IntegerField()
    metric = serializers.CharField(help_text="量化指标")
    unit_of_measure = serializers.CharField(help_text="计量单位")
    quantity = serializers.DecimalField(max_digits=18, decimal_places=3, help_text="累计工作量")
    points = serializers.DecimalField(max_digits=18, decimal_places=3, help_text="累计积分")


class StandingDayOutput(serializers.Serializer):
    day = serializers.DateField(help_text="排名日期（按该日及以前的录入计算）")
    points = serializers.DecimalField(max_digits=18, decimal_places=3, help_text="累计积分（已审核 + 待审核）")
    approved_points = serializers.DecimalField(max_digits=18, decimal_places=3, help_text="其中已审核的积分")
    pending_points = serializers.DecimalField(max_digits=18, decimal_places=3, help_text="其中待审核的积分")
    ranks = RanksOutput()
    changes = ChangesOutput(help_text="名次变化（较上一排名日）")
    points_to_next = serializers.DecimalField(max_digits=18, decimal_places=3,
                                              help_text="距上一名次还差的积分（第一名为0）")


class MyStandingOutput(StandingDayOutput):
    competition_id = serializers.IntegerField()
    computed_at = serializers.DateTimeField(help_text="计算时间")


class LeaderboardRowOutput(serializers.Serializer):
    rank = serializers.IntegerField(help_text="该范围内的名次（并列同名次）")
    change = serializers.IntegerField(allow_null=True, help_text="名次变化（正数为上升）")
    worker_id = serializers.IntegerField()
    name = serializers.CharField(help_text="姓名（非本人、非工会干部时脱敏：张*明）")
    depot = serializers.CharField(allow_null=True, help_text="所属站段")
    team = serializers.CharField(help_text="所在班组（职工所属单位）")
    job_type = serializers.CharField(help_text="工种")
    points = serializers.DecimalField(max_digits=18, decimal_places=3, help_text="累计积分")
    approved_points = serializers.DecimalField(max_digits=18, decimal_places=3, help_text="其中已审核")
    is_me = serializers.BooleanField(help_text="是否本人")


class LeaderboardOutput(serializers.Serializer):
    competition_id = serializers.IntegerField()
    day = serializers.DateField(allow_null=True, help_text="排名日期；尚无排名时为 null")
    scope = serializers.ChoiceField(SCOPE_CHOICES)
    scope_id = serializers.IntegerField(allow_null=True)
    next = serializers.CharField(allow_null=True, help_text="下一页链接（按名次）；没有更多时为 null")
    results = LeaderboardRowOutput(many=True)


class AroundMeOutput(serializers.Serializer):
    competition_id = serializers.IntegerField()
    day = serializers.DateField(allow_null=True)
    scope = serializers.ChoiceField(SCOPE_CHOICES)
    scope_id = serializers.IntegerField(allow_null=True, help_text="本人所在的业务系统/工种/站段 id")
    results = LeaderboardRowOutput(many=True)


class StandingQuery(serializers.Serializer):
    day = serializers.DateField(required=False, help_text="排名日期（YYYY-MM-DD），默认最近一次排名")


class LeaderboardQuery(StandingQuery):
    scope = serializers.ChoiceField(SCOPE_CHOICES, default="overall",
                                    help_text="范围：overall 总排名 / business_system / job_type / unit（站段）")
    scope_id = serializers.IntegerField(required=False, min_value=1, max_value=2**63 - 1,
                                        help_text="范围 id（业务系统、工种或站段）；scope 不是 overall 时必填")
    cursor = serializers.CharField(required=False, max_length=cursors.MAX_LENGTH,
                                   help_text="分页游标：取自上一页的 next 链接，不要自行构造")
    page_size = serializers.IntegerField(required=False, min_value=1, max_value=100, default=50,
                                         help_text="每页条数（1-100，默认50）")

    def validate(self, attrs):
        if attrs["scope"] != "overall" and not attrs.get("scope_id"):
            raise serializers.ValidationError({"scope_id": [serializers.ErrorDetail(
                gettext("该范围需要指定 scope_id。"), code="required")]})
        return attrs


class AroundMeQuery(StandingQuery):
    scope = serializers.ChoiceField(SCOPE_CHOICES, default="overall", help_text="范围（以本人所在的范围为准）")
    size = serializers.IntegerField(required=False, min_value=1, max_value=51, default=11,
                                    help_text="返回条数（含本人，1-51，默认11）")
