"""No page can run into gunicorn's worker timeout: web processes give PostgreSQL a statement timeout
(settings.WEB_STATEMENT_TIMEOUT_MS, set by config/wsgi.py's PORTAL_PROCESS=web), and a cancelled statement
is answered with a 503 "try again" (config.db_health.StatementTimeoutMiddleware), not a 500."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection
from django.http import HttpResponse
from django.urls import path

from config import urls as portal_urls

ROOT = Path(__file__).resolve().parents[1]


def _sleepy(request):
    with connection.cursor() as cursor:
        cursor.execute("SET statement_timeout = 50")
        try:
            cursor.execute("SELECT pg_sleep(2)")
        finally:
            cursor.execute("SET statement_timeout = 0")
    return HttpResponse("never")


# The portal's own URLs too: the page's layout links to them.
urlpatterns = [path("slow/", _sleepy), path("api/v1/slow/", _sleepy), *portal_urls.urlpatterns]


def _timeout_in(env: dict) -> str:
    code = ("import django; django.setup(); from django.db import connection; c = connection.cursor();"
            " c.execute('SHOW statement_timeout'); print(c.fetchone()[0])")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env={**os.environ, **env}, capture_output=True,
                            text=True, timeout=60, check=True)
    return result.stdout.strip()


@pytest.mark.django_db
def test_only_web_processes_get_the_statement_timeout():
    settings_module = {"DJANGO_SETTINGS_MODULE": "config.settings.local"}
    assert _timeout_in({**settings_module, "PORTAL_PROCESS": "web"}) == "20s"
    assert _timeout_in({**settings_module, "PORTAL_PROCESS": "web", "WEB_STATEMENT_TIMEOUT_MS": "1500"}) == "1500ms"
    # Celery workers, management commands and the tests run without it.
    assert _timeout_in({**settings_module, "PORTAL_PROCESS": "worker"}) == "0"


def test_wsgi_marks_the_process_as_web():
    code = "import os; import config.wsgi; print(os.environ['PORTAL_PROCESS'])"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.local"}
    env.pop("PORTAL_PROCESS", None)
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=60, check=True)
    assert result.stdout.strip() == "web"


@pytest.mark.urls("tests.test_statement_timeout")
@pytest.mark.django_db(transaction=True)
def test_a_cancelled_statement_is_a_503_try_again(client, caplog):
    client.raise_request_exception = False
    page = client.get("/slow/?name=张三")
    assert page.status_code == 503
    assert page["Retry-After"] == "30"
    assert "请求处理超时" in page.content.decode()

    api = client.get("/api/v1/slow/")
    assert api.status_code == 503
    assert api.json()["error"]["code"] == "request_timeout"
    # Logged without the query string (it may carry what a person typed).
    assert "/slow/" in caplog.text and "张三" not in caplog.text
