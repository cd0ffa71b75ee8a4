"""End to end in headless Chromium: the staff dashboard's charts on a desktop and a phone, and the worker's
chart on "my page" showing its values on hover (desktop) and on a tap (phone)."""

from __future__ import annotations

import re

import pytest
from django.utils import timezone

from competitions.dashboard import dashboard_refresh
from competitions.models import Standing
from tests.browser.conftest import DESKTOP, log_in
from tests.competitions import portal_data

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def script_errors(page) -> list[str]:
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    return errors


@pytest.fixture
def ranked(w):
    portal_data.add_drivers(w, 3)
    portal_data.build(w)
    dashboard_refresh(competition=w.comp, today=timezone.localdate())
    return w


def charts_drawn(page) -> int:
    # Locators, not wait_for_function: a predicate given as text is evaluated with eval(), which the
    # portal's Content-Security-Policy refuses.
    page.locator(".chart-box canvas").nth(2).wait_for()
    return page.locator(".chart-box.drawn").count()


def test_staff_see_the_dashboards_charts_drawn_on_a_desktop_and_a_phone(desk, phone, shot, ranked):
    for page, name in ((desk, "desktop"), (phone, "phone")):
        errors = script_errors(page)
        log_in(page, "staff")
        page.goto("/staff/dashboard/")
        assert charts_drawn(page) == 3
        assert page.locator("#top").inner_text().count("周") >= 3  # the drivers lead 机务
        width = DESKTOP["width"] if page is desk else 390
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        shot(page, f"dashboard-{name}")
        assert errors == []
    # The admin index links the page.
    ranked.staff.is_superuser = True
    ranked.staff.save()
    desk.goto("/admin/")
    desk.click("#dashboard-link a")
    desk.wait_for_load_state()
    assert desk.url.endswith("/staff/dashboard/")


def tooltip_after(page, action) -> str:
    action()
    tip = page.locator(".chart-tip")
    tip.wait_for(state="visible")
    return tip.inner_text()


def test_my_chart_shows_the_days_points_and_rank_on_hover_and_on_a_tap(desk, phone, shot, ranked):
    d3, d2, d1 = portal_data.days()
    for page, name in ((desk, "desktop"), (phone, "phone")):
        errors = script_errors(page)
        log_in(page, ranked.alice.employee_no)
        assert page.url.endswith("/me/")
        # Before a touch: the server's picture, and no chart library fetched.
        assert page.locator("svg#trend").is_visible()
        assert page.evaluate("typeof window.echarts") == "undefined"
        box = page.locator("#trend-box")
        if page is phone:
            text = tooltip_after(page, lambda: box.tap())
        else:
            text = tooltip_after(page, lambda: box.hover())
        # The day shown, with alice's points and overall rank of that day.
        shown = next(day for day in (d3, d2, d1) if day.isoformat() in text)
        standing = Standing.objects.get(competition_id=ranked.comp.pk, day=shown, worker_id=ranked.alice.pk)
        # Points with the three decimals shown everywhere (12.500, not 12.5); the rank with none.
        points = f"{standing.points:,.3f}"
        assert re.search(rf"累计积分\s*{re.escape(points)}(?![\d.])", text) and re.search(rf"总名次\s*{standing.rank_overall}\b", text), text
        assert page.locator("#trend-box canvas").count() == 1 and not page.locator("svg#trend").is_visible()
        shot(page, f"me-chart-tooltip-{name}")
        if page is desk:
            # Moving along the line shows the other days.
            area = page.locator("#trend-box .echart").bounding_box()
            page.mouse.move(area["x"] + area["width"] * 0.8, area["y"] + area["height"] / 2)  # nearest: the last day
            page.locator(".chart-tip").filter(has_text=d1.isoformat()).wait_for(state="visible")
        assert errors == []
