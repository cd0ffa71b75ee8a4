import os
import shutil
import subprocess
import sys
import tempfile
from datetime import date, timedelta
from decimal import Decimal
from io import StringIO
from pathlib import Path

import psycopg
import pytest
from django.core.management import CommandError, call_command
from django.db.models import Count, F, Q
from django.urls import reverse

from competitions.demo import catalog
from competitions.models import (
    BusinessSystem,
    Competition,
    CompetitionStatus,
    DashboardFigures,
    JobType,
    Organizer,
    ScoringRule,
    SignedOffTotal,
    StandingDay,
    StandingDelta,
    StandingRun,
)
from competitions.standings.partitions import partitions
from config import embedded_db
from config.bulk_load import index_definitions, model_index_names
from members.models import Unit, UnitLevel, User, Worker
from members.validators import validate_id_number, validate_mobile
from reviews.models import EntryEvent, EntryFlag, EntryStatus, PeriodEvent, PeriodStatus, ReviewPeriod, WorkEntry

TODAY = date(2026, 11, 24)
# 40 days ending yesterday: 2026-10-15 … 2026-11-23, so one whole past month (locked) and the current one.
SMALL = ["--workers", "150", "--days", "40", "--seed", "7", "--today", TODAY.isoformat()]

PROJECT = Path(__file__).resolve().parents[2]


def seed(*args):
    out = StringIO()
    call_command("seed_demo", *SMALL, *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def seeded(db):
    return seed()


def test_seed_creates_nine_business_systems_and_94_distinct_job_types_each_with_a_versioned_rule(seeded):
    assert list(BusinessSystem.objects.values_list("name", flat=True)) == [
        "车务", "客运", "货运", "机务", "车辆", "工务", "电务", "供电", "房建"]
    names = list(JobType.objects.values_list("name", flat=True))
    assert len(names) == 94 and len(set(names)) == 94
    assert {"电力机车司机", "线路工", "售票员", "车站值班员", "列车长", "探伤工"} <= set(names)
    competition = Competition.objects.get()
    assert competition.status == CompetitionStatus.ACTIVE
    organizers = set(competition.organizers.values_list("name", flat=True))
    assert organizers == {"北京市总工会", "天津市总工会", "河北省总工会"}
    assert competition.start_date == date(2026, 10, 15)
    per_job = JobType.objects.annotate(n=Count("rules")).values_list("n", flat=True)
    assert min(per_job) >= 1 and max(per_job) <= 3
    assert not ScoringRule.objects.filter(versions__isnull=True).exists()
    assert not ScoringRule.objects.exclude(versions__effective_from=competition.start_date).exists()
    driver = ScoringRule.objects.get(job_type__name="电力机车司机", metric="安全走行公里")
    assert driver.unit_of_measure == "公里" and driver.direction == 1
    assert ScoringRule.objects.filter(direction=-1, metric="安全违章").exists()


def test_seeded_workers_have_valid_personal_data_and_fit_their_depot(seeded):
    workers = list(Worker.objects.select_related("unit__depot", "job_type__business_system"))
    assert len(workers) == 150
    for w in workers:
        validate_id_number(w.id_number)
        validate_mobile(w.mobile)
        assert 1966 <= int(w.id_number[6:10]) <= 2004
        assert w.unit.level == UnitLevel.TEAM
        # A depot's code carries its business system (BJ-JW01 is a 机务 depot): its workers' job types fit it.
        assert w.unit.depot.code.split("-")[1][:2] == w.job_type.business_system.code
        if w.membership_status == "member":
            assert w.member_card_no and w.joined_on
    assert len({w.id_number for w in workers}) == len(workers)
    assert len({w.name for w in workers}) > 100  # varied, not 职工1, 职工2 …
    assert Unit.objects.filter(level=UnitLevel.BUREAU).count() == 3
    assert Unit.objects.filter(level=UnitLevel.DEPOT, name="北京机务段").exists()


def test_every_entry_earns_quantity_times_the_rate_in_force_times_direction(seeded):
    entries = WorkEntry.objects.select_related("rule__job_type", "worker", "job_type")
    versions = {}
    for e in entries:
        key = (e.rule_id, e.work_date)
        if key not in versions:
            versions[key] = e.rule.version_on(e.work_date)
        version = versions[key]
        assert e.points == version.points_for(e.quantity, e.rule.direction)
        assert version.daily_cap is None or e.quantity <= version.daily_cap
        assert (e.unit_id, e.job_type_id) == (e.worker.unit_id, e.worker.job_type_id)
        assert e.business_system_id == e.rule.job_type.business_system_id == e.job_type.business_system_id
        assert e.source == "seed" and e.entered_by_id is not None
    # A raised rate (second version) applies from its day on only.
    raised = ScoringRule.objects.get(job_type__name="探伤工", metric="钢轨探伤")
    old, new = raised.versions.order_by("effective_from")
    assert new.effective_from == date(2026, 11, 1) and new.points_per_unit > old.points_per_unit


def test_each_worker_has_one_main_entry_a_day_and_deductions_are_negative(seeded):
    main_rules = [r.pk for r in ScoringRule.objects.filter(direction=1)
                  if r.metric == catalog_main_metric(r.job_type.name)]
    per_day = WorkEntry.objects.filter(rule_id__in=main_rules).values("worker", "work_date").annotate(n=Count("id"))
    assert per_day.count() == 150 * 40
    assert {row["n"] for row in per_day} == {1}
    assert not WorkEntry.objects.filter(rule__direction=-1, points__gte=0).exists()
    assert not WorkEntry.objects.filter(rule__direction=1, points__lt=0).exists()


def catalog_main_metric(job_name):
    return next(j.metrics[0].metric for s in catalog.SYSTEMS for j in s.job_types if j.name == job_name)


def test_past_months_are_locked_and_signed_off_and_the_current_month_is_under_review(seeded):
    october = WorkEntry.objects.filter(work_date__lt=date(2026, 11, 1))
    november = WorkEntry.objects.filter(work_date__gte=date(2026, 11, 1))
    assert set(october.values_list("status", flat=True)) == {EntryStatus.APPROVED}
    assert october.in_shown_status([EntryStatus.LOCKED]).count() == october.count()
    statuses = dict(november.values_list("status").annotate(n=Count("id")))
    assert statuses[EntryStatus.PENDING] > 0 and statuses[EntryStatus.APPROVED] > 0
    assert not november.in_shown_status([EntryStatus.LOCKED]).exists()
    assert not november.filter(work_date__gte=date(2026, 11, 22)).exclude(status=EntryStatus.PENDING).exists()
    signed = ReviewPeriod.objects.filter(status=PeriodStatus.SIGNED_OFF)
    assert signed.count() == 9 and set(signed.values_list("month", flat=True)) == {date(2026, 10, 1)}
    assert not signed.filter(signed_off_by__isnull=True).exists()
    for period in signed:
        event = PeriodEvent.objects.get(period=period)
        assert event.entries == october.filter(business_system=period.business_system).count()
    assert ReviewPeriod.objects.filter(status=PeriodStatus.OPEN, month=date(2026, 11, 1)).count() == 9
    rejected = WorkEntry.objects.filter(status=EntryStatus.REJECTED)
    assert not rejected.filter(reject_reason="").exists()
    assert EntryEvent.objects.filter(action="rejected").count() == rejected.count()
    assert not WorkEntry.objects.filter(status__in=["approved", "locked"], reviewed_by__isnull=True).exists()


def snapshot():
    workers = list(Worker.objects.order_by("employee_no").values_list("employee_no", "name", "id_number", "mobile"))
    entries = list(WorkEntry.objects.order_by("worker__employee_no", "rule__metric", "work_date").values_list(
        "worker__employee_no", "rule__metric", "work_date", "quantity", "points", "status"))
    return workers, entries


def test_the_same_seed_gives_the_same_data_and_another_seed_does_not(seeded):
    first = snapshot()
    seed("--reset")
    assert snapshot() == first
    out = StringIO()
    call_command("seed_demo", "--reset", *SMALL[:-4], "--seed", "8", "--today", TODAY.isoformat(), stdout=out)
    assert snapshot()[0] != first[0]


def test_if_empty_leaves_existing_data_alone_and_prints_the_accounts(seeded):
    before = (Worker.objects.count(), WorkEntry.objects.count(), User.objects.count())
    out = StringIO()
    call_command("seed_demo", "--if-empty", stdout=out)
    assert (Worker.objects.count(), WorkEntry.objects.count(), User.objects.count()) == before
    text = out.getvalue()
    assert "未做改动" in text
    for account in (catalog.ADMIN, catalog.CLERK, catalog.REVIEWER):
        assert account.username in text and account.password in text


def test_seeding_over_existing_data_without_reset_is_refused(seeded):
    with pytest.raises(CommandError, match="已有数据"):
        seed()


def test_reset_refuses_to_wipe_entries_that_did_not_come_from_the_seed(seeded):
    WorkEntry.objects.filter(pk=WorkEntry.objects.first().pk).update(source="form")
    with pytest.raises(CommandError, match="拒绝清空"):
        seed("--reset")


def test_demo_accounts_exist_for_every_role_with_their_printed_passwords(seeded):
    admin = User.objects.get(username=catalog.ADMIN.username)
    assert admin.is_staff and admin.is_superuser and admin.check_password(catalog.ADMIN.password)
    clerk = User.objects.get(username=catalog.CLERK.username)
    assert clerk.check_password(catalog.CLERK.password) and not clerk.is_staff
    (depot,) = clerk.clerk_units.all()
    assert depot.name == "北京机务段" and depot.level == UnitLevel.DEPOT
    reviewer = User.objects.get(username=catalog.REVIEWER.username)
    assert reviewer.check_password(catalog.REVIEWER.password)
    assert list(reviewer.reviewer_systems.values_list("name", flat=True)) == ["机务"]
    demo_workers = Worker.objects.filter(user__isnull=False).select_related("user", "unit")
    assert demo_workers.count() == 2
    for w in demo_workers:
        assert w.user.username == w.employee_no and w.user.check_password(catalog.WORKER_PASSWORD)
        assert w.unit.depot_id == depot.pk and w.job_type.business_system.name == "机务"
        assert w in Worker.objects.visible_to(clerk) and w in Worker.objects.visible_to(reviewer)
    assert not User.objects.filter(username__in=["admin", "clerk", "reviewer"], must_change_password=True).exists()
    assert WorkEntry.objects.visible_to(clerk).exists() and WorkEntry.objects.reviewable_by(reviewer).exists()
    assert set(WorkEntry.objects.filter(unit__depot=depot).values_list("entered_by", flat=True)) == {clerk.pk}
    for account in (catalog.ADMIN, catalog.CLERK, catalog.REVIEWER):
        assert account.password in seeded
    # Separation of duties: the demo's work is entered by clerks and reviewed by reviewers, never by the admin
    # (who holds no grant and may do neither) and never by the account that entered it.
    assert WorkEntry.objects.editable_by(admin).count() == WorkEntry.objects.reviewable_by(admin).count() == 0
    assert WorkEntry.objects.visible_to(admin).count() == WorkEntry.objects.count()
    assert not WorkEntry.objects.filter(Q(entered_by=admin) | Q(reviewed_by=admin)).exists()
    assert not WorkEntry.objects.filter(reviewed_by=F("entered_by")).exists()
    assert WorkEntry.objects.editable_by(clerk).exists() and WorkEntry.objects.reviewable_by(reviewer).exists()


def test_a_bulk_load_that_rebuilds_the_indexes_restores_them_exactly(db):
    before = index_definitions(WorkEntry._meta.db_table)
    assert model_index_names(WorkEntry) <= set(before)
    assert "entry_one_per_worker_rule_day" in before and "entry_system_day" in before
    seed("--index-mode", "rebuild")
    assert index_definitions(WorkEntry._meta.db_table) == before
    assert WorkEntry.objects.count() > 150 * 40


def test_a_bulk_load_refuses_a_table_that_has_drifted_from_its_model(db):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("DROP INDEX entry_system_day")
    with pytest.raises(RuntimeError, match="entry_system_day"):
        seed("--index-mode", "rebuild")


def test_every_demo_day_gets_its_standings_and_a_second_if_empty_run_leaves_them_alone(seeded):
    """What `.ci/demo` does: seed (standings for every day, so a worker's page has a trend), then
    seed again with --if-empty."""
    days = dict(StandingDay.objects.values_list("day", "rows"))
    assert sorted(days) == [date(2026, 10, 15) + timedelta(days=i) for i in range(40)]
    assert set(days.values()) == {150}
    runs = StandingRun.objects.count()
    out = StringIO()
    call_command("seed_demo", "--if-empty", stdout=out)
    assert "未做改动" in out.getvalue() and catalog.ADMIN.password in out.getvalue()
    assert StandingRun.objects.count() == runs


def test_the_demo_dashboard_has_its_figures_at_once_though_the_demo_runs_no_beat(seeded, client):
    # given the demo as .ci/demo builds it (no Celery beat to refresh the dashboard every 10 minutes)
    assert "已生成数据看板的统计" in seeded
    # when union staff open the dashboard
    client.force_login(User.objects.get(username=catalog.ADMIN.username))
    page = client.get(reverse("dashboard")).content.decode()
    # then it shows the figures, not "统计尚未生成 … 请稍后刷新本页" for as long as the demo runs
    assert "统计尚未生成" not in page and 'id="totals"' in page
    assert DashboardFigures.objects.get().figures["today"] == TODAY.isoformat()


def test_a_demo_built_without_dashboard_figures_gets_them_on_its_next_start(seeded):
    DashboardFigures.objects.all().delete()
    out = StringIO()
    call_command("seed_demo", "--if-empty", stdout=out)
    assert "已生成数据看板的统计" in out.getvalue() and DashboardFigures.objects.exists()
    # and a start that finds them leaves them alone
    computed_at = DashboardFigures.objects.get().computed_at
    call_command("seed_demo", "--if-empty", stdout=StringIO())
    assert DashboardFigures.objects.get().computed_at == computed_at


def test_no_dashboard_figures_without_the_standings(db):
    out = seed("--standings", "none")
    assert "已生成数据看板的统计" not in out and not DashboardFigures.objects.exists()


def test_a_reset_takes_the_old_competitions_standings_and_change_logs_with_it(seeded):
    # standings partitions, the frozen totals and the change log have no foreign keys: nothing cascades
    old = Competition.objects.get()
    assert partitions(f"competitions_standing_{old.pk}_")
    seed("--reset", "--standings", "none")
    assert not partitions(f"competitions_standing_{old.pk}_")
    assert not StandingDelta.objects.exclude(competition_id=Competition.objects.get().pk).exists()
    assert not SignedOffTotal.objects.filter(competition_id=old.pk).exists()


def test_the_demo_setup_works_on_a_throwaway_embedded_postgresql():
    """What `.ci/demo` does, on a throwaway embedded server: migrate, seed, seed again with --if-empty."""
    # Not pytest's tmp_path: run as root, the server runs as another user, who cannot enter a 0700 parent.
    parent = Path(tempfile.mkdtemp(prefix="portal-demo-"))
    parent.chmod(0o755)
    try:
        url = embedded_db.ensure_running(parent / "postgres")
        env = {k: v for k, v in os.environ.items() if k not in {"REDIS_URL", "DJANGO_SETTINGS_MODULE"}}
        env.update(DATABASE_URL=url, DJANGO_SETTINGS_MODULE="config.settings.local")

        def manage(*args):
            return subprocess.run([sys.executable, "manage.py", *args], cwd=PROJECT, env=env, capture_output=True,
                                  text=True, timeout=180, check=True).stdout

        manage("migrate", "--noinput", "-v", "0")
        first = manage("seed_demo", "--workers", "200", "--days", "10")
        assert "演示数据已生成" in first and catalog.CLERK.password in first
        again = manage("seed_demo", "--if-empty")
        assert "未做改动" in again and catalog.ADMIN.password in again
        with psycopg.connect(url.replace("postgres://", "postgresql://", 1)) as db:
            assert db.execute("SELECT count(*) FROM members_worker").fetchone() == (200,)
            assert db.execute("SELECT count(*) FROM competitions_jobtype").fetchone() == (94,)
            entries = db.execute("SELECT count(*) FROM reviews_workentry").fetchone()[0]
            assert entries >= 200 * 10
            assert db.execute("SELECT count(*) FROM members_user WHERE username IN ('admin', 'clerk', 'reviewer')"
                              ).fetchone() == (3,)
            # Every demo day has its standings (one row per worker with entries), so a worker's page has a trend.
            assert db.execute("SELECT count(DISTINCT day), count(DISTINCT worker_id) FROM competitions_standing"
                              ).fetchone() == (10, 200)
    finally:
        embedded_db.stop(parent / "postgres")
        shutil.rmtree(parent)


def test_organizers_are_not_duplicated_by_a_reset(seeded):
    seed("--reset")
    assert Organizer.objects.count() == 3
    assert Decimal(WorkEntry.objects.first().quantity) >= 0


def test_the_demo_rounds_name_writes_its_days_as_the_portal_does_without_leading_zeros():
    from competitions.demo.seed import demo_round_name

    # before: 2026年11月07日至12月06日先进个人（演示）, beside 2026年12月7日 on the same pages
    assert demo_round_name(date(2026, 11, 7), date(2026, 12, 6)) == "2026年11月7日至12月6日先进个人（演示）"


def test_the_demo_has_a_round_in_publicity_that_every_demo_account_sees(seeded):
    """A newcomer signing in as any role finds a 公示 list (made through the staff's services)."""
    from competitions.honours.models import AwardRound, RoundStatus

    award_round = AwardRound.objects.get()
    assert award_round.status == RoundStatus.PUBLICIZED and len(award_round.snapshot_digest) == 64
    listed = award_round.nominees.count()
    assert 0 < listed <= 40  # 20 places, everyone tied at the line included
    for username in (catalog.CLERK.username, catalog.REVIEWER.username, catalog.ADMIN.username):
        assert AwardRound.objects.visible_to(User.objects.get(username=username)).filter(pk=award_round.pk).exists()
    worker = User.objects.filter(worker__isnull=False).first()
    assert AwardRound.objects.visible_to(worker).filter(pk=award_round.pk).exists()


def test_the_demo_reviewer_sees_unusual_entries_first_in_the_queue(seeded, client):
    # a few of the demo depot's pending entries this month are far above the usual quantity, within the cap
    demo = Unit.objects.get(code=f"{catalog.DEMO_REGION_CODE}-{catalog.DEMO_SYSTEM_CODE}01")
    outliers = WorkEntry.objects.filter(status=EntryStatus.PENDING, flags=EntryFlag.OUTLIER, unit__depot=demo)
    assert outliers.count() == 6
    client.force_login(User.objects.get(username="reviewer"))
    response = client.get(reverse("review:queue"), {"month": f"{TODAY:%Y-%m}"})
    first = response.context["entries"][0]
    assert first.flags & EntryFlag.OUTLIER
    assert "远高于同指标中位数" in response.content.decode()
