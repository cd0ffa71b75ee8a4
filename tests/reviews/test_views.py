from datetime import date, timedelta

import pytest
from django.urls import reverse

from config.formatting import display_date
from reviews.models import EntryStatus, WorkEntry
from reviews.services import entry_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def day(today):
    return today - timedelta(days=1)


@pytest.fixture
def entry(w, day):
    return entry_create(actor=w.clerk, competition=w.comp, worker_id=w.alice.pk, rule_id=w.km.pk, work_date=day,
                        quantity="300")


def login(client, user):
    client.force_login(user)
    return client


CLERK_PAGES = ["entries:list", "entries:new", "entries:grid", "entries:import", "entries:disputes"]


@pytest.mark.parametrize("name", CLERK_PAGES)
def test_clerk_pages_open_for_a_clerk_and_are_forbidden_to_other_roles(client, w, name):
    assert login(client, w.clerk).get(reverse(name)).status_code == 200
    for other in (w.reviewer, w.alice_user):
        assert login(client, other).get(reverse(name)).status_code == 403
    client.logout()
    assert client.get(reverse(name)).status_code == 302


def test_the_review_queue_opens_for_a_reviewer_only(client, w):
    assert login(client, w.reviewer).get(reverse("review:queue")).status_code == 200
    for other in (w.clerk, w.alice_user):
        assert login(client, other).get(reverse("review:queue")).status_code == 403


def test_the_month_menu_on_the_fifth_of_december_offers_november_and_every_month_of_the_competition(
        client, w, monkeypatch):
    from django.utils import timezone

    # given: today is 5 December 2026 and the competition began in January 2025
    monkeypatch.setattr(timezone, "localdate", lambda *a, **kw: date(2026, 12, 5))
    w.comp.start_date = date(2025, 1, 1)
    w.comp.save(update_fields=["start_date"])
    # when: the reviewer opens the queue without choosing a month
    page = login(client, w.reviewer).get(reverse("review:queue"))
    # then: the month due for sign-off (November) is there, and no month of the competition is missing
    months = page.context["months"]
    assert page.context["month"] == date(2026, 12, 1)
    assert months[:3] == [date(2026, 12, 1), date(2026, 11, 1), date(2026, 10, 1)]
    assert months == [date(y, m, 1) for y in (2026, 2025) for m in range(12, 0, -1)]
    assert '<option value="2026-11">2026年11月</option>' in page.content.decode()


def test_the_month_menu_also_offers_a_month_asked_for_outside_the_competition(client, w, monkeypatch):
    from django.utils import timezone

    monkeypatch.setattr(timezone, "localdate", lambda *a, **kw: date(2026, 3, 5))
    w.comp.start_date = date(2026, 2, 1)
    w.comp.save(update_fields=["start_date"])
    page = login(client, w.reviewer).get(reverse("review:queue") + "?month=2025-06")
    assert page.context["month"] == date(2025, 6, 1)
    assert page.context["months"] == [date(2026, 3, 1), date(2026, 2, 1), date(2025, 6, 1)]
    assert '<option value="2025-06" selected>' in page.content.decode()


@pytest.mark.parametrize("asked", ["2026-13", "0000-01", "２０２６-０１", "2026-1", "junk"])
def test_the_review_queue_reads_a_bad_month_as_the_current_one(client, w, monkeypatch, asked):
    from django.utils import timezone

    monkeypatch.setattr(timezone, "localdate", lambda *a, **kw: date(2026, 12, 5))
    page = login(client, w.reviewer).get(reverse("review:queue"), {"month": asked})
    assert page.status_code == 200
    assert page.context["month"] == date(2026, 12, 1)


def test_home_sends_each_role_to_its_page(client, w, f):
    assert login(client, w.clerk).get("/").url == reverse("entries:list")
    assert login(client, w.reviewer).get("/").url == reverse("review:queue")
    # a union officer (基层工会干部) with no other role: their applications, not the pages every role has
    officer = f.union_officer(w.depot, username="union")
    assert login(client, officer).get("/").url == reverse("union:applications")


def test_a_clerk_enters_one_entry_through_the_form(client, w, day):
    response = login(client, w.clerk).post(reverse("entries:new"), {
        "worker": w.alice.employee_no, "rule": w.km.pk, "work_date": day.isoformat(), "quantity": "200"}, follow=True)
    assert "已保存" in response.content.decode()
    assert WorkEntry.objects.get().quantity == 200


def test_the_form_refuses_another_units_worker_with_a_message_and_saves_nothing(client, w, day):
    response = login(client, w.clerk).post(reverse("entries:new"), {
        "worker": w.carol.employee_no, "rule": w.metres.pk, "work_date": day.isoformat(), "quantity": "200"})
    assert "不属于您负责的单位" in response.content.decode()
    assert not WorkEntry.objects.exists()


def test_the_grid_saves_a_batch_and_refuses_a_hand_edited_key_for_another_units_worker(client, w, day):
    login(client, w.clerk)
    url = reverse("entries:grid") + f"?mode=day&rule={w.km.pk}&date={day.isoformat()}"
    page = client.get(url).content.decode()
    assert w.alice.name in page and w.carol.name not in page
    key_a, key_b = f"{w.alice.pk}:{w.km.pk}:{day}", f"{w.bob.pk}:{w.km.pk}:{day}"
    forged = f"{w.carol.pk}:{w.metres.pk}:{day}"
    response = client.post(url, {"key": [key_a, key_b, forged], f"q:{key_a}": "10", f"q:{key_b}": "20",
                                 f"q:{forged}": "30"})
    assert "不属于您负责的单位" in response.content.decode()
    assert not WorkEntry.objects.exists()
    client.post(url, {"key": [key_a, key_b], f"q:{key_a}": "10", f"q:{key_b}": "20"})
    assert WorkEntry.objects.count() == 2


def test_a_clerk_cannot_open_another_units_entry_by_url(client, w, entry):
    assert login(client, w.other_clerk).get(reverse("entries:detail", args=[entry.pk])).status_code == 404
    assert login(client, w.clerk).get(reverse("entries:detail", args=[entry.pk])).status_code == 200


def test_an_import_previews_saves_nothing_then_confirms(client, w, day):
    login(client, w.clerk)
    content = f"工号,姓名,工作日期,计分指标,工作量,说明\n{w.alice.employee_no},,{day},安全走行公里,5,\n".encode()
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client.post(reverse("entries:import"), {"file": SimpleUploadedFile("e.csv", content)})
    assert response.status_code == 200 and not WorkEntry.objects.exists()
    token = response.context["preview"]["token"]
    client.post(reverse("entries:import_confirm"), {"token": token})
    assert WorkEntry.objects.get().source == "import"


def test_an_import_with_a_bad_row_offers_the_bad_rows_file(client, w, day):
    login(client, w.clerk)
    content = f"工号,姓名,工作日期,计分指标,工作量,说明\n{w.alice.employee_no},,{day},安全走行公里,-5,\n".encode()
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client.post(reverse("entries:import"), {"file": SimpleUploadedFile("e.csv", content)})
    page = response.content.decode()
    assert "第 2 行" in page and "工作量不能为负数" in page
    bad = client.get(reverse("entries:import_bad_rows", args=[response.context["preview"]["token"]]))
    assert "工作量不能为负数" in bad.content.decode("utf-8-sig")
    client.post(reverse("entries:import_confirm"), {"token": response.context["preview"]["token"]})
    assert not WorkEntry.objects.exists()


def test_a_reviewer_rejects_one_and_approves_the_rest_from_the_queue(client, w, day, entry, run_jobs):
    other = entry_create(actor=w.clerk, competition=w.comp, worker_id=w.bob.pk, rule_id=w.km.pk, work_date=day,
                         quantity="100")
    login(client, w.reviewer)
    month = day.strftime("%Y-%m")
    page = client.get(reverse("review:queue") + f"?month={month}")
    assert w.alice.name in page.content.decode()
    page = client.post(reverse("review:queue"), {"action": "reject", "entry": [entry.pk], "reason": "里程不符",
                                                 "month": month}, follow=True).content.decode()
    # the queue says what was done to how many, not "已处理 1 条" for an approval and a rejection alike
    assert "已退回 1 条录入，已通知录入员。" in page
    run_jobs(lambda: client.post(reverse("review:queue"), {"action": "approve_all", "month": month}))
    entry.refresh_from_db()
    other.refresh_from_db()
    assert (entry.status, entry.reject_reason) == (EntryStatus.REJECTED, "里程不符")
    assert other.status == EntryStatus.APPROVED


def test_the_review_queue_finds_a_worker_by_a_full_width_employee_number_with_spaces_around_it(client, w, day, entry):
    from tests.factories import ime_typed

    entry_create(actor=w.clerk, competition=w.comp, worker_id=w.bob.pk, rule_id=w.km.pk, work_date=day,
                 quantity="100")
    page = login(client, w.reviewer).get(reverse("review:queue"), {"month": f"{day:%Y-%m}",
                                                                   "worker": ime_typed(w.alice.employee_no)})
    html = page.content.decode()
    assert w.alice.name in html and w.bob.name not in html


def test_a_reviewer_of_another_system_cannot_act_on_an_entry_by_url(client, w, f, entry):
    outsider = f.reviewer(w.other_system)
    response = login(client, outsider).post(reverse("review:entry", args=[entry.pk]), {"action": "approve"})
    assert response.status_code == 404
    entry.refresh_from_db()
    assert entry.status == EntryStatus.PENDING


def test_the_review_queue_makes_a_fixed_number_of_queries(client, w, f, day, django_assert_num_queries):
    from reviews.services import entries_create
    from reviews.validation import EntryInput

    login(client, w.reviewer)
    url = reverse("review:queue") + f"?month={day:%Y-%m}"
    workers = [f.worker(w.depot, w.driver) for _ in range(30)]
    w.clerk._portal_scope = None
    entries_create(actor=w.clerk, competition=w.comp, rows=[EntryInput(workers[0].pk, w.km.pk, day, "1")])
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        client.get(url)
    entries_create(actor=w.clerk, competition=w.comp,
                   rows=[EntryInput(x.pk, w.km.pk, day, "1", row=i) for i, x in enumerate(workers[1:], 1)])
    with CaptureQueriesContext(connection) as many:
        client.get(url)
    assert len(few.captured_queries) == len(many.captured_queries)


def test_the_entry_list_pages_by_an_opaque_cursor_and_a_mangled_one_opens_the_first_page(client, w, day):
    import re

    from reviews.services import entries_create
    from reviews.validation import EntryInput

    entries_create(actor=w.clerk, competition=w.comp, rows=[
        EntryInput(worker_id=w.alice.pk, rule_id=w.km.pk, work_date=day - timedelta(days=d), quantity="1")
        for d in range(55)])
    login(client, w.clerk)
    url = reverse("entries:list")
    first = client.get(url).content.decode()
    after = re.search(r'after=([^"&]+)', first).group(1)
    second = client.get(url, {"after": after}).content.decode()
    shown = [set(re.findall(r"(\d{4}年\d{1,2}月\d{1,2}日)", page)) for page in (first, second)]
    assert len(shown[0] | shown[1]) == 55 and display_date(day - timedelta(days=54)) in shown[1]
    assert display_date(day) not in shown[1]
    for bad in (f"{day.isoformat()}_1", after[:-2] + "zz"):  # the old format, a forged signature
        assert display_date(day) in client.get(url, {"after": bad}).content.decode()


def test_an_entry_opened_from_a_filtered_list_leads_back_to_it_after_a_correction(client, w, day, entry):
    from reviews.workflow import entries_transition

    entries_transition(actor=w.reviewer, entries=WorkEntry.objects.filter(pk=entry.pk),
                       to_status=EntryStatus.REJECTED, reason="里程不符")
    login(client, w.clerk)
    # given the clerk's list of one worker's rejected entries (where the rejection message leads)
    query = f"status=rejected&worker={w.alice.employee_no}"
    page = client.get(f"{reverse('entries:list')}?{query}&after=&other=x").content.decode()
    detail = f"{reverse('entries:detail', args=[entry.pk])}?status=rejected&amp;worker={w.alice.employee_no}"
    # when they open the entry: its link keeps the list's filters (and only them)
    assert f'href="{detail}"' in page
    url = detail.replace("&amp;", "&")
    html = client.get(url).content.decode()
    # then the entry leads back to the filtered list, before and after it is corrected and resubmitted:
    # before, "录入列表" was the only way back and it showed every entry of every day
    back = 'id="back-to-list"'
    assert f'href="{reverse("entries:list")}?status=rejected&amp;worker={w.alice.employee_no}" {back}' in html
    response = client.post(url, {"quantity": "90"})
    assert response.status_code == 302 and response["Location"] == url
    entry.refresh_from_db()
    assert entry.status == EntryStatus.PENDING and entry.quantity == 90
    # an entry opened from the unfiltered list leads back to it
    assert f'href="{reverse("entries:list")}" {back}' in client.get(
        reverse("entries:detail", args=[entry.pk])).content.decode()
