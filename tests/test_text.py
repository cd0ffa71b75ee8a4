"""config.text: what counts as typed text in a reason."""

import pytest

from config.text import stripped


@pytest.mark.parametrize(("typed", "kept"), [
    ("  补录台账 ", "补录台账"),
    ("\u200b", ""), ("\ufeff\u2060\u200d", ""), ("\u202e\u3000", ""), (None, ""), ("", ""),
    ("\u200b补录\u200b", "补录"),
    ("补\u200b录", "补\u200b录"),  # inside the text it stays: only the ends are trimmed
    ("宋𠮷", "宋𠮷"),
])
def test_stripped_drops_whitespace_and_invisible_characters_at_the_ends(typed, kept):
    assert stripped(typed) == kept
