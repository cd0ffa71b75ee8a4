"""The worker admin: personal data masked for staff without the permission, lists that stay fast."""

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:members_worker_changelist")


def staff_with(f, *codenames):
    account = f.staff_user()
    account.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    return account


@pytest.fixture
def worker(f):
    return f.worker(mobile="13912345678")


def test_staff_without_permission_sees_masked_numbers_in_the_list(client, f, worker):
    client.force_login(staff_with(f, "view_worker", "change_worker"))

    content = client.get(CHANGELIST).content.decode()

    assert worker.employee_no in content
    assert worker.id_number not in content
    assert worker.id_number_masked in content
    assert "13912345678" not in content
    assert "139****5678" in content


def test_staff_without_permission_sees_masked_numbers_on_the_change_form(client, f, worker):
    client.force_login(staff_with(f, "view_worker", "change_worker"))

    response = client.get(reverse("admin:members_worker_change", args=[worker.pk]))

    assert response.status_code == 200
    content = response.content.decode()
    assert worker.id_number not in content
    assert worker.id_number_masked in content
    assert "13912345678" not in content
    assert "id_number" not in response.context["adminform"].form.fields


def test_saving_the_masked_form_keeps_the_numbers(client, f, worker):
    client.force_login(staff_with(f, "view_worker", "change_worker"))
    url = reverse("admin:members_worker_change", args=[worker.pk])
    data = {"employee_no": worker.employee_no, "name": "新名字", "gender": "F", "unit": worker.unit_id,
            "job_type": worker.job_type_id, "skill_grade": 3, "membership_status": "none", "is_active": "on"}

    response = client.post(url, data)

    assert response.status_code == 302
    worker.refresh_from_db()
    assert worker.name == "新名字"
    assert worker.mobile == "13912345678"


def test_staff_with_permission_sees_full_numbers(client, f, worker):
    client.force_login(staff_with(f, "view_worker", "view_full_id_number"))

    content = client.get(CHANGELIST).content.decode()

    assert worker.id_number in content
    assert "13912345678" in content


def test_search_by_employee_number_prefix_and_name(admin_client, f):
    unit, job = f.depot(), f.job_type()
    f.worker(unit, job, employee_no="A10001", name="张三")
    f.worker(unit, job, employee_no="A10002", name="李四")
    f.worker(unit, job, employee_no="B20001", name="王五")

    def found(term):
        response = admin_client.get(CHANGELIST, {"q": term})
        return sorted(w.employee_no for w in response.context["cl"].result_list)

    assert found("A1000") == ["A10001", "A10002"]
    assert found("a10002") == ["A10002"]
    assert found("王") == ["B20001"]


def test_id_number_is_not_searchable(admin_client, worker):
    response = admin_client.get(CHANGELIST, {"q": worker.id_number})

    assert list(response.context["cl"].result_list) == []


def _changelist_queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_worker_changelist_queries_do_not_grow_with_rows(admin_client, f):
    unit, job = f.depot(), f.job_type()
    for _ in range(5):
        f.worker(f.unit(parent=unit), job)
    few = _changelist_queries(admin_client, CHANGELIST)

    for _ in range(30):
        f.worker(f.unit(parent=unit), f.job_type())
    many = _changelist_queries(admin_client, CHANGELIST)

    assert many == few
    print(f"worker changelist: {few} queries")


def test_unit_changelist_queries_do_not_grow_with_rows(admin_client, f):
    url = reverse("admin:members_unit_changelist")
    depot = f.depot()
    for _ in range(5):
        f.unit(parent=depot)
    few = _changelist_queries(admin_client, url)

    for _ in range(30):
        f.unit(parent=f.depot())
    many = _changelist_queries(admin_client, url)

    assert many == few


def test_moving_a_unit_in_the_admin_moves_its_subtree(admin_client, f):
    old_depot, new_depot = f.depot(code="D-OLD"), f.depot(code="D-NEW")
    workshop = f.unit(parent=old_depot, code="WS")
    team = f.unit(parent=workshop, code="TM")
    url = reverse("admin:members_unit_change", args=[workshop.pk])
    data = {"code": "WS", "name": workshop.name, "level": 3, "region": "BJ", "parent": new_depot.pk,
            "is_active": "on"}

    response = admin_client.post(url, data)

    assert response.status_code == 302
    team.refresh_from_db()
    assert team.path == new_depot.path + "WS/TM/"
    assert team.depot_id == new_depot.pk


@pytest.mark.parametrize("lookup", ["id_number__startswith", "id_number", "mobile__startswith"])
def test_personal_data_cannot_be_probed_through_url_filters(client, f, worker, lookup):
    client.force_login(staff_with(f, "view_worker"))

    response = client.get(CHANGELIST, {lookup: worker.id_number[:10] if "id" in lookup else "139"})

    assert response.status_code == 400


def _add_form(worker, employee_no):
    return {"employee_no": employee_no, "name": "新职工", "gender": "M", "id_number": "", "mobile": "",
            "unit": worker.unit_id, "job_type": worker.job_type_id, "skill_grade": 1, "membership_status": "none",
            "is_active": "on"}


def test_the_admin_stores_a_full_width_employee_number_as_ascii_and_refuses_a_second_spelling(admin_client, f):
    from members.models import Worker
    from tests.factories import ime_typed, make_id_number

    existing = f.worker(employee_no="Q0001")
    form = {**_add_form(existing, ime_typed("Q0002")), "id_number": make_id_number(90001)}
    assert admin_client.post(reverse("admin:members_worker_add"), form).status_code == 302
    assert Worker.objects.filter(employee_no="Q0002").exists()
    # the same number again in full width or with a zero-width space inside it, in lower case, or with a space
    for typed, message in ((ime_typed("Q0001"), "工号已存在。"), ("Q0\u200b001", "工号已存在。"),
                           ("q0001", "只有大小写不同"), ("Q 0003", "工号只能由字母、数字")):
        form = {**_add_form(existing, typed), "id_number": make_id_number(90002)}
        page = admin_client.post(reverse("admin:members_worker_add"), form)
        assert page.status_code == 200 and message in page.content.decode(), typed
    assert Worker.objects.count() == 2


def test_workers_whose_numbers_differ_only_by_case_on_file_can_still_be_edited(admin_client, f):
    # numbers stored before the rule (the migration rewrites none) stay editable
    upper, lower = f.worker(employee_no="Q0001"), f.worker(employee_no="q0001")
    data = {"employee_no": lower.employee_no, "name": "新名字", "gender": "F", "unit": lower.unit_id,
            "job_type": lower.job_type_id, "skill_grade": 3, "membership_status": "none", "is_active": "on",
            "id_number": lower.id_number, "mobile": ""}
    response = admin_client.post(reverse("admin:members_worker_change", args=[lower.pk]), data)
    assert response.status_code == 302
    lower.refresh_from_db()
    assert (lower.employee_no, lower.name, upper.employee_no) == ("q0001", "新名字", "Q0001")


def plan_of(f, statement: str) -> str:
    """PostgreSQL's plan for a statement a page ran, over a table of 3,000 more workers with fresh
    statistics (ANALYZE, rolled back with the test): over a test's few rows any scan is as cheap, and the
    question is whether the statement uses the index (its expression must be the index's, UPPER(employee_no))
    where reading the table would cost more."""
    f.workers(f.depot(), f.job_type(), 3000)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE members_worker")
        cursor.execute(f"EXPLAIN {statement}")
        return "\n".join(row[0] for row in cursor.fetchall())


def test_the_case_only_check_on_a_save_reads_the_index_on_the_upper_case_number(admin_client, f):
    existing = f.worker(employee_no="Q0001")
    form = {**_add_form(existing, "q0001"), "id_number": "11010519850101002X"}
    with CaptureQueriesContext(connection) as ran:
        page = admin_client.post(reverse("admin:members_worker_add"), form)
    assert "只有大小写不同" in page.content.decode()
    [check] = [q["sql"] for q in ran.captured_queries if 'UPPER("members_worker"."employee_no")' in q["sql"]]
    plan = plan_of(f, check)
    assert "worker_empno_upper" in plan and "Seq Scan" not in plan, plan
