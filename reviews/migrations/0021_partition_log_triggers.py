"""Reinstalls the entries' log trigger with its triggers on every monthly partition too (reviews/sql/entry_log.sql):
a step of a month's approval names its month's partition, whose UPDATE trigger captures the new rows alone, so
the old version of every moved row is no longer copied aside for a trigger that never reads it. One step of
137,952 entries (psql, rolled back, five interleaved pairs on a seed-scale database): 882-893 ms through the
table, 814-877 ms through the partition. An UPDATE naming a partition that is not such a move is refused.

Backward, the trigger as reviews 0020 installed it (kept beside this migration, ``0021_entry_log_before.sql``),
on the table only.
"""

from pathlib import Path

from django.db import migrations

from reviews.entry_log import ENTRY_LOG


class Migration(migrations.Migration):
    dependencies = [("reviews", "0020_approval_log_per_competition")]

    operations = [ENTRY_LOG.reinstall_operation(before=Path(__file__).with_name("0021_entry_log_before.sql"))]
