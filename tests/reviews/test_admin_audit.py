"""Audit and period admins: read-only trails, constant query counts."""

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from reviews.models import EntryAction, EntryEvent, PeriodAction, PeriodEvent, ReviewPeriod, WorkEntry

pytestmark = pytest.mark.django_db


def _queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_entry_event_changelist_queries_do_not_grow_with_rows(admin_client, f):
    system = f.business_system()
    job = f.job_type(system)
    comp = f.competition()
    rule = f.rule(comp, job)
    worker = f.worker(job_type_=job)
    staff = f.staff_user()

    def add_events(n, start):
        for day in range(start, start + n):
            entry = WorkEntry.objects.create(
                competition=comp, worker=worker, rule=rule, work_date=date(2026, 1, day), quantity=Decimal(1),
                points=Decimal(1), unit=worker.unit, job_type=job, business_system=system,
            )
            EntryEvent.objects.create(entry=entry, action=EntryAction.CREATED, actor=staff, at=timezone.now())

    url = reverse("admin:reviews_entryevent_changelist")
    add_events(5, 1)
    few = _queries(admin_client, url)
    add_events(20, 6)

    assert _queries(admin_client, url) == few


def test_signed_off_period_shows_its_audit_trail_read_only(admin_client, f):
    period = ReviewPeriod.objects.create(competition=f.competition(), business_system=f.business_system(),
                                         month=date(2026, 3, 1), status="signed_off")
    PeriodEvent.objects.create(period=period, action=PeriodAction.SIGNED_OFF, at=timezone.now(), entries=12,
                               reason="月度签发")
    url = reverse("admin:reviews_reviewperiod_change", args=[period.pk])

    page = admin_client.get(url)
    admin_client.post(url, {"status": "open", "events-TOTAL_FORMS": "0", "events-INITIAL_FORMS": "1"})

    assert page.status_code == 200
    assert "月度签发" in page.content.decode()
    period.refresh_from_db()
    assert period.status == "signed_off"  # status moves only through the period services
    assert admin_client.post(reverse("admin:reviews_reviewperiod_delete", args=[period.pk]),
                             {"post": "yes"}).status_code == 403


def test_staff_cannot_add_a_review_month_by_hand(admin_client, f):
    comp = f.competition(start=date(2026, 1, 1), end=date(2026, 12, 31))

    # A month outside the competition, and a "month" that is not a first day, were both offered a form.
    for month in ("2030-01-01", "2026-03-15"):
        response = admin_client.post(reverse("admin:reviews_reviewperiod_add"), {
            "competition": comp.pk, "business_system": f.business_system().pk, "month": month,
            "events-TOTAL_FORMS": "0", "events-INITIAL_FORMS": "0"})
        assert response.status_code == 403
    assert not ReviewPeriod.objects.exists()


@pytest.mark.django_db
def test_union_staff_reopen_a_signed_off_month_from_the_admin_with_a_reason(client, w, today):
    from datetime import timedelta

    from reviews.models import PeriodStatus, ReviewPeriod
    from reviews.services import entry_create
    from reviews.workflow import entries_transition, period_sign_off

    month = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
    entry_create(actor=w.clerk, competition=w.comp, worker_id=w.alice.pk, rule_id=w.km.pk, work_date=month,
                 quantity="1")
    entries_transition(actor=w.reviewer, entries=WorkEntry.objects.all(), to_status="approved")
    period = period_sign_off(actor=w.reviewer, competition=w.comp, business_system=w.system, month=month)
    w.staff.is_superuser = True
    w.staff.save()
    client.force_login(w.staff)
    url = reverse("admin:reviews_reviewperiod_reopen", args=[period.pk])
    assert "解锁原因" in client.get(url).content.decode()
    client.post(url, {"reason": ""})
    assert ReviewPeriod.objects.get().status == PeriodStatus.SIGNED_OFF
    # a reason PostgreSQL cannot store (a NUL character) is refused (the admin's gate: a 400), not a 500
    assert client.post(url, {"reason": "补录\x00"}).status_code == 400
    assert ReviewPeriod.objects.get().status == PeriodStatus.SIGNED_OFF
    # a reason longer than the record keeps is refused with a message, not a 500
    response = client.post(url, {"reason": "补" * 201})
    assert response.status_code == 200 and "原因最多 200 个字" in response.content.decode()
    assert ReviewPeriod.objects.get().status == PeriodStatus.SIGNED_OFF
    client.post(url, {"reason": "补录台账"})
    assert ReviewPeriod.objects.get().status == PeriodStatus.OPEN
    assert WorkEntry.objects.get().status == "approved"
    assert PeriodEvent.objects.filter(action="reopened", reason="补录台账", actor=w.staff).exists()


@pytest.fixture
def dispute(w, today):
    from reviews.services import dispute_open, entry_create

    entry = entry_create(actor=w.clerk, competition=w.comp, worker_id=w.alice.pk, rule_id=w.km.pk,
                         work_date=today, quantity=100)
    return dispute_open(actor=w.alice_user, work_date=None, comment="数量不对", entry_id=entry.pk)


def test_staff_answer_a_dispute_in_the_admin_as_the_clerk_does(admin_client, w, dispute):
    from members.models import Notification
    from reviews.models import Dispute

    url = reverse("admin:reviews_dispute_change", args=[dispute.pk])
    # An answer of a zero-width space is no answer.
    refused = admin_client.post(url, {"status": "answered", "response": "\u200b"})
    assert "请填写处理意见。" in refused.content.decode()
    assert Dispute.objects.get().status == "open"

    admin_client.post(url, {"status": "answered", "response": " 已核实 "})
    # Answered through the service: the answer kept as read, who answered, and the worker told.
    answered = Dispute.objects.get()
    assert (answered.status, answered.response, answered.responded_by.is_superuser) == ("answered", "已核实", True)
    assert Notification.objects.filter(recipient=w.alice_user, kind="dispute_answered").count() == 1

    # Closed: neither rewritten nor reopened (the admin used to save both).
    admin_client.post(url, {"status": "open", "response": "改了"})
    admin_client.post(url, {"status": "corrected", "response": "改了"})
    assert Dispute.objects.values_list("status", "response").get() == ("answered", "已核实")
