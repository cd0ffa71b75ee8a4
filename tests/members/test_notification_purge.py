"""Old messages are deleted (members.notifications.notifications_purge): read ones after NOTIFICATION_KEEP_DAYS,
unread ones after NOTIFICATION_UNREAD_KEEP_DAYS, in batches of bounded size, and nothing younger."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from members import notifications, tasks
from members.models import Notification, NotificationKind

pytestmark = pytest.mark.django_db


def message(user, *, days_old: float, read: bool) -> Notification:
    sent = timezone.now() - timedelta(days=days_old)
    return Notification.objects.create(recipient=user, kind=NotificationKind.SIGN_OFF_DUE, title=f"{days_old} 天前",
                                       created_at=sent, read_at=sent + timedelta(hours=1) if read else None)


def test_read_messages_go_after_the_keep_days_and_unread_ones_after_the_longer_bound(w, settings):
    settings.NOTIFICATION_KEEP_DAYS, settings.NOTIFICATION_UNREAD_KEEP_DAYS = 90, 365
    # given messages in the order they were sent (ids follow), the ones to go mixed among ones that stay
    ancient_unread = message(w.alice_user, days_old=400, read=False)
    old_read = message(w.alice_user, days_old=200, read=True)
    old_unread = message(w.clerk, days_old=200, read=False)
    just_old_read = message(w.clerk, days_old=91, read=True)
    just_young_read = message(w.clerk, days_old=89, read=True)
    young_unread = message(w.alice_user, days_old=1, read=False)
    young_read = message(w.reviewer, days_old=0, read=True)

    # when the daily task runs
    assert tasks.purge_notifications.apply().get() == 3

    # then the read ones older than 90 days and the unread one older than 365 are gone, nothing else
    assert set(Notification.objects.values_list("pk", flat=True)) == {
        m.pk for m in (old_unread, just_young_read, young_unread, young_read)}
    assert not Notification.objects.filter(pk__in=[ancient_unread.pk, old_read.pk, just_old_read.pk]).exists()
    # and a second run finds nothing
    assert notifications.notifications_purge() == 0


def test_the_purge_deletes_in_batches_of_bounded_size_and_reads_past_the_messages_it_keeps(w, settings):
    settings.NOTIFICATION_KEEP_DAYS, settings.NOTIFICATION_UNREAD_KEEP_DAYS = 90, 365
    # given seven old read messages, with old unread ones (kept) between them, then young ones
    doomed, kept = [], []
    for n in range(7):
        doomed.append(message(w.clerk, days_old=300 - n, read=True))
        if n % 3 == 0:
            kept.append(message(w.clerk, days_old=300 - n, read=False))
    kept += [message(w.clerk, days_old=5, read=True), message(w.alice_user, days_old=5, read=False)]

    # when the purge runs three rows at a time
    with CaptureQueriesContext(connection) as queries:
        deleted = notifications.notifications_purge(batch=3)

    # then every old read message went, in three deleting statements (3 + 3 + 1), none of them unbounded
    statements = [q["sql"] for q in queries.captured_queries if "DELETE FROM" in q["sql"]]
    assert deleted == 7 and len(statements) == 3
    assert all("LIMIT 3" in s for s in statements), statements
    assert sorted(Notification.objects.values_list("pk", flat=True)) == sorted(m.pk for m in kept)


def test_nothing_to_purge_costs_two_statements(w, settings, django_assert_max_num_queries):
    message(w.clerk, days_old=1, read=True)
    with django_assert_max_num_queries(2):
        assert notifications.notifications_purge() == 0
    assert Notification.objects.count() == 1


def test_the_purge_is_in_the_beat_schedule_daily():
    from django.conf import settings

    entry = settings.CELERY_BEAT_SCHEDULE["notifications-purge"]
    assert entry["task"] == tasks.purge_notifications.name and entry["options"]["expires"] < 24 * 60 * 60
