"""Units (a tree), workers, accounts and roles, union membership."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser, UserManager
from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from django.db.models import Q
from django.db.models.functions import Upper
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from config.text import typed_code, validate_visible
from members.querysets import (
    MemberRecordQuerySet,
    MembershipApplicationQuerySet,
    NotificationQuerySet,
    UnitQuerySet,
    WorkerQuerySet,
)
from members.validators import (
    birth_date_of,
    mask_card_number,
    mask_id_number,
    mask_mobile,
    normalize_id_number,
    validate_card_number,
    validate_employee_no,
    validate_id_number,
    validate_mobile,
)


class Region(models.TextChoices):
    BEIJING = "BJ", _("北京")
    TIANJIN = "TJ", _("天津")
    HEBEI = "HE", _("河北")


class UnitLevel(models.IntegerChoices):
    BUREAU = 1, _("路局")
    DEPOT = 2, _("站段")
    WORKSHOP = 3, _("车间")
    TEAM = 4, _("班组")


class Unit(models.Model):
    """A node of the unit tree: bureau (路局) → depot (站段) → workshop (车间) → team (班组).

    ``path`` is a materialized path of unit codes (``/BJ/BJ-CW01/``) so that "a unit and all
    below it" is one indexed prefix match, whatever the depth. ``depot`` points at the 站段 the unit
    belongs to; the unit-level ranking is per depot.
    """

    code = models.CharField(_("单位编码"), max_length=32, unique=True)
    name = models.CharField(_("单位名称"), max_length=100, validators=[validate_visible])
    level = models.PositiveSmallIntegerField(_("层级"), choices=UnitLevel.choices)
    region = models.CharField(_("地区"), max_length=2, choices=Region.choices)
    parent = models.ForeignKey(
        "self", verbose_name=_("上级单位"), null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    depot = models.ForeignKey(
        "self", verbose_name=_("所属站段"), null=True, blank=True, editable=False,
        on_delete=models.PROTECT, related_name="+",
    )
    path = models.CharField(_("路径"), max_length=400, editable=False, db_index=False)
    is_active = models.BooleanField(_("启用"), default=True)

    objects = UnitQuerySet.as_manager()

    class Meta:
        verbose_name = _("单位")
        verbose_name_plural = _("单位")
        ordering = ["path"]
        indexes = [models.Index(fields=["path"], name="unit_path_prefix", opclasses=["varchar_pattern_ops"])]
        constraints = [
            models.CheckConstraint(condition=~Q(code__contains="/"), name="unit_code_no_slash"),
            models.CheckConstraint(
                condition=Q(level=UnitLevel.BUREAU, parent__isnull=True) | Q(level__gt=UnitLevel.BUREAU,
                                                                               parent__isnull=False),
                name="unit_only_bureau_is_root",
                violation_error_message=_("只有路局没有上级单位；站段、车间、班组必须有上级单位。"),
            ),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        self.check_parent(self.parent)

    def check_parent(self, parent: Unit | None) -> None:
        """The rules of the tree for ``parent`` as this unit's parent (the database adds: only a bureau is
        a root). Raises ValidationError on the ``parent`` field."""
        if parent is None:
            return
        if parent.level >= self.level:
            raise ValidationError({"parent": _("上级单位的层级必须高于本单位。")})
        # A saved unit's stored path: under its own subtree, the tree would become a cycle.
        if self.pk and parent.path.startswith(self.path or "\0"):
            raise ValidationError({"parent": _("不能把单位移到它自己的下级单位之下。")})

    def path_under(self, parent: Unit | None, code: str) -> str:
        return (parent.path if parent else "/") + code + "/"

    def depot_under(self, parent: Unit | None) -> int | None:
        if self.level == UnitLevel.DEPOT:
            return self.pk  # set again after the first save, when the pk exists
        if self.level > UnitLevel.DEPOT and parent is not None:
            return parent.depot_id
        return None

    @transaction.atomic
    def save(self, *args, **kwargs):
        """Computes the unit's own path and depot. A saved unit keeps its place in the tree here: moving it
        or changing its code rewrites its whole subtree, which is members.services.unit_move's work."""
        new_path = self.path_under(self.parent, self.code)
        if self.pk:
            stored = Unit.objects.filter(pk=self.pk).values_list("path", flat=True).first()
            if stored is not None and stored != new_path:
                raise ValueError(
                    f"Unit.save cannot move unit {self.pk} ({stored} -> {new_path}): its subtree's paths would "
                    "go stale. Move it with members.services.unit_move.")
        self.path = new_path
        self.depot_id = self.depot_under(self.parent)
        super().save(*args, **kwargs)
        if self.level == UnitLevel.DEPOT and self.depot_id != self.pk:
            self.depot_id = self.pk
            Unit.objects.filter(pk=self.pk).update(depot_id=self.pk)


class User(AbstractUser):
    """A login. Workers log in with their employee number (工号) as username.

    Roles: union staff are ``is_staff`` (the Django admin); a unit clerk has ``clerk_units``; a
    department reviewer has ``reviewer_systems``; a unit's union officer has ``union_units``; a worker
    has a linked ``Worker``. One person may hold several.
    """

    must_change_password = models.BooleanField(_("首次登录须改密码"), default=False)
    clerk_units = models.ManyToManyField(
        Unit, verbose_name=_("录入单位"), blank=True, related_name="clerks",
        help_text=_("单位录入员可为这些单位及其下级单位的职工录入工作量。"),
    )
    reviewer_systems = models.ManyToManyField(
        "competitions.BusinessSystem", verbose_name=_("审核业务系统"), blank=True, related_name="reviewers",
        help_text=_("业务部门审核员审核这些业务系统的录入。"),
    )
    union_units = models.ManyToManyField(
        Unit, verbose_name=_("基层工会单位"), blank=True, related_name="union_officers",
        help_text=_("基层工会干部审批这些单位及其下级单位职工的入会申请，办理会籍变动。"),
    )

    objects = UserManager()

    class Meta(AbstractUser.Meta):
        verbose_name = _("账号")
        verbose_name_plural = _("账号")
        permissions = [("view_full_id_number", _("可查看完整身份证号和手机号"))]


class Gender(models.TextChoices):
    MALE = "M", _("男")
    FEMALE = "F", _("女")


class SkillGrade(models.IntegerChoices):
    """新八级工: the eight skill grades."""

    APPRENTICE = 1, _("学徒工")
    JUNIOR = 2, _("初级工")
    INTERMEDIATE = 3, _("中级工")
    SENIOR = 4, _("高级工")
    TECHNICIAN = 5, _("技师")
    SENIOR_TECHNICIAN = 6, _("高级技师")
    MASTER_TECHNICIAN = 7, _("特级技师")
    CHIEF_TECHNICIAN = 8, _("首席技师")


class MembershipStatus(models.TextChoices):
    NONE = "none", _("未入会")
    APPLIED = "applied", _("已申请")
    MEMBER = "member", _("会员")
    LEFT = "left", _("已退会")
    SUSPENDED = "suspended", _("会籍暂停")


class Worker(models.Model):
    """A worker (职工). ID number and mobile are personal data: validated, shown masked."""

    employee_no = models.CharField(_("工号"), max_length=20, unique=True, validators=[validate_employee_no],
                                   error_messages={"unique": _("工号已存在。")})
    name = models.CharField(_("姓名"), max_length=50, validators=[validate_visible])
    gender = models.CharField(_("性别"), max_length=1, choices=Gender.choices)
    id_number = models.CharField(_("身份证号"), max_length=18, unique=True, validators=[validate_id_number],
                                 error_messages={"unique": _("该身份证号已登记。")})
    mobile = models.CharField(_("手机号"), max_length=11, blank=True, validators=[validate_mobile])
    unit = models.ForeignKey(Unit, verbose_name=_("单位"), on_delete=models.PROTECT, related_name="workers")
    job_type = models.ForeignKey("competitions.JobType", verbose_name=_("工种"), on_delete=models.PROTECT,
                                 related_name="workers")
    skill_grade = models.PositiveSmallIntegerField(_("技能等级"), choices=SkillGrade.choices,
                                                   default=SkillGrade.JUNIOR)
    membership_status = models.CharField(_("会籍状态"), max_length=10, choices=MembershipStatus.choices,
                                         default=MembershipStatus.NONE)
    member_card_no = models.CharField(_("互助服务卡号"), max_length=32, null=True, blank=True, unique=True,
                                      error_messages={"unique": _("互助服务卡号已被使用。")})
    joined_on = models.DateField(_("入会日期"), null=True, blank=True)
    user = models.OneToOneField(User, verbose_name=_("登录账号"), null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="worker")
    is_active = models.BooleanField(_("在职"), default=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    objects = WorkerQuerySet.as_manager()

    class Meta:
        verbose_name = _("职工")
        verbose_name_plural = _("职工")
        ordering = ["employee_no"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(membership_status=MembershipStatus.MEMBER) | Q(joined_on__isnull=False),
                name="worker_member_has_join_date",
                violation_error_message=_("会员必须填写入会日期。"),
            ),
            models.CheckConstraint(
                condition=Q(id_number__regex=r"^[0-9]{17}[0-9X]$"), name="worker_id_number_format",
                violation_error_message=_("身份证号应为18位：17位数字加1位数字或X。"),
            ),
            models.CheckConstraint(
                condition=Q(mobile="") | Q(mobile__regex=r"^1[3-9][0-9]{9}$"), name="worker_mobile_format",
                violation_error_message=_("手机号应为以1开头的11位数字。"),
            ),
        ]
        indexes = [
            models.Index(fields=["unit", "employee_no"], name="worker_unit_empno"),
            models.Index(fields=["job_type", "employee_no"], name="worker_jobtype_empno"),
            models.Index(fields=["name"], name="worker_name"),
            # The admin searches 工号 by prefix (LIKE 'E12%'); the unique index's collation cannot serve that.
            models.Index(fields=["employee_no"], name="worker_empno_prefix", opclasses=["varchar_pattern_ops"]),
            # A new number that differs only by case from one on file is refused (validate_unique, the worker
            # import: WorkerQuerySet.numbered_any_case); without it each such check read the whole table.
            models.Index(Upper("employee_no"), name="worker_empno_upper"),
            # The staff's statistics (members.statistics) count workers in service by unit, job type, grade and
            # membership: read from this index alone, in its order, instead of every row of the table.
            models.Index(fields=["unit", "job_type", "skill_grade", "membership_status"], name="worker_tally",
                         include=["member_card_no"], condition=Q(is_active=True)),
            # ... and those who joined in a year, by unit.
            models.Index(fields=["joined_on"], include=["unit"], name="worker_joined",
                         condition=Q(is_active=True, joined_on__isnull=False)),
        ]

    def __str__(self):
        # Never the ID number or phone: __str__ ends up in logs and admin messages.
        return f"{self.employee_no} {self.name}"

    def clean_fields(self, exclude=None):
        # The 工号 as a person typed it (config.text.typed_code), before its validators and the unique check:
        # the admin's form and its import store Ｑ０００２ as Q0002, not as a second spelling of it.
        if isinstance(self.employee_no, str):
            self.employee_no = typed_code(self.employee_no)
        super().clean_fields(exclude=exclude)

    def validate_unique(self, exclude=None):
        super().validate_unique(exclude=exclude)
        if exclude and "employee_no" in exclude:
            return
        # Numbers are compared exactly everywhere (a login, a lookup), and some are stored in lower case, so
        # a new q0001 beside Q0001 would be a second worker whom nobody can tell apart by number. Checked only
        # when the number is new or changed: existing pairs that differ by case can still be edited.
        number = self.employee_no or ""
        stored = Worker.objects.filter(pk=self.pk).values_list("employee_no", flat=True).first() if self.pk else None
        if number and number != stored:
            other = (Worker.objects.numbered_any_case([number]).exclude(pk=self.pk)
                     .exclude(employee_no=number).values_list("employee_no", flat=True).first())
            if other is not None:
                raise ValidationError({"employee_no": ValidationError(
                    _("工号与已有的工号 %(other)s 只有大小写不同，请核对。"), code="employee_no_case",
                    params={"other": other})})

    def clean(self):
        self.id_number = normalize_id_number(self.id_number)
        if self.membership_status == MembershipStatus.MEMBER and not self.joined_on:
            raise ValidationError({"joined_on": _("会员必须填写入会日期。")})
        if self.joined_on:
            # As when an application is approved (members.membership): not later than today; and nobody joins
            # before they were born (the birth date the ID number carries, when it is valid).
            if self.joined_on > timezone.localdate():
                raise ValidationError({"joined_on": _("入会日期不能晚于今天。")})
            try:
                validate_id_number(self.id_number)
            except ValidationError:
                return  # the ID number's own error is reported on its field
            if self.joined_on < birth_date_of(self.id_number):
                raise ValidationError({"joined_on": _("入会日期不能早于出生日期。")})

    @property
    def id_number_masked(self) -> str:
        return mask_id_number(self.id_number)

    @property
    def mobile_masked(self) -> str:
        return mask_mobile(self.mobile)


class ApiToken(models.Model):
    """One signed-in phone: a short-lived access token and a long-lived refresh token.

    Only SHA-256 digests are stored, so a database dump cannot be replayed as logins. Refreshing
    rotates both tokens in place (the old refresh token stops working at once); logging out sets
    ``revoked_at``, which ends both immediately; a new password ends every token of the account
    (``password_stamp``). An expiring signed token (JWT) could not be revoked before it expires, which
    is why the API keeps its tokens in a table.
    """

    user = models.ForeignKey(User, verbose_name=_("账号"), on_delete=models.CASCADE, related_name="api_tokens")
    access_digest = models.CharField(_("访问令牌摘要"), max_length=64, unique=True)
    access_expires_at = models.DateTimeField(_("访问令牌到期"))
    refresh_digest = models.CharField(_("刷新令牌摘要"), max_length=64, unique=True)
    refresh_expires_at = models.DateTimeField(_("刷新令牌到期"))
    # The account's password as it was when the token was issued (a digest of its stored hash). Changing
    # the password by any path (the portal, a clerk's reset, the admin, ``changepassword``, a future bulk
    # UPDATE) writes a new hash, and a token whose stamp no longer matches is dead: the check sits where
    # every request is authenticated, so no password-changing path can forget to revoke. (A hook on
    # ``set_password`` would miss a path that writes the column another way.) A hash that Django upgrades
    # at a portal login (a newer release's iteration count) ends the tokens too: one more login on the
    # phone, on the safe side.
    password_stamp = models.CharField(_("密码版本"), max_length=64, default="", editable=False)
    created_at = models.DateTimeField(_("登录时间"), auto_now_add=True)
    revoked_at = models.DateTimeField(_("注销时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("接口令牌")
        verbose_name_plural = _("接口令牌")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["user", "created_at"], name="apitoken_user_created")]

    def __str__(self):
        return f"{self.user_id} @ {self.created_at:%Y-%m-%d %H:%M}"


class IdempotencyKey(models.Model):
    """A POST from the mobile client with an ``Idempotency-Key`` header, and the answer it got.

    The row is inserted *before* the request runs (the unique constraint makes the first request
    the owner of the key); ``status_code`` stays empty while it runs. A retry finds the stored answer
    and gets it back unchanged; a duplicate arriving while the first is still running finds the row
    without an answer and is refused with 409.
    """

    user = models.ForeignKey(User, verbose_name=_("账号"), on_delete=models.CASCADE, related_name="+")
    key = models.CharField(_("幂等键"), max_length=64)
    fingerprint = models.CharField(_("请求摘要"), max_length=64)
    status_code = models.PositiveSmallIntegerField(_("响应状态"), null=True, blank=True)
    response_body = models.JSONField(_("响应内容"), null=True, blank=True, encoder=DjangoJSONEncoder)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("幂等请求")
        verbose_name_plural = _("幂等请求")
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="idempotency_key_unique_per_user")]
        indexes = [models.Index(fields=["created_at"], name="idempotency_created")]

    def __str__(self):
        return f"{self.user_id}:{self.key}"


# -- union membership: enrollment, its history, the mutual-aid card ------------------------------------
# Worker.membership_status, joined_on and member_card_no are the current state; members.membership's
# services write them together with the rows below, in one transaction, and nothing else does.


class Education(models.TextChoices):
    JUNIOR_HIGH = "junior_high", _("初中及以下")
    HIGH_SCHOOL = "high_school", _("高中、中专、技校")
    COLLEGE = "college", _("大专")
    BACHELOR = "bachelor", _("本科")
    MASTER = "master", _("硕士研究生")
    DOCTOR = "doctor", _("博士研究生")


class PoliticalStatus(models.TextChoices):
    CPC_MEMBER = "cpc", _("中共党员")
    CPC_PROBATIONARY = "cpc_prob", _("中共预备党员")
    LEAGUE_MEMBER = "league", _("共青团员")
    DEMOCRATIC_PARTY = "democratic", _("民主党派")
    MASSES = "masses", _("群众")


class ApplicationStatus(models.TextChoices):
    SUBMITTED = "submitted", _("待审批")
    RETURNED = "returned", _("已退回")
    APPROVED = "approved", _("已批准")
    REJECTED = "rejected", _("不予批准")


OPEN_APPLICATION = (ApplicationStatus.SUBMITTED, ApplicationStatus.RETURNED)


class MembershipApplication(models.Model):
    """An enrollment form (入会申请书), as the applicant or their unit's clerk filled it in.

    The ID number must be the worker's own on file (checked by the service) and is shown masked
    everywhere. ``membership_no`` is assigned on approval from the region's sequence
    (members.membership.MEMBERSHIP_NO_FORMAT); a returned form is corrected and submitted again as the
    same row, so a worker has at most one open form and at most one approved one.
    """

    worker = models.ForeignKey(Worker, verbose_name=_("职工"), on_delete=models.PROTECT,
                               related_name="membership_applications")
    unit = models.ForeignKey(Unit, verbose_name=_("单位"), on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("姓名"), max_length=50)
    gender = models.CharField(_("性别"), max_length=1, choices=Gender.choices)
    id_number = models.CharField(_("身份证号"), max_length=18, validators=[validate_id_number])
    birth_date = models.DateField(_("出生日期"))
    mobile = models.CharField(_("手机号"), max_length=11, validators=[validate_mobile])
    education = models.CharField(_("文化程度"), max_length=12, choices=Education.choices)
    political_status = models.CharField(_("政治面貌"), max_length=12, choices=PoliticalStatus.choices)
    job_title = models.CharField(_("职务"), max_length=50, blank=True)
    applied_on = models.DateField(_("申请日期"))
    status = models.CharField(_("状态"), max_length=10, choices=ApplicationStatus.choices,
                              default=ApplicationStatus.SUBMITTED)
    reason = models.CharField(_("退回或不予批准的原因"), max_length=200, blank=True)
    membership_no = models.CharField(_("会员编号"), max_length=12, null=True, blank=True, unique=True)
    joined_on = models.DateField(_("入会日期"), null=True, blank=True)
    submitted_by = models.ForeignKey(User, verbose_name=_("提交人"), null=True, on_delete=models.SET_NULL,
                                     related_name="+")
    decided_by = models.ForeignKey(User, verbose_name=_("审批人"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    decided_at = models.DateTimeField(_("审批时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    objects = MembershipApplicationQuerySet.as_manager()

    class Meta:
        verbose_name = _("入会申请")
        verbose_name_plural = _("入会申请")
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["worker"], condition=Q(status__in=OPEN_APPLICATION),
                                    name="membership_application_one_open",
                                    violation_error_message=_("该职工已有待处理的入会申请。")),
            models.UniqueConstraint(fields=["worker"], condition=Q(status=ApplicationStatus.APPROVED),
                                    name="membership_application_one_approved",
                                    violation_error_message=_("该职工已入会。")),
            models.CheckConstraint(
                condition=~Q(status=ApplicationStatus.APPROVED) | Q(membership_no__isnull=False,
                                                                   joined_on__isnull=False),
                name="membership_application_approved_numbered",
                violation_error_message=_("批准的申请必须有会员编号和入会日期。")),
            models.CheckConstraint(
                condition=~Q(status__in=[ApplicationStatus.RETURNED, ApplicationStatus.REJECTED]) | ~Q(reason=""),
                name="membership_application_reason_given",
                violation_error_message=_("退回或不予批准须填写原因。")),
            models.CheckConstraint(condition=Q(id_number__regex=r"^[0-9]{17}[0-9X]$"),
                                   name="membership_application_id_format",
                                   violation_error_message=_("身份证号应为18位：17位数字加1位数字或X。")),
            models.CheckConstraint(condition=Q(mobile__regex=r"^1[3-9][0-9]{9}$"),
                                   name="membership_application_mobile_format",
                                   violation_error_message=_("手机号应为以1开头的11位数字。")),
        ]
        indexes = [
            models.Index(fields=["status", "id"], name="membership_app_status_id"),
            models.Index(fields=["unit", "id"], name="membership_app_unit_id"),
            models.Index(fields=["worker", "id"], name="membership_app_worker_id"),
        ]

    def __str__(self):
        # Never the ID number or phone: __str__ ends up in logs and admin messages.
        return f"{self.worker_id} {self.get_status_display()}"

    @property
    def id_number_masked(self) -> str:
        return mask_id_number(self.id_number)

    @property
    def mobile_masked(self) -> str:
        return mask_mobile(self.mobile)


class MembershipEventKind(models.TextChoices):
    JOINED = "joined", _("入会")
    TRANSFERRED = "transferred", _("转会")
    SUSPENDED = "suspended", _("暂停会籍")
    TERMINATED = "terminated", _("终止会籍")
    RESTORED = "restored", _("恢复会籍")


class MembershipEvent(models.Model):
    """One step of a member's history, with its date, reason and who recorded it. The worker's
    ``membership_status`` is the state the latest step left (members.membership.EVENT_MOVES)."""

    worker = models.ForeignKey(Worker, verbose_name=_("职工"), on_delete=models.PROTECT,
                               related_name="membership_events")
    kind = models.CharField(_("变动"), max_length=12, choices=MembershipEventKind.choices)
    on = models.DateField(_("日期"))
    reason = models.CharField(_("原因"), max_length=200, blank=True)
    from_unit = models.ForeignKey(Unit, verbose_name=_("转出单位"), null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="+")
    to_unit = models.ForeignKey(Unit, verbose_name=_("转入单位"), null=True, blank=True, on_delete=models.PROTECT,
                                related_name="+")
    application = models.ForeignKey(MembershipApplication, verbose_name=_("入会申请"), null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")
    actor = models.ForeignKey(User, verbose_name=_("经办人"), null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("记录时间"), default=timezone.now)

    objects = MemberRecordQuerySet.as_manager()

    class Meta:
        verbose_name = _("会籍变动")
        verbose_name_plural = _("会籍变动")
        ordering = ["worker", "id"]
        indexes = [models.Index(fields=["worker", "id"], name="membership_event_worker_id"),
                   models.Index(fields=["on", "kind"], name="membership_event_on_kind")]
        constraints = [
            models.CheckConstraint(
                condition=~Q(kind=MembershipEventKind.TRANSFERRED) | Q(from_unit__isnull=False, to_unit__isnull=False),
                name="membership_event_transfer_units",
                violation_error_message=_("转会须有转出单位和转入单位。")),
        ]

    def __str__(self):
        return f"{self.worker_id} {self.get_kind_display()} {self.on}"


class CardStatus(models.TextChoices):
    ISSUED = "issued", _("已发卡")
    ACTIVE = "active", _("已激活")
    LOST = "lost", _("已挂失")
    REPLACED = "replaced", _("已补换")


LIVE_CARD = (CardStatus.ISSUED, CardStatus.ACTIVE)


class MemberCard(models.Model):
    """A mutual-aid service card (会员互助服务卡). The number comes from the issuer and is checked by
    members.validators.validate_card_number; a lost card is replaced by a new card (``replaces``),
    never renumbered. A member holds at most one live (issued or active) card, whose number is also
    ``Worker.member_card_no``. Shown masked to everyone but the member and staff."""

    worker = models.ForeignKey(Worker, verbose_name=_("会员"), on_delete=models.PROTECT, related_name="member_cards")
    number = models.CharField(_("卡号"), max_length=19, unique=True, validators=[validate_card_number],
                              error_messages={"unique": _("互助服务卡号已被使用。")})
    status = models.CharField(_("状态"), max_length=10, choices=CardStatus.choices, default=CardStatus.ISSUED)
    issued_on = models.DateField(_("发卡日期"))
    replaces = models.OneToOneField("self", verbose_name=_("补换的原卡"), null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="replaced_by")
    created_by = models.ForeignKey(User, verbose_name=_("录入人"), null=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    objects = MemberRecordQuerySet.as_manager()

    class Meta:
        verbose_name = _("互助服务卡")
        verbose_name_plural = _("互助服务卡")
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["worker"], condition=Q(status__in=LIVE_CARD), name="member_card_one_live",
                                    violation_error_message=_("该会员已有在用的互助服务卡。")),
            models.CheckConstraint(condition=Q(number__regex=r"^[0-9]{16,19}$"), name="member_card_number_format",
                                   violation_error_message=_("卡号应为16到19位数字。")),
        ]
        indexes = [models.Index(fields=["worker", "id"], name="member_card_worker_id")]

    def __str__(self):
        return f"{self.worker_id} {mask_card_number(self.number)}"

    @property
    def number_masked(self) -> str:
        return mask_card_number(self.number)


class MemberCardEvent(models.Model):
    """A card's history: each status it entered, when, why and by whom."""

    card = models.ForeignKey(MemberCard, verbose_name=_("互助服务卡"), on_delete=models.CASCADE, related_name="events")
    status = models.CharField(_("状态"), max_length=10, choices=CardStatus.choices)
    on = models.DateField(_("日期"))
    reason = models.CharField(_("说明"), max_length=200, blank=True)
    actor = models.ForeignKey(User, verbose_name=_("经办人"), null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("记录时间"), default=timezone.now)

    class Meta:
        verbose_name = _("互助服务卡记录")
        verbose_name_plural = _("互助服务卡记录")
        ordering = ["card", "id"]

    def __str__(self):
        return f"{self.card_id} {self.get_status_display()} {self.on}"


# Skill certificates live with their services in members/skills.py; imported here so the app registers them.
from members.skills import SkillCertificate  # noqa: E402, F401

# -- notifications (members.notifications writes them) ----------------------------------------------

class NotificationKind(models.TextChoices):
    ENTRIES_REJECTED = "entries_rejected", _("录入被驳回")
    DISPUTE_ANSWERED = "dispute_answered", _("申诉已答复")
    SIGN_OFF_DUE = "sign_off_due", _("月份待签发")
    PUBLIC_NOTICE = "public_notice", _("公示开始")
    RANK_DIGEST = "rank_digest", _("每周排名变化")
    OBJECTION_ANSWERED = "objection_answered", _("异议已答复")


class Notification(models.Model):
    """One message to one person in the message centre (消息中心).

    Every recipient has a row of their own, including the 公示 that reaches every worker of a competition:
    that one is written by one ``INSERT … SELECT`` in a Celery task (members.notifications), never in a
    request. A row per recipient keeps "how many unread" one probe of a partial index per page, and being
    read a plain column. ``key`` names an event that must reach a person once (a round's 公示, a month due
    for sign-off): the partial unique constraint makes a repeated run or a redelivered task write nothing.
    """

    recipient = models.ForeignKey(User, verbose_name=_("收件人"), on_delete=models.CASCADE, related_name="+",
                                  db_index=False)
    kind = models.CharField(_("类型"), max_length=20, choices=NotificationKind.choices)
    title = models.CharField(_("标题"), max_length=200)
    body = models.CharField(_("内容"), max_length=1000, blank=True)
    link = models.CharField(_("链接"), max_length=300, blank=True)
    key = models.CharField(_("事件键"), max_length=100, blank=True)
    # The facts the message is about (a count, a day, a reason…), from which its title and body are shown in
    # the reader's language (``text``); the stored title and body are the same in the portal's language, for
    # the admin, the robots and the messages written before these facts were kept.
    params = models.JSONField(_("内容参数"), default=dict, blank=True,
                              db_default=models.Value({}, output_field=models.JSONField()))
    created_at = models.DateTimeField(_("时间"), db_default=models.functions.Now())
    read_at = models.DateTimeField(_("已读时间"), null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        verbose_name = _("消息")
        verbose_name_plural = _("消息")
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["recipient", "kind", "key"], condition=~Q(key=""),
                                    name="notification_once_per_event"),
            models.CheckConstraint(condition=~Q(link__startswith="//") & (Q(link="") | Q(link__startswith="/")),
                                   name="notification_link_is_local"),
        ]
        indexes = [
            # The message centre and the API page a person's messages newest first.
            models.Index(fields=["recipient", "-id"], name="notification_recipient_id"),
            # The unread count on every page: only unread rows are in it, so it stays small however
            # many messages a person has read.
            models.Index(fields=["recipient"], condition=Q(read_at__isnull=True), name="notification_unread"),
        ]

    def __str__(self):
        return f"{self.recipient_id} {self.kind} {self.title}"

    @cached_property
    def text(self):
        """The title and body as the reader's language says them (members.notifications.shown_text)."""
        from members.notifications import shown_text

        return shown_text(self)


class NotificationPreference(models.Model):
    """What a person chose to receive beyond what their work requires: the weekly rank change digest is
    opt-in. No row means the defaults."""

    user = models.OneToOneField(User, verbose_name=_("账号"), on_delete=models.CASCADE, primary_key=True,
                                related_name="notification_preference")
    weekly_digest = models.BooleanField(_("接收每周排名变化"), default=False)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("消息设置")
        verbose_name_plural = _("消息设置")
        indexes = [models.Index(fields=["user"], condition=Q(weekly_digest=True), name="notification_digest_opt_in")]

    def __str__(self):
        return str(self.user_id)


class WecomRobot(models.Model):
    """A 企业微信 group robot of a depot (站段): the kinds of notification it relays to that depot's group
    chat (config.wecom sends them from Celery). Off until staff enable it. The webhook URL holds the
    robot's key, which lets anyone post to the group: it is shown only in this admin and never logged."""

    depot = models.ForeignKey(Unit, verbose_name=_("站段"), on_delete=models.CASCADE, related_name="+",
                              limit_choices_to={"level": UnitLevel.DEPOT})
    name = models.CharField(_("名称"), max_length=100)
    url = models.CharField(_("Webhook 地址"), max_length=500,
                           help_text=_("企业微信群机器人的 Webhook 地址"
                                       "（https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…）。"))
    enabled = models.BooleanField(_("启用"), default=False)
    kinds = ArrayField(models.CharField(max_length=20, choices=NotificationKind.choices),
                       verbose_name=_("转发的消息类型"), default=list, blank=True)
    last_sent_at = models.DateTimeField(_("最近发送成功"), null=True, blank=True, editable=False)
    last_error = models.CharField(_("最近错误"), max_length=200, blank=True, editable=False)
    last_error_at = models.DateTimeField(_("最近错误时间"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("企业微信群机器人")
        verbose_name_plural = _("企业微信群机器人")
        ordering = ["depot__path", "name"]

    def __str__(self):
        return self.name

    def clean(self):
        from config.wecom import WebhookUrlInvalid, validate_webhook_url

        try:
            validate_webhook_url(self.url)
        except WebhookUrlInvalid as error:
            raise ValidationError({"url": error.message}) from None
        if self.depot_id and Unit.objects.filter(pk=self.depot_id).values_list("level", flat=True).first() \
                != UnitLevel.DEPOT:
            raise ValidationError({"depot": _("群机器人只能设置在站段上。")})
        unknown = set(self.kinds) - set(WECOM_KINDS)
        if unknown:
            raise ValidationError({"kinds": _("这些消息类型不发往群聊：%(kinds)s") % {
                "kinds": "、".join(sorted(unknown))}})


# The kinds a depot's group chat may receive: news for the depot as a whole. Personal messages (a dispute's
# answer, a worker's own rank) stay in the message centre.
WECOM_KINDS = (NotificationKind.ENTRIES_REJECTED, NotificationKind.SIGN_OFF_DUE, NotificationKind.PUBLIC_NOTICE)
