import pytest

from tests import factories


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
