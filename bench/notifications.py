"""Notifications benchmark at seed scale: the fan-outs and the unread count. Prints figures; not part of the
test suite.

    su postgres -c "createdb -O portal portal_notifications"
    export DATABASE_URL=postgres://portal:portal@127.0.0.1:5432/portal_notifications
    .venv/bin/python manage.py migrate
    .venv/bin/python bench/notifications.py --workers 223000

Data: the standings benchmark's set-based generator (bench/standings.py: business systems, job types, ~900
units, the workers, one competition with rules), plus an account for every worker. Figures printed:
  * a 公示 opened for every worker taking part (members.notifications.public_notice_opened: one
    INSERT … SELECT, run in a Celery task, never in a request): its time and rows a second, and the time of
    running it again (a redelivered task: every row a conflict, nothing written);
  * the weekly digest for every worker opted in, when the database has standings (bench/standings.py's);
  * the unread count the navigation shows on every page (members.notifications.unread_count), for a person
    with no unread messages, with 50 and with 5,000 (it stops counting at 100): median of 200 calls;
  * marking 5,000 messages read at once.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import reverse  # noqa: E402
from django.utils import timezone  # noqa: E402

from bench import standings as bench  # noqa: E402 (sets Django up, before the project's imports below)
from competitions.honours.models import AwardRound, RoundStatus  # noqa: E402
from competitions.models import Competition, PeriodSnapshot, SnapshotStatus, StandingDay  # noqa: E402
from members import notifications  # noqa: E402
from members.models import Notification, NotificationKind, User  # noqa: E402


def accounts() -> int:
    """An account for every worker without one (set-based), as if all of them had logged in once."""
    made = bench.sql("""
        INSERT INTO members_user (password, is_superuser, username, first_name, last_name, email, is_staff,
                                  is_active, date_joined, must_change_password)
        SELECT '!', false, w.employee_no, '', '', '', false, true, now(), false
        FROM members_worker w WHERE w.user_id IS NULL
        ON CONFLICT (username) DO NOTHING""")
    bench.sql("""UPDATE members_worker w SET user_id = u.id FROM members_user u
                 WHERE w.user_id IS NULL AND u.username = w.employee_no""")
    return made


def publicized_round(competition: Competition) -> AwardRound:
    now = timezone.now()
    snapshot = PeriodSnapshot.objects.create(competition=competition, start=competition.start_date,
                                             end=competition.start_date + timedelta(days=89), signed_off_only=True,
                                             status=SnapshotStatus.READY, computed_at=now, rows=0, digest="0" * 64)
    return AwardRound.objects.create(competition=competition, name="一季度先进个人 (bench)", status=RoundStatus.PUBLICIZED,
                                     basis_start=snapshot.start, basis_end=snapshot.end, quota_total=30,
                                     snapshot=snapshot, snapshot_digest=snapshot.digest, publicity_days=7,
                                     publicity_start=now, publicity_end=now + timedelta(days=7))


def median_ms(fn, *args, times: int = 200) -> float:
    samples = []
    for _ in range(times):
        t0 = time.perf_counter()
        fn(*args)
        samples.append((time.perf_counter() - t0) * 1000)
    return statistics.median(samples)


def database_ms(fn, *args) -> float:
    """PostgreSQL's planning and execution time of the one statement ``fn`` sends (EXPLAIN ANALYZE of it)."""
    with CaptureQueriesContext(connection) as captured:
        fn(*args)
    [query] = captured.captured_queries
    plan = "\n".join(row[0] for row in bench.sql("EXPLAIN ANALYZE " + query["sql"]))
    return sum(float(re.search(rf"{phase} Time: ([\d.]+) ms", plan).group(1)) for phase in ("Planning", "Execution"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=223_000)
    args = parser.parse_args()

    competition = Competition.objects.filter(name="轨道上的京津冀 (bench)").order_by("id").first()
    if competition is None:
        seconds, cid = bench.timed(bench.generate_shape, args.workers)
        competition = Competition.objects.get(pk=cid)
        print(f"shape built in {seconds:.1f} s")
    seconds, made = bench.timed(accounts)
    if made:
        bench.sql("VACUUM (ANALYZE)")
        print(f"{made:,} accounts made in {seconds:.1f} s")
    audience = bench.sql("SELECT count(*) FROM members_worker WHERE user_id IS NOT NULL")[0][0]
    print(f"competition {competition.pk}: {audience:,} workers with an account")

    # A Celery worker has its URL conf loaded after its first task (every view module imported: seconds);
    # the figures below are for a warm worker.
    reverse("home")

    # 公示 opened: the whole competition.
    Notification.objects.filter(kind=NotificationKind.PUBLIC_NOTICE).delete()
    round_ = publicized_round(competition)
    seconds, written = bench.timed(notifications.public_notice_opened, round_id=round_.pk)
    print(f"公示 fan-out: {written:,} messages in {seconds:.2f} s ({written / seconds:,.0f} rows/s)")
    seconds, again = bench.timed(notifications.public_notice_opened, round_id=round_.pk)
    print(f"公示 fan-out again (redelivered task): {again} written in {seconds:.2f} s")

    # The weekly digest, where the database has standings.
    if StandingDay.objects.filter(competition=competition).exists():
        bench.sql("""INSERT INTO members_notificationpreference (user_id, weekly_digest, updated_at)
                     SELECT user_id, true, now() FROM members_worker WHERE user_id IS NOT NULL
                     ON CONFLICT (user_id) DO UPDATE SET weekly_digest = true""")
        Notification.objects.filter(kind=NotificationKind.RANK_DIGEST).delete()
        seconds, written = bench.timed(notifications.rank_digest)
        print(f"weekly digest: {written:,} messages in {seconds:.2f} s")
    else:
        print("weekly digest: skipped (no standings in this database; bench/standings.py builds them)")

    # The unread count, as the navigation asks for it on every page.
    bench.sql("VACUUM (ANALYZE) members_notification")
    users = list(User.objects.filter(worker__isnull=False).order_by("id").values_list("pk", flat=True)[:3])
    nobody, some, lots = (User.objects.get(pk=pk) for pk in users)
    Notification.objects.filter(recipient__in=[nobody, some, lots]).update(read_at=timezone.now())
    for user, n in ((some, 50), (lots, 5000)):
        Notification.objects.bulk_create([Notification(recipient=user, kind=NotificationKind.ENTRIES_REJECTED,
                                                       title=f"bench {i}") for i in range(n)], batch_size=2000)
    bench.sql("VACUUM (ANALYZE) members_notification")
    for label, user in (("none", nobody), ("50", some), ("5,000", lots)):
        print(f"unread count, {label} unread: {median_ms(notifications.unread_count, user):.2f} ms in Django, "
              f"{database_ms(notifications.unread_count, user):.3f} ms in PostgreSQL "
              f"(shows {notifications.unread_count(user)})")
    seconds, marked = bench.timed(notifications.notifications_mark_all_read, user=lots)
    print(f"mark all read: {marked:,} messages in {seconds * 1000:.0f} ms")
    total = Notification.objects.count()
    size = bench.sql("SELECT pg_size_pretty(pg_total_relation_size('members_notification'))")[0][0]
    print(f"members_notification: {total:,} rows, {size} with its indexes")


if __name__ == "__main__":
    main()
