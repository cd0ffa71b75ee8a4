"""A health check of the persistent database connection without a round trip per request.

Django's CONN_HEALTH_CHECKS sends ``SELECT 1`` before the first query of every request: a round trip to
PostgreSQL, and PostgreSQL's CPU, on every API call (a tenth of a "my standing" request). Here the first
middleware looks at the connection's socket instead: between requests an idle connection has nothing to
read, unless the server closed it (restart, failover, idle timeout, pg_terminate_backend) or sent a
notice. Only then is the real check run, and a dead connection closed, so the request opens a fresh one.

What neither check catches without a timeout is a peer that vanished without closing (a network
partition); as before, that request fails and Django closes the connection when it ends.
"""

from __future__ import annotations

import select

from django.db import connections


def check_connection(conn) -> None:
    """Closes ``conn`` (a DatabaseWrapper) if its PostgreSQL connection is known or found to be dead."""
    raw = conn.connection
    if raw is None or conn.in_atomic_block:
        return
    if raw.closed or raw.broken:
        conn.close()
        return
    try:
        readable = select.select([raw.fileno()], [], [], 0)[0]
    except (OSError, ValueError):
        readable = True
    if readable and not conn.is_usable():
        conn.close()


class ConnectionCheckMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        for conn in connections.all(initialized_only=True):
            check_connection(conn)
        return self.get_response(request)
