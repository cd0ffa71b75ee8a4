"""Reinstalls the entries' log trigger: a step of a month's approval deletes its entries' queue rows by their
range alone when the range holds exactly the rows it moved (reviews/sql/entry_log.sql), instead of joining the
moved rows to them. Approving 740,010 entries took 6.02-6.18 s before and 5.63-5.69 s after (three interleaved
pairs, rolled back, on the same seed-scale database). Reversed, the trigger keeps the newer body, which behaves
the same.
"""

from django.db import migrations

from reviews.entry_log import ENTRY_LOG


class Migration(migrations.Migration):
    dependencies = [("reviews", "0018_pending_range")]

    operations = [ENTRY_LOG.reinstall_operation()]
