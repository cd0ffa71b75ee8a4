"""Login, lockout, first-login password change and the clerk's password reset."""

import logging

import pytest
from django.contrib.auth import authenticate
from django.test import RequestFactory
from django.urls import reverse

from members import lockout
from members.models import User

pytestmark = pytest.mark.django_db

PASSWORD = "pass-1234-word"  # tests.factories.user's default
LOCKED = "登录失败次数过多"


@pytest.fixture
def world(f):
    depot = f.depot(name="北京机务段")
    other_depot = f.depot(name="天津机务段")
    job = f.job_type(name="电力机车司机")
    worker = f.worker(depot, job, name="张三明")
    account = f.worker_user(worker)
    return {"depot": depot, "other_depot": other_depot, "job": job, "worker": worker, "account": account,
            "clerk": f.clerk(depot, username="clerk"), "other": f.worker(other_depot, job, name="李四")}


def login(client, username, password):
    return client.post(reverse("login"), {"username": username, "password": password})


def test_a_worker_logs_in_with_employee_number_and_lands_on_my_page(client, world):
    response = login(client, world["worker"].employee_no, PASSWORD)
    assert response.status_code == 302
    assert client.get("/").url == reverse("me")


def test_a_wrong_password_is_refused_in_chinese(client, world):
    response = login(client, world["worker"].employee_no, "wrong-password")
    assert response.status_code == 200
    assert "工号/用户名或密码不正确" in response.content.decode()


@pytest.mark.parametrize(("language", "label"), [("zh-hans", "工号或用户名"), ("en", "Employee no. or username")])
def test_the_login_page_asks_for_an_employee_number_or_a_user_name(client, world, language, label):
    # staff and clerks log in with a user name (clerk, admin), workers with their employee number
    client.cookies["django_language"] = language
    page = client.get(reverse("login")).content.decode()
    assert f'<label for="id_username">{label}</label>' in page


def test_a_clerk_logs_in_with_a_user_name_on_the_same_form(client, world):
    assert login(client, "clerk", PASSWORD).status_code == 302
    assert client.session["_auth_user_id"] == str(world["clerk"].pk)


def test_five_failures_lock_the_account_even_against_the_right_password(client, world, settings):
    emp = world["worker"].employee_no
    for _ in range(settings.LOGIN_FAILURE_LIMIT - 1):
        assert LOCKED not in login(client, emp, "wrong-password").content.decode()
    # The failure that reaches the limit already says so.
    assert LOCKED in login(client, emp, "wrong-password").content.decode()
    response = login(client, emp, PASSWORD)
    assert response.status_code == 200 and LOCKED in response.content.decode()
    assert "_auth_user_id" not in client.session
    # The lock is per account: the clerk, from the same address, still logs in.
    assert login(client, "clerk", PASSWORD).status_code == 302


def test_many_failures_from_one_address_lock_the_address_for_every_account(client, world, settings):
    for n in range(settings.LOGIN_IP_FAILURE_LIMIT):
        login(client, f"guess{n}", "wrong-password")  # a different account each time: no account lock
    response = login(client, "clerk", PASSWORD)
    assert response.status_code == 200 and LOCKED in response.content.decode()


def test_the_lockout_also_guards_every_other_login_path(world, settings):
    """The backend refuses a locked account whoever asks (the admin's login, the API)."""
    request = RequestFactory().post("/admin/login/", REMOTE_ADDR="10.0.0.9")
    emp = world["worker"].employee_no
    for _ in range(settings.LOGIN_FAILURE_LIMIT):
        assert authenticate(request, username=emp, password="nope") is None
    assert authenticate(request, username=emp, password=PASSWORD) is None


def test_a_successful_login_starts_the_accounts_count_again(client, world, settings):
    emp = world["worker"].employee_no
    for _ in range(settings.LOGIN_FAILURE_LIMIT - 1):
        login(client, emp, "wrong-password")
    assert login(client, emp, PASSWORD).status_code == 302
    client.logout()
    for _ in range(settings.LOGIN_FAILURE_LIMIT - 1):
        login(client, emp, "wrong-password")
    assert login(client, emp, PASSWORD).status_code == 302


def test_must_change_password_sends_every_page_to_the_change_form_until_changed(client, world):
    account = world["account"]
    account.must_change_password = True
    account.save()
    login(client, account.username, PASSWORD)
    for url in ("/", reverse("me"), reverse("leaderboard"), reverse("my_entries")):
        response = client.get(url)
        assert response.status_code == 302 and response.url.startswith(reverse("password_change"))
    assert client.get(reverse("password_change")).status_code == 200
    response = client.post(reverse("password_change"), {
        "old_password": PASSWORD, "new_password1": "Rail-way-2026", "new_password2": "Rail-way-2026"})
    assert response.status_code == 302
    account.refresh_from_db()
    assert not account.must_change_password and account.check_password("Rail-way-2026")
    assert client.get(reverse("me")).status_code == 200  # still logged in after the change


def test_the_password_page_counts_wrong_current_passwords_toward_the_lockout_and_refuses_the_same_one(
        client, world, settings):
    account = world["account"]
    login(client, account.username, PASSWORD)
    change = {"new_password1": "Rail-way-2026", "new_password2": "Rail-way-2026"}
    # a signed-in session guessing the current password is counted as failed logins are ...
    for _ in range(settings.LOGIN_FAILURE_LIMIT):
        page = client.post(reverse("password_change"), {"old_password": "not-it-0000", **change}).content.decode()
        assert "旧密码不正确" in page or "已暂时锁定" in page
    # ... so that once locked even the right one is refused, with how long, and nothing changes
    page = client.post(reverse("password_change"), {"old_password": PASSWORD, **change}).content.decode()
    assert "已暂时锁定" in page
    account.refresh_from_db()
    assert account.check_password(PASSWORD)
    # a "new" password equal to the current one (a clerk's temporary password kept) is no change
    lockout.clear_account(account.username)
    page = client.post(reverse("password_change"), {"old_password": PASSWORD, "new_password1": PASSWORD,
                                                     "new_password2": PASSWORD}).content.decode()
    assert "新密码不能与当前密码相同" in page

def test_a_clerk_resets_a_workers_password_which_must_be_changed_at_next_login(client, world, caplog):
    caplog.set_level(logging.DEBUG)
    client.force_login(world["clerk"])
    response = client.post(reverse("password_reset_by_clerk"), {"employee_no": world["worker"].employee_no,
                                                                 "password": "Temp-pass-77"})
    # Shown once on the page itself: no redirect, so the password is never in a URL or a stored message.
    assert response.status_code == 200
    assert "Temp-pass-77" in response.content.decode()
    assert "Temp-pass-77" not in caplog.text
    world["account"].refresh_from_db()
    assert world["account"].must_change_password
    client.logout()
    assert login(client, world["worker"].employee_no, "Temp-pass-77").status_code == 302
    assert client.get(reverse("me")).url.startswith(reverse("password_change"))


def test_a_generated_temporary_password_works_and_the_reset_lifts_a_lockout(client, world, settings):
    emp = world["worker"].employee_no
    for _ in range(settings.LOGIN_FAILURE_LIMIT):
        login(client, emp, "wrong-password")
    client.force_login(world["clerk"])
    page = client.post(reverse("password_reset_by_clerk"), {"employee_no": emp, "password": ""})
    password = page.context["done"]["password"]
    assert len(password) >= 8
    client.logout()
    assert login(client, emp, password).status_code == 302


def test_a_clerk_opens_an_account_for_a_worker_who_has_none(client, world):
    client.force_login(world["clerk"])
    newcomer = world["worker"].__class__.objects.create(
        employee_no="N0001", name="赵六", gender="M", id_number="11010519850312011X", unit=world["depot"],
        job_type=world["job"])
    client.post(reverse("password_reset_by_clerk"), {"employee_no": "N0001", "password": "Temp-pass-77"})
    newcomer.refresh_from_db()
    assert newcomer.user.username == "N0001" and newcomer.user.must_change_password


def test_a_clerk_cannot_reset_another_units_worker(client, world):
    other = world["other"]
    other_account = User.objects.create_user(username=other.employee_no, password=PASSWORD)
    other.user = other_account
    other.save()
    client.force_login(world["clerk"])
    response = client.post(reverse("password_reset_by_clerk"), {"employee_no": other.employee_no,
                                                                 "password": "Temp-pass-77"})
    assert "不属于您负责的单位" in response.content.decode()
    other_account.refresh_from_db()
    assert other_account.check_password(PASSWORD) and not other_account.must_change_password


@pytest.mark.parametrize("role", ["staff", "clerk", "reviewer"])
def test_a_clerk_cannot_take_over_an_account_that_holds_another_role(client, world, f, role):
    account = world["account"]
    if role == "staff":
        account.is_staff = True
        account.save()
    elif role == "clerk":
        account.clerk_units.add(world["other_depot"])
    else:
        account.reviewer_systems.add(world["job"].business_system)
    client.force_login(world["clerk"])
    response = client.post(reverse("password_reset_by_clerk"), {"employee_no": world["worker"].employee_no,
                                                                 "password": "Temp-pass-77"})
    assert "请联系工会干部" in response.content.decode()
    account.refresh_from_db()
    assert account.check_password(PASSWORD)


def test_a_worker_cannot_open_the_reset_page(client, world):
    client.force_login(world["account"])
    assert client.get(reverse("password_reset_by_clerk")).status_code == 403


def test_logout_ends_the_session(client, world):
    client.force_login(world["account"])
    client.post(reverse("logout"))
    assert client.get(reverse("me")).status_code == 302


def test_a_worker_logs_in_with_the_employee_number_typed_in_full_width_digits(client, world):
    from tests.factories import ime_typed

    response = login(client, ime_typed(world["worker"].employee_no), PASSWORD)
    assert response.status_code == 302 and client.session["_auth_user_id"] == str(world["account"].pk)


def test_a_worker_logs_in_with_a_zero_width_space_pasted_inside_the_employee_number(client, world):
    number = world["worker"].employee_no
    response = login(client, f"{number[:4]}\u200b{number[4:]}", PASSWORD)
    assert response.status_code == 302 and client.session["_auth_user_id"] == str(world["account"].pk)
