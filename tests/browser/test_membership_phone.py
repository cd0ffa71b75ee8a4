"""A worker applies to join the union on a phone, sees the form returned with its reason, corrects it, and
sees the approval, the membership number and their card."""

from __future__ import annotations

import pytest

from members import membership as services
from members.models import ApplicationStatus, MembershipApplication
from tests.browser.conftest import log_in
from tests.members.membership_data import card_number, gender_of

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_worker_applies_on_a_phone_and_sees_the_result(phone, shot, w, f):
    officer = f.user(username="officer")
    officer.union_units.set([w.depot])
    log_in(phone, w.alice.employee_no)
    phone.click("text=我的会籍")
    phone.wait_for_load_state()
    assert phone.url.endswith("/me/membership/")
    assert "未入会" in phone.locator("#membership-status").inner_text()
    # A phone first: the form fits the screen.
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    shot(phone, "membership-1-form")

    # given a mistyped phone number, the page says which field and saves nothing
    phone.select_option("#id_gender", gender_of(w.alice))
    phone.fill("#id_id_number", w.alice.id_number)
    phone.fill("#id_mobile", "1380013800")
    phone.select_option("#id_education", "college")
    phone.select_option("#id_political_status", "masses")
    phone.click("#apply-form button[type=submit]")
    phone.wait_for_load_state()
    assert "手机号应为以1开头的11位数字" in phone.locator("#apply-form").inner_text()
    assert not MembershipApplication.objects.exists()

    # when corrected, the application is submitted and waits
    phone.fill("#id_id_number", w.alice.id_number)
    phone.fill("#id_mobile", "13800138000")
    phone.click("#apply-form button[type=submit]")
    phone.wait_for_load_state()
    assert "已提交" in phone.locator(".messages").inner_text()
    assert phone.locator("#application-status").inner_text() == "待审批"
    application = MembershipApplication.objects.get(worker=w.alice)

    # the union officer returns it with a reason; she sees the reason and submits it again
    services.application_return(actor=officer, application_id=application.pk, reason="请填写职务")
    phone.reload()
    assert phone.locator("#application-status").inner_text() == "已退回"
    assert "请填写职务" in phone.locator("#application-reason").inner_text()
    shot(phone, "membership-2-returned")
    phone.fill("#id_id_number", w.alice.id_number)
    phone.fill("#id_job_title", "电力机车司机")
    phone.click("#apply-form button[type=submit]")
    phone.wait_for_load_state()
    assert phone.locator("#application-status").inner_text() == "待审批"

    # then it is approved and a card issued: she sees her number, the date and her whole card number
    services.application_approve(actor=officer, application_id=application.pk)
    number = card_number(11)
    services.card_issue(actor=w.staff, worker_id=w.alice.pk, number=number)
    phone.reload()
    application.refresh_from_db()
    assert application.status == ApplicationStatus.APPROVED
    assert phone.locator("#membership-no").inner_text() == application.membership_no
    assert "会员" in phone.locator("#membership-status").inner_text()
    assert number in phone.locator("#my-card").inner_text()
    assert phone.locator("#apply-form").count() == 0
    assert w.alice.id_number not in phone.content()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    shot(phone, "membership-3-member")
