"""The change-list paginator: exact for small results, an estimate (never a full COUNT(*)) for big ones."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from members.admin_paging import EstimatedCountPaginator
from members.models import Worker

pytestmark = pytest.mark.django_db


@pytest.fixture
def workers(f):
    unit, job = f.depot(), f.job_type()
    return [f.worker(unit, job, skill_grade=1 + n % 2) for n in range(12)]


def test_small_results_are_counted_exactly_with_a_capped_query(workers):
    paginator = EstimatedCountPaginator(Worker.objects.all(), 5)

    with CaptureQueriesContext(connection) as ctx:
        count = paginator.count

    assert count == 12
    assert len(ctx.captured_queries) == 1
    assert "LIMIT 10001" in ctx.captured_queries[0]["sql"]


def test_big_unfiltered_list_uses_table_statistics(workers, monkeypatch):
    monkeypatch.setattr(EstimatedCountPaginator, "cap", 3)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE members_worker")
    paginator = EstimatedCountPaginator(Worker.objects.all(), 5)

    with CaptureQueriesContext(connection) as ctx:
        count = paginator.count

    assert count == 12  # reltuples after ANALYZE of a tiny table is exact
    assert any("reltuples" in q["sql"] for q in ctx.captured_queries)
    assert not any("count(*)" in q["sql"].lower() and "LIMIT" not in q["sql"] for q in ctx.captured_queries)


def test_big_filtered_list_uses_the_planner_estimate(workers, monkeypatch):
    monkeypatch.setattr(EstimatedCountPaginator, "cap", 3)
    paginator = EstimatedCountPaginator(Worker.objects.filter(skill_grade=1), 5)

    with CaptureQueriesContext(connection) as ctx:
        count = paginator.count

    assert count >= 4  # never fewer than the rows already counted (cap + 1)
    assert any(q["sql"].startswith("EXPLAIN") for q in ctx.captured_queries)


def test_a_filter_no_row_can_match_counts_none(workers, admin_client):
    # given a filter on an id beyond the column's range: Django knows before any SQL that nothing matches
    paginator = EstimatedCountPaginator(Worker.objects.filter(job_type_id=2**63), 5)
    # then there is nothing to count (compiling the capped count by hand raised EmptyResultSet: a 500)
    assert paginator.count == 0
    # and the worker change list says it has no rows, as for any other filter matching none
    from django.urls import reverse

    for query in ("job_type__id__exact=9223372036854775808", "skill_grade__exact=-1"):
        response = admin_client.get(reverse("admin:members_worker_changelist") + "?" + query)
        assert response.status_code == 200, query
