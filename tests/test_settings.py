import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from config import embedded_db, env

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
    (lambda: env.env_database("X"), "mysql://u@h/db"),
    (lambda: env.env_database("X"), "sqlite:///tmp/portal.sqlite3"),
    (lambda: env.env_database("X"), "postgres://u@h:5432/"),
    (lambda: env.env_redis_url("X"), "http://localhost:6379"),
    (lambda: env.env_redis_url("X"), "redis://localhost:notaport/0"),
])
def test_a_bad_value_stops_start_up_naming_the_variable(environ, reader, raw):
    environ(X=raw)
    with pytest.raises(ImproperlyConfigured, match="X"):
        reader()


def test_no_database_url_stops_start_up_naming_the_variable(monkeypatch):
    monkeypatch.delenv("X", raising=False)
    with pytest.raises(ImproperlyConfigured, match="X is required: postgres://"):
        env.env_database("X")


def test_a_postgres_url_becomes_django_settings_with_persistent_connections(environ):
    environ(X="postgres://portal:secret@db.example.org:5433/portal")
    config = env.env_database("X")
    assert (config["ENGINE"], config["HOST"], config["PORT"], config["NAME"], config["CONN_MAX_AGE"]) == (
        "django.db.backends.postgresql", "db.example.org", 5433, "portal", 60)


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


def test_the_demo_settings_run_tasks_in_process_on_the_embedded_postgresql_under_var():
    was_running = embedded_db.is_running()
    try:
        result = _run("config.settings.local", {}, "shell", "-c",
                      "from django.conf import settings as s; from django.db import connection as c;"
                      " print(c.vendor, c.settings_dict['HOST'], s.CELERY_TASK_ALWAYS_EAGER, s.LANGUAGE_CODE, s.TIME_ZONE);"
                      " print(c.cursor().execute('SELECT current_database()').fetchone()[0])")
    finally:
        if not was_running:
            embedded_db.stop()
    assert result.returncode == 0, result.stderr
    settings_line, database = result.stdout.strip().splitlines()[-2:]
    socket_dir = str(embedded_db.socket_dir((ROOT / "var" / "postgres").resolve()))
    assert settings_line.split() == ["postgresql", socket_dir, "True", "zh-hans", "Asia/Shanghai"]
    assert database == "portal"


def test_the_test_settings_refuse_to_start_without_a_database_url():
    result = _run("config.settings.test", {}, "check")
    assert result.returncode != 0 and "DATABASE_URL is required: postgres://" in result.stderr


def test_replica_urls_become_read_only_aliases_that_tests_mirror_to_the_test_database():
    result = _run("config.settings.production", {
        "SECRET_KEY": secrets.token_urlsafe(64), "DATABASE_URL": "postgres://portal:portal@db1/portal",
        "REDIS_URL": "redis://127.0.0.1:6379/0",
        "DATABASE_REPLICA_URLS": "postgres://portal:portal@db2/portal, postgres://portal:portal@db3:6432/portal",
    }, "shell", "-c",
        "from django.conf import settings as s; d = s.DATABASES;"
        " print(s.DATABASE_REPLICAS, s.DATABASE_REPLICA_MAX_LAG_SECONDS, s.DATABASE_ROUTERS, s.MIDDLEWARE[-1]);"
        " print([(d[a]['HOST'], d[a]['PORT'], d[a]['TEST']['MIRROR'], d[a]['OPTIONS']['connect_timeout'],"
        " d[a]['OPTIONS']['prepare_threshold']) for a in s.DATABASE_REPLICAS])")
    assert result.returncode == 0, result.stderr
    aliases, options = result.stdout.strip().splitlines()[-2:]
    assert aliases == ("['replica1', 'replica2'] 10 ['config.db_router.PrimaryReplicaRouter'] "
                       "config.db_router.ReplicaReadsMiddleware")
    assert options == "[('db2', '', 'default', 3, 0), ('db3', 6432, 'default', 3, 0)]"


def test_without_replica_urls_there_is_one_database(monkeypatch):
    monkeypatch.delenv("X", raising=False)
    assert env.env_databases("X") == []


def test_a_replica_url_that_is_not_postgres_stops_start_up_naming_the_variable(environ):
    environ(X="postgres://u:p@h/db,mysql://u@h/db")
    with pytest.raises(ImproperlyConfigured, match="X has scheme 'mysql'"):
        env.env_databases("X")
