"""End to end in headless Chromium: a worker on a phone, a clerk's batch grid, a reviewer's queue."""

from __future__ import annotations

import re

import pytest

from competitions import tasks
from reviews.models import Dispute, EntryStatus, WorkEntry
from reviews.services import entry_create
from tests.browser.conftest import PHONE, assert_table_fits, cell_label, log_in, switch_to_english
from tests.competitions import portal_data

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def transferred(page) -> dict:
    """Bytes over the wire for the page now shown (Resource Timing: headers and body; 0 when cached)."""
    return page.evaluate("""() => {
        const nav = performance.getEntriesByType('navigation')[0];
        const res = performance.getEntriesByType('resource').reduce((n, e) => n + e.transferSize, 0);
        return {html: nav.transferSize, resources: res, total: nav.transferSize + res};
    }""")


def test_a_worker_on_a_phone_sees_points_ranks_chart_finds_themself_disputes_and_switches_to_english(
        browser, phone, shot, w, capsys):
    portal_data.add_drivers(w, 3)
    made = portal_data.build(w)

    # Logs in with the employee number and lands on "my page".
    log_in(phone, w.alice.employee_no)
    assert phone.url.endswith("/me/")
    # "First load": my page in a browser with an empty cache (the same session cookie).
    fresh = browser.new_context(storage_state=phone.context.storage_state(), viewport=PHONE,
                                base_url=phone.url.split("/me/")[0])
    first_page = fresh.new_page()
    first_page.goto("/me/")
    first_load = transferred(first_page)
    fresh.close()
    points = phone.locator("#my-points b").inner_text()
    assert points == "23.000"
    assert "第 4 名" in phone.locator("#rank-overall").inner_text()  # three drivers ahead
    assert "第 4 名" in phone.locator("#rank-job_type").inner_text()
    assert phone.locator("svg#trend polyline.points").is_visible()
    assert phone.locator("svg#trend polyline.rank").is_visible()
    # Mobile-first: nothing wider than the phone.
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    shot(phone, "worker-1-my-page")

    # Opens the job-type leaderboard from the rank card and finds themself.
    phone.click("#rank-job_type")
    phone.wait_for_load_state()
    assert "scope=job_type" in phone.url
    me_row = phone.locator("#me-row")
    assert me_row.is_visible() and "张三明" in me_row.inner_text()
    assert "李*" in phone.locator("#board").inner_text()  # bob, masked
    repeat_load = transferred(phone)
    shot(phone, "worker-2-job-type-leaderboard")

    # Disputes an entry from "my entries".
    phone.click("header nav >> text=我的录入")
    phone.wait_for_load_state()
    entry = phone.locator(f"#entry-{made['alice_d1'].pk}")
    entry.locator("summary").click()
    entry.locator("textarea[name=comment]").fill("实际走行600公里，请核对")
    shot(phone, "worker-3-dispute-form")
    entry.locator("button[type=submit]").click()
    phone.wait_for_load_state()
    assert "申诉已提交" in phone.locator(".messages").inner_text()
    assert "待处理" in phone.locator(f"#entry-{made['alice_d1'].pk}").inner_text()
    dispute = Dispute.objects.get()
    assert dispute.entry_id == made["alice_d1"].pk and dispute.worker_id == w.alice.pk
    shot(phone, "worker-4-dispute-sent")

    # Switches to English: the same page, in English.
    switch_to_english(phone)
    assert phone.locator("html").get_attribute("lang") == "en"
    assert "My entries" in phone.locator("h1").inner_text()
    phone.goto("/me/")
    assert "Total points" in phone.content()
    shot(phone, "worker-5-english")
    # The same page on a desktop-sized window: still one column of content, nothing overflowing.
    phone.set_viewport_size({"width": 1280, "height": 800})
    phone.goto("/leaderboard/?scope=overall")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 1280
    shot(phone, "worker-6-desktop-leaderboard")

    with capsys.disabled():
        print(f"\nbytes transferred (test server, no compression): my page, empty cache {first_load}; "
              f"then the leaderboard {repeat_load}")
    assert first_load["total"] < 150_000 and repeat_load["total"] < 30_000
    assert first_load["resources"] > 0  # the stylesheet was counted


def test_a_clerk_enters_a_batch_in_the_grid(phone, shot, w, today):
    log_in(phone, "clerk")
    phone.goto(f"/entries/grid/?mode=day&rule={w.km.pk}&date={today.isoformat()}")
    label = f"工作量 {w.alice.name} {today:%m-%d}"
    phone.get_by_label(label).fill("320")
    phone.get_by_label(f"工作量 {w.bob.name} {today:%m-%d}").fill("410")
    shot(phone, "clerk-1-grid-filled")
    phone.click("text=全部保存")
    phone.wait_for_load_state()
    assert "已保存 2 条录入" in phone.locator(".messages").inner_text()
    shot(phone, "clerk-2-grid-saved")
    assert sorted(WorkEntry.objects.values_list("quantity", flat=True)) == [320, 410]


def test_a_reviewer_rejects_one_entry_and_approves_the_rest(phone, shot, w, today, monkeypatch):
    # 全部通过 is a background job: here the server runs it as soon as it is sent.
    monkeypatch.setattr(tasks.run_job, "delay", lambda *a: tasks.run_job.apply(args=a))
    entries = [entry_create(actor=w.clerk, competition=w.comp, worker_id=worker.pk, rule_id=rule.pk,
                            work_date=today, quantity=quantity)
               for worker, rule, quantity in ((w.alice, w.km, 300), (w.bob, w.km, 9000), (w.bob, w.trips, 2))]
    bad = entries[1]
    log_in(phone, "reviewer")
    assert phone.url.endswith("/review/")
    phone.goto(f"/review/?system={w.system.pk}&month={today:%Y-%m}")
    assert phone.locator("#pending-count").inner_text() == "3"
    # the queue reads on the phone: each entry a card of labelled lines, its status on screen, nothing to scroll
    # sideways (the unit column wrapped one character per line and the status was off the screen)
    assert_table_fits(phone, "#queue-entries")
    status = phone.locator("#queue-entries tbody tr").first.locator("td").nth(7)
    assert cell_label(status) == '"状态"'
    box = status.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    phone.check(f"input[name=entry][value='{bad.pk}']")
    phone.fill("input[name=reason]", "公里数超出当日排班")
    phone.click("button[value=reject]")
    phone.wait_for_load_state()
    assert phone.locator("#pending-count").inner_text() == "2"
    shot(phone, "reviewer-1-rejected-one")
    phone.once("dialog", lambda dialog: dialog.accept())
    phone.click("button[value=approve_all]")
    phone.wait_for_load_state()
    assert re.search(r"已通过 2 条", phone.locator("#job-status").inner_text())
    shot(phone, "reviewer-2-approved-rest")
    statuses = dict(WorkEntry.objects.values_list("pk", "status"))
    assert statuses.pop(bad.pk) == EntryStatus.REJECTED
    assert set(statuses.values()) == {EntryStatus.APPROVED}
    assert WorkEntry.objects.get(pk=bad.pk).reject_reason == "公里数超出当日排班"
