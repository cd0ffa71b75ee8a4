"""Moving a unit in the admin goes through members.services.unit_move: the subtree comes along."""

import pytest
from django.urls import reverse

from members.models import Unit, UnitLevel

pytestmark = pytest.mark.django_db


def test_changing_a_units_parent_in_the_admin_moves_its_subtree(admin_client, f):
    bureau = f.unit(code="BJ")
    depot_a, depot_b = f.unit(parent=bureau, code="DA"), f.unit(parent=bureau, code="DB")
    workshop = f.unit(parent=depot_a, code="W1")
    team = f.unit(parent=workshop, code="T1")

    response = admin_client.post(reverse("admin:members_unit_change", args=[workshop.pk]), {
        "code": "W1", "name": "新名称", "level": UnitLevel.WORKSHOP, "region": "BJ", "parent": depot_b.pk,
        "is_active": "on",
    })

    assert response.status_code == 302
    workshop.refresh_from_db()
    team.refresh_from_db()
    assert (workshop.name, workshop.path, workshop.depot_id) == ("新名称", "/BJ/DB/W1/", depot_b.pk)
    assert (team.path, team.depot_id) == ("/BJ/DB/W1/T1/", depot_b.pk)


def test_the_admin_refuses_a_move_under_the_units_own_subtree(admin_client, f):
    depot = f.unit(parent=f.unit(code="BJ"), code="D1")
    workshop = f.unit(parent=depot, code="W1")

    response = admin_client.post(reverse("admin:members_unit_change", args=[depot.pk]), {
        "code": "D1", "name": depot.name, "level": UnitLevel.WORKSHOP, "region": "BJ", "parent": workshop.pk,
        "is_active": "on",
    })

    assert response.status_code == 200  # the form again, with the error
    assert "上级单位的层级必须高于本单位" in response.content.decode()
    assert Unit.objects.get(pk=workshop.pk).path == "/BJ/D1/W1/"
