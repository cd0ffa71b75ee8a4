"""End to end in headless Chromium on a 375 px phone: a worker reads the 公示 list, raises an objection, sees
it pending; staff answer it; the worker reads the answer."""

from __future__ import annotations

import pytest

from competitions.honours import services
from competitions.honours.models import Objection
from tests.browser.conftest import log_in
from tests.competitions import honours_public_data

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SMALL_PHONE = {"width": 375, "height": 740}


@pytest.fixture
def small_phone(phone):
    """The portal's phone page (Chinese, touch, the CSP watched), on a smaller phone."""
    phone.set_viewport_size(SMALL_PHONE)
    return phone


def fits(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= SMALL_PHONE["width"]


def test_a_worker_objects_to_a_nominee_on_a_phone_and_reads_the_answer(small_phone, shot, w, f):
    h = honours_public_data.build(w, f)
    phone = small_phone

    # The worker opens 公示 from the nav and the list in 公示 from there.
    log_in(phone, w.alice.employee_no)
    phone.click("header nav >> text=公示")
    phone.wait_for_load_state()
    assert phone.url.endswith("/honours/")
    card = phone.locator(f"#round-{h.publicized.pk}")
    assert "公示中" in card.inner_text() and "还剩 7 天" in card.inner_text()
    fits(phone)
    shot(phone, "honours-1-lists")
    card.click()
    phone.wait_for_load_state()
    assert honours_public_data.DIGEST in phone.locator("#digest").inner_text()
    bob = phone.locator(f"#nominee-{h.bob_on.pk}")
    assert "李四" in bob.inner_text() and w.bob.employee_no in bob.inner_text()
    fits(phone)
    shot(phone, "honours-2-list-in-publicity")

    # Raises an objection against bob: an empty reason is not sent (required), then a real one is.
    bob.locator("summary").click()
    bob.locator("button[type=submit]").click()
    assert not Objection.objects.exists() and bob.locator("textarea[name=reason]").is_visible()
    bob.locator("textarea[name=reason]").fill("李四三月有一次安全扣分，请核实。")
    fits(phone)
    shot(phone, "honours-3-objection-form")
    bob.locator("button[type=submit]").click()
    phone.wait_for_load_state()
    assert "异议已提交" in phone.locator(".messages").inner_text()
    assert "等待答复" in phone.locator(f"#nominee-{h.bob_on.pk}").inner_text()
    objection = Objection.objects.get()
    assert objection.nominee_id == h.bob_on.pk and objection.raised_by_id == w.alice_user.pk

    # "My objections": pending.
    phone.goto("/honours/objections/")
    assert "待答复" in phone.locator(f"#objection-{objection.pk}").inner_text()
    fits(phone)

    # Staff answer it; the worker reads the answer.
    services.answer_objection(actor=w.staff, objection=objection, upheld=False, answer="经核实，该扣分已撤销，异议不成立。")
    phone.reload()
    answered = phone.locator(f"#objection-{objection.pk}").inner_text()
    assert "异议不成立" in answered and "该扣分已撤销" in answered
    fits(phone)
    shot(phone, "honours-4-answer")

    # "My honours": alice is on the list in 公示 and was honoured on the final one.
    phone.goto("/honours/mine/")
    assert "已获表彰" in phone.locator(f"#honour-{h.alice_final.pk}").inner_text()
    assert phone.locator(f"#honour-{h.alice_on.pk}").is_visible()
    fits(phone)
    shot(phone, "honours-5-my-honours")
