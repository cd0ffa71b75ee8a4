"""Uploaded files parked between a preview and its confirmation (the clerk's entry import, the admin's
Excel/CSV import).

On disk under ``PARKED_UPLOADS_DIR`` (``var/parked-uploads``; on several web hosts, a directory they
share), never in Redis: Redis is the broker's memory, and twenty clerks previewing 20 MB files must not
fill it. Bounded: at most ``PER_USER`` files per account (a new preview drops that account's oldest),
each kept ``MAX_AGE_SECONDS`` (an expired file reads as gone and is deleted by the next park of anyone),
so the directory holds at most PER_USER files of the size limit per active account.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import time
from contextvars import ContextVar
from pathlib import Path

from django.conf import settings
from import_export.tmp_storages import BaseStorage

PER_USER = 2
MAX_AGE_SECONDS = 60 * 60
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{22}$")  # secrets.token_urlsafe(16): no path can hide in one


def _root() -> Path:
    return Path(settings.PARKED_UPLOADS_DIR)


def _path(user_id: int, token: str) -> Path | None:
    if not isinstance(token, str) or not _TOKEN.match(token):
        return None
    return _root() / str(int(user_id)) / token


def park(*, user_id: int, name: str, content: bytes) -> str:
    """Parks ``content`` for ``user_id``; returns the token that reads it back."""
    folder = _root() / str(int(user_id))
    folder.mkdir(parents=True, exist_ok=True)
    remove_expired()
    kept = sorted(folder.iterdir(), key=lambda p: p.stat().st_mtime)
    for old in kept[: max(0, len(kept) - (PER_USER - 1))]:  # room for the new one
        old.unlink(missing_ok=True)
    token = secrets.token_urlsafe(16)
    partial = folder / f".{token}"
    # The file's name on the first line; written aside and renamed, so a reader never sees half a file.
    partial.write_bytes(json.dumps(name).encode() + b"\n" + content)
    os.replace(partial, folder / token)
    return token


def parked(*, user_id: int, token: str) -> tuple[str, bytes] | None:
    """(name, content) of one of ``user_id``'s parked files, or None if it is gone, expired or not theirs."""
    path = _path(user_id, token)
    try:
        if path is None or time.time() - path.stat().st_mtime > MAX_AGE_SECONDS:
            return None
        name, _newline, content = path.read_bytes().partition(b"\n")
    except FileNotFoundError:
        return None
    return json.loads(name), content


def unpark(*, user_id: int, token: str) -> None:
    path = _path(user_id, token)
    if path is not None:
        path.unlink(missing_ok=True)


def remove_expired() -> int:
    """Deletes every parked file past MAX_AGE_SECONDS (and half-written ones as old); returns how many."""
    cutoff, removed = time.time() - MAX_AGE_SECONDS, 0
    if not _root().is_dir():
        return 0
    for folder in _root().iterdir():
        for path in folder.iterdir() if folder.is_dir() else ():
            try:
                if path.stat().st_mtime < cutoff:
                    path.unlink()
                    removed += 1
            except FileNotFoundError:  # taken by a concurrent request
                pass
    return removed


# The account an admin import runs for: django-import-export builds its storage without the request.
admin_import_user: ContextVar[int | None] = ContextVar("admin_import_user", default=None)


class ParkedUploadStorage(BaseStorage):
    """django-import-export's temporary storage over the parked files of the account in
    ``admin_import_user`` (set around the admin's import views, members/admin_import.py)."""

    def _user(self) -> int:
        user_id = admin_import_user.get()
        if user_id is None:
            raise RuntimeError("ParkedUploadStorage used outside an admin import view")
        return user_id

    def save(self, data):
        if isinstance(data, str):
            data = data.encode(self.encoding or "utf-8")
        self.name = park(user_id=self._user(), name="", content=data)

    def read(self):
        stored = parked(user_id=self._user(), token=self.name)
        if stored is None:
            raise FileNotFoundError("parked upload expired or missing")
        content = stored[1]
        return content if "b" in self.read_mode else content.decode(self.encoding or "utf-8")

    def remove(self):
        unpark(user_id=self._user(), token=self.name)
