"""What each role reads on its pages is formatted one way (config.formatting): points with separators and two
decimals, quantities in their unit's decimals, months as 2026年11月 (English Nov 2026) while the values sent
back stay YYYY-MM, and the audit trail in words (已通过 → 已锁定), not status codes."""

import re
from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import translation

from reviews import workflow
from reviews.models import EntryStatus
from reviews.services import entry_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def day(today):
    return today - timedelta(days=1)


@pytest.fixture
def long_haul(w, day):
    """123,456.7 km at 0.01 points a km: 1,234.567 points."""
    return entry_create(actor=w.clerk, competition=w.comp, worker_id=w.alice.pk, rule_id=w.km.pk, work_date=day,
                        quantity="123456.7")


@pytest.fixture
def trips(w, day):
    """Three trips at two points each: 6 points, shown as 6.000."""
    return entry_create(actor=w.clerk, competition=w.comp, worker_id=w.alice.pk, rule_id=w.trips.pk, work_date=day,
                        quantity="3")


def page(client, user, url, language="zh-hans"):
    client.force_login(user)
    client.cookies["django_language"] = language
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def test_the_worker_sees_their_entries_with_separators_and_unit_decimals(client, w, long_haul, trips):
    html = page(client, w.alice_user, reverse("my_entries"))
    assert "123,456.7 公里" in html and "积分 1,234.567" in html
    assert "3 趟" in html and "积分 6.000" in html
    # The day's total: 1,234.567 + 6.
    assert "1,240.567 分" in html
    assert "123456.700" not in html and "1234.567<" not in html


def test_the_clerk_sees_the_entry_list_formatted(client, w, long_haul, trips):
    html = page(client, w.clerk, reverse("entries:list"))
    assert '<td class="num">123,456.7 公里</td><td class="num">1,234.567</td>' in html
    assert '<td class="num">3 趟</td><td class="num">6.000</td>' in html


def test_the_reviewer_reads_months_as_words_and_sends_them_as_iso(client, w, long_haul, monkeypatch):
    from django.utils import timezone

    monkeypatch.setattr(timezone, "localdate", lambda *a, **kw: date(2026, 12, 5))
    w.comp.start_date, w.comp.end_date = date(2026, 1, 1), date(2026, 12, 31)
    w.comp.save(update_fields=["start_date", "end_date"])
    html = page(client, w.reviewer, f"{reverse('review:queue')}?system={w.system.pk}&month=2026-11")
    assert "月度审核 · 机务 · 2026年11月</h1>" in html
    assert '<option value="2026-11" selected>2026年11月</option>' in html
    assert '<option value="2026-01">2026年1月</option>' in html
    assert not re.search(r">\s*2026-\d\d\s*<", html)  # no ISO month is shown as text
    english = page(client, w.reviewer, f"{reverse('review:queue')}?system={w.system.pk}&month=2026-11", "en")
    assert '<option value="2026-11" selected>Nov 2026</option>' in english


def test_the_reviewer_sees_quantities_and_points_in_the_queue(client, w, long_haul, day):
    html = page(client, w.reviewer, f"{reverse('review:queue')}?system={w.system.pk}&month={day:%Y-%m}")
    assert ('<td class="num" data-label="工作量">123,456.7</td><td class="num" data-label="积分">1,234.567</td>'
            in html)


def test_the_entry_audit_trail_shows_status_labels_in_chinese_and_english(client, w, long_haul):
    workflow.entry_transition(actor=w.reviewer, entry=long_haul, to_status=EntryStatus.REJECTED, reason="公里数有误")
    html = page(client, w.clerk, reverse("entries:detail", args=[long_haul.pk]))
    assert "<td>待审核</td>" in html  # created: no status before
    assert "<td>待审核 → 已退回</td>" in html and "<td>公里数有误</td>" in html
    assert "pending" not in re.sub(r'class="[^"]*"|value="[^"]*"', "", html.split("<main>")[1])
    english = page(client, w.clerk, reverse("entries:detail", args=[long_haul.pk]), "en")
    with translation.override("en"):
        pending, rejected = (str(EntryStatus(s).label) for s in (EntryStatus.PENDING, EntryStatus.REJECTED))
    assert pending != "待审核" and f"<td>{pending} → {rejected}</td>" in english


def test_the_api_keeps_its_status_codes_and_adds_their_labels(client, w, long_haul):
    workflow.entry_transition(actor=w.reviewer, entry=long_haul, to_status=EntryStatus.APPROVED)
    client.force_login(w.clerk)
    events = client.get(f"/api/v1/entries/{long_haul.pk}/").json()["events"]
    moved = events[-1]
    assert (moved["from_status"], moved["to_status"]) == ("pending", "approved")
    assert (moved["from_status_label"], moved["to_status_label"]) == ("待审核", "已通过")
    assert (events[0]["from_status"], events[0]["from_status_label"]) == ("", "")


def test_staff_see_the_admin_entry_lists_formatted_and_in_words(client, w, long_haul, django_assert_max_num_queries):
    w.staff.is_superuser = True
    w.staff.save()
    workflow.entry_transition(actor=w.reviewer, entry=long_haul, to_status=EntryStatus.APPROVED)
    html = page(client, w.staff, reverse("admin:reviews_workentry_changelist"))
    assert "123,456.7 公里" in html and "1,234.567" in html
    client.force_login(w.staff)
    with django_assert_max_num_queries(12):  # the audit rows' entries and rules come with the list's query
        events = client.get(reverse("admin:reviews_entryevent_changelist")).content.decode()
    assert "待审核" in events and "已通过" in events and "123,456.7" in events
    change = page(client, w.staff, reverse("admin:reviews_workentry_change", args=[long_haul.pk]))
    assert "已通过" in change and ">approved<" not in change


def test_the_review_progress_reads_its_month_as_words_and_its_counts_with_separators(client, w, long_haul, day,
                                                                                  monkeypatch):
    # given a month with more than a thousand entries (the counts stood in for: the page only shows them)
    from reviews import views

    def big(*args):
        figures = real(*args)
        figures["totals"] = {**figures["totals"], "total": 12345, "n_pending": 10234}
        figures["depots"] = [{**d, "total": 12345} for d in figures["depots"]]
        return figures

    real = views.review_progress_cached
    monkeypatch.setattr(views, "review_progress_cached", big)
    url = f"{reverse('review:progress')}?system={w.system.pk}&month={day:%Y-%m}"
    for language, month in (("zh-hans", f"{day.year}年{day.month}月"), ("en", f"{day:%b %Y}")):
        # when the reviewer opens the progress page, in either language
        html = page(client, w.reviewer, url, language)
        # then the month is written as on the queue, and counts as everywhere else (config.formatting)
        assert f"{month}</h1>" in html and f'selected>{month}</option>' in html
        assert "<b>12,345</b>" in html and '<b id="pending-left">10,234</b>' in html
        assert '<td class="num">12,345</td>' in html
        assert not re.search(r">\s*\d{4}-\d\d\s*<", html)


def test_the_dashboard_shows_counts_with_separators_in_chinese_too(client, w, long_haul, day):
    # given stored figures of a big competition (the dashboard shows what dashboard_refresh stored)
    from competitions.dashboard import dashboard_refresh

    stored = dashboard_refresh(competition=w.comp, today=day)
    stored.figures["review"] = [{**r, "entered": 23456, "pending": 14231} for r in stored.figures["review"]]
    stored.save(update_fields=["figures"])
    for language, month in (("zh-hans", f"{day.year}年{day.month}月"), ("en", f"{day:%b %Y}")):
        # when union staff open the dashboard
        html = page(client, w.staff, reverse("dashboard"), language)
        review = html.split('id="review"')[1].split("</section>")[0]
        # then the review panel's counts have separators in both languages, and its month is words
        assert '<td class="num">23,456</td>' in review and '<td class="num">14,231</td>' in review
        assert month in review.split("</h2>")[0]
