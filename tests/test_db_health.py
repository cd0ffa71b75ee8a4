"""config/db_health.py: a dead persistent connection is noticed without a SELECT 1 per request."""

import select
import time

import pytest
from django.db import connection, connections

from config.db_health import check_connection

pytestmark = pytest.mark.django_db


@pytest.fixture
def other():
    """A second connection to the test database, as a gunicorn worker holds one between requests."""
    conn = connections.create_connection("default")
    conn.ensure_connection()
    yield conn
    conn.close()


def test_a_live_connection_is_left_alone_without_a_round_trip(other, monkeypatch):
    raw = other.connection
    monkeypatch.setattr(other, "is_usable", lambda: pytest.fail("no round trip for a quiet connection"))
    check_connection(other)
    assert other.connection is raw


def test_a_connection_the_server_closed_is_replaced(other):
    pid = other.connection.info.backend_pid
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
    deadline = time.monotonic() + 5
    while not select.select([other.connection.fileno()], [], [], 0.1)[0]:
        assert time.monotonic() < deadline
    check_connection(other)
    assert other.connection is None
    with other.cursor() as cursor:  # the next query connects again
        cursor.execute("SELECT pg_backend_pid()")
        assert cursor.fetchone()[0] != pid
