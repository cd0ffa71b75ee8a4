"""Code that runs inside PostgreSQL is installed from its .sql file, and ``manage.py check`` notices when
what is installed is no longer the file."""

import pytest
from django.core import checks
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.db import connection

from competitions import standings
from competitions.models import Standing
from competitions.standings.table import STANDINGS_PARTITIONED
from config.sqlfiles import check_installed_functions, function_body, installed_function_body
from reviews.entry_log import ENTRY_LOG, FUNCTION
from reviews.models import EntryStatus

pytestmark = pytest.mark.django_db


def test_the_installed_entry_log_function_is_the_rendered_file():
    assert installed_function_body(connection, FUNCTION) == function_body(ENTRY_LOG.render(connection))
    assert [e for e in check_installed_functions() if e.id == "sqlfiles.E001"] == []


def test_a_function_changed_in_the_database_fails_the_check():
    body = installed_function_body(connection, FUNCTION)
    edited = body.replace("RETURN NULL;", "RETURN NULL;  -- edited by hand", 1)
    assert edited != body
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE OR REPLACE FUNCTION {FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $fn${edited}$fn$")

    errors = check_installed_functions()
    assert [(e.id, e.level, e.msg) for e in errors] == [
        ("sqlfiles.E001", checks.ERROR, f"{FUNCTION}() differs from entry_log.sql")]
    with pytest.raises(SystemCheckError, match="entry_log.sql"):
        call_command("check")


def test_a_missing_function_fails_the_check_once_its_migration_has_run():
    with connection.cursor() as cursor:
        cursor.execute(f"DROP FUNCTION {FUNCTION}() CASCADE")
    assert [e.msg for e in check_installed_functions()] == [f"{FUNCTION}() is not installed"]


def test_an_older_body_is_no_drift_until_the_migration_that_installs_the_new_one_has_run():
    """A database installed from an earlier file is upgraded by ``migrate``, which runs the checks first: the
    older body must not stop it. Once the reinstalling migration is recorded, a different body is drift."""
    from django.db.migrations.recorder import MigrationRecorder

    from competitions.rule_versions import FUNCTION as GUARD
    from competitions.rule_versions import RULE_VERSION_GUARD

    body = installed_function_body(connection, GUARD)
    older = body.replace("RETURN NEW;\nEND", "RETURN NEW;  -- an older version\nEND", 1)
    assert older != body
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE OR REPLACE FUNCTION {GUARD}() RETURNS trigger LANGUAGE plpgsql AS $fn${older}$fn$")
    recorder = MigrationRecorder(connection)
    app, name = RULE_VERSION_GUARD.reinstalled_by[-1]
    recorder.record_unapplied(app, name)
    assert [e for e in check_installed_functions() if e.id == "sqlfiles.E001"] == []

    recorder.record_applied(app, name)
    assert [e.msg for e in check_installed_functions()] == [f"{GUARD}() differs from rule_version_guard.sql"]

    # What the migration does: the file's body again, the triggers with it.
    from django.db import migrations
    from django.db.migrations.state import ProjectState

    operation = RULE_VERSION_GUARD.reinstall_operation()
    assert isinstance(operation, migrations.RunPython)
    with connection.schema_editor() as editor:
        operation.code(ProjectState().apps, editor)
    assert installed_function_body(connection, GUARD) == function_body(RULE_VERSION_GUARD.render(connection))
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_trigger WHERE tgfoid = to_regprocedure(%s)", [f"{GUARD}()"])
        assert cursor.fetchone()[0] == 2
    assert check_installed_functions() == []


def test_the_entry_log_file_names_no_status_itself():
    """Statuses come from EntryStatus (rendered as literals), so renaming one changes the trigger with it."""
    template = ENTRY_LOG.path.read_text()
    assert [s for s in EntryStatus.values if f"'{s}'" in template] == []
    rendered = ENTRY_LOG.render(connection)
    assert all(f"'{s}'" in rendered for s in EntryStatus.values)


def test_the_standings_table_is_partitioned_with_the_models_columns():
    with connection.cursor() as cursor:
        cursor.execute("SELECT partstrat FROM pg_partitioned_table WHERE partrelid = %s::regclass",
                       [Standing._meta.db_table])
        assert cursor.fetchone() == ("r",)
        cursor.execute("SELECT attname, format_type(atttypid, atttypmod), attnotnull FROM pg_attribute "
                       "WHERE attrelid = %s::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum",
                       [Standing._meta.db_table])
        installed = cursor.fetchall()
    model = [(f.column, f.null) for f in Standing._meta.concrete_fields]
    assert [(name, not not_null) for name, _, not_null in installed] == model


def test_the_standings_parent_has_the_indexes_every_day_partition_is_built_with():
    """ATTACH adopts a partition's index only if the parent has the same one; otherwise it builds another."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE tablename = %s", [Standing._meta.db_table])
        columns = sorted(indexdef.split("(", 1)[1].rstrip(")") for (indexdef,) in cursor.fetchall())
    assert columns == sorted(", ".join(index) for index in standings.PARTITION_INDEXES.values())
    assert "CREATE TABLE" in STANDINGS_PARTITIONED.render(connection)
