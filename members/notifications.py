"""Notifications: what the portal tells a person, in the message centre (消息中心), the navigation's unread
count and the API; and what a depot's 企业微信 group robot relays (config.wecom).

Who is told what:

* entries rejected → the clerk who entered them: one message per clerk and rejection (a batch of 37 is
  "您录入的 37 条被驳回"), written by the review workflow (reviews.workflow) from the same statement's counts;
* a dispute answered → the worker who raised it;
* an objection to a 公示 answered → the person who raised it;
* a month due for sign-off → the reviewers of the business system, once per month and system (daily beat);
* a 公示 opened → every worker taking part in the competition who has an account (up to 223,000): one
  ``INSERT … SELECT`` in a Celery task sent when the publishing transaction commits;
* the weekly rank change digest → each worker who opted in (NotificationPreference): one ``INSERT … SELECT``
  from the standings per competition (weekly beat).

Why a row per recipient rather than one broadcast row with per-person read markers: the unread count shown
on every page stays one probe of a partial index on the person's unread rows, and "read" is a column;
a broadcast would make every page count the broadcasts the person is in the audience of (a join through
the worker, the job type and the scoring rules) minus their read markers. The price is the fan-out's
rows, written set-based in the background (bench/notifications.py prints its time at seed scale).

A message is shown in its reader's language: each event stores its facts (Notification.params: a count, a
day, a reason) and ``shown_text`` words them for the kind (``_texts``) when the message is read, in the
page's or the API request's language. The title and body are also stored, worded in the portal's language
(Chinese), for the admin, the depots' robots and the messages written before the facts were kept.

Messages are not kept for ever (a 公示 alone writes 223,000 rows): read ones go NOTIFICATION_KEEP_DAYS
after they were sent, unread ones NOTIFICATION_UNREAD_KEEP_DAYS after (notifications_purge, a daily beat).
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from typing import NamedTuple

from django.conf import settings
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.utils.translation import ngettext
from psycopg import sql

from competitions.standings import database
from config.formatting import POINTS_SQL_FORMAT, display_date, display_month, format_count
from config.tasks import send_on_commit
from members.models import (
    WECOM_KINDS,
    Notification,
    NotificationKind,
    NotificationPreference,
    User,
    WecomRobot,
)

K = NotificationKind

# The navigation shows at most this many ("99+" beyond): the count stops reading there, so a person with
# thousands of unread messages costs the page no more than one with a hundred.
UNREAD_SHOWN = 99


def _language():
    return translation.override(settings.LANGUAGE_CODE)


class MessageText(NamedTuple):
    title: str
    body: str


# The weekly digest's body, by how the worker's overall rank moved: the same text is PostgreSQL's format()
# string when the digest is written (rank_digest) and Python's when it is shown (positional %s in both).
DIGEST_BODIES = {
    "up": _lazy("总排名第 %s 名，比上周上升 %s 名；累计积分 %s。"),
    "down": _lazy("总排名第 %s 名，比上周下降 %s 名；累计积分 %s。"),
    "same": _lazy("总排名第 %s 名，与上周持平；累计积分 %s。"),
    "new": _lazy("总排名第 %s 名（上周未上榜）；累计积分 %s。"),
}


def _texts(kind: str, facts: dict) -> MessageText:
    """What a message of ``kind`` says about ``facts`` (its Notification.params), in the active language.
    Raises KeyError, TypeError or ValueError for facts that do not fit the kind."""
    from reviews.models import DisputeStatus

    if kind == K.ENTRIES_REJECTED:
        n = int(facts["n"])
        return MessageText(ngettext("您录入的 %(n)s 条被驳回", "您录入的 %(n)s 条被驳回", n) % {"n": format_count(n)},
                           _("驳回原因：%(reason)s") % {"reason": facts["reason"]})
    if kind == K.DISPUTE_ANSWERED:
        return MessageText(_("您 %(day)s 的申诉已答复（%(status)s）") % {
            "day": display_date(date.fromisoformat(facts["day"])), "status": DisputeStatus(facts["status"]).label},
            str(facts["response"]))
    if kind == K.OBJECTION_ANSWERED:
        from competitions.honours.models import ObjectionStatus

        return MessageText(_("您对“%(round)s”提出的异议已答复（%(status)s）") % {
            "round": facts["round"], "status": ObjectionStatus(facts["status"]).label}, str(facts["answer"]))
    if kind == K.PUBLIC_NOTICE:
        return MessageText(_("%(round)s 公示开始") % {"round": facts["round"]},
                           _("公示至 %(end)s，如有异议可在公示期内提出。") % {
                               "end": display_date(date.fromisoformat(facts["end"]))})
    if kind == K.SIGN_OFF_DUE:
        month = display_month(date.fromisoformat(facts["month"]))
        return MessageText(_("%(month)s %(system)s 待签发") % {"month": month, "system": facts["system"]},
                           _("%(competition)s：%(month)s 已结束，请审核完待审录入后签发。") % {
                               "competition": facts["competition"], "month": month})
    if kind == K.RANK_DIGEST:
        numbers = (facts["rank"], facts["change"], facts["points"]) if facts["trend"] in ("up", "down") else (
            facts["rank"], facts["points"])
        body = str(DIGEST_BODIES[facts["trend"]]) % numbers
        return MessageText(_digest_title(date.fromisoformat(facts["day"])), body)
    raise ValueError(kind)


def _digest_title(day: date) -> str:
    return _("本周排名变化（截至 %(day)s）") % {"day": display_date(day)}


def written_text(kind: str, facts: dict) -> MessageText:
    """The stored title and body of a message: ``_texts`` in the portal's language, cut to the columns."""
    with _language():
        title, body = _texts(kind, facts)
    return MessageText(title[:200], body[:1000])


def shown_text(notification) -> MessageText:
    """A message's title and body in the reader's (the active) language, from its facts; a message without
    them (written before they were kept), or whose facts do not fit, shows its stored text."""
    if notification.params:
        try:
            return _texts(notification.kind, notification.params)
        except (KeyError, TypeError, ValueError):
            pass
    return MessageText(notification.title, notification.body)


def notify(*, recipient_ids, kind: str, facts: dict, link: str = "", key: str = "") -> int:
    """One message of ``kind`` about ``facts`` to each of ``recipient_ids`` (one statement); with ``key``, a
    person already told of the same event is not told again. Returns how many were written."""
    ids = sorted({int(i) for i in recipient_ids if i is not None})
    if not ids:
        return 0
    title, body = written_text(kind, facts)
    return database.execute(sql.SQL("""
        INSERT INTO {table} (recipient_id, kind, title, body, params, link, key, created_at)
        SELECT recipient, %(kind)s, %(title)s, %(body)s, %(params)s::jsonb, %(link)s, %(key)s, now()
        FROM unnest(%(ids)s::bigint[]) AS recipient
        ON CONFLICT (recipient_id, kind, key) WHERE NOT (key = '') DO NOTHING
    """).format(table=sql.Identifier(Notification._meta.db_table)),
        {"kind": kind, "title": title, "body": body, "params": json.dumps(facts, ensure_ascii=False),
         "link": link, "key": key, "ids": ids})


# -- the events ------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class RejectedBatch:
    """Entries one rejection moved: how many of those entered by ``clerk_id`` for workers under ``depot_id``."""

    clerk_id: int | None
    depot_id: int | None
    entries: int


def entries_rejected(*, batches: list[RejectedBatch], reason: str) -> None:
    """Called by the review workflow inside the rejecting transaction (so the messages are rolled back with
    it): each clerk is told how many of their entries were rejected and why; each depot's robot, how many
    of the depot's."""
    per_clerk: dict[int, int] = defaultdict(int)
    per_depot: dict[int, int] = defaultdict(int)
    for batch in batches:
        if batch.clerk_id is not None:
            per_clerk[batch.clerk_id] += batch.entries
        if batch.depot_id is not None:
            per_depot[batch.depot_id] += batch.entries
    link = reverse("entries:list") + "?status=rejected"
    rows = []
    for clerk, n in per_clerk.items():
        facts = {"n": n, "reason": reason}
        rows.append(Notification(recipient_id=clerk, kind=K.ENTRIES_REJECTED, link=link, params=facts,
                                 **written_text(K.ENTRIES_REJECTED, facts)._asdict()))
    Notification.objects.bulk_create(rows)
    with _language():
        body = _("驳回原因：%(reason)s") % {"reason": reason}
        for robot_id, depot_id in _robots(K.ENTRIES_REJECTED, depot_ids=per_depot):
            n = per_depot[depot_id]
            _wecom_send(robot_id, ngettext("本站段 %(n)s 条录入被驳回", "本站段 %(n)s 条录入被驳回", n)
                        % {"n": format_count(n)}, body, link)


def dispute_answered(*, dispute) -> None:
    """The worker who raised the dispute hears the clerk's answer (a worker without an account has no
    message centre)."""
    from members.models import Worker

    user_id = Worker.objects.filter(pk=dispute.worker_id).values_list("user_id", flat=True).first()
    if user_id is None:
        return
    # The link opens my entries at the disputed day (the page shows the days up to ``end``, newest first).
    notify(recipient_ids=[user_id], kind=K.DISPUTE_ANSWERED,
           link=f"{reverse('my_entries')}?end={dispute.work_date.isoformat()}",
           facts={"day": dispute.work_date.isoformat(), "status": dispute.status, "response": dispute.response})


def objection_answered(*, objection) -> None:
    """The person who raised an objection to a 公示 hears the answer (called in the answering transaction)."""
    notify(recipient_ids=[objection.raised_by_id], kind=K.OBJECTION_ANSWERED,
           link=reverse("honours_public:my_objections"),
           facts={"round": str(objection.round), "status": objection.status, "answer": objection.answer})


def public_notice_opened(*, round_id: int) -> int:
    """Every worker taking part in the round's competition, with an active account, is told that its 公示
    has opened: one INSERT … SELECT (run from a Celery task). Safe to run twice (one message per person
    and round). Returns how many were written."""
    from competitions.honours.models import AwardRound
    from members.models import Worker

    round_ = AwardRound.objects.filter(pk=round_id).first()
    if round_ is None or round_.publicity_end is None:
        return 0
    audience = (Worker.objects.taking_part_in(round_.competition_id)
                .filter(is_active=True, user__isnull=False, user__is_active=True).order_by().values("user_id"))
    return _insert_from(audience, kind=K.PUBLIC_NOTICE, key=f"round:{round_.pk}", facts=_public_notice(round_),
                        link=reverse("honours_public:public_round", args=[round_.pk]))


def public_notice_announce(*, round_) -> None:
    """The depots' robots that relay 公示 hear of a round's opening (sent after the publishing commit)."""
    wecom_announce(kind=K.PUBLIC_NOTICE, competition_id=round_.competition_id,
                   link=reverse("honours_public:public_round", args=[round_.pk]),
                   **written_text(K.PUBLIC_NOTICE, _public_notice(round_))._asdict())


def _public_notice(round_) -> dict:
    return {"round": str(round_), "end": timezone.localdate(round_.publicity_end).isoformat()}


def _insert_from(recipients, *, kind: str, facts: dict, link: str, key: str) -> int:
    """INSERT … SELECT: one message of ``kind`` about ``facts`` to each ``user_id`` the queryset
    ``recipients`` yields, once per key."""
    # The audience's SQL is Django's (positional parameters), so this statement's own values are positional too.
    select, params = recipients.query.sql_with_params()
    title, body = written_text(kind, facts)
    statement = sql.SQL("""
        INSERT INTO {table} (recipient_id, kind, title, body, params, link, key, created_at)
        SELECT audience.user_id, %s, %s, %s, %s::jsonb, %s, %s, now() FROM ({select}) AS audience
        ON CONFLICT (recipient_id, kind, key) WHERE NOT (key = '') DO NOTHING
    """).format(table=sql.Identifier(Notification._meta.db_table), select=sql.SQL(select))
    return database.send(database.render(statement),
                         [kind, title, body, json.dumps(facts, ensure_ascii=False), link, key, *params])


def sign_off_due(*, today: date | None = None) -> int:
    """The reviewers of every business system whose last month can be signed off and is not yet are told,
    once per month and system (the daily beat repeats harmlessly). Returns how many were written."""
    from competitions.models import BusinessSystem, Competition
    from config.months import month_of
    from reviews.models import ReviewPeriod
    from reviews.validation import local_today
    from reviews.workflow import sign_off_refusal

    today = today or local_today()
    month = month_of(month_of(today) - timedelta(days=1))
    written = 0
    for competition in Competition.objects.active():
        if sign_off_refusal(competition=competition, month=month, today=today) is not None:
            continue
        signed = ReviewPeriod.objects.signed_off().filter(competition=competition, month=month)
        systems = (BusinessSystem.objects.filter(job_types__rules__competition=competition).distinct()
                   .exclude(pk__in=signed.values("business_system_id")))
        for system in systems:
            reviewers = system.reviewers.filter(is_active=True).values_list("pk", flat=True)
            written += notify(
                recipient_ids=reviewers, kind=K.SIGN_OFF_DUE, key=f"{competition.pk}:{system.pk}:{month:%Y-%m}",
                link=reverse("review:queue") + f"?month={month:%Y-%m}&system={system.pk}",
                facts={"month": month.isoformat(), "system": system.name, "competition": competition.name})
    return written


def rank_digest(*, today: date | None = None) -> int:
    """The weekly rank change digest: each worker who opted in and is ranked on a competition's latest
    standings day hears their overall rank and its change since the standings day a week before. One
    INSERT … SELECT per active competition, from the standings; once per competition and day. Returns how
    many were written."""
    from competitions.models import Competition, StandingDay
    from members.models import Worker

    written = 0
    for competition in Competition.objects.active():
        days = StandingDay.objects.filter(competition=competition)
        if today is not None:
            days = days.filter(day__lte=today)
        latest = days.order_by("-day").values_list("day", flat=True).first()
        if latest is None:
            continue
        before = (days.filter(day__lte=latest - timedelta(days=7)).order_by("-day")
                  .values_list("day", flat=True).first())
        with _language():
            texts = {"title": _digest_title(latest), **{trend: str(text) for trend, text in DIGEST_BODIES.items()}}
        # The body is worded here in the portal's language; the facts (params) let it be worded again in the
        # reader's (shown_text).
        statement = sql.SQL("""
            INSERT INTO {notification} (recipient_id, kind, title, body, params, link, key, created_at)
            SELECT w.user_id, %(kind)s, %(title)s,
                   CASE moved.trend WHEN 'new' THEN format(%(new)s, s.rank_overall, shown.points)
                                    WHEN 'up' THEN format(%(up)s, s.rank_overall, moved.change, shown.points)
                                    WHEN 'down' THEN format(%(down)s, s.rank_overall, moved.change, shown.points)
                                    ELSE format(%(same)s, s.rank_overall, shown.points) END,
                   jsonb_build_object('day', %(day_text)s, 'trend', moved.trend, 'rank', s.rank_overall,
                                      'change', moved.change, 'points', shown.points),
                   %(link)s, %(key)s, now()
            FROM {preference} pref
            JOIN {user} u ON u.id = pref.user_id AND u.is_active
            JOIN {worker} w ON w.user_id = pref.user_id
            JOIN {standing} s ON s.competition_id = %(competition)s AND s.day = %(day)s AND s.worker_id = w.id
            LEFT JOIN {standing} p ON p.competition_id = %(competition)s AND p.day = %(before)s AND p.worker_id = w.id
            CROSS JOIN LATERAL (SELECT to_char(s.points, %(points_format)s) AS points) shown
            CROSS JOIN LATERAL (
                SELECT CASE WHEN p.rank_overall IS NULL THEN 'new' WHEN p.rank_overall > s.rank_overall THEN 'up'
                            WHEN p.rank_overall < s.rank_overall THEN 'down' ELSE 'same' END AS trend,
                       abs(p.rank_overall - s.rank_overall) AS change) moved
            WHERE pref.weekly_digest
            ON CONFLICT (recipient_id, kind, key) WHERE NOT (key = '') DO NOTHING
        """).format(notification=sql.Identifier(Notification._meta.db_table),
                    preference=sql.Identifier(NotificationPreference._meta.db_table),
                    user=sql.Identifier(User._meta.db_table),
                    worker=sql.Identifier(Worker._meta.db_table), standing=sql.Identifier("competitions_standing"))
        written += database.execute(statement, {
            **texts, "kind": K.RANK_DIGEST, "key": f"{competition.pk}:{latest.isoformat()}",
            "points_format": POINTS_SQL_FORMAT, "link": reverse("me"), "day_text": latest.isoformat(),
            "competition": competition.pk, "day": latest, "before": before})
    return written


# -- reading and marking -----------------------------------------------------------------------------------

def unread_count(user) -> int:
    """How many unread messages a person has, up to UNREAD_SHOWN + 1 (the navigation shows "99+"): one
    query that reads no further than that in the partial index of unread rows."""
    if user is None or not getattr(user, "is_authenticated", False):
        return 0
    return Notification.objects.visible_to(user).unread().order_by()[:UNREAD_SHOWN + 1].count()


def notifications_mark_read(*, user, ids) -> int:
    """Marks some of a person's messages read (others' ids are ignored, as are already read ones)."""
    ids = [int(i) for i in ids]
    if not ids:
        return 0
    return Notification.objects.visible_to(user).unread().filter(pk__in=ids).update(read_at=timezone.now())


def notifications_mark_all_read(*, user) -> int:
    return Notification.objects.visible_to(user).unread().update(read_at=timezone.now())


# Rows deleted per statement by notifications_purge: each batch is its own short transaction, so a first
# clean-up of millions of old messages never holds locks, or keeps WAL and dead rows, for one huge DELETE.
PURGE_BATCH = 50_000
BIGINT_MAX = 2**63 - 1


def notifications_purge(*, batch: int = PURGE_BATCH) -> int:
    """Deletes read messages sent more than NOTIFICATION_KEEP_DAYS ago and unread ones sent more than
    NOTIFICATION_UNREAD_KEEP_DAYS ago, ``batch`` rows per statement, oldest first; returns how many.

    Each statement takes the next ``batch`` doomed ids after the last one deleted, in id order (the primary
    key's index: no index on the send time is kept for this daily clean-up alone), up to the first message
    sent after the read cutoff: ids are handed out in the order messages are sent, so no statement reads the
    young rows that stay (an old one numbered late, in a long transaction, goes on a later day, when the
    bound has moved past it). Safe to run twice or to stop half-way."""
    table = sql.Identifier(Notification._meta.db_table)
    now = timezone.now()
    params = {"read_cutoff": now - timedelta(days=settings.NOTIFICATION_KEEP_DAYS),
              "unread_cutoff": now - timedelta(days=settings.NOTIFICATION_UNREAD_KEEP_DAYS), "batch": batch}
    with connection.cursor() as cursor:
        cursor.execute(database.render(sql.SQL(
            "SELECT id FROM {} WHERE created_at >= %(read_cutoff)s ORDER BY id LIMIT 1").format(table)), params)
        first_young = cursor.fetchone()
    params["bound"] = first_young[0] if first_young else BIGINT_MAX
    statement = database.render(sql.SQL("""
        WITH doomed AS (
            SELECT id FROM {table}
            WHERE id > %(after)s AND id < %(bound)s
              AND created_at < %(read_cutoff)s AND (read_at IS NOT NULL OR created_at < %(unread_cutoff)s)
            ORDER BY id LIMIT %(batch)s
        ), gone AS (DELETE FROM {table} WHERE id IN (SELECT id FROM doomed) RETURNING id)
        SELECT count(*), max(id) FROM gone
    """).format(table=table))
    deleted, after = 0, 0
    while True:
        # One statement per batch: in autocommit (as tasks run) each is its own short transaction.
        with connection.cursor() as cursor:
            cursor.execute(statement, {**params, "after": after})
            count, last = cursor.fetchone()
        deleted += count
        if count < batch:
            return deleted
        after = last


def weekly_digest_wanted(user) -> bool:
    return NotificationPreference.objects.filter(user_id=user.pk, weekly_digest=True).exists()


class NotAWorker(ValueError):
    """The weekly digest is about a worker's own rank: someone who is not a worker cannot ask for it."""


@transaction.atomic
def weekly_digest_set(*, user, wanted: bool) -> bool:
    from members.scope import scope_of

    if wanted and not scope_of(user).is_worker:
        raise NotAWorker
    NotificationPreference.objects.update_or_create(user_id=user.pk, defaults={"weekly_digest": bool(wanted)})
    return bool(wanted)


# -- the depots' group robots --------------------------------------------------------------------------------

def wecom_announce(*, kind: str, title: str, body: str = "", link: str = "", depot_ids=None,
                   competition_id: int | None = None) -> int:
    """Queues a message to every enabled robot relaying ``kind``: of ``depot_ids``, or of the depots with
    workers taking part in ``competition_id``. Sent by Celery after the current transaction commits (a
    robot that is slow or away never holds up the request). Returns how many robots were queued."""
    robots = _robots(kind, depot_ids=depot_ids, competition_id=competition_id)
    for robot_id, _depot in robots:
        _wecom_send(robot_id, title, body, link)
    return len(robots)


def _robots(kind: str, *, depot_ids=None, competition_id: int | None = None) -> list[tuple[int, int]]:
    """(robot id, depot id) of the enabled robots relaying ``kind`` (one query)."""
    from members.models import Worker

    if kind not in WECOM_KINDS:
        return []
    robots = WecomRobot.objects.filter(enabled=True, kinds__contains=[kind])
    if depot_ids is not None:
        robots = robots.filter(depot_id__in=list(depot_ids))
    if competition_id is not None:
        robots = robots.filter(depot_id__in=Worker.objects.taking_part_in(competition_id).values("unit__depot_id"))
    return list(robots.values_list("pk", "depot_id"))


def _wecom_send(robot_id: int, title, body, link: str) -> None:
    from members.tasks import wecom_send

    send_on_commit(wecom_send, robot_id, str(title), str(body), link)
