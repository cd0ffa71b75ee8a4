"""Competitions, business systems, job types and scoring rules."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from competitions.querysets import CompetitionQuerySet, RuleVersionQuerySet


class Organizer(models.Model):
    """A federation of trade unions (总工会) that organizes competitions, often jointly."""

    name = models.CharField(_("名称"), max_length=100, unique=True)
    region = models.CharField(_("地区"), max_length=2, choices=[("BJ", _("北京")), ("TJ", _("天津")),
                                                               ("HE", _("河北"))], blank=True)

    class Meta:
        verbose_name = _("主办工会")
        verbose_name_plural = _("主办工会")
        ordering = ["id"]

    def __str__(self):
        return self.name


class BusinessSystem(models.Model):
    """业务系统: 车务, 客运, 机务 … Department reviewers are scoped to these."""

    code = models.CharField(_("编码"), max_length=16, unique=True)
    name = models.CharField(_("名称"), max_length=50, unique=True)
    sort_order = models.PositiveSmallIntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("业务系统")
        verbose_name_plural = _("业务系统")
        ordering = ["sort_order", "code"]

    def __str__(self):
        return self.name


class JobType(models.Model):
    """工种, each in exactly one business system."""

    code = models.CharField(_("编码"), max_length=16, unique=True)
    name = models.CharField(_("名称"), max_length=50)
    business_system = models.ForeignKey(BusinessSystem, verbose_name=_("业务系统"), on_delete=models.PROTECT,
                                        related_name="job_types")

    class Meta:
        verbose_name = _("工种")
        verbose_name_plural = _("工种")
        ordering = ["business_system__sort_order", "code"]
        constraints = [
            models.UniqueConstraint(fields=["business_system", "name"], name="jobtype_name_unique_in_system",
                                    violation_error_message=_("同一业务系统内工种名称不能重复。")),
        ]

    def __str__(self):
        return self.name


class CompetitionStatus(models.TextChoices):
    DRAFT = "draft", _("筹备")
    ACTIVE = "active", _("进行中")
    CLOSED = "closed", _("已结束")


class Competition(models.Model):
    name = models.CharField(_("竞赛名称"), max_length=200)
    organizers = models.ManyToManyField(Organizer, verbose_name=_("主办工会"), related_name="competitions")
    start_date = models.DateField(_("开始日期"))
    end_date = models.DateField(_("结束日期"))
    status = models.CharField(_("状态"), max_length=10, choices=CompetitionStatus.choices,
                              default=CompetitionStatus.DRAFT)
    description = models.TextField(_("说明"), blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    objects = CompetitionQuerySet.as_manager()

    class Meta:
        verbose_name = _("劳动竞赛")
        verbose_name_plural = _("劳动竞赛")
        ordering = ["-start_date", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(end_date__gte=F("start_date")), name="competition_dates_ordered",
                                   violation_error_message=_("结束日期不能早于开始日期。")),
        ]

    def __str__(self):
        return self.name

    def covers(self, day: date) -> bool:
        return self.start_date <= day <= self.end_date


class Direction(models.IntegerChoices):
    ADD = 1, _("加分")
    DEDUCT = -1, _("扣分")


class ScoringRule(models.Model):
    """A metric a job type is scored on in one competition (电力机车司机: 安全走行公里).

    What one unit of it is worth lives in ``RuleVersion`` rows, each in force from a date, so a
    change applies from that day on and never rewrites points earned before it.
    """

    competition = models.ForeignKey(Competition, verbose_name=_("劳动竞赛"), on_delete=models.PROTECT,
                                    related_name="rules")
    job_type = models.ForeignKey(JobType, verbose_name=_("工种"), on_delete=models.PROTECT, related_name="rules")
    metric = models.CharField(_("量化指标"), max_length=50)
    unit_of_measure = models.CharField(_("计量单位"), max_length=16)
    direction = models.SmallIntegerField(_("加/扣分"), choices=Direction.choices, default=Direction.ADD)
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("计分规则")
        verbose_name_plural = _("计分规则")
        ordering = ["competition", "job_type", "id"]
        constraints = [
            models.UniqueConstraint(fields=["competition", "job_type", "metric"], name="rule_unique_metric",
                                    violation_error_message=_("该竞赛中此工种已有同名指标。")),
            models.CheckConstraint(condition=Q(direction__in=[1, -1]), name="rule_direction_sign"),
        ]

    def __str__(self):
        return f"{self.job_type.name}·{self.metric}"

    def version_on(self, day: date) -> RuleVersion | None:
        return self.versions.in_force_on(day).first()


class RuleVersion(models.Model):
    rule = models.ForeignKey(ScoringRule, verbose_name=_("计分规则"), on_delete=models.CASCADE,
                             related_name="versions")
    effective_from = models.DateField(_("生效日期"))
    points_per_unit = models.DecimalField(_("每单位积分"), max_digits=10, decimal_places=4,
                                          validators=[MinValueValidator(Decimal("0.0001"))])
    daily_cap = models.DecimalField(_("每日上限"), max_digits=12, decimal_places=3, null=True, blank=True,
                                    validators=[MinValueValidator(Decimal("0.001"))],
                                    help_text=_("每人每天该指标的最大工作量；留空表示不设上限。"))
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    objects = RuleVersionQuerySet.as_manager()

    class Meta:
        verbose_name = _("计分标准版本")
        verbose_name_plural = _("计分标准版本")
        ordering = ["rule", "-effective_from"]
        constraints = [
            models.UniqueConstraint(fields=["rule", "effective_from"], name="ruleversion_one_per_day",
                                    violation_error_message=_("同一规则在同一天只能有一个生效版本。")),
            models.CheckConstraint(condition=Q(points_per_unit__gt=0), name="ruleversion_points_positive",
                                   violation_error_message=_("每单位积分必须大于0。")),
            models.CheckConstraint(condition=Q(daily_cap__isnull=True) | Q(daily_cap__gt=0),
                                   name="ruleversion_cap_positive",
                                   violation_error_message=_("每日上限必须大于0。")),
        ]

    def __str__(self):
        return f"{self.rule} @ {self.effective_from}"

    def clean(self):
        if self.rule_id and self.effective_from:
            competition = self.rule.competition
            if not competition.covers(self.effective_from):
                raise ValidationError({"effective_from": _("生效日期必须在竞赛期间内。")})

    def points_for(self, quantity: Decimal, direction: int) -> Decimal:
        return (quantity * self.points_per_unit * direction).quantize(Decimal("0.001"))
