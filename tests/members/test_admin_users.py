"""The account admin: Django's user admin plus the portal roles."""

import pytest
from django.urls import reverse

from members.models import User

pytestmark = pytest.mark.django_db


def test_staff_creates_an_account_that_must_change_its_password(admin_client):
    response = admin_client.post(reverse("admin:members_user_add"), {
        "username": "clerk01", "password1": "Gonghui-2026-pass", "password2": "Gonghui-2026-pass",
        "usable_password": "true", "must_change_password": "on",
    })

    assert response.status_code == 302
    assert User.objects.get(username="clerk01").must_change_password is True


def test_roles_are_edited_on_the_change_page(admin_client, f):
    account = f.user(username="reviewer01")
    unit, system = f.depot(), f.business_system()
    url = reverse("admin:members_user_change", args=[account.pk])
    page = admin_client.get(url)
    form = page.context["adminform"].form
    data = {name: form.initial.get(name) or "" for name in form.fields if name not in ("groups", "user_permissions")}
    data.update({"username": "reviewer01", "is_active": "on", "clerk_units": [unit.pk],
                 "reviewer_systems": [system.pk], "union_units": [unit.pk], "date_joined_0": "2026-01-01", "date_joined_1": "08:00:00",
                 "last_login_0": "", "last_login_1": ""})
    data.pop("password", None)

    response = admin_client.post(url, data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    assert list(account.clerk_units.all()) == [unit]
    assert list(account.reviewer_systems.all()) == [system]
    assert list(account.union_units.all()) == [unit]


def test_password_reset_is_djangos_own_form(admin_client, f):
    account = f.user()

    response = admin_client.get(reverse("admin:auth_user_password_change", args=[account.pk]))

    assert response.status_code == 200
    assert "password1" in response.context["form"].fields
