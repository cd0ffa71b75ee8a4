"""Union membership: enrollment (入会登记), the member's history and the mutual-aid card.

Every write to a worker's membership goes through here, and each writes its audit row in the same
transaction: an application's decision and the member's ``joined`` step (one statement for any number
of approvals), a transfer, suspension, termination or restoration (MembershipEvent), a card's issue and
each status it enters (MemberCardEvent). ``Worker.membership_status``, ``joined_on`` and
``member_card_no`` are the current state these leave behind.

Lock order, everywhere: the application rows, then the worker rows, then the cards. Two officers
deciding the same form, or a decision racing a resubmission, wait for each other instead of
deadlocking; the second sees the first one's result and is refused with a reason.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date

from django.conf import settings
from django.core.exceptions import EmptyResultSet, ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Exists, Max, OuterRef
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from psycopg import sql

from config.formatting import display_date
from config.spreadsheets import cell_date
from config.stored_text import StoredText
from config.text import stripped
from members.models import (
    OPEN_APPLICATION,
    ApplicationStatus,
    CardStatus,
    Education,
    Gender,
    MemberCard,
    MemberCardEvent,
    MembershipApplication,
    MembershipEvent,
    MembershipEventKind,
    MembershipStatus,
    PoliticalStatus,
    Region,
    Unit,
    Worker,
)
from members.validators import (
    birth_date_of,
    normalize_card_number,
    normalize_id_number,
    validate_card_number,
    validate_id_number,
    validate_mobile,
)
from reviews.validation import EntryRejected, RowError, local_today
from reviews.workflow import TransitionRefused

logger = logging.getLogger(__name__)

# The membership number: the federation's region code and an eight-digit serial from that federation's
# own sequence (BJ00000001, TJ00000001, HE00000001), the region being that of the member's unit when
# approved. Numbers rise in approval order; a rolled-back approval leaves a gap (a sequence never
# hands a number out twice), so a number is unique and never reused, not gapless.
MEMBERSHIP_NO_DIGITS = 8
MEMBERSHIP_NO_SEQUENCE = "members_membership_no_{region}"  # one per Region, created by the migration
REASON_MAX = 200


def membership_no_sequences() -> list[str]:
    return [MEMBERSHIP_NO_SEQUENCE.format(region=region.lower()) for region in Region.values]


class MembershipRefused(TransitionRefused):
    """A membership write that cannot be done; ``message`` is for the person, ``code`` is stable (API)."""


# -- application rows: one check for the form, the API and the file import -------------------------

FIELD_LABELS = {
    "worker": "工号", "name": "姓名", "gender": "性别", "id_number": "身份证号", "birth_date": "出生日期",
    "mobile": "手机号", "education": "文化程度", "political_status": "政治面貌", "job_title": "职务",
    "applied_on": "申请日期", "card_number": "卡号", "issued_on": "发卡日期", "application": "入会申请",
}


@dataclass
class MembershipRowError(RowError):
    """A row's problem, labelled with the membership form's own field names."""

    @property
    def label(self) -> str:
        # The form's field names are Chinese columns and msgids: worded in the active language.
        return _(FIELD_LABELS.get(self.field, self.field))


@dataclass(slots=True)
class ApplicationInput:
    """A form as it arrives: text from a file or a page, or typed values from the API."""

    worker_id: int | None
    name: str = ""
    gender: str = ""
    id_number: str = ""
    birth_date: date | str | None = None
    mobile: str = ""
    education: str = ""
    political_status: str = ""
    job_title: str = ""
    applied_on: date | str | None = None
    row: int = 1


@dataclass
class ApplicationCheck:
    ok: list[dict] = field(default_factory=list)  # model field values, ready to write
    errors: list[MembershipRowError] = field(default_factory=list)


def _choice(choices) -> dict[str, str]:
    """A choice's value, from its value or its Chinese label (a spreadsheet has the label, in Chinese whatever
    the language of the person who imports it)."""
    with translation.override(settings.LANGUAGE_CODE):
        return {**{str(label): value for value, label in choices.choices},
                **{value: value for value in choices.values}}


def _options(choices) -> str:
    """The Chinese labels a spreadsheet's cell may hold, listed in the active language's way."""
    with translation.override(settings.LANGUAGE_CODE):
        labels = [str(label) for label in choices.labels]
    return _("、").join(labels)


class ApplicationChecker:
    """Checks enrollment forms for workers ``actor`` may submit for, in a fixed number of queries.

    ``workers`` is the queryset the actor may act on (Worker.may_apply_for for a form, membership_kept_by
    for a union office's file); a worker outside it reads as unknown, exactly like one that does not exist.
    ``resubmitting`` is the returned application a form corrects (it may be open; no other may be).
    """

    def __init__(self, *, workers, resubmitting: MembershipApplication | None = None):
        self.workers_qs = workers
        self.resubmitting = resubmitting
        self.genders = _choice(Gender)
        self.educations = _choice(Education)
        self.political = _choice(PoliticalStatus)

    def _workers(self, ids) -> dict[int, dict]:
        from config.pgbulk import values_in

        open_form = MembershipApplication.objects.filter(worker_id=OuterRef("pk"), status__in=OPEN_APPLICATION)
        if self.resubmitting is not None:
            open_form = open_form.exclude(pk=self.resubmitting.pk)
        rows = (self.workers_qs.filter(values_in("id", ids, "bigint"))
                .annotate(has_open=Exists(open_form))
                .values("id", "name", "gender", "id_number", "unit_id", "membership_status", "is_active", "has_open"))
        return {row["id"]: row for row in rows}

    def check(self, inputs: list[ApplicationInput], *, now=None) -> ApplicationCheck:
        result = ApplicationCheck()
        workers = self._workers({i.worker_id for i in inputs if i.worker_id})
        today = local_today()
        seen: dict[int, int] = {}  # worker -> first row
        for form in inputs:
            errors: list[MembershipRowError] = []

            def refuse(name, message, code, row=form.row, errors=errors):
                errors.append(MembershipRowError(row, name, message, code))

            worker = workers.get(form.worker_id) if form.worker_id else None
            if worker is None:
                refuse("worker", _("找不到该职工，或该职工不在您负责的单位。"), "worker_unknown")
            elif not worker["is_active"]:
                refuse("worker", _("该职工已不在职。"), "worker_inactive")
            elif worker["has_open"]:
                refuse("worker", _("该职工已有待处理的入会申请。"), "application_open")
            elif worker["membership_status"] not in (MembershipStatus.NONE, MembershipStatus.APPLIED):
                refuse("worker", _("该职工已入会或曾经入会；会籍变动请办理恢复会籍。"), "already_member")
            elif worker["id"] in seen:
                refuse("worker", _("与第%(row)s行是同一职工。") % {"row": seen[worker["id"]]}, "duplicate_worker")
            if worker is not None:
                seen.setdefault(worker["id"], form.row)

            name = (form.name or "").strip()
            if not name:
                refuse("name", _("请填写姓名。"), "name_missing")
            elif worker is not None and name != worker["name"]:
                refuse("name", _("姓名与职工档案不一致。"), "name_mismatch")

            id_number = normalize_id_number(form.id_number)
            birth = None
            try:
                validate_id_number(id_number)
            except ValidationError as error:
                refuse("id_number", error.messages[0], error.code or "id_invalid")
            else:
                birth = birth_date_of(id_number)
                if worker is not None and id_number != worker["id_number"]:
                    refuse("id_number", _("身份证号与职工档案不一致。"), "id_mismatch")

            gender = self.genders.get((form.gender or "").strip())
            if gender is None:
                refuse("gender", _("性别应为“男”或“女”。"), "gender_invalid")
            elif birth is not None and gender != ("M" if int(id_number[16]) % 2 else "F"):
                refuse("gender", _("性别与身份证号不符。"), "gender_mismatch")

            try:
                given_birth = cell_date(form.birth_date)
            except ValueError as error:
                refuse("birth_date", str(error), "date_invalid")
            else:
                if given_birth is not None and birth is not None and given_birth != birth:
                    refuse("birth_date", _("出生日期与身份证号不符。"), "birth_date_mismatch")

            mobile = (form.mobile or "").strip()
            try:
                validate_mobile(mobile)
            except ValidationError as error:
                refuse("mobile", error.messages[0], "mobile_format")

            education = self.educations.get((form.education or "").strip())
            if education is None:
                refuse("education", _("请从下列选项中选择：%(options)s。") % {
                    "options": _options(Education)}, "education_invalid")
            political = self.political.get((form.political_status or "").strip())
            if political is None:
                refuse("political_status", _("请从下列选项中选择：%(options)s。") % {
                    "options": _options(PoliticalStatus)}, "political_status_invalid")
            job_title = (form.job_title or "").strip()
            if len(job_title) > 50:
                refuse("job_title", _("职务最多50个字。"), "job_title_too_long")

            try:
                applied_on = cell_date(form.applied_on) or today
            except ValueError as error:
                refuse("applied_on", str(error), "date_invalid")
            else:
                if applied_on > today:
                    refuse("applied_on", _("申请日期不能晚于今天。"), "date_in_future")
                elif birth is not None and applied_on < birth:
                    refuse("applied_on", _("申请日期早于出生日期。"), "date_invalid")

            if errors:
                result.errors.extend(errors)
                continue
            result.ok.append({
                "row": form.row, "worker_id": worker["id"], "unit_id": worker["unit_id"], "name": name,
                "gender": gender, "id_number": id_number, "birth_date": birth, "mobile": mobile,
                "education": education, "political_status": political, "job_title": job_title,
                "applied_on": applied_on,
            })
        return result


# -- enrollment ---------------------------------------------------------------------------------------

APPLICATION_FIELDS = ("name", "gender", "id_number", "birth_date", "mobile", "education", "political_status",
                      "job_title", "applied_on")


@transaction.atomic
def application_submit(*, actor, form: ApplicationInput) -> MembershipApplication:
    """A worker's own form, or a clerk's on a worker's behalf (staff may too). A worker with a returned
    form submits it again corrected: the same row goes back to 待审批 (its history is the events and
    the decision fields), so a worker never has two open forms."""
    returned = (MembershipApplication.objects.select_for_update()
                .filter(worker_id=form.worker_id, status=ApplicationStatus.RETURNED,
                        worker__in=Worker.objects.may_apply_for(actor)).first())
    checked = ApplicationChecker(workers=Worker.objects.may_apply_for(actor), resubmitting=returned).check([form])
    if checked.errors:
        raise EntryRejected(checked.errors)
    values = checked.ok[0]
    values.pop("row")
    worker_id = values.pop("worker_id")
    # The worker row is locked after the application (the module's lock order); its state is re-read
    # under the lock so a concurrent approval cannot be overwritten with "applied".
    worker = Worker.objects.select_for_update().get(pk=worker_id)
    if worker.membership_status not in (MembershipStatus.NONE, MembershipStatus.APPLIED):
        raise MembershipRefused(_("该职工已入会或曾经入会。"), "already_member")
    now = timezone.now()
    if returned is not None:
        for name, value in values.items():
            setattr(returned, name, value)
        returned.status, returned.submitted_by, returned.reason = ApplicationStatus.SUBMITTED, actor, ""
        returned.save()
        application = returned
    else:
        try:
            with transaction.atomic():
                application = MembershipApplication.objects.create(worker_id=worker_id, submitted_by=actor,
                                                                   created_at=now, **values)
        except IntegrityError:  # a second form for the same worker committed meanwhile
            raise MembershipRefused(_("该职工已有待处理的入会申请。"), "application_open") from None
    Worker.objects.filter(pk=worker_id).update(membership_status=MembershipStatus.APPLIED, updated_at=now)
    logger.info("membership: application %s submitted for worker %s by user %s", application.pk, worker_id,
                actor.pk)
    return application


def _reason(reason: str) -> str:
    reason = stripped(reason)
    if not reason:
        raise MembershipRefused(_("请填写原因。"), "reason_required")
    if len(reason) > REASON_MAX:
        raise MembershipRefused(_("原因最多200个字。"), "reason_too_long")
    return reason


@transaction.atomic
def application_return(*, actor, application_id: int, reason: str) -> MembershipApplication:
    """Back to the applicant to correct (退回), with the reason they will read."""
    return _decide(actor=actor, application_id=application_id, status=ApplicationStatus.RETURNED,
                   reason=_reason(reason))


@transaction.atomic
def application_reject(*, actor, application_id: int, reason: str) -> MembershipApplication:
    """Not approved (不予批准): final; the worker's status goes back to 未入会 and they may apply again later."""
    application = _decide(actor=actor, application_id=application_id, status=ApplicationStatus.REJECTED,
                          reason=_reason(reason))
    Worker.objects.filter(pk=application.worker_id, membership_status=MembershipStatus.APPLIED).update(
        membership_status=MembershipStatus.NONE, updated_at=timezone.now())
    return application


def _decide(*, actor, application_id: int, status: str, reason: str) -> MembershipApplication:
    application = (MembershipApplication.objects.decidable_by(actor).select_for_update(of=("self",))
                   .filter(pk=application_id).first())
    if application is None:
        raise MembershipApplication.DoesNotExist
    if application.status != ApplicationStatus.SUBMITTED:
        raise MembershipRefused(_("该申请当前为“%(status)s”，不能再审批。") % {
            "status": application.get_status_display()}, "application_not_submitted")
    application.status, application.reason = status, reason
    application.decided_by, application.decided_at = actor, timezone.now()
    application.save(update_fields=["status", "reason", "decided_by", "decided_at", "updated_at"])
    logger.info("membership: application %s %s by user %s", application.pk, status, actor.pk)
    return application


# One statement approves any number of forms: the rows are picked (and locked) in id order, numbered
# from their federation's sequence in that order, updated, and each approval's ``joined`` event and
# the worker's new state are written by the same statement, so there is no approval without its audit
# row. The picked ids come from decidable_by (the caller's rights) as a subquery; its parameters come
# first, then those of the statement, all positional.
_APPROVE = sql.SQL("""
WITH picked AS (
    SELECT a.id, u.region
      FROM members_membershipapplication a JOIN members_unit u ON u.id = a.unit_id
     WHERE a.id IN ({allowed}) AND a.status = {submitted}
     ORDER BY a.id
       FOR UPDATE OF a
), numbered AS (
    SELECT id, region || lpad(nextval(({sequence_prefix} || lower(region))::regclass)::text, {digits}, '0') AS no
      FROM picked
), approved AS (
    UPDATE members_membershipapplication a
       SET status = {approved}, membership_no = n.no, joined_on = %s::date, reason = '',
           decided_by_id = %s, decided_at = %s, updated_at = %s
      FROM numbered n
     WHERE a.id = n.id
 RETURNING a.id, a.worker_id, a.joined_on, a.decided_by_id, a.decided_at
), audited AS (
    INSERT INTO members_membershipevent (worker_id, kind, "on", reason, application_id, actor_id, created_at)
    SELECT worker_id, {joined}, joined_on, '', id, decided_by_id, decided_at FROM approved
), members AS (
    UPDATE members_worker w
       SET membership_status = {member}, joined_on = a.joined_on, updated_at = a.decided_at
      FROM approved a
     WHERE w.id = a.worker_id
)
SELECT count(*) FROM approved
""")


def applications_approve(*, actor, application_ids, joined_on: date | None = None) -> int:
    """Approves the listed forms the actor may decide that are still 待审批 (others are skipped:
    already decided, or not theirs); returns how many. ``joined_on`` is the date of joining for all of
    them; by default the day of approval."""
    from config.pgbulk import values_in

    today = local_today()
    if joined_on is not None and joined_on > today:
        raise MembershipRefused(StoredText(gettext_noop("入会日期不能晚于今天。")), "date_in_future")
    ids = sorted({int(pk) for pk in application_ids})
    if not ids:
        return 0
    allowed = MembershipApplication.objects.decidable_by(actor).filter(values_in("id", ids, "bigint")).values("id")
    if joined_on is not None:
        # One cannot join before applying: a date of joining earlier than a form's date of application
        # refuses the whole batch (as a date in the future does), rather than approving some of it.
        latest = (MembershipApplication.objects.filter(pk__in=allowed, status=ApplicationStatus.SUBMITTED,
                                                       applied_on__gt=joined_on)
                  .aggregate(latest=Max("applied_on"))["latest"])
        if latest is not None:
            raise MembershipRefused(StoredText(gettext_noop("入会日期不能早于申请日期（%(day)s）。"),
                                               {"day": latest.isoformat()}), "date_before_application")
    try:
        allowed_sql, allowed_params = allowed.query.sql_with_params()
    except EmptyResultSet:  # someone who may decide nothing
        return 0
    statement = _APPROVE.format(
        allowed=sql.SQL(allowed_sql),  # Django's own SQL text, its values are parameters
        submitted=sql.Literal(ApplicationStatus.SUBMITTED.value),
        approved=sql.Literal(ApplicationStatus.APPROVED.value),
        sequence_prefix=sql.Literal(MEMBERSHIP_NO_SEQUENCE.removesuffix("{region}")),
        digits=sql.Literal(MEMBERSHIP_NO_DIGITS), joined=sql.Literal(MembershipEventKind.JOINED.value),
        member=sql.Literal(MembershipStatus.MEMBER.value),
    )
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement.as_string(connection.connection),
                       [*allowed_params, joined_on or today, actor.pk, timezone.now(), timezone.now()])
        count = cursor.fetchone()[0]
    logger.info("membership: %s applications approved by user %s", count, actor.pk)
    return count


@transaction.atomic
def application_approve(*, actor, application_id: int, joined_on: date | None = None) -> MembershipApplication:
    """One form: the same statement as many, refused with a reason when it cannot be approved."""
    application = MembershipApplication.objects.decidable_by(actor).filter(pk=application_id).first()
    if application is None:
        raise MembershipApplication.DoesNotExist
    if not applications_approve(actor=actor, application_ids=[application_id], joined_on=joined_on):
        application.refresh_from_db()
        raise MembershipRefused(_("该申请当前为“%(status)s”，不能再审批。") % {
            "status": application.get_status_display()}, "application_not_submitted")
    application.refresh_from_db()
    return application


# -- the member's history ----------------------------------------------------------------------------

# kind -> (the statuses it may follow, the status it leaves). Joining is the approval's step above.
EVENT_MOVES: dict[str, tuple[tuple[str, ...], str | None]] = {
    MembershipEventKind.TRANSFERRED: ((MembershipStatus.MEMBER, MembershipStatus.SUSPENDED), None),
    MembershipEventKind.SUSPENDED: ((MembershipStatus.MEMBER,), MembershipStatus.SUSPENDED),
    MembershipEventKind.TERMINATED: ((MembershipStatus.MEMBER, MembershipStatus.SUSPENDED), MembershipStatus.LEFT),
    MembershipEventKind.RESTORED: ((MembershipStatus.SUSPENDED, MembershipStatus.LEFT), MembershipStatus.MEMBER),
}


@transaction.atomic
def membership_record(*, actor, worker_id: int, kind: str, on: date, reason: str,
                      to_unit_id: int | None = None) -> MembershipEvent:
    """A step in a member's history: transfer (转会: the worker moves to ``to_unit_id``, their membership
    with them), suspension, termination or restoration, with its date and reason; the worker's status
    follows. Who: staff, or the union officer of the worker's (current) unit."""
    if kind not in EVENT_MOVES:
        raise MembershipRefused(_("不支持的会籍变动。"), "event_kind_invalid")
    reason = _reason(reason)
    if on is None:
        raise MembershipRefused(_("请填写日期。"), "date_missing")
    if on > local_today():
        raise MembershipRefused(_("日期不能晚于今天。"), "date_in_future")
    worker = Worker.objects.membership_kept_by(actor).select_for_update(of=("self",)).filter(pk=worker_id).first()
    if worker is None:
        raise Worker.DoesNotExist
    from members.scope import scope_of

    if worker.pk == scope_of(actor).worker_id:
        # An officer (or staff) who is a worker does not suspend, restore or transfer their own membership, as
        # they do not decide their own enrollment (MembershipApplication.decidable_by).
        raise MembershipRefused(_("不能为本人办理会籍变动，请由其他工会干部办理。"), "own_membership")
    allowed_from, to_status = EVENT_MOVES[kind]
    if worker.membership_status not in allowed_from:
        raise MembershipRefused(_("会籍状态为“%(status)s”时不能%(kind)s。") % {
            "status": worker.get_membership_status_display(), "kind": MembershipEventKind(kind).label},
            "membership_state")
    if worker.joined_on and on < worker.joined_on:
        raise MembershipRefused(_("日期不能早于入会日期。"), "date_before_joining")
    # A history reads in date order: a step is not dated before the member's last one (the worker's row is
    # locked above, so no step is recorded meanwhile).
    last = MembershipEvent.objects.filter(worker=worker).aggregate(last=Max("on"))["last"]
    if last is not None and on < last:
        raise MembershipRefused(_("日期不能早于上一次会籍变动（%(day)s）。") % {"day": display_date(last)},
                                "date_before_previous")
    event = MembershipEvent(worker=worker, kind=kind, on=on, reason=reason, actor=actor)
    if kind == MembershipEventKind.TRANSFERRED:
        to_unit = Unit.objects.filter(pk=to_unit_id, is_active=True).first() if to_unit_id else None
        if to_unit is None:
            raise MembershipRefused(_("请选择转入单位。"), "to_unit_missing")
        if to_unit.pk == worker.unit_id:
            raise MembershipRefused(_("转入单位与当前单位相同。"), "to_unit_same")
        event.from_unit_id, event.to_unit = worker.unit_id, to_unit
        worker.unit = to_unit
    if to_status is not None:
        worker.membership_status = to_status
    worker.save(update_fields=["unit", "membership_status", "updated_at"])
    event.save()
    logger.info("membership: worker %s %s by user %s", worker.pk, kind, actor.pk)
    return event


# -- the mutual-aid card -----------------------------------------------------------------------------

# status -> the statuses it may move to by card_set_status; REPLACED only by card_replace (a new card).
CARD_MOVES: dict[str, tuple[str, ...]] = {
    CardStatus.ISSUED: (CardStatus.ACTIVE, CardStatus.LOST),
    CardStatus.ACTIVE: (CardStatus.LOST,),
    CardStatus.LOST: (),
    CardStatus.REPLACED: (),
}


def card_number_checked(number: str) -> str:
    number = normalize_card_number(number)
    try:
        validate_card_number(number)
    except ValidationError as error:
        raise MembershipRefused(error.messages[0], "card_number_invalid") from None
    return number


def _card_staff(actor) -> None:
    # The number comes from the issuer through the federation's office: staff enter it.
    if not actor.is_staff:
        raise MembershipRefused(_("只有工会管理员可以办理互助服务卡。"), "card_staff_only")


def card_date_refusal(issued_on: date, joined_on: date | None, today: date) -> tuple[str, str] | None:
    """Why a card cannot be issued on ``issued_on`` (message, code), or None. The day a card is issued is as
    other membership dates are (membership_record): not in the future, and not before the member joined.
    The page, the API, a replacement and the card import all ask this."""
    if issued_on > today:
        return _("发卡日期不能晚于今天。"), "date_in_future"
    if joined_on and issued_on < joined_on:
        return _("发卡日期不能早于入会日期。"), "date_before_joining"
    return None


def _new_card(*, actor, worker: Worker, number: str, issued_on: date, replaces: MemberCard | None = None,
              reason: str = "") -> MemberCard:
    if worker.membership_status != MembershipStatus.MEMBER:
        raise MembershipRefused(_("只能为会员办理互助服务卡。"), "not_a_member")
    refusal = card_date_refusal(issued_on, worker.joined_on, local_today())
    if refusal is not None:
        raise MembershipRefused(*refusal)
    # Another worker's card number on record (an import of workers may have set one without a card) is
    # taken too: the worker's member_card_no is unique.
    if (MemberCard.objects.filter(number=number).exists()
            or Worker.objects.filter(member_card_no=number).exclude(pk=worker.pk).exists()):
        raise MembershipRefused(_("互助服务卡号已被使用。"), "card_number_taken")
    try:
        with transaction.atomic():
            card = MemberCard.objects.create(worker=worker, number=number, issued_on=issued_on, replaces=replaces,
                                             created_by=actor)
        MemberCardEvent.objects.create(card=card, status=CardStatus.ISSUED, on=issued_on, reason=reason,
                                       actor=actor)
        Worker.objects.filter(pk=worker.pk).update(member_card_no=number, updated_at=timezone.now())
    except IntegrityError:  # the same number, or a second live card, committed meanwhile
        raise MembershipRefused(_("卡号已被使用，或该会员已有在用的互助服务卡。"), "card_conflict") from None
    logger.info("membership: card %s issued to worker %s by user %s", card.pk, worker.pk, actor.pk)
    return card


@transaction.atomic
def card_issue(*, actor, worker_id: int, number: str, issued_on: date | None = None) -> MemberCard:
    """A member's first card (or the next after one was lost and not replaced)."""
    _card_staff(actor)
    number = card_number_checked(number)
    worker = Worker.objects.select_for_update().filter(pk=worker_id).first()
    if worker is None:
        raise Worker.DoesNotExist
    if MemberCard.objects.filter(worker=worker, status__in=[CardStatus.ISSUED, CardStatus.ACTIVE]).exists():
        raise MembershipRefused(_("该会员已有在用的互助服务卡；遗失请先挂失再补卡。"), "card_live")
    return _new_card(actor=actor, worker=worker, number=number, issued_on=issued_on or local_today())


def _lock_card(card_id: int) -> tuple[MemberCard, Worker]:
    card = MemberCard.objects.filter(pk=card_id).first()
    if card is None:
        raise MemberCard.DoesNotExist
    worker = Worker.objects.select_for_update().get(pk=card.worker_id)  # the lock order: worker, then card
    card = MemberCard.objects.select_for_update().get(pk=card_id)
    return card, worker


def _card_day(card: MemberCard, on: date | None) -> date:
    """The day of a card's activation, loss report or replacement: today unless given; not in the future and
    not before the card was issued."""
    on = on or local_today()
    if on > local_today():
        raise MembershipRefused(_("日期不能晚于今天。"), "date_in_future")
    if on < card.issued_on:
        raise MembershipRefused(_("日期不能早于发卡日期。"), "date_before_issue")
    last = MemberCardEvent.objects.filter(card=card).aggregate(last=Max("on"))["last"]  # the card row is locked
    if last is not None and on < last:
        raise MembershipRefused(_("日期不能早于该卡上一次状态变动（%(day)s）。") % {"day": display_date(last)},
                                "date_before_previous")
    return on


@transaction.atomic
def card_set_status(*, actor, card_id: int, status: str, on: date | None = None, reason: str = "") -> MemberCard:
    """Activation (已激活) or a loss report (挂失); a lost card is no longer the member's card number."""
    _card_staff(actor)
    card, worker = _lock_card(card_id)
    if status not in CARD_MOVES.get(card.status, ()):
        raise MembershipRefused(_("卡片状态为“%(status)s”时不能改为“%(to)s”。") % {
            "status": card.get_status_display(), "to": CardStatus(status).label if status in CardStatus.values
            else status}, "card_state")
    on = _card_day(card, on)
    reason = (reason or "").strip()[:REASON_MAX]
    card.status = status
    card.save(update_fields=["status"])
    MemberCardEvent.objects.create(card=card, status=status, on=on, reason=reason, actor=actor)
    if status == CardStatus.LOST and worker.member_card_no == card.number:
        Worker.objects.filter(pk=worker.pk).update(member_card_no=None, updated_at=timezone.now())
    return card


@transaction.atomic
def card_replace(*, actor, card_id: int, number: str, on: date | None = None, reason: str = "") -> MemberCard:
    """A lost card is replaced by a new card with the issuer's new number (补卡); returns the new card."""
    _card_staff(actor)
    number = card_number_checked(number)
    card, worker = _lock_card(card_id)
    if card.status != CardStatus.LOST:
        raise MembershipRefused(_("只有已挂失的卡可以补换。"), "card_state")
    on = _card_day(card, on)
    card.status = CardStatus.REPLACED
    card.save(update_fields=["status"])
    MemberCardEvent.objects.create(card=card, status=CardStatus.REPLACED, on=on, reason=(reason or "").strip()[:200],
                                   actor=actor)
    return _new_card(actor=actor, worker=worker, number=number, issued_on=on, replaces=card, reason=reason)


# -- what a person may see of a card ----------------------------------------------------------------

def card_number_for(user, card_or_number, worker_id: int) -> str:
    """The card number as ``user`` may see it: in full for the member themself and for staff, masked
    for everyone else (a union officer, a clerk)."""
    from members.scope import scope_of
    from members.validators import mask_card_number

    number = getattr(card_or_number, "number", card_or_number) or ""
    scope = scope_of(user)
    if scope.is_staff or (scope.worker_id is not None and scope.worker_id == worker_id):
        return number
    return mask_card_number(number)
