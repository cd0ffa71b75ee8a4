"""Thin Celery tasks for reviews: load ids, call one service, exit quietly if the data is gone."""

from datetime import date

from django.core.cache import cache

from config.tasks import db_task
from reviews.flags import flags_refresh, flags_sweep

FLAG_DELAY_SECONDS = 60


def flag_key(competition_id: int, business_system_id: int, month: str) -> str:
    return f"reviews:flag-scheduled:{competition_id}:{business_system_id}:{month}"


# Idempotent (recomputes the month's flags from scratch), so a redelivery or a retry is harmless.
@db_task(name="reviews.tasks.flag_entries")
def flag_entries(competition_id: int, business_system_id: int, month: str) -> int:
    # Release the debounce key first: entries written while this runs schedule the next recompute.
    cache.delete(flag_key(competition_id, business_system_id, month))
    return flags_refresh(competition_id=competition_id, business_system_id=business_system_id,
                         month=date.fromisoformat(month))


# The months whose scheduled recompute was never sent (Redis was down when the entries were saved)
# or never ran: recomputed here, from the FlagsDue rows the writes committed.
@db_task(name="reviews.tasks.sweep_flags")
def sweep_flags() -> int:
    return flags_sweep()


# Read-only: counts a month's review progress again into the cache (reviews.reports); a redelivery counts again.
@db_task(name="reviews.tasks.refresh_review_progress")
def refresh_review_progress(competition_id: int, business_system_id: int, month: str) -> None:
    from reviews.reports import review_progress_refresh

    review_progress_refresh(competition_id=competition_id, system_id=business_system_id,
                            month=date.fromisoformat(month))


# Creates this month's and the next months' partitions of the entries table (reviews.partitions) before
# anyone enters work in them; a catalog query and nothing else when they exist. Idempotent.
@db_task(name="reviews.tasks.create_entry_partitions")
def create_entry_partitions() -> int:
    from django.utils import timezone

    from reviews.partitions import entry_partitions_ensure, months_ahead

    return len(entry_partitions_ensure(months_ahead(timezone.localdate())))
