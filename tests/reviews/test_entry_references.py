"""A worker or scoring rule that an entry names is never deleted, though reviews_workentry has no foreign key
to either: the guard on their tables refuses, and a delete racing an entry write waits for it."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import IntegrityError, connection, transaction

from competitions.models import ScoringRule
from config.sqlfiles import check_installed_functions, function_body, installed_function_body
from members.models import Worker
from reviews.entry_references import ENTRY_REFERENCES, FUNCTION
from reviews.models import WorkEntry
from reviews.services import entry_create
from reviews.validation import EntryChecker, EntryRejected
from tests.concurrency import in_thread, pause_after


def delete_row(model, pk) -> None:
    """A delete that bypasses Django's on_delete=PROTECT, as raw SQL or another client would."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {model._meta.db_table} WHERE id = %s", [pk])


@pytest.mark.django_db
def test_the_installed_guard_is_the_rendered_file():
    assert installed_function_body(connection, FUNCTION) == function_body(ENTRY_REFERENCES.render(connection))
    assert [e for e in check_installed_functions() if e.id == "sqlfiles.E001"] == []


@pytest.mark.django_db
def test_entries_check_no_foreign_key_per_row_on_their_worker_and_rule():
    with connection.cursor() as cursor:
        cursor.execute("SELECT a.attname FROM pg_constraint c JOIN pg_attribute a ON a.attrelid = c.conrelid"
                       " AND a.attnum = ANY (c.conkey) WHERE c.conrelid = %s::regclass AND c.contype = 'f'",
                       [WorkEntry._meta.db_table])
        # None at all: the worker and rule are guarded from their side (this file's trigger), and the
        # adjusted entry cannot be referenced by a key of a table partitioned by month (reviews.partitions).
        assert {column for (column,) in cursor.fetchall()} == set()


@pytest.mark.django_db
def test_the_database_refuses_to_delete_a_worker_or_rule_that_an_entry_names(w, today):
    entry_create(actor=w.clerk, competition=w.comp, worker_id=w.bob.pk, rule_id=w.km.pk,
                 work_date=today - timedelta(days=1), quantity="10")

    with pytest.raises(IntegrityError, match="members_worker"):
        delete_row(Worker, w.bob.pk)
    with pytest.raises(IntegrityError, match="competitions_scoringrule"):
        delete_row(ScoringRule, w.km.pk)
    assert Worker.objects.filter(pk=w.bob.pk).exists() and ScoringRule.objects.filter(pk=w.km.pk).exists()


@pytest.mark.django_db
def test_a_worker_or_rule_that_no_entry_names_is_still_deleted(w, f):
    spare_worker, spare_rule = f.worker(w.depot, w.driver), f.rule(w.comp, w.driver, metric="备用指标")
    entry_create(actor=w.clerk, competition=w.comp, worker_id=w.bob.pk, rule_id=w.km.pk,
                 work_date=w.comp.start_date, quantity="10")

    delete_row(Worker, spare_worker.pk)
    spare_rule.versions.all().delete()  # their own foreign key; no entry was priced by them
    delete_row(ScoringRule, spare_rule.pk)
    with connection.cursor() as cursor:  # the guard looks at the row's id only when it changes
        cursor.execute(f"UPDATE {Worker._meta.db_table} SET name = name WHERE id = %s", [w.bob.pk])

    assert not Worker.objects.filter(pk=spare_worker.pk).exists()
    assert not ScoringRule.objects.filter(pk=spare_rule.pk).exists()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("target", ["worker", "rule"])
def test_a_delete_while_an_entry_is_being_written_waits_for_it_and_is_refused(w, today, monkeypatch, target):
    # given an entry checked (its worker and rule read) but not yet committed
    inside, release = pause_after(monkeypatch, EntryChecker, "_load_versions")
    results: dict = {}
    writer = in_thread(results, "entry", lambda: entry_create(
        actor=w.clerk, competition=w.comp, worker_id=w.bob.pk, rule_id=w.km.pk,
        work_date=today - timedelta(days=1), quantity="10"))
    assert inside.wait(20)

    # when its worker (or rule) is deleted meanwhile, bypassing Django's PROTECT
    model, pk = (Worker, w.bob.pk) if target == "worker" else (ScoringRule, w.km.pk)
    deleter = in_thread(results, "delete", lambda: delete_row(model, pk))
    deleter.join(1.5)
    assert deleter.is_alive()  # the delete waits for the write
    release.set()
    writer.join(20)
    deleter.join(20)

    # then the entry is saved and the delete refused: nothing names a missing row
    assert not writer.is_alive() and not deleter.is_alive()
    assert isinstance(results["entry"], WorkEntry), results["entry"]
    assert isinstance(results["delete"], IntegrityError), results["delete"]
    assert model.objects.filter(pk=pk).exists()


@pytest.mark.django_db(transaction=True)
def test_an_entry_written_while_its_worker_is_being_deleted_waits_and_is_refused(w, today):
    # given a delete of the worker under way (not yet committed)
    deleted, release = threading.Event(), threading.Event()

    def delete_and_hold():
        with transaction.atomic():
            delete_row(Worker, w.bob.pk)
            deleted.set()
            assert release.wait(20)

    results: dict = {}
    deleter = in_thread(results, "delete", delete_and_hold)
    assert deleted.wait(20)

    # when an entry for that worker is written meanwhile
    writer = in_thread(results, "entry", lambda: entry_create(
        actor=w.clerk, competition=w.comp, worker_id=w.bob.pk, rule_id=w.km.pk,
        work_date=today - timedelta(days=1), quantity="10"))
    writer.join(1.5)
    assert writer.is_alive()  # the write waits for the delete
    release.set()
    deleter.join(20)
    writer.join(20)

    # then the write finds the worker gone and saves nothing
    assert not writer.is_alive() and not deleter.is_alive()
    assert isinstance(results["entry"], EntryRejected), results["entry"]
    assert [e.code for e in results["entry"].errors] == ["worker_not_enterable"]
    assert not Worker.objects.filter(pk=w.bob.pk).exists()
    assert not WorkEntry.objects.filter(worker_id=w.bob.pk).exists()
