"""Competitions, business systems, job types and scoring rules."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from competitions.querysets import CompetitionQuerySet, JobQuerySet, RuleVersionQuerySet
from config.stored_text import shown
from config.text import FileName, validate_visible


class Organizer(models.Model):
    """A federation of trade unions (总工会) that organizes competitions, often jointly."""

    name = models.CharField(_("名称"), max_length=100, unique=True, validators=[validate_visible])
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
    name = models.CharField(_("名称"), max_length=50, unique=True, validators=[validate_visible])
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
    name = models.CharField(_("名称"), max_length=50, validators=[validate_visible])
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
    name = models.CharField(_("竞赛名称"), max_length=200, validators=[validate_visible])
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

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        update_fields = kwargs.get("update_fields")
        if update_fields is None or {"start_date", "end_date"} & set(update_fields):
            # The competition's entries need their months' partitions of the entries table before the
            # first one is entered (reviews.partitions); every way a competition is created or its dates
            # changed (admin, demo data, tests) comes through here. One catalog query when they exist.
            from django.utils import timezone

            from reviews.partitions import entry_partitions_ensure, months_for_dates

            entry_partitions_ensure(months_for_dates(self.start_date, self.end_date, today=timezone.localdate()))


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
    metric = models.CharField(_("量化指标"), max_length=50, validators=[validate_visible])
    unit_of_measure = models.CharField(_("计量单位"), max_length=16, validators=[validate_visible])
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
    """What one unit of a rule's metric is worth from ``effective_from`` until the next version's date.

    A version covers its rule's entries dated in that span, and their ``points`` are what it priced. So a
    version that covers entries is immutable: its points per unit and date cannot change and it cannot be
    deleted, and neither can a rule with entries change its direction; a new rate is a new version from a
    date, added by services.rule_version_add, which reprices the entries the new version covers (one
    UPDATE with an audit row per entry; the entries' log trigger passes the difference to the standings).
    A database trigger (competitions/sql/rule_version_guard.sql) refuses any other write that would make
    a version's points and its entries' points differ; it writes no rows.
    """

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
        rule = self.given_rule()
        if rule is not None and rule.competition_id and self.effective_from:
            if not rule.competition.covers(self.effective_from):
                raise ValidationError({"effective_from": _("生效日期必须在竞赛期间内。")})

    def given_rule(self) -> ScoringRule | None:
        """The version's rule, saved or not: the rule admin cleans a new rule's versions (its inline) before it
        saves the rule, so they hold the rule but not yet its id. None when there is no rule."""
        return self.rule if self.rule_id is not None or RuleVersion.rule.is_cached(self) else None

    def covered_span(self) -> tuple[date, date]:
        """The work dates this version prices, as stored: [its effective_from, the next version's) (the
        end is date.max for the latest version)."""
        later = (RuleVersion.objects.filter(rule_id=self.rule_id, effective_from__gt=self.effective_from)
                 .exclude(pk=self.pk).order_by("effective_from").values_list("effective_from", flat=True).first())
        return self.effective_from, later or date.max

    def covered_entries(self):
        """The entries this version prices: its rule's, dated in covered_span()."""
        from reviews.models import WorkEntry

        start, until = self.covered_span()
        return WorkEntry.objects.filter(rule_id=self.rule_id, work_date__gte=start, work_date__lt=until)

    def points_for(self, quantity: Decimal, direction: int) -> Decimal:
        return (quantity * self.points_per_unit * direction).quantize(Decimal("0.001"))


# --- Daily standings ------------------------------------------------------------------
# How the standings are computed is explained at the top of competitions/standings/__init__.py. In short:
# a trigger on reviews_workentry logs every change of an entry's *contribution* into StandingDelta;
# a run adds the logged deltas to the per-worker totals of the last run's Standing rows, ranks all workers
# and replaces the day's Standing rows (and its StandingDay), all in one transaction.


class RunKind(models.TextChoices):
    INCREMENTAL = "incremental", _("增量")
    FULL = "full", _("全量")


class RunOutcome(models.TextChoices):
    RUNNING = "running", _("运行中")
    SUCCEEDED = "succeeded", _("成功")
    FAILED = "failed", _("失败")
    SKIPPED = "skipped", _("跳过（另一次计算正在进行）")


class RunTrigger(models.TextChoices):
    """What started a standings run or a verification (services.Trigger names the same values)."""

    NIGHTLY = "nightly", _("每晚定时")
    INTRADAY = "intraday", _("日间定时")
    WEEKLY = "weekly", _("每周核对")
    ADMIN = "admin", _("后台发起")
    COMMAND = "command", _("命令行")
    MANUAL = "manual", _("手动")


class StandingRun(models.Model):
    """One recompute of one competition's standings for one day, as union staff see it in the admin.

    ``totals_day`` is set on a succeeded run that consumed the change log up to that day, so that its
    Standing rows hold every counted entry dated up to it (a run for an older day is computed straight
    from the entries and leaves the change log alone); the latest such run is the next incremental run's
    base.

    A run killed outright (``kill -9``, a lost machine) cannot record its end; the next run of the
    competition and a periodic check mark such a row failed (services.standings_runs_mark_dead).
    """

    competition = models.ForeignKey(Competition, verbose_name=_("劳动竞赛"), on_delete=models.CASCADE,
                                    related_name="standing_runs")
    day = models.DateField(_("排名日期"))
    kind = models.CharField(_("方式"), max_length=12, choices=RunKind.choices)
    requested_kind = models.CharField(_("请求方式"), max_length=12, choices=RunKind.choices)
    trigger = models.CharField(_("触发"), max_length=20, default="manual", choices=RunTrigger.choices)
    outcome = models.CharField(_("结果"), max_length=10, choices=RunOutcome.choices, default=RunOutcome.RUNNING)
    started_at = models.DateTimeField(_("开始时间"))
    finished_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    rows = models.PositiveIntegerField(_("排名行数"), null=True, blank=True)
    deltas = models.PositiveIntegerField(_("处理的变更数"), null=True, blank=True)
    totals_day = models.DateField(_("累计至"), null=True, blank=True)
    error = models.TextField(_("错误"), blank=True)
    # The PostgreSQL backend of the process that runs it: a "running" row whose backend is gone (or that
    # no longer holds the competition's lock) died without recording it (services.standings_runs_mark_dead).
    backend_pid = models.IntegerField(_("数据库进程号"), null=True, blank=True, editable=False)
    # A repair union staff start in the admin (any day of the competition): who asked for it and why, shown
    # in the run history. Empty for the scheduled runs.
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("发起人"), null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="+")
    reason = models.CharField(_("原因"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("排名计算记录")
        verbose_name_plural = _("排名计算记录")
        ordering = ["-started_at", "-id"]
        indexes = [models.Index(fields=["competition", "-started_at"], name="standingrun_latest")]

    def __str__(self):
        return f"#{self.pk} {self.day} {self.get_kind_display()} {self.get_outcome_display()}"

    @property
    def duration(self):
        return (self.finished_at - self.started_at) if self.finished_at else None


class StandingDelta(models.Model):
    """A change of what entries contribute to (competition, worker, rule, work_date), written by the
    database trigger on reviews_workentry (reviews/sql/entry_log.sql, which keeps this log and the
    approval queue; see WorkEntry), never by Python code.

    Rejected entries contribute nothing, so a rejection logs the negative of what the entry counted
    and a reopening logs it back; edits log new minus old; rule-change recomputes of points log the
    difference. A run consumes (adds to the base day's standings, then deletes) the rows dated up to
    its day; rows dated later wait for the run of their day.

    No index: the table holds only what changed since the last runs, and a run reads nearly all of it
    (one sequential scan), while every approval of a month would write 800,000 index entries.
    """

    competition_id = models.BigIntegerField()
    worker_id = models.BigIntegerField()
    rule_id = models.BigIntegerField()
    work_date = models.DateField()
    quantity = models.DecimalField(max_digits=16, decimal_places=3)
    points = models.DecimalField(max_digits=18, decimal_places=3)
    approved_points = models.DecimalField(max_digits=18, decimal_places=3)
    entries = models.IntegerField()

    class Meta:
        verbose_name = _("排名变更日志")
        verbose_name_plural = _("排名变更日志")

    def __str__(self):
        return f"{self.work_date} #{self.worker_id} {self.points:+}"


class StandingDay(models.Model):
    """A (competition, day) whose standings are published: written by the run that publishes them, in its
    transaction. The read paths find "the latest day" and "the day before" here (one index probe) instead
    of in Standing, where no index holds the day (one partition per day, see Standing)."""

    competition = models.ForeignKey(Competition, verbose_name=_("劳动竞赛"), on_delete=models.CASCADE,
                                    related_name="standing_days")
    day = models.DateField(_("排名日期"))
    rows = models.PositiveIntegerField(_("排名行数"))
    computed_at = models.DateTimeField(_("计算时间"))
    # The consuming run whose log position the rows reflect: they hold the entries dated up to the day as
    # they stood when that run read the change log (competitions.standings.periods). Null for days stored
    # before positions were recorded. No constraint: deleting a run's record must not move a day's position.
    run = models.ForeignKey(StandingRun, verbose_name=_("日志位置（计算记录）"), null=True, blank=True,
                            on_delete=models.DO_NOTHING, db_constraint=False, db_index=False, related_name="+")

    class Meta:
        verbose_name = _("排名日")
        verbose_name_plural = _("排名日")
        constraints = [models.UniqueConstraint(fields=["competition", "day"], name="standingday_one_per_day")]

    def __str__(self):
        return f"{self.competition_id} {self.day}"


class Standing(models.Model):
    """One worker's place in one competition on one day (history: one row per worker per day), which is
    also a row of that day's leaderboards.

    Ranks use the total points (approved + still pending; rejected entries count nothing), with
    RANK() semantics: ties share a rank and the next rank skips (1, 2, 2, 4). ``change_*`` is the
    previous standings day's rank minus today's (positive = moved up; null = not ranked then).
    ``points_to_next`` is what it takes to reach the next distinct total above (0 for rank 1).
    employee_no, business system, job type and depot are copied from the worker at computation time.
    The rows of the competition's base day (StandingRun.totals_day) are also the running totals the next
    incremental run starts from.

    Each day is written once. On PostgreSQL the table is partitioned by RANGE (competition_id, day), one
    partition per (competition, day), which a run creates from its ranking statement (CREATE TABLE … AS),
    indexes in one sorted pass per index and swaps in for the day's previous partition, all in its
    transaction (competitions.standings.replace_day). Each partition has five indexes: the worker ("my
    standing") and one per scope ordered (rank, worker_id) (a leaderboard page is one range scan). They
    leave out the constant (competition, day). They are built after the rows are written, one sorted pass
    each, because maintaining them row by row while inserting a whole day costs far more; and the history
    is the same rows, not a second copy of the day. "My history" reads the worker's row in each day's
    partition; a finished month's days are merged into one partition by a monthly job
    (standings.compact_month).
    The table is created from competitions/standings/standings_partitioned.sql by the migration (Django cannot
    declare a partitioned table), hence
    ``managed = False``; the primary key is not enforced by an index there (the run writes one row per
    worker: its ranking groups by worker).

    No foreign key constraints and no cascades: these rows are derived from entries whose own constraints
    already guarantee the ids, and entries protect their workers and competitions from deletion. Deleting
    a competition (once its entries and rules are gone, services.competition_delete) drops its partitions.
    """

    pk = models.CompositePrimaryKey("competition", "day", "worker")
    competition = models.ForeignKey(Competition, verbose_name=_("劳动竞赛"), on_delete=models.DO_NOTHING,
                                    related_name="+", db_index=False, db_constraint=False)
    day = models.DateField(_("排名日期"))
    worker = models.ForeignKey("members.Worker", verbose_name=_("职工"), on_delete=models.DO_NOTHING,
                               related_name="+", db_index=False, db_constraint=False)
    employee_no = models.CharField(_("工号"), max_length=20)
    business_system = models.ForeignKey(BusinessSystem, verbose_name=_("业务系统"), on_delete=models.DO_NOTHING,
                                        db_constraint=False, db_index=False, related_name="+")
    job_type = models.ForeignKey(JobType, verbose_name=_("工种"), on_delete=models.DO_NOTHING,
                                 db_constraint=False, db_index=False, related_name="+")
    depot = models.ForeignKey("members.Unit", verbose_name=_("站段"), on_delete=models.DO_NOTHING, null=True,
                              db_constraint=False, db_index=False, related_name="+")
    points = models.DecimalField(_("累计积分"), max_digits=18, decimal_places=3)
    approved_points = models.DecimalField(_("已审核积分"), max_digits=18, decimal_places=3)
    pending_points = models.DecimalField(_("待审核积分"), max_digits=18, decimal_places=3)
    # The counted (not rejected) entries behind the points: the next incremental run adds the change log
    # to this row, and a worker whose count drops to none leaves the standings.
    entries = models.IntegerField(_("计入录入数"))
    rank_overall = models.IntegerField(_("总排名"))
    rank_business_system = models.IntegerField(_("业务系统排名"))
    rank_job_type = models.IntegerField(_("工种排名"))
    rank_unit = models.IntegerField(_("站段排名"), null=True)
    change_overall = models.IntegerField(_("总排名变化"), null=True)
    change_business_system = models.IntegerField(_("业务系统排名变化"), null=True)
    change_job_type = models.IntegerField(_("工种排名变化"), null=True)
    change_unit = models.IntegerField(_("站段排名变化"), null=True)
    points_to_next = models.DecimalField(_("距上一名差分"), max_digits=18, decimal_places=3)
    computed_at = models.DateTimeField(_("计算时间"))

    class Meta:
        managed = False
        db_table = "competitions_standing"
        verbose_name = _("每日排名")
        verbose_name_plural = _("每日排名")

    def __str__(self):
        return f"{self.day} {self.employee_no} #{self.rank_overall}"


class StandingsCompetition(Competition):
    """The competitions as the standings admin lists them, with "recompute now" actions (a proxy: no table)."""

    class Meta:
        proxy = True
        verbose_name = _("排名计算")
        verbose_name_plural = _("排名计算")


class StandingCorrection(models.Model):
    """The change log a run consumed for days before its own, kept: corrections of past days (an entry of
    March approved, edited or rejected in April). Written by the consuming run in its transaction
    (competitions.standings.run.delete_deltas copies the rows that correct stored days, then drops the
    log), never by Python objects; read by competitions.standings.periods to bring a stored day up to "as
    the entries stand now". One row per (worker, work date) the run consumed corrections of. A night's new
    entries are dated the run's day and are not copied: no stored day before it needs them.
    """

    # The key is also the index "corrections of the runs after this one" reads (competition, run_id > n);
    # a run archives one row per (worker, work date).
    pk = models.CompositePrimaryKey("competition_id", "run_id", "worker_id", "work_date")
    competition_id = models.BigIntegerField()
    # The StandingRun that consumed it (no constraint, like the day's run: a run's record may be deleted).
    run_id = models.BigIntegerField()
    worker_id = models.BigIntegerField()
    work_date = models.DateField()
    points = models.DecimalField(max_digits=18, decimal_places=3)
    approved_points = models.DecimalField(max_digits=18, decimal_places=3)
    entries = models.IntegerField()

    class Meta:
        verbose_name = _("排名更正记录")
        verbose_name_plural = _("排名更正记录")
        indexes = [models.Index(fields=["competition_id", "work_date"], name="standingcorrection_date")]

    def __str__(self):
        return f"{self.work_date} #{self.worker_id} {self.points:+} (run {self.run_id})"


class StandingApprovalSegment(models.Model):
    """A part of one competition's approval log (StandingApproval), by which a standings run takes the rows
    in without moving them. At most one segment per competition is open: the entries' log trigger writes
    the approval rows of the competition into it (and opens one when there is none). Before a run takes its
    snapshot it closes the open segment (competitions.standings.approvals.close), after waiting for every
    transaction still writing into it, so a closed segment never gains a row. The consuming run then marks
    the closed segments with its id (``run_id``): their rows are the run's archive from then on, the
    approvals that correct days stored before it (what StandingApprovalCorrection copies once held), read
    by competitions.standings.periods. Consuming is an update of a few segment rows, whatever the number
    of approvals: the night after a month's approval no longer deletes and copies a row per worker.

    Live (not yet consumed, ``run_id`` null) segments, open or closed, are what the runs and the readers of
    "the live log" read."""

    competition_id = models.BigIntegerField()
    closed = models.BooleanField(default=False)
    run_id = models.BigIntegerField(null=True, blank=True)

    class Meta:
        verbose_name = _("审核变更日志段")
        verbose_name_plural = _("审核变更日志段")
        constraints = [models.UniqueConstraint(fields=["competition_id"], condition=models.Q(closed=False),
                                               name="approvalsegment_one_open")]
        indexes = [models.Index(fields=["competition_id", "run_id"], name="approvalsegment_run")]

    def __str__(self):
        return f"#{self.pk} ({self.competition_id}, run {self.run_id})"


class StandingApproval(models.Model):
    """The change log of reviews that only move the approved/pending split: approving pending entries, or
    putting approved ones back to pending. Their points and counted entries stay as they were, so such a
    move changes a worker's approved points and nothing else. Written by the entries' log trigger
    (reviews/sql/entry_log.sql) on the workflow's status moves, never by Python code; the same change made
    any other way is logged entry by entry in StandingDelta, which counts alike.

    Why not one StandingDelta row per entry: approving a month moves 800,000 entries (7 million at ten
    times the railway), and the night after would read, archive and delete as many rows. Here a
    statement's moves make one row per (worker, ``work_date``): the approved points per date in two parallel
    arrays (``dates``, ``approved_scores``, in integer thousandths), their sum in ``approved_score``; a job
    that approves a month in several statements stages its rows and writes those dated on a stored day merged,
    one per worker (reviews.entry_log.staged_approvals). ``work_date`` is when a run takes the row in: the latest stored
    standings day when the move was logged, or the entry's own date when that is later (so an entry dated
    after it waits for the run of its day, as in StandingDelta). A run for a day on or after ``work_date`` adds
    ``approved_score``; a reader of "dated up to X" for an earlier X (an old day's repair, period bounds,
    verification) sums the array entries dated up to X (competitions.standings.ranking.approved_through).
    ``batch``: the transaction that wrote the row (its top-level id).

    ``segment_id``: the StandingApprovalSegment the row belongs to. A row stays where it was written: the
    live log is the rows of the competition's live segments, and a run's archive the rows of the segments
    it consumed (see StandingApprovalSegment). Indexed by segment and ``work_date``, the only way it is read;
    no foreign key, as for the other logs (a check per written row).
    """

    segment_id = models.BigIntegerField()
    competition_id = models.BigIntegerField()
    worker_id = models.BigIntegerField()
    work_date = models.DateField()
    first_date = models.DateField()
    last_date = models.DateField()
    approved_score = models.BigIntegerField()
    dates = ArrayField(models.DateField())
    approved_scores = ArrayField(models.BigIntegerField())
    batch = models.BigIntegerField()

    class Meta:
        verbose_name = _("审核变更日志")
        verbose_name_plural = _("审核变更日志")
        indexes = [models.Index(fields=["segment_id", "work_date"], name="approval_segment_date")]

    def __str__(self):
        return f"{self.first_date}..{self.last_date} #{self.worker_id} {self.approved_score / 1000:+}"


class SignedOffTotal(models.Model):
    """A signed-off month's totals per (worker, rule), for one business system: written once when the month
    is signed off (reviews.workflow.period_sign_off, in its transaction) and deleted when it is reopened.
    A signed-off month's entries cannot change (the month lock), so these are its entries summed, and a run
    that sums the entries (a full run, a repair of an old day) reads them instead of the month's entries
    (competitions.standings.frozen). Only counted (not rejected) entries; all of them are locked, so
    ``approved_points`` equals ``points``, kept apart all the same so the readers add like for like.
    """

    pk = models.CompositePrimaryKey("competition_id", "business_system_id", "month", "worker_id", "rule_id")
    # No foreign keys, like the change log: a run reads these by the million and nothing cascades to them
    # (competitions.standings.partitions.forget_competition deletes a deleted competition's).
    competition_id = models.BigIntegerField()
    business_system_id = models.BigIntegerField()
    month = models.DateField()
    worker_id = models.BigIntegerField()
    rule_id = models.BigIntegerField()
    quantity = models.DecimalField(max_digits=18, decimal_places=3)
    points = models.DecimalField(max_digits=18, decimal_places=3)
    approved_points = models.DecimalField(max_digits=18, decimal_places=3)
    entries = models.IntegerField()

    class Meta:
        verbose_name = _("签发月份合计")
        verbose_name_plural = _("签发月份合计")

    def __str__(self):
        return f"{self.month:%Y-%m} #{self.worker_id} rule {self.rule_id} {self.points}"


# --- Period standings -----------------------------------------------------------------------------
# The points of the work dated in a range, as the entries stand now, ranked like a day
# (competitions.standings.periods). A snapshot is computed once, in the background, and never changes;
# an award round cites the one it was shortlisted from.


class SnapshotStatus(models.TextChoices):
    RUNNING = "running", _("计算中")
    READY = "ready", _("已完成")
    FAILED = "failed", _("失败")


class PeriodSnapshot(models.Model):
    """The ranking of one competition's work dated in [start, end], computed at ``computed_at``.
    ``signed_off_only``: only the entries of (business system, month) pairs whose review period is signed
    off count (the basis of an award). Its rows are PeriodStanding; ``digest`` is the SHA-256 of their
    canonical rows (competitions.standings.digest), so a shortlist can cite exactly what it came from."""

    competition = models.ForeignKey(Competition, verbose_name=_("劳动竞赛"), on_delete=models.CASCADE,
                                    related_name="period_snapshots")
    start = models.DateField(_("开始日期"))
    end = models.DateField(_("结束日期"))
    signed_off_only = models.BooleanField(_("仅计已签发月份"), default=False)
    status = models.CharField(_("状态"), max_length=10, choices=SnapshotStatus.choices,
                              default=SnapshotStatus.RUNNING)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("申请人"), null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("申请时间"), auto_now_add=True)
    computed_at = models.DateTimeField(_("计算时间"), null=True, blank=True)
    rows = models.PositiveIntegerField(_("排名行数"), null=True, blank=True)
    digest = models.CharField(_("摘要（SHA-256）"), max_length=64, blank=True)
    error = models.TextField(_("错误"), blank=True)

    class Meta:
        verbose_name = _("区间排名")
        verbose_name_plural = _("区间排名")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["competition", "-created_at"], name="periodsnapshot_latest")]
        constraints = [
            models.CheckConstraint(condition=Q(end__gte=F("start")), name="periodsnapshot_dates_ordered",
                                   violation_error_message=_("结束日期不能早于开始日期。")),
        ]

    def __str__(self):
        return f"{self.competition_id} {self.start}~{self.end}{' *' if self.signed_off_only else ''}"

    def delete(self, *args, **kwargs):
        # The rows are a partition of their own, which no cascade reaches (see PeriodStanding).
        from competitions.standings.periods import drop_snapshot_rows

        drop_snapshot_rows(self)
        return super().delete(*args, **kwargs)


class PeriodStanding(models.Model):
    """One worker's place in a PeriodSnapshot: the points of their counted entries dated in its range
    (approved and pending apart) and their ranks, with RANK() semantics on the points (ties share a rank;
    lists order ties by worker id), as the daily standings. The worker's attributes are their current
    record when the snapshot was computed: an honour goes to the unit a person belongs to now. ``team`` is
    the worker's own unit, ``depot`` its depot (站段; null when not under one, and then no rank_unit).

    Partitioned by LIST (snapshot_id), one partition per snapshot, which competitions.standings.periods
    fills (one INSERT … SELECT into a bare table), indexes in one sorted pass per index and attaches: a
    snapshot of 223,000 rows written into one indexed table cost several times that. Deleting a snapshot
    drops its partition (PeriodSnapshot.delete; a deleted competition's are dropped with its standings).
    Django cannot declare a partitioned table: the table is period_standings_partitioned.sql, hence
    ``managed = False`` and no foreign key constraints (the ids come from the ranking of real rows)."""

    pk = models.CompositePrimaryKey("snapshot", "worker")
    snapshot = models.ForeignKey(PeriodSnapshot, verbose_name=_("区间排名"), on_delete=models.DO_NOTHING,
                                 related_name="standings", db_index=False, db_constraint=False)
    worker = models.ForeignKey("members.Worker", verbose_name=_("职工"), on_delete=models.DO_NOTHING,
                               related_name="+", db_index=False, db_constraint=False)
    employee_no = models.CharField(_("工号"), max_length=20)
    business_system = models.ForeignKey(BusinessSystem, verbose_name=_("业务系统"), on_delete=models.DO_NOTHING,
                                        db_constraint=False, db_index=False, related_name="+")
    job_type = models.ForeignKey(JobType, verbose_name=_("工种"), on_delete=models.DO_NOTHING,
                                 db_constraint=False, db_index=False, related_name="+")
    depot = models.ForeignKey("members.Unit", verbose_name=_("站段"), on_delete=models.DO_NOTHING, null=True,
                              db_constraint=False, db_index=False, related_name="+")
    team = models.ForeignKey("members.Unit", verbose_name=_("班组"), on_delete=models.DO_NOTHING,
                             db_constraint=False, db_index=False, related_name="+")
    points = models.DecimalField(_("积分"), max_digits=18, decimal_places=3)
    approved_points = models.DecimalField(_("已审核积分"), max_digits=18, decimal_places=3)
    pending_points = models.DecimalField(_("待审核积分"), max_digits=18, decimal_places=3)
    entries = models.IntegerField(_("计入录入数"))
    rank_overall = models.IntegerField(_("总排名"))
    rank_business_system = models.IntegerField(_("业务系统排名"))
    rank_job_type = models.IntegerField(_("工种排名"))
    rank_unit = models.IntegerField(_("站段排名"), null=True)

    class Meta:
        managed = False
        db_table = "competitions_periodstanding"
        verbose_name = _("区间排名行")
        verbose_name_plural = _("区间排名行")

    def __str__(self):
        return f"{self.snapshot_id} {self.employee_no} #{self.rank_overall}"


# --- Published standings you can verify -------------------------------------------------------------
# What a digest is, and how to recompute one with psql, is written at the top of
# competitions/standings/digest.py; how a day is verified, in competitions/verify.py.


class AppendOnly(Exception):
    """A ledger entry was asked to change or go: the ledger only grows."""


class StandingDigest(models.Model):
    """One publication of a standings day, in the competition's append-only ledger: the day's canonical
    rows digest (standings.digest) and a chain digest over the competition's previous entry.

    Written by the run that publishes the day, right after its commit and under the competition's
    standings lock (so the digest is of exactly the rows committed, and the run's transaction is not
    lengthened by it). A day published again (a re-run, a repair) gets a new entry; the day's current digest is
    its latest entry (standings.digest.day_digest). Each entry cites the competition's previous entry,
    whatever its day: the chain orders publications, not days, and no two entries cite the same one.
    Entries are never changed or deleted here (save and delete refuse; the admin shows them read-only);
    they go only with their competition.
    """

    competition = models.ForeignKey(Competition, verbose_name=_("劳动竞赛"), on_delete=models.CASCADE,
                                    related_name="standing_digests")
    day = models.DateField(_("排名日期"))
    rows = models.PositiveIntegerField(_("排名行数"))
    rows_digest = models.CharField(_("排名摘要"), max_length=64)
    # RESTRICT: an entry cannot go while a later one cites it, except with the whole competition.
    previous = models.OneToOneField("self", verbose_name=_("上一条"), on_delete=models.RESTRICT, null=True,
                                    blank=True, related_name="following")
    chain_digest = models.CharField(_("链摘要"), max_length=64)
    # The run that published it. No constraint: a run's record may be deleted, the ledger entry stays as it was.
    run = models.ForeignKey(StandingRun, verbose_name=_("排名计算"), on_delete=models.DO_NOTHING, null=True,
                            blank=True, db_constraint=False, related_name="+")
    published_at = models.DateTimeField(_("发布时间"))

    class Meta:
        verbose_name = _("排名摘要")
        verbose_name_plural = _("排名摘要账本")
        ordering = ["-id"]
        indexes = [models.Index(fields=["competition", "day", "-id"], name="standingdigest_day")]
        constraints = [
            # The first entry of a competition is the only one without a previous entry.
            models.UniqueConstraint(fields=["competition"], condition=Q(previous__isnull=True),
                                    name="standingdigest_one_first"),
            models.CheckConstraint(condition=Q(rows_digest__regex=r"^[0-9a-f]{64}$")
                                   & Q(chain_digest__regex=r"^[0-9a-f]{64}$"), name="standingdigest_hex"),
        ]

    def __str__(self):
        return f"{self.competition_id} {self.day} {self.rows_digest[:12]}"

    @property
    def short_digest(self) -> str:
        return self.rows_digest[:12]

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnly("a standings digest is never changed")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnly("a standings digest is never deleted")


class VerificationOutcome(models.TextChoices):
    RUNNING = "running", _("进行中")
    OK = "ok", _("一致")
    MISMATCH = "mismatch", _("不一致")
    ERROR = "error", _("出错")


class StandingVerification(models.Model):
    """One check of a published standings day against the raw entries (competitions.verify): the day
    recomputed as of the change-log position it was published at, compared column by column with the stored
    rows, its digest against the ledger, and the ledger's chain. ``differences`` lists a few differing
    workers (ids and employee numbers, never personal data) and what differs."""

    competition = models.ForeignKey(Competition, verbose_name=_("劳动竞赛"), on_delete=models.CASCADE,
                                    related_name="standing_verifications")
    day = models.DateField(_("排名日期"))
    trigger = models.CharField(_("触发"), max_length=20, default="manual", choices=RunTrigger.choices)
    started_at = models.DateTimeField(_("开始时间"))
    finished_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    outcome = models.CharField(_("结果"), max_length=10, choices=VerificationOutcome.choices,
                               default=VerificationOutcome.RUNNING)
    rows_stored = models.PositiveIntegerField(_("存储行数"), null=True, blank=True)
    rows_recomputed = models.PositiveIntegerField(_("重算行数"), null=True, blank=True)
    rows_differing = models.PositiveIntegerField(_("不一致行数"), null=True, blank=True)
    differences = models.JSONField(_("差异示例"), default=list, blank=True)
    digest = models.ForeignKey(StandingDigest, verbose_name=_("核对的摘要"), on_delete=models.RESTRICT, null=True,
                               blank=True, related_name="verifications")
    recomputed_digest = models.CharField(_("重算摘要"), max_length=64, blank=True)
    digest_ok = models.BooleanField(_("摘要一致"), null=True)
    chain_ok = models.BooleanField(_("摘要链完整"), null=True)
    error = models.TextField(_("错误"), blank=True)

    class Meta:
        verbose_name = _("排名核验")
        verbose_name_plural = _("排名核验")
        ordering = ["-started_at", "-id"]
        indexes = [models.Index(fields=["competition", "day", "-started_at"], name="standingverify_day")]

    def __str__(self):
        return f"{self.competition_id} {self.day} {self.outcome}"


# Award rounds (评选): their models live in competitions/honours/models.py, in this app.
from competitions.honours.models import (  # noqa: E402, F401, I001
    AwardQuota,
    AwardRound,
    Exclusion,
    Nominee,
    Objection,
    RoundEvent,
)

# --- Background jobs ----------------------------------------------------------------------------------


class JobStatus(models.TextChoices):
    QUEUED = "queued", _("排队中")
    RUNNING = "running", _("进行中")
    SUCCEEDED = "succeeded", _("已完成")
    FAILED = "failed", _("失败")


class Job(models.Model):
    """Long work a person starts from a page and watches there (an export, an import, approving a month):
    any kind listed in competitions/jobs.py (JOB_KINDS), which says what each kind does and runs it (a
    Celery task).

    ``params`` say what the job is about (ids, dates, filters; never personal data: they are shown on the
    job's page and kept with it). ``done``/``total`` are updated as the work goes, so the page shows
    progress (written from a connection of its own, so that a job working in one long transaction shows
    it too: competitions/jobs.py). A kind's result is a file or a summary (``result``: the lines the job's
    page shows, a message, a link). A file is kept in private storage (under MEDIA_ROOT, which no URL
    serves) and downloaded through the job's page by its creator only (JobQuerySet.downloadable_by);
    ``filename`` is the name the download gets. Everyone sees their own jobs, union staff everyone's
    (JobQuerySet.visible_to). ``once_key`` names what the job does (a month's approval, an uploaded file):
    while one such job of a person is unfinished, starting it again returns it instead (a constraint, so
    two presses at the same instant cannot both start). ``language`` is the starter's, in which the job runs
    (the words of its file); its error and result are shown in each reader's (competitions/jobs.py). Jobs
    are kept JOB_KEEP_DAYS (competitions/jobs.py), then deleted with their files.
    ``heartbeat_at`` is renewed while the job's process is alive (every JOB_HEARTBEAT_SECONDS and with each
    progress write); a running job whose heartbeat stopped for JOB_STALE_MINUTES is marked failed
    (jobs.jobs_fail_stale), which frees its once key.
    """

    kind = models.CharField(_("类型"), max_length=40)
    params = models.JSONField(_("参数"), default=dict, blank=True)
    status = models.CharField(_("状态"), max_length=10, choices=JobStatus.choices, default=JobStatus.QUEUED)
    done = models.PositiveIntegerField(_("已完成"), default=0)
    total = models.PositiveIntegerField(_("总数"), null=True, blank=True)
    file = models.FileField(_("文件"), upload_to="jobs/%Y/%m/", max_length=200, blank=True)
    filename = models.CharField(_("文件名"), max_length=200, blank=True)
    created_by = models.ForeignKey("members.User", verbose_name=_("发起人"), on_delete=models.SET_NULL, null=True,
                                   related_name="+")
    created_at = models.DateTimeField(_("发起时间"), auto_now_add=True)
    started_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    # The error and the result are worded in the portal's language (for the admin and for jobs older than
    # the texts' ids); ``error_params`` and ``result["texts"]`` keep their message ids and facts, which
    # error_text, summary, message and link_label word in the reader's (config.stored_text).
    error = models.TextField(_("错误"), blank=True)
    error_params = models.JSONField(_("错误参数"), default=dict, blank=True,
                                    db_default=models.Value({}, output_field=models.JSONField()))
    result = models.JSONField(_("结果"), default=dict, blank=True)
    once_key = models.CharField(_("防重复键"), max_length=64, blank=True)
    language = models.CharField(_("语言"), max_length=10, blank=True)
    heartbeat_at = models.DateTimeField(_("最近心跳"), null=True, blank=True)

    objects = JobQuerySet.as_manager()

    class Meta:
        verbose_name = _("后台任务")
        verbose_name_plural = _("后台任务")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["created_by", "-created_at"], name="job_by_creator"),
                   models.Index(fields=["created_at"], name="job_created"),
                   # The periodic search for running jobs whose process died reads only running rows.
                   models.Index(fields=["heartbeat_at"], name="job_running_heartbeat",
                                condition=Q(status=JobStatus.RUNNING))]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=JobStatus.values), name="job_status_known"),
            models.CheckConstraint(condition=Q(total__isnull=True) | Q(done__lte=F("total")),
                                   name="job_done_within_total"),
            models.UniqueConstraint(fields=["created_by", "kind", "once_key"], name="job_once_while_unfinished",
                                    condition=Q(status__in=[JobStatus.QUEUED, JobStatus.RUNNING]) & ~Q(once_key="")),
        ]

    def __str__(self):
        return f"{self.kind} #{self.pk} {self.status}"

    @property
    def finished(self) -> bool:
        return self.status in (JobStatus.SUCCEEDED, JobStatus.FAILED)

    @property
    def percent(self) -> int | None:
        if not self.total:
            return 100 if self.status == JobStatus.SUCCEEDED else None
        return min(100, self.done * 100 // self.total)

    @property
    def duration(self) -> timedelta | None:
        if self.started_at is None or self.finished_at is None:
            return None
        return self.finished_at - self.started_at

    @property
    def error_text(self) -> str:
        """Why the job failed, in the reader's (the active) language."""
        return shown(self.error_params, self.error)

    def _result_text(self, name: str) -> str:
        result = self.result or {}
        return shown((result.get("texts") or {}).get(name), result.get(name, ""))

    @property
    def message(self) -> str:
        """The result's message, in the reader's language."""
        return self._result_text("message")

    @property
    def link_label(self) -> str:
        return self._result_text("link_label")

    @property
    def download_name(self) -> str:
        """The file's name in the reader's language, from its parts (config.text.FileName); ``filename``
        (worded in the starter's language) for a job that kept none, or whose parts do not fit."""
        data = ((self.result or {}).get("texts") or {}).get("filename")
        if data:
            try:
                return str(FileName.from_json(data))
            except (KeyError, TypeError, ValueError, AttributeError):
                pass
        return self.filename

    @property
    def summary(self) -> list[tuple[str, object]]:
        """The result's lines (label, value), in the order the kind gave them, labelled in the reader's
        language."""
        result = self.result or {}
        lines = result.get("summary", [])
        labels = (result.get("texts") or {}).get("summary") or []
        if len(labels) != len(lines):
            labels = [None] * len(lines)
        return [(shown(label, written), value) for (written, value), label in zip(lines, labels, strict=True)]


# The award rounds' background work and documents (competitions/honours/jobs.py and documents.py).
from competitions.honours.documents import AwardDocuments  # noqa: E402, F401, I001
from competitions.honours.jobs import ShortlistRun  # noqa: E402, F401, I001


# --- The union leaders' dashboard ---------------------------------------------------------------------


class DashboardFigures(models.Model):
    """The figures of a competition's dashboard that need a scan of many entries (participation, points
    and entries per day, the month's review progress, each business system's top), computed set-based in
    the background (competitions.dashboard.dashboard_refresh) and replaced whole, so the page reads one
    row. ``figures`` is what dashboard_refresh documents; ``computed_at`` is how fresh it is, and the page
    says so."""

    competition = models.OneToOneField(Competition, verbose_name=_("劳动竞赛"), on_delete=models.CASCADE,
                                       related_name="+")
    computed_at = models.DateTimeField(_("统计时间"))
    seconds = models.FloatField(_("统计用时（秒）"))
    figures = models.JSONField(_("统计数据"), default=dict)

    class Meta:
        verbose_name = _("看板统计")
        verbose_name_plural = _("看板统计")

    def __str__(self):
        return f"{self.competition_id} {self.computed_at:%Y-%m-%d %H:%M}"
