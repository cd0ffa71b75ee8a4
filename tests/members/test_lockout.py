"""The login lockout (members/lockout.py on django-axes): guessing is stopped, and nobody can lock
anyone else out of their own device."""

import threading
import time
from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.backends import ModelBackend
from django.core.cache import cache
from django.db.models import Sum
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from members import lockout
from tests.concurrency import race

pytestmark = pytest.mark.django_db

PASSWORD = "pass-1234-word"  # tests.factories.user's default
LOCKED = "登录失败次数过多"
ATTACKER = "10.66.0.1"
DEPOT_NAT = "10.20.0.1"


@pytest.fixture
def victim(f):
    depot = f.depot(name="北京机务段")
    worker = f.worker(depot, f.job_type(name="电力机车司机"), name="张三明")
    f.worker_user(worker)
    return worker.employee_no


def login(client, username, password, address="127.0.0.1"):
    return client.post(reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=address)


def api_login(client, username, password, address="127.0.0.1"):
    return client.post("/api/v1/auth/login/", {"employee_no": username, "password": password}, format="json",
                       REMOTE_ADDR=address)


def logged_in(response) -> bool:
    return response.status_code == 302


def known_phone(employee_no, address=DEPOT_NAT) -> Client:
    """The victim's own phone: it has logged in before (and so carries the device cookie)."""
    phone = Client()
    assert logged_in(login(phone, employee_no, PASSWORD, address))
    phone.post(reverse("logout"))
    assert lockout.DEVICE_COOKIE in phone.cookies
    return phone


def age_failures(seconds: int) -> None:
    """As if every failure so far had happened ``seconds`` earlier."""
    for attempt in AccessAttempt.objects.all():
        AccessAttempt.objects.filter(pk=attempt.pk).update(attempt_time=attempt.attempt_time - timedelta(seconds=seconds))


def test_an_attacker_guessing_a_victims_number_does_not_lock_the_victim_out_of_their_known_phone(victim, settings):
    # given the victim's phone, which has logged in before, behind the depot's shared address
    phone = known_phone(victim)
    # when an attacker at the same address, with the same browser, guesses well past every limit
    attacker = Client()
    for _ in range(settings.LOGIN_ACCOUNT_FAILURE_LIMIT + 5):
        login(attacker, victim, "wrong-password", DEPOT_NAT)
    assert LOCKED in login(attacker, victim, PASSWORD, DEPOT_NAT).content.decode()
    # then the victim's phone still logs in with the right password
    assert logged_in(login(phone, victim, PASSWORD, DEPOT_NAT))


def test_an_attacker_guessing_from_one_address_does_not_lock_the_victim_at_another_address(victim, settings):
    attacker = Client()
    for _ in range(settings.LOGIN_FAILURE_LIMIT * 3):
        login(attacker, victim, "wrong-password", ATTACKER)
    assert LOCKED in login(attacker, victim, PASSWORD, ATTACKER).content.decode()
    # a device that never logged in before, elsewhere
    assert logged_in(login(Client(), victim, PASSWORD, "10.30.0.7"))


def test_a_known_device_is_still_locked_by_its_own_guesses(victim, settings):
    phone = known_phone(victim)
    for _ in range(settings.LOGIN_FAILURE_LIMIT):
        login(phone, victim, "wrong-password", DEPOT_NAT)
    response = login(phone, victim, PASSWORD, DEPOT_NAT)
    assert not logged_in(response) and LOCKED in response.content.decode()
    # and is not told that a known device would get through
    assert "仍可登录" not in response.content.decode()


def test_a_forged_device_cookie_is_no_known_device(victim, settings):
    attacker = Client()
    attacker.cookies[lockout.DEVICE_COOKIE] = "forged"
    for _ in range(settings.LOGIN_FAILURE_LIMIT):
        login(attacker, victim, "wrong-password", ATTACKER)
    assert not logged_in(login(attacker, victim, PASSWORD, ATTACKER))


def test_an_attacker_trying_many_accounts_from_one_address_is_blocked(victim, settings):
    attacker = Client()
    for n in range(settings.LOGIN_IP_FAILURE_LIMIT):
        login(attacker, f"E9{n:05d}", "wrong-password", ATTACKER)
    # the right password of an account never tried, from that address and a new device: refused
    response = login(attacker, victim, PASSWORD, ATTACKER)
    assert not logged_in(response) and LOCKED in response.content.decode()
    # the address lock is short-lived: once its failures are older than the lock, it opens again
    age_failures(settings.LOGIN_LOCKOUT_SECONDS + 60)
    assert logged_in(login(attacker, victim, PASSWORD, ATTACKER))


def test_the_lock_grows_with_every_further_round_of_guesses(victim, settings):
    attacker = Client()
    limit, base = settings.LOGIN_FAILURE_LIMIT, settings.LOGIN_LOCKOUT_SECONDS
    for _ in range(2 * limit):  # two rounds (the second refused unchecked, but counted)
        login(attacker, victim, "wrong-password", ATTACKER)
    # a first lock would have passed by now; the second lasts twice as long
    age_failures(base + 60)
    response = login(attacker, victim, PASSWORD, ATTACKER)
    assert not logged_in(response) and LOCKED in response.content.decode()
    # (that refused try counts too and starts the lock again)
    age_failures(2 * base + 60)
    assert logged_in(login(attacker, victim, PASSWORD, ATTACKER))


def test_the_lock_message_says_how_long(victim, settings):
    for _ in range(settings.LOGIN_FAILURE_LIMIT):
        response = login(Client(), victim, "wrong-password", ATTACKER)
    assert f"请{settings.LOGIN_LOCKOUT_SECONDS // 60}分钟后再试" in response.content.decode()


def test_the_api_login_counts_and_answers_429_with_a_stable_code(victim, settings):
    client = APIClient()
    for _ in range(settings.LOGIN_FAILURE_LIMIT - 1):
        assert api_login(client, victim, "wrong-password", ATTACKER).status_code == 400
    # the failure that reaches the limit already says so
    reached = api_login(client, victim, "wrong-password", ATTACKER)
    assert reached.status_code == 429 and reached.json()["error"]["code"] == "login_locked"
    assert LOCKED in reached.json()["error"]["message"]
    # the lock holds for the portal's login too, from that address
    assert LOCKED in login(Client(), victim, PASSWORD, ATTACKER).content.decode()


def test_an_api_login_makes_the_app_a_known_device_that_others_guesses_do_not_stop(victim, settings):
    app = APIClient()
    assert api_login(app, victim, PASSWORD, DEPOT_NAT).status_code == 200
    # an attacker behind the same address, past the lockout's and the API throttles' limits
    attacker = APIClient()
    for n in range(settings.LOGIN_IP_FAILURE_LIMIT + 1):
        api_login(attacker, victim if n % 2 else f"E9{n:05d}", "wrong-password", DEPOT_NAT)
    assert api_login(attacker, victim, PASSWORD, DEPOT_NAT).status_code == 429
    assert api_login(app, victim, PASSWORD, DEPOT_NAT).status_code == 200


def test_the_admin_login_counts_too(victim, f, settings):
    f.staff_user(username="ganbu")
    admin = Client()
    for _ in range(settings.LOGIN_FAILURE_LIMIT):
        admin.post(reverse("admin:login"), {"username": "ganbu", "password": "wrong-password"}, REMOTE_ADDR=ATTACKER)
    response = admin.post(reverse("admin:login"), {"username": "ganbu", "password": PASSWORD}, REMOTE_ADDR=ATTACKER)
    assert response.status_code == 200 and LOCKED in response.content.decode()
    assert AccessAttempt.objects.filter(username="ganbu", path_info=reverse("admin:login")).exists()


def test_staff_see_the_locks_in_chinese_and_lift_one(victim, f, settings):
    attacker = Client()
    for _ in range(settings.LOGIN_FAILURE_LIMIT):
        login(attacker, victim, "wrong-password", ATTACKER)
    staff = Client()
    staff.force_login(f.staff_user(is_superuser=True))
    index = staff.get(reverse("admin:index")).content.decode()
    assert "登录保护" in index and "登录失败记录" in index
    changelist = reverse("admin:axes_accessattempt_changelist")
    page = staff.get(changelist, {"q": victim}).content.decode()
    assert victim in page and "失败次数" in page
    # lifting the lock: delete the account's rows (the admin's delete action, confirmed)
    ids = [str(pk) for pk in AccessAttempt.objects.filter(username=victim).values_list("pk", flat=True)]
    response = staff.post(changelist, {"action": "delete_selected", "_selected_action": ids, "post": "yes"})
    assert response.status_code == 302
    assert logged_in(login(Client(), victim, PASSWORD, ATTACKER))


def test_the_lockout_keeps_working_without_redis(victim, settings):
    # Nothing listens on port 9: every cache call would fail.
    settings.CACHES = {**settings.CACHES,
                       "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                   "LOCATION": "redis://127.0.0.1:9/0"}}
    attacker = Client()
    for _ in range(settings.LOGIN_FAILURE_LIMIT):
        login(attacker, victim, "wrong-password", ATTACKER)
    assert LOCKED in login(attacker, victim, PASSWORD, ATTACKER).content.decode()
    assert logged_in(login(Client(), victim, PASSWORD, "10.30.0.7"))


# -- guesses sent at the same instant ----------------------------------------------------------------

GUESSERS = 20


@pytest.fixture
def password_checks(monkeypatch):
    """How many login attempts reached the real password check. Each check takes a while, as a real
    password hash does (the tests' MD5 hasher is instant), so parallel guesses overlap."""
    checks, counting = [], threading.Lock()
    check = ModelBackend.authenticate

    def slow_counted_check(self, request, username=None, password=None, **kwargs):
        with counting:
            checks.append(username)
        time.sleep(0.1)
        return check(self, request, username=username, password=password, **kwargs)

    monkeypatch.setattr(ModelBackend, "authenticate", slow_counted_check)
    return checks


def failures_counted(username) -> int:
    return AccessAttempt.objects.filter(username=username).aggregate(n=Sum("failures_since_start"))["n"] or 0


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("door", [login, api_login], ids=["portal", "api"])
def test_guesses_sent_at_the_same_instant_get_no_more_password_checks_than_the_limit(
        victim, password_checks, settings, door):
    # given a known phone of the victim's (the storm must not lock it out)
    phone = known_phone(victim)
    password_checks.clear()
    # when twenty guesses at the victim's password arrive together, from one address
    client_class = APIClient if door is api_login else Client
    outcomes = race(*[lambda: door(client_class(), victim, "wrong-password", ATTACKER)] * GUESSERS)
    # then every one was refused, at most the limit's worth had their password checked, and every one
    # that reached the lockout was counted (the API's throttles may turn some away before it)
    refusals = (200,) if door is login else (400, 429)  # the portal's form page, the API's errors
    assert all(not isinstance(o, Exception) and o.status_code in refusals for o in outcomes), outcomes
    assert len(password_checks) <= settings.LOGIN_FAILURE_LIMIT
    throttled = [o for o in outcomes if door is api_login and o.json()["error"]["code"] == "throttled"]
    assert failures_counted(victim) == GUESSERS - len(throttled)
    # and the victim's known phone still logs in with the right password
    assert logged_in(login(phone, victim, PASSWORD, DEPOT_NAT))
    cache.clear()  # the API's throttles count these guesses for a minute, in Redis: not into the next test


@pytest.mark.parametrize("door", [login, api_login], ids=["portal", "api"])
def test_failures_under_a_full_width_spelling_count_toward_the_same_number(victim, settings, door):
    from tests.factories import ime_typed

    # given guesses at the victim's number, half of them typed in full-width digits with spaces around
    attacker = APIClient() if door is api_login else Client()
    for n in range(settings.LOGIN_FAILURE_LIMIT):
        door(attacker, ime_typed(victim) if n % 2 else victim, "wrong-password", ATTACKER)
    # then they are counted under the one number, and lock it under either spelling
    assert failures_counted(victim) == settings.LOGIN_FAILURE_LIMIT
    assert not AccessAttempt.objects.exclude(username=victim).exists()
    assert not logged_in(login(Client(), ime_typed(victim), PASSWORD, ATTACKER))
    # and a login under the full-width spelling clears them and makes the phone a known device of the number,
    # which guesses at it from the phone's address do not lock out
    phone = Client()
    assert logged_in(login(phone, ime_typed(victim), PASSWORD, DEPOT_NAT))
    assert failures_counted(victim) == 0
    phone.post(reverse("logout"))
    for _ in range(settings.LOGIN_FAILURE_LIMIT):
        login(Client(), victim, "wrong-password", DEPOT_NAT)
    assert not logged_in(login(Client(), victim, PASSWORD, DEPOT_NAT))
    assert logged_in(login(phone, victim, PASSWORD, DEPOT_NAT))
