"""The message centre and the navigation's unread badge in headless Chromium, on a phone and a desktop."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from members import notifications
from members.models import NotificationKind
from reviews import workflow
from reviews.models import EntryStatus, WorkEntry
from reviews.services import entry_create
from tests.browser.conftest import log_in, watch_csp

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def reject_two(w):
    day = timezone.localdate() - timedelta(days=1)
    ids = [entry_create(actor=w.clerk, competition=w.comp, worker_id=worker.pk, rule_id=w.km.pk, work_date=day,
                        quantity="10").pk for worker in (w.alice, w.bob)]
    workflow.entries_transition(actor=w.reviewer, entries=WorkEntry.objects.filter(pk__in=ids),
                                to_status=EntryStatus.REJECTED, reason="公里数有误")


def test_a_clerk_on_a_phone_sees_the_badge_reads_a_message_and_follows_its_link(phone, w, shot):
    # given a rejection of two of the clerk's entries, and a message of another kind
    reject_two(w)
    notifications.notify(recipient_ids=[w.clerk.pk], kind=NotificationKind.SIGN_OFF_DUE,
                         facts={"month": "2026-11-01", "system": "另一条消息", "competition": "竞赛"})

    log_in(phone, "clerk")
    badge = phone.locator("#unread-badge")
    assert badge.inner_text() == "2"
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    shot(phone, "messages-1-badge-phone")

    # opens the message centre from the navigation
    phone.click("header.top nav a[href='/messages/']")
    phone.wait_for_url("**/messages/")
    cards = phone.locator("li.notification")
    assert cards.count() == 2
    assert phone.locator("li.notification.unread").count() == 2
    assert "您录入的 2 条被驳回" in phone.locator("li.notification").nth(1).inner_text()
    assert "驳回原因：公里数有误" in phone.locator("li.notification").nth(1).inner_text()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390  # nothing wider than the phone
    shot(phone, "messages-2-centre-phone")

    # marks the newest read: the badge drops to 1
    phone.locator("li.notification").first.get_by_role("button", name="标为已读").click()
    phone.wait_for_load_state()
    assert phone.locator("#unread-badge").inner_text() == "1"
    assert phone.locator("li.notification.unread").count() == 1

    # follows the rejection's link to the rejected entries
    phone.locator("li.notification.unread").get_by_role("link", name="查看").click()
    phone.wait_for_load_state()
    assert "status=rejected" in phone.url


def test_a_worker_on_a_desktop_marks_all_read_and_opts_in_to_the_digest(browser, live_server, w, shot):
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN", base_url=live_server.url)
    context.set_default_timeout(15_000)
    page = context.new_page()
    violations = watch_csp(page)
    for i in range(3):
        notifications.notify(recipient_ids=[w.alice_user.pk], kind=NotificationKind.PUBLIC_NOTICE,
                             facts={"round": f"公示{i}", "end": "2026-12-31"}, link="/honours/")
    try:
        log_in(page, w.alice.employee_no)
        assert page.locator("#unread-badge").inner_text() == "3"
        page.goto("/messages/")
        shot(page, "messages-3-centre-desktop")
        page.click("#read-all")
        page.wait_for_load_state()
        assert page.locator("#unread-badge").count() == 0
        assert page.locator("li.notification.unread").count() == 0
        assert "已将 3 条消息标为已读。" in page.locator("ul.messages").inner_text()

        page.check("#digest-settings input[name=weekly_digest]")
        page.click("#digest-settings button[type=submit]")
        page.wait_for_load_state()
        assert page.locator("#digest-settings input[name=weekly_digest]").is_checked()
        assert notifications.weekly_digest_wanted(w.alice_user)
    finally:
        context.close()
    assert violations == []
