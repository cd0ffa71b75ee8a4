from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError

from members.models import MembershipStatus, Unit, UnitLevel, Worker
from members.services import unit_move

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
    unit_move(actor=None, unit=workshop, parent=depot_b)
    team.refresh_from_db()
    assert team.path == "/BJ/DB/W1/T1/"
    assert team.depot_id == depot_b.pk


def test_only_a_bureau_may_be_a_root_unit(f):
    with pytest.raises(IntegrityError):
        f.unit(parent=None, level=UnitLevel.DEPOT)


def test_moving_a_unit_rewrites_every_path_below_it_in_one_update(f):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    bureau = f.unit(code="BJ")
    depot_a, depot_b = f.unit(parent=bureau, code="DA"), f.unit(parent=bureau, code="DB")
    workshop = f.unit(parent=depot_a, code="W1")
    teams = [f.unit(parent=workshop, code=f"T{i}") for i in range(5)]
    with CaptureQueriesContext(connection) as queries:
        unit_move(actor=None, unit=workshop, parent=depot_b, code="W9")
    path_updates = [q["sql"] for q in queries.captured_queries
                    if q["sql"].startswith("UPDATE") and '"path" =' in q["sql"]]
    assert len(path_updates) == 1, path_updates
    assert workshop.path == "/BJ/DB/W9/" and workshop.code == "W9" and workshop.depot_id == depot_b.pk
    assert sorted(Unit.objects.filter(pk__in=[t.pk for t in teams]).values_list("path", "depot_id")) == [
        (f"/BJ/DB/W9/T{i}/", depot_b.pk) for i in range(5)]
    assert Unit.objects.get(pk=depot_a.pk).path == "/BJ/DA/"  # the old parent stays


def test_moving_a_depot_keeps_it_the_depot_of_its_subtree(f):
    bj, tj = f.unit(code="BJ"), f.unit(code="TJ")
    depot = f.unit(parent=bj, code="D1")
    team = f.unit(parent=f.unit(parent=depot, code="W1"), code="T1")
    unit_move(actor=None, unit=depot, parent=tj)
    team.refresh_from_db()
    assert (team.path, team.depot_id) == ("/TJ/D1/W1/T1/", depot.pk)


@pytest.mark.parametrize("where", ["itself", "its_child", "its_grandchild"])
def test_a_unit_cannot_move_under_itself_or_its_subtree(f, where):
    bureau = f.unit(code="BJ")
    workshop = f.unit(parent=f.unit(parent=bureau, code="D1"), code="W1", level=UnitLevel.WORKSHOP)
    team = f.unit(parent=workshop, code="T1", level=UnitLevel.TEAM)
    depot = workshop.parent
    target = {"itself": depot, "its_child": workshop, "its_grandchild": team}[where]
    with pytest.raises(ValidationError) as refused:
        unit_move(actor=None, unit=depot, parent=target)
    assert "parent" in refused.value.message_dict
    assert Unit.objects.get(pk=team.pk).path == "/BJ/D1/W1/T1/"


def test_a_unit_cannot_move_under_a_unit_of_its_own_level_or_lower(f):
    bureau = f.unit(code="BJ")
    depot_a, depot_b = f.unit(parent=bureau, code="DA"), f.unit(parent=bureau, code="DB")
    with pytest.raises(ValidationError, match="层级必须高于本单位"):
        unit_move(actor=None, unit=depot_a, parent=depot_b)


def test_only_a_bureau_may_be_moved_to_the_root(f):
    depot = f.unit(parent=f.unit(code="BJ"), code="D1")
    with pytest.raises(ValidationError, match="只有路局没有上级单位"):
        unit_move(actor=None, unit=depot, parent=None)


def test_a_new_code_must_be_free_and_without_a_slash(f):
    bureau = f.unit(code="BJ")
    depot = f.unit(parent=bureau, code="D1")
    f.unit(parent=bureau, code="D2")
    with pytest.raises(ValidationError) as taken:
        unit_move(actor=None, unit=depot, parent=bureau, code="D2")
    assert "code" in taken.value.message_dict
    with pytest.raises(ValidationError, match="unit_code_no_slash"):
        unit_move(actor=None, unit=depot, parent=bureau, code="D/3")
    assert Unit.objects.get(pk=depot.pk).path == "/BJ/D1/"


def test_unit_save_refuses_a_move_that_bypasses_the_service(f):
    bureau = f.unit(code="BJ")
    depot_a, depot_b = f.unit(parent=bureau, code="DA"), f.unit(parent=bureau, code="DB")
    workshop = f.unit(parent=depot_a, code="W1")
    workshop.parent = depot_b
    with pytest.raises(ValueError, match="unit_move"):
        workshop.save()
    workshop.refresh_from_db()
    workshop.name = "改名车间"
    workshop.save()  # anything else is saved as before
    assert Unit.objects.get(pk=workshop.pk).name == "改名车间"


def test_an_id_number_typed_in_full_width_is_stored_in_ascii_and_is_the_same_persons(f):
    first = f.worker(employee_no="E100")
    typed = first.id_number.translate({ord(c): ord(c) + 0xFEE0 for c in "0123456789X"})
    again = Worker(employee_no="E101", name="王五", gender="M", id_number=typed, unit=first.unit,
                   job_type=first.job_type)
    with pytest.raises(ValidationError) as error:
        again.full_clean()
    assert error.value.message_dict["id_number"] == ["该身份证号已登记。"]
    other = f.make_id_number()
    new = Worker(employee_no="E102", name="赵六", gender="M", unit=first.unit, job_type=first.job_type,
                 id_number=other.translate({ord(c): ord(c) + 0xFEE0 for c in "0123456789X"}))
    new.full_clean()
    new.save()
    assert Worker.objects.get(employee_no="E102").id_number == other


@pytest.mark.parametrize(("joined_on", "message"), [
    (date(9999, 12, 31), "入会日期不能晚于今天。"),
    (date(1, 1, 1), "入会日期不能早于出生日期。"),
])
def test_a_joining_date_in_the_future_or_before_birth_is_refused(f, joined_on, message):
    worker = f.worker(membership_status=MembershipStatus.MEMBER, joined_on=date(2020, 5, 1))
    worker.full_clean()
    worker.joined_on = joined_on
    with pytest.raises(ValidationError) as error:
        worker.full_clean()
    assert error.value.message_dict["joined_on"] == [message]
