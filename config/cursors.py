"""The one cursor format of every keyset-paged list, in the portal and the API.

A cursor is where a page ends: a short tuple of keys (ranks, dates, ids; never an employee number or a
name, because a cursor travels in "next" links that other people's pages show). It leaves the server
as an opaque string, signed with Django's signing and salted per list, so a client cannot forge a
position and a cursor of one list is refused by another. The keys are readable (base64 JSON), which is
why they are ids and never anything a viewer may not see.

A bad, tampered or foreign cursor raises InvalidCursor: the API answers it with its ``invalid_cursor``
error (config.api.errors), the portal shows the first page.
"""

from __future__ import annotations

from datetime import date

from django.core import signing

# Characters of an encoded cursor: URL-safe base64, the signature separator (safe in a query string).
ALPHABET = "A-Za-z0-9_.-"
MAX_LENGTH = 200
_SEP = "."
_BIGINT = 2**63


class InvalidCursor(ValueError):
    """A cursor that was not made by encode() for this list, or whose keys have the wrong shape."""


def encode(salt: str, *keys: int | str | date) -> str:
    """The opaque form of ``keys`` for the list named ``salt``."""
    values = [k.isoformat() if isinstance(k, date) else k for k in keys]
    return signing.Signer(salt=f"cursor:{salt}", sep=_SEP).sign_object(values)


def decode(salt: str, text: str, *kinds: type) -> tuple:
    """The keys of a cursor made by encode(salt, …), each checked against ``kinds`` (int, str or date)."""
    if not text or len(text) > MAX_LENGTH:
        raise InvalidCursor(text)
    try:
        values = signing.Signer(salt=f"cursor:{salt}", sep=_SEP).unsign_object(text)
    except (signing.BadSignature, ValueError, UnicodeDecodeError):
        raise InvalidCursor(text) from None
    if not isinstance(values, list) or len(values) != len(kinds):
        raise InvalidCursor(text)
    return tuple(_key(value, kind, text) for value, kind in zip(values, kinds, strict=True))


def _key(value, kind: type, text: str):
    if kind is int and type(value) is int and -_BIGINT <= value < _BIGINT:
        return value
    if kind is str and isinstance(value, str):
        return value
    if kind is date and isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise InvalidCursor(text)
