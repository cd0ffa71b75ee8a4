"""Reinstalls the entries' log trigger: an approval's rows for the approval log are grouped per competition, its
open segment and latest stored standings day read once into variables, instead of joining every moved row to
them (reviews/sql/entry_log.sql). Approving 740,010 entries took 4.98-5.40 s before and 4.69-4.86 s after (three
interleaved pairs, rolled back, on the same seed-scale database). Reversed, the trigger keeps the newer body,
which behaves the same.
"""

from django.db import migrations

from reviews.entry_log import ENTRY_LOG


class Migration(migrations.Migration):
    dependencies = [("reviews", "0019_queue_rows_deleted_by_range")]

    operations = [ENTRY_LOG.reinstall_operation()]
