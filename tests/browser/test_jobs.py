"""End to end in headless Chromium: background jobs' pages on a phone and on a desktop. The queue holds the
work until the test plays the Celery worker (in a thread of its own, so the page polls while it runs)."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from django.db import connections

from competitions import jobs, tasks
from competitions.models import Job, JobStatus
from reviews import imports
from reviews import jobs as review_jobs
from reviews.models import EntryStatus, WorkEntry
from reviews.services import entries_create
from reviews.validation import EntryInput
from tests.browser.conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

BAR = "#job progress"


@pytest.fixture
def held(monkeypatch):
    """Jobs wait in the queue until the test runs them (run_in_background)."""
    monkeypatch.setattr(tasks.run_job, "delay", lambda *a: None)


def run_in_background(job_pk: int) -> threading.Thread:
    def work():
        jobs.job_run(job_id=job_pk)
        connections.close_all()

    thread = threading.Thread(target=work)
    thread.start()
    return thread


def pending_month(f, w, today, n=12):
    day = today - timedelta(days=1)
    drivers = [f.worker(w.depot, w.driver) for _ in range(n)]
    entries_create(actor=w.clerk, competition=w.comp,
                   rows=[EntryInput(d.pk, w.km.pk, day, "1", row=i) for i, d in enumerate(drivers, 1)])
    return day


def bar(page) -> tuple[float, float]:
    return tuple(page.eval_on_selector(BAR, "p => [p.value, p.max]"))


@pytest.mark.parametrize("size", ["phone", "desk"])
def test_approve_all_shows_its_progress_bar_moving_to_100_percent(request, size, shot, f, w, today, held,
                                                                  monkeypatch):
    page = request.getfixturevalue(size)
    day = pending_month(f, w, today)
    # Four steps, slowed so that the page (polling every second and a half) sees the bar part of the way.
    monkeypatch.setattr(review_jobs, "APPROVE_CHUNKS", 4)
    real = review_jobs.entries_transition
    monkeypatch.setattr(review_jobs, "entries_transition", lambda **kw: time.sleep(1.2) or real(**kw))

    log_in(page, "reviewer")
    page.goto(f"/review/?system={w.system.pk}&month={day:%Y-%m}")
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("button[value=approve_all]")
    page.wait_for_url("**/jobs/*/")
    assert "排队中" in page.locator("#job-status").inner_text() and bar(page)[0] == 0
    job = Job.objects.get()

    worker = run_in_background(job.pk)
    page.wait_for_function(f"() => {{ const p = document.querySelector('{BAR}'); "
                           "return p && p.value > 0 && p.value < p.max; }", timeout=20_000)
    midway = page.locator("#job-status").inner_text()
    assert midway.startswith("已处理 ") and midway.endswith(" / 12 条"), midway
    shot(page, f"jobs-{size}-1-approve-all-midway")
    page.wait_for_selector("#job-status.up", timeout=20_000)
    worker.join(20)

    assert bar(page) == (100, 100) and "已通过 12 条" in page.locator("#job-status").inner_text()
    assert page.locator("#job-summary").inner_text().split() == ["已通过", "12"]
    shot(page, f"jobs-{size}-2-approve-all-done")
    assert set(WorkEntry.objects.values_list("status", flat=True)) == {EntryStatus.APPROVED}
    # the history lists it, and the link back takes the reviewer to the queue
    page.click("#job-link")
    page.wait_for_load_state()
    assert page.locator("#pending-count").inner_text() == "0"
    page.goto("/jobs/")
    assert "全部通过" in page.locator("#jobs").inner_text() and "已完成" in page.locator("#jobs").inner_text()


def test_a_clerks_large_import_is_confirmed_once_and_its_page_reports_the_rows(desk, shot, w, today, held,
                                                                             monkeypatch, tmp_path, settings):
    settings.PARKED_UPLOADS_DIR = str(tmp_path / "parked")
    monkeypatch.setattr(imports, "IMPORT_BACKGROUND_ROWS", 2)
    day = today - timedelta(days=1)
    csv = tmp_path / "录入.csv"
    csv.write_text("工号,姓名,工作日期,计分指标,工作量,说明\n" + "".join(
        f"{worker.employee_no},,{day - timedelta(days=n)},安全走行公里,{n + 1},\n"
        for n, worker in enumerate((w.alice, w.bob, w.alice))), encoding="utf-8")

    log_in(desk, "clerk")
    desk.goto("/entries/import/")
    desk.set_input_files("input[type=file]", str(csv))
    desk.click("form[enctype] button[type=submit]")
    desk.wait_for_load_state()
    # a double press sends the form once (portal.js: data-submit-once)
    desk.dblclick("form[data-submit-once] button[type=submit]")
    desk.wait_for_url("**/jobs/*/")
    assert Job.objects.count() == 1
    run_in_background(Job.objects.get().pk).join(20)
    desk.wait_for_selector("#job-status.up", timeout=20_000)
    assert "已导入 3 条录入" in desk.locator("#job-status").inner_text()
    assert desk.locator("#job-summary").inner_text().split() == ["已导入", "3", "有问题未导入的行", "0"]
    assert bar(desk) == (100, 100)
    shot(desk, "jobs-desk-3-import-done")
    assert Job.objects.get().status == JobStatus.SUCCEEDED and WorkEntry.objects.count() == 3
