"""manage.py normalise_employee_numbers: numbers stored before members 0008 in a form no typed lookup finds."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from members.employee_numbers import employee_numbers_normalise
from members.models import User, Worker

pytestmark = pytest.mark.django_db

PASSWORD = "pass-1234-word"


def stored_badly(f, number: str, **kw) -> Worker:
    """A worker whose number was saved before the rule (no validator ran): as it is in the table."""
    worker = f.worker(**kw)
    Worker.objects.filter(pk=worker.pk).update(employee_no=number)
    worker.refresh_from_db()
    return worker


def run(*args) -> str:
    out = StringIO()
    call_command("normalise_employee_numbers", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def on_file(f):
    """Numbers stored badly: three that name a free number, three that collide, one that is no number."""
    good = [f.worker(employee_no="Q0001"), f.worker(employee_no="Q0003")]
    wide = stored_badly(f, "１１０００４４６")  # full width, from a Chinese input method
    joined = stored_badly(f, "\u200bQ0002\u2060")  # zero-width characters pasted from a chat
    account = User.objects.create_user(username="x", password=PASSWORD)  # named after the number as it was stored
    User.objects.filter(pk=account.pk).update(username=joined.employee_no)
    Worker.objects.filter(pk=joined.pk).update(user=account)
    spaced = stored_badly(f, "BJ 0044 11")  # a space inside, before the admin refused it
    same = stored_badly(f, "Ｑ０００１")  # Q0001 is on file
    case = stored_badly(f, "ｑ０００３ ")  # q0003 beside Q0003 on file: differs only by case
    twin_a, twin_b = stored_badly(f, "Ｑ０００４"), stored_badly(f, "q0004\u200b")  # one number, twice
    slash = stored_badly(f, "BJ/0044")
    return {"good": good, "wide": wide, "joined": joined, "account": account, "spaced": spaced, "same": same,
            "case": case, "twins": [twin_a, twin_b], "slash": slash}


def numbers() -> dict[int, str]:
    return dict(Worker.objects.values_list("pk", "employee_no"))


def test_a_dry_run_reports_each_rewrite_and_each_collision_and_changes_nothing(on_file):
    before = numbers()
    report = run()
    assert numbers() == before and User.objects.filter(username="Q0002").count() == 0
    assert "8 of 10 workers have an employee number not in the stored form" in report
    assert "To rewrite (dry run: run again with --apply): 3" in report
    assert f'worker {on_file["wide"].pk}\t"１１０００４４６" -> 11000446\n' in report
    # what prints as nothing is written out, so the spelling can be told from the number
    assert (f'worker {on_file["joined"].pk}\t"\\u200bQ0002\\u2060" -> Q0002\tlogin {on_file["account"].pk} '
            "renamed too") in report
    assert f'worker {on_file["spaced"].pk}\t"BJ 0044 11" -> BJ004411' in report
    assert "Left for union staff to resolve: 5" in report
    good_q1, good_q3 = on_file["good"]
    assert (f'worker {on_file["same"].pk}\t"Ｑ０００１" -> Q0001\talready on file: worker {good_q1.pk} Q0001\n'
            in report)
    assert (f'worker {on_file["case"].pk}\t"ｑ０００３ " -> q0003\talready on file: worker {good_q3.pk} Q0003, '
            "differs only by case") in report
    twin_a, twin_b = on_file["twins"]
    assert f'worker {twin_a.pk}\t"Ｑ０００４" -> Q0004\tthe same number (or differs only by case) as ' \
           f'worker {twin_b.pk} "q0004\\u200b"' in report
    assert f'worker {twin_b.pk}\t"q0004\\u200b" -> q0004\tthe same number' in report
    assert f'worker {on_file["slash"].pk}\t"BJ/0044" -> BJ/0044\tnot a number even as typed' in report


def test_apply_rewrites_what_collides_with_nothing_and_the_login_named_after_it(client, on_file):
    before = numbers()
    run("--apply")
    after = numbers()
    rewritten = {pk: after[pk] for pk in after if after[pk] != before[pk]}
    assert rewritten == {on_file["wide"].pk: "11000446", on_file["joined"].pk: "Q0002",
                         on_file["spaced"].pk: "BJ004411"}
    # the worker whose login was named after the spelling now logs in with the number, typed as it is typed
    assert client.post(reverse("login"), {"username": "Ｑ０００２", "password": PASSWORD}).status_code == 302
    assert client.session["_auth_user_id"] == str(on_file["account"].pk)
    # the worker is found by a typed lookup
    assert Worker.objects.get(employee_no="11000446").pk == on_file["wide"].pk


def test_a_second_run_rewrites_nothing_more_and_reports_the_same_collisions(on_file):
    run("--apply")
    again = run("--apply")
    assert "Rewritten: 0" in again and "Left for union staff to resolve: 5" in again


def test_a_login_name_held_by_another_account_is_a_collision_and_neither_is_renamed(f, on_file):
    other = f.user(username="Q0002")
    report = run("--apply")
    assert f'"\\u200bQ0002\\u2060" -> Q0002\tthe login name Q0002 belongs to another account ({other.pk})' in report
    assert Worker.objects.get(pk=on_file["joined"].pk).employee_no == "\u200bQ0002\u2060"


def test_the_run_reads_and_writes_in_a_fixed_number_of_statements(f, django_assert_max_num_queries):
    for i in range(40):
        stored_badly(f, f"Ｍ{i:04d}")
    with django_assert_max_num_queries(9):  # savepoint, lock, count, scan, on file, logins, two updates
        result = employee_numbers_normalise(apply=True)
    assert len(result.rewrites) == 40 and Worker.objects.filter(employee_no__startswith="M").count() == 40
