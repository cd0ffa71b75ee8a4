"""Celery tasks for the standings. Thin: take ids, call one service, exit cleanly if the object is gone."""

from __future__ import annotations

import logging
from datetime import date, time

from celery import shared_task
from django.db import DatabaseError
from django.utils import timezone

from competitions.models import Competition, CompetitionStatus
from competitions.services import standings_compact_all, standings_day_for, standings_recompute

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


@shared_task(
    name="competitions.tasks.standings_recompute_task",
    ignore_result=True,
    # The recompute replaces its (competition, day) rows in one transaction and is idempotent, so a
    # message redelivered after a worker died mid-run is safe to run again: acknowledge late.
    acks_late=True,
    reject_on_worker_lost=True,
    # Deadlocks, serialization failures, a restarted server: try again later, backing off.
    autoretry_for=(DatabaseError,),
    retry_backoff=10,
    retry_backoff_max=600,
    retry_jitter=True,
    max_retries=5,
)
def standings_recompute_task(competition_id: int, day: str, full: bool = False, trigger: str = "manual") -> int | None:
    competition = Competition.objects.filter(pk=competition_id).first()
    if competition is None:
        logger.info("standings: competition %s is gone; nothing to do", competition_id)
        return None
    run = standings_recompute(competition=competition, day=date.fromisoformat(day), full=full, trigger=trigger)
    return run.pk


@shared_task(
    name="competitions.tasks.compact_standings",
    ignore_result=True,
    # Each month is merged in its own transaction and a merged month is not merged again: safe to redeliver.
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(DatabaseError,),
    retry_backoff=60,
    retry_backoff_max=1800,
    retry_jitter=True,
    max_retries=5,
)
def compact_standings() -> dict[int, list[str] | None]:
    """Beat entry point, monthly: merges every competition's finished months of daily standings into one
    partition each (services.standings_compact). Competitions are done one after the other; one whose lock
    a run holds is left for the next month's compaction (None in the result)."""
    return {competition_id: None if months is None else [f"{m:%Y-%m}" for m in months]
            for competition_id, months in standings_compact_all().items()}
