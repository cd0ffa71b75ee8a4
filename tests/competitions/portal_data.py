"""A small ranked world for the portal's page and browser tests: the reviews fixture ``w`` plus three
days of entries and the standings computed for each day (through the real recompute service)."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from competitions.services import standings_recompute
from tests import factories
from tests.competitions.standings_data import entry


def days():
    today = timezone.localdate()
    return [today - timedelta(days=n) for n in (3, 2, 1)]


def add_drivers(w, count: int, *, start: int = 0, base_km: int = 2000):
    """``count`` more drivers in w's depot, each with km on every day, far ahead of alice and bob."""
    added = []
    for i in range(start, start + count):
        driver = factories.worker(w.depot, w.driver, name=f"周{i}平", employee_no=f"D{i:05d}")
        for day in days():
            entry(w.comp, driver, w.km, day, base_km + 10 * i, points=(base_km + 10 * i) / 100, status="approved")
        added.append(driver)
    return added


def rank(w):
    for day in days():
        standings_recompute(competition=w.comp, day=day)


def build(w):
    """alice: climbing (approved km, one trip, a pending day); bob: a big first day, then a rejected
    entry; carol: another business system. Returns the entries a test may act on."""
    d3, d2, d1 = days()
    made = {
        "alice_d3": entry(w.comp, w.alice, w.km, d3, 300, points=3, status="approved"),
        "alice_trips": entry(w.comp, w.alice, w.trips, d3, 3, points=6, status="approved"),
        "alice_d2": entry(w.comp, w.alice, w.km, d2, 900, points=9, status="approved"),
        "alice_d1": entry(w.comp, w.alice, w.km, d1, 500, points=5),
        "bob_d3": entry(w.comp, w.bob, w.km, d3, 1000, points=10, status="approved"),
        "bob_d2": entry(w.comp, w.bob, w.km, d2, 800, points=8, status="rejected"),  # reason: 不符合
        "bob_d1": entry(w.comp, w.bob, w.km, d1, 200, points=2),
        "carol_d3": entry(w.comp, w.carol, w.metres, d3, 50, points=5, status="approved"),
    }
    rank(w)
    return made
