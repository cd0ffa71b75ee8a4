"""The 公示 endpoints: the public lists, one list with its nominees, an objection, my objections, my honours."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from competitions.honours import services
from competitions.honours.models import Objection, ObjectionStatus
from tests.api.conftest import bearer_client
from tests.competitions import honours_public_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def h(w, f):
    return honours_public_data.build(w, f)


@pytest.fixture
def dave(h):
    return bearer_client(h.dave_user)


def rounds_url(competition) -> str:
    return f"/api/v1/competitions/{competition.pk}/award-rounds/"


def round_url(round_) -> str:
    return f"/api/v1/competitions/{round_.competition_id}/award-rounds/{round_.pk}/"


def objections_url(round_) -> str:
    return round_url(round_) + "objections/"


def ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


def error(response, status: int) -> dict:
    assert response.status_code == status, response.content
    body = response.json()["error"]
    assert body["code"] and body["message"]
    return body


# -- the lists -------------------------------------------------------------------------------------

@pytest.mark.parametrize("role", ["worker", "clerk", "reviewer", "staff"])
def test_everyone_taking_part_lists_the_public_rounds_newest_first(api, w, h, role):
    assert ids(getattr(api, role).get(rounds_url(w.comp))) == [h.finalized.pk, h.publicized.pk]


def test_the_list_of_rounds_needs_a_login_and_a_visible_competition(api, w, h, dave):
    error(api.anon.get(rounds_url(w.comp)), 401)
    assert ids(dave.get(rounds_url(w.comp))) == []  # not taking part: nothing of it is public to dave
    assert ids(dave.get(rounds_url(h.other_comp))) == [h.other.pk]
    assert ids(api.worker.get(rounds_url(h.other_comp))) == []
    error(api.worker.get("/api/v1/competitions/999999999/award-rounds/"), 404)
    from competitions.models import Competition, CompetitionStatus

    draft = Competition.objects.create(name="筹备中", start_date=w.comp.start_date, end_date=w.comp.end_date,
                                       status=CompetitionStatus.DRAFT)
    error(api.worker.get(rounds_url(draft)), 404)


def test_a_round_shows_its_facts_and_the_nominees_as_publicity_requires(api, w, h):
    body = api.reviewer.get(round_url(h.publicized)).json()
    assert body["name"] == "一季度先进个人" and body["status"] == "publicized" and body["status_label"] == "公示中"
    assert body["days_left"] == 7 and body["objections_open"] is True
    assert body["snapshot_digest"] == honours_public_data.DIGEST
    assert (body["basis_start"], body["basis_end"]) == (str(h.publicized.basis_start), str(h.publicized.basis_end))
    results = body["nominees"]["results"]
    assert [r["id"] for r in results] == [h.alice_on.pk, h.bob_on.pk]  # carol was taken off the list
    alice = results[0]
    assert alice["name"] == "张三明" and alice["employee_no"] == w.alice.employee_no
    assert (alice["depot"], alice["team"], alice["job_type"], alice["business_system"]) == (
        "北京机务段", "运用车间", "电力机车司机", "机务")
    assert (alice["rank"], alice["approved_points"], alice["group"]) == (1, "180.500", "机务")
    assert body["nominees"]["next"] is None
    # Nothing personal beyond what 公示 needs.
    text = str(body)
    for worker in (w.alice, w.bob):
        assert worker.id_number not in text and worker.mobile not in text


def test_a_final_round_says_so(api, h):
    body = api.worker.get(round_url(h.finalized)).json()
    assert body["status"] == "finalized" and body["days_left"] is None and body["objections_open"] is False
    assert [r["status"] for r in body["nominees"]["results"]] == ["final", "final"]


@pytest.mark.parametrize("role", ["worker", "clerk", "reviewer", "staff"])
def test_drafts_shortlists_and_rounds_of_another_competition_answer_404(api, h, role):
    client = getattr(api, role)
    for hidden in (h.draft, h.shortlisted):
        error(client.get(round_url(hidden)), 404)
    # A round under the wrong competition's id is no round at all.
    error(client.get(f"/api/v1/competitions/{h.other_comp.pk}/award-rounds/{h.publicized.pk}/"), 404)
    if role != "staff":
        error(client.get(round_url(h.other)), 404)


def test_a_worker_of_another_competition_gets_404_for_this_ones_round(h, dave):
    error(dave.get(round_url(h.publicized)), 404)
    assert dave.get(round_url(h.other)).status_code == 200


def test_nominees_page_by_position_with_signed_cursors(api, h):
    first = api.worker.get(round_url(h.publicized), {"page_size": 1}).json()
    assert [r["id"] for r in first["nominees"]["results"]] == [h.alice_on.pk]
    second = api.worker.get(first["nominees"]["next"]).json()
    assert [r["id"] for r in second["nominees"]["results"]] == [h.bob_on.pk] and second["nominees"]["next"] is None
    cursor = first["nominees"]["next"].split("cursor=")[1].split("&")[0]
    # Another list's cursor, a forged one, a bad page size: 400 with the stable codes.
    assert error(api.worker.get(round_url(h.finalized), {"cursor": cursor}), 400)["code"] == "invalid_cursor"
    assert error(api.worker.get(round_url(h.publicized), {"cursor": "forged.x"}), 400)["code"] == "invalid_cursor"
    for size in ("0", "101", "x"):
        assert error(api.worker.get(round_url(h.publicized), {"page_size": size}), 400)["code"] == "validation_error"


def count(client, url, **params) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, params)
    assert response.status_code == 200, response.content
    return len(queries)


def test_query_counts_do_not_grow_with_the_list(api, w, f, h):
    before = {url: count(api.worker, url) for url in (rounds_url(w.comp), round_url(h.publicized),
                                                      "/api/v1/me/objections/", "/api/v1/me/honours/")}
    for position in range(4, 80):
        worker = f.worker(w.workshop, w.driver)
        honours_public_data.nominee(h.publicized, worker, position, "10")
    for nominee in h.publicized.nominees.filter(position__gt=3)[:30]:
        services.raise_objection(user=w.alice_user, nominee=nominee, reason="核实")
    after = {url: count(api.worker, url) for url in before}
    assert after == before
    # The bearer token, the role scope (three), then: the competition and the page of rounds; the round and
    # the page of nominees; the page of objections; the page of honours.
    assert before == {rounds_url(w.comp): 6, round_url(h.publicized): 6, "/api/v1/me/objections/": 5,
                      "/api/v1/me/honours/": 5}


# -- objections ------------------------------------------------------------------------------------

def test_raising_an_objection_returns_it_and_my_objections_show_the_answer(api, w, h):
    response = api.worker.post(objections_url(h.publicized), {"nominee": h.bob_on.pk, "reason": "李四三月有扣分。"},
                               format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["nominee_id"], body["nominee_name"], body["status"], body["answer"]) == (
        h.bob_on.pk, "李四", "open", "")
    objection = Objection.objects.get()
    assert objection.raised_by_id == w.alice_user.pk and objection.reason == "李四三月有扣分。"

    services.answer_objection(actor=w.staff, objection=objection, upheld=False, answer="扣分已撤销。")
    mine = api.worker.get("/api/v1/me/objections/").json()["results"]
    assert [(o["id"], o["status"], o["status_label"], o["answer"]) for o in mine] == [
        (objection.pk, "rejected", "异议不成立", "扣分已撤销。")]
    assert ids(api.clerk.get("/api/v1/me/objections/")) == []


@pytest.mark.parametrize(("body", "status", "code"), [
    ({"nominee": "bob", "reason": ""}, 400, "validation_error"),
    ({"nominee": "bob", "reason": "   "}, 400, "validation_error"),
    ({"nominee": "bob", "reason": "长" * 10_000}, 400, "validation_error"),
    ({"nominee": "bob"}, 400, "validation_error"),
    ({"nominee": "carol_off", "reason": "已删除的人"}, 400, "validation_error"),
    ({"nominee": "other", "reason": "另一个竞赛的人"}, 400, "validation_error"),
    ({"nominee": "final", "reason": "另一个名单的人"}, 400, "validation_error"),
    ({"nominee": 0, "reason": "x"}, 400, "validation_error"),
    ({"nominee": 2**63, "reason": "x"}, 400, "validation_error"),
    ({"nominee": "abc", "reason": "x"}, 400, "validation_error"),
    ({"nominee": None, "reason": "x"}, 400, "validation_error"),
    ({"nominee": "bob", "reason": "x", "extra": 1}, 400, "unknown_field"),
    ([], 400, "validation_error"),
])
def test_bad_objections_answer_4xx_and_save_nothing(api, h, body, status, code):
    ids_ = {"bob": h.bob_on.pk, "carol_off": h.carol_off.pk, "other": h.dave_on.pk, "final": h.bob_final.pk}
    if isinstance(body, dict) and body.get("nominee") in ids_:
        body = {**body, "nominee": ids_[body["nominee"]]}
    assert error(api.worker.post(objections_url(h.publicized), body, format="json"), status)["code"] == code
    assert not Objection.objects.exists()


def test_objections_refused_by_the_workflow_answer_409_with_their_code(api, h):
    url = objections_url(h.publicized)
    assert api.worker.post(url, {"nominee": h.bob_on.pk, "reason": "一"}, format="json").status_code == 201
    assert error(api.worker.post(url, {"nominee": h.bob_on.pk, "reason": "二"}, format="json"), 409)["code"] == \
        "objection_open"
    final = api.worker.post(objections_url(h.finalized), {"nominee": h.bob_final.pk, "reason": "晚了"}, format="json")
    assert error(final, 409)["code"] == "not_in_publicity"
    assert Objection.objects.count() == 1


def test_an_objection_after_the_window_closed_is_refused(api, h):
    from django.utils import timezone

    from competitions.honours.models import AwardRound

    AwardRound.objects.filter(pk=h.publicized.pk).update(publicity_end=timezone.now())
    response = api.clerk.post(objections_url(h.publicized), {"nominee": h.bob_on.pk, "reason": "晚了"}, format="json")
    assert error(response, 409)["code"] == "not_in_publicity"
    assert not Objection.objects.exists()


def test_objections_need_a_login_and_a_visible_round(api, h, dave):
    body = {"nominee": h.bob_on.pk, "reason": "x"}
    error(api.anon.post(objections_url(h.publicized), body, format="json"), 401)
    error(dave.post(objections_url(h.publicized), body, format="json"), 404)
    error(api.worker.post(objections_url(h.shortlisted), {"nominee": h.alice_shortlisted.pk, "reason": "x"},
                          format="json"), 404)
    error(api.worker.post("/api/v1/competitions/1/award-rounds/999999999/objections/", body, format="json"), 404)
    assert not Objection.objects.exists()


def test_an_objection_retried_with_the_same_idempotency_key_is_made_once(api, h):
    body = {"nominee": h.bob_on.pk, "reason": "网络重试"}
    first = api.worker.post(objections_url(h.publicized), body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    again = api.worker.post(objections_url(h.publicized), body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again.headers["Idempotent-Replayed"] == "true"
    assert Objection.objects.filter(status=ObjectionStatus.OPEN).count() == 1


# -- my honours ------------------------------------------------------------------------------------

def test_my_honours_lists_the_workers_public_places_and_final_honours(api, w, h):
    rows = api.worker.get("/api/v1/me/honours/").json()["results"]
    assert [(r["id"], r["round_status"], r["is_final"]) for r in rows] == [
        (h.alice_final.pk, "finalized", True), (h.alice_on.pk, "publicized", False)]
    final = rows[0]
    assert final["round_name"] == "上年度先进个人" and final["competition_name"] == w.comp.name
    assert final["status_label"] == "正式表彰" and final["approved_points"] == "900.000"


def test_my_honours_is_for_workers(api, h, dave):
    error(api.anon.get("/api/v1/me/honours/"), 401)
    for role in ("clerk", "reviewer", "staff"):
        error(getattr(api, role).get("/api/v1/me/honours/"), 403)
    assert ids(dave.get("/api/v1/me/honours/")) == [h.dave_on.pk]
    error(api.anon.get("/api/v1/me/objections/"), 401)
