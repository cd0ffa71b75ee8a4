"""Forms of the staff's award-round pages. They check what a person typed and say what is wrong in Chinese;
the rules of the round itself (which move is allowed when, what a shortlist is) are the services' to say."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from competitions.honours.models import REASON_MAX, AwardRound, QuotaBy, RoundKind, RoundStatus
from competitions.honours.services import PUBLICITY_DAYS_MAX, ROUND_FIELDS
from competitions.models import BusinessSystem, JobType
from config.api.serializers import MAX_ID
from config.months import parse_month
from config.text import stripped
from members.models import Unit, UnitLevel

QUOTA_FIELD = "quota_%d"


class RoundFilter(forms.Form):
    """The rounds list's filters (and the competition a new round is for), from the query string; a value
    that is not one is ignored."""

    competition = forms.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    status = forms.ChoiceField(required=False, choices=[("", ""), *RoundStatus.choices])

    def chosen(self) -> dict:
        """The filters given and valid (an invalid one is left out of cleaned_data)."""
        self.is_valid()
        return {name: value for name, value in self.cleaned_data.items() if value not in (None, "")}


class TraceQuery(forms.Form):
    """A trace page's query string: the month shown, and for a unit the member whose entries are shown. A
    value that is not one is ignored (the page's default instead)."""

    worker = forms.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    month = forms.CharField(required=False, max_length=7)

    def clean_month(self):
        try:
            return parse_month(self.cleaned_data["month"]) if self.cleaned_data["month"] else None
        except ValidationError:
            return None

    def chosen(self) -> dict:
        self.is_valid()
        return {name: value for name, value in self.cleaned_data.items() if value is not None}


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


def quota_groups(competition, quota_by: str) -> list[tuple[int, str]]:
    """The groups a round of ``competition`` may give quotas to, as (id, name): the business systems and job
    types that have scoring rules in it, or every active depot."""
    if quota_by == QuotaBy.BUSINESS_SYSTEM:
        return list(BusinessSystem.objects.filter(job_types__rules__competition=competition).distinct()
                    .order_by("sort_order", "code").values_list("id", "name"))
    if quota_by == QuotaBy.JOB_TYPE:
        return list(JobType.objects.filter(rules__competition=competition).distinct()
                    .order_by("business_system__sort_order", "code").values_list("id", "name"))
    if quota_by == QuotaBy.DEPOT:
        return list(Unit.objects.filter(level=UnitLevel.DEPOT, is_active=True).order_by("path")
                    .values_list("id", "name"))
    return []


class RoundForm(forms.ModelForm):
    """A round's definition. For fixed quotas per group, one number per group of the chosen grouping
    (``quota_<group id>``); ``fixed_quotas()`` gives them as {group id: quota}. Changing the grouping
    re-renders the form with that grouping's groups (the "refresh" button), so no script is needed."""

    class Meta:
        model = AwardRound
        fields = [*ROUND_FIELDS, "excluded_rounds"]
        widgets = {
            "basis_start": DateInput(), "basis_end": DateInput(),
            "excluded_rounds": forms.CheckboxSelectMultiple(),
            "name": forms.TextInput(attrs={"maxlength": 200, "size": 40}),
        }
        error_messages = {
            "name": {"required": _("请填写评选名称。")},
            "basis_start": {"required": _("请填写评选期开始日期。"), "invalid": _("日期格式应为 YYYY-MM-DD。")},
            "basis_end": {"required": _("请填写评选期结束日期。"), "invalid": _("日期格式应为 YYYY-MM-DD。")},
            "quota_total": {"required": _("请填写总名额。"), "invalid": _("名额须为整数。")},
        }

    def __init__(self, *args, competition, **kwargs):
        super().__init__(*args, **kwargs)
        self.competition = competition
        self.instance.competition = competition
        others = AwardRound.objects.filter(competition=competition).exclude(status=RoundStatus.CANCELLED)
        if self.instance.pk:
            others = others.exclude(pk=self.instance.pk)
        self.fields["excluded_rounds"].queryset = others.order_by("-created_at", "-id")
        self.fields["excluded_rounds"].required = False
        for name in ("quota_total", "max_deductions", "min_active_days", "min_participants"):
            self.fields[name].widget.attrs.update({"min": 0, "step": 1})
        self.fields["quota_total"].widget.attrs["min"] = 1
        self.fields["unit_level"].required = False
        # The grouping the page shows quotas for: what was just chosen, else what is stored.
        chosen = self.data.get("quota_by") if self.is_bound else self.instance.quota_by
        self.quota_by = chosen if chosen in QuotaBy.values else QuotaBy.NONE
        stored = {}
        if self.instance.pk:
            stored = {q.group_id: q.quota for q in self.instance.quotas.all()}
        self.groups = quota_groups(competition, self.quota_by)
        for group_id, group_name in self.groups:
            self.fields[QUOTA_FIELD % group_id] = forms.IntegerField(
                label=group_name, required=False, min_value=0, max_value=100_000, initial=stored.get(group_id),
                error_messages={"invalid": _("名额须为整数。"), "min_value": _("名额不能为负数。"),
                                "max_value": _("名额过大。")})

    @property
    def quota_fields(self):
        return [self[QUOTA_FIELD % group_id] for group_id, _name in self.groups]

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        if not name:
            raise ValidationError(_("请填写评选名称。"))
        return name

    def clean(self):
        # The round's own rules (basis inside the competition, fixed quotas adding up to the total, what fits
        # a collective round) are round_create's and round_edit's to check: the view shows their messages on
        # this form. Here only what the page itself offers: a level left chosen for an individual round.
        data = super().clean()
        if data.get("kind") == RoundKind.INDIVIDUAL:
            data["unit_level"] = ""
        return data

    def fixed_quotas(self) -> dict[int, int]:
        """The per-group numbers typed in (groups left empty or 0 have none)."""
        cleaned = getattr(self, "cleaned_data", {})
        return {group_id: cleaned[QUOTA_FIELD % group_id] for group_id, _name in self.groups
                if cleaned.get(QUOTA_FIELD % group_id)}


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("原因"), max_length=REASON_MAX, widget=forms.Textarea(attrs={"rows": 2}),
                             error_messages={"required": _("请填写原因。"),
                                             "max_length": _("原因不能超过 %(limit_value)d 个字。")})

    def clean_reason(self):
        reason = stripped(self.cleaned_data["reason"])
        if not reason:
            raise ValidationError(_("请填写原因。"))
        return reason


class AddForm(ReasonForm):
    """Committee addition: the worker (individual rounds) or unit (collective rounds) chosen from a search."""

    candidate = forms.IntegerField(min_value=1, max_value=MAX_ID,
                                   error_messages={"required": _("请先搜索并选择要增补的对象。"),
                                                   "invalid": _("请先搜索并选择要增补的对象。"),
                                                   "min_value": _("请先搜索并选择要增补的对象。"),
                                                   "max_value": _("请先搜索并选择要增补的对象。")})


class PublishForm(forms.Form):
    days = forms.IntegerField(label=_("公示天数"), min_value=1, max_value=PUBLICITY_DAYS_MAX, initial=7,
                              error_messages={"required": _("请填写公示天数。"), "invalid": _("公示天数须为整数。"),
                                              "min_value": _("公示天数至少为 1 天。"),
                                              "max_value": _("公示天数不能超过 %(limit_value)d 天。")})


class AnswerForm(forms.Form):
    upheld = forms.TypedChoiceField(
        label=_("结论"), choices=[("yes", _("异议成立（从名单中删除）")), ("no", _("异议不成立（保留）"))],
        coerce=lambda value: value == "yes", widget=forms.RadioSelect,
        error_messages={"required": _("请选择异议是否成立。"), "invalid_choice": _("请选择异议是否成立。")})
    answer = forms.CharField(label=_("答复意见"), max_length=REASON_MAX, widget=forms.Textarea(attrs={"rows": 2}),
                             error_messages={"required": _("请填写答复意见。"),
                                             "max_length": _("答复意见不能超过 %(limit_value)d 个字。")})

    def clean_answer(self):
        answer = stripped(self.cleaned_data["answer"])
        if not answer:
            raise ValidationError(_("请填写答复意见。"))
        return answer
