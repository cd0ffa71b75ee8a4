"""The demo's union office: the demo depot's union officer (基层工会干部), enrollment forms in each state, a few
mutual-aid cards and skill certificates.

Everything goes through the services the portal's pages use (members.membership, members.skills), so the
forms have their history rows, the approvals their membership numbers and the workers their current grade,
exactly as if the office had done the work. It is a few dozen rows of the demo depot whatever the seed's
size: the seed of 223,000 workers stays as fast as it was.
"""

from __future__ import annotations

from datetime import date, timedelta

from django.utils import timezone

from competitions.demo import catalog
from members.membership import (
    ApplicationInput,
    application_return,
    application_submit,
    applications_approve,
    card_issue,
    card_set_status,
)
from members.models import (
    CardStatus,
    Education,
    MembershipStatus,
    PoliticalStatus,
    SkillGrade,
    Unit,
    User,
    Worker,
)
from members.skills import CertificateInput, certificates_add
from members.validators import luhn_ok

# Forms of the demo depot in each state the office sees: waiting (待审批), returned with a reason (已退回),
# approved with a membership number (已批准). Dealt round-robin, so a small depot still has each state.
APPLICATION_STATES = ("submitted", "returned", "approved")
APPLICATIONS = 12
CERTIFICATE_WORKERS = 40
ISSUING_BODY = "北京铁路局职业技能鉴定中心"
RETURN_REASON = "身份证复印件不清晰，请重新上传后再提交。"


def card_number(serial: int) -> str:
    """A 19-digit card number with a valid Luhn check digit; the 6215 prefix keeps it apart from the
    workforce plan's card numbers (6214…)."""
    body = f"6215{serial:014d}"
    return next(body + digit for digit in "0123456789" if luhn_ok(body + digit))


def seed_union_office(*, demo_depot_code: str, skip_workers: set[int], today: date) -> tuple[list, dict[str, int]]:
    """Creates the union officer of the demo depot and its records; returns the officer's account row and
    counts for the seed's report. ``skip_workers``: the demo worker accounts, left as planned (members)."""
    from competitions.demo.seed import AccountRow

    depot = Unit.objects.get(code=demo_depot_code)
    officer = User(username=catalog.UNION_OFFICER.username, first_name=f"{depot.name}工会干部")
    officer.set_password(catalog.UNION_OFFICER.password)
    officer.save()
    officer.union_units.add(depot)
    clerk = User.objects.get(username=catalog.CLERK.username)
    admin = User.objects.get(username=catalog.ADMIN.username)
    # Dates no later than the real today: the services refuse a date in the future, and a seed may be
    # built for another day (tests pass --today).
    day = min(today, timezone.localdate())

    depot_workers = Worker.objects.filter(unit__path__startswith=depot.path).exclude(pk__in=skip_workers)
    # The newest hires (the highest employee numbers) are not members yet: the forms are theirs.
    applicants = list(depot_workers.select_related("job_type").order_by("-employee_no")[:APPLICATIONS])
    Worker.objects.filter(pk__in=[w.pk for w in applicants]).update(
        membership_status=MembershipStatus.NONE, member_card_no=None, joined_on=None)
    educations, political = list(Education.values), list(PoliticalStatus.values)
    forms = {state: [] for state in APPLICATION_STATES}
    for i, worker in enumerate(applicants):
        application = application_submit(actor=clerk, form=ApplicationInput(
            worker_id=worker.pk, name=worker.name, gender=worker.gender, id_number=worker.id_number,
            mobile=worker.mobile, education=educations[i % len(educations)],
            political_status=political[i % len(political)], job_title=worker.job_type.name,
            applied_on=day - timedelta(days=3 + i)))
        forms[APPLICATION_STATES[i % len(APPLICATION_STATES)]].append(application)
    for application in forms["returned"]:
        application_return(actor=officer, application_id=application.pk, reason=RETURN_REASON)
    approved = [a.worker_id for a in forms["approved"]]
    applications_approve(actor=officer, application_ids=[a.pk for a in forms["approved"]], joined_on=day)
    # Every new member gets a card (a member of the demo has a card number, as the planned ones do); the
    # first is also activated.
    cards = []
    for serial, worker_id in enumerate(approved, start=1):
        cards.append(card_issue(actor=admin, worker_id=worker_id, number=card_number(serial), issued_on=day))
    if cards:
        card_set_status(actor=admin, card_id=cards[0].pk, status=CardStatus.ACTIVE, on=day)

    # Certificates: the grade each worker already has, and for those above the first grade the one below
    # it some years earlier, so a worker's page shows a history and their grade follows the latest.
    certified = list(depot_workers.order_by("employee_no")
                     .values_list("pk", "employee_no", "skill_grade", "job_type_id")[:CERTIFICATE_WORKERS])
    rows = []
    for i, (worker_id, employee_no, grade, job_type_id) in enumerate(certified):
        assessed = day - timedelta(days=200 + 37 * i)
        if grade > SkillGrade.APPRENTICE:
            rows.append(CertificateInput(worker_id=worker_id, grade=grade - 1, job_type_id=job_type_id,
                                         certificate_no=f"JD{employee_no}-{grade - 1}", issuing_body=ISSUING_BODY,
                                         assessed_on=assessed - timedelta(days=3 * 365)))
        rows.append(CertificateInput(worker_id=worker_id, grade=grade, job_type_id=job_type_id,
                                     certificate_no=f"JD{employee_no}-{grade}", issuing_body=ISSUING_BODY,
                                     assessed_on=assessed))
    certificates = certificates_add(actor=admin, rows=rows)

    account = AccountRow(catalog.UNION_OFFICER.role, officer.username, catalog.UNION_OFFICER.password,
                         f"{depot.name}（{depot.code}）")
    return [account], {"入会申请": len(applicants), "互助服务卡": len(cards), "技能等级证书": certificates}
