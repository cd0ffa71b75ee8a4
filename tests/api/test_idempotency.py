"""Writes from a flaky phone network: a retried POST returns the first answer and writes nothing twice;
a duplicate sent while the first is still running gets 409 idempotency_conflict."""

import threading

import pytest
from django.db import connection

from members.models import IdempotencyKey
from reviews.models import Dispute, EntryEvent, WorkEntry
from tests.api.conftest import bearer_client


def entry_body(w, **overrides):
    return {"competition": w.comp.pk, "worker": w.bob.pk, "rule": w.km.pk, "work_date": str(w.yesterday),
            "quantity": "42.5", **overrides}


@pytest.mark.django_db
def test_retried_entry_create_returns_the_first_response_and_creates_one_entry(api, w):
    first = api.clerk.post("/api/v1/entries/", entry_body(w), format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    retry = api.clerk.post("/api/v1/entries/", entry_body(w), format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == retry.status_code == 201
    assert retry.json() == first.json()
    assert retry["Idempotent-Replayed"] == "true"
    assert WorkEntry.objects.filter(worker=w.bob).count() == 1
    assert EntryEvent.objects.filter(entry__worker=w.bob).count() == 1


@pytest.mark.django_db
def test_retried_batch_and_dispute_create_nothing_twice(api, w):
    rows = [{"worker": w.bob.pk, "rule": w.km.pk, "work_date": str(w.yesterday), "quantity": "1"},
            {"worker": w.alice.pk, "rule": w.km.pk, "work_date": str(w.yesterday), "quantity": "2"}]
    body = {"competition": w.comp.pk, "rows": rows}
    first = api.clerk.post("/api/v1/entries/batch/", body, format="json", HTTP_IDEMPOTENCY_KEY="batch-1")
    retry = api.clerk.post("/api/v1/entries/batch/", body, format="json", HTTP_IDEMPOTENCY_KEY="batch-1")
    assert first.status_code == retry.status_code == 201 and retry.json() == first.json()
    assert WorkEntry.objects.count() == 2
    dispute = {"work_date": str(w.yesterday), "comment": "漏录"}
    first = api.worker.post("/api/v1/disputes/", dispute, format="json", HTTP_IDEMPOTENCY_KEY="d-1")
    retry = api.worker.post("/api/v1/disputes/", dispute, format="json", HTTP_IDEMPOTENCY_KEY="d-1")
    assert first.status_code == retry.status_code == 201 and retry.json() == first.json()
    assert Dispute.objects.count() == 1


@pytest.mark.django_db
def test_an_error_answer_is_replayed_too(api, w):
    body = entry_body(w, worker=w.carol.pk)  # not the clerk's worker
    first = api.clerk.post("/api/v1/entries/", body, format="json", HTTP_IDEMPOTENCY_KEY="k-err")
    retry = api.clerk.post("/api/v1/entries/", body, format="json", HTTP_IDEMPOTENCY_KEY="k-err")
    assert first.status_code == retry.status_code == 400
    assert retry.json() == first.json() and first.json()["error"]["code"] == "worker_not_enterable"


@pytest.mark.django_db
def test_same_key_with_a_different_request_is_refused(api, w):
    api.clerk.post("/api/v1/entries/", entry_body(w), format="json", HTTP_IDEMPOTENCY_KEY="k-2")
    other = api.clerk.post("/api/v1/entries/", entry_body(w, quantity="1"), format="json", HTTP_IDEMPOTENCY_KEY="k-2")
    assert other.status_code == 400
    assert other.json()["error"]["code"] == "idempotency_key_reused"
    assert WorkEntry.objects.filter(worker=w.bob).count() == 1


@pytest.mark.django_db
def test_keys_belong_to_one_account(api, w, f):
    # another clerk of the same depot using the same key makes their own entry
    second_clerk = bearer_client(f.clerk(w.depot))
    a = api.clerk.post("/api/v1/entries/", entry_body(w), format="json", HTTP_IDEMPOTENCY_KEY="shared")
    b = second_clerk.post("/api/v1/entries/", entry_body(w, rule=w.trips.pk, quantity="2"), format="json",
                          HTTP_IDEMPOTENCY_KEY="shared")
    assert a.status_code == b.status_code == 201 and a.json()["id"] != b.json()["id"]


@pytest.mark.django_db
@pytest.mark.parametrize("key", ["", " ", "x" * 65, "中文"])
def test_malformed_keys_are_refused(api, w, key):
    response = api.clerk.post("/api/v1/entries/", entry_body(w), format="json",
                              HTTP_IDEMPOTENCY_KEY=key.encode().decode("latin-1"))
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_idempotency_key"
    assert not WorkEntry.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_concurrent_duplicate_gets_409_and_the_first_completes(api, w, monkeypatch):
    # given a first request that is held inside the service (the phone's first attempt, still running)
    from reviews import services
    from reviews.api import views

    entered, release = threading.Event(), threading.Event()
    real_create = services.entry_create

    def slow_create(**kwargs):
        entered.set()
        assert release.wait(10)
        return real_create(**kwargs)

    monkeypatch.setattr(views.services, "entry_create", slow_create)
    results = {}

    def first():
        try:
            results["first"] = api.clerk.post("/api/v1/entries/", entry_body(w), format="json",
                                              HTTP_IDEMPOTENCY_KEY="race")
        finally:
            connection.close()

    thread = threading.Thread(target=first)
    thread.start()
    try:
        assert entered.wait(10)
        # when the duplicate arrives while the first is in flight
        duplicate = api.clerk.post("/api/v1/entries/", entry_body(w), format="json", HTTP_IDEMPOTENCY_KEY="race")
    finally:
        release.set()
        thread.join(10)
    # then it is refused with a clear 409, and the first one completes
    assert duplicate.status_code == 409
    assert duplicate.json()["error"]["code"] == "idempotency_conflict"
    assert results["first"].status_code == 201
    # and a later retry gets the first answer
    retry = api.clerk.post("/api/v1/entries/", entry_body(w), format="json", HTTP_IDEMPOTENCY_KEY="race")
    assert retry.status_code == 201 and retry.json() == results["first"].json()
    assert WorkEntry.objects.filter(worker=w.bob).count() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_identical_requests_create_one_entry(w):
    # Two phones' worth of the same request at the same moment, in real parallel connections.
    clients = [bearer_client(w.clerk) for _ in range(4)]
    barrier = threading.Barrier(len(clients))
    codes = []

    def post(client):
        try:
            barrier.wait(5)
            codes.append(client.post("/api/v1/entries/", entry_body(w), format="json",
                                     HTTP_IDEMPOTENCY_KEY="burst").status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=post, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join(20)
    assert sorted(codes).count(201) >= 1 and set(codes) <= {201, 409}
    assert WorkEntry.objects.filter(worker=w.bob).count() == 1


@pytest.mark.django_db
def test_a_failed_request_frees_its_key(api, w, monkeypatch):
    from reviews.api import views

    def boom(**kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(views.services, "entry_create", boom)
    api.clerk.raise_request_exception = False
    response = api.clerk.post("/api/v1/entries/", entry_body(w), format="json", HTTP_IDEMPOTENCY_KEY="k-500")
    assert response.status_code == 500
    assert not IdempotencyKey.objects.filter(key="k-500").exists()
