"""Read replicas (config/db_router.py) against a real PostgreSQL streaming replica of the test database.

The replica is a standby made by pg_basebackup of the running cluster (.ci/replica), so it replays what
the tests commit on the primary. Pausing its replay makes it a replica that is behind: what a request
then reads shows where it was read (the primary has today's standings, the replica only yesterday's)."""

from __future__ import annotations

import copy
import math
import os
import time
from types import SimpleNamespace

import pytest
from django.db import connections, router, transaction
from django.http import HttpResponse
from django.test import RequestFactory

from competitions.api.cache import clear_caches
from competitions.models import Competition, Standing
from competitions.services import standings_recompute
from config import db_router
from members.models import User
from members.scope import scope_of
from reviews import services
from tests.replica_server import TOO_BIG, ReplicaServer, missing_tools

ALIAS = "replica1"

pytestmark = [pytest.mark.skipif(missing_tools() is not None, reason=str(missing_tools())),
              pytest.mark.django_db(transaction=True, databases=["default", ALIAS]),
              pytest.mark.cluster_alone]


@pytest.fixture(scope="session")
def replica_server(django_db_setup):
    """A standby of the cluster holding the test database, for the whole session (seconds to make on a
    cluster holding only the test databases), as the database alias replica1 (what DATABASE_REPLICA_URLS
    makes). A test mirror of default to Django's test cases: they neither create nor flush it."""
    default = connections["default"].settings_dict
    primary_port = int(default.get("PORT") or 5432)
    # A standby of its own per test process (pytest-xdist's "gw0", "gw1", …): the next ports up.
    process = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw") or 0)
    server = ReplicaServer(primary_port, int(os.environ.get("TEST_REPLICA_PORT", primary_port + 1)) + process)
    done = server.start()
    if done.returncode == TOO_BIG:
        pytest.skip(done.stderr.strip())
    if done.returncode != 0:
        pytest.fail(f".ci/replica start failed:\n{done.stderr}")
    connections.settings[ALIAS] = {**copy.deepcopy(default), "HOST": "127.0.0.1", "PORT": str(server.port),
                                   "TEST": {**default["TEST"], "MIRROR": "default"}}
    yield server
    connections[ALIAS].close()
    del connections[ALIAS]
    del connections.settings[ALIAS]
    server.remove()


@pytest.fixture(autouse=True)
def _replica_alias(replica_server):
    """Every test here declares replica1 (pytestmark): it must exist before the test's database setup."""


@pytest.fixture
def replica(replica_server, transactional_db, settings):
    """The replica in use (settings.DATABASE_REPLICAS), caught up with the primary; replay running and the
    server up again afterwards, whatever the test did to them."""
    settings.DATABASE_REPLICAS = [ALIAS]
    # Large by default, so that a paused replica is still used; the lag test sets its own bound.
    settings.DATABASE_REPLICA_MAX_LAG_SECONDS = 3600
    db_router.forget_replica_health()
    handle = SimpleNamespace(server=replica_server, halted=False)

    def pause():
        wait_caught_up()
        replica_server.sql("select pg_wal_replay_pause()")

    def wait_caught_up():
        """Until the replica has replayed everything committed so far."""
        with connections["default"].cursor() as cursor:
            cursor.execute("SELECT pg_current_wal_lsn()::text")
            position = cursor.fetchone()[0]
        deadline = time.monotonic() + 30
        while True:
            with connections[ALIAS].cursor() as cursor:
                cursor.execute("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [position])
                if cursor.fetchone()[0]:
                    return
            assert time.monotonic() < deadline, "the replica did not catch up with the primary"
            time.sleep(0.02)

    handle.pause, handle.wait_caught_up = pause, wait_caught_up
    wait_caught_up()
    yield handle
    if handle.halted:
        replica_server.resume()
    replica_server.sql("select pg_wal_replay_resume()")
    connections[ALIAS].close()
    db_router.forget_replica_health()


@pytest.fixture
def two_days(w, today):
    """alice and carol ranked yesterday (on the primary and, once replayed, the replica); then, with the
    replica's replay paused, ranked today on the primary only."""

    def rank_today():
        services.entry_create(actor=w.clerk, competition=w.comp, worker_id=w.alice.pk, rule_id=w.trips.pk,
                              work_date=today, quantity="3")
        standings_recompute(competition=w.comp, day=today)

    services.entry_create(actor=w.clerk, competition=w.comp, worker_id=w.alice.pk, rule_id=w.km.pk,
                          work_date=w.yesterday, quantity="120")
    services.entry_create(actor=w.other_clerk, competition=w.comp, worker_id=w.carol.pk, rule_id=w.metres.pk,
                          work_date=w.yesterday, quantity="300")
    standings_recompute(competition=w.comp, day=w.yesterday)
    w.rank_today = rank_today
    return w


def days_seen(client, competition_id) -> list[str]:
    """The days of "my history" (the ORM) as the API answers them now."""
    clear_caches()
    response = client.get(f"/api/v1/competitions/{competition_id}/standings/me/history/")
    assert response.status_code == 200, response.content
    return [row["day"] for row in response.json()]


def standing_status(client, competition_id, day) -> int:
    """"My standing" on ``day`` (one prepared statement, config/api/db.py): 200, or 404 if not ranked."""
    clear_caches()
    return client.get(f"/api/v1/competitions/{competition_id}/standings/me/", {"day": str(day)}).status_code


def test_standings_reads_of_a_get_request_go_to_the_replica(replica, two_days, api, today):
    # given a replica that stopped replaying after yesterday's standings
    replica.pause()
    two_days.rank_today()
    # then what the worker reads is the replica's: yesterday only (the ORM and the prepared statements)
    assert days_seen(api.worker, two_days.comp.pk) == [str(two_days.yesterday)]
    assert standing_status(api.worker, two_days.comp.pk, today) == 404
    assert standing_status(api.worker, two_days.comp.pk, two_days.yesterday) == 200
    # and once the replica replays again, today shows
    replica.server.sql("select pg_wal_replay_resume()")
    replica.wait_caught_up()
    assert days_seen(api.worker, two_days.comp.pk) == [str(two_days.yesterday), str(today)]
    assert standing_status(api.worker, two_days.comp.pk, today) == 200


def test_the_connection_a_routed_read_uses_is_the_standby(replica, rf_request):
    def view(request):
        alias = router.db_for_read(Standing)
        with connections[alias].cursor() as cursor:
            cursor.execute("SELECT pg_is_in_recovery()")
            return HttpResponse(f"{alias} {cursor.fetchone()[0]}")

    assert rf_request(view, "GET").content.decode() == f"{ALIAS} True"
    # outside a request (Celery tasks, commands): the primary
    assert router.db_for_read(Standing) == "default"
    # a write request reads the primary throughout
    assert rf_request(view, "POST").content.decode() == "default False"


def test_a_workers_reads_right_after_their_own_write_go_to_the_primary(replica, two_days, api, today):
    replica.pause()
    two_days.rank_today()
    assert days_seen(api.worker, two_days.comp.pk) == [str(two_days.yesterday)]
    # when alice writes (a dispute)
    response = api.worker.post("/api/v1/disputes/", {"comment": "那天我上班了", "work_date": str(today)},
                               format="json")
    assert response.status_code == 201, response.content
    # then her reads go to the primary, which has today
    assert days_seen(api.worker, two_days.comp.pk) == [str(two_days.yesterday), str(today)]
    assert standing_status(api.worker, two_days.comp.pk, today) == 200
    # while someone who did not write still reads the replica: its latest leaderboard is yesterday's
    assert leaderboard_day(api.staff, two_days.comp.pk) == str(two_days.yesterday)


def leaderboard_day(client, competition_id) -> str:
    """The day of the latest leaderboard (a prepared statement on the day's standings)."""
    clear_caches()
    response = client.get(f"/api/v1/competitions/{competition_id}/leaderboard/")
    assert response.status_code == 200, response.content
    return response.json()["day"]


def test_a_write_through_the_api_sends_the_same_persons_portal_reads_to_the_primary(replica, two_days, api,
                                                                                   client, today):
    client.force_login(two_days.alice_user)
    replica.pause()
    two_days.rank_today()
    assert client.get("/me/").context["standing"].day == two_days.yesterday  # the replica's
    response = api.worker.post("/api/v1/disputes/", {"comment": "那天我上班了", "work_date": str(today)},
                               format="json")
    assert response.status_code == 201, response.content
    assert client.get("/me/").context["standing"].day == today  # the primary's


def test_the_pin_lasts_the_lag_bound_and_the_check_interval(settings, replica):
    settings.DATABASE_REPLICA_MAX_LAG_SECONDS = 10
    assert db_router.pin_seconds() == math.ceil(10 + db_router.CHECK_SECONDS) + 1


def test_a_replica_lagging_more_than_the_bound_is_skipped(replica, two_days, api, today, settings):
    replica.pause()
    two_days.rank_today()
    assert days_seen(api.worker, two_days.comp.pk) == [str(two_days.yesterday)]  # within 3600 s: replica
    # when the bound is one second and the replica is further behind than that
    settings.DATABASE_REPLICA_MAX_LAG_SECONDS = 1
    time.sleep(1.2)
    assert db_router.replica_lag(ALIAS) > 1
    db_router.forget_replica_health()
    # then reads go to the primary
    assert days_seen(api.worker, two_days.comp.pk) == [str(two_days.yesterday), str(today)]
    assert not db_router.replica_usable(ALIAS)
    # and back to the replica once it has caught up (the next check)
    replica.server.sql("select pg_wal_replay_resume()")
    replica.wait_caught_up()
    db_router.forget_replica_health()
    assert db_router.replica_usable(ALIAS)


def test_an_idle_caught_up_replica_is_not_lagging_however_old_its_last_transaction(replica):
    # Nothing committed for a while: the last replayed transaction ages, the replica is not behind.
    time.sleep(1.2)
    assert db_router.replica_lag(ALIAS) < 1


def test_a_stopped_replica_is_skipped(replica, two_days, api, today, monkeypatch):
    replica.pause()
    two_days.rank_today()
    # the health check is trusted for a long time here: the replica stops after it said "usable"
    monkeypatch.setattr(db_router, "CHECK_SECONDS", 600)
    assert days_seen(api.worker, two_days.comp.pk) == [str(two_days.yesterday)]
    replica.server.halt()
    replica.halted = True
    # then a read on its dead connection is answered from the primary, not with a 500
    assert days_seen(api.worker, two_days.comp.pk) == [str(two_days.yesterday), str(today)]
    # and the replica is left alone: the next requests do not try it
    assert not db_router.replica_usable(ALIAS)
    # a fresh check of a replica that refuses connections says the same
    db_router.forget_replica_health()
    assert db_router.replica_lag(ALIAS) is None
    assert days_seen(api.worker, two_days.comp.pk) == [str(two_days.yesterday), str(today)]
    assert standing_status(api.worker, two_days.comp.pk, today) == 200


def test_reads_inside_a_transaction_and_writes_go_to_the_primary(replica, rf_request, f):
    competition = f.competition(name="甲")
    replica.wait_caught_up()

    def view(request):
        read = Competition.objects.get(pk=competition.pk)
        assert read._state.db == ALIAS
        read.name = "乙"
        read.save()  # an object read from the replica saves to the primary
        with transaction.atomic():
            inside = Competition.objects.get(pk=competition.pk)
        return HttpResponse(f"{inside._state.db} {inside.name}")

    assert rf_request(view, "GET").content.decode() == "default 乙"
    assert Competition.objects.get(pk=competition.pk).name == "乙"


def test_who_may_see_what_is_read_from_the_primary(replica, w, rf_request):
    # given a replica behind the removal of the reviewer's business system and the clerk's unit
    replica.pause()
    w.reviewer.reviewer_systems.clear()
    w.clerk.clerk_units.clear()

    def view(request):
        reviewer, clerk = (User.objects.get(pk=user.pk) for user in (w.reviewer, w.clerk))  # no cached scope
        return HttpResponse(f"{scope_of(reviewer).reviewer_system_ids} {scope_of(clerk).clerk_unit_ids}")

    # then the permissions are the primary's: neither of them sees anything any longer
    assert rf_request(view, "GET").content.decode() == "() ()"


@pytest.fixture
def rf_request():
    """Runs ``view`` behind ReplicaReadsMiddleware for a request with ``method``, as an anonymous user."""
    from django.contrib.auth.models import AnonymousUser

    def run(view, method):
        request = RequestFactory().generic(method, "/")
        request.user = AnonymousUser()
        return db_router.ReplicaReadsMiddleware(view)(request)

    return run


def test_without_replicas_everything_reads_the_primary(settings, rf_request, db):
    settings.DATABASE_REPLICAS = []
    assert rf_request(lambda request: HttpResponse(router.db_for_read(Standing)), "GET").content == b"default"


def test_replicas_are_never_migrated():
    assert db_router.PrimaryReplicaRouter().allow_migrate(ALIAS, "competitions") is False
    assert db_router.PrimaryReplicaRouter().allow_migrate("default", "competitions") is None
