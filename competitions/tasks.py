"""Celery tasks for the standings. Thin: take ids, call one service, exit cleanly if the object is gone."""

from __future__ import annotations

import logging
from datetime import date, time

from celery import shared_task
from django.utils import timezone

from competitions.models import Competition, CompetitionStatus, StandingDay
from competitions.services import (
    standings_compact_all,
    standings_day_for,
    standings_recompute,
    standings_runs_mark_dead,
)
from competitions.verify import verify_day
from config.months import format_month
from config.tasks import db_task

logger = logging.getLogger(__name__)

# Intraday runs compute *today*; before this local time they would move the totals past yesterday
# before the 01:00 nightly run has computed it, which then could not go incremental. The night belongs
# to the nightly run.
INTRADAY_NOT_BEFORE = time(2, 0)


@shared_task(name="competitions.tasks.recompute_active_competitions", ignore_result=True)
def recompute_active_competitions(intraday: bool = False) -> list[int]:
    """Beat entry point: one recompute task per active competition running on the day."""
    if intraday and timezone.localtime().time() < INTRADAY_NOT_BEFORE:
        return []
    day = standings_day_for(intraday=intraday)
    ids = list(Competition.objects.filter(status=CompetitionStatus.ACTIVE, start_date__lte=day, end_date__gte=day)
               .values_list("pk", flat=True))
    trigger = "intraday" if intraday else "nightly"
    for competition_id in ids:
        standings_recompute_task.delay(competition_id, day.isoformat(), trigger=trigger)
    return ids


# The recompute replaces its (competition, day) rows in one transaction: a redelivered message is safe.
@db_task(name="competitions.tasks.standings_recompute_task")
def standings_recompute_task(competition_id: int, day: str, full: bool = False, trigger: str = "manual",
                             requested_by_id: int | None = None, reason: str = "") -> int | None:
    competition = Competition.objects.filter(pk=competition_id).first()
    if competition is None:
        logger.info("standings: competition %s is gone; nothing to do", competition_id)
        return None
    run = standings_recompute(competition=competition, day=date.fromisoformat(day), full=full, trigger=trigger,
                              requested_by_id=requested_by_id, reason=reason)
    return run.pk


# Each month is merged in its own transaction and a merged month is not merged again: safe to redeliver.
# It runs once a month and rewrites whole partitions under the standings lock, so it backs off for longer
# than a recompute: a nightly run holding the lock is given time to finish.
@db_task(name="competitions.tasks.compact_standings", retry_backoff=60, retry_backoff_max=1800)
def compact_standings() -> dict[int, list[str] | None]:
    """Beat entry point, monthly: merges every competition's finished months of daily standings into one
    partition each (services.standings_compact). Competitions are done one after the other; one whose lock
    a run holds is left for the next month's compaction (None in the result)."""
    return {competition_id: None if months is None else [format_month(m) for m in months]
            for competition_id, months in standings_compact_all().items()}


# Marking is idempotent (only rows still "running" whose process is gone): safe to redeliver.
@db_task(name="competitions.tasks.mark_dead_standings_runs")
def mark_dead_standings_runs() -> list[int]:
    """Beat entry point: runs left "running" by a process that died are marked failed
    (services.standings_runs_mark_dead), also for competitions that no run has started since."""
    return standings_runs_mark_dead()


# A snapshot is computed in one transaction and a ready one is left alone: safe to redeliver, and a retry
# after a database error computes a failed one again.
@db_task(name="competitions.tasks.period_snapshot_task")
def period_snapshot_task(snapshot_id: int) -> int | None:
    """Computes a period snapshot requested from a page (standings.periods.request_period_snapshot)."""
    from competitions.models import PeriodSnapshot
    from competitions.standings.periods import period_snapshot_fill

    snapshot = PeriodSnapshot.objects.filter(pk=snapshot_id).first()
    if snapshot is None:
        logger.info("period snapshot %s is gone; nothing to do", snapshot_id)
        return None
    return period_snapshot_fill(snapshot=snapshot).rows


@shared_task(name="competitions.tasks.verify_latest_standings", ignore_result=True)
def verify_latest_standings() -> list[int]:
    """Beat entry point, weekly: one verification (verify_standings_task) of the latest published day of
    every active competition."""
    ids = list(Competition.objects.filter(status=CompetitionStatus.ACTIVE).values_list("pk", flat=True))
    latest = dict(StandingDay.objects.filter(competition_id__in=ids).order_by("competition_id", "-day")
                  .distinct("competition_id").values_list("competition_id", "day"))
    for competition_id, day in latest.items():
        verify_standings_task.delay(competition_id, day.isoformat(), trigger="weekly")
    return list(latest)


# A verification only reads the standings and records its own outcome: a redelivered message records a
# second verification of the same day, nothing else.
@db_task(name="competitions.tasks.verify_standings_task")
def verify_standings_task(competition_id: int, day: str, trigger: str = "manual") -> int | None:
    if not Competition.objects.filter(pk=competition_id).exists():
        logger.info("standings verification: competition %s is gone; nothing to do", competition_id)
        return None
    return verify_day(competition_id=competition_id, day=date.fromisoformat(day), trigger=trigger).pk

# A redelivered message finds its job running and runs it again from the start (the file is written anew);
# a finished job is left alone (competitions.jobs.job_run), and so is one marked failed because its process
# died (fail_stale_jobs): its person was told to start it again, and a second run would do the work twice.
@db_task(name="competitions.tasks.run_job")
def run_job(job_id: int) -> None:
    """A background job (competitions.jobs): an export, an import, an approval; its page shows the progress."""
    from competitions.jobs import job_run

    job_run(job_id=job_id)


# A run that already ended is left as it is (jobs.shortlist_run), and generating replaces the round's
# shortlist in one transaction: safe to redeliver.
@db_task(name="competitions.tasks.honours_shortlist_task")
def honours_shortlist_task(run_id: int) -> str | None:
    from competitions.honours.jobs import shortlist_run

    run = shortlist_run(run_id=run_id)
    return None if run is None else run.status


# A stored file is never rebuilt (documents.documents_build): safe to redeliver.
@db_task(name="competitions.tasks.honours_documents_task")
def honours_documents_task(documents_id: int) -> str | None:
    from competitions.honours.documents import documents_build

    documents = documents_build(documents_id=documents_id)
    return None if documents is None else documents.status


@shared_task(name="competitions.tasks.refresh_dashboards", ignore_result=True)
def refresh_dashboards() -> list[int]:
    """Beat entry point: the stored dashboard figures of every active competition recomputed
    (dashboard_refresh_task, one per competition)."""
    ids = list(Competition.objects.filter(status=CompetitionStatus.ACTIVE).values_list("pk", flat=True))
    for competition_id in ids:
        dashboard_refresh_task.delay(competition_id)
    return ids


# A refresh replaces the competition's one row of figures with complete ones: safe to redeliver.
@db_task(name="competitions.tasks.dashboard_refresh_task")
def dashboard_refresh_task(competition_id: int) -> int | None:
    from competitions.dashboard import dashboard_refresh

    competition = Competition.objects.filter(pk=competition_id).first()
    if competition is None:
        logger.info("dashboard: competition %s is gone; nothing to do", competition_id)
        return None
    return dashboard_refresh(competition=competition).pk


# Marking is one conditional UPDATE of jobs still running: safe to redeliver.
@db_task(name="competitions.tasks.fail_stale_jobs")
def fail_stale_jobs() -> int:
    """Beat entry point: background jobs left running by a process that died (no heartbeat for
    JOB_STALE_MINUTES) are marked failed, so their people can start them again (competitions.jobs)."""
    from competitions.jobs import jobs_fail_stale

    return jobs_fail_stale()
