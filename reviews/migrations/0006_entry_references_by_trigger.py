import django.db.models.deletion
from django.db import migrations, models

from reviews.entry_references import ENTRY_REFERENCES


class Migration(migrations.Migration):
    """Entries' workers and rules: the foreign keys from reviews_workentry replaced by the guard on the
    referenced tables (reviews/sql/entry_references.sql), installed first so that no moment is without
    either."""

    dependencies = [
        ("competitions", "0015_job_heartbeat"),
        ("members", "0005_notifications"),
        ("reviews", "0005_workentry_changed_by"),
    ]

    operations = [
        ENTRY_REFERENCES.migration_operation(),
        migrations.AlterField(
            model_name="workentry",
            name="rule",
            field=models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.PROTECT, related_name="entries", to="competitions.scoringrule", verbose_name="计分规则"),
        ),
        migrations.AlterField(
            model_name="workentry",
            name="worker",
            field=models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.PROTECT, related_name="entries", to="members.worker", verbose_name="职工"),
        ),
    ]
