"""config.tasks: the options every database-writing Celery task shares, and each task's own differences."""

import pytest
from django.db import DatabaseError, OperationalError

from competitions import tasks as competition_tasks
from config.tasks import DB_TASK_OPTIONS, db_task
from reviews import tasks as review_tasks

DB_TASKS = {
    competition_tasks.standings_recompute_task: {},
    competition_tasks.compact_standings: {"retry_backoff": 60, "retry_backoff_max": 1800},
    competition_tasks.mark_dead_standings_runs: {},
    competition_tasks.verify_standings_task: {},
    review_tasks.flag_entries: {},
    review_tasks.sweep_flags: {},
}


@pytest.mark.parametrize("task", DB_TASKS, ids=lambda t: t.name)
def test_every_database_task_has_the_shared_options_but_its_stated_differences(task):
    expected = {**DB_TASK_OPTIONS, **DB_TASKS[task]}
    assert {option: getattr(task, option) for option in expected} == expected
    assert issubclass(OperationalError, task.autoretry_for)  # a deadlock or a dropped connection is retried


def test_the_shared_options_ack_late_and_retry_database_errors_with_backoff():
    assert DB_TASK_OPTIONS["acks_late"] is True and DB_TASK_OPTIONS["reject_on_worker_lost"] is True
    assert DB_TASK_OPTIONS["autoretry_for"] == (DatabaseError,)
    assert DB_TASK_OPTIONS["retry_backoff"] and DB_TASK_OPTIONS["max_retries"] > 0


def test_a_misspelt_difference_is_refused_instead_of_ignored():
    with pytest.raises(TypeError, match="retry_backof"):
        db_task(name="tests.misspelt", retry_backof=60)
