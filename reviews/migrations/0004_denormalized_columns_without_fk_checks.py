"""Cheaper inserts into reviews_workentry (issue 3: importing ≥ 20,000 entries a second).

Each foreign key on reviews_workentry queues one referential check per new row, run at commit (they are
deferred): measured at seed scale, about 75 ms per constraint for a 20,000-row import, whether the rows
point at one row or 20,000. The eight of them took 0.58 s of a one-second budget.

1. No database foreign keys on the entry's copied columns: ``competition``, ``unit``, ``job_type`` and
   ``business_system``.

   These columns are copies, not facts of their own. The entry services (``reviews.services``) write
   them only from the worker and rule rows that ``EntryChecker`` has just loaded for the same rows:
   ``unit`` is the worker's unit, ``job_type`` and ``business_system`` are the rule's, and
   ``competition`` is the rule's too (the checker accepts only rules of the competition entered for).
   So the referenced rows exist by construction. ``worker`` and ``rule``, which they are copied from,
   keep their database foreign keys (and ``adjusts``). The admin shows these columns read-only.
   Deleting a competition, unit, job type or business system that entries point at is still refused by
   Django (``on_delete=PROTECT``: the admin and every ORM delete); only raw SQL could now leave an entry
   pointing at nothing, and the worker's and rule's own keys still could not.
   ``tests/reviews/test_bulk_paths.py`` holds every write path to writing the worker's and rule's values.

2. No database foreign key on ``entered_by`` either, for the reason ``reviewed_by`` and the audit
   facts' ``actor`` have none (0003): only the entry services write it, always with the acting (signed
   in) user, and Django's PROTECT keeps that user from being deleted.

3. ``adjusts`` is indexed only where it is set (``entry_adjusts``, partial): it is empty on every
   regular entry, nearly all of them, and the full index took an entry for each (about 20 ms per
   20,000-row import). The lookups it serves (an entry's adjustments, PROTECT before a delete) are
   ``adjusts_id = …``, which the partial index answers.

Reversing recreates the constraints, validating every existing row (a while on a large table), and the
full index.

On SQLite (the embedded default) the field changes are state-only, as in 0003: altering a column there
rebuilds reviews_workentry and would drop its triggers; SQLite keeps the plain foreign keys and index,
which cost nothing at its scale.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from reviews.migrations._operations import AlterFieldExceptSQLite


class Migration(migrations.Migration):

    # Only the previous reviews migration: the referenced models exist since each app's 0001, which
    # 0003 depends on.
    dependencies = [
        ('reviews', '0003_pending_queue_hot_reviews'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        AlterFieldExceptSQLite(
            model_name='workentry',
            name='competition',
            field=models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='entries', to='competitions.competition', verbose_name='劳动竞赛'),
        ),
        AlterFieldExceptSQLite(
            model_name='workentry',
            name='business_system',
            field=models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='competitions.businesssystem', verbose_name='业务系统'),
        ),
        AlterFieldExceptSQLite(
            model_name='workentry',
            name='job_type',
            field=models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='competitions.jobtype', verbose_name='工种'),
        ),
        AlterFieldExceptSQLite(
            model_name='workentry',
            name='unit',
            field=models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='members.unit', verbose_name='单位'),
        ),
        AlterFieldExceptSQLite(
            model_name='workentry',
            name='adjusts',
            field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='adjustments', to='reviews.workentry', verbose_name='调整的录入'),
        ),
        AlterFieldExceptSQLite(
            model_name='workentry',
            name='entered_by',
            field=models.ForeignKey(db_constraint=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='entries_entered', to=settings.AUTH_USER_MODEL, verbose_name='录入人'),
        ),
        migrations.AddIndex(
            model_name='workentry',
            index=models.Index(condition=models.Q(('adjusts__isnull', False)), fields=['adjusts'], name='entry_adjusts'),
        ),
    ]
