"""Writes that span many rows: the standings recompute, deleting a competition with its standings, and
scoring-rule versions (a new rate reprices the entries it covers)."""

from __future__ import annotations

import logging
import traceback
from datetime import date, timedelta
from decimal import Decimal
from typing import Literal

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Count, Max, Min
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from competitions import standings
from competitions.locks import live_backends, standings_lock, standings_lock_holders, standings_lock_until_commit
from competitions.models import (
    Competition,
    RuleVersion,
    RunKind,
    RunOutcome,
    ScoringRule,
    StandingDay,
    StandingRun,
)
from competitions.rule_versions import RESCORE_CLAIM
from competitions.standings import approvals
from competitions.standings.database import standings_snapshot
from competitions.standings.digest import record_day
from config.formatting import display_date, display_month, format_count
from config.stored_text import StoredText
from reviews.models import ReviewPeriod, WorkEntry
from reviews.services import entries_rescore

logger = logging.getLogger(__name__)

Trigger = Literal["nightly", "intraday", "admin", "command", "manual"]

# Memory PostgreSQL may use per sort/hash in a run (SET LOCAL, this transaction only): the run
# aggregates millions of entries and sorts every worker four times; with the 4 MB default those spill
# to disk. A full run's per-worker aggregate over the entries is hashed in each parallel process; half
# this spilled at seed scale (the figures are in bench/standings.py's output and the git log). The
# group count follows the workers, not the length of the competition. A batch job a few times a day
# can afford it; override with settings.STANDINGS_WORK_MEM.


def standings_day_for(*, intraday: bool = False) -> date:
    """The day a scheduled run computes: yesterday (Asia/Shanghai) at night, today during the day."""
    today = timezone.localdate()
    return today if intraday else today - timedelta(days=1)


def standings_totals_day(*, competition_id: int) -> date | None:
    """The base day of the next incremental run: the day of the competition's latest succeeded run that
    consumed the change log (its standings rows hold every counted entry dated up to it, the change log
    everything since), or None when there is none and the next run must sum the entries."""
    return (StandingRun.objects.filter(competition_id=competition_id, outcome=RunOutcome.SUCCEEDED,
                                       totals_day__isnull=False)
            .order_by("-started_at", "-id").values_list("totals_day", flat=True).first())


def standings_recompute(*, competition: Competition | int, day: date, full: bool = False,
                        trigger: Trigger = "manual", requested_by_id: int | None = None,
                        reason: str = "") -> StandingRun:
    """Recomputes the standings of ``competition`` for ``day`` and records the run.

    Incremental unless ``full`` or the totals were never built; a day older than the totals is always
    computed from the entries. Replaces the day's rows in one transaction, together with the totals and
    the run's outcome, so a failure anywhere leaves the previous standings (and totals) as they were. If
    another run of the competition holds the lock, returns a run recorded as skipped. Re-raises errors
    after recording them (the Celery task retries database errors). ``requested_by_id`` and ``reason``: who
    asked for a repair from the admin and why, kept on the run.
    """
    competition_id = competition if isinstance(competition, int) else competition.pk
    requested = RunKind.FULL if full else RunKind.INCREMENTAL
    # Earlier runs of the competition whose process died are marked first, so staff never see them
    # "running" beside this one.
    standings_runs_mark_dead(competition_id=competition_id)
    # The run row is committed first, on its own, so staff see it running and see a failure after
    # the work's transaction has rolled back. It records its backend: see standings_runs_mark_dead.
    connection.ensure_connection()
    run = StandingRun.objects.create(competition_id=competition_id, day=day, kind=requested,
                                     requested_kind=requested, trigger=trigger, started_at=timezone.now(),
                                     backend_pid=connection.connection.info.backend_pid,
                                     requested_by_id=requested_by_id, reason=(reason or "").strip()[:200])
    try:
        with standings_lock(competition_id) as acquired:
            if not acquired:
                _finish(run, outcome=RunOutcome.SKIPPED, error="另一次排名计算正在进行，本次跳过。")
                logger.info("standings run %s skipped: competition %s is locked", run.pk, competition_id)
                return run
            # The approval log's open segment is closed before the run's snapshot: the run then takes in
            # whole segments, none of which can gain a row afterwards (competitions.standings.approvals).
            approvals.close(competition_id=competition_id)
            _compute(run, full=full)
            # The day's ledger entry right after the commit, still under the lock: of exactly the rows
            # committed, without lengthening the run's transaction by the digest (every row as text, sorted).
            _record_digest(run)
    except Exception:
        _finish(run, outcome=RunOutcome.FAILED, error=traceback.format_exc(limit=20))
        logger.exception("standings run %s failed", run.pk)
        raise
    logger.info("standings run %s: %s rows (%s)", run.pk, run.rows, run.kind)
    return run


def _record_digest(run: StandingRun) -> None:
    """Appends the ledger entry of the day ``run`` published (standings.digest.record_day). The run has
    succeeded whatever happens here: a day left without its entry is reported as such when verified."""
    try:
        with transaction.atomic():
            record_day(run=run)
    except Exception:
        logger.exception("standings run %s: the day's digest was not recorded", run.pk)


# What a dead run's row says. Not translated: like a run's other errors it is stored text.
DEAD_RUN_ERROR = "进程中断：计算所在的进程已退出，未能记录结果。"
# A live run creates its row before it tries the lock (so the row records a skip too); for this long
# a row whose backend is connected counts as live without holding the lock.
DEAD_RUN_GRACE = timedelta(minutes=1)


def standings_runs_mark_dead(*, competition_id: int | None = None) -> list[int]:
    """Marks failed, with DEAD_RUN_ERROR, the "running" runs (of ``competition_id``, or of every
    competition) whose process died: a run in progress holds its competition's standings lock on its own
    backend, so a running row is dead when its backend does not hold that lock, unless it is a moment old
    and its backend is still connected (it is about to try the lock). Rows without a recorded backend
    count as dead when nobody holds the lock. Returns the ids marked. Called at the start of every run
    and by a periodic task; taking no lock, it never makes a run skip.
    """
    running = StandingRun.objects.filter(outcome=RunOutcome.RUNNING)
    if competition_id is not None:
        running = running.filter(competition_id=competition_id)
    rows = list(running.values_list("pk", "competition_id", "backend_pid", "started_at"))
    if not rows:
        return []
    holders = standings_lock_holders({c for _, c, _, _ in rows})
    connected = live_backends({pid for _, _, pid, _ in rows if pid is not None})
    young = timezone.now() - DEAD_RUN_GRACE

    def alive(competition, pid, started_at) -> bool:
        if pid is None:
            return competition in holders
        return holders.get(competition) == pid or (pid in connected and started_at > young)

    dead = [pk for pk, competition, pid, started_at in rows if not alive(competition, pid, started_at)]
    if dead:
        # Still "running" in the condition: a run that finished since the read keeps its own outcome.
        StandingRun.objects.filter(pk__in=dead, outcome=RunOutcome.RUNNING).update(
            outcome=RunOutcome.FAILED, error=DEAD_RUN_ERROR, finished_at=timezone.now(), totals_day=None)
        logger.warning("standings runs %s marked failed: their process died", dead)
    return dead


def standings_compact(*, competition: Competition | int) -> list[date] | None:
    """Merges each finished month of the competition's standings into one partition (standings.compact_month),
    one month per transaction; returns the months merged, or None when a run holds the competition's lock
    (the next scheduled compaction merges them)."""
    competition_id = competition if isinstance(competition, int) else competition.pk
    merged = []
    with standings_lock(competition_id) as acquired:
        if not acquired:
            logger.info("standings compaction of competition %s skipped: a run holds the lock", competition_id)
            return None
        base_day = standings_totals_day(competition_id=competition_id)
        for month in standings.compactable_months(competition_id=competition_id, base_day=base_day):
            started = timezone.now()
            with transaction.atomic():
                days = standings.compact_month(competition_id=competition_id, month=month)
            if days:
                merged.append(month)
                logger.info("standings of competition %s: %s days of %s merged into one partition in %.1f s",
                            competition_id, days, f"{month:%Y-%m}", (timezone.now() - started).total_seconds())
    return merged


def standings_compact_all(*, competition_ids: list[int] | None = None) -> dict[int, list[date] | None]:
    """standings_compact for each competition with standings (or for ``competition_ids``), one after the
    other: {competition id: months merged, or None if a run held its lock}."""
    if competition_ids is None:
        competition_ids = list(StandingDay.objects.order_by("competition_id")
                               .values_list("competition_id", flat=True).distinct())
    return {competition_id: standings_compact(competition=competition_id) for competition_id in competition_ids}


def _compute(run: StandingRun, *, full: bool) -> None:
    # One snapshot for every statement of the run: the totals read (entries or base + log) and the deltas
    # dropped as "already included" must describe the same moment (see competitions.standings).
    with standings_snapshot():
        params = {"competition_id": run.competition_id, "day": run.day}
        totals_day = standings_totals_day(competition_id=run.competition_id)
        if totals_day is not None and run.day < totals_day:
            # An old day: the base is ahead of it, so sum the entries dated up to it (as of the base's log
            # position: minus the live change log); the change log stays.
            run.kind, run.totals_day = RunKind.FULL, None
            run.rows = standings.replace_day(**params, now=run.started_at, base_day=None, behind=totals_day)
        elif full or totals_day is None:
            # A repair: the entries, on the same snapshot as the change log it drops.
            run.kind, run.totals_day = RunKind.FULL, run.day
            run.rows = standings.replace_day(**params, now=run.started_at, base_day=None, run_id=run.pk)
            run.deltas = standings.delete_deltas(**params, run_id=run.pk)
        else:
            run.kind, run.totals_day = RunKind.INCREMENTAL, run.day
            run.rows = standings.replace_day(**params, now=run.started_at, base_day=totals_day, run_id=run.pk)
            run.deltas = standings.delete_deltas(**params, run_id=run.pk)
        # Recorded in the same transaction: "succeeded with totals_day" is true exactly when the totals are.
        _finish(run, outcome=RunOutcome.SUCCEEDED)


def _finish(run: StandingRun, *, outcome: str, error: str = "") -> None:
    run.outcome = outcome
    run.error = error
    run.finished_at = timezone.now()
    if outcome != RunOutcome.SUCCEEDED:
        run.totals_day = None
    run.save(update_fields=["outcome", "error", "finished_at", "kind", "rows", "deltas", "totals_day"])


def competition_dates_check(*, competition: Competition, start_date: date, end_date: date) -> None:
    """Raises ValidationError when a stored competition's new dates would leave its entries, or the versions
    of its scoring rules, outside it: every entry is dated within its competition (reviews.validation) and
    every version takes effect within it (RuleVersion.clean, which would then refuse any later edit of the
    version, even of its daily cap). For the admin's form, so staff see why on the form."""
    if competition.pk is None:
        return
    errors = []
    entries = WorkEntry.objects.filter(competition_id=competition.pk).aggregate(first=Min("work_date"),
                                                                                last=Max("work_date"))
    if entries["first"] is not None and (entries["first"] < start_date or entries["last"] > end_date):
        errors.append(ValidationError(
            _("该竞赛已有录入，工作日期最早 %(first)s、最晚 %(last)s；竞赛期间须包含这些日期。") % {
                "first": display_date(entries["first"]), "last": display_date(entries["last"])},
            code="entries_outside"))
    versions = (RuleVersion.objects.filter(rule__competition_id=competition.pk)
                .exclude(effective_from__range=(start_date, end_date))
                .aggregate(first=Min("effective_from"), last=Max("effective_from")))
    if versions["first"] is not None:
        errors.append(ValidationError(
            _("该竞赛有计分标准版本在新的竞赛期间之外生效（最早 %(first)s，最晚 %(last)s）；"
              "请先修改这些版本的生效日期。") % {
                "first": display_date(versions["first"]), "last": display_date(versions["last"])},
            code="versions_outside"))
    if errors:
        raise ValidationError(errors)


class CompetitionInUse(ValidationError):
    """The competition cannot be deleted now; ``code`` says why."""


@transaction.atomic
def competition_delete(*, actor, competition: Competition) -> None:
    """Deletes a competition that has nothing left but its definition and its standings, and drops those
    standings with it (they have no foreign keys, so no cascade reaches them).

    Refused while entries, scoring rules or review periods still refer to it (they protect it: entries
    are the record of people's work), and while a standings run of it is in progress.
    """
    competition_id = competition.pk
    remaining = [label for label, exists in (
        (_("录入"), WorkEntry.objects.filter(competition_id=competition_id).exists()),
        (_("计分规则"), competition.rules.exists()),
        (_("审核月份"), ReviewPeriod.objects.filter(competition_id=competition_id).exists()),
        (_("评选"), competition.award_rounds.exists()),  # the record of honours protects it too
    ) if exists]
    if remaining:
        raise CompetitionInUse(_("该劳动竞赛还有%(what)s，不能删除。") % {"what": "、".join(remaining)},
                               code="competition_in_use")
    # Held until commit: a run that started now would write into partitions this transaction drops.
    if not standings_lock_until_commit(competition_id):
        raise CompetitionInUse(_("该劳动竞赛正在计算排名，请稍后再删除。"), code="standings_running")
    standings.forget_competition(competition_id=competition_id)
    competition.delete()
    logger.info("competition %s deleted by user %s", competition_id, getattr(actor, "pk", None))


# --- Scoring-rule versions ------------------------------------------------------------------------
# The rule staff work by (see RuleVersion): a version that priced entries is immutable, and a new rate is
# a new version from a date, which reprices the entries dated from then on. The database guard
# (competitions/sql/rule_version_guard.sql) refuses whatever bypasses these functions.


class RuleVersionInUse(ValidationError):
    """The version (or rule) cannot change as asked; ``code`` says why, the message says what to do."""

    def __init__(self, message, code: str):
        super().__init__(message, code=code)
        self.code = code  # a ValidationError built from a dict of fields keeps no code of its own


def rule_version_in_use_message(entries: int) -> str:
    return _("该计分标准版本已有 %(n)d 条录入按其计分，每单位积分和生效日期不能再修改，也不能删除；"
             "要调整，请新增一个从某日起生效的版本（该日起的录入将按新标准重新计分）。") % {"n": entries}


def rule_direction_in_use_message() -> str:
    return _("该计分规则已有录入，不能改变加/扣分；请新建一条规则。")


def rule_version_check(*, version: RuleVersion) -> None:
    """Raises RuleVersionInUse when saving ``version`` (a new one, or a stored one with changed values)
    breaks the rule: a stored version that covers entries keeps its date and points per unit, a changed
    date must not take over entries either, and a new version must not reprice a signed-off month. For
    the services below and for the admin's forms (so staff get the message on the form)."""
    if version.pk is None:
        _refuse_signed_off(version)
        return
    stored = RuleVersion.objects.get(pk=version.pk)
    if (version.effective_from, version.points_per_unit) == (stored.effective_from, stored.points_per_unit):
        return
    entries = stored.covered_entries().count()
    if entries:
        raise RuleVersionInUse(rule_version_in_use_message(entries), code="version_in_use")
    if version.effective_from != stored.effective_from:
        # A version that priced nothing, moved onto days with entries: those are priced by another version,
        # and moving a date reprices nothing (rule_version_add does), so their points would no longer be
        # this rule's. Said as such: it is not "this version has entries", which it has not.
        taken = version.covered_entries().aggregate(n=Count("*"), first=Min("work_date"), last=Max("work_date"))
        if taken["n"]:
            days = (display_date(taken["first"]) if taken["first"] == taken["last"] else _("%(first)s 至 %(last)s") % {
                "first": display_date(taken["first"]), "last": display_date(taken["last"])})
            raise RuleVersionInUse({"effective_from": _(
                "本版本还没有按其计分的录入，但生效日期改为 %(day)s 后，%(days)s 已按其他版本计分的 %(n)s 条录入"
                "将归本版本，而改日期不会给它们重新计分。请选择这些录入之后的日期；如要它们按新标准计分，"
                "请新增一个从该日起生效的版本（保存时会重新计分）。") % {
                    "day": display_date(version.effective_from), "days": days, "n": format_count(taken["n"])}},
                code="date_takes_entries")


def _refuse_signed_off(version: RuleVersion) -> None:
    """A new version reprices its span: refused when a month of that span is signed off for the rule's
    business system (a signed-off month changes only through the audited reopen)."""
    start, until = version.covered_span()
    rule = version.rule
    signed = (ReviewPeriod.objects.signed_off().overlapping(start, until - timedelta(days=1))
              .filter(competition_id=rule.competition_id, business_system_id=rule.job_type.business_system_id)
              .order_by("month").select_related("business_system").first())
    if signed is not None:
        raise RuleVersionInUse(
            {"effective_from": _("%(system)s %(month)s 已签发锁定，新标准不能从该月或更早生效；请选择签发月份之后的"
                                 "日期，或先解锁该月。") % {"system": signed.business_system.name,
                                                          "month": display_month(signed.month)}},
            code="month_locked")


@transaction.atomic
def rule_version_add(*, actor, rule: ScoringRule, effective_from: date, points_per_unit: Decimal,
                     daily_cap: Decimal | None = None) -> tuple[RuleVersion, int]:
    """A new rate for ``rule`` from ``effective_from``: saves the version and reprices the entries it covers
    (those dated from then on, up to the next version) with an audit fact each, in one transaction.
    Returns the version and how many entries changed points. Refused (RuleVersionInUse) when that span
    includes a signed-off month; ValidationError for an invalid version (a date outside the competition,
    a second version on one day)."""
    # One change of a rule's versions at a time: two at once could each reprice by a span the other moves.
    rule = ScoringRule.objects.select_for_update().select_related("job_type", "competition").get(pk=rule.pk)
    version = RuleVersion(rule=rule, effective_from=effective_from, points_per_unit=points_per_unit,
                          daily_cap=daily_cap)
    version.full_clean()
    rule_version_check(version=version)
    with connection.cursor() as cursor:
        # The claim the database guard asks for before a version may cover entries: they are repriced below.
        cursor.execute("SELECT set_config(%s, %s, true)", [RESCORE_CLAIM, str(rule.pk)])
        version.save()
        cursor.execute("SELECT set_config(%s, '', true)", [RESCORE_CLAIM])
    # The day as it always read here (2026-11-05), in either language.
    reason = StoredText(gettext_noop("计分标准调整：自%(day)s起每单位积分为%(points)s"), {
        "day": effective_from.isoformat(), "points": format(points_per_unit.normalize(), "f")})
    rescored = entries_rescore(actor=actor, version=version, reason=reason)
    logger.info("rule %s: version from %s by user %s repriced %s entries", rule.pk, effective_from,
                getattr(actor, "pk", None), rescored)
    return version, rescored


@transaction.atomic
def rule_version_change(*, actor, version: RuleVersion, effective_from: date, points_per_unit: Decimal,
                        daily_cap: Decimal | None) -> RuleVersion:
    """Saves changes to an existing version. Its daily cap may always change (it bounds the entries still
    to come); its date and points per unit only while it covers no entries, and a date only to one whose
    span covers none either (otherwise: RuleVersionInUse; a new rate is rule_version_add)."""
    ScoringRule.objects.select_for_update().filter(pk=version.rule_id).first()
    stored = RuleVersion.objects.select_related("rule__competition").get(pk=version.pk)
    stored.effective_from, stored.points_per_unit, stored.daily_cap = effective_from, points_per_unit, daily_cap
    stored.full_clean()
    rule_version_check(version=stored)
    stored.save()
    logger.info("rule version %s changed by user %s", stored.pk, getattr(actor, "pk", None))
    return stored


def rule_direction_check(*, rule: ScoringRule) -> None:
    """Refuses (RuleVersionInUse) a changed direction of a rule with entries: they were priced with the old
    sign. For the admin and the import, before they save the rule."""
    if rule.pk is None:
        return
    stored = ScoringRule.objects.filter(pk=rule.pk).values_list("direction", flat=True).first()
    if stored is not None and stored != rule.direction and WorkEntry.objects.filter(rule_id=rule.pk).exists():
        raise RuleVersionInUse({"direction": rule_direction_in_use_message()}, code="direction_in_use")
