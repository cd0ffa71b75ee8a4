"""Under the Content-Security-Policy, in a real browser: the portal's own behaviours (bound by portal.js), the
Django admin's widgets and the API docs still work, and no page reports a violation (the ``phone`` fixture
fails a test on any)."""

from __future__ import annotations

import pytest

from reviews.models import EntryStatus, WorkEntry
from reviews.services import entry_create
from tests.browser.conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_reviewer_ticks_every_row_at_once_and_approve_all_asks_first(phone, w, today):
    for worker, quantity in ((w.alice, 300), (w.bob, 400)):
        entry_create(actor=w.clerk, competition=w.comp, worker_id=worker.pk, rule_id=w.km.pk, work_date=today,
                     quantity=quantity)
    log_in(phone, "reviewer")
    phone.goto(f"/review/?system={w.system.pk}&month={today:%Y-%m}")
    # The header checkbox ticks every row (portal.js: data-check-all).
    phone.check("input[data-check-all]")
    assert phone.locator("input[name=entry]:checked").count() == 2
    phone.uncheck("input[data-check-all]")
    assert phone.locator("input[name=entry]:checked").count() == 0
    # "Approve all" asks first; saying no sends nothing (portal.js: data-confirm).
    asked = []

    def dismiss(dialog):
        asked.append(dialog.message)
        dialog.dismiss()

    phone.once("dialog", dismiss)
    phone.click("button[value=approve_all]")
    phone.wait_for_timeout(300)
    assert asked == ["通过当前筛选条件下的全部录入？"]
    assert set(WorkEntry.objects.values_list("status", flat=True)) == {EntryStatus.PENDING}


def test_the_language_switch_submits_itself(phone, w):
    phone.goto("/login/")
    phone.click("#language summary")
    with phone.expect_navigation():
        phone.click("#language button[value=en]")
    assert phone.locator("html").get_attribute("lang") == "en"


def test_union_staff_use_the_admins_widgets(phone, w):
    w.staff.is_superuser = True
    w.staff.save()
    phone.goto("/admin/login/")
    phone.fill("#id_username", "staff")
    phone.fill("#id_password", "pass-1234-word")
    phone.click("input[type=submit]")
    phone.wait_for_load_state()
    assert "/admin/login/" not in phone.url
    phone.goto("/admin/members/user/")
    # actions.js: the "select all" box ticks every row's box
    phone.check("#action-toggle")
    assert phone.locator("input.action-select:checked").count() == phone.locator("input.action-select").count() > 0
    # SelectFilter2.js turns the reviewer systems' multiple select into the two-box chooser
    phone.goto(f"/admin/members/user/{w.reviewer.pk}/change/")
    assert phone.locator("#id_reviewer_systems_from").count() == 1
    # the autocomplete widget (select2) for the clerk's units
    assert phone.locator(".select2-container").count() >= 1


def test_the_api_docs_render_from_our_own_files(phone, w):
    phone.goto("/api/v1/docs/")
    phone.wait_for_selector(".opblock-summary-path", timeout=20_000)
    paths = phone.locator(".opblock-summary-path").all_inner_texts()
    assert any("/api/v1/auth/password/" in p.replace("\u200b", "") for p in paths)
    phone.goto("/api/v1/redoc/")
    phone.wait_for_selector("h1", timeout=20_000)
    assert "劳动竞赛门户 API" in phone.locator("h1").first.inner_text()
