"""The demo's union office: a union officer of the demo depot with the printed password, enrollment forms in
each state, mutual-aid cards and skill certificates that the workers' records follow."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import Count, Max

from competitions.demo import catalog
from members.models import (
    ApplicationStatus,
    CardStatus,
    MemberCard,
    MembershipApplication,
    MembershipEvent,
    MembershipEventKind,
    MembershipStatus,
    SkillCertificate,
    User,
    Worker,
)
from members.scope import scope_of
from members.validators import validate_card_number
from tests.competitions.test_seed_demo import SMALL


@pytest.fixture
def seeded(db):
    out = StringIO()
    call_command("seed_demo", *SMALL, stdout=out)
    return out.getvalue()


def test_the_demo_has_a_union_officer_of_the_demo_depot_with_the_printed_password(seeded):
    officer = User.objects.get(username=catalog.UNION_OFFICER.username)
    assert officer.check_password(catalog.UNION_OFFICER.password) and not officer.is_staff
    (depot,) = officer.union_units.all()
    assert depot.name == "北京机务段"
    scope = scope_of(officer)
    assert scope.is_union_officer and not scope.is_clerk
    assert catalog.UNION_OFFICER.username in seeded and catalog.UNION_OFFICER.password in seeded
    # every form of the demo is the officer's to decide
    assert MembershipApplication.objects.decidable_by(officer).count() == MembershipApplication.objects.count()


def test_the_demo_depot_has_forms_in_each_state_with_their_reasons_numbers_and_history(seeded):
    forms = MembershipApplication.objects.select_related("worker", "unit__depot")
    by_status = {row["status"]: row["n"] for row in forms.values("status").annotate(n=Count("id"))}
    assert set(by_status) == {ApplicationStatus.SUBMITTED, ApplicationStatus.RETURNED, ApplicationStatus.APPROVED}
    for form in forms:
        assert form.unit.depot.name == "北京机务段" and form.worker.user_id is None  # not a demo worker account
        assert form.id_number == form.worker.id_number
        if form.status == ApplicationStatus.RETURNED:
            assert form.reason and form.decided_by.username == catalog.UNION_OFFICER.username
            assert form.worker.membership_status == MembershipStatus.APPLIED
        elif form.status == ApplicationStatus.SUBMITTED:
            assert form.submitted_by.username == catalog.CLERK.username
            assert form.worker.membership_status == MembershipStatus.APPLIED
        else:
            assert form.membership_no.startswith("BJ") and form.joined_on
            assert form.worker.membership_status == MembershipStatus.MEMBER
            assert form.worker.joined_on == form.joined_on
    approved = forms.filter(status=ApplicationStatus.APPROVED)
    assert MembershipEvent.objects.filter(kind=MembershipEventKind.JOINED, application__in=approved).count() \
        == approved.count()


def test_new_members_have_cards_that_are_their_card_numbers(seeded):
    cards = list(MemberCard.objects.select_related("worker"))
    # the first new member's card is activated, the others just issued
    assert {c.status for c in cards} == {CardStatus.ACTIVE, CardStatus.ISSUED}
    for card in cards:
        validate_card_number(card.number)
        assert card.worker.member_card_no == card.number
        assert card.worker.membership_status == MembershipStatus.MEMBER
        assert card.events.filter(status=CardStatus.ISSUED).exists()
    # every new member has one, as every planned member has a card number
    new_members = MembershipApplication.objects.filter(status=ApplicationStatus.APPROVED)
    assert {c.worker_id for c in cards} == set(new_members.values_list("worker_id", flat=True))


def test_skill_certificates_set_their_workers_current_grade(seeded):
    certificates = SkillCertificate.objects.all()
    assert certificates.exists()
    latest = {row["worker_id"]: row["grade"] for row in certificates.values("worker_id").annotate(
        grade=Max("grade"))}
    assert dict(Worker.objects.filter(pk__in=latest).values_list("pk", "skill_grade")) == latest
    # a worker above the first grade has a history: the grade before, some years earlier
    assert certificates.values("worker_id").annotate(n=Count("id")).filter(n=2).exists()
    assert set(certificates.values_list("issuing_body", flat=True)) == {"北京铁路局职业技能鉴定中心"}


def test_a_second_run_prints_the_union_officer_and_a_reset_builds_the_office_again(seeded):
    out = StringIO()
    call_command("seed_demo", "--if-empty", stdout=out)
    assert catalog.UNION_OFFICER.username in out.getvalue() and catalog.UNION_OFFICER.password in out.getvalue()
    # the reset clears the officer's account (or the new one could not be made) and the records
    call_command("seed_demo", "--reset", *SMALL, stdout=StringIO())
    assert User.objects.filter(username=catalog.UNION_OFFICER.username).count() == 1
    assert MembershipApplication.objects.exists() and SkillCertificate.objects.exists()
