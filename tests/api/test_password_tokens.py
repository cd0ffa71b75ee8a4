"""A new password ends every API token of the account, whichever path set it; an account that must change
its password can do nothing through the API but change it (or log out)."""

import getpass

import pytest
from django.contrib.auth.signals import user_login_failed
from django.core.management import call_command
from django.urls import reverse
from rest_framework.test import APIClient

from members.models import ApiToken

pytestmark = pytest.mark.django_db

PASSWORD = "pass-1234-word"  # tests/factories.py
NEW_PASSWORD = "Rail-way-2026"


def signed_in_phone(user) -> tuple[APIClient, dict]:
    """A phone that logged in through the API: a client carrying the access token, and both tokens."""
    client = APIClient()
    tokens = client.post("/api/v1/auth/login/", {"employee_no": user.username, "password": PASSWORD},
                         format="json").json()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
    assert client.get("/api/v1/me/").status_code == 200
    return client, tokens


def refresh(tokens):
    return APIClient().post("/api/v1/auth/refresh/", {"refresh": tokens["refresh"]}, format="json")


def change_in_portal(w, user):
    client = APIClient()
    client.force_login(user)
    response = client.post(reverse("password_change"), {
        "old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}, format="multipart")
    assert response.status_code == 302


def reset_by_clerk(w, user):
    client = APIClient()
    client.force_login(w.clerk)
    response = client.post(reverse("password_reset_by_clerk"),
                           {"employee_no": w.alice.employee_no, "password": NEW_PASSWORD}, format="multipart")
    assert NEW_PASSWORD in response.content.decode()


def change_in_admin(w, user):
    w.staff.is_superuser = True
    w.staff.save()
    client = APIClient()
    client.force_login(w.staff)
    response = client.post(reverse("admin:auth_user_password_change", args=[user.pk]),
                           {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD}, format="multipart")
    assert response.status_code == 302


def change_with_manage_py(w, user):
    call_command("changepassword", user.username)


def change_through_the_api(w, user):
    # Another phone of the same person changes the password.
    other_phone, _ = signed_in_phone(user)
    response = other_phone.post("/api/v1/auth/password/", {"old_password": PASSWORD, "new_password": NEW_PASSWORD},
                                format="json")
    assert response.status_code == 200


@pytest.mark.parametrize("change", [change_in_portal, reset_by_clerk, change_in_admin, change_with_manage_py,
                                    change_through_the_api])
def test_a_new_password_ends_every_access_and_refresh_token_of_the_account(w, change, monkeypatch):
    # given: the worker is signed in on two phones, and bob's account on a third
    monkeypatch.setattr(getpass, "getpass", lambda prompt="": NEW_PASSWORD)
    first, first_tokens = signed_in_phone(w.alice_user)
    second, second_tokens = signed_in_phone(w.alice_user)
    bystander, bystander_tokens = signed_in_phone(w.clerk)
    # when: the password changes
    change(w, w.alice_user)
    w.alice_user.refresh_from_db()
    assert w.alice_user.check_password(NEW_PASSWORD)
    # then: neither phone's access or refresh token works; another account's do
    for phone, tokens in ((first, first_tokens), (second, second_tokens)):
        response = phone.get("/api/v1/me/")
        assert response.status_code == 401 and response.json()["error"]["code"] == "authentication_failed"
        assert refresh(tokens).status_code == 401
    assert bystander.get("/api/v1/me/").status_code == 200
    assert refresh(bystander_tokens).status_code == 200
    # and a login with the new password works again
    again = APIClient().post("/api/v1/auth/login/", {"employee_no": w.alice_user.username, "password": NEW_PASSWORD},
                             format="json")
    assert again.status_code == 200


def test_a_token_refreshed_before_the_change_dies_with_the_password_too(w):
    phone, tokens = signed_in_phone(w.alice_user)
    rotated = refresh(tokens).json()
    w.alice_user.set_password(NEW_PASSWORD)
    w.alice_user.save()
    assert refresh(rotated).status_code == 401
    phone.credentials(HTTP_AUTHORIZATION=f"Bearer {rotated['access']}")
    assert phone.get("/api/v1/me/").status_code == 401


def must_change(user):
    user.must_change_password = True
    user.save(update_fields=["must_change_password"])


@pytest.mark.parametrize("path", ["/api/v1/me/", "/api/v1/entries/", "/api/v1/competitions/"])
def test_an_account_that_must_change_its_password_is_refused_by_the_api_with_a_stable_code(w, path):
    phone, _ = signed_in_phone(w.clerk)
    must_change(w.clerk)
    response = phone.get(path)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "password_change_required"
    assert "修改密码" in response.json()["error"]["message"]


def test_the_portal_session_cannot_bypass_the_password_change_through_the_api(w):
    must_change(w.alice_user)
    client = APIClient()
    client.force_login(w.alice_user)
    response = client.get("/api/v1/me/")
    assert response.status_code == 403 and response.json()["error"]["code"] == "password_change_required"


def test_an_account_that_must_change_its_password_changes_it_through_the_api_and_carries_on(w):
    # given: a clerk reset the worker's password; the worker logs in on the phone with it
    must_change(w.alice_user)
    phone, tokens = signed_in_phone_despite_must_change(w.alice_user)
    refreshed = refresh(tokens)  # refresh stays open, to finish the change with
    assert refreshed.status_code == 200
    phone.credentials(HTTP_AUTHORIZATION=f"Bearer {refreshed.json()['access']}")
    # when: a new password that breaks the password rules is refused and nothing changes
    weak = phone.post("/api/v1/auth/password/", {"old_password": PASSWORD, "new_password": "12345678"}, format="json")
    assert weak.status_code == 400 and set(weak.json()["error"]["details"]) == {"new_password"}
    wrong = phone.post("/api/v1/auth/password/", {"old_password": "not-it-0000", "new_password": NEW_PASSWORD},
                       format="json")
    assert wrong.status_code == 400 and wrong.json()["error"]["code"] == "invalid_credentials"
    same = phone.post("/api/v1/auth/password/", {"old_password": PASSWORD, "new_password": PASSWORD}, format="json")
    assert same.status_code == 400 and set(same.json()["error"]["details"]) == {"new_password"}  # no change
    w.alice_user.refresh_from_db()
    assert w.alice_user.must_change_password and w.alice_user.check_password(PASSWORD)
    # when: the worker chooses a good one
    changed = phone.post("/api/v1/auth/password/", {"old_password": PASSWORD, "new_password": NEW_PASSWORD},
                         format="json")
    # then: the flag is lifted, the answer carries this phone's new tokens, and they work everywhere
    assert changed.status_code == 200
    w.alice_user.refresh_from_db()
    assert not w.alice_user.must_change_password and w.alice_user.check_password(NEW_PASSWORD)
    fresh = APIClient()
    fresh.credentials(HTTP_AUTHORIZATION=f"Bearer {changed.json()['access']}")
    assert fresh.get("/api/v1/me/").status_code == 200
    assert ApiToken.objects.filter(user=w.alice_user).count() == 2  # the old login's row is dead, not reused


def test_a_locked_account_changing_its_password_is_told_it_is_locked_not_that_the_password_is_wrong(w, settings):
    phone, _tokens = signed_in_phone_despite_must_change(w.alice_user)
    for _ in range(settings.LOGIN_FAILURE_LIMIT):
        phone.post("/api/v1/auth/password/", {"old_password": "not-it-0000", "new_password": NEW_PASSWORD},
                   format="json")
    right = phone.post("/api/v1/auth/password/", {"old_password": PASSWORD, "new_password": NEW_PASSWORD},
                       format="json")
    assert right.status_code == 429 and right.json()["error"]["code"] == "login_locked"
    w.alice_user.refresh_from_db()
    assert w.alice_user.check_password(PASSWORD)

def signed_in_phone_despite_must_change(user):
    client = APIClient()
    tokens = client.post("/api/v1/auth/login/", {"employee_no": user.username, "password": PASSWORD},
                         format="json").json()
    assert tokens["access"]  # login itself stays open
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
    return client, tokens


def test_an_account_that_must_change_its_password_can_still_log_out(w):
    must_change(w.alice_user)
    phone, tokens = signed_in_phone_despite_must_change(w.alice_user)
    assert phone.post("/api/v1/auth/logout/").status_code == 204
    assert refresh(tokens).status_code == 401


def test_a_wrong_current_password_is_a_failed_login_for_the_lockout(w):
    # The lockout counts failed logins (user_login_failed, sent by authenticate()): a stolen phone's token
    # must not be a way to guess the password without limit.
    failures = []

    def count(sender, credentials, **kwargs):
        failures.append(credentials.get("username"))

    phone, _ = signed_in_phone(w.alice_user)
    user_login_failed.connect(count)
    try:
        phone.post("/api/v1/auth/password/", {"old_password": "guess-0000", "new_password": NEW_PASSWORD},
                   format="json")
    finally:
        user_login_failed.disconnect(count)
    assert failures == [w.alice_user.username]


def test_the_password_change_endpoint_is_in_the_schema(w):
    schema = APIClient().get("/api/v1/schema/", HTTP_ACCEPT="application/json").json()
    operation = schema["paths"]["/api/v1/auth/password/"]["post"]
    assert operation["operationId"] == "auth_password_change"
    assert {"200", "400", "403"} <= set(operation["responses"])
