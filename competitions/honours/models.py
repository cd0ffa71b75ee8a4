"""Award rounds (评选): 先进个人 and 先进集体 chosen from the period standings, and every step of the way from
the shortlist to the final list (who, when, why).

The models belong to the ``competitions`` app (imported at the end of competitions/models.py), so they live in
its migrations. The rules of who may see what are in competitions/honours/querysets.py; every write goes
through competitions/honours/services.py (the workflow) and shortlist.py (the shortlist); a database trigger
(sql/honours_frozen.sql, see competitions.honours.freeze) refuses any write to a finalized or cancelled
round, its quotas, nominees and objections, whatever path the write takes.
"""

from __future__ import annotations

import re

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import translation
from django.utils.translation import gettext as gettext_now
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop, ngettext

# Registers the freeze guard's SQL file, so `manage.py check` compares it with what is installed.
from competitions.honours.freeze import HONOURS_FROZEN  # noqa: F401
from competitions.honours.querysets import AwardRoundQuerySet, NomineeQuerySet, ObjectionQuerySet
from members.models import SkillGrade

REASON_MAX = 500


class RoundKind(models.TextChoices):
    INDIVIDUAL = "individual", _("先进个人")
    COLLECTIVE = "collective", _("先进集体")


class UnitLevelChoice(models.TextChoices):
    """The units a collective round ranks."""

    DEPOT = "depot", _("站段")
    TEAM = "team", _("班组")


class RoundStatus(models.TextChoices):
    DRAFT = "draft", _("筹备")
    SHORTLISTED = "shortlisted", _("已生成初选名单")
    PROPOSED = "proposed", _("拟表彰名单")
    PUBLICIZED = "publicized", _("公示中")
    FINALIZED = "finalized", _("已定稿")
    CANCELLED = "cancelled", _("已取消")


# A finalized or cancelled round never changes again (services check it, the freeze trigger enforces it).
CLOSED_STATUSES = (RoundStatus.FINALIZED, RoundStatus.CANCELLED)
# The lists everyone taking part in the competition may read: the 公示 and the final list.
PUBLIC_STATUSES = (RoundStatus.PUBLICIZED, RoundStatus.FINALIZED)


class QuotaBy(models.TextChoices):
    NONE = "none", _("不分组")
    BUSINESS_SYSTEM = "business_system", _("按业务系统")
    JOB_TYPE = "job_type", _("按工种")
    DEPOT = "depot", _("按站段")


class QuotaMode(models.TextChoices):
    FIXED = "fixed", _("固定名额")
    PROPORTIONAL = "proportional", _("按参赛人数比例")


class TieRule(models.TextChoices):
    """How a tie at the quota line is resolved. Staff read the label where they choose it, and the list says
    which rule made it (TIE_RULE_TEXT)."""

    INCLUDE_ALL = "include_all", _("并列者全部入选（可超出名额）")
    STATED = "stated", _("按规则排序（个人：有效天数多、扣分少、工号小者优先；"
                         "集体：总积分高、参赛人数多、单位编码小者优先）")


TIE_RULE_TEXT = {
    TieRule.INCLUDE_ALL: _("名额线上积分相同者全部入选，入选人数可能超过名额，超出者在名单上注明“并列入选”。"),
    TieRule.STATED: _("名额线上积分（已审核积分）相同者，依次比较：评选期内有效天数（有计入录入的日期数）多者优先；"
                      "再比较扣分次数（扣分类指标的计入录入数）少者优先；仍相同的，工号小者优先。"
                      "先进集体评选中人均已审核积分相同者，依次比较：已审核积分总数高者优先；参赛人数多者优先；"
                      "单位编码小者优先。"),
}


class AwardRound(models.Model):
    """One award round (评选) of a competition: its basis period, quotas, eligibility rules and where it stands.

    status: draft → shortlisted → proposed (拟表彰名单) → publicized (公示中, publicity_start/end) → finalized;
    any state before finalized may be cancelled. ``snapshot`` is the period standings the shortlist was
    generated from, ``snapshot_digest`` its digest as the list cites it.
    Eligibility rules are optional: null (or false) means "no such rule"; ``max_deductions`` 0 means "no
    deduction allowed".
    """

    competition = models.ForeignKey("competitions.Competition", verbose_name=_("劳动竞赛"), on_delete=models.PROTECT,
                                    related_name="award_rounds")
    name = models.CharField(_("评选名称"), max_length=200)
    kind = models.CharField(_("表彰类别"), max_length=12, choices=RoundKind.choices, default=RoundKind.INDIVIDUAL)
    unit_level = models.CharField(_("集体层级"), max_length=8, choices=UnitLevelChoice.choices, blank=True,
                                  help_text=_("先进集体评选：按站段或班组排名。"))
    basis_start = models.DateField(_("评选期开始"))
    basis_end = models.DateField(_("评选期结束"))
    status = models.CharField(_("状态"), max_length=12, choices=RoundStatus.choices, default=RoundStatus.DRAFT)

    quota_total = models.PositiveIntegerField(_("总名额"))
    quota_by = models.CharField(_("名额分组"), max_length=16, choices=QuotaBy.choices, default=QuotaBy.NONE)
    quota_mode = models.CharField(_("分组名额方式"), max_length=12, choices=QuotaMode.choices,
                                  default=QuotaMode.PROPORTIONAL)
    tie_rule = models.CharField(_("名额线并列时"), max_length=12, choices=TieRule.choices,
                                default=TieRule.INCLUDE_ALL)

    signed_off_only = models.BooleanField(_("只计已签发月份"), default=True,
                                          help_text=_("只计业务部门已签发月份的已审核积分。"))
    min_points = models.DecimalField(_("最低已审核积分"), max_digits=18, decimal_places=3, null=True, blank=True)
    max_deductions = models.PositiveIntegerField(_("最多扣分次数"), null=True, blank=True,
                                                 help_text=_("留空表示不限；0 表示评选期内不得有扣分。"))
    no_open_dispute = models.BooleanField(_("无未处理申诉"), default=False)
    min_active_days = models.PositiveIntegerField(_("最少有效天数"), null=True, blank=True)
    min_participants = models.PositiveIntegerField(_("最少参赛人数"), null=True, blank=True,
                                                   help_text=_("先进集体评选：参赛职工少于此数的单位不参评。"))
    min_skill_grade = models.PositiveSmallIntegerField(
        _("最低技能等级"), choices=SkillGrade.choices, null=True, blank=True,
        help_text=_("职工当前的技能等级（新八级工，最近一次评定）低于此等级的不参评。"))
    excluded_rounds = models.ManyToManyField("self", verbose_name=_("已在这些评选中获表彰者不参评"), blank=True,
                                             symmetrical=False, related_name="+")

    snapshot = models.ForeignKey("competitions.PeriodSnapshot", verbose_name=_("排名快照"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="award_rounds")
    snapshot_digest = models.CharField(_("快照摘要"), max_length=64, blank=True)
    shortlisted_at = models.DateTimeField(_("初选时间"), null=True, blank=True)
    publicity_days = models.PositiveIntegerField(_("公示天数"), null=True, blank=True)
    publicity_start = models.DateTimeField(_("公示开始"), null=True, blank=True)
    publicity_end = models.DateTimeField(_("公示结束"), null=True, blank=True)
    finalized_at = models.DateTimeField(_("定稿时间"), null=True, blank=True)

    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("创建人"), null=True,
                                   on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    objects = AwardRoundQuerySet.as_manager()

    class Meta:
        verbose_name = _("评选")
        verbose_name_plural = _("评选")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(basis_end__gte=F("basis_start")), name="awardround_basis_ordered",
                                   violation_error_message=_("评选期结束日期不能早于开始日期。")),
            models.CheckConstraint(condition=Q(kind__in=RoundKind.values), name="awardround_kind_valid"),
            models.CheckConstraint(condition=Q(status__in=RoundStatus.values), name="awardround_status_valid"),
            models.CheckConstraint(condition=Q(quota_by__in=QuotaBy.values), name="awardround_quota_by_valid"),
            models.CheckConstraint(condition=Q(quota_mode__in=QuotaMode.values), name="awardround_quota_mode_valid"),
            models.CheckConstraint(condition=Q(tie_rule__in=TieRule.values), name="awardround_tie_rule_valid"),
            models.CheckConstraint(condition=Q(quota_total__gt=0), name="awardround_quota_positive",
                                   violation_error_message=_("总名额必须大于0。")),
            models.CheckConstraint(
                condition=Q(kind=RoundKind.INDIVIDUAL, unit_level="")
                | Q(kind=RoundKind.COLLECTIVE, unit_level__in=UnitLevelChoice.values),
                name="awardround_collective_has_level",
                violation_error_message=_("先进集体评选须选择站段或班组；先进个人评选不选层级。")),
            models.CheckConstraint(
                condition=~Q(status__in=[RoundStatus.PUBLICIZED, RoundStatus.FINALIZED])
                | Q(publicity_start__isnull=False, publicity_end__gt=F("publicity_start")),
                name="awardround_publicity_dates",
                violation_error_message=_("公示须有开始和结束时间，且结束晚于开始。")),
            models.CheckConstraint(
                condition=Q(status=RoundStatus.DRAFT) | Q(status=RoundStatus.CANCELLED) | Q(snapshot__isnull=False),
                name="awardround_list_has_snapshot"),
        ]
        indexes = [models.Index(fields=["competition", "status"], name="awardround_competition_status")]

    def __str__(self):
        return self.name

    @property
    def is_collective(self) -> bool:
        return self.kind == RoundKind.COLLECTIVE

    @property
    def tie_rule_text(self) -> str:
        return str(TIE_RULE_TEXT[TieRule(self.tie_rule)])


class AwardQuota(models.Model):
    """A fixed quota of one group (business system, job type or depot, as the round's ``quota_by`` says)."""

    round = models.ForeignKey(AwardRound, verbose_name=_("评选"), on_delete=models.CASCADE, related_name="quotas")
    business_system = models.ForeignKey("competitions.BusinessSystem", verbose_name=_("业务系统"), null=True,
                                        blank=True, on_delete=models.PROTECT, related_name="+")
    job_type = models.ForeignKey("competitions.JobType", verbose_name=_("工种"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="+")
    depot = models.ForeignKey("members.Unit", verbose_name=_("站段"), null=True, blank=True,
                              on_delete=models.PROTECT, related_name="+")
    quota = models.PositiveIntegerField(_("名额"))

    class Meta:
        verbose_name = _("分组名额")
        verbose_name_plural = _("分组名额")
        constraints = [
            models.CheckConstraint(
                condition=Q(business_system__isnull=False, job_type__isnull=True, depot__isnull=True)
                | Q(business_system__isnull=True, job_type__isnull=False, depot__isnull=True)
                | Q(business_system__isnull=True, job_type__isnull=True, depot__isnull=False),
                name="awardquota_one_group", violation_error_message=_("每条名额只能对应一个分组。")),
            models.UniqueConstraint(fields=["round", "business_system"], name="awardquota_unique_system",
                                    condition=Q(business_system__isnull=False),
                                    violation_error_message=_("该业务系统已设名额。")),
            models.UniqueConstraint(fields=["round", "job_type"], name="awardquota_unique_job_type",
                                    condition=Q(job_type__isnull=False), violation_error_message=_("该工种已设名额。")),
            models.UniqueConstraint(fields=["round", "depot"], name="awardquota_unique_depot",
                                    condition=Q(depot__isnull=False), violation_error_message=_("该站段已设名额。")),
        ]

    def __str__(self):
        return f"{self.round_id}: {self.quota}"

    @property
    def group_id(self) -> int:
        return self.business_system_id or self.job_type_id or self.depot_id


class NomineeStatus(models.TextChoices):
    SHORTLISTED = "shortlisted", _("初选入围")
    ADDED = "added", _("评委会增补")
    REMOVED = "removed", _("评委会删除")
    UPHELD_OBJECTION = "upheld_objection", _("异议成立，已删除")
    FINAL = "final", _("正式表彰")


# Nominees on the list (the others were taken off it, with a reason).
LISTED_STATUSES = (NomineeStatus.SHORTLISTED, NomineeStatus.ADDED, NomineeStatus.FINAL)
# A committee change or an upheld objection always says why.
REASONED_STATUSES = (NomineeStatus.ADDED, NomineeStatus.REMOVED, NomineeStatus.UPHELD_OBJECTION)


class Nominee(models.Model):
    """A worker (先进个人) or a unit (先进集体) on a round's list, with what put them there.

    The person's or unit's name, employee number, units and job type are copied when they join the list, so
    the list (and the final one above all) reads as it was decided even if the worker moves later. ``rank`` is
    the rank by approved points within the quota group (ties share a rank; null for a committee addition
    from outside the ranking); ``group_id``/``group_name`` the quota group (null/blank when quotas are not
    grouped). ``over_quota``: let in by a tie at the quota line beyond the group's quota (include_all).
    ``position`` orders the list.
    """

    round = models.ForeignKey(AwardRound, verbose_name=_("评选"), on_delete=models.CASCADE, related_name="nominees")
    worker = models.ForeignKey("members.Worker", verbose_name=_("职工"), null=True, blank=True,
                               on_delete=models.PROTECT, related_name="nominations")
    unit = models.ForeignKey("members.Unit", verbose_name=_("单位"), null=True, blank=True,
                             on_delete=models.PROTECT, related_name="nominations")
    name = models.CharField(_("姓名/单位名称"), max_length=100)
    employee_no = models.CharField(_("工号"), max_length=20, blank=True)
    business_system = models.ForeignKey("competitions.BusinessSystem", verbose_name=_("业务系统"), null=True,
                                        blank=True, on_delete=models.PROTECT, related_name="+")
    job_type = models.ForeignKey("competitions.JobType", verbose_name=_("工种"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="+")
    depot = models.ForeignKey("members.Unit", verbose_name=_("站段"), null=True, blank=True,
                              on_delete=models.PROTECT, related_name="+")
    team = models.ForeignKey("members.Unit", verbose_name=_("班组"), null=True, blank=True,
                             on_delete=models.PROTECT, related_name="+")
    group_id = models.BigIntegerField(_("名额分组"), null=True, blank=True)
    group_name = models.CharField(_("名额分组名称"), max_length=100, blank=True)
    rank = models.IntegerField(_("排名"), null=True, blank=True)
    points = models.DecimalField(_("积分"), max_digits=18, decimal_places=3, null=True, blank=True)
    approved_points = models.DecimalField(_("已审核积分"), max_digits=18, decimal_places=3, null=True, blank=True)
    # Collective rounds: the participating workers and their average approved points (the ranking's basis).
    participants = models.PositiveIntegerField(_("参赛人数"), null=True, blank=True)
    average_points = models.DecimalField(_("人均已审核积分"), max_digits=18, decimal_places=3, null=True, blank=True)
    active_days = models.PositiveIntegerField(_("有效天数"), null=True, blank=True)
    deductions = models.PositiveIntegerField(_("扣分次数"), null=True, blank=True)
    over_quota = models.BooleanField(_("并列入选"), default=False)
    status = models.CharField(_("状态"), max_length=16, choices=NomineeStatus.choices,
                              default=NomineeStatus.SHORTLISTED)
    reason = models.CharField(_("原因"), max_length=REASON_MAX, blank=True)
    position = models.PositiveIntegerField(_("序号"))

    objects = NomineeQuerySet.as_manager()

    class Meta:
        verbose_name = _("候选人")
        verbose_name_plural = _("候选人")
        ordering = ["round", "position", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(worker__isnull=False, unit__isnull=True)
                                   | Q(worker__isnull=True, unit__isnull=False),
                                   name="nominee_worker_xor_unit",
                                   violation_error_message=_("候选对象须是一名职工或一个单位。")),
            models.CheckConstraint(condition=Q(status__in=NomineeStatus.values), name="nominee_status_valid"),
            models.CheckConstraint(condition=~Q(status__in=REASONED_STATUSES) | ~Q(reason=""),
                                   name="nominee_change_has_reason",
                                   violation_error_message=_("增补、删除须填写原因。")),
            models.UniqueConstraint(fields=["round", "worker"], condition=Q(worker__isnull=False),
                                    name="nominee_worker_once", violation_error_message=_("该职工已在名单中。")),
            models.UniqueConstraint(fields=["round", "unit"], condition=Q(unit__isnull=False),
                                    name="nominee_unit_once", violation_error_message=_("该单位已在名单中。")),
        ]
        indexes = [models.Index(fields=["worker", "status"], name="nominee_worker_status",
                                condition=Q(worker__isnull=False))]

    def __str__(self):
        return f"{self.employee_no} {self.name}".strip()

    @property
    def is_listed(self) -> bool:
        return self.status in LISTED_STATUSES


class ExclusionRule(models.TextChoices):
    MIN_POINTS = "min_points", _("已审核积分低于最低要求")
    MAX_DEDUCTIONS = "max_deductions", _("扣分次数超过允许次数")
    OPEN_DISPUTE = "open_dispute", _("有未处理的申诉")
    MIN_ACTIVE_DAYS = "min_active_days", _("有效天数不足")
    ALREADY_HONOURED = "already_honoured", _("已在指定评选中获表彰")
    MIN_PARTICIPANTS = "min_participants", _("参赛人数不足")
    MIN_SKILL_GRADE = "min_skill_grade", _("技能等级低于最低要求")


# What an exclusion says of the rule broken, worded by the system (never typed by a person). The same text is
# PostgreSQL's format() template when the shortlist writes the stored ``detail`` (competitions.honours.shortlist:
# %1$s is the first value after the template) and is filled in here, from the row's facts, when it is shown.
# A text that states a count of things (its first value: deductions, disputes, days, participants) is a plural
# message, shown in the form for that count (English "1 deduction > 0 allowed", "2 deductions > 0 allowed");
# Chinese has one form, the message id itself, which is the template the shortlist writes its details with.
EXCLUSION_TEXTS = {
    ExclusionRule.MIN_POINTS: _("已审核积分 %1$s < 最低 %2$s"),
    ExclusionRule.MAX_DEDUCTIONS: gettext_noop("扣分 %1$s 次 > 允许 %2$s 次"),
    ExclusionRule.OPEN_DISPUTE: gettext_noop("有 %1$s 条未处理的申诉"),
    ExclusionRule.MIN_ACTIVE_DAYS: gettext_noop("有效天数 %1$s 天 < 最少 %2$s 天"),
    ExclusionRule.ALREADY_HONOURED: _("已在“%1$s”中获表彰"),
    ExclusionRule.MIN_PARTICIPANTS: gettext_noop("参赛人数 %1$s 人 < 最少 %2$s 人"),
    ExclusionRule.MIN_SKILL_GRADE: _("技能等级 %1$s 低于 %2$s"),
}
# The facts (Exclusion.params keys) each rule's text says, in the template's order. The figures are kept as
# PostgreSQL wrote them (numeric text such as "12.500"), the skill grades as numbers (their names are worded
# when shown), the earlier round by its name.
EXCLUSION_FACTS = {
    ExclusionRule.MIN_POINTS: ("points", "min"),
    ExclusionRule.MAX_DEDUCTIONS: ("deductions", "allowed"),
    ExclusionRule.OPEN_DISPUTE: ("disputes",),
    ExclusionRule.MIN_ACTIVE_DAYS: ("days", "min"),
    ExclusionRule.ALREADY_HONOURED: ("round",),
    ExclusionRule.MIN_PARTICIPANTS: ("participants", "min"),
    ExclusionRule.MIN_SKILL_GRADE: ("grade", "min"),
}
COUNTED_EXCLUSIONS = {ExclusionRule.MAX_DEDUCTIONS, ExclusionRule.OPEN_DISPUTE, ExclusionRule.MIN_ACTIVE_DAYS,
                      ExclusionRule.MIN_PARTICIPANTS}
_POSITIONAL = re.compile(r"%(?:(\d+)\$s|%)")


def _fill(template: str, values: list) -> str:
    """PostgreSQL's format() of ``template`` with ``values`` (%1$s, %2$s and %% only), in one pass, so a value
    that happens to contain "%2$s" is not filled in again."""
    return _POSITIONAL.sub(lambda m: "%" if m.group(1) is None else str(values[int(m.group(1)) - 1]), template)


def exclusion_text(rule: str, facts: dict) -> str:
    """What an exclusion under ``rule`` says about ``facts`` (its params), in the active language. Raises
    KeyError, TypeError or ValueError for facts that do not fit the rule."""
    rule = ExclusionRule(rule)
    values = [facts[key] for key in EXCLUSION_FACTS[rule]]
    if rule == ExclusionRule.MIN_SKILL_GRADE:
        values = [SkillGrade(int(value)).label for value in values]
    text = EXCLUSION_TEXTS[rule]
    if rule in COUNTED_EXCLUSIONS:
        text = ngettext(text, text, int(values[0]))
    return _fill(str(text), values)


class Exclusion(models.Model):
    """Someone who ranked at or above the final quota line of their group but was not shortlisted, and the
    rule that excluded them, with the figure (``detail``: "扣分 2 次 > 允许 0 次", and its facts in ``params``:
    {"deductions": 2, "allowed": 0}, which ``text`` words in the reader's language). One row per rule broken."""

    round = models.ForeignKey(AwardRound, verbose_name=_("评选"), on_delete=models.CASCADE, related_name="exclusions")
    worker = models.ForeignKey("members.Worker", verbose_name=_("职工"), null=True, blank=True,
                               on_delete=models.PROTECT, related_name="+")
    unit = models.ForeignKey("members.Unit", verbose_name=_("单位"), null=True, blank=True,
                             on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("姓名/单位名称"), max_length=100)
    employee_no = models.CharField(_("工号"), max_length=20, blank=True)
    group_id = models.BigIntegerField(_("名额分组"), null=True, blank=True)
    group_name = models.CharField(_("名额分组名称"), max_length=100, blank=True)
    rank = models.IntegerField(_("排名"))
    approved_points = models.DecimalField(_("已审核积分"), max_digits=18, decimal_places=3)
    rule = models.CharField(_("不符合的条件"), max_length=20, choices=ExclusionRule.choices)
    # Worded in the portal's language when written (for the admin, exports and rows older than ``params``);
    # shown from the facts in the reader's (``text``).
    detail = models.CharField(_("说明"), max_length=200)
    params = models.JSONField(_("说明参数"), default=dict, blank=True,
                              db_default=models.Value({}, output_field=models.JSONField()))

    class Meta:
        verbose_name = _("未入选说明")
        verbose_name_plural = _("未入选说明")
        ordering = ["round", "group_id", "rank", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(worker__isnull=False, unit__isnull=True)
                                   | Q(worker__isnull=True, unit__isnull=False), name="exclusion_worker_xor_unit"),
            models.CheckConstraint(condition=Q(rule__in=ExclusionRule.values), name="exclusion_rule_valid"),
        ]

    def __str__(self):
        return f"{self.name}: {self.detail}"

    @property
    def text(self) -> str:
        """The detail in the reader's (the active) language, from the facts; a row without them (written before
        they were kept), or whose facts do not fit the rule, shows its stored detail."""
        if self.params:
            try:
                return exclusion_text(self.rule, self.params)
            except (KeyError, TypeError, ValueError, IndexError):
                pass
        return self.detail


class RoundAction(models.TextChoices):
    CREATED = "created", _("创建")
    EDITED = "edited", _("修改")
    SHORTLISTED = "shortlisted", _("生成初选名单")
    REMOVED = "removed", _("评委会删除")
    ADDED = "added", _("评委会增补")
    PROPOSED = "proposed", _("确定拟表彰名单")
    PUBLISHED = "published", _("开始公示")
    OBJECTION_RAISED = "objection_raised", _("提出异议")
    OBJECTION_UPHELD = "objection_upheld", _("异议成立")
    OBJECTION_REJECTED = "objection_rejected", _("异议不成立")
    FINALIZED = "finalized", _("定稿")
    CANCELLED = "cancelled", _("取消")


def event_text(action: str, facts: dict) -> str:
    """What the system says of a step ``action`` about ``facts`` (a RoundEvent's params), in the active
    language. Raises KeyError, TypeError or ValueError for facts that do not fit the action."""
    if action == RoundAction.SHORTLISTED:
        return gettext_now("依据排名快照 #%(snapshot)s（摘要 %(digest)s）：初选 %(nominees)s 名，"
                           "未入选说明 %(exclusions)s 条。") % {
            "snapshot": int(facts["snapshot"]), "digest": str(facts["digest"]), "nominees": int(facts["nominees"]),
            "exclusions": int(facts["exclusions"])}
    if action == RoundAction.PUBLISHED:
        days = int(facts["days"])
        return ngettext("公示%(days)s天", "公示%(days)s天", days) % {"days": days}
    if action == RoundAction.EDITED and facts["shortlist_discarded"]:
        return gettext_now("评选条件已修改，原初选名单作废。")
    raise ValueError(action)


def event_written_reason(action: str, facts: dict) -> str:
    """The stored reason of a step the system words: ``event_text`` in the portal's language, cut to the
    column."""
    with translation.override(settings.LANGUAGE_CODE):
        return event_text(action, facts)[:REASON_MAX]


class RoundEvent(models.Model):
    """One step of a round (who, when, why), written by the service that made it in the same transaction."""

    round = models.ForeignKey(AwardRound, verbose_name=_("评选"), on_delete=models.CASCADE, related_name="events")
    action = models.CharField(_("动作"), max_length=20, choices=RoundAction.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("操作人"), null=True,
                              on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(_("时间"))
    # Typed by a person (a committee member's reason, an objection, its answer), or worded by the system in the
    # portal's language from ``params`` (event_written_reason), which ``text`` words again in the reader's.
    reason = models.CharField(_("原因"), max_length=REASON_MAX, blank=True)
    params = models.JSONField(_("原因参数"), default=dict, blank=True,
                              db_default=models.Value({}, output_field=models.JSONField()))
    # A shortlist generated again replaces the nominees; the committee's earlier events keep their reasons.
    nominee = models.ForeignKey(Nominee, verbose_name=_("候选人"), null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="events")

    class Meta:
        verbose_name = _("评选记录")
        verbose_name_plural = _("评选记录")
        ordering = ["round", "at", "id"]
        constraints = [models.CheckConstraint(condition=Q(action__in=RoundAction.values),
                                              name="roundevent_action_valid")]

    def __str__(self):
        return f"{self.get_action_display()} {self.round_id}"

    @property
    def text(self) -> str:
        """The reason in the reader's (the active) language: worded from the facts when the system wrote it;
        as stored when a person typed it, or when the row has no facts (written before they were kept)."""
        if self.params:
            try:
                return event_text(self.action, self.params)
            except (KeyError, TypeError, ValueError):
                pass
        return self.reason


class ObjectionStatus(models.TextChoices):
    OPEN = "open", _("待答复")
    UPHELD = "upheld", _("异议成立")
    REJECTED = "rejected", _("异议不成立")


class Objection(models.Model):
    """异议: someone taking part in the competition questions a nominee during the 公示, with a reason; staff
    answer it (upheld: the nominee is removed with the answer as the reason; rejected: they stay). The
    person who raised it sees the answer. One open objection per person and nominee."""

    round = models.ForeignKey(AwardRound, verbose_name=_("评选"), on_delete=models.CASCADE, related_name="objections")
    nominee = models.ForeignKey(Nominee, verbose_name=_("候选人"), on_delete=models.CASCADE,
                                related_name="objections")
    raised_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("提出人"), on_delete=models.PROTECT,
                                  related_name="award_objections")
    reason = models.CharField(_("异议内容"), max_length=REASON_MAX)
    raised_at = models.DateTimeField(_("提出时间"))
    status = models.CharField(_("状态"), max_length=10, choices=ObjectionStatus.choices,
                              default=ObjectionStatus.OPEN)
    answer = models.CharField(_("答复"), max_length=REASON_MAX, blank=True)
    answered_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("答复人"), null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")
    answered_at = models.DateTimeField(_("答复时间"), null=True, blank=True)

    objects = ObjectionQuerySet.as_manager()

    class Meta:
        verbose_name = _("异议")
        verbose_name_plural = _("异议")
        ordering = ["round", "raised_at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=ObjectionStatus.values), name="objection_status_valid"),
            models.CheckConstraint(condition=~Q(reason=""), name="objection_has_reason",
                                   violation_error_message=_("请填写异议理由。")),
            models.CheckConstraint(
                condition=Q(status=ObjectionStatus.OPEN)
                | (~Q(answer="") & Q(answered_at__isnull=False, answered_by__isnull=False)),
                name="objection_answer_complete", violation_error_message=_("答复异议须填写答复意见。")),
            models.UniqueConstraint(fields=["raised_by", "nominee"], condition=Q(status=ObjectionStatus.OPEN),
                                    name="objection_one_open_per_person",
                                    violation_error_message=_("您对该候选人已有一条待答复的异议。")),
        ]
        indexes = [models.Index(fields=["raised_by", "raised_at"], name="objection_raiser")]

    def __str__(self):
        return f"{self.round_id}/{self.nominee_id}: {self.get_status_display()}"
