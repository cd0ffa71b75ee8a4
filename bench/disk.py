"""Before a benchmark builds its data with ``seed_demo``: whether the server's disk can hold it.

A disk that fills under PostgreSQL stops the whole server, every database on it (PANIC on the WAL). At ten
times the railway a build takes 47 GB, and the WAL next to it passed ``max_wal_size`` (17 GB against 16 GB
while the entries' indexes were built), so a build that will not fit is refused rather than started.
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

# What a built database takes per entry, with its indexes and everything else seed_demo writes: 47 GB for
# 69,093,569 entries at 2,230,000 workers and 30 days, 5.3 GB for 6.9 million at 223,000 (this 2-core machine).
BYTES_PER_ENTRY = 760
# Where Debian's packages keep PostgreSQL's data (the README's server).
DEBIAN_DATA = Path("/var/lib/postgresql")
LOCAL_HOSTS = ("", "localhost", "127.0.0.1", "::1")
GB = 1024**3


def add_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--no-disk-check", dest="disk_check", action="store_false",
                        help="build even when the server's disk looks too small for the data")


def disk_check(workers: int, days: int) -> None:
    """The disk a build needs (one entry per worker and day, BYTES_PER_ENTRY each, and the WAL the server keeps
    between checkpoints: max_wal_size and a quarter, as it is a soft limit), printed, against what is free where
    the server keeps its data when that is this machine; SystemExit when it is less. Call after django.setup()."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_size_bytes(current_setting('max_wal_size'))")
        wal = cursor.fetchone()[0] * 5 // 4
    need = workers * days * BYTES_PER_ENTRY + wal
    local = (connection.settings_dict.get("HOST") or "") in LOCAL_HOSTS and DEBIAN_DATA.exists()
    free = shutil.disk_usage(DEBIAN_DATA).free if local else None
    print(f"building {workers:,} workers x {days} days: about {need / GB:.0f} GB of disk "
          f"({(need - wal) / GB:.0f} GB of database, {wal / GB:.0f} GB of WAL: max_wal_size and a quarter)"
          + (f"; {free / GB:.0f} GB free under {DEBIAN_DATA}" if free is not None else ""))
    if free is not None and free < need:
        lower = (" Lower max_wal_size (ALTER SYSTEM SET max_wal_size = '4GB'; SELECT pg_reload_conf();)."
                 if wal > 4 * GB else "")
        raise SystemExit(f"not enough disk: {need / GB:.0f} GB needed, {free / GB:.0f} GB free.{lower} Free some "
                         "space, or pass --no-disk-check.")
