"""Operations shared by reviews' migrations. The leading underscore keeps Django's migration loader from
reading this module as a migration."""

from django.db import migrations


class AlterFieldExceptSQLite(migrations.AlterField):
    """A column change that SQLite would make by rebuilding reviews_workentry (losing its triggers);
    there it changes the migration state only."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor != "sqlite":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor != "sqlite":
            super().database_backwards(app_label, schema_editor, from_state, to_state)
