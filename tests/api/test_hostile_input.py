"""No input makes the API answer 5xx or leave its error format: months off the calendar, nesting,
oversized bodies, odd paths, unhandled errors, a dispute for a day no competition covers."""

from datetime import timedelta

import pytest

from reviews.models import Dispute

pytestmark = pytest.mark.django_db


def error_of(response, status):
    assert response.status_code == status, response.content.decode()[:500]
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"} and body["error"]["message"]
    return body["error"]


@pytest.mark.parametrize("month", ["0000-01", "9999-12", "２０２６-01", "2026-1²"])
def test_months_off_the_calendar_are_400_everywhere_a_month_is_read(api, w, month):
    for client, url in [(api.clerk, "/api/v1/entries/"), (api.reviewer, "/api/v1/review/queue/"),
                        (api.reviewer, "/api/v1/review/periods/")]:
        error = error_of(client.get(url, {"month": month, "competition": w.comp.pk,
                                          "business_system": w.system.pk}), 400)
        assert error["code"] == "validation_error", url
    body = {"competition": w.comp.pk, "business_system": w.system.pk, "month": month}
    for url in ["/api/v1/review/sign-off/", "/api/v1/review/approve-matching/"]:
        assert error_of(api.reviewer.post(url, body, format="json"), 400)["code"] == "validation_error", url


@pytest.mark.parametrize("depth", [40, 100_000])
def test_deeply_nested_json_is_400_malformed_json(api, w, depth):
    raw = '{"comment": "x", "work_date": ' + "[" * depth + "]" * depth + "}"
    response = api.worker.post("/api/v1/disputes/", data=raw, content_type="application/json")
    assert error_of(response, 400)["code"] == "malformed_json"


def test_ordinary_nesting_still_parses(api, w):
    rows = [{"worker": w.bob.pk, "rule": w.km.pk, "work_date": str(w.yesterday), "quantity": "1"}]
    response = api.clerk.post("/api/v1/entries/batch/", {"competition": w.comp.pk, "rows": rows}, format="json")
    assert response.status_code == 201, response.content


@pytest.mark.parametrize("key", [None, "big-1"])
def test_a_body_over_the_size_limit_is_413_in_the_error_format(api, w, settings, key):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    body = {"comment": "x" * 2000, "work_date": str(w.yesterday)}
    response = api.worker.post("/api/v1/disputes/", body, format="json", **headers)
    assert error_of(response, 413)["code"] == "request_too_large"
    assert not Dispute.objects.exists()


@pytest.mark.parametrize("path", ["/api/v1/entries/%0A", "/api/v1/%0A", "/api/v1/entries/1/%0Aapprove/",
                                  "/api/v2/entries/", "/api/"])
def test_paths_no_pattern_matches_are_404_in_the_error_format(api, w, path):
    assert error_of(api.clerk.get(path), 404)["code"] == "not_found"


def test_a_post_to_a_wrong_url_is_404_in_the_error_format_even_with_csrf_checks(w):
    from rest_framework.test import APIClient

    client = APIClient(enforce_csrf_checks=True)
    client.force_login(w.clerk)
    assert error_of(client.post("/api/v1/nothing-here/", {}, format="json"), 404)["code"] == "not_found"


def test_an_unhandled_error_is_500_in_the_error_format(api, w, monkeypatch):
    from reviews.api import views

    def broken(self):
        raise RuntimeError("bug")

    monkeypatch.setattr(views.EntryListCreate, "get_queryset", broken)
    api.clerk.raise_request_exception = False
    assert error_of(api.clerk.get("/api/v1/entries/"), 500)["code"] == "server_error"


def test_a_dispute_for_a_day_before_the_competition_is_refused(api, w):
    before = w.comp.start_date - timedelta(days=1)
    response = api.worker.post("/api/v1/disputes/", {"comment": "那天我上班了", "work_date": str(before)},
                               format="json")
    assert error_of(response, 400)["code"] == "date_outside_competition"
    assert not Dispute.objects.exists()
    response = api.worker.post("/api/v1/disputes/", {"comment": "那天我上班了", "work_date": str(w.comp.start_date)},
                               format="json")
    assert response.status_code == 201


def test_a_missing_day_dispute_of_a_worker_whose_job_type_the_competition_does_not_score_is_refused(api, w, f):
    # No clerk can enter work for a job type the competition has no rule for: nothing to correct.
    from tests.api.conftest import bearer_client

    unscored = f.worker(w.depot, f.job_type(w.system, name="调度员"))
    client = bearer_client(f.worker_user(unscored))
    response = client.post("/api/v1/disputes/", {"comment": "那天我上班了", "work_date": str(w.yesterday)},
                           format="json")
    body = error_of(response, 400)
    assert body["code"] == "no_rules_for_job_type" and "工种" in str(body)
    assert not Dispute.objects.exists()
    # the same day, from a worker whose job type is scored: accepted
    response = api.worker.post("/api/v1/disputes/", {"comment": "那天我上班了", "work_date": str(w.yesterday)},
                               format="json")
    assert response.status_code == 201


@pytest.mark.parametrize("why", ["rule_switched_off", "rule_not_yet_in_force"])
def test_a_missing_day_dispute_is_refused_when_the_only_rule_of_the_job_type_scores_nothing_that_day(api, w, f, why):
    # The check counted any rule of the job type, also one switched off or whose first version takes effect
    # later: the dispute was accepted although the clerk's entry for that day would be refused.
    from tests.api.conftest import bearer_client

    dispatcher = f.job_type(w.system, name="调度员")
    rule = f.rule(w.comp, dispatcher, is_active=why != "rule_switched_off",
                  effective_from=w.yesterday + timedelta(days=1) if why == "rule_not_yet_in_force" else None)
    client = bearer_client(f.worker_user(f.worker(w.depot, dispatcher)))
    response = client.post("/api/v1/disputes/", {"comment": "那天我上班了", "work_date": str(w.yesterday)},
                           format="json")
    assert error_of(response, 400)["code"] == "no_rules_for_job_type"
    assert not Dispute.objects.exists()
    # the rule in use and in force that day: accepted
    rule.is_active = True
    rule.save(update_fields=["is_active"])
    rule.versions.update(effective_from=w.comp.start_date)
    response = client.post("/api/v1/disputes/", {"comment": "那天我上班了", "work_date": str(w.yesterday)},
                           format="json")
    assert response.status_code == 201, response.content


def test_a_dispute_of_an_entry_with_another_day_is_refused_not_moved_to_the_entrys_day(api, w, entries):
    # The day sent was dropped silently and the entry's own day stored: the worker meant something else.
    other_day = w.yesterday - timedelta(days=1)
    response = api.worker.post("/api/v1/disputes/", {"entry": entries.alice.pk, "work_date": str(other_day),
                                                     "comment": "少记了"}, format="json")
    assert error_of(response, 400)["code"] == "date_mismatch"
    assert not Dispute.objects.exists()
    for day in ({"work_date": str(w.yesterday)}, {}):  # the entry's own day, or none: the entry's
        response = api.worker.post("/api/v1/disputes/", {"entry": entries.alice.pk, "comment": "少记了", **day},
                                   format="json")
        assert response.status_code == 201, response.json()
        Dispute.objects.all().delete()


@pytest.mark.parametrize("value", ["{pk}.9", "{pk}e0", "0", "-1", str(2**63)])
@pytest.mark.parametrize("url, name, of", [("/api/v1/job-types/", "business_system", "system"),
                                           ("/api/v1/rules/", "competition", "comp"),
                                           ("/api/v1/rules/", "job_type", "driver"),
                                           ("/api/v1/rules/", "business_system", "system")])
def test_the_catalogs_id_filters_refuse_what_is_not_an_id(api, w, url, name, of, value):
    # "1.9" once read as id 1: a filter the schema calls an integer must not round a number to one.
    response = api.worker.get(url, {name: value.format(pk=getattr(w, of).pk)})
    error = error_of(response, 400)
    assert error["code"] == "validation_error" and name in error["details"]


def test_the_catalogs_id_filters_still_filter(api, w):
    rules = api.worker.get("/api/v1/rules/", {"job_type": w.track.pk}).json()["results"]
    assert [rule["id"] for rule in rules] == [w.metres.pk]
    job_types = api.worker.get("/api/v1/job-types/", {"business_system": w.other_system.pk})
    assert [job["id"] for job in job_types.json()] == [w.track.pk]


@pytest.mark.parametrize("value", ["2", "yes", "maybe", "1"])
@pytest.mark.parametrize("url, name", [("/api/v1/workers/", "is_active"), ("/api/v1/workers/", "enterable"),
                                       ("/api/v1/rules/", "is_active")])
def test_yes_no_filters_refuse_what_is_not_true_or_false(api, w, url, name, value):
    # Read as "no filter" (or "2" as true) they once listed everything for a typo.
    error = error_of(api.clerk.get(url, {name: value}), 400)
    assert error["code"] == "validation_error" and name in error["details"]


def test_yes_no_filters_take_true_false_in_any_case_and_empty_as_no_filter(api, w):
    w.metres.is_active = False
    w.metres.save(update_fields=["is_active"])

    def rule_ids(**query):
        response = api.worker.get("/api/v1/rules/", query)
        assert response.status_code == 200, response.content
        return {rule["id"] for rule in response.json()["results"]}

    assert rule_ids(is_active="true") == rule_ids(is_active="True") == {w.km.pk, w.trips.pk}
    assert rule_ids(is_active="false") == {w.metres.pk}
    assert rule_ids(is_active="") == rule_ids() == {w.km.pk, w.trips.pk, w.metres.pk}


def test_an_empty_status_list_is_refused_as_the_schema_says(api, w):
    error = error_of(api.clerk.get("/api/v1/entries/", {"status": ""}), 400)
    assert error["code"] == "validation_error" and "status" in error["details"]


def test_a_nul_in_a_text_field_is_refused_in_correct_chinese(api, w):
    # Django's own Chinese for its NUL validator says "empty strings are not allowed" (misspelt): the
    # project's locale corrects it.
    response = api.worker.post("/api/v1/disputes/", {"comment": "那天\x00我上班了", "work_date": str(w.yesterday)},
                               format="json")
    body = error_of(response, 400)
    assert body["details"]["comment"][0] == {"code": "null_characters_not_allowed", "message": "不能包含空字符（NUL）。"}
    assert not Dispute.objects.exists()


@pytest.mark.parametrize("language, message", [("zh-hans", "请求内容为空（null），应为 JSON 对象。"),
                                               ("en", "The request body is empty (null); it should be a JSON object.")])
def test_a_null_body_is_refused_in_the_readers_language(api, w, language, message):
    # DRF words this refusal without gettext ("No data provided"): it reached Chinese readers in English.
    response = api.worker.post("/api/v1/disputes/", data="null", content_type="application/json",
                               HTTP_ACCEPT_LANGUAGE=language)
    body = error_of(response, 400)
    assert body["code"] == "validation_error"
    assert body["details"] == {"non_field_errors": [{"code": "null", "message": message}]}
    assert not Dispute.objects.exists()
