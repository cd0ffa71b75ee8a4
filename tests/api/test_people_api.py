"""The worker and unit lookups a clerk's app uses to enter work for a worker it has never seen."""

import json
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core import signing

pytestmark = pytest.mark.django_db


def results(response):
    assert response.status_code == 200, response.content
    return response.json()["results"]


def test_a_clerk_finds_a_worker_of_their_units_by_the_start_of_the_employee_number_and_enters_work(api, w, f):
    # given a worker the app has never seen, in a team below the clerk's depot
    team = f.unit(parent=w.workshop)
    newcomer = f.worker(team, w.driver, employee_no="Z7700001", name="赵新")
    f.worker(w.other_depot, w.track, employee_no="Z7700002", name="赵外")  # another depot: never listed
    # when the app searches by the start of the 工号
    found = results(api.clerk.get("/api/v1/workers/", {"employee_no": "Z77"}))
    # then only the clerk's own worker comes back, masked, and work can be entered for them
    assert [row["id"] for row in found] == [newcomer.pk]
    row = found[0]
    assert row["id_number"] == newcomer.id_number_masked != newcomer.id_number
    assert row["mobile"] == newcomer.mobile_masked != newcomer.mobile
    assert row["unit"]["id"] == team.pk and row["job_type"]["business_system"]["id"] == w.system.pk
    created = api.clerk.post("/api/v1/entries/", {"competition": w.comp.pk, "worker": row["id"], "rule": w.km.pk,
                                                  "work_date": str(w.yesterday), "quantity": "5"}, format="json")
    assert created.status_code == 201, created.content


def test_workers_are_found_by_the_start_of_the_name_not_the_middle(api, w):
    assert [row["id"] for row in results(api.clerk.get("/api/v1/workers/", {"name": "张"}))] == [w.alice.pk]
    assert results(api.clerk.get("/api/v1/workers/", {"name": "三"})) == []


def test_enterable_narrows_a_clerk_who_is_also_a_reviewer_to_their_units(api, w):
    w.clerk.reviewer_systems.add(w.other_system)
    everyone = {row["id"] for row in results(api.clerk.get("/api/v1/workers/"))}
    enterable = {row["id"] for row in results(api.clerk.get("/api/v1/workers/", {"enterable": "true"}))}
    assert everyone == {w.alice.pk, w.bob.pk, w.carol.pk}
    assert enterable == {w.alice.pk, w.bob.pk}
    assert results(api.reviewer.get("/api/v1/workers/", {"enterable": "true"})) == []


def cursor_keys(link: str) -> list:
    """The keys a next/previous link's cursor carries, as anyone holding the link can read them (config.cursors:
    base64 JSON before the signature)."""
    text = parse_qs(urlsplit(link).query)["cursor"][0]
    return json.loads(signing.b64_decode(text.rsplit(".", 1)[0].encode()))


def test_the_worker_list_pages_by_employee_number_with_the_projects_cursor(api, w, f, django_assert_num_queries):
    made = [f.worker(w.depot, w.driver, employee_no=f"P{n:07d}") for n in (6, 2, 0, 5, 1, 4, 3)]
    first = api.clerk.get("/api/v1/workers/", {"employee_no": "P", "page_size": 3}).json()
    with django_assert_num_queries(5):  # as the first page: the token, the scope (three), the page
        second = api.clerk.get(first["next"]).json()
    third = api.clerk.get(second["next"]).json()
    numbers = [row["employee_no"] for row in first["results"] + second["results"] + third["results"]]
    assert numbers == [f"P{n:07d}" for n in range(7)] and third["next"] is None
    # the cursors carry the last row's id, never a 工号 (they travel in links)
    for link in (first["next"], second["next"], second["previous"], third["previous"]):
        keys = cursor_keys(link)
        assert not any(isinstance(k, str) and k.startswith("P") for k in keys), keys
        assert not {str(worker.employee_no) for worker in made} & {str(k) for k in keys}, keys
    assert cursor_keys(first["next"])[-1] == str(first["results"][-1]["id"])
    back = api.clerk.get(third["previous"]).json()
    assert [row["employee_no"] for row in back["results"]] == numbers[3:6]
    # a cursor of another list is refused
    cursor = first["next"].split("cursor=")[1].split("&")[0]
    assert api.clerk.get("/api/v1/entries/", {"cursor": cursor}).status_code == 400


def test_units_are_listed_in_tree_order_and_found_by_code(api, w):
    rows = results(api.clerk.get("/api/v1/units/"))
    assert [row["id"] for row in rows] == [w.depot.pk, w.workshop.pk]
    assert rows[1]["parent_id"] == w.depot.pk and rows[1]["depot_id"] == w.depot.pk
    assert [row["id"] for row in results(api.staff.get("/api/v1/units/", {"code": "D1-"}))] == [w.workshop.pk]


@pytest.mark.parametrize("params", [{"employee_no": "x" * 21}, {"unit": "abc"}, {"unit": "0"},
                                    {"name": "a\x00b"}, {"page_size": "0"}])
def test_bad_lookup_parameters_are_a_400_in_the_error_format(api, params):
    response = api.clerk.get("/api/v1/workers/", params)
    assert response.status_code == 400 and response.json()["error"]["code"]


def test_empty_values_are_read_as_documented(api, w):
    # an empty filter is no filter, an empty optional query value is the default (allowEmptyValue)
    assert {row["id"] for row in results(api.clerk.get("/api/v1/workers/", {"unit": "", "name": ""}))} == {
        w.alice.pk, w.bob.pk}
    assert api.clerk.get(f"/api/v1/competitions/{w.comp.pk}/leaderboard/", {"day": ""}).status_code == 200
    # an empty page size or cursor of a keyset list is refused (the schema does not allow one)
    for params in ({"page_size": ""}, {"cursor": ""}):
        response = api.clerk.get("/api/v1/workers/", params)
        assert response.status_code == 400 and response.json()["error"]["code"], params
