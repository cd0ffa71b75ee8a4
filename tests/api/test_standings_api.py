"""My standing, my history, leaderboards by scope and around-me, read from the standings tables."""

from datetime import timedelta

import pytest

from competitions.services import standings_recompute
from reviews import services, workflow
from reviews.models import EntryStatus

pytestmark = pytest.mark.django_db


@pytest.fixture
def ranked(w, today):
    """alice 1.2 points (approved), bob 4 points (pending), carol 30 points: two standings days."""
    a = services.entry_create(actor=w.clerk, competition=w.comp, worker_id=w.alice.pk, rule_id=w.km.pk,
                              work_date=w.yesterday, quantity="120")
    workflow.entry_transition(actor=w.reviewer, entry=a, to_status=EntryStatus.APPROVED)
    services.entry_create(actor=w.clerk, competition=w.comp, worker_id=w.bob.pk, rule_id=w.trips.pk,
                          work_date=w.yesterday, quantity="2")
    services.entry_create(actor=w.other_clerk, competition=w.comp, worker_id=w.carol.pk, rule_id=w.metres.pk,
                          work_date=w.yesterday, quantity="300")
    standings_recompute(competition=w.comp, day=today - timedelta(days=1))
    services.entry_create(actor=w.clerk, competition=w.comp, worker_id=w.alice.pk, rule_id=w.trips.pk,
                          work_date=today, quantity="3")
    standings_recompute(competition=w.comp, day=today)
    return w


def test_my_standing_shows_points_ranks_changes_and_gap(api, ranked, today):
    body = api.worker.get(f"/api/v1/competitions/{ranked.comp.pk}/standings/me/").json()
    assert body["day"] == str(today)
    assert body["points"] == "7.200" and body["approved_points"] == "1.200" and body["pending_points"] == "6.000"
    assert body["ranks"] == {"overall": 2, "business_system": 1, "job_type": 1, "unit": 1}
    assert body["changes"]["overall"] == 1  # was third yesterday
    assert body["points_to_next"] == "22.800"  # carol's 30
    workload = api.worker.get(f"/api/v1/competitions/{ranked.comp.pk}/standings/me/workload/").json()
    assert {r["metric"]: (r["quantity"], r["points"]) for r in workload} == {
        "安全走行公里": ("120.000", "1.200"), "值乘趟数": ("3.000", "6.000")}


def test_my_standing_on_a_given_day_and_history(api, ranked, today):
    url = f"/api/v1/competitions/{ranked.comp.pk}/standings/me/"
    assert api.worker.get(url, {"day": str(today - timedelta(days=1))}).json()["ranks"]["overall"] == 3
    missing = api.worker.get(url, {"day": str(today - timedelta(days=30))})
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "no_standing"
    history = api.worker.get(url + "history/").json()
    assert [(d["day"], d["ranks"]["overall"]) for d in history] == [(str(today - timedelta(days=1)), 3),
                                                                    (str(today), 2)]


def test_leaderboard_masks_other_names_for_workers_not_for_staff(api, ranked):
    url = f"/api/v1/competitions/{ranked.comp.pk}/leaderboard/"
    rows = api.worker.get(url).json()["results"]
    assert [(r["rank"], r["name"], r["is_me"]) for r in rows] == [(1, "王*", False), (2, "张三明", True),
                                                                 (3, "李*", False)]
    assert [r["name"] for r in api.staff.get(url).json()["results"]] == ["王五", "张三明", "李四"]


def test_leaderboard_by_scope(api, ranked):
    url = f"/api/v1/competitions/{ranked.comp.pk}/leaderboard/"
    body = api.worker.get(url, {"scope": "business_system", "scope_id": ranked.system.pk}).json()
    assert [r["worker_id"] for r in body["results"]] == [ranked.alice.pk, ranked.bob.pk]
    assert body["scope"] == "business_system" and body["scope_id"] == ranked.system.pk
    body = api.worker.get(url, {"scope": "unit", "scope_id": ranked.other_depot.pk}).json()
    assert [r["worker_id"] for r in body["results"]] == [ranked.carol.pk]
    missing = api.worker.get(url, {"scope": "job_type"})
    assert missing.status_code == 400 and "scope_id" in missing.json()["error"]["details"]
    assert api.worker.get(url, {"scope": "galaxy"}).status_code == 400


def test_a_leaderboard_of_something_that_is_not_a_system_job_type_or_depot_is_a_400(api, ranked, f):
    url = f"/api/v1/competitions/{ranked.comp.pk}/leaderboard/"
    bureau = ranked.depot.parent
    for scope, scope_id in (("unit", bureau.pk), ("unit", ranked.workshop.pk), ("unit", 999_999),
                            ("business_system", 999_999), ("job_type", 999_999)):
        response = api.worker.get(url, {"scope": scope, "scope_id": scope_id})
        assert response.status_code == 400, (scope, scope_id)
        error = response.json()["error"]
        assert "scope_id" in error["details"], error
    # a real depot, system or job type with nobody ranked in it: an empty list, not an error
    empty_depot = f.unit(parent=bureau, code="D9", name="空站段")
    empty_type = f.job_type(ranked.system, name="无人工种")
    for scope, scope_id in (("unit", empty_depot.pk), ("job_type", empty_type.pk)):
        response = api.worker.get(url, {"scope": scope, "scope_id": scope_id})
        assert response.status_code == 200 and response.json()["results"] == []


def test_leaderboard_pages_are_cached_until_a_new_run_shows_within_ten_seconds(api, ranked, today, monkeypatch):
    import time

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from competitions.api import cache

    url = f"/api/v1/competitions/{ranked.comp.pk}/leaderboard/"
    assert [r["worker_id"] for r in api.worker.get(url).json()["results"]] == [
        ranked.carol.pk, ranked.alice.pk, ranked.bob.pk]
    with CaptureQueriesContext(connection) as queries:
        staff = api.staff.get(url).json()["results"]  # the same page, with full names
    assert len(queries) == 1  # the token
    assert [r["name"] for r in staff] == ["王五", "张三明", "李四"] and not any(r["is_me"] for r in staff)
    services.entry_create(actor=ranked.clerk, competition=ranked.comp, worker_id=ranked.bob.pk,
                          rule_id=ranked.km.pk, work_date=today, quantity="9000")
    standings_recompute(competition=ranked.comp, day=today)  # as the Celery worker would, in another process
    assert api.worker.get(url).json()["results"][0]["worker_id"] == ranked.carol.pk  # not yet
    now = time.monotonic()
    monkeypatch.setattr(time, "monotonic", lambda: now + cache.LATEST_TTL)
    rows = api.worker.get(url).json()["results"]
    assert [(r["worker_id"], r["name"], r["is_me"]) for r in rows] == [
        (ranked.bob.pk, "李*", False), (ranked.carol.pk, "王*", False), (ranked.alice.pk, "张三明", True)]


def test_leaderboard_rows_show_depot_and_team(api, ranked):
    rows = api.worker.get(f"/api/v1/competitions/{ranked.comp.pk}/leaderboard/").json()["results"]
    assert [(r["depot"], r["team"]) for r in rows] == [("北京工务段", "北京工务段"), ("北京机务段", "运用车间"),
                                                      ("北京机务段", "北京机务段")]


def test_leaderboard_cursors_carry_no_employee_number_and_fit_only_their_list(api, ranked):
    from urllib.parse import parse_qs, urlsplit

    url = f"/api/v1/competitions/{ranked.comp.pk}/leaderboard/"
    first = api.worker.get(url, {"page_size": 1}).json()
    cursor = parse_qs(urlsplit(first["next"]).query)["cursor"][0]
    assert not any(w.employee_no in first["next"] for w in (ranked.alice, ranked.bob, ranked.carol))
    second = api.worker.get(first["next"]).json()
    assert [r["worker_id"] for r in second["results"]] == [ranked.alice.pk]
    other_list = api.worker.get(url, {"scope": "business_system", "scope_id": ranked.system.pk, "cursor": cursor})
    assert other_list.status_code == 400 and other_list.json()["error"]["code"] == "invalid_cursor"
    tampered = api.worker.get(url, {"cursor": cursor[:-2] + ("AA" if cursor[-2:] != "AA" else "BB")})
    assert tampered.status_code == 400 and tampered.json()["error"]["code"] == "invalid_cursor"


def test_around_me(api, ranked):
    body = api.worker.get(f"/api/v1/competitions/{ranked.comp.pk}/leaderboard/around-me/", {"size": 3}).json()
    assert [r["rank"] for r in body["results"]] == [1, 2, 3]
    assert [r["is_me"] for r in body["results"]] == [False, True, False]
    body = api.worker.get(f"/api/v1/competitions/{ranked.comp.pk}/leaderboard/around-me/",
                          {"scope": "job_type"}).json()
    assert body["scope_id"] == ranked.driver.pk and len(body["results"]) == 2


def test_no_standings_yet(api, w):
    url = f"/api/v1/competitions/{w.comp.pk}/"
    assert api.worker.get(url + "standings/me/").json()["error"]["code"] == "no_standing"
    assert api.worker.get(url + "standings/me/history/").json() == []
    board = api.worker.get(url + "leaderboard/").json()
    assert board["day"] is None and board["results"] == [] and board["next"] is None
    assert api.worker.get(url + "leaderboard/around-me/").json()["results"] == []


def test_hand_built_bodies_have_exactly_the_documented_shape(api, ranked):
    # The standings views build their JSON by hand for speed; the documented serializers must
    # reproduce them field for field (same keys, same number formats).
    from competitions.api import serializers as cs

    base = f"/api/v1/competitions/{ranked.comp.pk}/"
    pairs = [
        (cs.MyStandingOutput(), api.worker.get(base + "standings/me/").json()),
        (cs.StandingDayOutput(many=True), api.worker.get(base + "standings/me/history/").json()),
        (cs.LeaderboardOutput(), api.worker.get(base + "leaderboard/", {"page_size": 2}).json()),
        (cs.AroundMeOutput(), api.worker.get(base + "leaderboard/around-me/").json()),
    ]
    for serializer, body in pairs:
        assert body
        assert serializer.to_representation(body) == body


def test_fast_query_parsing_agrees_with_the_serializers():
    # The hot endpoints parse their usual query strings by hand; whatever the hand parser accepts, the
    # serializer must accept with the same result (everything else goes to the serializer).
    import itertools
    import random
    from datetime import date

    from django.http import QueryDict

    from competitions.api import serializers as cs
    from config.api.query import _fast

    values = {
        "day": [None, "2026-11-24", "2026-02-30", "", "20261124", "2026-11-24 ", "x", "２０２６-11-24"],
        "scope": [None, "overall", "unit", "job_type", "business_system", "galaxy", "", "Unit"],
        "scope_id": [None, "1", "0", "5.0", " 7", "9223372036854775807", "999999999999999999", "", "12a", "٣"],
        "cursor": [None, "WzEsMl0", "WzEsMl0.abc-_", "", " a", "%%", "a" * 200, "a" * 201, "a\x00"],
        "page_size": [None, "1", "100", "101", "0", "50.0", "", "x", "07"],
        "size": [None, "1", "11", "51", "52", "0"],
        "other": [None, "1"],
    }
    combos = list(itertools.product(*values.values()))
    random.Random(5).shuffle(combos)
    accepted = 0
    for combo in combos[:4000] + [(None,) * len(values)]:
        params = QueryDict(mutable=True)
        for key, value in zip(values, combo, strict=True):
            if value is not None:
                params.appendlist(key, "junk")  # the last value of a repeated parameter counts
                params.appendlist(key, value)
        for serializer_class in (cs.StandingQuery, cs.LeaderboardQuery, cs.AroundMeQuery):
            mine = _fast(serializer_class, params)
            if mine is None:
                continue
            accepted += 1
            serializer = serializer_class(data=params)
            assert serializer.is_valid(), (params, serializer.errors)
            assert dict(serializer.validated_data) == mine, params
    assert accepted > 500
    assert _fast(cs.LeaderboardQuery, QueryDict("page_size=50&cursor=WzEsMl0&day=2026-11-24")) == {
        "day": date(2026, 11, 24), "scope": "overall", "cursor": "WzEsMl0", "page_size": 50}


def test_the_standings_errors_speak_the_clients_language(api, w):
    url = f"/api/v1/competitions/{w.comp.pk}/"
    english = {"HTTP_ACCEPT_LANGUAGE": "en"}
    missing = api.worker.get(url + "standings/me/", **english).json()["error"]
    assert missing["code"] == "no_standing" and missing["message"].startswith("No standing yet")
    bad = api.worker.get(url + "leaderboard/", {"scope": "unit"}, **english).json()["error"]
    assert bad["message"].startswith("The request's parameters are not valid")
    assert bad["details"]["scope_id"] == [{"code": "required", "message": "This scope needs a scope_id."}]
    assert api.worker.get(url + "standings/me/").json()["error"]["message"].startswith("暂无排名")
