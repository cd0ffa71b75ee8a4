"""The small world of tests/reviews (one competition, rules, units, workers, one account per role),
plus API clients signed in as each role with a bearer token, as the mobile app is."""

from datetime import date, timedelta
from types import SimpleNamespace

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from members.api.authentication import tokens_issue
from reviews import services


@pytest.fixture(autouse=True)
def _own_cache(settings):
    # Throttle counters live in the cache; each test gets an empty one of its own (and never
    # touches the shared Redis other checkouts use).
    settings.CACHES = {**settings.CACHES,
                       "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "api-tests"}}
    from django.core.cache import cache

    from competitions.api.cache import clear_caches

    cache.clear()
    clear_caches()


@pytest.fixture
def today():
    return timezone.localdate()


@pytest.fixture
def w(f, today):
    """As tests/reviews/conftest.py's ``w``: one competition over this year and last, one business
    system with a job type and two rules (one capped), another system, a depot with a workshop,
    workers, and one account per role."""
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
    ns.other_reviewer = f.reviewer(other_system, username="reviewer2")
    ns.staff = f.staff_user(username="staff")
    # Separation of duties: union staff holding a clerk grant (the clerk's depot), a superuser without any
    # grant, and one account that is the depot's clerk and the system's reviewer at once.
    ns.staff_clerk = f.clerk(depot, username="staff-clerk", is_staff=True)
    ns.superuser = f.staff_user(username="root", is_superuser=True)
    ns.clerk_reviewer = f.clerk(depot, username="clerk-reviewer")
    ns.clerk_reviewer.reviewer_systems.add(system)
    ns.alice_user = f.worker_user(ns.alice)
    ns.carol_user = f.worker_user(ns.carol)
    ns.yesterday = today - timedelta(days=1)
    return ns


def bearer_client(user) -> APIClient:
    client = APIClient()
    if user is not None:
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens_issue(user=user).access}")
    return client


@pytest.fixture
def api(w):
    """One signed-in client per role, and an anonymous one."""
    return SimpleNamespace(
        anon=bearer_client(None),
        worker=bearer_client(w.alice_user),
        other_worker=bearer_client(w.carol_user),
        clerk=bearer_client(w.clerk),
        other_clerk=bearer_client(w.other_clerk),
        reviewer=bearer_client(w.reviewer),
        other_reviewer=bearer_client(w.other_reviewer),
        staff=bearer_client(w.staff),
        staff_clerk=bearer_client(w.staff_clerk),
        superuser=bearer_client(w.superuser),
        clerk_reviewer=bearer_client(w.clerk_reviewer),
    )


@pytest.fixture
def entries(w):
    """One pending entry for alice (clerk's depot, system 机务) and one for carol (other depot, 工务)."""
    alice = services.entry_create(actor=w.clerk, competition=w.comp, worker_id=w.alice.pk, rule_id=w.km.pk,
                                  work_date=w.yesterday, quantity="120")
    carol = services.entry_create(actor=w.other_clerk, competition=w.comp, worker_id=w.carol.pk,
                                  rule_id=w.metres.pk, work_date=w.yesterday, quantity="300")
    return SimpleNamespace(alice=alice, carol=carol)
