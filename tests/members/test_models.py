import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError

from members.models import MembershipStatus, UnitLevel, Worker

pytestmark = pytest.mark.django_db


def test_duplicate_employee_number_is_refused_with_a_clear_message(f):
    first = f.worker(employee_no="E100")
    duplicate = Worker(employee_no="E100", name="王五", gender="M", id_number=f.make_id_number(),
                       unit=first.unit, job_type=first.job_type)
    with pytest.raises(ValidationError) as error:
        duplicate.full_clean()
    assert error.value.message_dict["employee_no"] == ["工号已存在。"]
    with pytest.raises(IntegrityError):
        duplicate.save()


def test_the_database_refuses_a_malformed_id_number_even_past_the_form(f):
    with pytest.raises(IntegrityError):
        f.worker(id_number="12345")


def test_the_database_refuses_a_malformed_mobile_number(f):
    with pytest.raises(IntegrityError):
        f.worker(mobile="12345678901")


def test_a_member_without_a_join_date_is_refused(f):
    w = f.worker()
    w.membership_status = MembershipStatus.MEMBER
    with pytest.raises(ValidationError) as error:
        w.full_clean()
    assert "joined_on" in error.value.message_dict
    with pytest.raises(IntegrityError):
        w.save()


def test_str_of_a_worker_never_contains_personal_data(f):
    w = f.worker(name="张三", mobile="13912345678")
    assert w.id_number not in str(w) and w.mobile not in str(w)
    assert w.id_number_masked.count("*") == 8
    assert w.mobile_masked == "139****5678"


def test_unit_tree_keeps_paths_and_depot_pointers(f):
    bureau = f.unit(code="BJ")
    depot = f.unit(parent=bureau, code="BJ-D1")
    workshop = f.unit(parent=depot, code="BJ-D1-W1")
    team = f.unit(parent=workshop, code="BJ-D1-W1-T1")
    assert team.path == "/BJ/BJ-D1/BJ-D1-W1/BJ-D1-W1-T1/"
    assert depot.depot_id == depot.pk and team.depot_id == depot.pk and bureau.depot_id is None
    assert team.level == UnitLevel.TEAM


def test_moving_a_unit_carries_its_subtree_along(f):
    bureau = f.unit(code="BJ")
    depot_a = f.unit(parent=bureau, code="DA")
    depot_b = f.unit(parent=bureau, code="DB")
    workshop = f.unit(parent=depot_a, code="W1")
    team = f.unit(parent=workshop, code="T1")
    workshop.parent = depot_b
    workshop.save()
    team.refresh_from_db()
    assert team.path == "/BJ/DB/W1/T1/"
    assert team.depot_id == depot_b.pk


def test_only_a_bureau_may_be_a_root_unit(f):
    with pytest.raises(IntegrityError):
        f.unit(parent=None, level=UnitLevel.DEPOT)
