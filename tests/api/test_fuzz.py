"""A schema-driven fuzz run (Schemathesis) against a live server: zero 5xx responses, and the API
does what its schema says: what the schema allows is not refused, what it forbids is refused with a 4xx,
responses match their documented status codes, bodies and headers.

A real gunicorn serves the test database (the data of this test is committed: transaction=True);
Schemathesis reads /api/v1/schema/ and sends generated valid and invalid requests to every operation
with a bearer token of an account holding the worker, clerk and reviewer roles at once, so every
endpoint is reachable. Bounded: a fixed number of examples per operation, a fixed seed.
"""

import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest
from django.db import connection

from competitions.services import standings_recompute
from members.api.authentication import tokens_issue
from reviews import services

ROOT = Path(__file__).resolve().parents[2]
MAX_EXAMPLES = int(os.environ.get("API_FUZZ_MAX_EXAMPLES", "20"))
MAX_SECONDS = int(os.environ.get("API_FUZZ_MAX_SECONDS", "90"))
ACCESS_LOG = Path(tempfile.gettempdir()) / f"api-fuzz-access-{os.getpid()}.log"
# coverage: the schema's boundary values (page_size 0, 1, 100, 101; an id of 0; an empty value) for every
# parameter, deterministically, before fuzzing spends the rest of the time budget.
PHASES = os.environ.get("API_FUZZ_PHASES", "examples,coverage,fuzzing")
# Every Schemathesis check runs but those schemathesis.toml (beside this file) turns off, each with its reason.
CONFIG = Path(__file__).with_name("schemathesis.toml")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def database_url() -> str:
    s = connection.settings_dict
    return f"postgres://{s['USER']}:{s['PASSWORD']}@{s['HOST'] or 'localhost'}:{s['PORT'] or 5432}/{s['NAME']}"


@pytest.fixture
def live_server_url(transactional_db, w, today):
    env = {**os.environ, "DATABASE_URL": database_url(), "DJANGO_SETTINGS_MODULE": "config.settings.test",
           "API_THROTTLE_ANON": "100000/min", "API_THROTTLE_USER": "100000/min",
           "API_THROTTLE_LOGIN_ACCOUNT": "100000/min", "API_THROTTLE_LOGIN_IP": "100000/min",
           "LOG_LEVEL": "WARNING"}
    env.pop("REDIS_URL", None)  # throttle counters in the server's own memory, not the shared Redis
    port = free_port()
    server_log = tempfile.TemporaryFile()
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "config.wsgi:application", "--bind", f"127.0.0.1:{port}",
         "--workers", "2", "--timeout", "60", "--log-level", "warning",
         # A request line's length is the HTTP server's limit, answered 414 in its own words before the
         # API runs; this run tests the schema's bounds, and a list (?status=...&status=...) has none.
         "--limit-request-line", "0",
         "--access-logfile", str(ACCESS_LOG), "--access-logformat", '%(D)s %(s)s %(m)s %(U)s'],
        # Into a file, never a pipe nobody reads: a full pipe buffer blocks every worker's logging.
        cwd=ROOT, env=env, stdout=server_log, stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"{url}/api/v1/schema/", timeout=2)  # noqa: S310 - our own localhost server
                break
            except OSError:
                if server.poll() is not None:
                    server_log.seek(0)
                    pytest.fail(server_log.read().decode(errors="replace"))
                time.sleep(0.2)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()
        server_log.close()


@pytest.fixture
def everyone(w, today):
    """One account that is worker, clerk and reviewer, with entries, a dispute and standings to read."""
    user = w.alice_user
    user.clerk_units.add(w.depot)
    user.reviewer_systems.add(w.system)
    entry = services.entry_create(actor=w.clerk, competition=w.comp, worker_id=w.alice.pk, rule_id=w.km.pk,
                                  work_date=w.yesterday, quantity="10")
    services.entry_create(actor=w.clerk, competition=w.comp, worker_id=w.bob.pk, rule_id=w.km.pk,
                          work_date=w.yesterday, quantity="20")
    services.dispute_open(actor=user, work_date=w.yesterday, comment="核对", entry_id=entry.pk)
    standings_recompute(competition=w.comp, day=today)
    return tokens_issue(user=user).access


@pytest.mark.skipif(shutil.which("st", path=str(Path(sys.executable).parent)) is None,
                    reason="schemathesis is a dev dependency")
def test_fuzzing_every_operation_finds_no_server_error_and_no_schema_violation(live_server_url, everyone, tmp_path):
    started = time.monotonic()
    log = tmp_path / "schemathesis.log"
    with log.open("w") as out:
        result = subprocess.run(
            [str(Path(sys.executable).parent / "st"), "--config-file", str(CONFIG),
             "run", f"{live_server_url}/api/v1/schema/",
             "--phases", PHASES,
             # One worker: with two, Python 3.11 once raised "SystemError: AST constructor recursion depth
             # mismatch" inside Schemathesis' coverage phase (threads compiling at once), failing a green run.
             "--max-examples", str(MAX_EXAMPLES), "--seed", "20261124", "--workers", "1",
             "--header", f"Authorization: Bearer {everyone}",
             # logging out would revoke the token the rest of the run uses
             "--exclude-operation-id", "auth_logout",
             "--request-timeout", "20", "--suppress-health-check", "all", "--no-color",
             "--max-time", str(MAX_SECONDS)],
            cwd=tmp_path, stdout=out, stderr=subprocess.STDOUT, text=True, timeout=MAX_SECONDS + 120,
            env={**os.environ, "PYTHONPATH": str(ROOT), "SCHEMATHESIS_HOOKS": "tests.api.schemathesis_hooks"},
        )
    output = log.read_text()
    # "<microseconds> <status> <method> <path>"; a fuzzed path may itself hold a newline, so only
    # lines that start like an entry are entries.
    times = [m.groups() for m in re.finditer(r"^(\d+) (\d{3} .*)$", ACCESS_LOG.read_text(), re.MULTILINE)]
    slow = [rest for micros, rest in times if int(micros) > 2_000_000]
    print("slow requests (> 2 s):", *slow[:20], sep="\n  ")
    print(output[-8000:])
    print(f"fuzz run took {time.monotonic() - started:.0f}s")
    statuses = [rest.split(" ", 1)[0] for _, rest in times]
    assert result.returncode == 0, output[-8000:]
    assert " passed" in output and "Server error" not in output
    assert len(statuses) > 500 and not [s for s in statuses if s.startswith("5")]
