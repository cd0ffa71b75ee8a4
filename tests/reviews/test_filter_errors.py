"""A filter value that names nothing (a depot, job type or metric of another business system in a crafted or
stale review-queue link; a mistyped day on /entries/) is said in the filter form and left out: the list is not
filtered by what the form shows as 全部 or empty, and the export and 全部通过 read the same filters."""

from datetime import timedelta

import pytest
from django.urls import reverse

from reviews.models import EntryStatus
from reviews.queue import queue_selection
from reviews.services import entry_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def entry(w, today):
    return entry_create(actor=w.clerk, competition=w.comp, worker_id=w.alice.pk, rule_id=w.km.pk,
                        work_date=today - timedelta(days=1), quantity="300")


def filter_errors(response) -> str:
    html = response.content.decode()
    start = html.find('id="filter-errors"')
    return html[start:html.find("</ul>", start)] if start >= 0 else ""


@pytest.mark.parametrize(("name", "other", "message"), [
    ("unit", "other_depot", "所选站段不在本业务系统中，已取消该筛选。"),
    ("job_type", "track", "所选工种不在本业务系统中，已取消该筛选。"),
    ("rule", "metres", "所选指标不在本业务系统中，已取消该筛选。"),
])
def test_a_queue_filter_of_another_business_system_is_said_and_left_out(client, w, entry, name, other, message):
    client.force_login(w.reviewer)
    month = f"{entry.work_date:%Y-%m}"

    response = client.get(reverse("review:queue"), {"month": month, name: getattr(w, other).pk})

    assert response.status_code == 200
    assert message in filter_errors(response)
    assert [e.pk for e in response.context["entries"]] == [entry.pk]  # the whole queue, as 全部 says
    assert name not in dict(response.context["export_filters"])  # the export asks for what is shown
    # 全部通过 with the crafted value selects what the page showed, not nothing
    qs, _status = queue_selection(user=w.reviewer, competition=w.comp, system=w.system, month=entry.work_date
                                  .replace(day=1), filters={name: str(getattr(w, other).pk)})
    assert list(qs.values_list("pk", flat=True)) == [entry.pk]


def test_a_queue_filter_of_the_system_is_applied_without_a_message(client, w, entry):
    client.force_login(w.reviewer)
    response = client.get(reverse("review:queue"), {"month": f"{entry.work_date:%Y-%m}", "unit": w.depot.pk,
                                                    "job_type": w.driver.pk, "rule": w.trips.pk})
    assert filter_errors(response) == ""
    assert list(response.context["entries"]) == []  # the entry is of the other rule


def test_a_queue_day_that_is_no_date_is_said(client, w, entry):
    client.force_login(w.reviewer)
    response = client.get(reverse("review:queue"), {"month": f"{entry.work_date:%Y-%m}", "date": "2026-02-30"})
    assert "日期格式应为 YYYY-MM-DD，已取消该筛选。" in filter_errors(response)
    assert [e.pk for e in response.context["entries"]] == [entry.pk]


@pytest.mark.parametrize("day", ["2026-13-01", "yesterday", "0001-01-01"])
def test_a_bad_day_on_the_entry_list_is_said_in_the_filter_form(client, w, entry, day):
    client.force_login(w.clerk)

    response = client.get(reverse("entries:list"), {"date": day})

    assert response.status_code == 200
    assert "日期格式应为 YYYY-MM-DD，已取消该筛选。" in filter_errors(response)
    assert [e.pk for e in response.context["entries"]] == [entry.pk]
    assert "date" not in dict(response.context["export_filters"])


def test_a_good_day_and_status_on_the_entry_list_filter_without_a_message(client, w, entry):
    client.force_login(w.clerk)
    response = client.get(reverse("entries:list"), {"date": entry.work_date.isoformat(),
                                                    "status": EntryStatus.PENDING})
    assert filter_errors(response) == "" and [e.pk for e in response.context["entries"]] == [entry.pk]
    bad = client.get(reverse("entries:list"), {"status": "bogus"})
    assert "所选状态不存在，已取消该筛选。" in filter_errors(bad)
