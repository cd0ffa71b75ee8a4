"""Two costs of a month's approval, per step of its job (reviews.jobs.entries_approve_in_steps):

- The entries' log trigger reads the moved rows' competitions from the statement's new rows once, into an array,
  instead of once for each of the three statements that need them (the log's lock, the open segment, the latest
  stored day); and it deletes the approved entries' queue rows within the range of their ids, which PostgreSQL
  reads once and hashes for a step of a month (about 55 ms against 95 ms for the 74,000 probes it made before)
  and still probes for a few scattered entries. Same behaviour, so the reverse leaves the newer body in place.
- A batch audit fact's ids (EntryBatchEvent.entry_ids, 1,000 ids, 8 kB) are stored out of line without
  compression (STORAGE EXTERNAL): PostgreSQL's default compression (pglz) took about 45 ms of each step for half
  the size. The embedded PostgreSQL of the demo is built without lz4, so no faster compression is left to
  choose. Rows written before keep their compression; readers see no difference.
"""

from django.db import migrations

from reviews.entry_log import ENTRY_LOG


class Migration(migrations.Migration):
    dependencies = [("reviews", "0015_approval_log_in_segments")]

    operations = [
        ENTRY_LOG.reinstall_operation(),
        migrations.RunSQL("ALTER TABLE reviews_entrybatchevent ALTER COLUMN entry_ids SET STORAGE EXTERNAL",
                          "ALTER TABLE reviews_entrybatchevent ALTER COLUMN entry_ids SET STORAGE EXTENDED"),
    ]
