"""End to end in headless Chromium: union staff take an award round from its definition to the final list and
its documents, through the pages only (the objection is raised the way a worker's page raises it)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from competitions import tasks
from competitions.honours import services
from competitions.honours.models import AwardRound, Nominee, NomineeStatus, RoundStatus
from tests.browser.conftest import log_in, watch_csp
from tests.competitions.test_honours_pages import basis, drivers  # noqa: F401 - the same data as the page tests

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def desk(browser, live_server, monkeypatch, settings, tmp_path):
    """A desktop-sized page in Chinese; the pages' Celery tasks run in the server's thread after commit."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    for task in (tasks.honours_shortlist_task, tasks.honours_documents_task):
        monkeypatch.setattr(task, "delay", lambda *a, _task=task, **kw: _task.apply(args=a, kwargs=kw))
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN",
                                  base_url=live_server.url, accept_downloads=True)
    context.set_default_timeout(15_000)
    page = context.new_page()
    violations = watch_csp(page)
    page.on("dialog", lambda dialog: dialog.accept())  # data-confirm questions
    yield page
    context.close()
    assert violations == [], "the Content-Security-Policy refused something a page needs"


def test_staff_define_shortlist_adjust_publish_answer_and_finalize_a_round(desk, shot, w, drivers):  # noqa: F811
    start, end = basis(w)
    log_in(desk, "staff")
    desk.goto("/staff/honours/")
    desk.click("#new-round")
    desk.fill("#id_name", "2025年度先进个人")
    desk.fill("#id_basis_start", start.isoformat())
    desk.fill("#id_basis_end", end.isoformat())
    desk.fill("#id_quota_total", "2")
    desk.uncheck("#id_signed_off_only")  # none of the data's months is signed off
    shot(desk, "honours-1-new-round")
    desk.click("#save-round")
    desk.wait_for_load_state()
    assert "评选已创建" in desk.inner_text(".messages")

    desk.click("#generate-shortlist")
    desk.wait_for_load_state()
    shot(desk, "honours-2-shortlist-requested")
    desk.wait_for_selector("tr.quota-line")
    shot(desk, "honours-2-shortlist")
    assert "周4平" in desk.inner_text("table.nominees") and "周3平" in desk.inner_text("table.nominees")
    award_round = AwardRound.objects.get()
    assert award_round.snapshot_digest in desk.inner_text("#snapshot-cite")

    # The committee removes 周3平 with a reason.
    second = Nominee.objects.get(round=award_round, name="周3平")
    row = desk.locator(f"#nominee-{second.pk}")
    row.locator("details.remove summary").click()
    row.locator("textarea").fill("安全考核不合格")
    row.locator("button.danger").click()
    desk.wait_for_load_state()
    assert Nominee.objects.get(pk=second.pk).status == NomineeStatus.REMOVED

    desk.click("#propose")
    desk.wait_for_load_state()
    desk.fill("#publish-days", "3")
    desk.click("#publish")
    desk.wait_for_load_state()
    assert AwardRound.objects.get().status == RoundStatus.PUBLICIZED

    first = Nominee.objects.get(round=award_round, name="周4平")
    objection = services.raise_objection(user=w.alice_user, nominee=first, reason="积分有误")
    desk.reload()
    form = desk.locator(f"#objection-{objection.pk}")
    form.locator("input[value=no]").check()
    form.locator("textarea").fill("经核对录入，积分无误")
    form.locator("button.primary").click()
    desk.wait_for_load_state()
    assert "异议不成立" in desk.inner_text(f"#objection-{objection.pk}")

    past = timezone.now() - timedelta(days=1)
    AwardRound.objects.filter(pk=award_round.pk).update(publicity_start=past - timedelta(days=3), publicity_end=past)
    desk.reload()
    desk.click("#finalize")
    desk.wait_for_load_state()
    desk.wait_for_selector("#download-certificates")
    shot(desk, "honours-3-final")
    with desk.expect_download() as download:
        desk.click("#download-certificates")
    assert download.value.suggested_filename.endswith(".pdf")
    assert Nominee.objects.filter(round=award_round, status=NomineeStatus.FINAL).count() == 1


def test_the_round_form_fits_a_phone_and_its_card(browser, live_server, w):
    # given union staff on a phone (390 px), and on a desktop, opening a new award round's form
    from tests.browser.conftest import DESKTOP, PHONE, watched_page

    for viewport in (PHONE, DESKTOP):
        pages = watched_page(browser, live_server, viewport=viewport)
        page = next(pages)
        log_in(page, "staff")
        page.goto("/staff/honours/")
        page.click("#new-round")
        page.wait_for_load_state()
        # then nothing is wider than the screen, and every fieldset stays inside the form's card: the tie
        # rule's select, with its long option, stretched its fieldset (a fieldset is as wide as its widest
        # control) to 873 px on a phone, and past the card's edge on a desktop
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
        card = page.locator("#round-form").bounding_box()
        for box in (f.bounding_box() for f in page.locator("#round-form fieldset").all()):
            assert box["x"] + box["width"] <= card["x"] + card["width"], viewport
        next(pages, None)  # closes the context and checks the Content-Security-Policy
