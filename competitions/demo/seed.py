"""``seed_demo``: build the demo (or seed-scale benchmark) data set in one transaction.

Shape (see ``catalog``): the three federations jointly organize one active
"轨道上的京津冀" competition; 9 business systems, 94 job types with their scoring rules; three
regional bureaus → depots → workshops → teams; workers; one entry per worker, main metric and day
for the ``days`` days ending yesterday (plus occasional add-on and deduction entries); past months
locked and signed off, the current month under review; and a demo account for every role.

Catalog rows are few and go through the ORM; units, workers and entries are planned in Python and
written in bulk with COPY, never one INSERT per row.
"""

from __future__ import annotations

import math
import random
import time as clock
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.apps import apps as django_apps
from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.db.models import F, ForeignKey, Q
from django.utils import timezone
from psycopg import sql

from competitions.demo import catalog
from competitions.demo.entries import (
    ENTRY_COLUMNS,
    EntryPlan,
    EntryStats,
    EntryWorker,
    RulePlan,
    generate_entries,
    sign_off_time,
)
from competitions.demo.membership import seed_union_office
from competitions.demo.workforce import WORKER_FIELDS, plan_workforce
from competitions.models import (
    BusinessSystem,
    Competition,
    CompetitionStatus,
    JobType,
    Organizer,
    RuleVersion,
    ScoringRule,
    Standing,
    StandingDelta,
)
from competitions.standings.frozen import freeze_signed_off
from competitions.standings.partitions import forget_competition, partitions
from config.bulk_load import copy_text_chunks, deferred_indexes, load_rows, table_list
from config.months import month_of
from members.models import Unit, UnitLevel, User, Worker
from reviews.flags import entries_flag
from reviews.models import (
    EntryAction,
    EntryEvent,
    EntryKind,
    EntrySource,
    EntryStatus,
    PeriodAction,
    PeriodEvent,
    PeriodStatus,
    ReviewPeriod,
    WorkEntry,
)

# Above this many entries, a load into an empty table drops and rebuilds the secondary indexes.
REBUILD_INDEXES_FROM = 200_000

# The demo admin is a superuser, which administers and reads but neither enters nor reviews work without a
# clerk or reviewer grant (members.scope); the demo's entering and reviewing are the clerk's and reviewer's.
ADMIN_SCOPE = "全部（超级用户）：管理后台；门户中只读，录入和审核用 clerk、reviewer 演示"


class SeedError(Exception):
    """Seeding refused (data present, bad arguments); the message is shown to the operator."""


@dataclass
class AccountRow:
    role: str
    username: str
    password: str
    scope: str


@dataclass
class SeedReport:
    counts: dict[str, int] = field(default_factory=dict)
    timings: list[tuple[str, float]] = field(default_factory=list)
    accounts: list[AccountRow] = field(default_factory=list)


class _Stopwatch:
    def __init__(self, report: SeedReport, log):
        self.report, self.log = report, log
        self.started = self.last = clock.perf_counter()

    def lap(self, label: str):
        now = clock.perf_counter()
        self.report.timings.append((label, now - self.last))
        self.log(f"{label}：{now - self.last:.1f} 秒")
        self.last = now


def demo_data_exists() -> bool:
    return Worker.objects.exists() or Competition.objects.exists()


def seeded_days(today: date, days: int) -> list[date]:
    """The ``days`` days ending yesterday: today's work is entered tonight, not yet."""
    return [today - timedelta(days=days - i) for i in range(days)]


def nice_rate(typical: float) -> Decimal:
    """A round points-per-unit near ``100 / typical`` (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8 × 10ⁿ)."""
    target = 100 / typical
    exponent = math.floor(math.log10(target))
    candidates = [Decimal(m) * Decimal(10) ** e for e in (exponent - 1, exponent, exponent + 1)
                  for m in ("1", "1.2", "1.5", "2", "2.5", "3", "4", "5", "6", "8")]
    best = min(candidates, key=lambda c: abs(math.log(float(c) / target)))
    return max(best.quantize(Decimal("0.0001")), Decimal("0.0001"))


# --- catalog ---------------------------------------------------------------------------------------


def _create_catalog(start: date, end: date, current_month: date):
    organizers = [Organizer.objects.create(name=name, region=region) for name, region in catalog.ORGANIZERS]
    BusinessSystem.objects.bulk_create(
        [BusinessSystem(code=s.code, name=s.name, sort_order=i + 1) for i, s in enumerate(catalog.SYSTEMS)]
    )
    systems = list(BusinessSystem.objects.order_by("sort_order"))
    JobType.objects.bulk_create([
        JobType(code=f"{s.code}{j + 1:02d}", name=job.name, business_system=systems[si])
        for si, s in enumerate(catalog.SYSTEMS) for j, job in enumerate(s.job_types)
    ])
    job_types = {jt.code: jt for jt in JobType.objects.all()}
    competition = Competition.objects.create(
        name=catalog.COMPETITION_NAME, description=catalog.COMPETITION_DESCRIPTION,
        start_date=start, end_date=end, status=CompetitionStatus.ACTIVE,
    )
    competition.organizers.set(organizers)

    ScoringRule.objects.bulk_create([
        ScoringRule(competition=competition, job_type=job_types[f"{s.code}{j + 1:02d}"], metric=m.metric,
                    unit_of_measure=m.unit, direction=m.direction)
        for s in catalog.SYSTEMS for j, job in enumerate(s.job_types) for m in job.metrics
    ])
    rules = {(r.job_type.code, r.metric): r for r in ScoringRule.objects.select_related("job_type")}
    versions = []
    rule_specs: dict[tuple[int, int], list[tuple[ScoringRule, catalog.Metric, list[tuple[date, Decimal]]]]] = {}
    for si, s in enumerate(catalog.SYSTEMS):
        for j, job in enumerate(s.job_types):
            plans = []
            for k, m in enumerate(job.metrics):
                rule = rules[(f"{s.code}{j + 1:02d}", m.metric)]
                rate = Decimal(m.points_per_unit) if m.points_per_unit else nice_rate(m.typical)
                cap = Decimal(m.daily_cap) if m.daily_cap else None
                history = [(start, rate)]
                if k == 0 and job.name in catalog.RATE_RAISES and current_month > start:
                    raised = (rate * Decimal(catalog.RATE_RAISES[job.name])).quantize(Decimal("0.0001"))
                    history.append((current_month, raised))
                versions += [RuleVersion(rule=rule, effective_from=day, points_per_unit=ppu, daily_cap=cap)
                             for day, ppu in history]
                plans.append((rule, m, history))
            rule_specs[(si, j)] = plans
    RuleVersion.objects.bulk_create(versions)
    return competition, systems, job_types, rule_specs


# --- units and accounts ----------------------------------------------------------------------------


def _create_units(plan) -> dict[str, int]:
    """Write the unit tree level by level (parents first) and return code → id.

    ``bulk_create`` skips ``Unit.save``, so ``path`` and ``depot`` are filled in here the way
    ``Unit.save`` would: a depot is its own depot, everything below points at it.
    """
    ids: dict[str, int] = {}
    paths: dict[str, str] = {}
    depot_of: dict[str, str | None] = {}
    for level in (UnitLevel.BUREAU, UnitLevel.DEPOT, UnitLevel.WORKSHOP, UnitLevel.TEAM):
        batch = []
        for u in plan.units:
            if u.level != level:
                continue
            paths[u.code] = (paths[u.parent_code] if u.parent_code else "/") + u.code + "/"
            depot_of[u.code] = (u.code if level == UnitLevel.DEPOT
                                else depot_of[u.parent_code] if level > UnitLevel.DEPOT else None)
            batch.append(Unit(
                code=u.code, name=u.name, level=u.level, region=u.region,
                parent_id=ids[u.parent_code] if u.parent_code else None,
                depot_id=ids[depot_of[u.code]] if level > UnitLevel.DEPOT else None,
                path=paths[u.code],
            ))
        Unit.objects.bulk_create(batch, batch_size=2000)
        ids.update(Unit.objects.filter(level=level).values_list("code", "id"))
        if level == UnitLevel.DEPOT:
            Unit.objects.filter(level=UnitLevel.DEPOT).update(depot_id=F("pk"))
    return ids


def _create_accounts(plan, systems, unit_ids) -> tuple[dict[int, int], dict[int, int], list[AccountRow]]:
    """Union staff, one clerk per depot, one reviewer per business system.

    The demo ones (admin, the 北京机务段 clerk, the 机务 reviewer) get the printed passwords; the
    others get unusable passwords — they exist so every entry has a real clerk and reviewer.
    """
    demo_depot = _demo_depot(plan)
    unusable = make_password(None)
    accounts: list[AccountRow] = []
    users = []
    admin = User(username=catalog.ADMIN.username, first_name="工会干部", is_staff=True, is_superuser=True)
    admin.set_password(catalog.ADMIN.password)
    users.append(admin)
    accounts.append(AccountRow(catalog.ADMIN.role, admin.username, catalog.ADMIN.password, ADMIN_SCOPE))
    for depot in plan.depots:
        if depot is demo_depot:
            clerk = User(username=catalog.CLERK.username, first_name=f"{depot.name}录入员")
            clerk.set_password(catalog.CLERK.password)
            accounts.append(AccountRow(catalog.CLERK.role, clerk.username, catalog.CLERK.password,
                                       f"{depot.name}（{depot.code}）"))
        else:
            clerk = User(username=f"clerk-{depot.code.lower()}", first_name=f"{depot.name}录入员", password=unusable)
        users.append(clerk)
    for system in systems:
        if system.code == catalog.DEMO_SYSTEM_CODE:
            reviewer = User(username=catalog.REVIEWER.username, first_name=f"{system.name}业务部门审核员")
            reviewer.set_password(catalog.REVIEWER.password)
            accounts.append(AccountRow(catalog.REVIEWER.role, reviewer.username, catalog.REVIEWER.password,
                                       f"业务系统：{system.name}"))
        else:
            reviewer = User(username=f"reviewer-{system.code.lower()}", first_name=f"{system.name}业务部门审核员",
                            password=unusable)
        users.append(reviewer)
    User.objects.bulk_create(users)
    user_ids = dict(User.objects.filter(username__in=[u.username for u in users]).values_list("username", "id"))

    clerk_by_depot = {}
    links = []
    for depot in plan.depots:
        name = catalog.CLERK.username if depot is demo_depot else f"clerk-{depot.code.lower()}"
        clerk_by_depot[depot.index] = user_ids[name]
        links.append(User.clerk_units.through(user_id=user_ids[name], unit_id=unit_ids[depot.code]))
    User.clerk_units.through.objects.bulk_create(links)
    reviewer_by_system = {}
    for system in systems:
        name = (catalog.REVIEWER.username if system.code == catalog.DEMO_SYSTEM_CODE
                else f"reviewer-{system.code.lower()}")
        reviewer_by_system[system.pk] = user_ids[name]
        User.reviewer_systems.through.objects.create(user_id=user_ids[name], businesssystem_id=system.pk)
    return clerk_by_depot, reviewer_by_system, accounts


def _demo_depot(plan):
    return next(d for d in plan.depots
                if catalog.SYSTEMS[d.system_index].code == catalog.DEMO_SYSTEM_CODE
                and d.region.code == catalog.DEMO_REGION_CODE)


# --- workers ---------------------------------------------------------------------------------------


def _load_workers(plan, unit_ids, job_types, created_at: str) -> dict[str, int]:
    columns = (*WORKER_FIELDS, "unit_id", "job_type_id", "user_id", "is_active", "created_at", "updated_at")
    jt_ids = {}
    for si, s in enumerate(catalog.SYSTEMS):
        for j in range(len(s.job_types)):
            jt_ids[(si, j)] = job_types[f"{s.code}{j + 1:02d}"].pk

    def rows():
        for row, team, job in zip(plan.workers, plan.worker_team, plan.worker_job, strict=True):
            yield (*row, unit_ids[team], jt_ids[job], None, True, created_at, created_at)

    load_rows(Worker._meta.db_table, columns, rows())
    return dict(Worker.objects.values_list("employee_no", "id"))


def _create_worker_accounts(plan, worker_ids) -> list[AccountRow]:
    """Two workers of the demo depot can log in (username = employee number)."""
    demo = _demo_depot(plan)
    picks = [row for row, depot in zip(plan.workers, plan.worker_depot, strict=True) if depot == demo.index][:2]
    accounts = []
    for row in picks:
        employee_no, name = row[0], row[1]
        user = User(username=employee_no, first_name=name)
        user.set_password(catalog.WORKER_PASSWORD)
        user.save()
        Worker.objects.filter(pk=worker_ids[employee_no]).update(user=user)
        accounts.append(AccountRow("职工", employee_no, catalog.WORKER_PASSWORD, f"{name}（{demo.name}）"))
    return accounts


# --- entries, review periods ---------------------------------------------------------------------


def _load_entries(*, plan, competition, systems, job_types, rule_specs, unit_ids, worker_ids, clerk_by_depot,
                  reviewer_by_system, days, today, seed, rebuild_indexes, log) -> tuple[int, dict]:
    tz = timezone.get_current_timezone()
    rates_by_rule: dict[int, RulePlan] = {}

    def rule_plan(rule, spec, history) -> RulePlan:
        if rule.pk not in rates_by_rule:
            # The version in force on a day is the latest one that took effect on or before it.
            rates = tuple(int([ppu for since, ppu in history if since <= d][-1] * 10_000) for d in days)
            rates_by_rule[rule.pk] = RulePlan(rule.pk, spec, rates)
        return rates_by_rule[rule.pk]

    entry_workers = []
    for row, team, job, depot, factor in zip(plan.workers, plan.worker_team, plan.worker_job, plan.worker_depot,
                                             plan.worker_factor, strict=True):
        si, j = job
        system = systems[si]
        rules = tuple(rule_plan(*spec) for spec in rule_specs[(si, j)])
        entry_workers.append(EntryWorker(
            worker_ids[row[0]], unit_ids[team], job_types[f"{system.code}{j + 1:02d}"].pk, system.pk, depot,
            clerk_by_depot[depot], factor, rules,
        ))
    entry_plan = EntryPlan(competition.pk, days, today, tz, reviewer_by_system, entry_workers, timezone.now())
    # The entries get their own random stream, so changing how workers are drawn later does not
    # reshuffle every quantity (and vice versa).
    rng = random.Random(f"{seed}:entries")
    stats = EntryStats()
    table = WorkEntry._meta.db_table
    expected = len(entry_workers) * len(days)
    if rebuild_indexes is None:
        rebuild_indexes = expected >= REBUILD_INDEXES_FROM
    chunks = generate_entries(entry_plan, rng, stats, as_text=True)
    if rebuild_indexes:
        with deferred_indexes(WorkEntry, log=log):
            started = clock.perf_counter()
            copy_text_chunks(table, ENTRY_COLUMNS, chunks, freeze=True)
            log(f"  COPY 写入录入：{clock.perf_counter() - started:.1f} 秒；正在重建索引和外键……")
    else:
        copy_text_chunks(table, ENTRY_COLUMNS, chunks)
    return stats.rows, stats.locked


def _create_periods(*, competition, systems, days, today, reviewer_by_system, locked_counts):
    """Signed-off ReviewPeriod rows (with their audit event) for every past month, open ones for
    the current month; and an audit event for every rejected entry."""
    now = timezone.now()
    tz = timezone.get_current_timezone()
    current = month_of(today)
    months = sorted({month_of(d) for d in days if d < current})
    periods = []
    for month in months:
        for system in systems:
            periods.append(ReviewPeriod(
                competition=competition, business_system=system, month=month, status=PeriodStatus.SIGNED_OFF,
                signed_off_by_id=reviewer_by_system[system.pk], signed_off_at=sign_off_time(month, tz, now),
            ))
    periods += [ReviewPeriod(competition=competition, business_system=s, month=current) for s in systems]
    ReviewPeriod.objects.bulk_create(periods)
    signed = ReviewPeriod.objects.filter(competition=competition, status=PeriodStatus.SIGNED_OFF)
    PeriodEvent.objects.bulk_create([
        PeriodEvent(period=p, action=PeriodAction.SIGNED_OFF, actor_id=p.signed_off_by_id, at=p.signed_off_at,
                    entries=locked_counts.get((p.business_system_id, p.month), 0))
        for p in signed
    ])
    # The signed-off months' totals, as the sign-off writes them (competitions.standings.frozen).
    freeze_signed_off(competition_id=competition.pk)
    # One INSERT … SELECT: the rejection facts of the seeded entries, as the review service writes them.
    with connection.cursor() as cursor:
        cursor.execute(
            sql.SQL(
                "INSERT INTO {events} (entry_id, action, actor_id, at, from_status, to_status, reason) "
                "SELECT id, %s, reviewed_by_id, reviewed_at, %s, %s, reject_reason FROM {entries} "
                "WHERE competition_id = %s AND status = %s"
            ).format(
                events=sql.Identifier(EntryEvent._meta.db_table),
                entries=sql.Identifier(WorkEntry._meta.db_table),
            ),
            [EntryAction.REJECTED, EntryStatus.PENDING, EntryStatus.REJECTED, competition.pk, EntryStatus.REJECTED],
        )
    return len(periods)


# A few of the demo depot's pending entries this month are made unusual (OUTLIER_FACTOR and more times the
# usual quantity, within the rule's daily cap), so the reviewer's queue shows its 审核提示 first, as it does
# after a mistyped quantity; the flags are then computed as the scheduled recompute would.
FLAGGED_ENTRIES = 6
FLAGGED_FACTOR = 5


def _flag_some(*, competition, systems, depot_id: int, month: date) -> int:
    with connection.cursor() as cursor:
        cursor.execute(sql.SQL("""
            WITH picked AS (
                SELECT e.id FROM {entries} e
                JOIN {units} u ON u.id = e.unit_id
                JOIN LATERAL (SELECT v.daily_cap FROM {versions} v
                              WHERE v.rule_id = e.rule_id AND v.effective_from <= e.work_date
                              ORDER BY v.effective_from DESC LIMIT 1) v ON true
                WHERE e.competition_id = %(competition)s AND e.work_date >= %(month)s AND u.depot_id = %(depot)s
                  AND e.status = %(pending)s AND e.kind = %(regular)s AND e.quantity > 0
                  AND (v.daily_cap IS NULL OR e.quantity * %(factor)s <= v.daily_cap)
                ORDER BY e.work_date, e.id LIMIT %(n)s)
            UPDATE {entries} e SET quantity = e.quantity * %(factor)s, points = e.points * %(factor)s
            FROM picked WHERE e.id = picked.id AND e.work_date >= %(month)s
        """).format(entries=sql.Identifier(WorkEntry._meta.db_table), units=sql.Identifier(Unit._meta.db_table),
                    versions=sql.Identifier(RuleVersion._meta.db_table)),
            {"competition": competition.pk, "month": month, "depot": depot_id, "pending": EntryStatus.PENDING,
             "regular": EntryKind.REGULAR, "factor": FLAGGED_FACTOR, "n": FLAGGED_ENTRIES})
        # Freshly loaded: the planner needs the entries' statistics to read the month well.
        cursor.execute(sql.SQL("ANALYZE {}").format(sql.Identifier(WorkEntry._meta.db_table)))
    for system in systems:
        entries_flag(competition_id=competition.pk, business_system_id=system.pk, month=month)
    return WorkEntry.objects.filter(competition=competition, work_date__gte=month, flags__gt=0).count()


# --- entry points ----------------------------------------------------------------------------------


def seed_demo(*, workers: int, days: int, seed: int, today: date | None = None,
              rebuild_indexes: bool | None = None, log=print) -> SeedReport:
    """Create the whole demo data set in one transaction (all or nothing)."""
    if workers < 50:
        raise SeedError("职工人数至少为 50。")
    if not 1 <= days <= 366:
        raise SeedError("天数应在 1 到 366 之间。")
    if demo_data_exists():
        raise SeedError("数据库中已有数据。请使用 --if-empty 跳过，或使用 --reset 先清空演示数据。")
    today = today or timezone.localdate()
    day_list = seeded_days(today, days)
    start = day_list[0]
    end = start + timedelta(days=364)  # a one-year competition, like the one the newspaper reports
    current_month = month_of(today)
    tz = timezone.get_current_timezone()
    report = SeedReport()
    watch = _Stopwatch(report, log)
    rng = random.Random(f"{seed}:workforce")

    with transaction.atomic():
        competition, systems, job_types, rule_specs = _create_catalog(start, end, current_month)
        plan = plan_workforce(rng, workers, today)
        watch.lap("竞赛、业务系统、工种、计分规则；人员规划")
        unit_ids = _create_units(plan)
        clerk_by_depot, reviewer_by_system, accounts = _create_accounts(plan, systems, unit_ids)
        watch.lap(f"单位 {len(unit_ids):,} 个，账号")
        created_at = datetime.combine(start - timedelta(days=7), time(9, 0), tz)
        worker_ids = _load_workers(plan, unit_ids, job_types, created_at)
        accounts += _create_worker_accounts(plan, worker_ids)
        watch.lap(f"职工 {len(worker_ids):,} 名")
        officer_accounts, office_counts = seed_union_office(
            demo_depot_code=_demo_depot(plan).code, today=today,
            skip_workers=set(Worker.objects.filter(user__isnull=False).values_list("pk", flat=True)))
        accounts += officer_accounts
        watch.lap("基层工会：入会申请、互助服务卡、技能等级证书")
        entries, locked_counts = _load_entries(
            plan=plan, competition=competition, systems=systems, job_types=job_types, rule_specs=rule_specs,
            unit_ids=unit_ids, worker_ids=worker_ids, clerk_by_depot=clerk_by_depot,
            reviewer_by_system=reviewer_by_system, days=day_list, today=today, seed=seed,
            rebuild_indexes=rebuild_indexes, log=log,
        )
        watch.lap(f"工作量录入 {entries:,} 条")
        periods = _create_periods(competition=competition, systems=systems, days=day_list, today=today,
                                  reviewer_by_system=reviewer_by_system, locked_counts=locked_counts)
        watch.lap("月度审核记录")
        flagged = _flag_some(competition=competition, systems=systems, month=current_month,
                             depot_id=unit_ids[_demo_depot(plan).code])
        watch.lap(f"审核提示 {flagged:,} 条")
    with connection.cursor() as cursor:
        cursor.execute(sql.SQL("ANALYZE {}").format(table_list((Worker._meta.db_table, Unit._meta.db_table))))

    report.accounts = accounts
    report.counts = {
        "业务系统": len(systems), "工种": len(job_types), "计分规则": sum(len(v) for v in rule_specs.values()),
        "单位": len(unit_ids), "职工": len(worker_ids), "工作量录入": entries, "月度审核": periods,
        **office_counts,
    }
    report.timings.append(("合计", clock.perf_counter() - watch.started))
    return report


def existing_accounts() -> list[AccountRow]:
    """The demo accounts as they are in the database (for ``--if-empty`` on a second run)."""
    rows = []
    admin = User.objects.filter(username=catalog.ADMIN.username).first()
    if admin:
        rows.append(AccountRow(catalog.ADMIN.role, admin.username, catalog.ADMIN.password, ADMIN_SCOPE))
    clerk = User.objects.filter(username=catalog.CLERK.username).first()
    if clerk:
        units = "、".join(f"{u.name}（{u.code}）" for u in clerk.clerk_units.all())
        rows.append(AccountRow(catalog.CLERK.role, clerk.username, catalog.CLERK.password, units))
    reviewer = User.objects.filter(username=catalog.REVIEWER.username).first()
    if reviewer:
        systems = "、".join(s.name for s in reviewer.reviewer_systems.all())
        rows.append(AccountRow(catalog.REVIEWER.role, reviewer.username, catalog.REVIEWER.password,
                               f"业务系统：{systems}"))
    officer = User.objects.filter(username=catalog.UNION_OFFICER.username).first()
    if officer:
        units = "、".join(f"{u.name}（{u.code}）" for u in officer.union_units.all())
        rows.append(AccountRow(catalog.UNION_OFFICER.role, officer.username, catalog.UNION_OFFICER.password, units))
    if clerk:
        paths = list(clerk.clerk_units.values_list("path", flat=True))
        q = Q(pk__in=[])
        for path in paths:
            q |= Q(unit__path__startswith=path)
        for w in Worker.objects.filter(q, user__isnull=False).select_related("user", "unit__depot")[:2]:
            rows.append(AccountRow("职工", w.user.username, catalog.WORKER_PASSWORD,
                                   f"{w.name}（{w.unit.depot.name if w.unit.depot else w.unit.name}）"))
    return rows


def reset_demo_data(log=print) -> None:
    """Remove everything ``seed_demo`` creates. Refuses when the database holds entries that did
    not come from the seed: those are someone's real work."""
    if WorkEntry.objects.exclude(source=EntrySource.SEED).exists():
        raise SeedError("数据库中有非演示来源的工作量录入，拒绝清空。")
    seeded_usernames = Q(username__in=[catalog.ADMIN.username, catalog.CLERK.username, catalog.REVIEWER.username,
                                       catalog.UNION_OFFICER.username])
    seeded_usernames |= Q(username__startswith="clerk-") | Q(username__startswith="reviewer-")
    seeded_usernames |= Q(worker__isnull=False)
    tables = [m._meta.db_table for m in _models_depending_on(
        (Organizer, BusinessSystem, JobType, Competition, Unit, Worker))]
    with transaction.atomic():
        user_ids = list(User.objects.filter(seeded_usernames).values_list("pk", flat=True))
        # The standings, change logs and frozen totals have no foreign keys (nothing cascades to them):
        # they are removed as deleting a competition does, for every competition they name (one deleted
        # without it, by a reset before this one did it, included).
        for competition_id in _competitions_in_standings():
            forget_competition(competition_id=competition_id)
        with connection.cursor() as cursor:
            # TRUNCATE, not DELETE: millions of entries go in a moment, and no dead tuples stay behind.
            # It refuses while deferred foreign-key checks are queued in this transaction, so
            # run those first (they pass: the rows are about to go anyway).
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(sql.SQL("TRUNCATE {}").format(table_list(tables)))
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        User.objects.filter(pk__in=user_ids).delete()
    log(f"已清空演示数据（{len(tables)} 张表）。")


def _competitions_in_standings() -> set[int]:
    named = {int(name.split("_")[2]) for name in partitions(f"{Standing._meta.db_table}_")}
    return (named | set(Competition.objects.values_list("pk", flat=True))
            | set(StandingDelta.objects.values_list("competition_id", flat=True).distinct()))


def _models_depending_on(roots) -> list:
    """``roots`` and every model that points at one of them, transitively (auto-created M2M
    tables included): what must go with the demo catalog, units and workers. Read from the model
    graph, so tables other apps add later (standings, imports …) are cleared too instead of
    blocking the reset with a foreign-key error."""
    found = list(roots)
    changed = True
    while changed:
        changed = False
        for model in django_apps.get_models(include_auto_created=True):
            if model in found:
                continue
            if any(isinstance(f, ForeignKey) and f.related_model in found for f in model._meta.get_fields()):
                found.append(model)
                changed = True
    return found


def _display_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _display_width(text))


def format_accounts(accounts: list[AccountRow]) -> str:
    """The demo accounts as an aligned table (CJK characters count double width)."""
    header = AccountRow("角色", "用户名", "密码", "权限范围")
    rows = [header, *accounts]
    widths = [max(_display_width(getattr(r, f)) for r in rows) for f in ("role", "username", "password", "scope")]
    lines = []
    for i, r in enumerate(rows):
        cells = [_pad(getattr(r, f), w) for f, w in zip(("role", "username", "password", "scope"), widths,
                                                         strict=True)]
        lines.append("  ".join(cells).rstrip())
        if i == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def seed_standings(*, log=print) -> int:
    """The nightly run for each day of the current competition's entries, oldest first, so a demo
    worker's page has ranks, changes and a trend at once. Skipped when standings already exist."""
    from django.db.models import Max, Min

    from competitions.models import StandingDay
    from competitions.querysets import current_competition
    from competitions.services import standings_recompute

    competition = current_competition()
    if competition is None or StandingDay.objects.filter(competition=competition).exists():
        return 0
    span = WorkEntry.objects.filter(competition=competition).aggregate(first=Min("work_date"), last=Max("work_date"))
    day, runs = span["first"], 0
    while day is not None and day <= span["last"]:
        standings_recompute(competition=competition, day=day, trigger="command")
        day += timedelta(days=1)
        runs += 1
    log(f"已计算 {runs} 天的排名（截至 {span['last']}）。")
    if runs:
        seed_award_round(competition=competition, first=span["first"], last=span["last"], log=log)
    return runs


def seed_dashboard(*, today: date | None = None, log=print) -> bool:
    """The dashboard's stored figures (/staff/dashboard/) of the current competition, computed once when it has
    none. Elsewhere Celery beat computes them every DASHBOARD_REFRESH_MINUTES; the demo runs no beat (its tasks
    run in-process), so without this its dashboard would say "统计尚未生成" for as long as it runs. True when
    computed."""
    from competitions.dashboard import dashboard_refresh
    from competitions.models import DashboardFigures
    from competitions.querysets import current_competition

    competition = current_competition()
    if competition is None or DashboardFigures.objects.filter(competition=competition).exists():
        return False
    dashboard_refresh(competition=competition, today=today)
    log("已生成数据看板的统计。")
    return True


def demo_round_name(first: date, last: date) -> str:
    """The demo round's name, its dates written as the portal writes a day (config.formatting: 2026年11月7日,
    no leading zeros), so that it reads like the dates beside it on every page that names it."""
    return f"{first.year}年{first.month}月{first.day}日至{last.month}月{last.day}日先进个人（演示）"


def seed_award_round(*, competition, first: date, last: date, log=print) -> None:
    """A 先进个人 round over the demo days, shortlisted, proposed and in 公示 for a week, so every demo account
    sees a 公示 list, and staff a round to finish (answer objections, finalize, print certificates). It goes
    through the same services as staff do on their pages."""
    from competitions.honours import services
    from competitions.honours.models import QuotaBy, QuotaMode, RoundKind, TieRule
    from competitions.honours.shortlist import generate_shortlist

    admin = User.objects.get(username=catalog.ADMIN.username)
    award_round = services.round_create(
        actor=admin, competition=competition, name=demo_round_name(first, last),
        kind=RoundKind.INDIVIDUAL, basis_start=first, basis_end=last, quota_total=20,
        quota_by=QuotaBy.BUSINESS_SYSTEM, quota_mode=QuotaMode.PROPORTIONAL, tie_rule=TieRule.INCLUDE_ALL,
        signed_off_only=False, max_deductions=0, no_open_dispute=True, min_active_days=max(1, (last - first).days // 2))
    award_round = generate_shortlist(round_=award_round, actor=admin)
    services.propose(actor=admin, round_=award_round)
    services.publish(actor=admin, round_=award_round, days=7)
    log(f"已生成评选“{award_round.name}”：{award_round.nominees.count()} 人，公示 7 天。")
