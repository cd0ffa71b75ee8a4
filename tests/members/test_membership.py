"""Union membership services: the life of a membership, who may do what, the numbers, the card."""

import logging
import re
from datetime import timedelta

import pytest
from django.db import connection

from members import membership as services
from members.models import (
    ApplicationStatus,
    CardStatus,
    MemberCard,
    MembershipApplication,
    MembershipEvent,
    MembershipStatus,
    Worker,
)
from members.scope import scope_of
from members.validators import ValidationError, luhn_ok, mask_card_number, validate_card_number
from reviews.validation import EntryRejected
from tests.members.membership_data import card_number, form_for

pytestmark = pytest.mark.django_db


def test_the_full_life_of_a_membership_is_kept_as_history(m, today, f):
    # given: alice applies herself; the union officer of her depot returns the form
    application = services.application_submit(actor=m.alice_user, form=form_for(m.alice, education="bachelor"))
    assert Worker.objects.get(pk=m.alice.pk).membership_status == MembershipStatus.APPLIED
    services.application_return(actor=m.officer, application_id=application.pk, reason="请补充职务")
    application.refresh_from_db()
    assert (application.status, application.reason) == (ApplicationStatus.RETURNED, "请补充职务")

    # when: she corrects it and submits again, and it is approved
    again = services.application_submit(actor=m.alice_user, form=form_for(m.alice, job_title="电力机车司机"))
    assert again.pk == application.pk and again.status == ApplicationStatus.SUBMITTED and again.reason == ""
    approved = services.application_approve(actor=m.officer, application_id=application.pk)
    assert approved.status == ApplicationStatus.APPROVED
    assert re.fullmatch(r"BJ\d{8}", approved.membership_no)
    alice = Worker.objects.get(pk=m.alice.pk)
    assert (alice.membership_status, alice.joined_on) == (MembershipStatus.MEMBER, today)

    # and: staff issue her card; she moves to the other depot (转会), and her membership is terminated
    card = services.card_issue(actor=m.staff, worker_id=m.alice.pk, number=card_number(1))
    assert Worker.objects.get(pk=m.alice.pk).member_card_no == card.number
    services.membership_record(actor=m.officer, worker_id=m.alice.pk, kind="transferred", on=today,
                               reason="调动", to_unit_id=m.other_depot.pk)
    assert Worker.objects.get(pk=m.alice.pk).unit_id == m.other_depot.pk
    # the officer of her old depot no longer keeps her; the new depot's does
    with pytest.raises(Worker.DoesNotExist):
        services.membership_record(actor=m.officer, worker_id=m.alice.pk, kind="terminated", on=today, reason="x")
    services.membership_record(actor=m.other_officer, worker_id=m.alice.pk, kind="terminated", on=today,
                               reason="本人申请退会")

    # then: the history says each step, when, why and who
    events = list(MembershipEvent.objects.filter(worker=m.alice).order_by("id")
                  .values_list("kind", "reason", "actor_id", "from_unit_id", "to_unit_id"))
    assert events == [
        ("joined", "", m.officer.pk, None, None),
        ("transferred", "调动", m.officer.pk, m.workshop.pk, m.other_depot.pk),
        ("terminated", "本人申请退会", m.other_officer.pk, None, None),
    ]
    assert Worker.objects.get(pk=m.alice.pk).membership_status == MembershipStatus.LEFT
    assert list(card.events.values_list("status", flat=True)) == [CardStatus.ISSUED]


def test_suspension_and_restoration_move_the_status_and_refuse_moves_from_the_wrong_state(m, today):
    application = services.application_submit(actor=m.clerk, form=form_for(m.bob))
    services.application_approve(actor=m.staff, application_id=application.pk)
    with pytest.raises(services.MembershipRefused) as refused:
        services.membership_record(actor=m.officer, worker_id=m.bob.pk, kind="restored", on=today, reason="x")
    assert refused.value.code == "membership_state"
    services.membership_record(actor=m.officer, worker_id=m.bob.pk, kind="suspended", on=today, reason="欠缴会费")
    assert Worker.objects.get(pk=m.bob.pk).membership_status == MembershipStatus.SUSPENDED
    services.membership_record(actor=m.officer, worker_id=m.bob.pk, kind="restored", on=today, reason="已补缴")
    assert Worker.objects.get(pk=m.bob.pk).membership_status == MembershipStatus.MEMBER
    for kind, on, reason, code in (("suspended", today, "", "reason_required"),
                                   ("suspended", today + timedelta(days=1), "x", "date_in_future"),
                                   ("transferred", today, "x", "to_unit_missing"),
                                   ("joined", today, "x", "event_kind_invalid")):
        with pytest.raises(services.MembershipRefused) as refused:
            services.membership_record(actor=m.officer, worker_id=m.bob.pk, kind=kind, on=on, reason=reason)
        assert refused.value.code == code


def test_a_union_officer_who_is_the_worker_records_no_change_to_their_own_membership(m, today, client):
    application = services.application_submit(actor=m.clerk, form=form_for(m.alice))
    services.application_approve(actor=m.staff, application_id=application.pk)
    m.alice_user.union_units.set([m.depot])
    for kind in ("suspended", "terminated", "transferred"):
        with pytest.raises(services.MembershipRefused) as refused:
            services.membership_record(actor=m.alice_user, worker_id=m.alice.pk, kind=kind, on=today, reason="x",
                                       to_unit_id=m.other_depot.pk)
        assert refused.value.code == "own_membership"
    client.force_login(m.alice_user)
    response = client.post(f"/union/members/{m.alice.pk}/", {"form": "event", "kind": "suspended",
                                                              "on": str(today), "reason": "x"}, follow=True)
    assert "不能为本人办理会籍变动，请由其他工会干部办理。" in response.content.decode()
    alice = Worker.objects.get(pk=m.alice.pk)
    assert (alice.membership_status, alice.unit_id) == (MembershipStatus.MEMBER, m.alice.unit_id)
    assert not MembershipEvent.objects.exclude(kind="joined").exists()
    # the other officer of the depot records it
    services.membership_record(actor=m.officer, worker_id=m.alice.pk, kind="suspended", on=today, reason="欠缴会费")
    assert Worker.objects.get(pk=m.alice.pk).membership_status == MembershipStatus.SUSPENDED

def test_a_clerk_or_union_officer_submits_for_their_units_workers_only_and_a_worker_only_for_themself(m):
    with pytest.raises(EntryRejected) as rejected:
        services.application_submit(actor=m.clerk, form=form_for(m.carol))  # carol is of the other depot
    assert rejected.value.first.code == "worker_unknown"
    with pytest.raises(EntryRejected):
        services.application_submit(actor=m.alice_user, form=form_for(m.bob))
    with pytest.raises(EntryRejected):
        services.application_submit(actor=m.reviewer, form=form_for(m.bob))
    with pytest.raises(EntryRejected):  # a union officer submits for their own units' workers only
        services.application_submit(actor=m.other_officer, form=form_for(m.bob))
    assert services.application_submit(actor=m.other_clerk, form=form_for(m.carol)).status == "submitted"
    assert not MembershipApplication.objects.filter(worker__in=[m.bob]).exists()
    assert services.application_submit(actor=m.officer, form=form_for(m.bob)).submitted_by == m.officer


def test_only_the_union_officer_of_the_unit_or_staff_decides(m):
    application = services.application_submit(actor=m.clerk, form=form_for(m.alice))
    for outsider in (m.other_officer, m.clerk, m.reviewer, m.alice_user, m.bob_user):
        with pytest.raises(MembershipApplication.DoesNotExist):
            services.application_return(actor=outsider, application_id=application.pk, reason="x")
        assert services.applications_approve(actor=outsider, application_ids=[application.pk]) == 0
    assert MembershipApplication.objects.get(pk=application.pk).status == ApplicationStatus.SUBMITTED
    # the officer of the depot decides for its workshop's workers too (subunits included)
    services.application_reject(actor=m.officer, application_id=application.pk, reason="材料不实")
    assert Worker.objects.get(pk=m.alice.pk).membership_status == MembershipStatus.NONE
    with pytest.raises(services.MembershipRefused) as refused:
        services.application_approve(actor=m.staff, application_id=application.pk)
    assert refused.value.code == "application_not_submitted"



def test_a_union_officer_or_staff_who_is_the_worker_does_not_decide_their_own_application(m, client):
    # alice's own account keeps her depot's membership (and another is union staff): neither approves,
    # returns or rejects their own enrollment, one form or many; another officer or staff does.
    m.alice_user.union_units.set([m.depot])
    alices = services.application_submit(actor=m.alice_user, form=form_for(m.alice))
    with pytest.raises(MembershipApplication.DoesNotExist):
        services.application_approve(actor=m.alice_user, application_id=alices.pk)
    with pytest.raises(MembershipApplication.DoesNotExist):
        services.application_return(actor=m.alice_user, application_id=alices.pk, reason="x")
    assert services.applications_approve(actor=m.alice_user, application_ids=[alices.pk]) == 0
    client.force_login(m.alice_user)
    response = client.post(f"/union/applications/{alices.pk}/", {"action": "approve"}, follow=True)
    assert "您不能审批该申请。" in response.content.decode()
    bob_staff = m.bob_user
    bob_staff.is_staff = True
    bob_staff.save(update_fields=["is_staff"])
    bobs = services.application_submit(actor=m.clerk, form=form_for(m.bob))
    assert services.applications_approve(actor=bob_staff, application_ids=[bobs.pk]) == 0
    assert set(MembershipApplication.objects.values_list("status", flat=True)) == {ApplicationStatus.SUBMITTED}
    # the other's: decided
    assert services.applications_approve(actor=bob_staff, application_ids=[alices.pk, bobs.pk]) == 1
    assert services.applications_approve(actor=m.alice_user, application_ids=[bobs.pk]) == 1
    assert set(MembershipApplication.objects.values_list("status", flat=True)) == {ApplicationStatus.APPROVED}

@pytest.mark.parametrize("changes, field, code", [
    ({"name": "别人"}, "name", "name_mismatch"),
    ({"id_number": "110105198503120000"}, "id_number", "id_check_digit"),
    ({"id_number": "123"}, "id_number", "id_format"),
    ({"mobile": "12345"}, "mobile", "mobile_format"),
    ({"education": "博士后"}, "education", "education_invalid"),
    ({"political_status": ""}, "political_status", "political_status_invalid"),
    ({"gender": "X"}, "gender", "gender_invalid"),
    ({"birth_date": "1970-01-01"}, "birth_date", "birth_date_mismatch"),
    ({"applied_on": "2999-01-01"}, "applied_on", "date_in_future"),
    ({"applied_on": "明天"}, "applied_on", "date_invalid"),
])
def test_a_bad_form_is_refused_field_by_field_and_nothing_is_saved(m, changes, field, code):
    with pytest.raises(EntryRejected) as rejected:
        services.application_submit(actor=m.alice_user, form=form_for(m.alice, **changes))
    assert (rejected.value.first.field, rejected.value.first.code) == (field, code)
    assert not MembershipApplication.objects.exists()
    assert Worker.objects.get(pk=m.alice.pk).membership_status == MembershipStatus.NONE


def test_an_id_number_other_than_the_workers_own_is_refused(m, f):
    other = f.make_id_number(7, born="19900101")
    with pytest.raises(EntryRejected) as rejected:
        services.application_submit(actor=m.alice_user, form=form_for(m.alice, id_number=other,
                                                                      gender="M" if int(other[16]) % 2 else "F"))
    assert rejected.value.first.code == "id_mismatch"


def test_a_worker_has_one_open_form_and_a_member_cannot_apply(m):
    services.application_submit(actor=m.alice_user, form=form_for(m.alice))
    with pytest.raises(EntryRejected) as rejected:
        services.application_submit(actor=m.clerk, form=form_for(m.alice))
    assert rejected.value.first.code == "application_open"
    services.applications_approve(actor=m.staff, application_ids=MembershipApplication.objects.values_list("id", flat=True))
    with pytest.raises(EntryRejected) as rejected:
        services.application_submit(actor=m.alice_user, form=form_for(m.alice))
    assert rejected.value.first.code == "already_member"


def test_approving_many_is_one_statement_numbered_in_order_per_federation_and_audited(m, f, today,
                                                                                      django_assert_max_num_queries):
    tianjin = f.unit(code="TJ", region="TJ")
    tj_depot = f.unit(parent=tianjin, code="TJ-D1")
    workers = [f.worker(m.depot, m.driver) for _ in range(6)] + [f.worker(tj_depot, m.driver) for _ in range(3)]
    joined = today - timedelta(days=3)
    ids = [services.application_submit(actor=m.staff, form=form_for(w, applied_on=joined)).pk for w in workers]
    with django_assert_max_num_queries(6):  # scope, savepoints and the one statement, whatever the number
        assert services.applications_approve(actor=m.staff, application_ids=ids, joined_on=joined) == 9
    rows = list(MembershipApplication.objects.filter(pk__in=ids).order_by("id")
                .values_list("membership_no", "joined_on", "decided_by_id"))
    bj = [no for no, *_ in rows if no.startswith("BJ")]
    tj = [no for no, *_ in rows if no.startswith("TJ")]
    assert len(bj) == 6 and len(tj) == 3 and bj == sorted(bj) and tj == sorted(tj)
    assert int(bj[-1][2:]) - int(bj[0][2:]) == 5 and int(tj[-1][2:]) - int(tj[0][2:]) == 2
    assert {(j, d) for _, j, d in rows} == {(joined, m.staff.pk)}
    assert MembershipEvent.objects.filter(application_id__in=ids, kind="joined", actor=m.staff, on=joined).count() == 9
    assert set(Worker.objects.filter(pk__in=[w.pk for w in workers]).values_list("membership_status", "joined_on")) \
        == {(MembershipStatus.MEMBER, joined)}
    # approving again changes nothing: each was approved once
    assert services.applications_approve(actor=m.staff, application_ids=ids) == 0
    assert MembershipEvent.objects.count() == 9


def test_a_date_of_joining_before_the_application_is_refused_and_nothing_is_approved(m, f, today):
    # given two forms, one applied for today
    early = services.application_submit(actor=m.staff, form=form_for(m.alice, applied_on=today - timedelta(days=10)))
    late = services.application_submit(actor=m.staff, form=form_for(m.bob, applied_on=today))
    yesterday = today - timedelta(days=1)

    # when the officer approves them with a date of joining before one of them was applied for
    for approve in (lambda: services.application_approve(actor=m.officer, application_id=late.pk, joined_on=yesterday),
                    lambda: services.applications_approve(actor=m.officer, application_ids=[early.pk, late.pk],
                                                          joined_on=yesterday)):
        with pytest.raises(services.MembershipRefused) as refused:
            approve()
        # then it is refused with the reason, and no form of the batch is approved
        assert refused.value.code == "date_before_application" and f"{today:%Y-%m-%d}" in refused.value.message
    assert set(MembershipApplication.objects.values_list("status", flat=True)) == {ApplicationStatus.SUBMITTED}
    assert not MembershipEvent.objects.exists()
    assert set(Worker.objects.filter(pk__in=[m.alice.pk, m.bob.pk]).values_list("membership_status", flat=True)) \
        == {MembershipStatus.APPLIED}
    # a date on or after every application's still approves them all
    assert services.applications_approve(actor=m.officer, application_ids=[early.pk, late.pk], joined_on=today) == 2


def test_a_card_is_not_issued_in_the_future_nor_before_the_member_joined(m, today):
    # given alice, a member since yesterday
    services.application_approve(actor=m.staff, joined_on=today - timedelta(days=1), application_id=services.
                                 application_submit(actor=m.alice_user, form=form_for(
                                     m.alice, applied_on=today - timedelta(days=2))).pk)
    # when staff issue her card dated tomorrow, or before she joined, it is refused and no card is made
    for day, code in ((today + timedelta(days=1), "date_in_future"), (today - timedelta(days=2), "date_before_joining")):
        with pytest.raises(services.MembershipRefused) as refused:
            services.card_issue(actor=m.staff, worker_id=m.alice.pk, number=card_number(1), issued_on=day)
        assert refused.value.code == code
    assert not MemberCard.objects.exists()
    # the day she joined is fine
    assert services.card_issue(actor=m.staff, worker_id=m.alice.pk, number=card_number(1),
                               issued_on=today - timedelta(days=1)).issued_on == today - timedelta(days=1)


def test_a_cards_activation_or_loss_is_not_dated_in_the_future_nor_before_it_was_issued(m, today):
    services.application_approve(actor=m.staff, application_id=services.application_submit(
        actor=m.alice_user, form=form_for(m.alice)).pk)
    card = services.card_issue(actor=m.staff, worker_id=m.alice.pk, number=card_number(1))
    for day, code in ((today + timedelta(days=1), "date_in_future"), (today - timedelta(days=1), "date_before_issue")):
        with pytest.raises(services.MembershipRefused) as refused:
            services.card_set_status(actor=m.staff, card_id=card.pk, status=CardStatus.ACTIVE, on=day)
        assert refused.value.code == code
    card.refresh_from_db()
    assert card.status == CardStatus.ISSUED and card.events.count() == 1


def test_the_number_sequences_the_numbers_are_drawn_from_exist(db):
    with connection.cursor() as cursor:
        cursor.execute("SELECT relname FROM pg_class WHERE relkind = 'S' AND relname LIKE 'members_membership_no_%%'")
        assert {r[0] for r in cursor.fetchall()} == set(services.membership_no_sequences())


def test_a_card_number_is_16_to_19_digits_with_a_luhn_check_digit():
    assert luhn_ok("4539578763621486") and not luhn_ok("4539578763621487")
    for good in (card_number(5), card_number(6, 19), "4539 5787 6362 1486"):
        validate_card_number(good)
    for bad in ("4539578763621487", "123456789012345", "12345678901234567890", "45395787636214a6", ""):
        with pytest.raises(ValidationError):
            validate_card_number(bad)
    assert mask_card_number("4539578763621486") == "************1486"


def test_a_card_goes_issued_active_lost_and_a_replacement_is_a_new_card(m, today):
    services.application_approve(actor=m.staff, application_id=services.application_submit(
        actor=m.alice_user, form=form_for(m.alice)).pk)
    with pytest.raises(services.MembershipRefused) as refused:
        services.card_issue(actor=m.officer, worker_id=m.alice.pk, number=card_number(1))
    assert refused.value.code == "card_staff_only"
    with pytest.raises(services.MembershipRefused) as refused:
        services.card_issue(actor=m.staff, worker_id=m.alice.pk, number="4539578763621487")
    assert refused.value.code == "card_number_invalid"
    with pytest.raises(services.MembershipRefused) as refused:
        services.card_issue(actor=m.staff, worker_id=m.bob.pk, number=card_number(1))  # bob is no member
    assert refused.value.code == "not_a_member"
    card = services.card_issue(actor=m.staff, worker_id=m.alice.pk, number=card_number(1))
    with pytest.raises(services.MembershipRefused) as refused:
        services.card_issue(actor=m.staff, worker_id=m.alice.pk, number=card_number(2))
    assert refused.value.code == "card_live"
    services.card_set_status(actor=m.staff, card_id=card.pk, status=CardStatus.ACTIVE)
    with pytest.raises(services.MembershipRefused):
        services.card_replace(actor=m.staff, card_id=card.pk, number=card_number(2))  # not lost yet
    services.card_set_status(actor=m.staff, card_id=card.pk, status=CardStatus.LOST, reason="遗失")
    assert Worker.objects.get(pk=m.alice.pk).member_card_no is None
    new = services.card_replace(actor=m.staff, card_id=card.pk, number=card_number(2))
    card.refresh_from_db()
    assert (card.status, new.status, new.replaces_id) == (CardStatus.REPLACED, CardStatus.ISSUED, card.pk)
    assert Worker.objects.get(pk=m.alice.pk).member_card_no == new.number
    assert list(card.events.order_by("id").values_list("status", flat=True)) == ["issued", "active", "lost", "replaced"]
    with pytest.raises(services.MembershipRefused) as refused:
        services.card_issue(actor=m.staff, worker_id=m.bob.pk, number=card.number)
    assert refused.value.code in ("not_a_member", "card_number_taken")
    assert MemberCard.objects.count() == 2


def test_the_card_number_is_whole_only_for_the_member_and_staff(m):
    number = card_number(3)
    assert services.card_number_for(m.alice_user, number, m.alice.pk) == number
    assert services.card_number_for(m.staff, number, m.alice.pk) == number
    for other in (m.officer, m.clerk, m.bob_user, m.reviewer):
        assert services.card_number_for(other, number, m.alice.pk) == mask_card_number(number)


def test_logs_of_the_whole_life_never_hold_an_id_or_card_number(m, caplog):
    caplog.set_level(logging.DEBUG)
    application = services.application_submit(actor=m.alice_user, form=form_for(m.alice))
    services.application_approve(actor=m.officer, application_id=application.pk)
    number = card_number(4)
    card = services.card_issue(actor=m.staff, worker_id=m.alice.pk, number=number)
    services.card_set_status(actor=m.staff, card_id=card.pk, status=CardStatus.LOST)
    text = caplog.text + " ".join(str(x) for x in (application, card, *MembershipEvent.objects.all()))
    assert "membership:" in caplog.text
    assert m.alice.id_number not in text and number not in text


def test_a_union_officer_holds_the_role_without_adding_a_query_to_the_scope(m, django_assert_num_queries):
    from members.models import User

    officer = User.objects.get(pk=m.officer.pk)
    m.officer.clerk_units.add(m.other_depot)
    with django_assert_num_queries(3):  # clerk and union units together, systems, the worker
        scope = scope_of(officer)
    assert scope.is_union_officer and scope.is_clerk and not scope.sees_nothing
    assert scope.union_unit_ids == (m.depot.pk,) and scope.clerk_unit_ids == (m.other_depot.pk,)


@pytest.mark.django_db(transaction=True)
def test_two_officers_approving_the_same_forms_at_once_approve_each_once(m, f):
    from tests.concurrency import race

    workers = [f.worker(m.depot, m.driver) for _ in range(30)]
    ids = [services.application_submit(actor=m.staff, form=form_for(w)).pk for w in workers]
    second = f.user(username="officer-b")
    second.union_units.set([m.depot])
    outcomes = race(lambda: services.applications_approve(actor=m.officer, application_ids=ids),
                    lambda: services.applications_approve(actor=second, application_ids=list(reversed(ids))))
    # both statements lock in id order (no deadlock); the one that waits finds the forms decided
    assert all(isinstance(n, int) for n in outcomes) and sum(outcomes) == 30, outcomes
    assert MembershipEvent.objects.filter(kind="joined").count() == 30
    numbers = list(MembershipApplication.objects.values_list("membership_no", flat=True))
    assert len(set(numbers)) == 30 and None not in numbers


def test_a_members_history_and_a_cards_history_are_never_dated_out_of_order(m, today):
    # given alice, a member for the last 60 days, suspended 10 days ago, and a card issued 40 days ago, lost 5 days ago
    services.application_approve(actor=m.staff, joined_on=today - timedelta(days=60), application_id=services.
                                 application_submit(actor=m.alice_user, form=form_for(
                                     m.alice, applied_on=today - timedelta(days=61))).pk)
    card = services.card_issue(actor=m.staff, worker_id=m.alice.pk, number=card_number(1),
                               issued_on=today - timedelta(days=40))
    services.card_set_status(actor=m.staff, card_id=card.pk, status=CardStatus.LOST, on=today - timedelta(days=5))
    services.membership_record(actor=m.staff, worker_id=m.alice.pk, kind="suspended", on=today - timedelta(days=10),
                               reason="欠缴会费")
    # when a step is dated before the last one (after joining, after the card's issue), then it is refused
    with pytest.raises(services.MembershipRefused) as refused:
        services.membership_record(actor=m.staff, worker_id=m.alice.pk, kind="restored",
                                   on=today - timedelta(days=20), reason="补缴")
    assert refused.value.code == "date_before_previous"
    with pytest.raises(services.MembershipRefused) as refused:
        services.card_replace(actor=m.staff, card_id=card.pk, number=card_number(2), on=today - timedelta(days=30))
    assert refused.value.code == "date_before_previous"
    assert Worker.objects.get(pk=m.alice.pk).membership_status == MembershipStatus.SUSPENDED
    assert MemberCard.objects.count() == 1
    # and on or after it, it is recorded
    services.membership_record(actor=m.staff, worker_id=m.alice.pk, kind="restored", on=today - timedelta(days=10),
                               reason="补缴")
    assert services.card_replace(actor=m.staff, card_id=card.pk, number=card_number(2), on=today).issued_on == today
