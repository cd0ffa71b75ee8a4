"""Each event notifies exactly the people it concerns and nobody else (every role, another unit, another
competition); the unread count's cost; the message centre's pages for every role."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from competitions.honours import services as honours
from competitions.honours.models import RoundStatus
from competitions.services import standings_recompute
from members import notifications, tasks
from members.models import Notification, NotificationKind, NotificationPreference
from reviews import services, workflow
from reviews.models import EntryStatus, PeriodStatus, WorkEntry
from tests.competitions import honours_public_data
from tests.factories import review_period

pytestmark = pytest.mark.django_db

K = NotificationKind


def inbox(user) -> list[Notification]:
    return list(Notification.objects.filter(recipient=user).order_by("id"))


def recipients() -> set[int]:
    return set(Notification.objects.values_list("recipient_id", flat=True))


def enter(w, actor, worker, rule, day, quantity="10"):
    return services.entry_create(actor=actor, competition=w.comp, worker_id=worker.pk, rule_id=rule.pk,
                                 work_date=day, quantity=quantity)


@pytest.fixture
def run_tasks(monkeypatch):
    """Tasks sent on commit run in this process (the broker is not needed to test what they do)."""
    for task in (tasks.public_notice_notify, tasks.wecom_send):
        monkeypatch.setattr(task, "delay", lambda *a, _task=task, **kw: _task.apply(args=a, kwargs=kw))


# -- rejection -------------------------------------------------------------------------------------------

def test_a_rejection_tells_each_clerk_once_how_many_of_their_entries_were_rejected_and_why(w, f, today):
    # given entries by the clerk (three) and by the other depot's clerk (one), one of the clerk's approved
    day = today - timedelta(days=1)
    mine = [enter(w, w.clerk, w.alice, w.km, day), enter(w, w.clerk, w.bob, w.km, day),
            enter(w, w.clerk, w.bob, w.trips, day, "2")]
    theirs = enter(w, w.other_clerk, w.carol, w.metres, day)
    workflow.entry_transition(actor=w.reviewer, entry=mine[0], to_status=EntryStatus.APPROVED)
    assert Notification.objects.count() == 0  # approving tells nobody

    # when staff reject all four in one batch (pending and approved ones: two statements, one batch)
    result = workflow.entries_transition(actor=w.staff, entries=WorkEntry.objects.filter(
        pk__in=[e.pk for e in [*mine, theirs]]), to_status=EntryStatus.REJECTED, reason="公里数与台账不符")

    # then each clerk has one message with their own count, and nobody else has any
    assert result.moved == 4
    [message] = inbox(w.clerk)
    assert message.kind == K.ENTRIES_REJECTED
    assert message.title == "您录入的 3 条被驳回"
    assert message.body == "驳回原因：公里数与台账不符"
    with translation.override("en"):  # shown in the reader's language; the reason as the reviewer wrote it
        assert message.text == ("3 of your entries were rejected", "Reason: 公里数与台账不符")
    assert message.link == reverse("entries:list") + "?status=rejected"
    assert message.read_at is None
    [other] = inbox(w.other_clerk)
    assert other.title == "您录入的 1 条被驳回"
    assert recipients() == {w.clerk.pk, w.other_clerk.pk}
    # and the audit trail is written as before
    assert WorkEntry.objects.filter(status=EntryStatus.REJECTED).count() == 4
    assert sum(WorkEntry.objects.get(pk=e.pk).events.filter(to_status=EntryStatus.REJECTED).count()
               for e in [*mine, theirs]) == 4


def test_a_review_rejecting_one_entry_tells_its_clerk_and_a_refused_rejection_tells_nobody(w, today):
    entry = enter(w, w.clerk, w.alice, w.km, today - timedelta(days=1))
    with pytest.raises(workflow.TransitionRefused):
        workflow.entry_transition(actor=w.reviewer, entry=entry, to_status=EntryStatus.REJECTED, reason="")
    assert Notification.objects.count() == 0
    workflow.entry_transition(actor=w.reviewer, entry=entry, to_status=EntryStatus.REJECTED, reason="重复录入")
    assert [m.title for m in inbox(w.clerk)] == ["您录入的 1 条被驳回"]
    assert recipients() == {w.clerk.pk}


# -- disputes ----------------------------------------------------------------------------------------------

def test_an_answered_dispute_tells_the_worker_who_raised_it_and_nobody_else(w, f, today):
    carol_user = f.worker_user(w.carol)
    day = today - timedelta(days=1)
    dispute = services.dispute_open(actor=w.alice_user, work_date=day, comment="那天我值乘了")
    services.dispute_open(actor=carol_user, work_date=day, comment="漏录")

    services.dispute_answer(actor=w.clerk, dispute_id=dispute.pk, response="已补录", corrected=True)

    [message] = inbox(w.alice_user)
    assert message.kind == K.DISPUTE_ANSWERED
    assert "的申诉已答复（已更正）" in message.title
    assert message.body == "已补录"
    with translation.override("en"):
        assert message.text == (f"Your dispute of {day.day} {day:%b %Y} was answered (Corrected)", "已补录")
    assert message.link == f"{reverse('my_entries')}?end={day.isoformat()}"  # the disputed day
    assert recipients() == {w.alice_user.pk}


# -- sign-off due ------------------------------------------------------------------------------------------

def test_a_month_due_for_sign_off_tells_its_reviewers_once_and_a_signed_off_one_nobody(w, f):
    # given: the month before "today" has ended; 工务 has signed it off, 机务 not
    year = w.comp.end_date.year
    today = date(year, 3, 2)
    track_reviewer = f.reviewer(w.other_system, username="track-reviewer")
    review_period(competition=w.comp, business_system=w.other_system, month=date(year, 2, 1),
                                status=PeriodStatus.SIGNED_OFF)
    # a reviewer of a system with no rule in any competition
    idle = f.reviewer(f.business_system(name="车务"), username="idle-reviewer")

    written = notifications.sign_off_due(today=today)

    # then both reviewers of 机务 are told, nobody else
    assert written == 2
    assert recipients() == {w.reviewer.pk, w.other_reviewer.pk}
    [message] = inbox(w.reviewer)
    assert message.kind == K.SIGN_OFF_DUE
    assert message.title == f"{year}年2月 机务 待签发"
    with translation.override("en"):
        assert message.text == (f"Feb {year} 机务 is due for sign-off",
                                f"{w.comp.name}: Feb {year} has ended; review its pending entries and sign it off.")
    assert message.link == reverse("review:queue") + f"?month={year}-02&system={w.system.pk}"
    assert not inbox(track_reviewer) and not inbox(idle)
    # and the daily beat repeats harmlessly: once per month and system
    assert notifications.sign_off_due(today=today + timedelta(days=1)) == 0
    assert Notification.objects.count() == 2
    # a month that has not ended is not due
    Notification.objects.all().delete()
    assert notifications.sign_off_due(today=date(year, 2, 27)) == 3  # January's (工务's too), not February's
    assert {m.title for m in Notification.objects.all()} == {f"{year}年1月 机务 待签发", f"{year}年1月 工务 待签发"}


def test_the_daily_task_reminds_of_last_month_once(w):
    assert tasks.sign_off_due_notify.apply().get() == 2  # last month has ended; both reviewers of 机务
    assert tasks.sign_off_due_notify.apply().get() == 0


# -- 公示 --------------------------------------------------------------------------------------------------

def test_opening_a_public_notice_tells_every_worker_taking_part_once_and_nobody_else(
        w, f, run_tasks, django_capture_on_commit_callbacks):
    # given a proposed list in w.comp; carol (工务, another depot) takes part too; dave takes part only in
    # another competition; erin has left; the clerk, reviewer and staff are not workers
    carol_user = f.worker_user(w.carol)
    bob_user = f.worker_user(w.bob)
    other_comp = f.competition(name="津冀竞赛")
    signal = f.job_type(w.other_system, name="信号工")
    f.rule(other_comp, signal)
    dave_user = f.worker_user(f.worker(w.other_depot, signal, name="赵六"))
    erin_user = f.worker_user(f.worker(w.workshop, w.driver, name="钱七", is_active=False))
    round_ = honours_public_data.award_round(w.comp, "一季度先进个人", status=RoundStatus.PROPOSED)
    honours_public_data.nominee(round_, w.alice, 1, "100")

    # when staff open the 公示
    with django_capture_on_commit_callbacks(execute=True):
        honours.publish(actor=w.staff, round_=round_, days=7)

    # then alice, bob and carol are told, with a link to the list
    assert recipients() == {w.alice_user.pk, bob_user.pk, carol_user.pk}
    [message] = inbox(carol_user)
    assert message.kind == K.PUBLIC_NOTICE
    assert message.title == "一季度先进个人 公示开始"
    round_.refresh_from_db()
    end = timezone.localdate(round_.publicity_end)
    with translation.override("en"):
        assert message.text == ("Public notice of 一季度先进个人 opened",
                                f"The notice runs until {end.day} {end:%b %Y}; objections may be raised until then.")
    assert message.link == reverse("honours_public:public_round", args=[round_.pk])
    assert not inbox(dave_user) and not inbox(erin_user) and not inbox(w.staff) and not inbox(w.clerk)
    # and a redelivered task writes nothing twice
    assert tasks.public_notice_notify.apply(args=[round_.pk]).get() == 0
    assert Notification.objects.count() == 3
    # a round that is gone is a quiet no-op
    assert tasks.public_notice_notify.apply(args=[987654]).get() == 0


# -- the weekly digest --------------------------------------------------------------------------------------

def test_the_weekly_digest_tells_each_worker_who_opted_in_their_rank_change_from_the_standings(w, f, today):
    # given standings a week apart: bob ahead of alice, then alice ahead
    before, latest = today - timedelta(days=8), today - timedelta(days=1)
    bob_user = f.worker_user(w.bob)
    carol_user = f.worker_user(w.carol)
    enter(w, w.clerk, w.alice, w.km, before, "100")
    enter(w, w.clerk, w.bob, w.km, before, "200")
    standings_recompute(competition=w.comp, day=before)
    enter(w, w.clerk, w.alice, w.km, latest, "500")
    standings_recompute(competition=w.comp, day=latest)
    # alice and carol (not ranked) opted in, bob did not; the clerk's wish is refused
    notifications.weekly_digest_set(user=w.alice_user, wanted=True)
    notifications.weekly_digest_set(user=carol_user, wanted=True)
    with pytest.raises(notifications.NotAWorker):
        notifications.weekly_digest_set(user=w.clerk, wanted=True)

    written = tasks.rank_digest_notify.apply().get()

    assert written == 1
    assert recipients() == {w.alice_user.pk}
    [message] = inbox(w.alice_user)
    assert message.kind == K.RANK_DIGEST
    assert message.body == "总排名第 1 名，比上周上升 1 名；累计积分 6.000。"
    with translation.override("en"):
        assert message.text == (f"This week's rank change (as of {latest.day} {latest:%b %Y})",
                                "Overall rank 1, up 1 since last week; 6.000 points in all.")
    assert message.link == reverse("me")
    assert not inbox(bob_user) and not inbox(carol_user)
    # once per standings day
    assert notifications.rank_digest() == 0
    # bob opts in: he fell one place
    notifications.weekly_digest_set(user=bob_user, wanted=True)
    Notification.objects.all().delete()
    assert notifications.rank_digest() == 2
    assert inbox(bob_user)[0].body == "总排名第 2 名，比上周下降 1 名；累计积分 2.000。"
    # and opting out stops it
    notifications.weekly_digest_set(user=bob_user, wanted=False)
    assert NotificationPreference.objects.get(user=bob_user).weekly_digest is False


# -- the unread count and the pages ------------------------------------------------------------------------

def many(user, n: int, **kw) -> None:
    Notification.objects.bulk_create([Notification(recipient=user, kind=K.ENTRIES_REJECTED, title=f"消息{i}", **kw)
                                      for i in range(n)])


def test_the_unread_count_is_one_query_and_stops_counting_past_99(w, django_assert_num_queries):
    many(w.clerk, 3)
    many(w.reviewer, 150)
    many(w.clerk, 5, read_at=timezone.now())
    with django_assert_num_queries(1):
        assert notifications.unread_count(w.clerk) == 3
    with django_assert_num_queries(1):
        assert notifications.unread_count(w.reviewer) == 100


def test_every_page_shows_the_unread_count_in_the_navigation_for_one_query(client, w, django_assert_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(w.clerk)
    url = reverse("entries:list")
    with CaptureQueriesContext(connection) as none:
        html = client.get(url).content.decode()
    assert 'id="unread-badge"' not in html
    many(w.clerk, 150)
    with CaptureQueriesContext(connection) as lots:
        html = client.get(url).content.decode()
    assert len(lots.captured_queries) == len(none.captured_queries)
    assert '<span class="badge count" id="unread-badge" title="未读消息">99+</span>' in html
    unread_queries = [q["sql"] for q in lots.captured_queries if "members_notification" in q["sql"]]
    assert len(unread_queries) == 1 and "LIMIT 100" in unread_queries[0]


@pytest.mark.parametrize("role", ["worker", "clerk", "reviewer", "staff"])
def test_every_role_has_a_message_centre_with_only_their_own_messages(client, w, role):
    user = {"worker": w.alice_user, "clerk": w.clerk, "reviewer": w.reviewer, "staff": w.staff}[role]
    notifications.notify(recipient_ids=[user.pk], kind=K.ENTRIES_REJECTED, facts={"n": 3, "reason": "给我的"})
    others = [u for u in (w.alice_user, w.clerk, w.reviewer, w.staff, w.other_clerk) if u != user]
    notifications.notify(recipient_ids=[u.pk for u in others], kind=K.ENTRIES_REJECTED, facts={"n": 4, "reason": "给别人的"})
    client.force_login(user)
    response = client.get(reverse("messages:list"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "您录入的 3 条被驳回" in html and "驳回原因：给我的" in html and "给别人的" not in html
    assert 'id="unread-badge"' in html and 'class="card notification unread"' in html
    assert ('id="digest-settings"' in html) == (role == "worker")


def test_the_message_centre_sends_anonymous_visitors_to_the_login(client):
    for name, method in (("messages:list", "get"), ("messages:read_all", "post"), ("messages:settings", "post")):
        response = getattr(client, method)(reverse(name))
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_marking_read_touches_only_ones_own_messages(client, w):
    notifications.notify(recipient_ids=[w.clerk.pk], kind=K.ENTRIES_REJECTED, facts={"n": 1, "reason": "我的"})
    notifications.notify(recipient_ids=[w.other_clerk.pk], kind=K.ENTRIES_REJECTED, facts={"n": 1, "reason": "别人的"})
    mine = Notification.objects.get(recipient=w.clerk)
    theirs = Notification.objects.get(recipient=w.other_clerk)
    client.force_login(w.clerk)

    # someone else's id changes nothing (and answers as for a read one)
    assert client.post(reverse("messages:read", args=[theirs.pk])).status_code == 302
    assert client.post(reverse("messages:read", args=[987654])).status_code == 302
    theirs.refresh_from_db()
    assert theirs.read_at is None
    # my own is read
    client.post(reverse("messages:read", args=[mine.pk]))
    mine.refresh_from_db()
    assert mine.read_at is not None
    html = client.get(reverse("messages:list")).content.decode()
    assert 'id="unread-badge"' not in html and 'class="card notification"' in html

    # mark all read: mine only
    many(w.clerk, 3)
    client.post(reverse("messages:read_all"))
    assert notifications.unread_count(w.clerk) == 0
    assert notifications.unread_count(w.other_clerk) == 1
    assert client.get(reverse("messages:read", args=[mine.pk])).status_code == 405


def test_the_message_centre_pages_by_an_opaque_cursor_and_a_bad_one_shows_the_first_page(client, w):
    many(w.clerk, 35)
    client.force_login(w.clerk)
    first = client.get(reverse("messages:list")).content.decode()
    assert first.count('class="card notification unread"') == 30
    import re

    after = re.search(r'href="\?after=([^"]+)"', first).group(1)
    second = client.get(reverse("messages:list"), {"after": after}).content.decode()
    assert second.count('class="card notification unread"') == 5 and "消息0<" in second
    assert 'href="?after=' not in second
    response = client.get(reverse("messages:list"), {"after": "forged"})
    assert response.status_code == 302 and response["Location"] == reverse("messages:list")


def test_a_worker_opts_in_to_the_weekly_digest_on_the_message_centre_and_a_clerk_cannot(client, w):
    client.force_login(w.alice_user)
    client.post(reverse("messages:settings"), {"weekly_digest": "on"})
    assert notifications.weekly_digest_wanted(w.alice_user)
    assert "checked" in client.get(reverse("messages:list")).content.decode()
    client.post(reverse("messages:settings"), {})
    assert not notifications.weekly_digest_wanted(w.alice_user)

    client.force_login(w.clerk)
    response = client.post(reverse("messages:settings"), {"weekly_digest": "on"}, follow=True)
    assert "每周排名变化只发给参加竞赛的职工。" in response.content.decode()
    assert not NotificationPreference.objects.filter(user=w.clerk).exists()


def test_a_notification_link_must_be_a_path_of_the_portal(w):
    from django.db import IntegrityError, transaction

    for link in ("https://evil.example/", "//evil.example/x", "javascript:alert(1)"):
        with pytest.raises(IntegrityError), transaction.atomic():
            Notification.objects.create(recipient=w.clerk, kind=K.ENTRIES_REJECTED, title="x", link=link)


def test_a_reader_who_switched_to_english_reads_their_messages_in_english(client, w, today):
    # given a rejection of two of the clerk's entries, and an old message stored without its facts
    day = today - timedelta(days=1)
    ids = [enter(w, w.clerk, worker, w.km, day).pk for worker in (w.alice, w.bob)]
    workflow.entries_transition(actor=w.reviewer, entries=WorkEntry.objects.filter(pk__in=ids),
                                to_status=EntryStatus.REJECTED, reason="公里数有误")
    Notification.objects.create(recipient=w.clerk, kind=K.SIGN_OFF_DUE, title="旧消息", body="旧正文")
    client.force_login(w.clerk)

    # Chinese first
    html = client.get(reverse("messages:list")).content.decode()
    assert "您录入的 2 条被驳回" in html and "驳回原因：公里数有误" in html and "旧消息" in html
    # the page in English: the rejection in English (the reason as written), the old message as stored
    client.post(reverse("set_language"), {"language": "en", "next": reverse("messages:list")})
    html = client.get(reverse("messages:list")).content.decode()
    assert "2 of your entries were rejected" in html and "Reason: 公里数有误" in html
    assert "您录入的" not in html and "旧消息" in html


def test_an_answered_objection_tells_the_person_who_raised_it_and_nobody_else(w, f):
    # given a list in 公示 with alice on it, and bob's objection to her
    bob_user = f.worker_user(w.bob)
    now = timezone.now()
    round_ = honours_public_data.award_round(w.comp, "一季度先进个人", status=RoundStatus.PUBLICIZED,
                                             publicity=(now - timedelta(days=1), now + timedelta(days=6)))
    nominee = honours_public_data.nominee(round_, w.alice, 1, "100")
    objection = honours.raise_objection(user=bob_user, nominee=nominee, reason="她那个月请过假")
    assert Notification.objects.count() == 0

    # when staff answer it
    honours.answer_objection(actor=w.staff, objection=objection, upheld=False, answer="经核实，出勤无误")

    # then bob is told, with a link to his objections, and nobody else
    [message] = inbox(bob_user)
    assert message.kind == K.OBJECTION_ANSWERED
    assert message.title == "您对“一季度先进个人”提出的异议已答复（异议不成立）"
    assert message.body == "经核实，出勤无误"
    assert message.link == reverse("honours_public:my_objections")
    assert recipients() == {bob_user.pk}
    with translation.override("en"):
        assert message.text == ("Your objection to “一季度先进个人” was answered (Objection rejected)", "经核实，出勤无误")


@pytest.mark.parametrize(("n", "chinese", "english"), [
    (1, "您录入的 1 条被驳回", "1 of your entries was rejected"),
    (2, "您录入的 2 条被驳回", "2 of your entries were rejected"),
])
def test_a_rejection_message_and_marking_all_read_say_their_count_in_the_form_for_it(client, w, n, chinese, english):
    # given: n of the clerk's entries rejected, in one message; the page read in English
    notifications.notify(recipient_ids=[w.clerk.pk], kind=K.ENTRIES_REJECTED, facts={"n": n, "reason": "公里数有误"})
    many(w.clerk, n - 1)
    client.force_login(w.clerk)
    assert chinese in client.get(reverse("messages:list")).content.decode()
    client.cookies["django_language"] = "en"
    assert english in client.get(reverse("messages:list")).content.decode()
    # when: marking all read (n messages)
    page = client.post(reverse("messages:read_all"), follow=True).content.decode()
    # then
    assert ("Marked 1 message read." if n == 1 else "Marked 2 messages read.") in page
    client.cookies["django_language"] = "zh-hans"
    many(w.clerk, n)
    assert f"已将 {n} 条消息标为已读。" in client.post(reverse("messages:read_all"), follow=True).content.decode()
