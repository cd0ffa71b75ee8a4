"""Login with employee number and password, expiring and refreshable tokens, logout, throttled failures,
and the portal's session still working."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from members.models import ApiToken

pytestmark = pytest.mark.django_db

PASSWORD = "pass-1234-word"  # tests/factories.py


def login(client, username, password=PASSWORD, **extra):
    return client.post("/api/v1/auth/login/", {"employee_no": username, "password": password}, format="json",
                       **extra)


def test_worker_logs_in_with_employee_number_and_uses_the_token(w):
    client = APIClient()
    response = login(client, w.alice.employee_no)
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "Bearer" and body["access"] and body["refresh"]
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {body['access']}")
    me = client.get("/api/v1/me/").json()
    assert me["username"] == w.alice.employee_no and me["roles"] == ["worker"]
    # the ID number and the phone are masked
    assert me["worker"]["id_number"] == w.alice.id_number[:6] + "********" + w.alice.id_number[-4:]
    assert me["worker"]["mobile"] == w.alice.mobile[:3] + "****" + w.alice.mobile[-4:]
    assert w.alice.id_number not in response.content.decode() + str(me)
    # only the digest is stored
    assert not ApiToken.objects.filter(access_digest=body["access"]).exists()


def test_wrong_password_and_unknown_account_get_the_same_answer(w):
    client = APIClient()
    wrong = login(client, w.alice.employee_no, "nope-nope-nope")
    unknown = login(client, "E999999", "nope-nope-nope")
    assert wrong.status_code == unknown.status_code == 400
    assert wrong.json() == unknown.json()
    assert wrong.json()["error"]["code"] == "invalid_credentials"


def test_failed_logins_are_throttled_per_account_even_from_many_addresses(w, settings):
    client = APIClient()
    for n in range(5):
        assert login(client, w.alice.employee_no, "wrong-password", REMOTE_ADDR=f"10.0.0.{n}").status_code == 400
    blocked = login(client, w.alice.employee_no, PASSWORD, REMOTE_ADDR="10.0.0.99")
    assert blocked.status_code == 429
    assert blocked.json()["error"]["code"] == "throttled"
    assert blocked.json()["error"]["details"]["retry_after"] > 0
    assert int(blocked["Retry-After"]) > 0
    # another account from the same addresses is not affected
    assert login(client, w.clerk.username, REMOTE_ADDR="10.0.0.1").status_code == 200


def test_failed_logins_are_throttled_per_address_across_accounts(w, f):
    client = APIClient()
    for n in range(19):
        assert login(client, f"E9{n:05d}", "wrong-password", REMOTE_ADDR="10.1.1.1").status_code == 400
    # the failure that reaches the limit already says the address is locked (members/lockout.py)
    reached = login(client, "E900019", "wrong-password", REMOTE_ADDR="10.1.1.1")
    assert reached.status_code == 429 and reached.json()["error"]["code"] == "login_locked"
    assert login(client, w.alice.employee_no, REMOTE_ADDR="10.1.1.1").status_code == 429
    assert login(client, w.alice.employee_no, REMOTE_ADDR="10.1.1.2").status_code == 200


def test_successful_logins_are_not_counted_as_failures(w):
    client = APIClient()
    for _ in range(8):
        assert login(client, w.alice.employee_no).status_code == 200


def test_refresh_rotates_both_tokens(w):
    client = APIClient()
    first = login(client, w.alice.employee_no).json()
    refreshed = client.post("/api/v1/auth/refresh/", {"refresh": first["refresh"]}, format="json")
    assert refreshed.status_code == 200
    second = refreshed.json()
    assert second["access"] != first["access"] and second["refresh"] != first["refresh"]
    # the old refresh token is dead, and so is the old access token
    again = client.post("/api/v1/auth/refresh/", {"refresh": first["refresh"]}, format="json")
    assert again.status_code == 401 and again.json()["error"]["code"] == "invalid_refresh_token"
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {first['access']}")
    assert client.get("/api/v1/me/").status_code == 401
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {second['access']}")
    assert client.get("/api/v1/me/").status_code == 200


def test_logout_revokes_access_and_refresh(w):
    client = APIClient()
    tokens = login(client, w.alice.employee_no).json()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
    assert client.post("/api/v1/auth/logout/").status_code == 204
    response = client.get("/api/v1/me/")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "authentication_failed"
    refresh = APIClient().post("/api/v1/auth/refresh/", {"refresh": tokens["refresh"]}, format="json")
    assert refresh.status_code == 401


def test_expired_access_token_is_refused_and_refresh_still_works(w):
    client = APIClient()
    tokens = login(client, w.alice.employee_no).json()
    ApiToken.objects.update(access_expires_at=timezone.now() - timedelta(seconds=1))
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
    assert client.get("/api/v1/me/").status_code == 401
    assert APIClient().post("/api/v1/auth/refresh/", {"refresh": tokens["refresh"]}, format="json").status_code == 200


def test_expired_refresh_token_requires_a_new_login(w):
    tokens = login(APIClient(), w.alice.employee_no).json()
    ApiToken.objects.update(refresh_expires_at=timezone.now() - timedelta(seconds=1))
    assert APIClient().post("/api/v1/auth/refresh/", {"refresh": tokens["refresh"]}, format="json").status_code == 401


def test_inactive_account_token_stops_working(w):
    client = APIClient()
    tokens = login(client, w.alice.employee_no).json()
    w.alice_user.is_active = False
    w.alice_user.save()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
    assert client.get("/api/v1/me/").status_code == 401


@pytest.mark.parametrize("header", ["Bearer", "Bearer a b", "Bearer not-a-token", "Bearer \u4e2d\u6587"])
def test_malformed_or_unknown_tokens_get_401(w, header):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header.encode("utf-8").decode("latin-1"))
    response = client.get("/api/v1/me/")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "authentication_failed"


def test_portal_session_still_works(w):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(w.clerk)
    assert client.get("/api/v1/me/").json()["roles"] == ["clerk"]
    # a session write without the CSRF token is refused (the cookie alone must not be enough)
    response = client.post("/api/v1/entries/", {}, format="json")
    assert response.status_code == 403


def test_login_rejects_unknown_fields_and_wrong_types(w):
    client = APIClient()
    response = client.post("/api/v1/auth/login/", {"employee_no": "E1", "password": "x", "remember": True},
                           format="json")
    assert response.status_code == 400 and response.json()["error"]["code"] == "unknown_field"
    response = client.post("/api/v1/auth/login/", {"employee_no": ["E1"], "password": 5}, format="json")
    assert response.status_code == 400 and response.json()["error"]["code"] == "validation_error"
    # a number is not a password: DRF would store its text; the schema says string
    assert set(response.json()["error"]["details"]) == {"employee_no", "password"}



@pytest.mark.parametrize("employee_no, password", [("\ud800", "x"), ("E1\ud800", "\ud800"), ("E1", "\ud800")])
def test_a_lone_surrogate_in_the_login_is_400_not_a_server_error(w, employee_no, password):
    # The throttles read the employee number before the body is validated, and hashing it failed (500).
    import json

    client = APIClient(raise_request_exception=False)
    body = json.dumps({"employee_no": employee_no, "password": password})
    response = client.post("/api/v1/auth/login/", body, content_type="application/json")
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert {field for field, value in (("employee_no", employee_no), ("password", password))
            if "\ud800" in value} == set(error["details"])
    assert login(client, w.alice.employee_no).status_code == 200  # and the account still logs in

def test_anonymous_requests_are_throttled(w, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {
        **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "anon": "3/min"}}
    from rest_framework import throttling

    # Put back afterwards the rates from before: api_settings still holds the lowered ones here.
    before = throttling.SimpleRateThrottle.THROTTLE_RATES
    throttling.SimpleRateThrottle.THROTTLE_RATES = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
    try:
        client = APIClient()
        codes = [client.get("/api/v1/schema/").status_code for _ in range(2)]
        codes += [client.post("/api/v1/auth/refresh/", {"refresh": "x"}, format="json").status_code
                  for _ in range(3)]
        assert codes[-1] == 429
    finally:
        throttling.SimpleRateThrottle.THROTTLE_RATES = before


def test_token_lookup_by_hand_matches_the_orm(w):
    # Bearer authentication builds the token, account and worker from one row by hand; the ORM query
    # it replaces must give the same objects.
    from members.api.authentication import digest, token_lookup, tokens_issue, tokens_revoke
    from members.models import ApiToken, User, Worker

    def token_lookup_orm(access_digest):
        return (ApiToken.objects.select_related("user__worker")
                .filter(access_digest=access_digest, revoked_at__isnull=True).first())

    for user in (w.alice_user, w.clerk, w.staff):
        access = tokens_issue(user=user).access
        fast, orm = token_lookup(digest(access)), token_lookup_orm(digest(access))
        assert (fast.pk, fast.user_id, fast.access_expires_at) == (orm.pk, orm.user_id, orm.access_expires_at)
        assert [getattr(fast.user, f.attname) for f in User._meta.concrete_fields] == [
            getattr(orm.user, f.attname) for f in User._meta.concrete_fields]
        try:
            orm_worker = orm.user.worker
        except Worker.DoesNotExist:
            orm_worker = None
        with CaptureQueriesContext(connection) as q:
            try:
                fast_worker = fast.user.worker
            except Worker.DoesNotExist:
                fast_worker = None
        assert len(q) == 0  # attached, as select_related leaves it
        assert (fast_worker and (fast_worker.pk, fast_worker.name)) == (orm_worker and (orm_worker.pk, orm_worker.name))
        tokens_revoke(token=fast)
        assert token_lookup(digest(access)) is None and token_lookup_orm(digest(access)) is None
    assert token_lookup(digest("no-such-token")) is None


def test_worker_logs_in_with_the_employee_number_typed_in_full_width_digits(w):
    from tests.factories import ime_typed

    client = APIClient()
    response = login(client, ime_typed(w.alice.employee_no))
    assert response.status_code == 200
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {response.json()['access']}")
    assert client.get("/api/v1/me/").json()["username"] == w.alice.employee_no


def test_the_clerks_worker_search_reads_a_full_width_start_of_the_number(w):
    from tests.factories import ime_typed

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {login(client, w.clerk.username).json()['access']}")
    found = client.get("/api/v1/workers/", {"employee_no": ime_typed(w.alice.employee_no[:4])}).json()
    assert w.alice.employee_no in {row["employee_no"] for row in found["results"]}
