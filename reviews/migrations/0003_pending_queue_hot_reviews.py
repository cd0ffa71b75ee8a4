"""Make approving and signing off a month cheap at seed scale (issue 3: ≤ 10 s for ~740,000 entries).

* ``reviews_pendingentry``: the approval queue's own index table, kept by triggers (below) on every
  write to reviews_workentry. The queue reads it; approving deletes from it.
* No index on reviews_workentry contains a column a review changes (status, flags, reviewed_by,
  reviewed_at, updated_at; ``entry_queue`` and ``entry_competition_changed`` go), and the table keeps
  half of each page free (fillfactor 50), so approving and locking are HOT updates: a new row
  version on the same page, no index touched. Measured on a 1.3-million-entry month: 83 s → 3 s.
* No per-row foreign-key checks on what a bulk review writes (``reviewed_by``, the audit facts'
  ``entry`` and ``actor``): 21 s of referential checks at commit for 1.3 million facts.
* Single-column indexes that a composite index already covers go.

Existing rows keep their full pages until the table is rewritten (``VACUUM FULL reviews_workentry``
or pg_repack during a quiet hour); new entries get the free space from now on.

On SQLite (the embedded default) a column change rebuilds the table and drops its triggers (the
standings triggers too), so the field changes below are state-only there; SQLite keeps the plain
foreign keys, which cost nothing at its scale.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from reviews.migrations._operations import AlterFieldExceptSQLite

PG_FORWARD = """
CREATE FUNCTION reviews_pending_sync() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO reviews_pendingentry (entry_id, competition_id, business_system_id, month, work_date, flags)
        SELECT id, competition_id, business_system_id, date_trunc('month', work_date)::date, work_date, flags
          FROM new_rows WHERE status = 'pending';
    ELSIF TG_OP = 'DELETE' THEN
        DELETE FROM reviews_pendingentry p USING old_rows o WHERE p.entry_id = o.id AND o.status = 'pending';
    ELSE
        -- Whatever was pending goes, whatever is pending now comes (back) with its current day and
        -- flags. An approval deletes (no index is touched until VACUUM); a sign-off, whose rows
        -- were never pending, does nothing here.
        DELETE FROM reviews_pendingentry p USING old_rows o WHERE o.status = 'pending' AND p.entry_id = o.id;
        INSERT INTO reviews_pendingentry (entry_id, competition_id, business_system_id, month, work_date, flags)
        SELECT id, competition_id, business_system_id, date_trunc('month', work_date)::date, work_date, flags
          FROM new_rows WHERE status = 'pending';
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER reviews_pending_insert AFTER INSERT ON reviews_workentry
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION reviews_pending_sync();
CREATE TRIGGER reviews_pending_update AFTER UPDATE ON reviews_workentry
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION reviews_pending_sync();
CREATE TRIGGER reviews_pending_delete AFTER DELETE ON reviews_workentry
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION reviews_pending_sync();
ALTER TABLE reviews_workentry SET (fillfactor = 50);
"""

PG_REVERSE = """
DROP TRIGGER IF EXISTS reviews_pending_insert ON reviews_workentry;
DROP TRIGGER IF EXISTS reviews_pending_update ON reviews_workentry;
DROP TRIGGER IF EXISTS reviews_pending_delete ON reviews_workentry;
DROP FUNCTION IF EXISTS reviews_pending_sync();
ALTER TABLE reviews_workentry RESET (fillfactor);
"""

_SQLITE_VALUES = ("(entry_id, competition_id, business_system_id, month, work_date, flags) "
                  "SELECT NEW.id, NEW.competition_id, NEW.business_system_id, date(NEW.work_date, 'start of month'), "
                  "NEW.work_date, NEW.flags WHERE NEW.status = 'pending'")

SQLITE_FORWARD = [
    f"CREATE TRIGGER reviews_pending_insert AFTER INSERT ON reviews_workentry BEGIN "
    f"INSERT INTO reviews_pendingentry {_SQLITE_VALUES}; END",
    f"CREATE TRIGGER reviews_pending_update AFTER UPDATE ON reviews_workentry BEGIN "
    f"DELETE FROM reviews_pendingentry WHERE entry_id = OLD.id; "
    f"INSERT INTO reviews_pendingentry {_SQLITE_VALUES}; END",
    "CREATE TRIGGER reviews_pending_delete AFTER DELETE ON reviews_workentry BEGIN "
    "DELETE FROM reviews_pendingentry WHERE entry_id = OLD.id; END",
]

SQLITE_REVERSE = [
    "DROP TRIGGER IF EXISTS reviews_pending_insert",
    "DROP TRIGGER IF EXISTS reviews_pending_update",
    "DROP TRIGGER IF EXISTS reviews_pending_delete",
]

BACKFILL = {
    "postgresql": "INSERT INTO reviews_pendingentry (entry_id, competition_id, business_system_id, month, work_date, "
                  "flags) SELECT id, competition_id, business_system_id, date_trunc('month', work_date)::date, "
                  "work_date, flags FROM reviews_workentry WHERE status = 'pending'",
    "sqlite": "INSERT INTO reviews_pendingentry (entry_id, competition_id, business_system_id, month, work_date, "
              "flags) SELECT id, competition_id, business_system_id, date(work_date, 'start of month'), work_date, "
              "flags FROM reviews_workentry WHERE status = 'pending'",
}


def create_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_FORWARD)
    elif vendor == "sqlite":
        for statement in SQLITE_FORWARD:
            schema_editor.execute(statement)
    if vendor in BACKFILL:
        schema_editor.execute(BACKFILL[vendor])


def drop_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_REVERSE)
    elif vendor == "sqlite":
        for statement in SQLITE_REVERSE:
            schema_editor.execute(statement)
    schema_editor.execute("DELETE FROM reviews_pendingentry")


class Migration(migrations.Migration):

    dependencies = [
        ('competitions', '0001_initial'),
        ('members', '0001_initial'),
        ('reviews', '0002_entry_flags'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='PendingEntry',
            fields=[
                ('entry', models.OneToOneField(db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING, primary_key=True, related_name='pending', serialize=False, to='reviews.workentry', verbose_name='录入')),
                ('competition_id', models.BigIntegerField()),
                ('business_system_id', models.BigIntegerField()),
                ('month', models.DateField()),
                ('work_date', models.DateField()),
                ('flags', models.PositiveSmallIntegerField(default=0)),
            ],
            options={
                'verbose_name': '待审核录入',
                'verbose_name_plural': '待审核录入',
            },
        ),
        migrations.AddIndex(
            model_name='pendingentry',
            index=models.Index(fields=['business_system_id', 'competition_id', 'month', '-flags', 'work_date', 'entry'], name='pending_queue'),
        ),
        migrations.AddIndex(
            model_name='workentry',
            index=models.Index(fields=['business_system', 'work_date'], name='entry_system_day'),
        ),
        migrations.RemoveIndex(
            model_name='workentry',
            name='entry_competition_changed',
        ),
        migrations.RemoveIndex(
            model_name='workentry',
            name='entry_queue',
        ),
        AlterFieldExceptSQLite(
            model_name='entryevent',
            name='actor',
            field=models.ForeignKey(db_constraint=False, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='操作人'),
        ),
        AlterFieldExceptSQLite(
            model_name='entryevent',
            name='entry',
            field=models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='events', to='reviews.workentry', verbose_name='录入'),
        ),
        AlterFieldExceptSQLite(
            model_name='workentry',
            name='business_system',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='competitions.businesssystem', verbose_name='业务系统'),
        ),
        AlterFieldExceptSQLite(
            model_name='workentry',
            name='competition',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='entries', to='competitions.competition', verbose_name='劳动竞赛'),
        ),
        AlterFieldExceptSQLite(
            model_name='workentry',
            name='reviewed_by',
            field=models.ForeignKey(blank=True, db_constraint=False, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='entries_reviewed', to=settings.AUTH_USER_MODEL, verbose_name='审核人'),
        ),
        AlterFieldExceptSQLite(
            model_name='workentry',
            name='unit',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='members.unit', verbose_name='单位'),
        ),
        migrations.RunPython(create_triggers, drop_triggers),
    ]
