"""The public side of the honours (公示): what the portal's 公示 pages and the API read, and the one write
they make, an objection. Both read here, so a page and the mobile client show the same rows.

Who may see a round, a nominee or an objection is the ``visible_to`` querysets' (competitions.honours.
querysets); whether an objection may be raised is ``services.raise_objection``'s. This module picks the
public lists out of what a person may see (a list in 公示 and a final list: a draft or a shortlist is the
committee's, staff included, until it is published) and names the columns they print: the name, employee
number, units and job type the list recorded, as 公示 requires; never an ID number or a phone number.
"""

from __future__ import annotations

import math
from datetime import datetime

from django.db.models import F, Q
from django.utils import timezone

from competitions.honours import services
from competitions.honours.models import (
    REASON_MAX,
    AwardRound,
    Nominee,
    NomineeStatus,
    Objection,
    ObjectionStatus,
    RoundStatus,
)

REASON_MAX_LENGTH = REASON_MAX

MY_OBJECTIONS_SALT = "honours.my-objections"
MY_HONOURS_SALT = "honours.my-honours"


def nominee_cursor_salt(round_id: int) -> str:
    # Per round: a cursor of one list is refused by another.
    return f"honours.nominees.{round_id}"


def public_rounds(user):
    return AwardRound.objects.visible_to(user).public()


def days_left(award_round: AwardRound, now: datetime | None = None) -> int | None:
    """Whole days until the 公示 ends, a started day counting as one (2.1 days left reads 3); 0 once it
    has ended; None for a list that is not in 公示."""
    if award_round.status != RoundStatus.PUBLICIZED or award_round.publicity_end is None:
        return None
    seconds = (award_round.publicity_end - (now or timezone.now())).total_seconds()
    return max(0, math.ceil(seconds / 86400))


def objections_open(award_round: AwardRound, now: datetime | None = None) -> bool:
    """Whether a page offers the objection form (the service decides again when one is sent)."""
    now = now or timezone.now()
    return (award_round.status == RoundStatus.PUBLICIZED and award_round.publicity_start is not None
            and award_round.publicity_start <= now < award_round.publicity_end)


def _annotated(rounds: list[AwardRound]) -> list[AwardRound]:
    now = timezone.now()
    for award_round in rounds:
        award_round.days_left = days_left(award_round, now)
        award_round.objections_open = objections_open(award_round, now)
    return rounds


def rounds_for(user, *, competition_id: int) -> list[AwardRound]:
    """The public lists of one competition: those in 公示 first (ending soonest first), then the final
    ones, the latest first."""
    rounds = list(public_rounds(user).filter(competition_id=competition_id)
                  .order_by(F("finalized_at").desc(nulls_first=True), "publicity_end", "-id"))
    return _annotated(rounds)


def round_for(user, round_id: int) -> AwardRound | None:
    award_round = public_rounds(user).select_related("competition").filter(pk=round_id).first()
    return _annotated([award_round])[0] if award_round is not None else None


# The columns of a nominee row: the copies the list recorded (as it was decided), named, so nothing else of
# a worker (ID number, phone) is ever loaded.
NOMINEE_COLUMNS = {
    "group": F("group_name"), "depot_name": F("depot__name"), "team_name": F("team__name"),
    "job_type_name": F("job_type__name"), "business_system_name": F("business_system__name"),
}
NOMINEE_FIELDS = ("id", "position", "rank", "status", "over_quota", "worker_id", "unit_id", "name", "employee_no",
                  "points", "approved_points", "participants", "average_points")


def nominee_rows(user, award_round: AwardRound, *, after: tuple[int, int] | None = None,
                 limit: int = 100) -> list[dict]:
    """One page of a public list in list order (position, then id), starting after ``after``: the names on
    the list (a final list's final names; during 公示, everyone not taken off it)."""
    qs = Nominee.objects.visible_to(user).filter(round_id=award_round.pk).listed()
    if after is not None:
        position, nominee_id = after
        qs = qs.filter(Q(position__gt=position) | Q(position=position, id__gt=nominee_id))
    return list(qs.values(*NOMINEE_FIELDS, **NOMINEE_COLUMNS)[:limit])


def open_objection_nominee_ids(user, award_round: AwardRound) -> set[int]:
    """The nominees of this list the person already has an open objection against (the page says so
    instead of offering a second one)."""
    return set(Objection.objects.visible_to(user).filter(
        round_id=award_round.pk, raised_by_id=user.pk, status=ObjectionStatus.OPEN,
    ).values_list("nominee_id", flat=True))


def objection_raise(user, award_round: AwardRound, *, nominee_id: int | None, reason: str) -> Objection:
    """Raises an objection against a nominee of this public list.

    Nominee.DoesNotExist: the nominee is not on this list as the person sees it (another round's, one taken
    off the list, a garbage id: all alike). RoundRefused (a TransitionRefused, with a stable code): the
    service's refusals (no reason or one too long, the 公示 not running, an open objection already)."""
    target = None
    if nominee_id is not None and 0 < nominee_id < 2**63:
        target = Nominee.objects.visible_to(user).filter(round_id=award_round.pk, pk=nominee_id).listed().first()
    if target is None:
        raise Nominee.DoesNotExist
    return services.raise_objection(user=user, nominee=target, reason=reason)


def my_objections(user):
    """The person's own objections, newest first, each with the staff's answer once given (a values
    queryset: the portal pages it by id, the API with its keyset paging)."""
    return (Objection.objects.visible_to(user).filter(raised_by_id=user.pk).order_by("-id").values(
        "id", "round_id", "nominee_id", "reason", "status", "answer", "answered_at", "raised_at",
        round_name=F("round__name"), competition_id=F("round__competition_id"),
        nominee_name=F("nominee__name"), nominee_employee_no=F("nominee__employee_no"),
    ))


def my_honours(user, *, worker_id: int):
    """The worker's own places on public lists (every competition they took part in), newest first: on a
    list in 公示, or honoured on a final one."""
    return (Nominee.objects.visible_to(user).filter(worker_id=worker_id, round__in=public_rounds(user))
            .listed().order_by("-id").values(
                "id", "round_id", "rank", "status", "points", "approved_points",
                round_name=F("round__name"), round_status=F("round__status"), kind=F("round__kind"),
                basis_start=F("round__basis_start"), basis_end=F("round__basis_end"),
                competition_id=F("round__competition_id"), competition_name=F("round__competition__name"),
                finalized_at=F("round__finalized_at"),
            ))


STATUS_LABELS = {"objection": dict(ObjectionStatus.choices), "nominee": dict(NomineeStatus.choices)}
ROUND_STATUS_LABELS = dict(RoundStatus.choices)


def page_by_id(qs, *, after_id: int | None, limit: int, labels: str) -> list[dict]:
    """One page of a newest-first values queryset after the row ``after_id``, each row with its status's
    label (``labels``: "objection" or "nominee")."""
    if after_id is not None:
        qs = qs.filter(id__lt=after_id)
    rows = list(qs[:limit])
    for row in rows:
        row["status_label"] = STATUS_LABELS[labels].get(row["status"], row["status"])
        if "round_status" in row:
            row["round_status_label"] = ROUND_STATUS_LABELS.get(row["round_status"], row["round_status"])
    return rows
