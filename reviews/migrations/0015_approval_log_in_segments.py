"""The entries' log trigger writes the approval log's rows into the competition's open segment
(competitions.StandingApprovalSegment), under the log's lock held shared (competitions 0023).

Backward, the trigger's body before this migration (kept beside it, ``0015_entry_log_before.sql``) is
installed again; the competitions migration reversed after this one drops the segments.
"""

from pathlib import Path

from django.db import migrations

from reviews.entry_log import ENTRY_LOG


class Migration(migrations.Migration):
    dependencies = [("reviews", "0014_entry_batch_events"), ("competitions", "0023_approval_log_in_segments")]

    operations = [ENTRY_LOG.reinstall_operation(before=Path(__file__).with_name("0015_entry_log_before.sql"))]
