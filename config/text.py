"""Text people type as reasons, answers and comments."""

from __future__ import annotations

import unicodedata

# Characters that print as nothing: controls, format characters (zero-width space and joiners, the byte
# order mark, direction marks and overrides) and separators.
INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf", "Zs", "Zl", "Zp"})


def _invisible(char: str) -> bool:
    return char.isspace() or unicodedata.category(char) in INVISIBLE_CATEGORIES


def stripped(text: str | None) -> str:
    """``text`` without the whitespace and invisible characters around it: "" when nothing visible is left,
    so that a required reason made of a zero-width space (U+200B) or a byte order mark is no reason."""
    text = (text or "").strip()
    start, end = 0, len(text)
    while start < end and _invisible(text[start]):
        start += 1
    while end > start and _invisible(text[end - 1]):
        end -= 1
    return text[start:end]
