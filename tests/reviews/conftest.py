from datetime import date
from types import SimpleNamespace

import pytest
from django.utils import timezone


@pytest.fixture
def today():
    return timezone.localdate()


@pytest.fixture
def w(f, today):
    """A small world: one competition over this year and last, one business system with a job type
    and two rules (one capped), a depot with a workshop, workers, and one account per role."""
    comp = f.competition(start=date(today.year - 1, 1, 1), end=date(today.year, 12, 31))
    system = f.business_system(name="机务")
    other_system = f.business_system(name="工务")
    driver = f.job_type(system, name="电力机车司机")
    track = f.job_type(other_system, name="线路工")
    km = f.rule(comp, driver, metric="安全走行公里", unit_of_measure="公里", points_per_unit="0.01")
    trips = f.rule(comp, driver, metric="值乘趟数", unit_of_measure="趟", points_per_unit="2", daily_cap="6")
    metres = f.rule(comp, track, metric="线路养护", unit_of_measure="米", points_per_unit="0.1")
    bureau = f.unit(code="BJ")
    depot = f.unit(parent=bureau, code="D1", name="北京机务段")
    workshop = f.unit(parent=depot, code="D1-W1", name="运用车间")
    other_depot = f.unit(parent=bureau, code="D2", name="北京工务段")
    ns = SimpleNamespace(
        comp=comp, system=system, other_system=other_system, driver=driver, track=track,
        km=km, trips=trips, metres=metres, depot=depot, workshop=workshop, other_depot=other_depot,
        alice=f.worker(workshop, driver, name="张三明"),
        bob=f.worker(depot, driver, name="李四"),
        carol=f.worker(other_depot, track, name="王五"),
    )
    ns.clerk = f.clerk(depot, username="clerk")
    ns.other_clerk = f.clerk(other_depot, username="clerk2")
    ns.reviewer = f.reviewer(system, username="reviewer")
    ns.other_reviewer = f.reviewer(system, username="reviewer2")
    ns.staff = f.staff_user(username="staff")
    ns.alice_user = f.worker_user(ns.alice)
    return ns
