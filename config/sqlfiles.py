"""Code that runs inside PostgreSQL (trigger functions, partitioned tables) kept in ``.sql`` files beside
the Python that owns it.

A file is a ``psycopg.sql`` template: its ``{name}`` placeholders are filled from that Python's constants
(statuses as ``sql.Literal``, tables as ``sql.Identifier``), so a renamed status or table changes the
installed code with it instead of leaving a string behind. Migrations install a file with ``install`` and
remove it with ``uninstall``; for a file that defines a function, ``drift`` compares the installed body
with the rendered one (a system check runs it for every registered file), so a function edited by hand,
or a file changed without a migration, shows up in ``manage.py check``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from django.core import checks
from django.db import DatabaseError, connections
from django.db.migrations.recorder import MigrationRecorder
from psycopg import sql

# Every SqlFile, registered as it is defined: what the drift check looks at.
REGISTRY: list[SqlFile] = []


@dataclass(frozen=True)
class SqlFile:
    path: Path
    # The placeholders' values (``sql.Composable``); a function, so models load before it is called.
    values: Callable[[], dict[str, sql.Composable]]
    # A template (same placeholders) that undoes the file: the migration's reverse.
    drop: str
    # The migration that installs the file, as (app label, name).
    installed_by: tuple[str, str]
    # The name of the function the file defines, if any: checked against the installed one.
    function: str | None = None
    # Later migrations that install the file again (after it changed), oldest first: until the last of them
    # has run, the installed body is an older version of the file, which is expected, not drift (and
    # ``migrate``, which runs the checks first, must not be stopped by it).
    reinstalled_by: tuple[tuple[str, str], ...] = ()

    def __post_init__(self):
        REGISTRY.append(self)

    def render(self, connection, template: str | None = None) -> str:
        """The file (or ``template``) with its placeholders filled, as text for ``connection``."""
        text = self.path.read_text(encoding="utf-8") if template is None else template
        connection.ensure_connection()
        return sql.SQL(text).format(**self.values()).as_string(connection.connection)

    def install(self, connection, template: str | None = None) -> None:
        """Runs the file (or ``template``, an earlier version of it) rendered for ``connection``."""
        with connection.cursor() as cursor:
            cursor.execute(self.render(connection, template))

    def uninstall(self, connection) -> None:
        with connection.cursor() as cursor:
            cursor.execute(self.render(connection, self.drop))

    def migration_operation(self):
        """A RunPython that installs the file, and drops what it made when reversed."""
        from django.db import migrations

        return migrations.RunPython(lambda apps, editor: self.install(editor.connection),
                                    lambda apps, editor: self.uninstall(editor.connection))

    def reinstall_operation(self, before: Path | None = None):
        """A RunPython that replaces the installed function (and its triggers) with the file as it is now,
        for a migration named in ``reinstalled_by``. Reversed, it leaves the newer body in place (the older
        code runs on it, as the body is the file's own behaviour made faster or clearer), or, given
        ``before`` (the file as the previous migration installed it, kept beside the migration), installs
        that again: for a body that writes a table the reversed migrations drop."""
        from django.db import migrations

        def reinstall(apps, editor, template: str | None = None):
            self.uninstall(editor.connection)
            self.install(editor.connection, template)

        def reinstall_before(apps, editor):
            reinstall(apps, editor, before.read_text(encoding="utf-8"))

        return migrations.RunPython(reinstall, migrations.RunPython.noop if before is None else reinstall_before)

    def drift(self, connection) -> str | None:
        """None when the installed function's body is the rendered file's; otherwise what differs."""
        if self.function is None:
            return None
        expected = function_body(self.render(connection))
        installed = installed_function_body(connection, self.function)
        if installed is None:
            # Missing before its migration has run (``migrate`` runs the checks first) is no drift.
            applied = MigrationRecorder(connection).applied_migrations()
            return f"{self.function}() is not installed" if self.installed_by in applied else None
        if installed != expected:
            # An older body, before the migration that installs this one has run, is no drift either.
            applied = MigrationRecorder(connection).applied_migrations()
            if self.reinstalled_by and self.reinstalled_by[-1] not in applied:
                return None
            return f"{self.function}() differs from {self.path.name}"
        return None


def function_body(rendered: str) -> str:
    """The body of the one function a rendered file defines: what lies between its ``$$`` quotes (a file
    quotes its function with a bare ``$$`` and anything inside it with a tag, ``$sql$``)."""
    parts = rendered.split("$$")
    if len(parts) != 3:
        raise ValueError("a function file quotes exactly one body with $$")
    return parts[1]


def installed_function_body(connection, name: str) -> str | None:
    """The body of the installed function ``name()`` (no arguments), as PostgreSQL keeps it."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT prosrc FROM pg_proc WHERE oid = to_regprocedure(%s)", [f"{name}()"])
        row = cursor.fetchone()
    return row[0] if row else None


@checks.register()
def check_installed_functions(app_configs=None, databases=None, **kwargs) -> list[checks.CheckMessage]:
    """An error for every registered function whose installed body is not its rendered file."""
    connection = connections["default"]
    errors = []
    for file in REGISTRY:
        try:
            problem = file.drift(connection)
        except DatabaseError:  # no database to look at (yet): nothing to compare
            return []
        if problem:
            errors.append(checks.Error(
                problem, hint=f"Install {file.path.name} again (a migration that runs its install) or restore it.",
                obj=str(file.path), id="sqlfiles.E001"))
    return errors
