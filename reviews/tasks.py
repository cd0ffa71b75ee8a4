"""Thin Celery tasks for reviews: load ids, call one service, exit quietly if the data is gone."""

from datetime import date

from celery import shared_task

from reviews.flags import entries_flag


@shared_task(name="reviews.tasks.flag_entries", ignore_result=True, acks_late=True)
def flag_entries(competition_id: int, business_system_id: int, month: str) -> int:
    # Idempotent (recomputes the month's flags from scratch), so a redelivery after a crash is harmless.
    return entries_flag(competition_id=competition_id, business_system_id=business_system_id,
                        month=date.fromisoformat(month))
