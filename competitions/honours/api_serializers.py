"""Input and output shapes of the 公示 endpoints (competitions.honours.api).

A nominee carries what 公示 prints (full name, employee number, units, job type, points, as the list
recorded them) and nothing else of a person: no ID number, no phone.
"""

from __future__ import annotations

from rest_framework import serializers

from competitions.honours import public
from competitions.honours.models import NomineeStatus, ObjectionStatus, RoundKind, RoundStatus
from config import cursors
from config.api.serializers import StrictInputSerializer, id_field


def _choices_text(choices) -> str:
    return " / ".join(f"{value} {label}" for value, label in choices)


class LabelField(serializers.CharField):
    """The label of the choice a row holds under ``source`` (publicized → 公示中)."""

    def __init__(self, choices, **kwargs):
        self.labels = {str(value): str(label) for value, label in choices}
        super().__init__(read_only=True, **kwargs)

    def to_representation(self, value):
        return self.labels.get(str(value), str(value))


# -- output ----------------------------------------------------------------------------------------

class AwardRoundOutput(serializers.Serializer):
    id = serializers.IntegerField()
    competition_id = serializers.IntegerField()
    name = serializers.CharField(help_text="评选名称，如“2026年一季度先进个人”")
    kind = serializers.CharField(help_text=_choices_text(RoundKind.choices))
    kind_label = serializers.CharField(source="get_kind_display")
    unit_level = serializers.CharField(allow_blank=True, help_text="先进集体：depot 站段 / team 班组；先进个人为空")
    status = serializers.CharField(help_text="publicized 公示中 / finalized 已定稿（只列这两种）")
    status_label = serializers.CharField(source="get_status_display")
    basis_start = serializers.DateField(help_text="评选依据的积分期间：起")
    basis_end = serializers.DateField(help_text="评选依据的积分期间：止")
    publicity_start = serializers.DateTimeField(help_text="公示开始时间")
    publicity_end = serializers.DateTimeField(help_text="公示结束时间")
    days_left = serializers.SerializerMethodField(
        help_text="公示剩余天数（不足一天按一天）；公示期已过为0；已定稿为 null")
    objections_open = serializers.SerializerMethodField(help_text="现在能否提出异议（公示期内）")
    finalized_at = serializers.DateTimeField(allow_null=True, help_text="定稿时间；公示中为 null")
    snapshot_digest = serializers.CharField(help_text="名单所依据的期间积分快照的 SHA-256 摘要（64位十六进制）")

    def get_days_left(self, award_round) -> int | None:
        return public.days_left(award_round)

    def get_objections_open(self, award_round) -> bool:
        return public.objections_open(award_round)


class NomineeOutput(serializers.Serializer):
    id = serializers.IntegerField(help_text="名单条目 id（提出异议时用）")
    position = serializers.IntegerField(help_text="名单中的序号")
    rank = serializers.IntegerField(allow_null=True,
                                    help_text="按已审核积分在名额分组内的名次（并列同名次）；评委会增补者为 null")
    group = serializers.CharField(allow_blank=True, help_text="名额分组（如业务系统）；不分组时为空")
    over_quota = serializers.BooleanField(help_text="名额线上并列而入选（超出名额）")
    status = serializers.CharField(help_text=_choices_text(NomineeStatus.choices))
    status_label = LabelField(NomineeStatus.choices, source="status")
    worker_id = serializers.IntegerField(allow_null=True, help_text="先进个人：职工 id；先进集体为 null")
    unit_id = serializers.IntegerField(allow_null=True, help_text="先进集体：单位 id；先进个人为 null")
    name = serializers.CharField(help_text="姓名（公示须显示全名）或单位名称")
    employee_no = serializers.CharField(allow_blank=True, help_text="工号（先进个人）")
    depot = serializers.CharField(source="depot_name", allow_null=True, help_text="所属站段")
    team = serializers.CharField(source="team_name", allow_null=True, help_text="所在班组或车间（先进个人）")
    job_type = serializers.CharField(source="job_type_name", allow_null=True, help_text="工种（先进个人）")
    business_system = serializers.CharField(source="business_system_name", allow_null=True,
                                            help_text="业务系统（先进个人）")
    points = serializers.DecimalField(max_digits=18, decimal_places=3, allow_null=True,
                                      help_text="期间积分（已审核 + 待审核）")
    approved_points = serializers.DecimalField(max_digits=18, decimal_places=3, allow_null=True,
                                               help_text="期间已审核积分（评选依据；先进集体为合计）")
    participants = serializers.IntegerField(allow_null=True, help_text="先进集体：参赛职工人数")
    average_points = serializers.DecimalField(max_digits=18, decimal_places=3, allow_null=True,
                                              help_text="先进集体：人均已审核积分（排名依据）")


class NomineePageOutput(serializers.Serializer):
    next = serializers.CharField(allow_null=True, help_text="下一页链接（按名单序号）；没有更多时为 null")
    results = NomineeOutput(many=True)


class AwardRoundDetailOutput(AwardRoundOutput):
    nominees = NomineePageOutput(help_text="名单中的人选（公示中：拟表彰名单；已定稿：正式表彰名单），按序号分页")


class ObjectionOutput(serializers.Serializer):
    id = serializers.IntegerField()
    round_id = serializers.IntegerField()
    round_name = serializers.CharField()
    competition_id = serializers.IntegerField()
    nominee_id = serializers.IntegerField()
    nominee_name = serializers.CharField(help_text="异议针对的人选姓名或单位名称")
    nominee_employee_no = serializers.CharField(allow_blank=True, help_text="其工号（先进个人）")
    reason = serializers.CharField(help_text="异议理由")
    status = serializers.CharField(help_text=_choices_text(ObjectionStatus.choices))
    status_label = LabelField(ObjectionStatus.choices, source="status")
    answer = serializers.CharField(allow_blank=True, help_text="工会的答复（答复后）")
    answered_at = serializers.DateTimeField(allow_null=True, help_text="答复时间")
    raised_at = serializers.DateTimeField(help_text="提出时间")


class MyHonourOutput(serializers.Serializer):
    id = serializers.IntegerField(help_text="名单条目 id")
    round_id = serializers.IntegerField()
    round_name = serializers.CharField()
    round_status = serializers.CharField(help_text="publicized 公示中 / finalized 已定稿")
    round_status_label = LabelField(RoundStatus.choices, source="round_status")
    kind = serializers.CharField(help_text=_choices_text(RoundKind.choices))
    competition_id = serializers.IntegerField()
    competition_name = serializers.CharField()
    basis_start = serializers.DateField(help_text="评选依据的积分期间：起")
    basis_end = serializers.DateField(help_text="评选依据的积分期间：止")
    rank = serializers.IntegerField(allow_null=True)
    points = serializers.DecimalField(max_digits=18, decimal_places=3, allow_null=True)
    approved_points = serializers.DecimalField(max_digits=18, decimal_places=3, allow_null=True)
    status = serializers.CharField(help_text=_choices_text(NomineeStatus.choices))
    status_label = LabelField(NomineeStatus.choices, source="status")
    is_final = serializers.SerializerMethodField(help_text="是否已获正式表彰")
    finalized_at = serializers.DateTimeField(allow_null=True, help_text="定稿时间")

    def get_is_final(self, row) -> bool:
        return row["status"] == NomineeStatus.FINAL


# -- input -----------------------------------------------------------------------------------------

class NomineePageQuery(serializers.Serializer):
    cursor = serializers.CharField(required=False, max_length=cursors.MAX_LENGTH,
                                   help_text="名单分页游标：取自上一页的 nominees.next 链接，不要自行构造")
    page_size = serializers.IntegerField(required=False, min_value=1, max_value=100, default=50,
                                         help_text="每页人数（1-100，默认50）")


class ObjectionInput(StrictInputSerializer):
    nominee = id_field(help_text="名单条目 id（nominees.results[].id）")
    reason = serializers.CharField(max_length=public.REASON_MAX_LENGTH, help_text="异议理由（必填）")
