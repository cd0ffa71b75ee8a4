"""No database foreign keys on the entry's denormalized columns: ``unit``, ``job_type`` and
``business_system`` (issue 3: importing ≥ 20,000 entries a second).

Each foreign key on reviews_workentry queues one referential check per new row, run at commit (they
are deferred): measured at seed scale, about 80 ms per constraint for a 20,000-row import, a quarter of
the whole import's budget for these three alone.

These three columns are copies, not facts of their own: the entry services (``reviews.services``) write
them only from the worker and rule rows that ``EntryChecker`` has just loaded for the same rows
(``CheckedEntry.unit_id`` is the worker's unit, ``job_type_id`` and ``business_system_id`` the rule's),
so the referenced rows exist by construction. ``worker`` and ``rule``, which they are copied from, keep
their database foreign keys, as do ``competition`` and ``entered_by``. Deleting a unit, job type or
business system that entries point at is still refused by Django (``on_delete=PROTECT``: the admin
and every ORM delete); only raw SQL could now leave an entry pointing at nothing, and the worker's
and rule's own keys still could not. ``tests/reviews/test_bulk_paths.py`` holds every write path to
writing the worker's and rule's values.

The job type's index stays (the approval queue filters on it). Reversing recreates the constraints,
validating every existing row, which takes a while on a large table.

On SQLite (the embedded default) the change is state-only, as in 0003: altering a column there rebuilds
reviews_workentry and would drop its triggers; SQLite keeps the plain foreign keys, which cost nothing
at its scale.
"""

import django.db.models.deletion
from django.db import migrations, models


class AlterFieldExceptSQLite(migrations.AlterField):
    """A column change that SQLite would make by rebuilding reviews_workentry (losing its triggers);
    there it changes the migration state only."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor != "sqlite":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor != "sqlite":
            super().database_backwards(app_label, schema_editor, from_state, to_state)


class Migration(migrations.Migration):

    # Only the previous reviews migration: the referenced models exist since each app's 0001, which
    # 0003 depends on.
    dependencies = [
        ('reviews', '0003_pending_queue_hot_reviews'),
    ]

    operations = [
        AlterFieldExceptSQLite(
            model_name='workentry',
            name='business_system',
            field=models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='competitions.businesssystem', verbose_name='业务系统'),
        ),
        AlterFieldExceptSQLite(
            model_name='workentry',
            name='job_type',
            field=models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='competitions.jobtype', verbose_name='工种'),
        ),
        AlterFieldExceptSQLite(
            model_name='workentry',
            name='unit',
            field=models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='members.unit', verbose_name='单位'),
        ),
    ]
