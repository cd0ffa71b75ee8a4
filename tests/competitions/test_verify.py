"""Verifying a published standings day against the raw entries, the digest ledger and its chain."""

from __future__ import annotations

import logging
from datetime import date, timedelta

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from competitions import tasks
from competitions.models import (
    CompetitionStatus,
    StandingDigest,
    StandingVerification,
    VerificationOutcome,
)
from competitions.services import standings_recompute
from competitions.standings.digest import chain_digest, day_digest
from competitions.verify import verify_day
from config.celery_app import app
from reviews.models import WorkEntry
from reviews.workflow import entries_transition
from tests.competitions.standings_data import D1, D2, D3

pytestmark = pytest.mark.django_db


def tamper(competition_id: int, day: date, worker_id: int, sql_set: str) -> None:
    """Changes a stored row behind the runs' back, as someone with database access could."""
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE competitions_standing SET {sql_set} "  # noqa: S608 (the tests' own constant text)
                       "WHERE competition_id = %s AND day = %s AND worker_id = %s", [competition_id, day, worker_id])
        assert cursor.rowcount == 1


@pytest.fixture
def published(league):
    """The league published on D1 and D2 (a full run, then an incremental one)."""
    standings_recompute(competition=league["comp"], day=D1)
    league["add"](4, D2, 10)
    standings_recompute(competition=league["comp"], day=D2)
    return league


def test_published_days_verify_against_the_raw_entries_the_ledger_and_the_chain(published,
                                                                                django_assert_max_num_queries):
    comp = published["comp"]

    with django_assert_max_num_queries(25):  # set-based: the same few statements whatever the workers
        first = verify_day(competition_id=comp.pk, day=D1)
    checks = [first, verify_day(competition_id=comp.pk, day=D2)]

    for check, day in zip(checks, (D1, D2), strict=True):
        assert (check.outcome, check.rows_stored, check.rows_recomputed, check.rows_differing) == (
            VerificationOutcome.OK, 6, 6, 0), check.error
        assert (check.digest_ok, check.chain_ok, check.differences) == (True, True, [])
        assert check.digest == day_digest(comp.pk, day) and check.recomputed_digest == check.digest.rows_digest
        assert check.finished_at >= check.started_at
    assert StandingVerification.objects.filter(competition=comp, outcome=VerificationOutcome.OK).count() == 2


def test_a_changed_stored_row_is_reported_in_the_rows_and_the_digest_to_staff(published, settings, mailoutbox,
                                                                            caplog):
    comp, w = published["comp"], published["w"]
    settings.ADMINS = [("工会信息中心", "it@union.example")]
    tamper(comp.pk, D2, w[5].pk, "points = points + 1")

    with caplog.at_level(logging.ERROR, logger="competitions.verify"):
        check = verify_day(competition_id=comp.pk, day=D2)

    assert (check.outcome, check.rows_differing, check.digest_ok, check.chain_ok) == (
        VerificationOutcome.MISMATCH, 1, False, True)
    [difference] = check.differences
    assert (difference["worker_id"], difference["employee_no"], difference["columns"]) == (w[5].pk, "T005",
                                                                                         ["points"])
    assert (difference["stored"]["points"], difference["recomputed"]["points"]) == ("13.000", "12.000")
    assert difference["moved"] is False
    # The entries still agree with what was published: the changed row is what differs from the ledger.
    assert check.recomputed_digest == day_digest(comp.pk, D2).rows_digest
    assert StandingVerification.objects.get(pk=check.pk).outcome == VerificationOutcome.MISMATCH
    assert any(r.levelno == logging.ERROR and "T005" in r.getMessage() for r in caplog.records)
    [mail] = mailoutbox
    assert mail.to == ["it@union.example"] and "排名核验不一致" in mail.subject
    assert "T005" in mail.body and "不一致 1 人" in mail.body
    assert w[5].mobile not in mail.body and w[5].id_number not in mail.body  # employee numbers only


def test_a_changed_rank_is_a_difference_too(published):
    comp, w = published["comp"], published["w"]
    tamper(comp.pk, D1, w[4].pk, "rank_unit = 1")

    check = verify_day(competition_id=comp.pk, day=D1)

    assert check.outcome == VerificationOutcome.MISMATCH and check.digest_ok is False
    assert check.differences[0]["columns"] == ["rank_unit"]



def test_a_row_on_one_side_only_and_a_null_set_are_differences(published):
    comp, w = published["comp"], published["w"]
    with connection.cursor() as cursor:  # a stored row removed behind the runs' back
        cursor.execute("DELETE FROM competitions_standing WHERE competition_id = %s AND day = %s AND worker_id = %s",
                       [comp.pk, D1, w[2].pk])
    tamper(comp.pk, D1, w[4].pk, "rank_unit = NULL")  # a value become NULL (NULL = NULL is no difference)

    check = verify_day(competition_id=comp.pk, day=D1)

    assert (check.outcome, check.rows_stored, check.rows_recomputed, check.rows_differing) == (
        VerificationOutcome.MISMATCH, 5, 6, 2)
    missing, nulled = sorted(check.differences, key=lambda d: [w[2].pk, w[4].pk].index(d["worker_id"]))
    assert (missing["worker_id"], missing["stored"], missing["recomputed"]["worker_id"]) == (w[2].pk, None, w[2].pk)
    assert (nulled["columns"], nulled["stored"]["rank_unit"]) == (["rank_unit"], None)
    assert nulled["recomputed"]["rank_unit"] is not None

def test_a_changed_ledger_entry_breaks_the_chain(published):
    comp = published["comp"]
    first, second = StandingDigest.objects.filter(competition=comp).order_by("id")
    StandingDigest.objects.filter(pk=first.pk).update(rows_digest="0" * 64)

    check = verify_day(competition_id=comp.pk, day=D2)

    assert (check.outcome, check.rows_differing, check.digest_ok, check.chain_ok) == (
        VerificationOutcome.MISMATCH, 0, True, False)
    assert {"chain_breaks": [first.pk]} in check.differences
    # Rewriting the entry's chain digest to match only moves the break to the entry that cites it.
    StandingDigest.objects.filter(pk=first.pk).update(chain_digest=chain_digest("", D1, "0" * 64))
    again = verify_day(competition_id=comp.pk, day=D1)
    assert (again.chain_ok, again.digest_ok) == (False, False)
    assert {"chain_breaks": [second.pk]} in again.differences


def test_corrections_made_after_the_run_do_not_count_as_differences(published):
    comp, w, add = published["comp"], published["w"], published["add"]
    # After D2 was published: a new entry dated before D1, a rejection and an approval of entries dated D1.
    add(3, D1 - timedelta(days=3), 7, "approved")
    late = WorkEntry.objects.get(worker=w[5], work_date=D1)
    late.status, late.reject_reason = "rejected", "数量不实"
    late.save()
    WorkEntry.objects.filter(worker=w[2], work_date=D1).update(status="approved", updated_at=timezone.now())
    # and the review workflow's approval of what is pending from D1 on (the approval log, per worker)
    entries_transition(actor=None, entries=WorkEntry.objects.filter(work_date__gte=D1), to_status="approved",
                       exclude_own=False)

    assert verify_day(competition_id=comp.pk, day=D1).outcome == VerificationOutcome.OK
    assert verify_day(competition_id=comp.pk, day=D2).outcome == VerificationOutcome.OK
    # A later run consumes those changes: D1 and D2 still verify as they were published, D3 as it is.
    standings_recompute(competition=comp, day=D3)
    for day in (D1, D2, D3):
        check = verify_day(competition_id=comp.pk, day=day)
        assert check.outcome == VerificationOutcome.OK, (day, check.differences, check.error)
    assert verify_day(competition_id=comp.pk, day=D3).rows_stored == 5  # worker 5's only entry was rejected


def test_a_worker_moved_since_the_day_shows_as_moved(published, f):
    comp, w = published["comp"], published["w"]
    w[4].unit = published["depots"][0]
    w[4].save()

    check = verify_day(competition_id=comp.pk, day=D2)

    assert check.outcome == VerificationOutcome.MISMATCH
    moved = next(d for d in check.differences if d.get("worker_id") == w[4].pk)
    assert moved["moved"] is True and "depot_id" in moved["columns"]


def test_a_day_never_published_is_recorded_as_an_error(published):
    check = verify_day(competition_id=published["comp"].pk, day=D3)

    assert check.outcome == VerificationOutcome.ERROR and "没有发布的排名" in check.error


def test_the_command_prints_each_day_and_exits_non_zero_when_one_does_not_verify(published, capsys):
    comp, w = published["comp"], published["w"]

    call_command("verify_standings", "--competition", str(comp.pk), "--all-days")
    out = capsys.readouterr().out
    assert "2026-03-01：一致" in out and "2026-03-02：一致" in out and "2/2 verified" in out

    tamper(comp.pk, D2, w[1].pk, "approved_points = 0")
    with pytest.raises(CommandError) as failed:
        call_command("verify_standings", "--competition", str(comp.pk), "--latest")
    out = capsys.readouterr().out
    assert failed.value.returncode == 3 and "1 of 1 days did not verify" in str(failed.value)
    assert "2026-03-02：不一致" in out and "T001" in out

    call_command("verify_standings", "--competition", str(comp.pk), "--day", "2026-03-01")
    assert "2026-03-01：一致" in capsys.readouterr().out
    with pytest.raises(CommandError, match="does not exist"):
        call_command("verify_standings", "--competition", "999999")


def test_a_weekly_beat_entry_verifies_the_latest_day_of_every_active_competition(published, f, monkeypatch):
    entry = settings.CELERY_BEAT_SCHEDULE["standings-verify-weekly"]
    assert entry["task"] in app.tasks and entry["task"] == tasks.verify_latest_standings.name
    assert entry["options"]["expires"] < timedelta(days=7).total_seconds()
    finished = f.competition(status=CompetitionStatus.CLOSED)
    standings_recompute(competition=finished, day=D1)
    monkeypatch.setattr(tasks.verify_standings_task, "delay",
                        lambda *a, **kw: tasks.verify_standings_task.apply(args=a, kwargs=kw))

    verified = tasks.verify_latest_standings.apply().get()

    comp = published["comp"]
    assert verified == [comp.pk]
    check = StandingVerification.objects.get()
    assert (check.competition, check.day, check.trigger, check.outcome) == (comp, D2, "weekly", VerificationOutcome.OK)


def test_only_staff_see_verifications_in_the_admin(published, client, f):
    comp = published["comp"]
    check = verify_day(competition_id=comp.pk, day=D2)
    changelist = reverse("admin:competitions_standingverification_changelist")
    detail = reverse("admin:competitions_standingverification_change", args=[check.pk])
    depot = published["depots"][0]
    outsiders = {"anonymous": None, "worker": f.worker_user(published["w"][5]), "clerk": f.clerk(depot),
                 "reviewer": f.reviewer(published["bs"][0])}
    for role, user in outsiders.items():
        client.logout()
        if user is not None:
            client.force_login(user)
        for url in (changelist, detail):
            response = client.get(url)
            assert response.status_code == 302 and "/login/" in response["Location"], role

    client.force_login(f.staff_user())  # staff without the permission to view verifications
    assert client.get(changelist).status_code == 403
    client.force_login(f.user(is_staff=True, is_superuser=True))
    page = client.get(changelist)
    assert page.status_code == 200 and "一致" in page.content.decode()
    assert client.get(detail).status_code == 200
    assert client.post(reverse("admin:competitions_standingverification_delete", args=[check.pk]),
                       {"post": "yes"}).status_code == 403
    assert StandingVerification.objects.filter(pk=check.pk).exists()


def test_staff_verify_published_days_from_the_admins_day_list(published, client, f, monkeypatch):
    monkeypatch.setitem(app.conf, "task_always_eager", True)  # run in this process: someone runs the checks
    comp = published["comp"]
    client.force_login(f.user(is_staff=True, is_superuser=True))
    days = list(comp.standing_days.order_by("day").values_list("pk", flat=True))

    response = client.post(reverse("admin:competitions_standingday_changelist"),
                           {"action": "verify", "_selected_action": days}, follow=True)

    assert response.status_code == 200 and "已提交 2 个排名核验" in response.content.decode()
    assert sorted(StandingVerification.objects.values_list("day", "trigger", "outcome")) == [
        (D1, "admin", VerificationOutcome.OK), (D2, "admin", VerificationOutcome.OK)]
