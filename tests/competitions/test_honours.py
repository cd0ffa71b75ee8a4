"""Award rounds, computed by hand on small data: quotas, the tie at the line, each eligibility rule excluding
someone who ranked higher (and saying why), the committee, 公示 and objections, the final list frozen, who sees
what, collective rounds, and a shortlist whose number of queries does not follow the number of workers."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, Min, Q, Sum
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from competitions.honours import services
from competitions.honours.models import (
    AwardRound,
    Exclusion,
    Nominee,
    NomineeStatus,
    Objection,
    ObjectionStatus,
    QuotaBy,
    QuotaMode,
    RoundAction,
    RoundEvent,
    RoundKind,
    RoundStatus,
    TieRule,
)
from competitions.honours.shortlist import generate_shortlist, proportional_quotas
from competitions.models import Competition, Direction, PeriodSnapshot, PeriodStanding, SnapshotStatus
from competitions.standings.periods import partition_name
from members.models import UnitLevel
from reviews.models import Dispute, WorkEntry
from tests.competitions.standings_data import entry

pytestmark = pytest.mark.django_db

START, END = date(2026, 1, 1), date(2026, 3, 31)


class World:
    """One competition with two business systems (one job type each, an adding and a deducting rule each),
    a depot with two teams, and union staff; workers are added by the tests."""

    def __init__(self, f):
        self.f = f
        self.competition = f.competition()
        self.systems = [f.business_system(), f.business_system()]
        self.job_types = [f.job_type(self.systems[0]), f.job_type(self.systems[1])]
        self.add = [f.rule(self.competition, jt) for jt in self.job_types]
        self.deduct = [f.rule(self.competition, jt, direction=Direction.DEDUCT) for jt in self.job_types]
        self.depot = f.depot(name="北京车务段")
        self.teams = [f.unit(self.depot, level=UnitLevel.TEAM, name=f"班组{i}") for i in (1, 2)]
        self.staff = f.staff_user()

    def worker(self, points: int, *, system: int = 0, days: int = 1, deductions: int = 0, unit=None, **kw):
        """A worker with ``points`` approved points over ``days`` distinct days in the basis period, and
        ``deductions`` approved deduction entries of 1 point each (included in ``points``)."""
        w = self.f.worker(unit or self.teams[0], self.job_types[system], **kw)
        plus = Decimal(points + deductions)
        for d in range(days):
            entry(self.competition, w, self.add[system], START + timedelta(days=d), plus / days, status="approved")
        for d in range(deductions):
            entry(self.competition, w, self.deduct[system], START + timedelta(days=d), 1, points=-1,
                  status="approved")
        return w

    def round(self, **fields):
        fields.setdefault("name", "2026年一季度先进个人")
        fields.setdefault("basis_start", START)
        fields.setdefault("basis_end", END)
        fields.setdefault("quota_total", 1)
        fields.setdefault("signed_off_only", False)
        return services.round_create(actor=self.staff, competition=self.competition, **fields)

    def snapshot(self, competition=None) -> PeriodSnapshot:
        """The period snapshot of the basis period, summed here from the entries (approved and pending apart)."""
        competition = competition or self.competition
        snapshot = PeriodSnapshot.objects.create(competition=competition, start=START, end=END,
                                                 signed_off_only=False, status=SnapshotStatus.READY,
                                                 computed_at=timezone.now(), digest="ab" * 32)
        totals = (WorkEntry.objects.filter(competition=competition, work_date__range=(START, END))
                  .exclude(status="rejected").order_by().values("worker_id")
                  .annotate(total=Sum("points"), counted=Count("id"),
                            approved=Sum("points", filter=Q(status__in=["approved", "locked"]))))
        from members.models import Worker

        workers = Worker.objects.select_related("unit", "job_type").in_bulk([t["worker_id"] for t in totals])
        # Each snapshot's rows live in a partition of their own (the engine creates it as it writes them).
        with connection.cursor() as cursor:
            cursor.execute(f'CREATE TABLE "{partition_name(snapshot)}" PARTITION OF "{PeriodStanding._meta.db_table}" '
                           f"FOR VALUES IN ({int(snapshot.pk)})")
        PeriodStanding.objects.bulk_create(
            PeriodStanding(snapshot=snapshot, worker_id=t["worker_id"], employee_no=workers[t["worker_id"]].employee_no,
                           business_system_id=workers[t["worker_id"]].job_type.business_system_id,
                           job_type_id=workers[t["worker_id"]].job_type_id,
                           depot_id=workers[t["worker_id"]].unit.depot_id, team_id=workers[t["worker_id"]].unit_id,
                           points=t["total"], approved_points=t["approved"] or 0,
                           pending_points=t["total"] - (t["approved"] or 0), entries=t["counted"],
                           rank_overall=1, rank_business_system=1, rank_job_type=1, rank_unit=1)
            for t in totals)
        return snapshot

    def shortlist(self, round_) -> AwardRound:
        return generate_shortlist(round_=round_, actor=self.staff, snapshot=self.snapshot(round_.competition))


@pytest.fixture
def world(f):
    return World(f)


def text(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def listed(round_) -> list[str]:
    return list(round_.nominees.listed().values_list("employee_no", flat=True))


def exclusions(round_) -> list[tuple[str, str, str]]:
    return list(Exclusion.objects.filter(round=round_).order_by("rank", "rule")
                .values_list("employee_no", "rule", "detail"))


# --- Quotas ---------------------------------------------------------------------------------------------

def test_fixed_quotas_per_business_system_take_the_top_approved_points_of_each(world):
    a, b, c = world.worker(100), world.worker(90), world.worker(80)
    g, h = world.worker(60, system=1), world.worker(50, system=1)
    round_ = world.round(quota_total=3, quota_by=QuotaBy.BUSINESS_SYSTEM, quota_mode=QuotaMode.FIXED,
                         quotas={world.systems[0].pk: 2, world.systems[1].pk: 1})

    round_ = world.shortlist(round_)

    assert round_.status == RoundStatus.SHORTLISTED
    assert listed(round_) == [a.employee_no, b.employee_no, g.employee_no]
    rows = {n.employee_no: n for n in round_.nominees.all()}
    assert (rows[a.employee_no].group_name, rows[a.employee_no].rank, rows[a.employee_no].approved_points) == (
        world.systems[0].name, 1, Decimal("100.000"))
    assert (rows[g.employee_no].group_id, rows[g.employee_no].rank) == (world.systems[1].pk, 1)
    assert c.employee_no not in rows and h.employee_no not in rows
    assert round_.snapshot_digest == "ab" * 32
    assert round_.events.filter(action=RoundAction.SHORTLISTED).count() == 1


def test_fixed_quotas_must_add_up_to_the_total(world):
    with pytest.raises(ValidationError) as refused:
        world.round(quota_total=3, quota_by=QuotaBy.BUSINESS_SYSTEM, quota_mode=QuotaMode.FIXED,
                    quotas={world.systems[0].pk: 1, world.systems[1].pk: 1})
    assert "各组名额之和（2）须等于总名额（3）" in str(refused.value)
    assert not AwardRound.objects.exists()


def test_largest_remainder_gives_the_seats_left_to_the_largest_remainders():
    # 5 seats for 7 + 2 + 1 participants: 3.5, 1.0 and 0.5; the one seat left goes to the larger group of
    # the two equal remainders.
    assert proportional_quotas(5, {1: 7, 2: 2, 3: 1}) == {1: 4, 2: 1, 3: 0}
    assert proportional_quotas(3, {1: 1, 2: 1, 3: 1}) == {1: 1, 2: 1, 3: 1}
    assert proportional_quotas(2, {1: 1, 2: 1, 3: 1}) == {1: 1, 2: 1, 3: 0}
    assert sum(proportional_quotas(70, {i: i * 37 for i in range(1, 10)}).values()) == 70


def test_proportional_quotas_follow_the_participants_of_each_business_system(world):
    # Three participants in one business system and one in the other: 2 seats are 1.5 and 0.5; the seat left
    # goes to the one with more participants.
    a, b, _c = world.worker(100), world.worker(90), world.worker(80)
    g = world.worker(95, system=1)
    round_ = world.round(quota_total=2, quota_by=QuotaBy.BUSINESS_SYSTEM, quota_mode=QuotaMode.PROPORTIONAL)

    round_ = world.shortlist(round_)

    assert listed(round_) == [a.employee_no, b.employee_no]
    assert g.employee_no not in set(round_.nominees.values_list("employee_no", flat=True))


# --- The tie at the line ----------------------------------------------------------------------------------

def test_include_all_lets_everyone_tied_at_the_line_in_beyond_the_quota(world):
    a, b, c, d = world.worker(100), world.worker(90, days=3), world.worker(90, days=5), world.worker(80)
    round_ = world.shortlist(world.round(quota_total=2, tie_rule=TieRule.INCLUDE_ALL))

    assert set(listed(round_)) == {a.employee_no, b.employee_no, c.employee_no}
    over = dict(round_.nominees.values_list("employee_no", "over_quota"))
    assert over == {a.employee_no: False, b.employee_no: True, c.employee_no: True}
    assert {n.rank for n in round_.nominees.all()} == {1, 2}  # ties share a rank
    assert d.employee_no not in over


def test_the_stated_rule_prefers_more_active_days_then_fewer_deductions_then_the_lower_employee_number(world):
    a = world.worker(100)
    b = world.worker(90, days=3, employee_no="T000001")
    c = world.worker(90, days=5, employee_no="T000009")
    round_ = world.shortlist(world.round(quota_total=2, tie_rule=TieRule.STATED))
    assert listed(round_) == [a.employee_no, c.employee_no]  # more active days, though a higher employee number
    assert b.employee_no not in listed(round_)
    assert round_.tie_rule_text.startswith("名额线上积分")

    # Same days: fewer deductions; same deductions too: the lower employee number.
    other = World(world.f)
    x = other.worker(90, days=2, deductions=1, employee_no="T100001")
    y = other.worker(90, days=2, employee_no="T100009")
    z = other.worker(90, days=2, employee_no="T100005")
    round_ = other.shortlist(other.round(quota_total=2, tie_rule=TieRule.STATED))
    assert listed(round_) == [z.employee_no, y.employee_no]
    assert x.employee_no not in listed(round_)


# --- Eligibility ------------------------------------------------------------------------------------------

def test_too_many_deductions_exclude_the_first_and_the_exclusion_says_how_many(world):
    first = world.worker(100, days=2, deductions=2)
    second = world.worker(90, days=2)
    below = world.worker(80, days=2, deductions=1)  # also excluded, but ranked below the line: not recorded
    round_ = world.shortlist(world.round(quota_total=1, max_deductions=0))

    assert listed(round_) == [second.employee_no]
    assert exclusions(round_) == [(first.employee_no, "max_deductions", "扣分 2 次 > 允许 0 次")]
    assert below.employee_no not in {e[0] for e in exclusions(round_)}


def test_an_open_dispute_in_the_competition_excludes_the_first(world):
    first, second = world.worker(100), world.worker(90)
    disputed = WorkEntry.objects.filter(worker=first).first()
    Dispute.objects.create(worker=first, entry=disputed, work_date=disputed.work_date, unit=first.unit,
                           comment="少记了一趟")
    # A dispute answered already does not count.
    Dispute.objects.create(worker=second, entry=WorkEntry.objects.filter(worker=second).first(), work_date=START,
                           unit=second.unit, comment="已处理", status="answered", response="已核实")
    round_ = world.shortlist(world.round(quota_total=1, no_open_dispute=True))

    assert listed(round_) == [second.employee_no]
    assert exclusions(round_) == [(first.employee_no, "open_dispute", "有 1 条未处理的申诉")]


def test_too_few_active_days_exclude_the_first(world):
    first, second = world.worker(100, days=2), world.worker(90, days=4)
    round_ = world.shortlist(world.round(quota_total=1, min_active_days=3))

    assert listed(round_) == [second.employee_no]
    assert exclusions(round_) == [(first.employee_no, "min_active_days", "有效天数 2 天 < 最少 3 天")]


def test_someone_honoured_in_a_named_round_is_excluded(world):
    first, second = world.worker(100), world.worker(90)
    earlier = finalized_round_with(world, first, name="2025年度先进个人")
    round_ = world.shortlist(world.round(quota_total=1, excluded_rounds=[earlier]))

    assert listed(round_) == [second.employee_no]
    assert exclusions(round_) == [(first.employee_no, "already_honoured", "已在“2025年度先进个人”中获表彰")]


def test_a_minimum_of_points_leaves_a_seat_empty_and_says_why(world):
    first, second = world.worker(100), world.worker(90)
    round_ = world.shortlist(world.round(quota_total=2, min_points=Decimal("95")))

    assert listed(round_) == [first.employee_no]
    assert exclusions(round_) == [(second.employee_no, "min_points", "已审核积分 90.000 < 最低 95.000")]


def test_rules_breaking_together_each_get_a_row_and_candidates_are_widened_past_many_exclusions(world):
    # 25 workers ahead of the first eligible one: more than the first margin of candidates.
    ahead = [world.worker(200 - i, days=1) for i in range(25)]
    eligible = world.worker(100, days=3)
    round_ = world.shortlist(world.round(quota_total=1, min_active_days=2, max_deductions=0))

    assert listed(round_) == [eligible.employee_no]
    assert len(exclusions(round_)) == 25
    assert {e[0] for e in exclusions(round_)} == {w.employee_no for w in ahead}


# --- The workflow -------------------------------------------------------------------------------------

def proposed_round(world, *workers_points, **fields):
    workers = [world.worker(p) for p in workers_points]
    round_ = world.shortlist(world.round(quota_total=fields.pop("quota_total", len(workers)), **fields))
    return round_, workers


def finalized_round_with(world, worker, *, name: str) -> AwardRound:
    """A round of the competition, finalized, with ``worker`` on its final list."""
    round_, _ = proposed_round(world, name=name, quota_total=1)
    assert listed(round_) == [worker.employee_no]
    services.propose(actor=world.staff, round_=round_)
    services.publish(actor=world.staff, round_=round_, days=7)
    end_publicity(round_)
    return services.finalize(actor=world.staff, round_=round_)


def end_publicity(round_):
    AwardRound.objects.filter(pk=round_.pk).update(publicity_start=timezone.now() - timedelta(days=8),
                                                   publicity_end=timezone.now() - timedelta(seconds=1))


def test_the_committee_removes_and_adds_only_with_a_reason(world, f):
    round_, (a, b) = proposed_round(world, 100, 90, quota_total=1)
    nominee_a = round_.nominees.get(worker=a)

    with pytest.raises(services.RoundRefused) as refused:
        services.committee_remove(actor=world.staff, nominee=nominee_a, reason="  ")
    assert refused.value.code == "reason_required"
    nominee_a.refresh_from_db()
    assert nominee_a.status == NomineeStatus.SHORTLISTED

    services.committee_remove(actor=world.staff, nominee=nominee_a, reason="安全事故一般C类")
    added = services.committee_add(actor=world.staff, round_=round_, worker=b, reason="技术革新成果")

    assert listed(round_) == [b.employee_no]
    assert (added.status, added.reason, added.rank, added.name) == (NomineeStatus.ADDED, "技术革新成果", None, b.name)
    events = list(round_.events.filter(nominee__isnull=False).values_list("action", "reason", "actor"))
    assert events == [(RoundAction.REMOVED, "安全事故一般C类", world.staff.pk),
                      (RoundAction.ADDED, "技术革新成果", world.staff.pk)]
    # Someone not taking part (no rule of the competition for their job type) cannot be added.
    outsider = f.worker(world.teams[0], f.job_type())
    with pytest.raises(services.RoundRefused) as refused:
        services.committee_add(actor=world.staff, round_=round_, worker=outsider, reason="推荐")
    assert refused.value.code == "not_taking_part"
    with pytest.raises(services.RoundRefused):
        services.committee_add(actor=world.staff, round_=round_, worker=b, reason="重复")


def test_only_staff_move_rounds(world, f):
    round_, (a,) = proposed_round(world, 100)
    worker_user = f.worker_user(a)
    for call in (lambda: services.propose(actor=worker_user, round_=round_),
                 lambda: generate_shortlist(round_=round_, actor=worker_user),
                 lambda: services.committee_remove(actor=worker_user, nominee=round_.nominees.get(), reason="x"),
                 lambda: services.round_create(actor=worker_user, competition=world.competition, name="x",
                                               basis_start=START, basis_end=END, quota_total=1)):
        with pytest.raises(PermissionDenied):
            call()
    assert AwardRound.objects.count() == 1


def test_a_wrong_state_is_refused_with_nothing_saved(world):
    round_, _ = proposed_round(world, 100)
    with pytest.raises(services.RoundRefused) as refused:
        services.publish(actor=world.staff, round_=round_, days=7)
    assert refused.value.code == "wrong_status"
    assert "已生成初选名单" in refused.value.message
    with pytest.raises(services.RoundRefused) as refused:
        services.publish(actor=world.staff, round_=services.propose(actor=world.staff, round_=round_), days=0)
    assert refused.value.code == "invalid_days"
    round_.refresh_from_db()
    assert (round_.status, round_.publicity_start) == (RoundStatus.PROPOSED, None)


def test_objections_upheld_and_rejected_then_the_final_list(world, f):
    round_, (a, b, c) = proposed_round(world, 100, 90, 80)
    services.propose(actor=world.staff, round_=round_)
    raiser = f.worker_user(world.worker(10))
    nominee_a, nominee_b = round_.nominees.get(worker=a), round_.nominees.get(worker=b)

    with pytest.raises(services.RoundRefused) as refused:  # not yet in 公示
        services.raise_objection(user=raiser, nominee=nominee_a, reason="该同志三月有违章")
    assert refused.value.code == "not_in_publicity"

    services.publish(actor=world.staff, round_=round_, days=5)
    upheld = services.raise_objection(user=raiser, nominee=nominee_a, reason="该同志三月有违章")
    rejected = services.raise_objection(user=raiser, nominee=nominee_b, reason="积分有误")
    with pytest.raises(services.RoundRefused) as refused:
        services.raise_objection(user=raiser, nominee=nominee_a, reason="再提一次")
    assert refused.value.code == "objection_open"
    with pytest.raises(services.RoundRefused) as refused:
        services.raise_objection(user=raiser, nominee=nominee_a, reason="")
    assert refused.value.code == "reason_required"
    outsider = f.worker_user(f.worker(world.teams[0], f.job_type()))
    with pytest.raises(services.RoundRefused) as refused:
        services.raise_objection(user=outsider, nominee=nominee_a, reason="不同意")
    assert refused.value.code == "not_taking_part"

    # Finalize is refused while the 公示 runs, then while an objection is open.
    with pytest.raises(services.RoundRefused) as refused:
        services.finalize(actor=world.staff, round_=round_)
    assert refused.value.code == "publicity_running"
    services.answer_objection(actor=world.staff, objection=upheld, upheld=True, answer="经核实，3月12日有违章记录")
    end_publicity(round_)
    with pytest.raises(services.RoundRefused) as refused:
        services.finalize(actor=world.staff, round_=round_)
    assert (refused.value.code, refused.value.message) == ("objections_open", "还有 1 条异议未答复，全部答复后才能定稿。")
    services.answer_objection(actor=world.staff, objection=rejected, upheld=False, answer="积分经复核无误")

    nominee_a.refresh_from_db()
    assert (nominee_a.status, nominee_a.reason) == (NomineeStatus.UPHELD_OBJECTION, "经核实，3月12日有违章记录")
    seen = {o.pk: (o.status, o.answer) for o in Objection.objects.visible_to(raiser)}
    assert seen == {upheld.pk: (ObjectionStatus.UPHELD, "经核实，3月12日有违章记录"),
                    rejected.pk: (ObjectionStatus.REJECTED, "积分经复核无误")}

    round_ = services.finalize(actor=world.staff, round_=round_)
    assert round_.status == RoundStatus.FINALIZED
    final = dict(round_.nominees.values_list("employee_no", "status"))
    assert final == {a.employee_no: NomineeStatus.UPHELD_OBJECTION, b.employee_no: NomineeStatus.FINAL,
                     c.employee_no: NomineeStatus.FINAL}
    assert list(round_.events.values_list("action", flat=True)) == [
        RoundAction.CREATED, RoundAction.SHORTLISTED, RoundAction.PROPOSED, RoundAction.PUBLISHED,
        RoundAction.OBJECTION_RAISED, RoundAction.OBJECTION_RAISED, RoundAction.OBJECTION_UPHELD,
        RoundAction.OBJECTION_REJECTED, RoundAction.FINALIZED]


def test_staff_who_are_a_nominee_neither_answer_objections_about_themselves_nor_add_themselves(world, f, client):
    # a member of union staff whose account is also a worker taking part (and nominated)
    round_, (a, b, c) = proposed_round(world, 100, 90, 80)
    staff_a = f.worker_user(a, is_staff=True)
    nominee_a, nominee_b = round_.nominees.get(worker=a), round_.nominees.get(worker=b)
    services.committee_remove(actor=world.staff, nominee=round_.nominees.get(worker=c), reason="安全事故")
    with pytest.raises(services.RoundRefused) as refused:
        services.committee_add(actor=staff_a, round_=round_, worker=a, reason="本人推荐")
    assert refused.value.code == "own_nomination"
    services.committee_remove(actor=world.staff, nominee=nominee_a, reason="待复核")
    with pytest.raises(services.RoundRefused) as refused:
        services.committee_add(actor=staff_a, round_=round_, worker=a, reason="本人推荐")
    assert refused.value.code == "own_nomination"
    client.force_login(staff_a)
    add = reverse("honours:nominee_add", args=[round_.pk])
    assert a.employee_no not in text(client.get(add, {"q": a.name}))  # the search leaves them out
    assert c.employee_no in text(client.get(add, {"q": c.name}))
    page = text(client.post(add, {"candidate": a.pk, "reason": "本人推荐", "q": a.name}))
    assert "不能将本人增补为候选人，请由其他工会工作人员增补。" in page
    assert round_.nominees.get(worker=a).status == NomineeStatus.REMOVED
    services.committee_add(actor=world.staff, round_=round_, worker=a, reason="复核无误")  # another staff does
    services.committee_add(actor=staff_a, round_=round_, worker=c, reason="复核无误")  # and they add another

    services.propose(actor=world.staff, round_=round_)
    services.publish(actor=world.staff, round_=round_, days=5)
    raiser = f.worker_user(world.worker(10))
    about_a = services.raise_objection(user=raiser, nominee=nominee_a, reason="该同志三月有违章")
    about_b = services.raise_objection(user=raiser, nominee=nominee_b, reason="积分有误")
    assert set(Objection.objects.answerable_by(staff_a)) == {about_b}
    assert set(Objection.objects.answerable_by(world.staff)) == {about_a, about_b}
    with pytest.raises(services.RoundRefused) as refused:
        services.answer_objection(actor=staff_a, objection=about_a, upheld=False, answer="积分无误")
    assert refused.value.code == "own_nomination"
    # the round page shows it without the answer form, and a forged post is refused with the reason
    page = text(client.get(reverse("honours:round", args=[round_.pk])))
    assert reverse("honours:objection_answer", args=[round_.pk, about_a.pk]) not in page
    assert reverse("honours:objection_answer", args=[round_.pk, about_b.pk]) in page
    assert "该异议涉及您本人，请由其他工会工作人员答复。" in page
    page = text(client.post(reverse("honours:objection_answer", args=[round_.pk, about_a.pk]),
                            {"upheld": "no", "answer": "积分无误"}, follow=True))
    assert "不能答复关于本人的异议，请由其他工会工作人员答复。" in page
    about_a.refresh_from_db()
    assert (about_a.status, about_a.answer, about_a.answered_by) == (ObjectionStatus.OPEN, "", None)
    assert round_.nominees.get(worker=a).status == NomineeStatus.ADDED
    # another member of staff answers it; they answer the other one
    services.answer_objection(actor=world.staff, objection=about_a, upheld=False, answer="积分无误")
    services.answer_objection(actor=staff_a, objection=about_b, upheld=False, answer="积分无误")
    assert set(Objection.objects.values_list("status", flat=True)) == {ObjectionStatus.REJECTED}


def test_a_final_list_is_frozen_by_the_services_and_by_the_database(world):
    round_, (a,) = proposed_round(world, 100)
    services.propose(actor=world.staff, round_=round_)
    services.publish(actor=world.staff, round_=round_, days=1)
    end_publicity(round_)
    round_ = services.finalize(actor=world.staff, round_=round_)
    nominee = round_.nominees.get()

    for call in (lambda: services.committee_remove(actor=world.staff, nominee=nominee, reason="x"),
                 lambda: services.cancel(actor=world.staff, round_=round_, reason="x"),
                 lambda: services.round_edit(actor=world.staff, round_=round_, quota_total=2),
                 lambda: generate_shortlist(round_=round_, actor=world.staff)):
        with pytest.raises(services.RoundRefused):
            call()
    for write in (lambda: Nominee.objects.filter(pk=nominee.pk).update(status=NomineeStatus.REMOVED, reason="x"),
                  lambda: Nominee.objects.filter(pk=nominee.pk).delete(),
                  lambda: AwardRound.objects.filter(pk=round_.pk).update(name="改名"),
                  lambda: RoundEvent.objects.create(round=round_, action=RoundAction.EDITED, at=timezone.now()),
                  lambda: AwardRound.objects.filter(pk=round_.pk).delete()):
        with pytest.raises(IntegrityError, match="评选已定稿或取消"), transaction.atomic():
            write()
    nominee.refresh_from_db()
    assert nominee.status == NomineeStatus.FINAL


def test_editing_a_shortlisted_round_discards_its_shortlist(world):
    round_, (a, b) = proposed_round(world, 100, 90, quota_total=1)
    round_ = services.round_edit(actor=world.staff, round_=round_, quota_total=2)
    assert (round_.status, round_.nominees.count(), round_.snapshot_id) == (RoundStatus.DRAFT, 0, None)
    assert listed(world.shortlist(round_)) == [a.employee_no, b.employee_no]


# --- Who sees what ---------------------------------------------------------------------------------------

def test_visible_to_every_role(world, f):
    a = world.worker(100, system=0)
    public, _ = proposed_round(world, 90, name="公示中的评选")
    services.propose(actor=world.staff, round_=public)
    services.publish(actor=world.staff, round_=public, days=5)
    draft = world.round(name="筹备中的评选")
    # Another competition's round in 公示, with its own job type.
    other = World(f)
    other_round, _ = proposed_round(other, 50, name="另一竞赛的评选")
    services.propose(actor=other.staff, round_=other_round)
    services.publish(actor=other.staff, round_=other_round, days=5)

    worker = f.worker_user(a)
    machine_worker = f.worker_user(world.worker(10, system=1))
    clerk = f.clerk(world.depot)
    reviewer = f.reviewer(world.systems[1])
    other_worker = f.worker_user(other.worker(10))
    outsider_clerk = f.clerk(f.depot())
    # a union officer (基层工会干部) of the depot, no other role; and one of a depot outside the competition
    officer = f.union_officer(world.depot)
    outsider_officer = f.union_officer(f.depot())
    from django.contrib.auth.models import AnonymousUser

    def rounds(user):
        return set(AwardRound.objects.visible_to(user).values_list("name", flat=True))

    assert rounds(world.staff) == {"公示中的评选", "筹备中的评选", "另一竞赛的评选"}
    for user in (worker, machine_worker, clerk, reviewer, officer):
        assert rounds(user) == {"公示中的评选"}
    assert rounds(other_worker) == {"另一竞赛的评选"}
    assert rounds(outsider_clerk) == rounds(outsider_officer) == set()
    assert rounds(AnonymousUser()) == set()
    assert draft.pk not in AwardRound.objects.visible_to(worker).values_list("pk", flat=True)

    assert Nominee.objects.visible_to(worker).count() == public.nominees.count() == 1
    assert not Nominee.objects.visible_to(worker).filter(round=other_round).exists()
    assert not Nominee.objects.visible_to(AnonymousUser()).exists()
    assert Competition.objects.taking_part(outsider_clerk).count() == 0
    assert set(Competition.objects.taking_part(reviewer)) == {world.competition}

    objection = services.raise_objection(user=worker, nominee=public.nominees.get(), reason="有异议")
    assert list(Objection.objects.visible_to(worker)) == [objection]
    assert not Objection.objects.visible_to(machine_worker).exists()
    assert list(Objection.objects.visible_to(world.staff)) == [objection]
    with pytest.raises(services.RoundRefused):  # another competition's worker
        services.raise_objection(user=other_worker, nominee=public.nominees.get(), reason="有异议")


def test_a_nominee_taken_off_the_public_list_is_seen_by_staff_only(world, f):
    round_, (a, b) = proposed_round(world, 100, 90)
    services.committee_remove(actor=world.staff, nominee=round_.nominees.get(worker=b), reason="不再参评")
    services.propose(actor=world.staff, round_=round_)
    services.publish(actor=world.staff, round_=round_, days=3)
    worker = f.worker_user(a)
    assert list(Nominee.objects.visible_to(worker).values_list("worker", flat=True)) == [a.pk]
    assert Nominee.objects.visible_to(world.staff).count() == 2


# --- Collective rounds -----------------------------------------------------------------------------------

def collective_world(world, f):
    """Depot 1: 90, 60, 30 (average 60, total 180); depot 2: 100 alone (average 100); depot 3: 70, 50
    (average 60, total 120)."""
    depots = [world.depot, f.depot(name="天津机务段"), f.depot(name="石家庄工务段")]
    for depot, points in zip(depots, ([90, 60, 30], [100], [70, 50]), strict=True):
        for p in points:
            world.worker(p, unit=depot)
    return depots


@pytest.mark.parametrize("tie_rule, expected", [(TieRule.STATED, ["北京车务段"]),
                                                (TieRule.INCLUDE_ALL, ["北京车务段", "石家庄工务段"])])
def test_a_collective_round_ranks_depots_by_average_approved_points(world, f, tie_rule, expected):
    collective_world(world, f)
    round_ = world.round(kind=RoundKind.COLLECTIVE, unit_level="depot", quota_total=1, min_participants=2,
                         tie_rule=tie_rule)
    round_ = world.shortlist(round_)

    names = list(round_.nominees.listed().values_list("name", flat=True))
    assert sorted(names) == sorted(expected)
    first = round_.nominees.get(name="北京车务段")
    assert (first.participants, first.approved_points, first.average_points, first.rank) == (
        3, Decimal("180.000"), Decimal("60.000"), 2)
    assert list(round_.exclusions.values_list("name", "rule", "detail", "rank")) == [
        ("天津机务段", "min_participants", "参赛人数 1 人 < 最少 2 人", 1)]


def test_a_collective_round_takes_only_units(world, f):
    collective_world(world, f)
    round_ = world.shortlist(world.round(kind=RoundKind.COLLECTIVE, unit_level="depot", quota_total=1))
    with pytest.raises(services.RoundRefused):
        services.committee_add(actor=world.staff, round_=round_, worker=world.worker(5), reason="推荐")
    added = services.committee_add(actor=world.staff, round_=round_, unit=f.depot(name="保定车务段"), reason="推荐")
    assert (added.unit.name, added.worker) == ("保定车务段", None)


# --- Speed ------------------------------------------------------------------------------------------------

def test_the_shortlist_takes_as_many_queries_for_many_workers_as_for_few(world, f):
    def shortlist_queries(n: int) -> int:
        w = World(f)
        for i in range(n):
            w.worker(100 + i, system=i % 2, days=1 + i % 3, deductions=int(i % 4 == 0))
        round_ = w.round(quota_total=4, quota_by=QuotaBy.BUSINESS_SYSTEM, quota_mode=QuotaMode.PROPORTIONAL,
                         max_deductions=0, min_active_days=2, no_open_dispute=True, min_points=Decimal("1"))
        snapshot = w.snapshot()
        with CaptureQueriesContext(connection) as queries:
            generate_shortlist(round_=round_, actor=w.staff, snapshot=snapshot)
        assert round_.nominees.count() == 4
        return len(queries)

    assert shortlist_queries(12) == shortlist_queries(60)


def test_the_candidates_facts_agree_with_the_entries(world):
    w = world.worker(100, days=4, deductions=2)
    round_ = world.shortlist(world.round(quota_total=1))
    nominee = round_.nominees.get()
    facts = WorkEntry.objects.filter(worker=w).aggregate(days=Count("work_date", distinct=True), first=Min("work_date"))
    assert (nominee.active_days, nominee.deductions) == (facts["days"], 2)


def test_the_shortlist_computes_its_snapshot_from_the_entries_when_given_none(world, f):
    a, b = world.worker(100, days=2), world.worker(90, days=2)
    world.worker(95, system=1)
    WorkEntry.objects.create(competition=world.competition, worker=b, rule=world.add[0], work_date=END,
                             quantity=Decimal("20"), points=Decimal("20"), status="pending", unit=b.unit,
                             job_type=b.job_type, business_system=b.job_type.business_system)
    round_ = world.round(quota_total=2, quota_by=QuotaBy.BUSINESS_SYSTEM, quota_mode=QuotaMode.FIXED,
                         quotas={world.systems[0].pk: 2, world.systems[1].pk: 0})
    round_ = generate_shortlist(round_=round_, actor=world.staff)

    assert listed(round_) == [a.employee_no, b.employee_no]
    # Only approved points count: b's pending 20 points are in the points, not in the approved points.
    assert round_.nominees.get(worker=b).approved_points == Decimal("90.000")
    assert round_.nominees.get(worker=b).points == Decimal("110.000")
    assert round_.snapshot.status == SnapshotStatus.READY and len(round_.snapshot_digest) == 64
    assert round_.snapshot_digest == round_.snapshot.digest


def round_not_yet_begun(world) -> AwardRound:
    """A draft round whose basis period starts tomorrow (the competition runs on past it)."""
    tomorrow = timezone.localdate() + timedelta(days=1)
    world.competition.end_date = tomorrow + timedelta(days=90)
    world.competition.save(update_fields=["end_date"])
    return world.round(basis_start=tomorrow, basis_end=tomorrow + timedelta(days=89))


def test_a_round_whose_basis_period_has_not_begun_gets_no_shortlist_yet(world):
    round_ = round_not_yet_begun(world)
    with pytest.raises(services.RoundRefused) as refused:
        generate_shortlist(round_=round_, actor=world.staff)
    assert refused.value.code == "basis_not_started" and "评选期尚未开始" in str(refused.value)
    assert not PeriodSnapshot.objects.exists()
    round_.refresh_from_db()
    assert round_.status == "draft" and not round_.nominees.exists()


def test_asking_for_the_shortlist_of_a_round_whose_basis_has_not_begun_is_refused_at_once(world):
    # The refusal came only from the background run: a run was recorded and failed a moment later, instead
    # of the request being refused with nothing written, as for every other refusal of shortlist_start.
    from competitions.honours.jobs import ShortlistRun, shortlist_start

    round_ = round_not_yet_begun(world)
    with pytest.raises(services.RoundRefused) as refused:
        shortlist_start(award_round=round_, user=world.staff)
    assert refused.value.code == "basis_not_started"
    assert not ShortlistRun.objects.exists() and not PeriodSnapshot.objects.exists()


def test_the_shortlist_task_generates_and_answers_a_refusal_without_retrying(world):
    from competitions.honours.jobs import shortlist_run, shortlist_start
    from competitions.models import JobStatus
    from competitions.tasks import honours_shortlist_task

    world.worker(100)
    round_ = world.round(quota_total=1)
    run = shortlist_start(award_round=round_, user=world.staff)
    assert honours_shortlist_task(run.pk) == JobStatus.SUCCEEDED and round_.nominees.count() == 1
    # the round moves on before a second request is run: the run ends failed with the reason, no retry
    run = shortlist_start(award_round=round_, user=world.staff)
    services.propose(actor=world.staff, round_=round_)
    run = shortlist_run(run_id=run.pk)
    assert run.status == JobStatus.FAILED and run.error
    assert honours_shortlist_task(0) is None


def test_a_competition_with_award_rounds_cannot_be_deleted(world, f):
    from competitions.services import CompetitionInUse, competition_delete

    bare = f.competition()
    services.round_create(actor=world.staff, competition=bare, name="评选", basis_start=START, basis_end=END,
                          quota_total=1)
    with pytest.raises(CompetitionInUse, match="评选"):
        competition_delete(actor=world.staff, competition=bare)
    assert Competition.objects.filter(pk=bare.pk).exists()
