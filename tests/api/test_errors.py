"""One error format for every failure, and never a 500 for bad input."""

import re

import pytest

from reviews.models import WorkEntry

pytestmark = pytest.mark.django_db

HUGE = 10**30


def entry_body(w, **overrides):
    return {"competition": w.comp.pk, "worker": w.bob.pk, "rule": w.km.pk, "work_date": str(w.yesterday),
            "quantity": "5", **overrides}


def error_of(response, status):
    assert response.status_code == status, response.content.decode()
    body = response.json()
    assert set(body) == {"error"}
    assert isinstance(body["error"]["code"], str) and body["error"]["message"]
    return body["error"]


@pytest.mark.parametrize("raw", ['{"competition": 1,', "not json", "[1, 2", '{"a": NaN}'.replace("NaN", "nan")])
def test_malformed_json_is_400_malformed_json(api, w, raw):
    response = api.clerk.post("/api/v1/entries/", data=raw, content_type="application/json")
    assert error_of(response, 400)["code"] == "malformed_json"


def test_a_json_array_instead_of_an_object_is_a_validation_error(api, w):
    response = api.clerk.post("/api/v1/entries/", data="[1, 2]", content_type="application/json")
    error = error_of(response, 400)
    assert error["code"] == "validation_error" and "non_field_errors" in error["details"]


@pytest.mark.parametrize(("field", "value"), [
    ("quantity", "abc"), ("quantity", [1]), ("quantity", {"a": 1}), ("quantity", True),
    ("worker", "bob"), ("worker", 1.5), ("worker", None), ("rule", []), ("competition", "1; drop table"),
    ("note", {"x": 1}),
])
def test_wrong_types_are_field_errors(api, w, field, value):
    error = error_of(api.clerk.post("/api/v1/entries/", entry_body(w, **{field: value}), format="json"), 400)
    assert error["code"] == "validation_error"
    assert list(error["details"]) == [field]
    assert {"code", "message"} <= set(error["details"][field][0])
    assert not WorkEntry.objects.exists()


@pytest.mark.parametrize(("field", "value"), [
    ("quantity", "1e30"), ("quantity", 1e300), ("quantity", "99999999999999999999.5"), ("quantity", "-1e30"),
    ("quantity", "1.23456789"), ("worker", HUGE), ("rule", -HUGE), ("competition", 2**63),
])
def test_huge_numbers_are_400_not_500(api, w, field, value):
    error = error_of(api.clerk.post("/api/v1/entries/", entry_body(w, **{field: value}), format="json"), 400)
    assert error["code"] == "validation_error"
    assert field in error["details"]


def test_huge_numbers_in_urls_and_filters(api, w):
    error_of(api.clerk.get(f"/api/v1/entries/{HUGE}/"), 404)
    error_of(api.clerk.patch(f"/api/v1/entries/{HUGE}/", {"quantity": "1"}, format="json"), 404)
    error_of(api.reviewer.post(f"/api/v1/entries/{HUGE}/approve/"), 404)
    error_of(api.worker.get(f"/api/v1/competitions/{HUGE}/standings/me/"), 404)
    assert error_of(api.clerk.get(f"/api/v1/entries/?worker={HUGE}"), 400)["code"] == "validation_error"
    assert error_of(api.clerk.get(f"/api/v1/competitions/{w.comp.pk}/leaderboard/?scope=job_type&scope_id={HUGE}"),
                    400)["code"] == "validation_error"
    assert error_of(api.reviewer.post("/api/v1/review/approve/", {"ids": [HUGE]}, format="json"),
                    400)["code"] == "validation_error"


def test_unknown_fields_are_refused(api, w):
    error = error_of(api.clerk.post("/api/v1/entries/", entry_body(w, quantiy="5", status="approved"),
                                    format="json"), 400)
    assert error["code"] == "unknown_field"
    assert set(error["details"]) == {"quantiy", "status"}
    assert error["details"]["status"][0]["code"] == "unknown_field"
    # in nested rows too
    body = {"competition": w.comp.pk, "rows": [{**{k: v for k, v in entry_body(w).items() if k != "competition"},
                                                "points": "999"}]}
    error = error_of(api.clerk.post("/api/v1/entries/batch/", body, format="json"), 400)
    assert error["code"] == "unknown_field" and "rows.0.points" in error["details"]


def test_numbers_where_text_belongs_are_refused(api, w):
    """The schema says string; DRF alone would save the number's text (a reason of 3)."""
    error = error_of(api.reviewer.post("/api/v1/review/reject/", {"ids": [1], "reason": 3}, format="json"), 400)
    assert error["code"] == "validation_error" and set(error["details"]) == {"reason"}
    assert error["details"]["reason"][0]["code"] == "invalid"
    error = error_of(api.clerk.post("/api/v1/entries/", entry_body(w, note=12.5), format="json"), 400)
    assert "note" in error["details"]


@pytest.mark.parametrize("day", ["2026-02-30", "yesterday", "", "2026-13-01", 20260101, "2026-01-01T00:00:00Z"])
def test_bad_dates_are_field_errors(api, w, day):
    error = error_of(api.clerk.post("/api/v1/entries/", entry_body(w, work_date=day), format="json"), 400)
    assert error["code"] == "validation_error" and "work_date" in error["details"]


@pytest.mark.parametrize("query", ["work_date=2026-02-30", "date_from=soon", "month=2026-13", "month=26-01",
                                   "status=done", "unit=abc"])
def test_bad_filters_are_400(api, w, query):
    assert error_of(api.clerk.get(f"/api/v1/entries/?{query}"), 400)["code"] == "validation_error"


def test_bad_rule_day_and_standing_day(api, w):
    error_of(api.worker.get("/api/v1/rules/?on=2026-02-31"), 400)
    error_of(api.worker.get(f"/api/v1/competitions/{w.comp.pk}/standings/me/?day=x"), 400)


@pytest.mark.parametrize("cursor", ["zzz", "cD0xMjM", "%%%", "bz0xJnI9MSZwPTk5OTk5OTk5OTk5OTk5OTk5OTk5", "a" * 500])
def test_bad_cursors_are_400_invalid_cursor(api, w, cursor):
    for url in ["/api/v1/entries/", "/api/v1/review/queue/", "/api/v1/disputes/", "/api/v1/me/entries/",
                f"/api/v1/competitions/{w.comp.pk}/leaderboard/"]:
        client = api.worker if "me/" in url else api.staff
        response = client.get(url, {"cursor": cursor})
        if response.status_code == 400:
            assert response.json()["error"]["code"] in ("invalid_cursor", "validation_error"), url
        else:
            # a syntactically valid cursor that points nowhere is simply an empty page
            assert response.status_code == 200, (url, response.content)


def test_garbage_cursor_is_invalid_cursor(api, w):
    assert error_of(api.clerk.get("/api/v1/entries/?cursor=zzz"), 400)["code"] == "invalid_cursor"
    assert error_of(api.clerk.get(f"/api/v1/competitions/{w.comp.pk}/leaderboard/?cursor=zzz"),
                    400)["code"] == "invalid_cursor"


@pytest.mark.parametrize("size", ["0", "-1", "101", "x", "1e3"])
def test_bad_page_sizes_are_400(api, w, size):
    assert error_of(api.clerk.get(f"/api/v1/entries/?page_size={size}"), 400)["code"] in (
        "invalid_page_size", "validation_error")


def test_entry_rejected_carries_row_errors(api, w):
    error = error_of(api.clerk.post("/api/v1/entries/", entry_body(w, rule=w.trips.pk, quantity="7"),
                                    format="json"), 400)
    assert error["code"] == "quantity_over_cap"
    assert error["details"] == [{"row": 1, "field": "quantity", "message": error["message"],
                                 "code": "quantity_over_cap"}]


def test_batch_with_several_bad_rows_lists_them_all(api, w):
    rows = [{"worker": w.bob.pk, "rule": w.km.pk, "work_date": str(w.yesterday), "quantity": "1"},
            {"worker": w.carol.pk, "rule": w.km.pk, "work_date": str(w.yesterday), "quantity": "1"},
            {"worker": w.bob.pk, "rule": w.trips.pk, "work_date": str(w.yesterday), "quantity": "99"}]
    error = error_of(api.clerk.post("/api/v1/entries/batch/", {"competition": w.comp.pk, "rows": rows},
                                    format="json"), 400)
    assert error["code"] == "entry_rejected"
    assert [(d["row"], d["code"]) for d in error["details"]] == [(2, "worker_not_enterable"), (3, "quantity_over_cap")]
    assert not WorkEntry.objects.exists()
    # save_valid_only keeps the good row and reports the others
    response = api.clerk.post("/api/v1/entries/batch/", {"competition": w.comp.pk, "rows": rows,
                                                          "save_valid_only": True}, format="json")
    assert response.status_code == 201
    assert response.json()["created_count"] == 1 and len(response.json()["errors"]) == 2


def test_too_many_rows_is_a_validation_error(api, w):
    row = {"worker": w.bob.pk, "rule": w.km.pk, "work_date": str(w.yesterday), "quantity": "1"}
    error = error_of(api.clerk.post("/api/v1/entries/batch/", {"competition": w.comp.pk, "rows": [row] * 501},
                                    format="json"), 400)
    assert error["code"] == "validation_error" and "rows" in error["details"]


def test_transition_refused_is_409_with_its_code(api, w, entries):
    api.reviewer.post(f"/api/v1/entries/{entries.alice.pk}/approve/")
    error = error_of(api.reviewer.post(f"/api/v1/entries/{entries.alice.pk}/approve/"), 409)
    assert error["code"] == "transition_forbidden"


def test_reject_without_reason_is_400(api, w, entries):
    error = error_of(api.reviewer.post(f"/api/v1/entries/{entries.alice.pk}/reject/", {"reason": "  "},
                                       format="json"), 400)
    assert error["code"] in ("validation_error", "reason_required")
    error = error_of(api.reviewer.post("/api/v1/review/reject/", {"ids": [entries.alice.pk], "reason": " "},
                                       format="json"), 400)
    assert error["code"] in ("validation_error", "reason_required")


def test_unknown_url_method_and_media_type(api, w):
    assert error_of(api.clerk.get("/api/v1/nothing-here/"), 404)["code"] == "not_found"
    assert error_of(api.clerk.delete("/api/v1/entries/"), 405)["code"] == "method_not_allowed"
    response = api.clerk.post("/api/v1/entries/", data="a=1", content_type="application/x-www-form-urlencoded")
    assert error_of(response, 415)["code"] == "unsupported_media_type"


def test_dispute_needs_an_entry_or_a_date(api, w):
    error = error_of(api.worker.post("/api/v1/disputes/", {"comment": "?"}, format="json"), 400)
    assert error["code"] == "validation_error" and "work_date" in error["details"]
    error = error_of(api.worker.post("/api/v1/disputes/", {"comment": "?", "work_date": "2999-01-01"},
                                     format="json"), 400)
    assert error["code"] == "date_invalid"


@pytest.mark.parametrize("raw", ['{"\\u0000x": 1, "reason": "a"}', '{"\\ud800": 1, "reason": "a"}',
                                 '{"reason": "\\u0000"}', '{"reason": "\\udfff"}'])
def test_nul_and_lone_surrogates_in_a_body_are_400_even_with_an_idempotency_key(api, w, entries, raw):
    # Found by the fuzz run: the error echoes the field name, and both the response and the stored
    # idempotent answer must survive characters UTF-8 and PostgreSQL refuse.
    for attempt in range(2):
        response = api.reviewer.post(f"/api/v1/entries/{entries.alice.pk}/reject/", data=raw,
                                     content_type="application/json", HTTP_IDEMPOTENCY_KEY="odd")
        assert response.status_code == 400, response.content
        assert response.json()["error"]["code"] in ("unknown_field", "validation_error")


def test_a_cursor_of_one_list_is_refused_by_another(api, w, entries):
    from urllib.parse import parse_qs, urlsplit

    nxt = api.staff.get("/api/v1/entries/", {"page_size": 1}).json()["next"]
    cursor = parse_qs(urlsplit(nxt).query)["cursor"][0]
    assert api.staff.get(nxt).status_code == 200
    assert error_of(api.staff.get("/api/v1/disputes/", {"cursor": cursor}), 400)["code"] == "invalid_cursor"
    assert error_of(api.staff.get("/api/v1/entries/", {"cursor": cursor[:-3] + "abc"}), 400)["code"] == "invalid_cursor"


def test_the_errors_speak_the_clients_language_whatever_went_wrong(api, w):
    # given a client that asks for English
    english = {"HTTP_ACCEPT_LANGUAGE": "en"}
    # when its request is malformed, uses a wrong method, a wrong media type or bad paging
    malformed = api.clerk.post("/api/v1/entries/", data="not json", content_type="application/json", **english)
    method = api.clerk.delete("/api/v1/me/", **english)
    media = api.clerk.post("/api/v1/entries/", data="a=1", content_type="text/plain", **english)
    paging = api.clerk.get("/api/v1/entries/", {"page_size": 1000}, **english)
    # then every message is English (they were half Chinese: only some had an English entry)
    messages = [error_of(malformed, 400)["message"], error_of(method, 405)["message"],
                error_of(media, 415)["message"], str(error_of(paging, 400))]
    assert messages[:3] == ["The request body is not valid JSON.", "This request method is not supported.",
                            "Unsupported content type; send JSON."]
    assert not any(re.search(r"[\u4e00-\u9fff]", m) for m in messages), messages


def test_every_stock_error_message_has_its_english():
    from django.utils import translation

    from config.api.errors import _STATUS_CODES

    with translation.override("en"):
        for code, message in _STATUS_CODES.values():
            assert not re.search(r"[\u4e00-\u9fff]", str(message)), code
