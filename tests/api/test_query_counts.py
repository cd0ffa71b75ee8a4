"""Every endpoint makes a fixed number of SQL queries, whatever the page size (netbox-style pins).

Bearer authentication is one query (token joined with the account); the role scope, where an endpoint
needs it, is three (clerk units, reviewer systems, own worker).
"""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from competitions.api.cache import clear_caches
from competitions.services import standings_recompute
from reviews import services
from reviews.models import ReviewPeriod
from reviews.validation import EntryInput

pytestmark = pytest.mark.django_db


@pytest.fixture
def many(w, f, today):
    """60+ of everything a list shows."""
    rows = [EntryInput(worker_id=worker.pk, rule_id=rule.pk, work_date=w.yesterday - timedelta(days=d),
                       quantity=str(d % 5 + 1)) for worker in (w.alice, w.bob) for rule in (w.km, w.trips)
            for d in range(16)]
    services.entries_create(actor=w.clerk, competition=w.comp, rows=rows)
    for d in range(60):
        services.dispute_open(actor=w.alice_user, work_date=w.yesterday - timedelta(days=d), comment=f"第{d}天")
    for _ in range(60):
        f.competition()
        f.rule(w.comp, w.driver)
    for m in range(1, 13):
        # Entry writes create their months' periods already; the rest are added here.
        ReviewPeriod.objects.get_or_create(competition=w.comp, business_system=w.system,
                                           month=w.comp.start_date.replace(month=m))
        ReviewPeriod.objects.get_or_create(competition=w.comp, business_system=w.system,
                                           month=w.comp.end_date.replace(month=m, day=1))
    others = [f.worker(w.workshop, w.driver) for _ in range(60)]
    for _ in range(8):  # units enough for two pages of the unit lookup
        f.unit(parent=w.workshop)
    services.entries_create(actor=w.clerk, competition=w.comp, rows=[
        EntryInput(worker_id=o.pk, rule_id=w.km.pk, work_date=w.yesterday, quantity=str(i * 10))
        for i, o in enumerate(others)])
    standings_recompute(competition=w.comp, day=today - timedelta(days=2))
    standings_recompute(competition=w.comp, day=today)
    return w


def count(client, url, **params) -> int:
    clear_caches()  # pins are for a cold per-process cache: the upper bound
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, params)
    assert response.status_code == 200, response.content
    return len(queries)


# url, client role, queries (pinned)
PAGED = [
    ("/api/v1/entries/", "clerk", 5),
    ("/api/v1/entries/", "worker", 5),
    ("/api/v1/me/entries/", "worker", 5),
    ("/api/v1/review/queue/", "reviewer", 5),
    ("/api/v1/review/periods/", "reviewer", 5),
    ("/api/v1/disputes/", "worker", 5),
    ("/api/v1/disputes/", "clerk", 5),
    ("/api/v1/competitions/", "worker", 3),
    # the token, the scope (three), the page with each worker's unit, job type and business system
    ("/api/v1/workers/", "clerk", 5),
    ("/api/v1/workers/", "staff", 5),
    ("/api/v1/units/", "clerk", 5),
    ("/api/v1/units/", "staff", 5),
    ("/api/v1/rules/", "worker", 3),
    # cold: the competition's status, the latest standings day (the next link carries the day) and
    # run (the version of cached pages), the page's rows with the workers' names (one query). Warm: the
    # token only (test_standings_api.py).
    ("/api/v1/competitions/{comp}/leaderboard/", "worker", (5, 4)),
    ("/api/v1/competitions/{comp}/leaderboard/", "staff", (5, 4)),
]


@pytest.mark.parametrize(("url", "role", "pinned"), PAGED, ids=[f"{u}-{r}" for u, r, _ in PAGED])
def test_paged_lists_make_the_same_queries_for_5_and_50_rows(api, many, url, role, pinned):
    client = getattr(api, role)
    url = url.format(comp=many.comp.pk)
    pinned, pinned_next = pinned if isinstance(pinned, tuple) else (pinned, pinned)
    small, large = count(client, url, page_size=5), count(client, url, page_size=50)
    assert small == large == pinned
    # and the next page costs the same
    nxt = client.get(url, {"page_size": 5}).json()["next"]
    clear_caches()
    with CaptureQueriesContext(connection) as queries:
        assert client.get(nxt).status_code == 200
    assert len(queries) == pinned_next


SINGLE = [
    ("/api/v1/me/", "worker", 4),
    ("/api/v1/me/", "clerk", 4),
    ("/api/v1/business-systems/", "worker", 2),
    ("/api/v1/job-types/", "worker", 2),
    ("/api/v1/competitions/{comp}/", "worker", 3),
    ("/api/v1/rules/{rule}/", "worker", 3),
    ("/api/v1/entries/{entry}/", "worker", 8),  # its audit facts, the batches holding it, its month's sign-offs: a query each
    ("/api/v1/workers/{worker}/", "clerk", 5),
    ("/api/v1/competitions/{comp}/standings/me/", "worker", 4),  # 2 with a warm cache
    ("/api/v1/competitions/{comp}/standings/me/workload/", "worker", 3),
    ("/api/v1/competitions/{comp}/standings/me/history/", "worker", 3),
    ("/api/v1/competitions/{comp}/leaderboard/around-me/", "worker", 6),  # 5 with a warm cache
]


@pytest.mark.parametrize(("url", "role", "pinned"), SINGLE, ids=[f"{u}-{r}" for u, r, _ in SINGLE])
def test_single_views_make_a_pinned_number_of_queries(api, many, url, role, pinned):
    entry = many.alice.entries.order_by("id").first()
    url = url.format(comp=many.comp.pk, rule=many.km.pk, entry=entry.pk, worker=many.bob.pk)
    assert count(getattr(api, role), url) == pinned


def test_entry_detail_queries_do_not_grow_with_its_events(api, many):
    entry = many.alice.entries.order_by("id").first()
    before = count(api.worker, f"/api/v1/entries/{entry.pk}/")
    for n in range(5):
        services.entry_update(actor=many.clerk, entry_id=entry.pk, quantity=str(n + 100))
    assert count(api.worker, f"/api/v1/entries/{entry.pk}/") == before


def test_leaderboard_pages_walk_by_rank(api, many):
    url = f"/api/v1/competitions/{many.comp.pk}/leaderboard/"
    seen, page = [], api.worker.get(url, {"page_size": 7}).json()
    while True:
        seen += [(r["rank"], r["worker_id"]) for r in page["results"]]
        if not page["next"]:
            break
        page = api.worker.get(page["next"]).json()
    ranks = [rank for rank, _ in seen]
    assert ranks == sorted(ranks) and len({wid for _, wid in seen}) == len(seen) == 62
