"""config/cursors.py: the one cursor format of every keyset-paged list."""

from datetime import date

import pytest

from config import cursors


def test_a_cursor_round_trips_its_keys_for_its_own_list():
    text = cursors.encode("entries", date(2026, 3, 1), 42)
    assert cursors.decode("entries", text, date, int) == (date(2026, 3, 1), 42)
    assert all(c.isalnum() or c in "_.-" for c in text)  # safe in a query string as it is


@pytest.mark.parametrize("tamper", [
    lambda t: cursors.decode("review-queue", t, date, int),  # another list's salt
    lambda t: cursors.decode("entries", t[:-1] + ("A" if t[-1] != "A" else "B"), date, int),  # signature
    lambda t: cursors.decode("entries", t, int, int),  # keys of another shape
    lambda t: cursors.decode("entries", t, date, int, int),
    lambda t: cursors.decode("entries", "", date, int),
    lambda t: cursors.decode("entries", "a" * 500, date, int),
    lambda t: cursors.decode("entries", "bm90IGpzb24.x", date, int),
])
def test_anything_else_is_an_invalid_cursor(tamper):
    text = cursors.encode("entries", date(2026, 3, 1), 42)
    with pytest.raises(cursors.InvalidCursor):
        tamper(text)


def test_keys_are_checked_against_their_kinds():
    assert cursors.decode("x", cursors.encode("x", "a", 1), str, int) == ("a", 1)
    for keys, kinds in [((True, 1), (int, int)), ((2**63, 1), (int, int)), (("2026-13-01", 1), (date, int)),
                        ((1, 1), (str, int))]:
        with pytest.raises(cursors.InvalidCursor):
            cursors.decode("x", cursors.encode("x", *keys), *kinds)
