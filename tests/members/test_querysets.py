import pytest
from django.contrib.auth.models import AnonymousUser

from members.models import Unit, Worker

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(f):
    """Two depots under one bureau, a workshop under the first; two business systems."""
    bureau = f.unit(code="BJ")
    depot_a = f.unit(parent=bureau, code="DA")
    workshop_a = f.unit(parent=depot_a, code="DA-W")
    depot_b = f.unit(parent=bureau, code="DB")
    system_1, system_2 = f.business_system(), f.business_system()
    jt_1, jt_2 = f.job_type(system_1), f.job_type(system_2)
    return {
        "depot_a": depot_a, "workshop_a": workshop_a, "depot_b": depot_b,
        "system_1": system_1, "system_2": system_2,
        "in_a": f.worker(depot_a, jt_1), "in_a_workshop": f.worker(workshop_a, jt_2),
        "in_b": f.worker(depot_b, jt_1), "in_b_other_system": f.worker(depot_b, jt_2),
    }


def visible(user):
    return set(Worker.objects.visible_to(user).values_list("employee_no", flat=True))


def names(world, *keys):
    return {world[k].employee_no for k in keys}


def test_a_clerk_sees_only_the_workers_of_their_units_and_subunits(f, world):
    clerk = f.clerk(world["depot_a"])
    assert visible(clerk) == names(world, "in_a", "in_a_workshop")
    assert set(Worker.objects.enterable_by(clerk)) == {world["in_a"], world["in_a_workshop"]}


def test_a_clerk_of_a_workshop_does_not_see_the_rest_of_the_depot(f, world):
    clerk = f.clerk(world["workshop_a"])
    assert visible(clerk) == names(world, "in_a_workshop")


def test_a_reviewer_sees_only_the_workers_of_their_business_systems(f, world):
    reviewer = f.reviewer(world["system_1"])
    assert visible(reviewer) == names(world, "in_a", "in_b")
    assert not Worker.objects.enterable_by(reviewer).exists()


def test_a_worker_sees_only_themself(f, world):
    account = f.worker_user(world["in_b"])
    assert visible(account) == names(world, "in_b")


def test_roles_held_together_add_up(f, world):
    account = f.worker_user(world["in_b"])
    account.clerk_units.add(world["workshop_a"])
    account._portal_scope = None
    assert visible(account) == names(world, "in_b", "in_a_workshop")


def test_staff_see_everyone_and_anonymous_or_roleless_users_see_no_one(f, world):
    assert len(visible(f.staff_user())) == 4
    assert visible(AnonymousUser()) == set()
    assert visible(f.user()) == set()
    assert not Unit.objects.visible_to(f.user()).exists()


def test_an_inactive_account_sees_nothing(f, world):
    clerk = f.clerk(world["depot_a"], is_active=False)
    assert visible(clerk) == set()
