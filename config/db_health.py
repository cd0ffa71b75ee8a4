"""A health check of the persistent database connection without a round trip per request.

Django's CONN_HEALTH_CHECKS sends ``SELECT 1`` before the first query of every request: a round trip to
PostgreSQL, and PostgreSQL's CPU, on every API call (a tenth of a "my standing" request). Here the first
middleware looks at the connection's socket instead: between requests an idle connection has nothing to
read, unless the server closed it (restart, failover, idle timeout, pg_terminate_backend) or sent a
notice. Only then is the real check run, and a dead connection closed, so the request opens a fresh one.

What neither check catches without a timeout is a peer that vanished without closing (a network
partition); as before, that request fails and Django closes the connection when it ends.

StatementTimeoutMiddleware answers a request whose SQL statement PostgreSQL cancelled (the web processes'
statement_timeout, settings.WEB_STATEMENT_TIMEOUT_MS) with a 503 "try again" (a page, or the API's error
body with the code ``request_timeout``) instead of a 500: the person did nothing wrong.
"""

from __future__ import annotations

import logging
import select

from django.db import OperationalError, connections
from django.http import HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from psycopg.errors import QueryCanceled

log = logging.getLogger(__name__)


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


def _cancelled(exception: BaseException) -> bool:
    return isinstance(exception, OperationalError) and isinstance(exception.__cause__, QueryCanceled)


class StatementTimeoutMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not _cancelled(exception):
            return None
        # The path only: a query string may carry what a person typed.
        log.warning("statement cancelled (timeout) on %s %s", request.method, request.path)
        message = _("请求处理超时，请稍后再试；大批量的导出和处理请使用后台任务。")
        if request.path_info.startswith("/api/"):
            from config.api.errors import error_body

            return JsonResponse(error_body("request_timeout", message), status=503, headers={"Retry-After": "30"})
        # Rendered like the 500 page, without the request's context (the navigation reads the database).
        return HttpResponse(render_to_string("503.html", {"message": message}), status=503,
                            headers={"Retry-After": "30"})
