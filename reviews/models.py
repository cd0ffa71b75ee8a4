"""Work entries, monthly review periods, disputes and the audit trail."""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.db.models.functions import Now
from django.utils.translation import gettext_lazy as _

from config.formatting import display_month
from config.months import format_month
from config.stored_text import shown
from reviews.querysets import DisputeQuerySet, EntryEventQuerySet, ReviewPeriodQuerySet, WorkEntryQuerySet


class EntryStatus(models.TextChoices):
    PENDING = "pending", _("待审核")
    APPROVED = "approved", _("已通过")
    REJECTED = "rejected", _("已退回")
    LOCKED = "locked", _("已锁定")


class EntryKind(models.TextChoices):
    REGULAR = "regular", _("日常录入")
    ADJUSTMENT = "adjustment", _("调整")


class EntrySource(models.TextChoices):
    FORM = "form", _("表单")
    GRID = "grid", _("批量表格")
    IMPORT = "import", _("文件导入")
    API = "api", _("接口")
    SEED = "seed", _("演示数据")


class EntryFlag(models.IntegerChoices):
    """Why the approval queue shows an entry first (a bit set; 0 = nothing unusual)."""

    OUTLIER = 1, _("远高于同指标中位数")
    CAP_STREAK = 2, _("连续多日达到上限")


class WorkEntry(models.Model):
    """One worker's quantity of one metric on one day, and the points it earns.

    ``points`` is computed from the rule version in force on ``work_date`` when the entry is
    written. A version that priced entries never changes (the guard in competitions.RuleVersion); a new
    version from a date reprices the entries dated from then on, until the next version, with an audit
    fact each (reviews.services.entries_rescore, called by competitions.services.rule_version_add),
    so points before that date are never rewritten. ``unit``, ``job_type`` and ``business_system`` are copied from the
    worker and rule at entry time: the approval queue and the rankings filter on them directly,
    and an entry stays with the unit it was made for even if the worker moves later.

    Two tables follow this one without any Python writing them: the database trigger function
    ``reviews_workentry_log`` (``reviews/sql/entry_log.sql``, installed by the reviews migration; rendered
    from ``reviews.entry_log``) fires once per INSERT, UPDATE and DELETE statement on this table
    (triggers ``reviews_workentry_log_insert`` / ``_update`` / ``_delete``, with the statement's old and
    new rows as transition tables) and writes

    * the approval queue, ``PendingEntry``: a row for every entry that is inserted or updated into
      ``pending``; the row is deleted when the entry leaves ``pending`` or is deleted;
    * the standings change log, ``competitions.StandingDelta``: what the statement changed in each
      (competition, worker, rule, day)'s counted quantity, points, approved points (approved or locked)
      and entry count; rejected entries count nothing, and an update that changes nothing counted (a
      note, a flag, approved to locked at sign-off) logs nothing.

    So every write path (ORM, bulk UPDATE, COPY, raw SQL) keeps both right. TRUNCATE fires no trigger:
    after one, empty the queue and change log and run a full standings recompute. ``reviews.workflow``
    tells the trigger when its UPDATE is a pure status move (``reviews.entry_log.STATUS_MOVE``), so a
    month's approval writes both logs from the new rows alone, and its move between pending and approved
    goes to the approval log (``competitions.StandingApproval``), one row per worker instead of one per
    entry.

    The table is partitioned by month of ``work_date`` (reviews.partitions: one partition per month, made
    ahead of time, no default partition). Its primary key in the database is (id, work_date); ``id`` alone
    stays the model's primary key, unique because every id comes from the one identity sequence. The
    triggers above are on the partitioned table and fire for every partition, also for an UPDATE that
    moves an entry to another month's partition (logged as an update, old and new row paired by id). Each
    partition carries the same function for statements that name it: a month's approval names its partition,
    whose UPDATE trigger keeps the new rows only; any other UPDATE naming a partition is refused.
    """

    # Single-column indexes only where no composite index below starts with the column: every index
    # costs on each insert, and the entries table takes millions of rows a month.
    # The rule's competition (the checker accepts only rules of the competition entered for): no
    # database foreign key, like the copies below.
    competition = models.ForeignKey("competitions.Competition", verbose_name=_("劳动竞赛"),
                                    on_delete=models.PROTECT, related_name="entries", db_index=False,
                                    db_constraint=False)
    # The worker and the rule: no database foreign key either (each cost a referential check per new
    # row at commit, the largest part of an import's database time). What it guaranteed is kept on the
    # referenced side instead: the trigger reviews_entry_references (reviews/sql/entry_references.sql)
    # refuses to delete a worker or rule that an entry names, through any path, and every entry write
    # holds its workers and rules FOR KEY SHARE from the check to the commit (reviews.validation), so a
    # delete under way waits for it and then sees its entries. The indexes on worker_id and rule_id
    # are what that trigger and PROTECT read.
    worker = models.ForeignKey("members.Worker", verbose_name=_("职工"), on_delete=models.PROTECT,
                               related_name="entries", db_constraint=False)
    rule = models.ForeignKey("competitions.ScoringRule", verbose_name=_("计分规则"), on_delete=models.PROTECT,
                             related_name="entries", db_constraint=False)
    work_date = models.DateField(_("工作日期"))
    quantity = models.DecimalField(_("工作量"), max_digits=12, decimal_places=3)
    points = models.DecimalField(_("积分"), max_digits=14, decimal_places=3)
    status = models.CharField(_("状态"), max_length=10, choices=EntryStatus.choices, default=EntryStatus.PENDING)
    kind = models.CharField(_("类型"), max_length=10, choices=EntryKind.choices, default=EntryKind.REGULAR)
    # Indexed only where set (index entry_adjusts): regular entries, nearly all of them, leave it empty.
    # No database foreign key: the partitioned table's only unique key is (id, work_date) (see Meta). The
    # services write it only from the original they have just loaded, and entries are never deleted
    # (no service deletes one; PROTECT refuses it through Django while an adjustment points at it).
    adjusts = models.ForeignKey("self", verbose_name=_("调整的录入"), null=True, blank=True,
                                on_delete=models.PROTECT, related_name="adjustments", db_index=False,
                                db_constraint=False)
    # Typed by a person, or worded by the system in the portal's language (an adjustment's "调整 …：<reason>")
    # with its message id and facts in ``note_params``, which ``note_text`` words again in the reader's
    # (config.stored_text; the typed reason is one of the facts, kept as typed).
    note = models.CharField(_("说明"), max_length=200, blank=True)
    # NULL where there are none (every entry but an adjustment): months of entries would each store an empty
    # object, and a month's approval copies every row.
    note_params = models.JSONField(_("说明参数"), null=True, blank=True)
    reject_reason = models.CharField(_("退回原因"), max_length=200, blank=True)
    source = models.CharField(_("来源"), max_length=10, choices=EntrySource.choices, default=EntrySource.FORM)
    idempotency_key = models.CharField(_("幂等键"), max_length=64, null=True, blank=True)
    flags = models.PositiveSmallIntegerField(_("提示"), default=0, db_default=0,
                                             help_text=_("审核提示：1=远高于中位数，2=连续多日达上限"))

    # Copies of the worker's unit and the rule's job type and business system, written only by the
    # entry services from rows the checker has just loaded (so they exist and agree; a test holds every
    # write path to that). No database foreign key: each would cost a referential check per new row at
    # commit, a noticeable share of a large import. PROTECT still keeps them from being
    # deleted through Django; the worker and rule they are copied from keep their foreign keys.
    unit = models.ForeignKey("members.Unit", verbose_name=_("单位"), on_delete=models.PROTECT, related_name="+",
                             db_index=False, db_constraint=False)
    job_type = models.ForeignKey("competitions.JobType", verbose_name=_("工种"), on_delete=models.PROTECT,
                                 related_name="+", db_constraint=False)
    business_system = models.ForeignKey("competitions.BusinessSystem", verbose_name=_("业务系统"),
                                        on_delete=models.PROTECT, related_name="+", db_index=False,
                                        db_constraint=False)

    # An import writes this on 20,000 rows at once, and a database foreign key would check each of them
    # at commit. Only the entry services write it, always with the acting user, as
    # reviewed_by below; the user stays protected by on_delete.
    entered_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("录入人"), null=True,
                                   on_delete=models.PROTECT, related_name="entries_entered", db_constraint=False)
    # Who last changed the entry's content (created it, or edited its quantity, date or note): with
    # entered_by, whose own work the entry is, which its reviewer may not be (reviews.workflow). Written
    # by the entry services only, with the acting user; no index and no database foreign key, as
    # entered_by, and no review touches it, so approving stays a HOT update.
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("最后修改人"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+", db_constraint=False,
                                   db_index=False)
    # Approving a month sets this on 740,000 rows at once: a database foreign key would run one
    # referential check per row, which costs more than the update itself. Only the review
    # service writes it, always with the acting user; the user stays protected by on_delete.
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("审核人"), null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="entries_reviewed",
                                    db_constraint=False, db_index=False)
    reviewed_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("录入时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    objects = WorkEntryQuerySet.as_manager()

    class Meta:
        verbose_name = _("工作量录入")
        verbose_name_plural = _("工作量录入")
        ordering = ["-work_date", "id"]
        constraints = [
            # One regular entry per worker, rule and day; corrections after sign-off are adjustments.
            models.UniqueConstraint(
                fields=["worker", "rule", "work_date"], condition=Q(kind="regular"),
                name="entry_one_per_worker_rule_day",
                violation_error_message=_("该职工当天此指标已有录入，请修改原录入。"),
            ),
            models.CheckConstraint(
                condition=Q(quantity__gte=0) | Q(kind="adjustment"), name="entry_quantity_not_negative",
                violation_error_message=_("工作量不能为负数。"),
            ),
            models.CheckConstraint(
                condition=Q(kind="regular", adjusts__isnull=True) | Q(kind="adjustment", adjusts__isnull=False),
                name="entry_adjustment_points_at_entry",
            ),
            models.CheckConstraint(
                condition=~Q(status="rejected") | ~Q(reject_reason=""), name="entry_rejection_has_reason",
                violation_error_message=_("退回必须填写原因。"),
            ),
        ]
        # A unique key of a partitioned table must hold the partition key: one entry per (entered_by,
        # idempotency_key) is kept by EntryIdempotencyKey instead, whose primary key is the entry.
        # No index may contain a column that a review changes (status, reviewed_by/at, updated_at,
        # flags): then approving and rejecting are HOT updates (the new row version goes on the same
        # page and no index is touched), which the partitions' fillfactor (reviews.partitions.FILLFACTOR)
        # leaves room for. The queue finds pending entries through PendingEntry instead.
        indexes = [
            # A business system's month: approving "everything shown", sign-off, the queue's other statuses.
            models.Index(fields=["business_system", "work_date"], name="entry_system_day"),
            models.Index(fields=["unit", "work_date"], name="entry_unit_day"),
            models.Index(fields=["competition", "work_date"], name="entry_competition_day"),
            # An entry's adjustments (PROTECT looks them up before a delete).
            models.Index(fields=["adjusts"], name="entry_adjusts", condition=Q(adjusts__isnull=False)),
        ]

    def __str__(self):
        return f"{self.work_date} #{self.worker_id} {self.quantity}"

    @property
    def month_is_locked(self) -> bool:
        """Whether the entry's month is signed off for its business system: from the ``month_locked``
        annotation (WorkEntryQuerySet.with_month_lock) when the entry was loaded with it, else one query."""
        locked = getattr(self, "month_locked", None)
        if locked is None:
            from reviews.workflow import entry_month_signed_off

            locked = self.month_locked = entry_month_signed_off(self)
        return locked

    @property
    def note_text(self) -> str:
        """The note in the reader's (the active) language: worded from its facts when the system wrote it
        (an adjustment's); as stored when a person typed it, or when the row has no facts."""
        return shown(self.note_params, self.note)

    @property
    def shown_status(self) -> str:
        """The status people see: an approved entry of a signed-off month is 已锁定 (locked). A sign-off
        changes the month's ReviewPeriod, not its entries (reviews.workflow.period_sign_off), so "locked" is
        the month's state; ``status`` itself is pending, approved or rejected. (Rows stored as "locked" by
        earlier versions were turned back into approved ones by migration 0008.)"""
        if self.status == EntryStatus.APPROVED and self.month_is_locked:
            return EntryStatus.LOCKED
        return self.status

    def get_shown_status_display(self) -> str:
        return EntryStatus(self.shown_status).label

    @property
    def is_locked(self) -> bool:
        return self.shown_status == EntryStatus.LOCKED

    @property
    def flag_labels(self) -> list[str]:
        return [flag.label for flag in EntryFlag if self.flags & flag.value]


class PendingEntry(models.Model):
    """The approval queue's index: one row per entry awaiting review, kept by triggers on
    reviews_workentry (see WorkEntry), so every write path, ORM or SQL, keeps it right.

    Why a table of its own: an index on ``WorkEntry.status`` would make every approval a non-HOT
    update that writes a new entry into every index of a 9-million-row table (an order of
    magnitude slower to approve a month). Approving deletes the row here instead, which
    touches no index at all. The queue reads this table's ``pending_queue`` index in the order it
    shows: flagged first, then by day. A month's approval job reads ``pending_range`` (business system,
    competition, month, entry id): each of its steps is a range of entry ids, whose queue rows are then read
    without the other business systems' rows of the same ids, which on the railway are eight in nine
    (reviews.jobs.entries_approve_in_steps, and the trigger deleting the approved entries' rows). It costs
    an import about 1 µs per pending entry.
    """

    entry = models.OneToOneField(WorkEntry, verbose_name=_("录入"), primary_key=True, on_delete=models.DO_NOTHING,
                                 db_constraint=False, related_name="pending")
    competition_id = models.BigIntegerField()
    business_system_id = models.BigIntegerField()
    month = models.DateField()
    work_date = models.DateField()
    flags = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("待审核录入")
        verbose_name_plural = _("待审核录入")
        indexes = [
            models.Index(fields=["business_system_id", "competition_id", "month", "-flags", "work_date", "entry"],
                         name="pending_queue"),
            models.Index(fields=["business_system_id", "competition_id", "month", "entry"], name="pending_range"),
        ]

    def __str__(self):
        return f"#{self.entry_id}"


class EntryIdempotencyKey(models.Model):
    """The Idempotency-Key an entry was created with (``WorkEntry.idempotency_key``), one row per entry that
    has one: unique per account, so a request replayed with the same key, even concurrently, gets the
    first request's entry (reviews.services.entry_create) instead of a second one. A table of its own
    because the partitioned entries table cannot hold a unique key without ``work_date`` in it. Written
    by the entry services in the transaction that creates the entry."""

    entry = models.OneToOneField(WorkEntry, verbose_name=_("录入"), primary_key=True, on_delete=models.DO_NOTHING,
                                 db_constraint=False, related_name="+")
    entered_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("录入人"), on_delete=models.PROTECT,
                                   related_name="+", db_constraint=False, db_index=False)
    key = models.CharField(_("幂等键"), max_length=64)

    class Meta:
        verbose_name = _("录入幂等键")
        verbose_name_plural = _("录入幂等键")
        constraints = [models.UniqueConstraint(fields=["entered_by", "key"], name="entry_idempotency_key_unique")]

    def __str__(self):
        return f"{self.entered_by_id}:{self.key}"


class FlagsDue(models.Model):
    """A business system's month whose queue flags (``WorkEntry.flags``) must be recomputed.

    Inserted by every write transaction that adds or changes entries, one row per month it touched,
    so the row exists exactly when the write committed; deleted by the recompute that covers it
    (reviews.flags.flags_refresh). Plain inserts: concurrent writers never wait on each other here.
    The recompute is sent to Celery after commit; if that message could not be sent (Redis down) or
    was lost, the periodic sweep finds the row and recomputes the month, so no write's flags are lost.
    """

    competition_id = models.BigIntegerField()
    business_system_id = models.BigIntegerField()
    month = models.DateField()
    created_at = models.DateTimeField(db_default=Now())

    class Meta:
        verbose_name = _("待重算提示的月份")
        verbose_name_plural = _("待重算提示的月份")
        indexes = [models.Index(fields=["competition_id", "business_system_id", "month"], name="flagsdue_month")]

    def __str__(self):
        return f"{self.competition_id}/{self.business_system_id}/{format_month(self.month)}"


class EntryAction(models.TextChoices):
    CREATED = "created", _("录入")
    EDITED = "edited", _("修改")
    RESUBMITTED = "resubmitted", _("重新提交")
    APPROVED = "approved", _("通过")
    REJECTED = "rejected", _("退回")
    LOCKED = "locked", _("锁定")
    REOPENED = "reopened", _("解锁")
    RESCORED = "rescored", _("重新计分")


class EntryEvent(models.Model):
    """One fact in an entry's life. Written in the same transaction as the change it records;
    bulk actions write theirs with one INSERT … SELECT, and a month's approval job in batches
    (EntryBatchEvent), which the entry's history reads as its own facts (reviews.history)."""

    # Facts are written set-based from the UPDATE … RETURNING that made the change (so the entry
    # exists by construction) and never updated; entries are never deleted (PROTECT elsewhere). A
    # database foreign key would check each of a bulk approval's facts one by one at commit, longer
    # than the approval itself, so the references are kept by the ORM only.
    entry = models.ForeignKey(WorkEntry, verbose_name=_("录入"), on_delete=models.CASCADE, related_name="events",
                              db_constraint=False, db_index=False)
    action = models.CharField(_("动作"), max_length=12, choices=EntryAction.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("操作人"), null=True,
                              on_delete=models.PROTECT, related_name="+", db_constraint=False, db_index=False)
    at = models.DateTimeField(_("时间"))
    # Choices for the labels a person reads (已通过 → 已锁定), in the admin and on the entry's page; blank
    # where there is no status (a new entry's from_status).
    from_status = models.CharField(_("原状态"), max_length=10, blank=True, choices=EntryStatus.choices)
    to_status = models.CharField(_("新状态"), max_length=10, blank=True, choices=EntryStatus.choices)
    old_quantity = models.DecimalField(_("原工作量"), max_digits=12, decimal_places=3, null=True, blank=True)
    new_quantity = models.DecimalField(_("新工作量"), max_digits=12, decimal_places=3, null=True, blank=True)
    # Typed by a person (a rejection's reason), or worded by the system in the portal's language (a
    # rescoring's "计分标准调整：…") with its message id and facts in ``params``, which ``text`` words again in
    # the reader's (config.stored_text).
    reason = models.CharField(_("原因"), max_length=200, blank=True)
    # NULL where there are none (a typed reason, and every review's row): a month's approval writes one
    # event per entry, and an empty object would be stored in each.
    params = models.JSONField(_("原因参数"), null=True, blank=True)

    objects = EntryEventQuerySet.as_manager()

    # Set on the unsaved facts reviews.history reads from a batch (EntryBatchEvent): the row that stores it.
    batch_event: EntryBatchEvent | None = None

    class Meta:
        verbose_name = _("录入审计记录")
        verbose_name_plural = _("录入审计记录")
        ordering = ["entry", "at", "id"]
        indexes = [models.Index(fields=["entry", "at"], name="entryevent_entry_at")]

    def __str__(self):
        return f"{self.get_action_display()} #{self.entry_id}"

    @property
    def stored(self) -> bool:
        """A fact stored of this entry: its own row, or its id in a batch's (EntryBatchEvent). The lines an
        entry's history adds for its month's sign-offs and reopenings (reviews.history) are neither."""
        return self.pk is not None or self.batch_event is not None

    @property
    def text(self) -> str:
        """The reason in the reader's (the active) language: worded from the facts when the system wrote it;
        as stored when a person typed it, or when the row has no facts (written before they were kept)."""
        return shown(self.params, self.reason)


class EntryBatchEvent(models.Model):
    """The same fact for many entries at once: one step of a month's approval job (reviews.jobs,
    entries_approve_in_steps) moved these entries, by this person, at this time. Stored as the sorted ids
    of up to BATCH_EVENT_SIZE entries of one business system's month per row (``entry_ids``), where an
    EntryEvent per entry would write 740,000 rows for a month, each also into the audit table's index at last
    month's place in it: about 20 times the bytes (158 bytes an entry against 8.2 kB per 1,000, kept uncompressed:
    see BATCH_EVENT_SIZE), and a tenth of the approval's time against an audit table with history. The entries'
    histories read it as their own facts (reviews.history), so an entry's page, the API and the honour's trace show
    the same 通过 line, with its reviewer and time, either way."""

    action = models.CharField(_("动作"), max_length=12, choices=EntryAction.choices)
    # A few rows per step: real foreign keys (EntryEvent's are kept by the ORM only, for their number).
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("操作人"), null=True,
                              on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(_("时间"))
    from_status = models.CharField(_("原状态"), max_length=10, blank=True, choices=EntryStatus.choices)
    to_status = models.CharField(_("新状态"), max_length=10, blank=True, choices=EntryStatus.choices)
    reason = models.CharField(_("原因"), max_length=200, blank=True)
    # Every entry of a row is of this business system and dated in this month (the step's own conditions):
    # an entry's history finds the rows for it by them and by its id between first and last.
    business_system = models.ForeignKey("competitions.BusinessSystem", verbose_name=_("业务系统"),
                                        on_delete=models.PROTECT, related_name="+", db_index=False)
    month = models.DateField(_("月份"))
    first_entry_id = models.BigIntegerField(_("起始录入编号"))
    last_entry_id = models.BigIntegerField(_("截止录入编号"))
    entries = models.PositiveIntegerField(_("涉及录入数"))
    entry_ids = ArrayField(models.BigIntegerField(), verbose_name=_("录入编号"))

    class Meta:
        verbose_name = _("批量审核记录")
        verbose_name_plural = _("批量审核记录")
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["business_system", "month", "last_entry_id", "first_entry_id"],
                                name="entrybatchevent_entries")]

    def __str__(self):
        return f"{self.get_action_display()} #{self.first_entry_id}–#{self.last_entry_id}"


# How many entries' ids one EntryBatchEvent row holds: a row of 1,000 ids is about 8 KB, stored out of line and
# uncompressed (migration 0016: compressing took longer than the rest of writing the row), and an entry's history
# reads the one row whose range holds it (one index probe, one array of 1,000).
BATCH_EVENT_SIZE = 1000


class PeriodStatus(models.TextChoices):
    OPEN = "open", _("审核中")
    SIGNED_OFF = "signed_off", _("已签发")


class ReviewPeriod(models.Model):
    """One business system's month in one competition: reviewed, then signed off (locked)."""

    competition = models.ForeignKey("competitions.Competition", verbose_name=_("劳动竞赛"),
                                    on_delete=models.PROTECT, related_name="periods")
    business_system = models.ForeignKey("competitions.BusinessSystem", verbose_name=_("业务系统"),
                                        on_delete=models.PROTECT, related_name="periods")
    month = models.DateField(_("月份"), help_text=_("该月第一天"))
    status = models.CharField(_("状态"), max_length=10, choices=PeriodStatus.choices, default=PeriodStatus.OPEN)
    signed_off_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("签发人"), null=True, blank=True,
                                      on_delete=models.PROTECT, related_name="+")
    signed_off_at = models.DateTimeField(_("签发时间"), null=True, blank=True)

    objects = ReviewPeriodQuerySet.as_manager()

    class Meta:
        verbose_name = _("月度审核")
        verbose_name_plural = _("月度审核")
        ordering = ["-month", "business_system"]
        constraints = [
            models.UniqueConstraint(fields=["competition", "business_system", "month"], name="period_unique"),
            models.CheckConstraint(condition=Q(month__day=1), name="period_month_first_day"),
        ]

    def __str__(self):
        return f"{self.business_system} {display_month(self.month)}"


class PeriodAction(models.TextChoices):
    SIGNED_OFF = "signed_off", _("签发")
    REOPENED = "reopened", _("解锁")


class PeriodEvent(models.Model):
    period = models.ForeignKey(ReviewPeriod, verbose_name=_("月度审核"), on_delete=models.CASCADE,
                               related_name="events")
    action = models.CharField(_("动作"), max_length=12, choices=PeriodAction.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("操作人"), null=True,
                              on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(_("时间"))
    reason = models.CharField(_("原因"), max_length=200, blank=True)
    entries = models.PositiveIntegerField(_("涉及录入数"), default=0)

    class Meta:
        verbose_name = _("月度审核记录")
        verbose_name_plural = _("月度审核记录")
        ordering = ["period", "at"]

    def __str__(self):
        return f"{self.get_action_display()} {self.period}"


class DisputeStatus(models.TextChoices):
    OPEN = "open", _("待处理")
    ANSWERED = "answered", _("已答复")
    CORRECTED = "corrected", _("已更正")


class Dispute(models.Model):
    """申诉: a worker questions an entry of theirs, or a day with no entry."""

    worker = models.ForeignKey("members.Worker", verbose_name=_("职工"), on_delete=models.PROTECT,
                               related_name="disputes")
    # No database foreign key (the entries' only unique key in the database is (id, work_date), see
    # WorkEntry): dispute_open sets it from an entry it has just loaded, and entries are never deleted;
    # PROTECT refuses deleting a disputed entry through Django.
    entry = models.ForeignKey(WorkEntry, verbose_name=_("录入"), null=True, blank=True, on_delete=models.PROTECT,
                              related_name="disputes", db_constraint=False)
    work_date = models.DateField(_("工作日期"))
    unit = models.ForeignKey("members.Unit", verbose_name=_("单位"), on_delete=models.PROTECT, related_name="+")
    comment = models.CharField(_("申诉内容"), max_length=500)
    status = models.CharField(_("状态"), max_length=10, choices=DisputeStatus.choices, default=DisputeStatus.OPEN)
    response = models.CharField(_("处理意见"), max_length=500, blank=True)
    responded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("处理人"), null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("提交时间"), auto_now_add=True)
    responded_at = models.DateTimeField(_("处理时间"), null=True, blank=True)

    objects = DisputeQuerySet.as_manager()

    class Meta:
        verbose_name = _("申诉")
        verbose_name_plural = _("申诉")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(status="open") | ~Q(response=""), name="dispute_closed_has_response",
                                   violation_error_message=_("处理申诉必须填写意见。")),
            # One open dispute per worker and entry (or entryless day): a double tap on a phone sends two
            # requests at once, and dispute_open's check alone cannot see the other's uncommitted row.
            models.UniqueConstraint(fields=["worker", "work_date", "entry"], condition=Q(status="open"),
                                    nulls_distinct=False, name="dispute_one_open",
                                    violation_error_message=_("该申诉已提交，正在处理中。")),
        ]
        indexes = [models.Index(fields=["unit", "status"], name="dispute_unit_status")]

    def __str__(self):
        return f"{self.worker_id} {self.work_date}"
