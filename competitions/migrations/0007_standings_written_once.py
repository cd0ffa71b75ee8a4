# Each standings day is written once: competitions_standing becomes the table competitions_standingboard
# was, with every column of the history (see Standing), and the board goes.
#
# On PostgreSQL competitions_standing is partitioned by RANGE (competition_id, day), one partition per day,
# named competitions_standing_<competition>_<yyyymmdd>_<suffix> (competitions.standings relies on the prefix
# to find a day's partition). The partitions' indexes leave out the constant (competition, day): the worker,
# and one per scope. Existing days get their partitions from the history rows here. On SQLite it is an
# ordinary table with the primary key (competition, day, worker) and the scope indexes.
#
# StandingDay lists the published days (the read paths' "latest day" and a run's "previous day"), filled
# here from the existing rows.
#
# Backwards, the history table comes back with its id and unique (competition, day, worker), and the board
# is built from it as migration 0003 builds it.

import importlib
from datetime import timedelta

import django.db.models.deletion
from django.db import migrations, models

STANDING = "competitions_standing"
OLD = "competitions_standing_0006"
BOARD = "competitions_standingboard"

COLUMNS = """
    competition_id bigint NOT NULL,
    day date NOT NULL,
    worker_id bigint NOT NULL,
    employee_no varchar(20) NOT NULL,
    business_system_id bigint NOT NULL,
    job_type_id bigint NOT NULL,
    depot_id bigint NULL,
    points numeric(18, 3) NOT NULL,
    approved_points numeric(18, 3) NOT NULL,
    pending_points numeric(18, 3) NOT NULL,
    entries integer NOT NULL,
    rank_overall integer NOT NULL,
    rank_business_system integer NOT NULL,
    rank_job_type integer NOT NULL,
    rank_unit integer NULL,
    change_overall integer NULL,
    change_business_system integer NULL,
    change_job_type integer NULL,
    change_unit integer NULL,
    points_to_next numeric(18, 3) NOT NULL,
    computed_at timestamp with time zone NOT NULL
"""
NAMES = ("competition_id, day, worker_id, employee_no, business_system_id, job_type_id, depot_id, points, "
         "approved_points, pending_points, entries, rank_overall, rank_business_system, rank_job_type, rank_unit, "
         "change_overall, change_business_system, change_job_type, change_unit, points_to_next, computed_at")
INDEXES = {
    "worker": "worker_id",
    "overall": "rank_overall, employee_no",
    "business_system": "business_system_id, rank_business_system, employee_no",
    "job_type": "job_type_id, rank_job_type, employee_no",
    "unit": "depot_id, rank_unit, employee_no",
}


def write_once(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor not in ("postgresql", "sqlite"):
        return
    schema_editor.execute(f"ALTER TABLE {STANDING} RENAME TO {OLD}")
    if vendor == "postgresql":
        schema_editor.execute(f"CREATE TABLE {STANDING} ({COLUMNS}) PARTITION BY RANGE (competition_id, day)")
        for scope, columns in INDEXES.items():
            schema_editor.execute(f"CREATE INDEX standing_{scope} ON {STANDING} ({columns})")
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(f"SELECT DISTINCT competition_id, day FROM {OLD} ORDER BY 1, 2")
            days = cursor.fetchall()
        for competition_id, day in days:
            name = f"{STANDING}_{int(competition_id)}_{day:%Y%m%d}_0"
            schema_editor.execute(f"CREATE TABLE {name} (LIKE {STANDING})")
            schema_editor.execute(
                f"INSERT INTO {name} ({NAMES}) SELECT {NAMES} FROM {OLD} "
                f"WHERE competition_id = %s AND day = %s ORDER BY rank_overall, employee_no", [competition_id, day])
            for columns in INDEXES.values():
                schema_editor.execute(f"CREATE INDEX ON {name} ({columns})")
            schema_editor.execute(
                f"ALTER TABLE {STANDING} ATTACH PARTITION {name} FOR VALUES FROM ({int(competition_id)}, "
                f"'{day.isoformat()}') TO ({int(competition_id)}, '{(day + timedelta(days=1)).isoformat()}')")
    else:
        columns = COLUMNS.replace("numeric(18, 3)", "decimal").replace("timestamp with time zone", "datetime")
        schema_editor.execute(f"CREATE TABLE {STANDING} ({columns}, PRIMARY KEY (competition_id, day, worker_id))")
        for scope, columns in INDEXES.items():
            if scope != "worker":  # the primary key serves it
                schema_editor.execute(f"CREATE INDEX standing_{scope} ON {STANDING} (competition_id, day, {columns})")
        schema_editor.execute(f"INSERT INTO {STANDING} ({NAMES}) SELECT {NAMES} FROM {OLD}")
    schema_editor.execute(f"DROP TABLE {OLD}")
    schema_editor.execute(f"DROP TABLE {BOARD}")  # on PostgreSQL with its partitions


def two_copies(apps, schema_editor):
    """Backwards: the history table as migration 0006 left it, and the board built from it."""
    vendor = schema_editor.connection.vendor
    if vendor not in ("postgresql", "sqlite"):
        return
    schema_editor.execute(f"ALTER TABLE {STANDING} RENAME TO {OLD}")
    schema_editor.create_model(apps.get_model("competitions", "Standing"))  # the model as of 0006
    schema_editor.execute(f"INSERT INTO {STANDING} ({NAMES}) SELECT {NAMES} FROM {OLD} "
                          "ORDER BY competition_id, day, worker_id")
    schema_editor.execute(f"DROP TABLE {OLD}")  # on PostgreSQL with its partitions
    importlib.import_module("competitions.migrations.0003_standing_board").create_board(apps, schema_editor)


def list_days(apps, schema_editor):
    Standing = apps.get_model("competitions", "Standing")
    StandingDay = apps.get_model("competitions", "StandingDay")
    days = (Standing.objects.values("competition_id", "day")
            .annotate(rows=models.Count("*"), computed_at=models.Max("computed_at")).order_by())
    StandingDay.objects.bulk_create(StandingDay(**day) for day in days)


class Migration(migrations.Migration):

    dependencies = [
        ('competitions', '0006_standings_carry_totals'),
    ]

    operations = [
        migrations.CreateModel(
            name='StandingDay',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('day', models.DateField(verbose_name='排名日期')),
                ('rows', models.PositiveIntegerField(verbose_name='排名行数')),
                ('computed_at', models.DateTimeField(verbose_name='计算时间')),
                ('competition', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='standing_days', to='competitions.competition', verbose_name='劳动竞赛')),
            ],
            options={
                'verbose_name': '排名日',
                'verbose_name_plural': '排名日',
                'constraints': [models.UniqueConstraint(fields=('competition', 'day'), name='standingday_one_per_day')],
            },
        ),
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunPython(write_once, two_copies)],
            state_operations=[
                migrations.DeleteModel(name='StandingBoard'),
                migrations.DeleteModel(name='Standing'),
                migrations.CreateModel(
                    name='Standing',
                    fields=[
                        ('pk', models.CompositePrimaryKey('competition', 'day', 'worker', blank=True, editable=False, primary_key=True, serialize=False)),
                        ('competition', models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='competitions.competition', verbose_name='劳动竞赛')),
                        ('day', models.DateField(verbose_name='排名日期')),
                        ('worker', models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='members.worker', verbose_name='职工')),
                        ('employee_no', models.CharField(max_length=20, verbose_name='工号')),
                        ('business_system', models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='competitions.businesssystem', verbose_name='业务系统')),
                        ('job_type', models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='competitions.jobtype', verbose_name='工种')),
                        ('depot', models.ForeignKey(db_constraint=False, db_index=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='members.unit', verbose_name='站段')),
                        ('points', models.DecimalField(decimal_places=3, max_digits=18, verbose_name='累计积分')),
                        ('approved_points', models.DecimalField(decimal_places=3, max_digits=18, verbose_name='已审核积分')),
                        ('pending_points', models.DecimalField(decimal_places=3, max_digits=18, verbose_name='待审核积分')),
                        ('entries', models.IntegerField(verbose_name='计入录入数')),
                        ('rank_overall', models.IntegerField(verbose_name='总排名')),
                        ('rank_business_system', models.IntegerField(verbose_name='业务系统排名')),
                        ('rank_job_type', models.IntegerField(verbose_name='工种排名')),
                        ('rank_unit', models.IntegerField(null=True, verbose_name='站段排名')),
                        ('change_overall', models.IntegerField(null=True, verbose_name='总排名变化')),
                        ('change_business_system', models.IntegerField(null=True, verbose_name='业务系统排名变化')),
                        ('change_job_type', models.IntegerField(null=True, verbose_name='工种排名变化')),
                        ('change_unit', models.IntegerField(null=True, verbose_name='站段排名变化')),
                        ('points_to_next', models.DecimalField(decimal_places=3, max_digits=18, verbose_name='距上一名差分')),
                        ('computed_at', models.DateTimeField(verbose_name='计算时间')),
                    ],
                    options={
                        'verbose_name': '每日排名',
                        'verbose_name_plural': '每日排名',
                        'db_table': 'competitions_standing',
                        'managed': False,
                    },
                ),
            ],
        ),
        migrations.RunPython(list_days, migrations.RunPython.noop),
    ]
