"""Reinstalls the entries' log trigger: a month's approval job stages each moved entry's approved points as they
are, and groups them per worker once at its end (reviews.entry_log.WRITE_STAGED), instead of grouping each step's
moved rows per worker and concatenating the groups' arrays at the end (reviews/sql/entry_log.sql). Business
system 1's month on a seed-scale database (980,155 entries in 10 steps; rolled back, VACUUM before each run, four
interleaved pairs): 7.41 / 7.19 / 7.32 / 7.19 s before, 6.81 / 7.43 / 6.53 / 6.45 s after.

Backward, the trigger as reviews 0021 installed it (kept beside this migration, ``0022_entry_log_before.sql``).
A job's staging table lives within its transaction only, so no row is left in either form.
"""

from pathlib import Path

from django.db import migrations

from reviews.entry_log import ENTRY_LOG


class Migration(migrations.Migration):
    dependencies = [("reviews", "0021_partition_log_triggers")]

    operations = [ENTRY_LOG.reinstall_operation(before=Path(__file__).with_name("0022_entry_log_before.sql"))]
