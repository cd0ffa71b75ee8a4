"""The entries' log trigger writes moves between pending and approved to the approval log
(competitions.StandingApproval), one row per worker, instead of one standings change per entry.

Backward, the trigger's body before this migration (kept beside it, ``0009_entry_log_before.sql``) is
installed again: it logs such moves entry by entry in StandingDelta, and the approval log it no longer
writes is dropped by the competitions migration reversed after this one. Rows still in the approval log
then are lost to the standings until their next full run, which sums the entries.
"""

from pathlib import Path

from django.db import migrations

from reviews.entry_log import ENTRY_LOG


class Migration(migrations.Migration):
    dependencies = [("reviews", "0008_locked_is_the_months_state"), ("competitions", "0017_approval_log")]

    operations = [ENTRY_LOG.reinstall_operation(before=Path(__file__).with_name("0009_entry_log_before.sql"))]
