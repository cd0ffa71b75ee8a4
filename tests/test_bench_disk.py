"""The benchmarks refuse a build the server's disk cannot hold (bench.disk): a full disk stops PostgreSQL altogether."""

from __future__ import annotations

import shutil
from collections import namedtuple

import pytest
from django.db import connection

from bench import disk

pytestmark = pytest.mark.django_db
Usage = namedtuple("Usage", "total used free")
GB = 1024**3


@pytest.fixture
def local_server(monkeypatch, tmp_path):
    """The database on this machine, its data directory on a disk with ``free`` bytes free."""
    monkeypatch.setattr(disk, "DEBIAN_DATA", tmp_path)
    monkeypatch.setitem(connection.settings_dict, "HOST", "127.0.0.1")

    def with_free(free: int):
        monkeypatch.setattr(shutil, "disk_usage", lambda path: Usage(10**15, 0, free) if path == tmp_path
                            else pytest.fail(f"looked at {path}"))
    return with_free


def max_wal_size() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_size_bytes(current_setting('max_wal_size'))")
        return cursor.fetchone()[0]


def test_a_build_larger_than_the_free_disk_is_refused_before_anything_is_written(local_server, capsys):
    local_server(40 * GB)
    with pytest.raises(SystemExit, match=r"not enough disk: \d+ GB needed, 40 GB free"):
        disk.disk_check(2_230_000, 30)  # 47 GB of database alone
    assert "2,230,000 workers x 30 days" in capsys.readouterr().out


def test_a_build_the_disk_holds_goes_ahead_and_says_what_it_needs(local_server, capsys):
    need = 223_000 * 30 * disk.BYTES_PER_ENTRY + max_wal_size() * 5 // 4
    local_server(need + 1)
    disk.disk_check(223_000, 30)
    assert f"about {need / GB:.0f} GB of disk" in capsys.readouterr().out
    local_server(need - 1)
    with pytest.raises(SystemExit):
        disk.disk_check(223_000, 30)


def test_a_server_elsewhere_is_not_judged_by_this_machine_s_disk(monkeypatch, capsys):
    monkeypatch.setitem(connection.settings_dict, "HOST", "db.internal")
    monkeypatch.setattr(shutil, "disk_usage", lambda path: pytest.fail("read this machine's disk"))
    disk.disk_check(2_230_000, 30)
    assert "GB free" not in capsys.readouterr().out
