"""The approval log (StandingApproval) kept in segments (StandingApprovalSegment) that a standings run consumes in
place, instead of deleting the rows it takes in and copying them into StandingApprovalCorrection: the rows
of that archive move into the log, in one consumed segment per (competition, run), and the log's live rows
into an open segment per competition. Backward, the consumed segments' rows go back into
StandingApprovalCorrection with their run, and the live ones stay in the log.
"""

from django.db import migrations, models

SEGMENT = "competitions_standingapprovalsegment"
LOG = "competitions_standingapproval"
ARCHIVE = "competitions_standingapprovalcorrection"

FORWARD = f"""
WITH live AS (
    INSERT INTO {SEGMENT} (competition_id, closed, run_id)
    SELECT DISTINCT competition_id, false, NULL::bigint FROM {LOG}
    RETURNING id, competition_id
)
UPDATE {LOG} a SET segment_id = live.id FROM live WHERE a.competition_id = live.competition_id;

WITH runs AS (
    INSERT INTO {SEGMENT} (competition_id, closed, run_id)
    SELECT DISTINCT competition_id, true, run_id FROM {ARCHIVE}
    RETURNING id, competition_id, run_id
)
INSERT INTO {LOG} (segment_id, competition_id, worker_id, work_date, first_date, last_date, approved_score, dates,
                   approved_scores, batch)
SELECT runs.id, c.competition_id, c.worker_id, c.last_date, c.first_date, c.last_date, c.approved_score, c.dates,
       c.approved_scores, 0
FROM {ARCHIVE} c JOIN runs ON runs.competition_id = c.competition_id AND runs.run_id = c.run_id
ORDER BY runs.id, c.id;
"""

BACKWARD = f"""
INSERT INTO {ARCHIVE} (competition_id, run_id, worker_id, first_date, last_date, approved_score, dates,
                       approved_scores)
SELECT a.competition_id, s.run_id, a.worker_id, a.first_date, a.last_date, a.approved_score, a.dates,
       a.approved_scores
FROM {LOG} a JOIN {SEGMENT} s ON s.id = a.segment_id
WHERE s.run_id IS NOT NULL
ORDER BY s.run_id, a.id;

DELETE FROM {LOG} a USING {SEGMENT} s WHERE s.id = a.segment_id AND s.run_id IS NOT NULL;
"""


class Migration(migrations.Migration):
    dependencies = [("competitions", "0022_job_error_params")]

    operations = [
        migrations.CreateModel(
            name="StandingApprovalSegment",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("competition_id", models.BigIntegerField()),
                ("closed", models.BooleanField(default=False)),
                ("run_id", models.BigIntegerField(blank=True, null=True)),
            ],
            options={
                "verbose_name": "审核变更日志段",
                "verbose_name_plural": "审核变更日志段",
                "indexes": [models.Index(fields=["competition_id", "run_id"], name="approvalsegment_run")],
                "constraints": [models.UniqueConstraint(condition=models.Q(("closed", False)),
                                                        fields=("competition_id",), name="approvalsegment_one_open")],
            },
        ),
        migrations.AddField(model_name="standingapproval", name="segment_id",
                            field=models.BigIntegerField(null=True)),
        migrations.RunSQL(FORWARD, BACKWARD),
        migrations.AlterField(model_name="standingapproval", name="segment_id", field=models.BigIntegerField()),
        migrations.AddIndex(model_name="standingapproval",
                            index=models.Index(fields=["segment_id", "work_date"], name="approval_segment_date")),
        migrations.DeleteModel(name="StandingApprovalCorrection"),
    ]
