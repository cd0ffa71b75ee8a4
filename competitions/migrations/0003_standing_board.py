# The leaderboards move out of competitions_standing into competitions_standingboard, whose per-scope
# indexes a run builds in bulk for each (competition, day) (see StandingBoard). competitions_standing
# keeps the history a worker reads and only its unique (competition, day, worker) index.
#
# On PostgreSQL the board is partitioned by RANGE (competition_id, day), one partition per day, named
# competitions_standingboard_<competition>_<yyyymmdd>_<suffix> (competitions.standings relies on the
# prefix to find a day's partition). The partitions' indexes leave out the constant (competition, day).
# Existing days get their partitions from the history rows here. On SQLite the board is an ordinary table.

from datetime import timedelta

from django.db import migrations, models

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
    rank_overall integer NOT NULL,
    rank_business_system integer NOT NULL,
    rank_job_type integer NOT NULL,
    rank_unit integer NULL,
    change_overall integer NULL,
    change_business_system integer NULL,
    change_job_type integer NULL,
    change_unit integer NULL
"""
NAMES = ("competition_id, day, worker_id, employee_no, business_system_id, job_type_id, depot_id, points, "
         "approved_points, rank_overall, rank_business_system, rank_job_type, rank_unit, change_overall, "
         "change_business_system, change_job_type, change_unit")
SCOPE_INDEXES = {
    "overall": "rank_overall, employee_no",
    "business_system": "business_system_id, rank_business_system, employee_no",
    "job_type": "job_type_id, rank_job_type, employee_no",
    "unit": "depot_id, rank_unit, employee_no",
}


def create_board(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        # No primary key: it would be one more index to build per day, and it guards nothing the history's
        # unique (competition, day, worker) does not: both tables are written from the same ranked rows.
        schema_editor.execute(f"CREATE TABLE {BOARD} ({COLUMNS}) PARTITION BY RANGE (competition_id, day)")
        for scope, columns in SCOPE_INDEXES.items():
            schema_editor.execute(f"CREATE INDEX standingboard_{scope} ON {BOARD} ({columns})")
        # A run inserts a day's ~223k history rows: let each session take ids 1,000 at a time instead of
        # locking the sequence for every row (about a quarter of the insert's time at seed scale).
        schema_editor.execute("ALTER TABLE competitions_standing ALTER COLUMN id SET CACHE 1000")
        with schema_editor.connection.cursor() as cursor:
            cursor.execute("SELECT DISTINCT competition_id, day FROM competitions_standing ORDER BY 1, 2")
            days = cursor.fetchall()
        for competition_id, day in days:
            name = f"{BOARD}_{int(competition_id)}_{day:%Y%m%d}_0"
            schema_editor.execute(f"CREATE TABLE {name} (LIKE {BOARD})")
            schema_editor.execute(
                f"INSERT INTO {name} ({NAMES}) SELECT {NAMES} FROM competitions_standing "
                f"WHERE competition_id = %s AND day = %s ORDER BY rank_overall, employee_no", [competition_id, day])
            for columns in SCOPE_INDEXES.values():
                schema_editor.execute(f"CREATE INDEX ON {name} ({columns})")
            schema_editor.execute(
                f"ALTER TABLE {BOARD} ATTACH PARTITION {name} FOR VALUES FROM ({int(competition_id)}, "
                f"'{day.isoformat()}') TO ({int(competition_id)}, '{(day + timedelta(days=1)).isoformat()}')")
    elif vendor == "sqlite":
        columns = COLUMNS.replace("numeric(18, 3)", "decimal")
        schema_editor.execute(f"CREATE TABLE {BOARD} ({columns}, PRIMARY KEY (competition_id, day, worker_id))")
        for scope, columns in SCOPE_INDEXES.items():
            schema_editor.execute(f"CREATE INDEX standingboard_{scope} ON {BOARD} (competition_id, day, {columns})")
        schema_editor.execute(f"INSERT INTO {BOARD} ({NAMES}) SELECT {NAMES} FROM competitions_standing")


def drop_board(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor in ("postgresql", "sqlite"):
        # On PostgreSQL this drops the partitions with it.
        schema_editor.execute(f"DROP TABLE IF EXISTS {BOARD}")
    if vendor == "postgresql":
        schema_editor.execute("ALTER TABLE competitions_standing ALTER COLUMN id SET CACHE 1")


class Migration(migrations.Migration):

    dependencies = [
        ('competitions', '0002_standings'),
    ]

    operations = [
        migrations.CreateModel(
            name='StandingBoard',
            fields=[
                ('pk', models.CompositePrimaryKey('competition', 'day', 'worker', blank=True, editable=False, primary_key=True, serialize=False)),
                ('day', models.DateField(verbose_name='排名日期')),
                ('employee_no', models.CharField(max_length=20, verbose_name='工号')),
                ('points', models.DecimalField(decimal_places=3, max_digits=18, verbose_name='累计积分')),
                ('approved_points', models.DecimalField(decimal_places=3, max_digits=18, verbose_name='已审核积分')),
                ('rank_overall', models.IntegerField(verbose_name='总排名')),
                ('rank_business_system', models.IntegerField(verbose_name='业务系统排名')),
                ('rank_job_type', models.IntegerField(verbose_name='工种排名')),
                ('rank_unit', models.IntegerField(null=True, verbose_name='站段排名')),
                ('change_overall', models.IntegerField(null=True, verbose_name='总排名变化')),
                ('change_business_system', models.IntegerField(null=True, verbose_name='业务系统排名变化')),
                ('change_job_type', models.IntegerField(null=True, verbose_name='工种排名变化')),
                ('change_unit', models.IntegerField(null=True, verbose_name='站段排名变化')),
            ],
            options={
                'verbose_name': '排行榜',
                'verbose_name_plural': '排行榜',
                'db_table': 'competitions_standingboard',
                'managed': False,
            },
        ),
        migrations.RemoveIndex(
            model_name='standing',
            name='standing_overall',
        ),
        migrations.RemoveIndex(
            model_name='standing',
            name='standing_business_system',
        ),
        migrations.RemoveIndex(
            model_name='standing',
            name='standing_job_type',
        ),
        migrations.RemoveIndex(
            model_name='standing',
            name='standing_unit',
        ),
        migrations.RunPython(create_board, drop_board),
    ]
