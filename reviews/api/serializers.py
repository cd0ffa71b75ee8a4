"""Input and output shapes of entries, disputes and the review queue.

Input serializers only check types and shapes; the business rules (who may enter for whom, caps,
locked months, duplicates) are the services' (``reviews.validation.EntryChecker``), whose refusals
come back as row errors in the one error format.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from config.api.serializers import StrictInputSerializer, id_field
from config.months import format_month, parse_month
from reviews.validation import MAX_QUANTITY

MAX_BATCH_ROWS = 500
MAX_IDS = 1000


class MonthField(serializers.CharField):
    """A month as ``YYYY-MM``; the service gets the first day of it."""

    def __init__(self, **kwargs):
        kwargs.setdefault("help_text", "月份（YYYY-MM）")
        super().__init__(max_length=7, **kwargs)

    def run_validation(self, data=serializers.empty):
        from django.core.exceptions import ValidationError

        value = super().run_validation(data)  # the text, length-checked
        if value in (None, ""):
            return value
        try:
            return parse_month(value)
        except ValidationError as exc:
            raise serializers.ValidationError(exc.messages, code="invalid_month") from None

    def to_representation(self, value):
        return format_month(value)


def quantity_field(**kwargs):
    return serializers.DecimalField(max_digits=12, decimal_places=3, max_value=MAX_QUANTITY,
                                    min_value=-MAX_QUANTITY, **kwargs)


# -- output ----------------------------------------------------------------------------------------

class NamedRefOutput(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class WorkerRefOutput(serializers.Serializer):
    id = serializers.IntegerField()
    employee_no = serializers.CharField(help_text="工号")
    name = serializers.CharField(help_text="姓名")


class RuleRefOutput(serializers.Serializer):
    id = serializers.IntegerField()
    metric = serializers.CharField(help_text="量化指标")
    unit_of_measure = serializers.CharField(help_text="计量单位")


class EntryOutput(serializers.Serializer):
    id = serializers.IntegerField()
    competition_id = serializers.IntegerField()
    worker = WorkerRefOutput()
    rule = RuleRefOutput()
    unit = NamedRefOutput(help_text="录入时职工所在单位")
    job_type = NamedRefOutput()
    business_system = NamedRefOutput()
    work_date = serializers.DateField(help_text="工作日期")
    quantity = serializers.DecimalField(max_digits=12, decimal_places=3, help_text="工作量")
    points = serializers.DecimalField(max_digits=14, decimal_places=3, help_text="积分（按当日生效的计分标准）")
    status = serializers.CharField(
        source="shown_status",
        help_text="pending 待审核 / approved 已通过 / rejected 已退回 / locked 已锁定（已通过且所在月份已签发）")
    status_label = serializers.CharField(source="get_shown_status_display")
    kind = serializers.CharField(help_text="regular 日常录入 / adjustment 调整")
    kind_label = serializers.CharField(source="get_kind_display", help_text="类型（中文）")
    adjusts_id = serializers.IntegerField(allow_null=True, help_text="调整所针对的原录入 id")
    note = serializers.CharField(source="note_text", help_text="说明（系统写的说明用请求的语言，如调整的说明）")
    reject_reason = serializers.CharField(help_text="退回原因（已退回时）")
    source = serializers.CharField(help_text="来源：form/grid/import/api/seed")
    created_at = serializers.DateTimeField(help_text="录入时间")
    updated_at = serializers.DateTimeField()
    reviewed_at = serializers.DateTimeField(allow_null=True, help_text="审核时间")


class EntryEventOutput(serializers.Serializer):
    id = serializers.IntegerField(allow_null=True, help_text="审计记录编号；月度签发（锁定）和解锁记在该月的审核"
                                                            "记录上，整月审核任务的通过记在批量审核记录上，此处为空")
    action = serializers.CharField(help_text="created/edited/resubmitted/approved/rejected/locked/reopened")
    action_label = serializers.CharField(source="get_action_display")
    actor = serializers.SerializerMethodField(help_text="操作人姓名或登录名")
    at = serializers.DateTimeField()
    from_status = serializers.CharField()
    to_status = serializers.CharField()
    from_status_label = serializers.CharField(source="get_from_status_display", help_text="原状态（中文）；无则为空")
    to_status_label = serializers.CharField(source="get_to_status_display", help_text="新状态（中文）")
    old_quantity = serializers.DecimalField(max_digits=12, decimal_places=3, allow_null=True)
    new_quantity = serializers.DecimalField(max_digits=12, decimal_places=3, allow_null=True)
    reason = serializers.CharField(source="text", help_text="原因或说明（系统写的说明用请求的语言）")

    def get_actor(self, event) -> str | None:
        if event.actor is None:
            return None
        return event.actor.get_full_name() or event.actor.username


class EntryDetailOutput(EntryOutput):
    events = EntryEventOutput(many=True, source="history",
                              help_text="审计记录（时间顺序），含所在月份的签发（锁定）和解锁")


class BatchResultOutput(serializers.Serializer):
    created_count = serializers.IntegerField(help_text="保存的条数")
    created_ids = serializers.ListField(child=serializers.IntegerField(), help_text="保存的录入 id（与行顺序一致）")
    errors = serializers.ListField(child=serializers.DictField(), help_text=(
        "仅在 save_valid_only=true 时出现：未保存的行的错误 [{row, field, message, code}]"))


class TransitionResultOutput(serializers.Serializer):
    moved = serializers.IntegerField(help_text="实际变更状态的条数")
    skipped_own = serializers.IntegerField(
        help_text="因是本人的工作量、或本人录入或最后修改而跳过的条数（不能审核自己的工作）")


class DisputeOutput(serializers.Serializer):
    id = serializers.IntegerField()
    worker = WorkerRefOutput()
    entry_id = serializers.IntegerField(allow_null=True, help_text="申诉的录入；对没有录入的某一天申诉时为 null")
    work_date = serializers.DateField()
    unit = NamedRefOutput()
    comment = serializers.CharField(help_text="申诉内容")
    status = serializers.CharField(help_text="open 待处理 / answered 已答复 / corrected 已更正")
    status_label = serializers.CharField(source="get_status_display")
    response = serializers.CharField(help_text="处理意见")
    created_at = serializers.DateTimeField()
    responded_at = serializers.DateTimeField(allow_null=True)


class PeriodOutput(serializers.Serializer):
    id = serializers.IntegerField()
    competition_id = serializers.IntegerField()
    business_system = NamedRefOutput()
    month = MonthField()
    status = serializers.CharField(help_text="open 审核中 / signed_off 已签发")
    status_label = serializers.CharField(source="get_status_display")
    signed_off_at = serializers.DateTimeField(allow_null=True)


# -- input -----------------------------------------------------------------------------------------

class EntryRowInput(StrictInputSerializer):
    worker = id_field(help_text="职工 id")
    rule = id_field(help_text="计分规则 id（须适用于该职工的工种）")
    work_date = serializers.DateField(help_text="工作日期（YYYY-MM-DD），不能是未来日期")
    quantity = quantity_field(help_text="工作量，最多3位小数，不能为负")
    note = serializers.CharField(max_length=200, required=False, allow_blank=True, default="", help_text="说明")


class EntryCreateInput(EntryRowInput):
    competition = id_field(help_text="劳动竞赛 id")


class EntryUpdateInput(StrictInputSerializer):
    work_date = serializers.DateField(required=False, help_text="新的工作日期")
    quantity = quantity_field(required=False, help_text="新的工作量")
    note = serializers.CharField(max_length=200, required=False, allow_blank=True, help_text="新的说明")


class BatchCreateInput(StrictInputSerializer):
    competition = id_field(help_text="劳动竞赛 id")
    rows = EntryRowInput(many=True, allow_empty=False, max_length=MAX_BATCH_ROWS,
                         help_text=f"录入行，最多{MAX_BATCH_ROWS}行；错误中的 row 为本数组下标+1")
    save_valid_only = serializers.BooleanField(default=False, help_text=(
        "false（默认）：有任何一行不通过则全部不保存；true：只保存通过检查的行，并返回其余行的错误"))


class AdjustmentInput(StrictInputSerializer):
    quantity_delta = quantity_field(help_text="调整量：正数增加、负数减少")
    reason = serializers.CharField(max_length=150, help_text="调整原因（必填）")


class RejectInput(StrictInputSerializer):
    reason = serializers.CharField(max_length=200, help_text="退回原因（必填，职工与录入员可见）")


class IdsInput(StrictInputSerializer):
    ids = serializers.ListField(child=id_field(), allow_empty=False, max_length=MAX_IDS,
                                help_text=f"录入 id，最多{MAX_IDS}个；不在您审核范围内的 id 被忽略")


class IdsRejectInput(IdsInput):
    reason = serializers.CharField(max_length=200, help_text="退回原因（必填）")


class ApproveMatchingInput(StrictInputSerializer):
    """The queue's filters, in the body; ``month`` is required so that one click never approves
    a whole competition by accident."""

    month = MonthField(help_text="月份（YYYY-MM，必填）")
    competition = id_field(required=False, help_text="劳动竞赛 id")
    business_system = id_field(required=False, help_text="业务系统 id")
    unit = id_field(required=False, help_text="单位 id（含其下级单位）")
    job_type = id_field(required=False, help_text="工种 id")
    rule = id_field(required=False, help_text="计分规则 id")
    worker = id_field(required=False, help_text="职工 id")
    work_date = serializers.DateField(required=False, help_text="工作日期")


class SignOffInput(StrictInputSerializer):
    competition = id_field(help_text="劳动竞赛 id")
    business_system = id_field(help_text="业务系统 id")
    month = MonthField(help_text="签发的月份（YYYY-MM）；该月全部录入审核完毕后才能签发")


class DisputeOpenInput(StrictInputSerializer):
    entry = id_field(required=False, allow_null=True,
                     help_text="申诉的录入 id（本人的录入）；对缺少录入的某天申诉时不填")
    work_date = serializers.DateField(required=False, allow_null=True,
                                      help_text="申诉的工作日期（不填 entry 时必填；填了 entry 时须是该录入的日期，"
                                                "否则 400 date_mismatch；不填 entry 时须在某个对本人工种计分的"
                                                "劳动竞赛期间内，否则 400 date_outside_competition 或 "
                                                "no_rules_for_job_type）")
    comment = serializers.CharField(max_length=500, help_text="申诉内容")

    def validate(self, attrs):
        if not attrs.get("entry") and not attrs.get("work_date"):
            raise serializers.ValidationError({"work_date": [_("请填写申诉的录入或工作日期。")]}, code="required")
        return attrs


class DisputeAnswerInput(StrictInputSerializer):
    response = serializers.CharField(max_length=500, help_text="处理意见")
    corrected = serializers.BooleanField(default=False, help_text="是否已更正录入（或补录了缺少的一天）")
