import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from config import env

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def environ(monkeypatch):
    def set_(**values):
        for key, value in values.items():
            monkeypatch.setenv(key, value)
    return set_


@pytest.mark.parametrize(("raw", "expected"), [("1", True), ("true", True), ("ON", True), ("0", False), ("no", False)])
def test_booleans_are_read_strictly(environ, raw, expected):
    environ(FLAG=raw)
    assert env.env_bool("FLAG", not expected) is expected


@pytest.mark.parametrize(("reader", "raw"), [
    (lambda: env.env_bool("X", False), "maybe"),
    (lambda: env.env_int("X", 1), "ten"),
    (lambda: env.env_int("X", 1, minimum=0), "-3"),
    (lambda: env.env_list("X", []), "a,,b"),
    (lambda: env.env_database("X", "/tmp/x"), "mysql://u@h/db"),
    (lambda: env.env_database("X", "/tmp/x"), "postgres://u@h:5432/"),
    (lambda: env.env_redis_url("X"), "http://localhost:6379"),
    (lambda: env.env_redis_url("X"), "redis://localhost:notaport/0"),
])
def test_a_bad_value_stops_start_up_naming_the_variable(environ, reader, raw):
    environ(X=raw)
    with pytest.raises(ImproperlyConfigured, match="X"):
        reader()


def test_no_database_url_means_the_embedded_sqlite_file(monkeypatch):
    monkeypatch.delenv("X", raising=False)
    assert env.env_database("X", "/tmp/portal.sqlite3")["ENGINE"] == "django.db.backends.sqlite3"


def _run(settings, extra_env, *args):
    clean = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "SECRET_KEY", "DEBUG"}}
    clean.update(DJANGO_SETTINGS_MODULE=settings, **extra_env)
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=clean, capture_output=True, text=True,
                          timeout=120)


def test_production_settings_pass_check_deploy_without_warnings():
    result = _run("config.settings.production", {
        "SECRET_KEY": secrets.token_urlsafe(64), "DATABASE_URL": "postgres://portal:portal@127.0.0.1/portal",
        "REDIS_URL": "redis://127.0.0.1:6379/0", "ALLOWED_HOSTS": "portal.example.org",
    }, "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_a_real_secret_key():
    result = _run("config.settings.production", {"DATABASE_URL": "postgres://u:p@h/db", "REDIS_URL": "redis://h:6379/0"},
                  "check")
    assert result.returncode != 0 and "SECRET_KEY" in result.stderr


def test_the_embedded_default_runs_tasks_in_process_and_uses_sqlite():
    result = _run("config.settings.local", {}, "shell", "-c",
                  "from django.conf import settings as s; print(s.DATABASES['default']['ENGINE'], s.CELERY_TASK_ALWAYS_EAGER,"
                  " s.LANGUAGE_CODE, s.TIME_ZONE)")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1].split() == ["django.db.backends.sqlite3", "True", "zh-hans", "Asia/Shanghai"]
