"""Whatever a form or a query string holds, the portal's pages answer without a 500."""

from datetime import timedelta

import pytest
from django.urls import reverse

from competitions.models import Job
from reviews.models import Dispute, WorkEntry
from reviews.services import entry_create

pytestmark = pytest.mark.django_db

# "²" and "٣" pass str.isdigit() but not int(); 20 digits pass int() but not PostgreSQL's bigint.
ODD_IDS = ["²", "٣", "x", "-1", "9" * 20, ""]


@pytest.fixture
def entry(w, today):
    return entry_create(actor=w.clerk, competition=w.comp, worker_id=w.alice.pk, rule_id=w.km.pk,
                        work_date=today - timedelta(days=1), quantity="300")


@pytest.mark.parametrize("value", ODD_IDS)
def test_the_review_queue_reads_odd_ids_and_months_as_no_filter(client, w, entry, value):
    client.force_login(w.reviewer)
    for name in ("unit", "job_type", "rule"):
        assert client.get(reverse("review:queue"), {name: value}).status_code == 200, name
    response = client.post(reverse("review:queue"), {"action": "approve", "entry": [value, str(entry.pk)],
                                                     "month": f"{entry.work_date:%Y-%m}"})
    assert response.status_code == 302


def test_after_a_review_the_queue_comes_back_with_its_own_filters_only(client, w, entry):
    # the form's ``query`` (the page's address) is posted back as typed: only the queue's own parameters
    # return, and none overlong (Django refuses a redirect to an address over 2,048 characters)
    client.force_login(w.reviewer)
    month = f"{entry.work_date:%Y-%m}"
    query = f"month={month}&system={w.system.pk}&status=pending&flagged=1&next=//evil.example&worker={'9' * 100_000}"
    response = client.post(reverse("review:queue"), {"action": "approve", "entry": [str(entry.pk)], "month": month,
                                                     "query": query})
    assert response.status_code == 302
    assert response["Location"] == (f"{reverse('review:queue')}?status=pending&flagged=1&system={w.system.pk}"
                                    f"&month={month}")
    entry.refresh_from_db()
    assert entry.status == "approved"
    response = client.post(reverse("review:entry", args=[entry.pk]), {"action": "reject", "reason": "有误",
                                                                       "query": "x" * 100_000})
    assert response.status_code == 302 and response["Location"] == reverse("review:queue")


@pytest.mark.parametrize("month", ["garbage", "9999-12", "0000-01", ""])
def test_a_review_form_naming_no_valid_month_is_refused_and_moves_nothing(client, w, entry, month, run_jobs):
    # a tampered or stale form is never applied to the current month instead of the one it names
    client.force_login(w.reviewer)
    data = {"month": month} if month else {}
    for action in ("approve_all", "approve"):
        response = run_jobs(lambda: client.post(reverse("review:queue"), {  # noqa: B023 (called at once)
            "action": action, "entry": [str(entry.pk)], "system": str(w.system.pk), **data}))
        assert response.status_code == 404, action
    for name in ("review:export", "review:report"):
        assert client.post(reverse(name), {"system": str(w.system.pk), **data}).status_code == 404, name
    entry.refresh_from_db()
    assert entry.status == "pending"
    assert not Job.objects.exists()


@pytest.mark.parametrize("month", ["0000-01", "9999-12", "２０２６-01", "2026-1²"])
def test_the_review_queue_reads_a_month_off_the_calendar_as_the_current_one(client, w, month):
    client.force_login(w.reviewer)
    for status in ("pending", "approved"):
        assert client.get(reverse("review:queue"), {"month": month, "status": status}).status_code == 200


@pytest.mark.parametrize("value", ODD_IDS)
def test_clerk_forms_with_odd_ids_answer_with_a_message(client, w, value):
    client.force_login(w.clerk)
    response = client.post(reverse("entries:new"), {"worker": w.alice.employee_no, "rule": value,
                                                    "work_date": "2026-01-05", "quantity": "1"})
    assert response.status_code == 200
    key = f"{value}:{value}:2026-01-05"
    assert client.post(reverse("entries:grid"), {"key": key, f"q:{key}": "1"}).status_code == 200
    assert client.post(reverse("entries:disputes"), {"dispute": value, "response": "好"}).status_code == 404
    assert not WorkEntry.objects.exists()


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01"])
def test_the_week_grid_at_the_end_of_the_calendar_is_the_default_week(client, w, day):
    client.force_login(w.clerk)
    response = client.get(reverse("entries:grid"), {"mode": "week", "worker": w.alice.employee_no, "date": day})
    assert response.status_code == 200
    assert response.context["day"].year not in (1, 9999)


@pytest.mark.parametrize("value", ["²", "٣", "9" * 20])
def test_a_worker_disputing_with_an_odd_entry_id_disputes_the_day(client, w, today, value):
    client.force_login(w.alice_user)
    day = today - timedelta(days=1)
    response = client.post(reverse("my_entries"), {"entry": value, "work_date": day.isoformat(), "comment": "少记了"})
    assert response.status_code == 302
    assert Dispute.objects.get().entry_id is None


def test_a_nul_character_in_a_query_string_or_a_form_is_a_bad_request_and_nothing_is_saved(client, w, today, entry):
    # PostgreSQL text cannot hold NUL (0x00): a page that passed one on to a query or a write failed with a 500.
    day = today - timedelta(days=1)
    client.force_login(w.clerk)
    assert client.get(reverse("entries:list"), {"worker": "\x00"}).status_code == 400
    assert client.post(reverse("entries:detail", args=[entry.pk]), {"quantity": "2", "note": "改\x00"}).status_code == 400
    client.force_login(w.reviewer)
    assert client.get(reverse("review:queue"), {"worker": "1\x00"}).status_code == 400
    assert client.post(reverse("review:entry", args=[entry.pk]),
                       {"action": "reject", "reason": "不符\x00"}).status_code == 400
    client.force_login(w.alice_user)
    response = client.post(reverse("my_entries"), {"work_date": day.isoformat(), "comment": "少记了\x00"})
    assert response.status_code == 400
    entry.refresh_from_db()
    assert (entry.status, entry.quantity, entry.note) == ("pending", 300, "")
    assert not Dispute.objects.exists()


@pytest.mark.parametrize("action", ["", "approved", "APPROVE", "delete"])
def test_a_review_from_the_row_with_an_unknown_action_is_a_bad_request_and_moves_nothing(client, w, entry, action):
    client.force_login(w.reviewer)
    response = client.post(reverse("review:entry", args=[entry.pk]), {"action": action, "reason": "不符"})
    assert response.status_code == 400
    entry.refresh_from_db()
    assert entry.status == "pending"
