"""A streaming replica of the test database's PostgreSQL cluster, started by .ci/replica (pg_basebackup -R
of the running server, a standby on the next port), which the read-replica tests pause, stop and start."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

SCRIPT = Path(__file__).resolve().parent.parent / ".ci" / "replica"
# The script's exit status for "this cluster is too big to copy for a test" (REPLICA_MAX_SOURCE_MB).
TOO_BIG = 3


def missing_tools() -> str | None:
    """Why a replica cannot be made on this machine, or None."""
    if shutil.which("pg_basebackup") is None:
        return "pg_basebackup is not installed (apt-get install postgresql-15 provides it)"
    return None


class ReplicaServer:
    def __init__(self, primary_port: int, port: int):
        self.env = {**os.environ, "PRIMARY_PORT": str(primary_port), "REPLICA_PORT": str(port)}
        self.port = port
        self.started_here = False

    def _run(self, *args: str) -> subprocess.CompletedProcess:
        # No descriptor of pytest's reaches the servers: close_fds, stdin from /dev/null, output captured
        # by the script's own redirections (the servers' output goes to their log files).
        return subprocess.run(["bash", str(SCRIPT), *args], env=self.env, stdin=subprocess.DEVNULL,
                              capture_output=True, text=True, timeout=300, check=False)

    def start(self) -> subprocess.CompletedProcess:
        done = self._run("start")
        self.started_here = done.returncode == 0 and "already running" not in done.stderr
        return done

    def remove(self) -> None:
        if self.started_here:
            self._run("stop")

    def halt(self) -> None:
        self._checked("halt")

    def resume(self) -> None:
        self._checked("resume")

    def sql(self, statement: str) -> str:
        """A statement on the replica as superuser (the portal's role may not pause replay); its output."""
        return self._checked("sql", statement).stdout.strip()

    def _checked(self, *args: str) -> subprocess.CompletedProcess:
        done = self._run(*args)
        if done.returncode != 0:
            raise RuntimeError(f".ci/replica {' '.join(args)} failed: {done.stderr}")
        return done
