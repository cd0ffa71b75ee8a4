"""The entries' monthly partitions leave more of each page free for the new row versions of an approval
(fillfactor 45 instead of 50: reviews.partitions.FILLFACTOR says why). Changing the setting rewrites nothing
and takes a lock that lets entering and reading go on: pages filled from now on (the months ahead, the rest of
this one) keep the room; rows already written stay where they are until their month is rewritten. Backward
puts 50 back the same way. The numbers are written here, not read from reviews.partitions, so that this
migration stays what it was if the setting changes again."""

from django.db import migrations
from psycopg import sql

PARTITIONS = """SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
                WHERE i.inhparent = 'reviews_workentry'::regclass ORDER BY 1"""


def fillfactor(value: int):
    def apply(apps, schema_editor):
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(PARTITIONS)
            for (name,) in cursor.fetchall():
                cursor.execute(sql.SQL("ALTER TABLE {} SET (fillfactor = {})").format(
                    sql.Identifier(name), sql.Literal(value)).as_string(cursor.connection))
    return apply


class Migration(migrations.Migration):

    dependencies = [
        ('reviews', '0012_workentry_note_params'),
    ]

    operations = [
        migrations.RunPython(fillfactor(45), fillfactor(50), elidable=False),
    ]
