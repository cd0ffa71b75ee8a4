""""Locked" becomes the month's state: entries stored as locked are stored as approved again, and back.

A sign-off no longer rewrites its month's entries (reviews.workflow.period_sign_off): an approved entry of a
signed-off month shows as locked (WorkEntry.shown_status). The rows earlier sign-offs stored as "locked" are
set to "approved" here, so a stored status is only ever pending, approved or rejected.

One UPDATE per monthly partition, addressed by name, each told to the entries' log trigger as a status move
(reviews.entry_log.STATUS_MOVE): a partition's trigger (installed on the partitions since reviews 0021, and
so on a new database's by 0007) takes nothing but a status move, and logs nothing for this one (approved and
locked count alike: reviews.entry_log.status_move_logs_nothing). When this ran first, the partitions had no
trigger and the statements fired none. ``updated_at`` is left as it is: nothing about the work changed.
At seed scale (6.7 million locked entries) this takes about a minute, as long as the sign-offs took.

Backward, the approved entries of every signed-off (business system, month) are stored as locked again.
Progress goes to the log (logger reviews.migrations) at INFO when rows move.
"""

import logging
import time

from django.db import migrations
from psycopg import sql

from reviews.entry_log import STATUS_MOVE, status_move_logs_nothing
from reviews.partitions import TABLE, partition_name

logger = logging.getLogger("reviews.migrations")


def _partitions(cursor) -> list[str]:
    cursor.execute("SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
                   "WHERE i.inhparent = %s::regclass ORDER BY c.relname", [TABLE])
    return [name for (name,) in cursor.fetchall()]


def _run(cursor, statement, params, name: str, move: str) -> int:
    began = time.monotonic()
    cursor.execute("SELECT set_config(%s, %s, true)", [STATUS_MOVE, move])
    cursor.execute(statement.as_string(cursor.connection), params)
    if cursor.rowcount:
        logger.info("%s: %s entries (%.1f s)", name, f"{cursor.rowcount:,}", time.monotonic() - began)
    return cursor.rowcount


def locked_to_approved(apps, schema_editor):
    assert status_move_logs_nothing("locked", "approved")
    with schema_editor.connection.cursor() as cursor:
        for name in _partitions(cursor):
            _run(cursor, sql.SQL("UPDATE {} SET status = 'approved' WHERE status = 'locked'").format(
                sql.Identifier(name)), None, name, "locked>approved")


def approved_to_locked(apps, schema_editor):
    assert status_move_logs_nothing("approved", "locked")
    ReviewPeriod = apps.get_model("reviews", "ReviewPeriod")
    with schema_editor.connection.cursor() as cursor:
        partitions = set(_partitions(cursor))
        for competition_id, system_id, month in (ReviewPeriod.objects.filter(status="signed_off")
                                                 .order_by("month", "business_system_id", "competition_id")
                                                 .values_list("competition_id", "business_system_id", "month")):
            name = partition_name(month)
            if name not in partitions:  # a month without a partition has no entries
                continue
            _run(cursor, sql.SQL(
                "UPDATE {} SET status = 'locked' WHERE status = 'approved' AND competition_id = %s"
                " AND business_system_id = %s AND work_date >= %s AND work_date < CAST(%s + interval '1 month' AS date)"
            ).format(sql.Identifier(name)), [competition_id, system_id, month, month], name, "approved>locked")


class Migration(migrations.Migration):
    dependencies = [("reviews", "0007_workentry_partitioned_by_month")]

    operations = [migrations.RunPython(locked_to_approved, approved_to_locked, elidable=False)]
