"""A clerk's input in headless Chromium, on a phone and on a desktop: the grid keeps what was typed after an
error and shows the error on its row; the single-entry form shows the worker as the 工号 is typed and keeps
only their job type's metrics."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from reviews.models import WorkEntry
from tests.browser.conftest import PHONE, log_in, watch_csp

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DESKTOP = {"width": 1280, "height": 800}


@pytest.fixture(params=["phone", "desktop"])
def screen(request, browser, live_server):
    size = PHONE if request.param == "phone" else DESKTOP
    context = browser.new_context(viewport=size, is_mobile=request.param == "phone",
                                  has_touch=request.param == "phone", locale="zh-CN", base_url=live_server.url)
    context.set_default_timeout(15_000)
    tab = context.new_page()
    tab.size = request.param
    violations = watch_csp(tab)
    yield tab
    context.close()
    assert violations == [], "the Content-Security-Policy refused something a page needs"


def test_the_grid_keeps_every_typed_value_after_an_error_and_saves_once_corrected(screen, shot, w, today):
    log_in(screen, "clerk")
    screen.goto(f"/entries/grid/?mode=day&rule={w.km.pk}&date={today.isoformat()}")
    alice, bob = f"{w.alice.name} {today:%m-%d}", f"{w.bob.name} {today:%m-%d}"
    screen.get_by_label(f"工作量 {alice}").fill("320")
    screen.get_by_label(f"说明 {alice}").fill("早班")
    screen.get_by_label(f"工作量 {bob}").fill("4l0")  # a letter for a digit
    screen.get_by_label(f"说明 {bob}").fill("夜班")
    screen.click("text=全部保存")
    screen.wait_for_load_state()
    # nothing saved; every value still in its input; the error beside bob's input, on bob's row
    assert not WorkEntry.objects.exists()
    assert screen.get_by_label(f"工作量 {alice}").input_value() == "320"
    assert screen.get_by_label(f"说明 {alice}").input_value() == "早班"
    assert screen.get_by_label(f"工作量 {bob}").input_value() == "4l0"
    assert screen.get_by_label(f"说明 {bob}").input_value() == "夜班"
    bob_row = screen.locator("tr.invalid")
    assert bob_row.count() == 1 and w.bob.name in bob_row.inner_text()
    assert "工作量必须是数字" in bob_row.locator(".errors").inner_text()
    assert bob_row.locator(".errors").is_visible()
    assert "第 1 行" in screen.locator(".messages").inner_text()
    if screen.size == "phone":
        assert screen.evaluate("document.documentElement.scrollWidth") <= PHONE["width"] + 1
    shot(screen, f"clerk-grid-error-{screen.size}")
    # corrected, the batch saves
    screen.get_by_label(f"工作量 {bob}").fill("410")
    screen.click("text=全部保存")
    screen.wait_for_load_state()
    assert "已保存 2 条录入" in screen.locator(".messages").inner_text()
    assert sorted(WorkEntry.objects.values_list("quantity", "note")) == [(320, "早班"), (410, "夜班")]


def test_the_single_entry_form_shows_the_worker_and_their_metrics_as_the_number_is_typed(screen, shot, f, w, today):
    f.worker(w.depot, w.track)  # the clerk's list has 线路养护 too, until a driver is chosen
    log_in(screen, "clerk")
    screen.goto("/entries/new/")
    options = screen.locator("#rule option:not([hidden])")
    assert options.count() == 3
    screen.fill("#worker", w.alice.employee_no)
    expect(screen.locator("#worker-info")).to_contain_text(w.alice.name)  # (the page's CSP allows no eval)
    assert screen.locator("#worker-info").inner_text() == f"{w.alice.name} · {w.workshop.name} · {w.driver.name}"
    assert sorted(options.all_inner_texts()) == sorted(
        [f"{w.driver.name} · 安全走行公里（公里）", f"{w.driver.name} · 值乘趟数（趟）"])
    screen.fill("#worker", w.carol.employee_no)  # another unit's worker
    expect(screen.locator("#worker-info")).to_contain_text("不属于您负责的单位")
    shot(screen, f"clerk-entry-lookup-{screen.size}")
    # saved with an error: the message beside its field, the typed values kept
    screen.fill("#worker", w.alice.employee_no)
    expect(screen.locator("#worker-info")).to_contain_text(w.alice.name)
    screen.select_option("#rule", str(w.trips.pk))
    screen.fill("#work_date", today.isoformat())
    screen.fill("#quantity", "9")  # over the cap of 6 trips
    screen.click("button.primary")
    screen.wait_for_load_state()
    assert "超过该指标每日上限" in screen.locator("#quantity-errors").inner_text()
    assert screen.locator("#quantity").input_value() == "9"
    assert not WorkEntry.objects.exists()


def test_the_clerks_tabs_fit_a_phone_in_english_too(browser, live_server, shot, w):
    # given a clerk on a phone who reads the portal in English (its labels are longer than the Chinese)
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, locale="en-US",
                                  base_url=live_server.url)
    context.add_cookies([{"name": "django_language", "value": "en", "url": live_server.url}])
    tab = context.new_page()
    log_in(tab, "clerk")
    for url in ("/entries/", "/entries/new/"):
        # when the clerk opens the entry pages
        tab.goto(url)
        # then the row of tabs wraps instead of pushing the page wider than the phone
        assert "Batch grid" in tab.content()
        assert tab.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], url
    shot(tab, "clerk-tabs-phone-english")
    context.close()
