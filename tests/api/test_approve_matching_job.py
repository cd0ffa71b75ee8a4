"""approve-matching for a selection too large for a request (reviews.jobs.APPROVE_IN_REQUEST_MAX): a background
job, answered 202 with the job, whose progress and outcome GET /api/v1/jobs/<id>/ gives its starter."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from competitions.models import Job, JobStatus
from reviews import jobs as review_jobs
from reviews import services
from reviews.models import EntryAction, EntryStatus, WorkEntry
from tests.factories import review_facts

pytestmark = pytest.mark.django_db


@pytest.fixture
def small_limit(monkeypatch):
    """Two entries are as many as a request approves; three go to the background."""
    monkeypatch.setattr(review_jobs, "APPROVE_IN_REQUEST_MAX", 2)


@pytest.fixture
def month_entries(w):
    """Pending work of the reviewer's system in yesterday's month: alice's and bob's on three days (six
    entries), one of them entered by the clerk who also reviews (their own work, skipped), and carol's in the
    other system (not the reviewer's)."""
    made = []
    days = [w.yesterday - timedelta(days=n) for n in range(3) if (w.yesterday - timedelta(days=n)).month
            == w.yesterday.month]
    for day in days:
        for worker in (w.alice, w.bob):
            made.append(services.entry_create(actor=w.clerk, competition=w.comp, worker_id=worker.pk,
                                              rule_id=w.km.pk, work_date=day, quantity="10"))
    own = services.entry_create(actor=w.clerk_reviewer, competition=w.comp, worker_id=w.bob.pk, rule_id=w.trips.pk,
                                work_date=w.yesterday, quantity="2")
    carol = services.entry_create(actor=w.other_clerk, competition=w.comp, worker_id=w.carol.pk,
                                  rule_id=w.metres.pk, work_date=w.yesterday, quantity="5")
    return {"theirs": made, "own": own, "carol": carol}


def statuses():
    return dict(WorkEntry.objects.values_list("pk", "status"))


@pytest.mark.parametrize("whole_queue", [None, "system", "competition"],
                         ids=["a unit's month", "a system's month", "a competition's queue"])
def test_a_selection_over_the_limit_is_approved_by_a_job_that_its_starter_follows(
        api, client, w, month_entries, small_limit, run_jobs, whole_queue, monkeypatch):
    """Any criteria; a month with no other criteria than the competition and business system is, per business
    system and competition, that month's queue, and each step is driven by the queue table
    (entries_approve_in_steps with ``queue``): the same outcome."""
    used = []
    original = review_jobs.entries_approve_in_steps
    monkeypatch.setattr(review_jobs, "entries_approve_in_steps",
                        lambda **kw: used.append(kw["queue"]) or original(**kw))
    month = w.yesterday.strftime("%Y-%m")
    criteria = {"month": month, "business_system": w.system.pk,
                **{None: {"unit": w.depot.pk}, "system": {}, "competition": {"competition": w.comp.pk}}[whole_queue]}
    response = run_jobs(lambda: api.clerk_reviewer.post("/api/v1/review/approve-matching/", criteria,
                                                        format="json"))
    assert response.status_code == 202, response.content
    job = Job.objects.get()
    assert response["Location"] == f"/api/v1/jobs/{job.pk}/"
    body = response.json()
    assert (body["id"], body["kind"], body["page"]) == (job.pk, "review_approve_matching", f"/jobs/{job.pk}/")
    assert job.params == {"criteria": criteria}
    assert used == [(w.comp.pk, w.yesterday.replace(day=1)) if whole_queue else None]

    # The job ran (as a worker would, after the commit): every entry of the selection but the starter's own
    # approved, with an audit fact each; the other system's untouched.
    theirs = {e.pk for e in month_entries["theirs"]}
    now = statuses()
    assert {pk for pk in theirs if now[pk] == EntryStatus.APPROVED} == theirs
    assert now[month_entries["own"].pk] == now[month_entries["carol"].pk] == EntryStatus.PENDING
    assert {entry for entry, _actor in review_facts(EntryAction.APPROVED)} == theirs

    followed = api.clerk_reviewer.get(response["Location"])
    assert followed.status_code == 200
    body = followed.json()
    assert (body["status"], body["finished"], body["done"], body["total"], body["percent"]) == (
        JobStatus.SUCCEEDED, True, len(theirs) + 1, len(theirs) + 1, 100)
    assert body["summary"] == [{"label": "已通过", "value": len(theirs)},
                               {"label": "本人的或本人录入、修改过的，已跳过", "value": 1}]
    assert body["message"].endswith(f"已通过 {len(theirs)} 条。") and body["error"] == ""
    assert body["kind_label"] == "通过符合条件的录入"
    # Its page in the portal names what it was started with, by name.
    client.force_login(w.clerk_reviewer)
    page = client.get(body["page"]).content.decode()
    assert "通过符合条件的录入" in page and "业务系统" in page and w.system.name in page
    assert (w.comp.name in page) == (whole_queue == "competition")
    assert (w.depot.name in page) == (whole_queue is None)
    # In the reader's language.
    english = api.clerk_reviewer.get(response["Location"], HTTP_ACCEPT_LANGUAGE="en")
    with translation.override("en"):
        assert english.json()["summary"][0]["label"] == translation.gettext("已通过")


def test_within_the_limit_it_is_approved_in_the_request(api, w, month_entries, small_limit):
    response = api.reviewer.post("/api/v1/review/approve-matching/",
                                 {"month": w.yesterday.strftime("%Y-%m"), "worker": w.alice.pk,
                                  "work_date": str(w.yesterday)}, format="json")
    assert response.status_code == 200 and response.json() == {"moved": 1, "skipped_own": 0}
    assert not Job.objects.exists()


def test_pressing_again_while_the_job_is_unfinished_gives_the_same_job(api, w, month_entries, small_limit):
    body = {"month": w.yesterday.strftime("%Y-%m"), "business_system": w.system.pk}
    first = api.reviewer.post("/api/v1/review/approve-matching/", body, format="json")
    again = api.reviewer.post("/api/v1/review/approve-matching/", body, format="json")
    assert first.status_code == again.status_code == 202
    assert first.json()["id"] == again.json()["id"] == Job.objects.get().pk
    assert first.json()["status"] == JobStatus.QUEUED and first.json()["total"] is None


def test_the_job_reads_the_selection_again_and_refuses_what_the_reviewer_no_longer_reviews(
        api, w, month_entries, small_limit, run_jobs, monkeypatch):
    """Entries the starter may no longer review when the job runs (their grant was taken away) are not moved:
    the job decides again what they may review, as the request did."""
    before = statuses()
    from competitions import tasks

    started = {}
    monkeypatch.setattr(tasks.run_job, "delay", lambda *a, **kw: started.setdefault("args", a))
    response = api.reviewer.post("/api/v1/review/approve-matching/",
                                 {"month": w.yesterday.strftime("%Y-%m"), "business_system": w.system.pk},
                                 format="json")
    assert response.status_code == 202
    w.reviewer.reviewer_systems.clear()
    tasks.run_job.apply(args=(response.json()["id"],))
    job = Job.objects.get()
    assert job.status == JobStatus.SUCCEEDED and job.summary == [("已通过", 0)]
    assert statuses() == before


def test_invalid_criteria_start_no_job(api, w, month_entries, small_limit):
    response = api.reviewer.post("/api/v1/review/approve-matching/", {"month": "2026-13"}, format="json")
    assert response.status_code == 400 and response.json()["error"]["code"] == "validation_error"
    assert not Job.objects.exists()


def test_someone_elses_job_answers_like_a_missing_one(api, w, month_entries, small_limit):
    response = api.reviewer.post("/api/v1/review/approve-matching/",
                                 {"month": w.yesterday.strftime("%Y-%m")}, format="json")
    url = response["Location"]
    for client in (api.other_reviewer, api.clerk, api.worker):
        refused = client.get(url)
        assert refused.status_code == 404 and refused.json()["error"]["code"] == "not_found"
    assert api.anon.get(url).status_code == 401
    assert api.staff.get(url).status_code == 200
    missing = api.reviewer.get(f"/api/v1/jobs/{Job.objects.get().pk + 1000}/")
    assert missing.status_code == 404


def test_reading_a_job_takes_a_fixed_number_of_queries(api, w, month_entries, small_limit, run_jobs):
    response = run_jobs(lambda: api.reviewer.post("/api/v1/review/approve-matching/",
                                                  {"month": w.yesterday.strftime("%Y-%m")}, format="json"))
    api.reviewer.get(response["Location"])  # warm: the token's account
    with CaptureQueriesContext(connection) as queries:
        assert api.reviewer.get(response["Location"]).status_code == 200
    assert len(queries) <= 3, [q["sql"] for q in queries]


def test_the_jobs_page_names_its_criteria_and_survives_deleted_or_odd_ones(w):
    from datetime import date

    from config.formatting import display_date

    lines = review_jobs.review_approve_matching_started_with({"criteria": {
        "month": "2026-03", "unit": 999_999, "worker": w.alice.pk, "rule": w.km.pk, "work_date": "2026-03-05"}})
    assert lines[0][0] == "月份" and "2026" in lines[0][1]
    assert ("单位", "#999999（已删除）") in lines
    assert ("职工", w.alice.employee_no) in lines and ("计分规则", f"{w.driver.name}·{w.km.metric}") in lines
    assert ("工作日期", display_date(date(2026, 3, 5))) in lines
    assert review_jobs.review_approve_matching_started_with(
        {"criteria": {"month": "x", "unit": "abc", "work_date": "bad"}}) == [("月份", "–")]
    assert review_jobs.review_approve_matching_started_with({}) == [("月份", "–")]
