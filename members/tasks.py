"""Thin Celery tasks for notifications: load ids, call one service, exit quietly if the data is gone."""

from __future__ import annotations

import logging

from django.utils import timezone

from config import wecom
from config.tasks import db_task, outbound_task
from members import notifications

logger = logging.getLogger(__name__)


# Idempotent (one message per person and round), so a redelivery or a retry writes nothing twice.
@db_task(name="members.tasks.public_notice_notify")
def public_notice_notify(round_id: int) -> int:
    return notifications.public_notice_opened(round_id=round_id)


@db_task(name="members.tasks.sign_off_due_notify")
def sign_off_due_notify() -> int:
    return notifications.sign_off_due()


@db_task(name="members.tasks.rank_digest_notify")
def rank_digest_notify() -> int:
    return notifications.rank_digest()


# Deleting old messages again deletes nothing more: safe to redeliver, and a run stopped half-way has
# committed the batches it deleted.
@db_task(name="members.tasks.purge_notifications")
def purge_notifications() -> int:
    """Beat entry point, daily: old messages deleted (notifications.notifications_purge)."""
    return notifications.notifications_purge()


@outbound_task(name="members.tasks.wecom_send", retry_for=(wecom.WecomRetry,))
def wecom_send(robot_id: int, title: str, body: str, link: str = "") -> bool:
    """One message to one depot's group robot. The URL is read here, never passed in the task's arguments
    (they are logged and kept by the broker), and the robot's last outcome is recorded for the admin."""
    from members.models import WecomRobot

    robot = WecomRobot.objects.filter(pk=robot_id, enabled=True).first()
    if robot is None:
        return False  # deleted or switched off since
    try:
        wecom.send(robot.url, wecom.markdown_message(title, body, link))
    except wecom.WecomError as error:
        # Only the failure's name: the robot's key is in its URL.
        WecomRobot.objects.filter(pk=robot_id).update(last_error=str(error)[:200], last_error_at=timezone.now())
        logger.warning("wecom robot %s: %s", robot_id, error)
        raise
    WecomRobot.objects.filter(pk=robot_id).update(last_sent_at=timezone.now(), last_error="")
    return True


# Read-only: counts a statistics page's figures again into the cache (members.statistics); a redelivery
# counts again.
@db_task(name="members.tasks.refresh_statistics")
def refresh_statistics(page: str, year: int | None = None) -> None:
    from members.statistics import page_figures_refresh

    page_figures_refresh(page=page, year=year)
