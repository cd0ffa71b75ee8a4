import os

import pytest

from tests import factories


def pytest_collection_modifyitems(config, items):
    """Tests marked ``cluster_alone`` (the read-replica tests: a standby that must keep up within a second)
    need the PostgreSQL cluster to themselves. With the suite in several processes (pytest-xdist) they are
    left out, and .ci/test runs them afterwards in a pass of their own (TEST_SERIAL_PASS=1), which runs
    only them. In one process, everything runs."""
    in_parallel = "PYTEST_XDIST_WORKER" in os.environ
    serial_pass = os.environ.get("TEST_SERIAL_PASS") == "1"
    if not (in_parallel or serial_pass):
        return
    kept, left = [], []
    for item in items:
        alone = item.get_closest_marker("cluster_alone") is not None
        (kept if alone == serial_pass else left).append(item)
    if left:
        config.hook.pytest_deselected(items=left)
        items[:] = kept


@pytest.fixture(autouse=True)
def _default_language():
    """Each test starts in the site's language. A request in English leaves English active in the thread
    (LocaleMiddleware activates, nothing deactivates), and the next test in the same process, whichever it
    is in a run split over several processes, would read its messages in English."""
    from django.utils import translation

    translation.deactivate()
    yield
    translation.deactivate()


@pytest.fixture
def f():
    """The test-data builders, as a fixture so tests read ``f.worker(...)``."""
    return factories


@pytest.fixture
def run_jobs(monkeypatch, django_capture_on_commit_callbacks):
    """Background jobs (competitions.jobs) run as soon as they are committed, in this process, as a worker
    would run them: ``run_jobs(lambda: client.post(...))`` returns what the call returned."""
    from competitions import tasks

    monkeypatch.setattr(tasks.run_job, "delay", lambda *a, **kw: tasks.run_job.apply(args=a, kwargs=kw))

    def started(send):
        with django_capture_on_commit_callbacks(execute=True):
            return send()

    return started


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """The entries' monthly partitions of the years the tests date their work in, made once for the session
    (committed), as a live database has them: saving a competition then finds its months there instead of
    creating and attaching them again in every test's transaction. Tests of partition creation use months
    outside this range (tests/reviews/test_entry_partitions.py)."""
    from datetime import date

    from django.utils import timezone

    from config.months import months_between
    from reviews.partitions import entry_partitions_ensure, months_ahead

    with django_db_blocker.unblock():
        entry_partitions_ensure(months_between(date(2024, 1, 1), months_ahead(timezone.localdate())[-1]))
