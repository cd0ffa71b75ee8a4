"""Small builders for test data. Each takes only what a test cares about; the rest is filled in."""

from __future__ import annotations

import itertools
from datetime import date
from decimal import Decimal

from competitions.models import (
    BusinessSystem,
    Competition,
    CompetitionStatus,
    JobType,
    Organizer,
    RuleVersion,
    ScoringRule,
)
from members.models import Unit, UnitLevel, User, Worker
from members.validators import id_number_check_digit

_seq = itertools.count(1)


def next_id() -> int:
    return next(_seq)


def make_id_number(n: int | None = None, born: str = "19850312") -> str:
    """A valid 18-digit ID number (correct check digit), distinct for each n."""
    n = next_id() if n is None else n
    first17 = f"110105{born}{n % 1000:03d}"
    return first17 + id_number_check_digit(first17)


def business_system(**kw) -> BusinessSystem:
    n = next_id()
    kw.setdefault("code", f"BS{n}")
    kw.setdefault("name", f"业务系统{n}")
    return BusinessSystem.objects.create(**kw)


def job_type(business_system_=None, **kw) -> JobType:
    n = next_id()
    kw.setdefault("code", f"JT{n}")
    kw.setdefault("name", f"工种{n}")
    return JobType.objects.create(business_system=business_system_ or business_system(), **kw)


def unit(parent: Unit | None = None, level: int | None = None, **kw) -> Unit:
    n = next_id()
    if level is None:
        level = UnitLevel.BUREAU if parent is None else parent.level + 1
    kw.setdefault("code", f"U{n}")
    kw.setdefault("name", f"单位{n}")
    kw.setdefault("region", parent.region if parent else "BJ")
    return Unit.objects.create(parent=parent, level=level, **kw)


def depot(**kw) -> Unit:
    return unit(parent=unit(), level=UnitLevel.DEPOT, **kw)


def worker(unit_: Unit | None = None, job_type_: JobType | None = None, **kw) -> Worker:
    n = next_id()
    kw.setdefault("employee_no", f"E{n:06d}")
    kw.setdefault("name", f"职工{n}")
    kw.setdefault("gender", "M")
    kw.setdefault("id_number", make_id_number(n))
    kw.setdefault("mobile", f"139{n:08d}")
    return Worker.objects.create(unit=unit_ or depot(), job_type=job_type_ or job_type(), **kw)


def user(username: str | None = None, password: str = "pass-1234-word", **kw) -> User:
    username = username or f"user{next_id()}"
    return User.objects.create_user(username=username, password=password, **kw)


def staff_user(**kw) -> User:
    return user(is_staff=True, **kw)


def clerk(*units: Unit, **kw) -> User:
    account = user(**kw)
    account.clerk_units.set(units)
    return account


def reviewer(*systems: BusinessSystem, **kw) -> User:
    account = user(**kw)
    account.reviewer_systems.set(systems)
    return account


def union_officer(*units: Unit, **kw) -> User:
    """A unit's union officer (基层工会干部): keeps the membership of those units' workers."""
    account = user(**kw)
    account.union_units.set(units)
    return account


def worker_user(worker_: Worker, **kw) -> User:
    account = user(username=worker_.employee_no, **kw)
    worker_.user = account
    worker_.save(update_fields=["user"])
    return account


def competition(start=date(2026, 1, 1), end=date(2026, 12, 31), **kw) -> Competition:
    kw.setdefault("name", f"劳动竞赛{next_id()}")
    kw.setdefault("status", CompetitionStatus.ACTIVE)
    comp = Competition.objects.create(start_date=start, end_date=end, **kw)
    comp.organizers.add(Organizer.objects.get_or_create(name="北京市总工会")[0])
    return comp


def rule(competition_: Competition, job_type_: JobType, points_per_unit="1", daily_cap=None,
         effective_from=None, **kw) -> ScoringRule:
    kw.setdefault("metric", f"指标{next_id()}")
    kw.setdefault("unit_of_measure", "件")
    r = ScoringRule.objects.create(competition=competition_, job_type=job_type_, **kw)
    RuleVersion.objects.create(
        rule=r, effective_from=effective_from or competition_.start_date,
        points_per_unit=Decimal(points_per_unit), daily_cap=None if daily_cap is None else Decimal(daily_cap),
    )
    return r


def review_period(*, competition, business_system, month, **fields):
    """A business system's month as the product keeps it: one row per (competition, system, month), made by
    the first entry written into it; a signed-off one has its totals frozen, as a sign-off writes them."""
    from competitions.standings.frozen import freeze_month
    from reviews.models import PeriodStatus, ReviewPeriod

    period, _ = ReviewPeriod.objects.update_or_create(competition=competition, business_system=business_system,
                                                      month=month, defaults=fields)
    if period.status == PeriodStatus.SIGNED_OFF:
        freeze_month(competition_id=period.competition_id, business_system_id=period.business_system_id,
                     month=period.month)
    return period


def workers(unit_: Unit, job_type_: JobType, count: int) -> list[Worker]:
    """``count`` workers of ``unit_`` in one statement (a depot of thousands without thousands of INSERTs).
    Their ID numbers are born 1960 onwards, a year per thousand, so they meet none of worker()'s (1985)."""
    made = []
    for i in range(count):
        n = next_id()
        made.append(Worker(employee_no=f"M{n:07d}", name=f"职工{n}", gender="M", mobile=f"139{n:08d}",
                           id_number=make_id_number(n, born=f"{1960 + i // 1000}0101"), unit=unit_,
                           job_type=job_type_))
    return Worker.objects.bulk_create(made, batch_size=2000)


def ime_typed(code: str) -> str:
    """``code`` as a clerk types it with a Chinese input method and pastes it from a chat: full-width letters
    and digits (E000012 -> Ｅ０００００１２), a zero-width space before and an ideographic space after, and
    a word joiner inside (Ｅ０\u2060０００００１２), which shows as nothing either."""
    wide = "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in code)
    return "\u200b" + wide[:2] + "\u2060" + wide[2:] + "\u3000"


def review_facts(action: str) -> list[tuple[int, int | None]]:
    """(entry id, actor id) of every stored audit fact of ``action``, in entry id order: the entries' own rows
    (EntryEvent) and the ids of a month's approval job's batches (EntryBatchEvent), as their histories read
    them."""
    from reviews.models import EntryBatchEvent, EntryEvent

    own = EntryEvent.objects.filter(action=action).values_list("entry_id", "actor_id")
    batched = [(entry_id, actor_id)
               for ids, actor_id in EntryBatchEvent.objects.filter(action=action).values_list("entry_ids", "actor_id")
               for entry_id in ids]
    return sorted([*own, *batched])
