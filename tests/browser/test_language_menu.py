"""The language switch on a phone: one small control beside the brand (not a row of buttons), the navigation on
a row of its own below, and switching works with scripts turned off."""

from __future__ import annotations

import pytest

from tests.browser.conftest import PHONE, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def box(page, selector: str) -> dict:
    return page.locator(selector).bounding_box()


def test_on_a_phone_the_language_switch_is_one_small_control_beside_the_brand(phone, shot, w):
    log_in(phone, w.alice.employee_no)
    phone.goto("/me/")
    switch, brand, nav = box(phone, "#language summary"), box(phone, "header .brand"), box(phone, "header nav")
    # One small control, on the brand's row, at the right; the options stay folded away.
    assert switch["width"] < 60 and switch["height"] < 40
    assert abs(switch["y"] - brand["y"]) < 12 and switch["x"] > PHONE["width"] / 2
    assert not phone.locator("#language button").first.is_visible()
    assert phone.locator("header select").count() == 0
    # The navigation takes a row of its own below, and nothing is wider than the phone.
    assert nav["y"] >= brand["y"] + brand["height"] - 1
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    shot(phone, "language-1-phone-closed")

    # Opened: the choices drop over the page; the current one is marked.
    phone.click("#language summary")
    assert phone.locator("#language button[value=en]").is_visible()
    assert phone.locator("#language button[aria-current]").get_attribute("value") == "zh-hans"
    shot(phone, "language-2-phone-open")
    with phone.expect_navigation():
        phone.click("#language button[value=en]")
    assert phone.url.endswith("/me/")  # back on the same page, now in English
    assert phone.locator("html").get_attribute("lang") == "en"
    assert phone.locator("#language summary").inner_text().strip() == "EN"
    assert "Total points" in phone.content()


def test_the_language_switch_works_without_scripts(browser, live_server, w):
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, java_script_enabled=False,
                                  base_url=live_server.url)
    page = context.new_page()
    page.goto("/login/")
    page.click("#language summary")
    with page.expect_navigation():
        page.click("#language button[value=en]")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.url.endswith("/login/")
    context.close()
