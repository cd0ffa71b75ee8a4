from django.conf import settings
from django.db import migrations, models

# Open disputes sent twice at once before this constraint existed: the earliest stays open, each later copy is
# answered as a duplicate of it (a closed dispute must have a response: dispute_closed_has_response).
ANSWER_DUPLICATES = """
UPDATE reviews_dispute d
   SET status = 'answered', responded_at = now(),
       response = '重复提交，与申诉 ' || first.id || ' 一并处理。'
  FROM (SELECT DISTINCT ON (worker_id, work_date, entry_id) id, worker_id, work_date, entry_id
          FROM reviews_dispute WHERE status = 'open'
         ORDER BY worker_id, work_date, entry_id, id) first
 WHERE d.status = 'open' AND d.id <> first.id AND d.worker_id = first.worker_id
   AND d.work_date = first.work_date AND d.entry_id IS NOT DISTINCT FROM first.entry_id
"""


class Migration(migrations.Migration):

    dependencies = [
        ('members', '0005_notifications'),
        ('reviews', '0009_approvals_logged_per_worker'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunSQL(ANSWER_DUPLICATES, migrations.RunSQL.noop),
        migrations.AddConstraint(
            model_name='dispute',
            constraint=models.UniqueConstraint(condition=models.Q(('status', 'open')), fields=('worker', 'work_date', 'entry'), name='dispute_one_open', nulls_distinct=False, violation_error_message='该申诉已提交，正在处理中。'),
        ),
    ]
