"""End to end in headless Chromium: union staff in the standings workspace, on a desktop screen."""

from __future__ import annotations

import io

import openpyxl
import pytest

from competitions import jobs, tasks
from competitions.models import Job, PeriodSnapshot
from competitions.standings import periods
from tests.browser.conftest import log_in
from tests.competitions import portal_data

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_staff_rank_filter_export_with_progress_and_compute_a_period_with_its_collective_tables(
        desk, shot, w, monkeypatch, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    portal_data.add_drivers(w, 3)
    portal_data.build(w)
    # The queue holds the work until the test plays the Celery worker, so the pages' progress shows.
    monkeypatch.setattr(tasks.run_job, "delay", lambda *a, **kw: None)
    monkeypatch.setattr(tasks.period_snapshot_task, "delay", lambda *a, **kw: None)

    # The workspace is in the staff's navigation (signing in lands them in the admin, as before).
    log_in(desk, "staff")
    desk.goto("/staff/standings/jobs/")
    desk.click("header nav >> text=排名工作台")
    desk.wait_for_load_state()
    assert desk.locator("#standings tbody tr").count() == 6  # three drivers, alice, bob, carol
    assert "张三明" in desk.locator("#standings").inner_text()

    # Filters: the depot of carol's track workers.
    desk.select_option("#f-depot", label="北京工务段")
    desk.click("form.inline button.primary")
    desk.wait_for_load_state()
    assert desk.locator("#standings tbody tr").count() == 1 and "王五" in desk.locator("#standings").inner_text()
    shot(desk, "staff-1-day-ranking-filtered")

    # Export: the job page follows the progress, then offers the file.
    desk.select_option("#f-depot", value="")
    desk.click("form.inline button.primary")
    desk.wait_for_load_state()
    desk.click("text=导出 Excel（全部行）")
    desk.wait_for_load_state()
    assert "排队中" in desk.locator("#job-status").inner_text()
    jobs.job_run(job_id=Job.objects.get().pk)  # the worker runs it while the page polls
    desk.wait_for_selector("#download", timeout=10_000)
    shot(desk, "staff-2-export-ready")
    with desk.expect_download() as caught:
        desk.click("#download")
    download = caught.value
    assert download.suggested_filename.endswith(".xlsx") and "每日排名" in download.suggested_filename
    book = openpyxl.load_workbook(io.BytesIO(open(download.path(), "rb").read()))
    assert book["排名"].max_row == 1 + 6

    # A period: submitted, computed in the background, then shown with its collective tables (the job's page
    # is everyone's /jobs/: back to the workspace through the navigation).
    desk.click("header nav >> text=排名工作台")
    desk.wait_for_load_state()
    desk.click("text=时段排名")
    desk.wait_for_load_state()
    desk.select_option("#f-preset", value="all")
    desk.click("#period-form button.primary")
    desk.wait_for_load_state()
    assert "正在计算" in desk.locator("#snapshot-status").inner_text()
    periods.period_snapshot_fill(snapshot=PeriodSnapshot.objects.get())
    desk.wait_for_selector("#standings", timeout=10_000)
    assert "按 " in desk.locator("#as-of").inner_text()
    desk.click("text=先进集体：站段")
    desk.wait_for_load_state()
    assert "北京机务段" in desk.locator("#units").inner_text()
    shot(desk, "staff-3-period-depots")

    # The printable page prints (the button is bound by the workspace's script, not inline).
    desk.click("text=打印版")
    desk.wait_for_load_state()
    assert desk.locator("button[data-print]").is_visible()
    assert "先进集体：站段" in desk.locator("header.sheet-head").inner_text()


def test_the_period_page_fits_a_phone_in_english(browser, live_server, w):
    # given union staff reading in English on a 390 px phone
    from tests.browser.conftest import PHONE, watched_page

    pages = watched_page(browser, live_server, viewport=PHONE, is_mobile=True, has_touch=True)
    page = next(pages)
    log_in(page, "staff")
    page.context.add_cookies([{"name": "django_language", "value": "en", "url": live_server.url}])
    # when they open the period standings
    page.goto("/staff/standings/periods/")
    # then the period menu, whose options read "This month (2026-12-01 ~ 2026-12-31)", fits the screen: its
    # field in the inline form kept the widest option's width, and the page was 455 px wide
    assert "Period" in page.inner_text("label[for=f-preset]")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    box = page.locator("#f-preset").bounding_box()
    assert box["x"] + box["width"] <= PHONE["width"]
    next(pages, None)  # closes the context and checks the Content-Security-Policy
