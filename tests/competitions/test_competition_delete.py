"""Deleting a competition: services.competition_delete drops its standings explicitly, refuses while
anything still refers to it or a run is in progress, and is the admin's only way to delete."""

from datetime import date

import pytest
from django.db import connections
from django.urls import reverse

from competitions.locks import STANDINGS_LOCK_CLASS
from competitions.models import Competition, Standing, StandingDay
from competitions.services import CompetitionInUse, competition_delete, standings_recompute
from reviews.models import ReviewPeriod, WorkEntry
from tests.competitions.standings_data import entry, partitions

pytestmark = pytest.mark.django_db

DAY = date(2026, 3, 1)


@pytest.fixture
def ranked(f):
    """A competition with one day of standings, its entries and rules then removed (they protect it)."""
    comp = f.competition()
    worker = f.worker()
    entry(comp, worker, f.rule(comp, worker.job_type), DAY, 3)
    standings_recompute(competition=comp, day=DAY)
    assert Standing.objects.filter(competition=comp).count() == 1
    WorkEntry.objects.filter(competition=comp).delete()
    comp.rules.all().delete()
    comp.periods.all().delete()  # the entries' review periods protect it too
    return comp


def assert_standings_gone(comp_id):
    assert not Competition.objects.filter(pk=comp_id).exists()
    assert not Standing.objects.filter(competition_id=comp_id).exists()
    assert not StandingDay.objects.filter(competition_id=comp_id).exists()
    assert partitions(comp_id, DAY) == []


def test_deleting_a_competition_drops_its_standings_without_a_signal(ranked):
    comp_id = ranked.pk
    Competition.objects.filter(pk=comp_id).delete()  # no service: nothing else happens
    assert partitions(comp_id, DAY) != []
    assert Standing.objects.filter(competition_id=comp_id).exists()


def test_the_service_deletes_the_competition_and_its_standings(ranked):
    comp_id = ranked.pk
    competition_delete(actor=None, competition=ranked)
    assert_standings_gone(comp_id)


def test_the_service_refuses_a_competition_with_rules_or_entries(f):
    comp = f.competition()
    worker = f.worker()
    entry(comp, worker, f.rule(comp, worker.job_type), DAY, 3)
    with pytest.raises(CompetitionInUse) as refused:
        competition_delete(actor=None, competition=comp)
    assert refused.value.code == "competition_in_use"
    assert "录入" in refused.value.message and "计分规则" in refused.value.message
    assert Competition.objects.filter(pk=comp.pk).exists()


def test_the_service_refuses_a_competition_with_review_periods(f):
    comp = f.competition()
    ReviewPeriod.objects.create(competition=comp, business_system=f.business_system(), month=date(2026, 3, 1))
    with pytest.raises(CompetitionInUse, match="审核月份"):
        competition_delete(actor=None, competition=comp)


def test_the_service_refuses_while_a_standings_run_holds_the_lock(ranked):
    other = connections.create_connection("default")  # another session, as a running recompute is
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s, %s)", [STANDINGS_LOCK_CLASS, ranked.pk])
        with pytest.raises(CompetitionInUse) as refused:
            competition_delete(actor=None, competition=ranked)
        assert refused.value.code == "standings_running"
        assert partitions(ranked.pk, DAY) != []
        with other.cursor() as cursor:  # released now: a closed session's backend may outlive close() a moment
            cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [STANDINGS_LOCK_CLASS, ranked.pk])
    finally:
        other.close()
    competition_delete(actor=None, competition=ranked)
    assert_standings_gone(ranked.pk)


def test_the_admin_deletes_one_competition_through_the_service(admin_client, ranked):
    url = reverse("admin:competitions_competition_delete", args=[ranked.pk])
    response = admin_client.post(url, {"post": "yes"})
    assert response.status_code == 302
    assert_standings_gone(ranked.pk)


def test_the_admin_delete_action_goes_through_the_service(admin_client, ranked, f):
    kept = f.competition()
    response = admin_client.post(reverse("admin:competitions_competition_changelist"),
                                 {"action": "delete_selected", "_selected_action": [ranked.pk], "post": "yes"})
    assert response.status_code == 302
    assert_standings_gone(ranked.pk)
    assert Competition.objects.filter(pk=kept.pk).exists()


def test_the_admin_shows_a_refusal_as_a_message_and_deletes_nothing(admin_client, ranked):
    other = connections.create_connection("default")
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s, %s)", [STANDINGS_LOCK_CLASS, ranked.pk])
        url = reverse("admin:competitions_competition_delete", args=[ranked.pk])
        response = admin_client.post(url, {"post": "yes"}, follow=True)
    finally:
        other.close()
    assert "正在计算排名" in response.content.decode()
    assert Competition.objects.filter(pk=ranked.pk).exists()
    assert partitions(ranked.pk, DAY) != []
