
from django.db import migrations, models

# The months signed off before their totals were frozen get theirs now, set-based: a run that finds a
# month signed off reads its frozen totals, so none may be missing. Counted (not rejected) entries only.
BACKFILL = """
INSERT INTO competitions_signedofftotal (competition_id, business_system_id, month, worker_id, rule_id, quantity,
                                         points, approved_points, entries)
SELECT p.competition_id, p.business_system_id, p.month, e.worker_id, e.rule_id, SUM(e.quantity), SUM(e.points),
       COALESCE(SUM(e.points) FILTER (WHERE e.status IN ('approved', 'locked')), 0), COUNT(*)
FROM reviews_reviewperiod p
JOIN reviews_workentry e
  ON e.competition_id = p.competition_id AND e.business_system_id = p.business_system_id
 AND e.work_date >= p.month AND e.work_date < p.month + interval '1 month' AND e.status <> 'rejected'
WHERE p.status = 'signed_off'
GROUP BY p.competition_id, p.business_system_id, p.month, e.worker_id, e.rule_id
"""


class Migration(migrations.Migration):

    dependencies = [
        ('competitions', '0012_dashboard_figures'),
        ('reviews', '0004_entryevent_status_labels'),
    ]

    operations = [
        migrations.CreateModel(
            name='SignedOffTotal',
            fields=[
                ('pk', models.CompositePrimaryKey('competition_id', 'business_system_id', 'month', 'worker_id', 'rule_id', blank=True, editable=False, primary_key=True, serialize=False)),
                ('competition_id', models.BigIntegerField()),
                ('business_system_id', models.BigIntegerField()),
                ('month', models.DateField()),
                ('worker_id', models.BigIntegerField()),
                ('rule_id', models.BigIntegerField()),
                ('quantity', models.DecimalField(decimal_places=3, max_digits=18)),
                ('points', models.DecimalField(decimal_places=3, max_digits=18)),
                ('approved_points', models.DecimalField(decimal_places=3, max_digits=18)),
                ('entries', models.IntegerField()),
            ],
            options={
                'verbose_name': '签发月份合计',
                'verbose_name_plural': '签发月份合计',
            },
        ),
        migrations.RunSQL(BACKFILL, reverse_sql=migrations.RunSQL.noop),
    ]
