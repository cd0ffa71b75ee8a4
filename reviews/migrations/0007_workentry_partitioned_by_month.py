"""Work entries partitioned by month of work_date (reviews.partitions), and back.

Forward, in the migration's transaction, under an ACCESS EXCLUSIVE lock on the entries (nobody writes or
reads them meanwhile): the table is renamed aside, an empty partitioned table takes its name (same columns,
defaults, CHECK constraints and a fresh identity sequence set to where the old one was), a partition is
made for every month from the first entry to the last and for what the competitions and the coming months
need, every row is copied in one INSERT … SELECT (one scan of the old table; the partitions have no index
yet, so nothing is maintained row by row), the old table is dropped, and then the primary key (id,
work_date), the old table's indexes (the same definitions, read from the catalog before the rename, so
whatever indexes the table has at this point are carried over) and its foreign keys are built on the
partitioned table (PostgreSQL builds each partition's in turn), the log trigger is installed on it and the
table analyzed. The log trigger is off while the rows move: they are the same entries, nothing changed.

Backward is the same the other way: a plain table with fillfactor 50 and the primary key (id).
Progress goes to the log (logger reviews.migrations), a line per step with the time it took: at INFO when
the table has rows (an upgrade, which takes minutes at seed scale), at DEBUG for an empty one (a new
database's migrate, where the lines would only be noise).
"""

import logging
import time
from datetime import date

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models
from psycopg import sql

from config.bulk_load import _foreign_keys, _secondary_indexes
from reviews.entry_log import ENTRY_LOG
from reviews.partitions import FILLFACTOR, TABLE, create_partition, months_ahead, months_between, months_for_dates

logger = logging.getLogger("reviews.migrations")
ASIDE = f"{TABLE}_old"


class _Steps:
    """Runs statements on the migration's connection and logs each step with its duration."""

    def __init__(self, connection):
        self.connection, self.started, self.level = connection, time.monotonic(), logging.INFO

    def run(self, statement, params=None, *, say: str | None = None):
        began = time.monotonic()
        with self.connection.cursor() as cursor:
            text = statement if isinstance(statement, str) else statement.as_string(cursor.connection)
            cursor.execute(text, params)
            rows = cursor.fetchall() if cursor.description else None
            count = cursor.rowcount
        if say:
            logger.log(self.level, "%s: %s (%.1f s; %.1f s in all)", TABLE, say.format(count=count),
                       time.monotonic() - began, time.monotonic() - self.started)
        return rows

    def definitions(self):
        """The table's index definitions but the primary key's, and its foreign keys; a table that other
        tables still reference through a foreign key is refused (none may: see the AlterFields above)."""
        referenced = self.run("SELECT conname FROM pg_constraint WHERE confrelid = %s::regclass AND contype = 'f'",
                              [TABLE])
        if referenced:
            raise RuntimeError(f"{TABLE} is still referenced by foreign keys: {[name for (name,) in referenced]}")
        # As a bulk load reads them to rebuild them (config.bulk_load): the catalog's own definitions.
        return [definition for _name, definition in _secondary_indexes(TABLE)], _foreign_keys(TABLE)

    def move_aside(self) -> tuple[int, bool]:
        """Renames the table and its identity sequence aside; returns where the sequence was."""
        (sequence,), = self.run("SELECT c.relname FROM pg_class c WHERE c.oid = pg_get_serial_sequence(%s, 'id')::regclass",
                                [TABLE])
        (last_value, is_called), = self.run(sql.SQL("SELECT last_value, is_called FROM {}").format(
            sql.Identifier(sequence)))
        self.run(sql.SQL("ALTER TABLE {} RENAME TO {}").format(sql.Identifier(TABLE), sql.Identifier(ASIDE)))
        self.run(sql.SQL("ALTER SEQUENCE {} RENAME TO {}").format(sql.Identifier(sequence),
                                                                 sql.Identifier(f"{ASIDE}_id_seq")))
        return last_value, is_called

    def finish(self, *, primary_key: list[str], indexes: list[str], foreign, sequence_at: tuple[int, bool]):
        """Copies every row from the table aside, drops it, and builds keys, indexes and the trigger."""
        self.run(sql.SQL("INSERT INTO {} SELECT * FROM {}").format(sql.Identifier(TABLE), sql.Identifier(ASIDE)),
                 say="copied {count} rows")
        self.run("SELECT setval(pg_get_serial_sequence(%s, 'id'), %s, %s)", [TABLE, *sequence_at])
        self.run(sql.SQL("DROP TABLE {}").format(sql.Identifier(ASIDE)), say="dropped the old table")
        self.run(sql.SQL("ALTER TABLE {} ADD CONSTRAINT {} PRIMARY KEY ({})").format(
            sql.Identifier(TABLE), sql.Identifier(f"{TABLE}_pkey"), sql.SQL(", ").join(map(sql.Identifier, primary_key))),
            say=f"primary key ({', '.join(primary_key)})")
        for definition in indexes:
            self.run(definition, say=definition.split(" ON ")[0])
        for name, definition in foreign:
            self.run(sql.SQL("ALTER TABLE {} ADD CONSTRAINT {} {}").format(
                sql.Identifier(TABLE), sql.Identifier(name), sql.SQL(definition)), say=f"foreign key {name}")
        ENTRY_LOG.install(self.connection)
        self.run(sql.SQL("ANALYZE {}").format(sql.Identifier(TABLE)), say="analyzed")


def _start(connection) -> _Steps:
    steps = _Steps(connection)
    # Index builds sort each partition's keys; more memory for them than a session's default.
    steps.run("SET LOCAL maintenance_work_mem = '256MB'")
    ENTRY_LOG.uninstall(connection)  # the function and its three triggers; installed again on the new table
    steps.run(sql.SQL("LOCK TABLE {} IN ACCESS EXCLUSIVE MODE").format(sql.Identifier(TABLE)))
    (populated,), = steps.run(sql.SQL("SELECT EXISTS (SELECT FROM {})").format(sql.Identifier(TABLE)))
    if not populated:
        steps.level = logging.DEBUG
    return steps


def partition(apps, schema_editor):
    steps = _start(schema_editor.connection)
    indexes, foreign = steps.definitions()
    sequence_at = steps.move_aside()
    steps.run(sql.SQL("""CREATE TABLE {} (LIKE {} INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING IDENTITY)
                         PARTITION BY RANGE (work_date)""").format(sql.Identifier(TABLE), sql.Identifier(ASIDE)))
    (first, last), = steps.run(sql.SQL("SELECT min(work_date), max(work_date) FROM {}").format(sql.Identifier(ASIDE)),
                               say="read the range of work dates")
    today = date.today()
    months = set(months_between(first, last)) if first else set()
    months.update(months_ahead(today))
    for start, end in steps.run("SELECT start_date, end_date FROM competitions_competition"):
        months.update(months_for_dates(start, end, today=today))
    for month in sorted(months):
        # The log's triggers come with the log, installed on the table and its partitions when the rows are in.
        for statement in create_partition(month, log_triggers=False):
            steps.run(statement)
    logger.log(steps.level, "%s: %d monthly partitions, %s to %s", TABLE, len(months), min(months), max(months))
    steps.finish(primary_key=["id", "work_date"], indexes=indexes, foreign=foreign, sequence_at=sequence_at)


def unpartition(apps, schema_editor):
    steps = _start(schema_editor.connection)
    indexes, foreign = steps.definitions()
    sequence_at = steps.move_aside()
    steps.run(sql.SQL("""CREATE TABLE {} (LIKE {} INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING IDENTITY)
                         WITH (fillfactor = {})""").format(sql.Identifier(TABLE), sql.Identifier(ASIDE),
                                                           sql.Literal(FILLFACTOR)))
    steps.finish(primary_key=["id"], indexes=indexes, foreign=foreign, sequence_at=sequence_at)


class Migration(migrations.Migration):

    dependencies = [
        ('reviews', '0006_entry_references_by_trigger'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='EntryIdempotencyKey',
            fields=[
                ('entry', models.OneToOneField(db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING, primary_key=True, related_name='+', serialize=False, to='reviews.workentry', verbose_name='录入')),
                ('key', models.CharField(max_length=64, verbose_name='幂等键')),
            ],
            options={
                'verbose_name': '录入幂等键',
                'verbose_name_plural': '录入幂等键',
            },
        ),
        migrations.RemoveConstraint(
            model_name='workentry',
            name='entry_idempotency_key_unique',
        ),
        migrations.AlterField(
            model_name='dispute',
            name='entry',
            field=models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='disputes', to='reviews.workentry', verbose_name='录入'),
        ),
        migrations.AlterField(
            model_name='workentry',
            name='adjusts',
            field=models.ForeignKey(blank=True, db_constraint=False, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='adjustments', to='reviews.workentry', verbose_name='调整的录入'),
        ),
        migrations.AddField(
            model_name='entryidempotencykey',
            name='entered_by',
            field=models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='录入人'),
        ),
        migrations.AddConstraint(
            model_name='entryidempotencykey',
            constraint=models.UniqueConstraint(fields=('entered_by', 'key'), name='entry_idempotency_key_unique'),
        ),
        # The keys entries were created with until now (the unique constraint removed above held them).
        migrations.RunSQL(
            "INSERT INTO reviews_entryidempotencykey (entry_id, entered_by_id, key) "
            "SELECT id, entered_by_id, idempotency_key FROM reviews_workentry "
            "WHERE idempotency_key IS NOT NULL AND entered_by_id IS NOT NULL",
            migrations.RunSQL.noop),
        migrations.RunPython(partition, unpartition),
    ]
