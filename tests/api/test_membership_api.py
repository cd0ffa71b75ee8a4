"""/api/v1/me/membership/ and /api/v1/membership/…: every endpoint × every role (someone else's form or
member answers 404 like a missing one), the life of a membership through the API, and masking."""

from types import SimpleNamespace

import pytest

from members import membership as services
from members.models import ApplicationStatus, MemberCard, MembershipApplication, MembershipStatus, Worker
from tests.api.conftest import bearer_client
from tests.members.membership_data import card_number, form_for, post_data

pytestmark = pytest.mark.django_db

ROLES = ("anon", "worker", "other_worker", "clerk", "other_clerk", "officer", "other_officer", "reviewer", "staff")


@pytest.fixture
def u(w, f, api):
    """Union officers of the depot and of the other depot; alice's waiting form; a member (bob) with a card."""
    officer = f.user(username="officer")
    officer.union_units.set([w.depot])
    other_officer = f.user(username="officer2")
    other_officer.union_units.set([w.other_depot])
    alices = services.application_submit(actor=w.alice_user, form=form_for(w.alice))
    bobs = services.application_submit(actor=w.clerk, form=form_for(w.bob))
    services.application_approve(actor=w.staff, application_id=bobs.pk)
    card = services.card_issue(actor=w.staff, worker_id=w.bob.pk, number=card_number(1))
    clients = {name: getattr(api, name) for name in ("anon", "worker", "other_worker", "clerk", "other_clerk",
                                                      "reviewer", "staff")}
    clients.update(officer=bearer_client(officer), other_officer=bearer_client(other_officer))
    return SimpleNamespace(officer=officer, other_officer=other_officer, alices=alices, bobs=bobs, card=card,
                           clients=clients)


def _cases(w, u):
    """(name, method, url, body, {role: status}); a role not listed gets 403 (anon 401)."""
    app = f"/api/v1/membership/applications/{u.alices.pk}/"
    member = f"/api/v1/membership/members/{w.alice.pk}/"
    office = {"officer": 200, "staff": 200}
    return [
        ("me_get", "get", "/api/v1/me/membership/", None, {"worker": 200, "other_worker": 200}),
        ("applications_list", "get", "/api/v1/membership/applications/", None,
         {r: 200 for r in ROLES if r != "anon"}),
        ("application_get", "get", app, None,
         {"worker": 200, "other_worker": 404, "clerk": 200, "other_clerk": 404, "officer": 200, "other_officer": 404,
          "reviewer": 404, "staff": 200}),
        ("application_return", "post", app + "return/", {"reason": "请补充"},
         {"other_officer": 404, **office}),
        ("applications_approve_many", "post", "/api/v1/membership/applications/approve/",
         {"ids": [u.alices.pk]}, {"other_officer": 200, **office}),
        ("member_get", "get", member, None, {"other_officer": 404, **office}),
        ("card_create", "post", "/api/v1/membership/cards/", {"worker": w.bob.pk, "number": card_number(2)},
         {"staff": 409}),
        ("card_status", "post", f"/api/v1/membership/cards/{u.card.pk}/status/", {"status": "active"},
         {"staff": 200}),
        ("on_behalf", "post", "/api/v1/membership/applications/", {**post_data(w.carol), "worker": w.carol.pk},
         {"clerk": 400, "other_clerk": 201, "officer": 400, "other_officer": 201, "staff": 201}),
    ]


@pytest.mark.parametrize("case", range(9))
@pytest.mark.parametrize("role", ROLES)
def test_every_role_against_every_membership_endpoint(w, u, case, role):
    name, method, url, body, allowed = _cases(w, u)[case]
    response = getattr(u.clients[role], method)(url, body, format="json")
    want = 401 if role == "anon" else allowed.get(role, 403)
    assert response.status_code == want, (name, role, response.content[:300])
    if want >= 400:
        assert "error" in response.json() and response.json()["error"]["code"]


def test_someone_elses_form_is_not_approved_by_the_other_depots_officer(w, u):
    response = u.clients["other_officer"].post("/api/v1/membership/applications/approve/", {"ids": [u.alices.pk]},
                                               format="json")
    assert response.json() == {"approved": 0}
    assert MembershipApplication.objects.get(pk=u.alices.pk).status == ApplicationStatus.SUBMITTED


def test_the_full_life_through_the_api(w, u, today, api):
    # carol applies herself with a bad phone, then correctly
    response = api.other_worker.post("/api/v1/me/membership/", {**post_data(w.carol), "mobile": "1"}, format="json")
    assert response.status_code == 400
    response = api.other_worker.post("/api/v1/me/membership/", post_data(w.carol), format="json",
                                     HTTP_IDEMPOTENCY_KEY="apply-1")
    assert response.status_code == 201, response.content
    pk = response.json()["id"]
    again = api.other_worker.post("/api/v1/me/membership/", post_data(w.carol), format="json",
                                  HTTP_IDEMPOTENCY_KEY="apply-1")
    assert again.status_code == 201 and again.json()["id"] == pk
    officer = u.clients["other_officer"]
    assert officer.post(f"/api/v1/membership/applications/{pk}/return/", {"reason": ""},
                        format="json").status_code == 400
    officer.post(f"/api/v1/membership/applications/{pk}/return/", {"reason": "职务填写不全"}, format="json")
    mine = api.other_worker.get("/api/v1/me/membership/").json()
    assert mine["application"]["status"] == "returned" and mine["application"]["reason"] == "职务填写不全"
    assert api.other_worker.post("/api/v1/me/membership/", post_data(w.carol, job_title="线路工长"),
                                 format="json").status_code == 201
    approved = officer.post(f"/api/v1/membership/applications/{pk}/approve/", {}, format="json")
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    assert officer.post(f"/api/v1/membership/applications/{pk}/approve/", {}, format="json").status_code == 409
    card = api.staff.post("/api/v1/membership/cards/", {"worker": w.carol.pk, "number": card_number(5)},
                          format="json")
    assert card.status_code == 201 and card.json()["number"] == card_number(5)
    moved = officer.post(f"/api/v1/membership/members/{w.carol.pk}/",
                         {"kind": "transferred", "on": str(today), "reason": "调动", "to_unit": w.depot.pk},
                         format="json")
    assert moved.status_code == 200
    assert u.clients["officer"].post(f"/api/v1/membership/members/{w.carol.pk}/",
                                     {"kind": "terminated", "on": str(today), "reason": "退会"},
                                     format="json").status_code == 200
    mine = api.other_worker.get("/api/v1/me/membership/").json()
    assert mine["status"] == "left" and mine["membership_no"].startswith("BJ")
    assert [e["kind"] for e in mine["events"]] == ["terminated", "transferred", "joined"]
    assert mine["cards"][0]["number"] == card_number(5)
    assert Worker.objects.get(pk=w.carol.pk).membership_status == MembershipStatus.LEFT


def test_the_api_never_shows_an_id_number_and_a_card_in_full_only_to_the_member_and_staff(w, u):
    bob = bearer_client(_bob_user(w))
    seen = {}
    for role, client in (("bob", bob), ("officer", u.clients["officer"]), ("staff", u.clients["staff"])):
        url = "/api/v1/me/membership/" if role == "bob" else f"/api/v1/membership/members/{w.bob.pk}/"
        body = client.get(url).content.decode()
        listing = client.get("/api/v1/membership/applications/?status=approved").content.decode()
        birth = w.bob.id_number[6:14]
        for text in (body, listing):
            assert w.bob.id_number not in text and "13800138000" not in text
            # nor the birth date the mask hides (only its year is given)
            assert f"{birth[:4]}-{birth[4:6]}-{birth[6:]}" not in text and '"birth_date"' not in text
        seen[role] = u.card.number in body
        assert u.card.number[-4:] in body
    assert seen == {"bob": True, "officer": False, "staff": True}


def _bob_user(w):
    from tests import factories

    return factories.worker_user(w.bob)


def test_a_form_says_its_education_and_political_status_in_words_beside_their_codes(w, u):
    # form_for fills in education "college" and political status "masses"
    body = u.clients["officer"].get(f"/api/v1/membership/applications/{u.alices.pk}/").json()

    assert (body["education"], body["education_label"]) == ("college", "大专")
    assert (body["political_status"], body["political_status_label"]) == ("masses", "群众")


def test_bad_input_is_a_4xx_with_a_stable_code_and_changes_nothing(w, u, api):
    staff = api.staff
    cases = [
        ("/api/v1/membership/cards/", {"worker": w.bob.pk, "number": "123"}, 400),
        ("/api/v1/membership/cards/", {"worker": w.bob.pk, "number": card_number(4)}, 409),  # holds a live card
        ("/api/v1/membership/cards/", {"worker": w.alice.pk, "number": "4539578763621487"}, 400),
        ("/api/v1/membership/cards/", {"worker": 2**63, "number": card_number(3)}, 400),
        (f"/api/v1/membership/cards/{u.card.pk}/replace/", {"number": card_number(3)}, 409),
        ("/api/v1/membership/applications/approve/", {"ids": []}, 400),
        ("/api/v1/membership/applications/approve/", {"ids": [1], "extra": 1}, 400),
        (f"/api/v1/membership/members/{w.bob.pk}/", {"kind": "joined", "on": "2026-01-01", "reason": "x"}, 400),
        (f"/api/v1/membership/members/{w.bob.pk}/", {"kind": "suspended", "on": "2999-01-01", "reason": "x"}, 400),
        (f"/api/v1/membership/members/{w.bob.pk}/", {"kind": "restored", "on": "2026-01-01", "reason": "x"}, 409),
        ("/api/v1/membership/cards/999999/status/", {"status": "lost"}, 404),
    ]
    before = (MemberCard.objects.count(), MembershipApplication.objects.filter(status="approved").count())
    for url, body, status in cases:
        response = staff.post(url, body, format="json")
        assert response.status_code == status, (url, body, response.content)
        assert response.json()["error"]["code"]
    assert (MemberCard.objects.count(), MembershipApplication.objects.filter(status="approved").count()) == before


def test_membership_endpoints_have_a_fixed_number_of_queries(w, u, f, django_assert_max_num_queries):
    for _ in range(30):
        services.application_submit(actor=w.staff, form=form_for(f.worker(w.depot, w.driver)))
    with django_assert_max_num_queries(8):
        assert len(u.clients["officer"].get("/api/v1/membership/applications/?page_size=100").json()["results"]) > 30
    with django_assert_max_num_queries(10):
        assert u.clients["staff"].get(f"/api/v1/membership/members/{w.bob.pk}/").status_code == 200


def test_me_says_a_union_officer_is_one_in_the_same_four_queries(w, u, django_assert_max_num_queries):
    u.officer.clerk_units.add(w.other_depot)
    client = u.clients["officer"]
    with django_assert_max_num_queries(4):
        body = client.get("/api/v1/me/").json()
    assert body["roles"] == ["clerk", "union"]
    assert [x["id"] for x in body["union_units"]] == [w.depot.pk]
    assert [x["id"] for x in body["clerk_units"]] == [w.other_depot.pk]
