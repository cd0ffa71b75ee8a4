# The running totals move from StandingTotal (one row per competition, worker, rule) into the standings
# rows themselves (Standing.entries next to the points): an incremental run adds the change log to the
# base day's rows. Per-rule totals are read from a worker's entries (competitions.standings).
#
# Existing standings rows have no entry counts, so no run may use them as a base: every competition's
# next run is a full one (totals_day cleared). The same holds backwards, where StandingTotal comes back
# empty.

from django.db import migrations, models


def next_run_is_full(apps, schema_editor):
    apps.get_model("competitions", "StandingRun").objects.filter(totals_day__isnull=False).update(totals_day=None)


class Migration(migrations.Migration):

    dependencies = [
        ('competitions', '0005_standingdelta_no_index'),
    ]

    operations = [
        migrations.RunPython(next_run_is_full, next_run_is_full, elidable=True),
        migrations.AddField(
            model_name='standing',
            name='entries',
            field=models.PositiveIntegerField(default=0, verbose_name='计入录入数'),
        ),
        migrations.DeleteModel(
            name='StandingTotal',
        ),
    ]
