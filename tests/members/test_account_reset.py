"""A clerk's password reset never overrides union staff's decision to disable an account."""

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from members.services import account_reset_password

pytestmark = pytest.mark.django_db

PASSWORD = "pass-1234-word"  # tests/factories.py


@pytest.fixture
def disabled(f):
    depot = f.depot(name="北京机务段")
    worker = f.worker(depot, f.job_type(name="电力机车司机"), name="张三明")
    account = f.worker_user(worker, is_active=False)
    return {"worker": worker, "account": account, "clerk": f.clerk(depot, username="clerk"),
            "staff": f.staff_user(username="staff")}


def test_a_clerk_cannot_reenable_an_account_staff_disabled_and_is_told_why(client, disabled):
    client.force_login(disabled["clerk"])
    response = client.post(reverse("password_reset_by_clerk"),
                           {"employee_no": disabled["worker"].employee_no, "password": "Temp-pass-77"})
    page = response.content.decode()
    assert response.status_code == 200
    assert "已被工会干部停用" in page and "Temp-pass-77" not in page
    account = disabled["account"]
    account.refresh_from_db()
    assert account.is_active is False
    assert account.check_password(PASSWORD) and not account.must_change_password
    # and the temporary password opens nothing: the login page refuses it
    client.logout()
    response = client.post(reverse("login"), {"username": account.username, "password": "Temp-pass-77"})
    assert response.status_code == 200 and "_auth_user_id" not in client.session


def test_the_reset_service_refuses_a_disabled_account_for_staff_too(disabled):
    # Staff re-enable an account in the admin, on purpose; a reset is not the way to do it.
    with pytest.raises(PermissionDenied):
        account_reset_password(actor=disabled["staff"], employee_no=disabled["worker"].employee_no)
    disabled["account"].refresh_from_db()
    assert disabled["account"].is_active is False


def test_a_clerk_resets_the_password_of_a_worker_typed_in_full_width_digits(client, f):
    from tests.factories import ime_typed

    depot = f.depot(name="北京机务段")
    worker = f.worker(depot, f.job_type(name="电力机车司机"), name="李四")
    client.force_login(f.clerk(depot, username="clerk"))
    response = client.post(reverse("password_reset_by_clerk"),
                           {"employee_no": ime_typed(worker.employee_no), "password": "Temp-pass-77"})
    assert response.status_code == 200 and response.context["done"]["employee_no"] == worker.employee_no
    worker.refresh_from_db()
    assert worker.user.username == worker.employee_no and worker.user.check_password("Temp-pass-77")
