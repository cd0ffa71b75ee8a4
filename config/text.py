"""Text people type as reasons, answers, comments and codes, and the names of the files they download."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from config.stored_text import StoredText

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


def typed_code(text: str | None) -> str:
    """A code as a person typed it (an employee number, a certificate number), read as the code it names:
    full-width letters and digits from a Chinese input method as their ASCII forms (１１０００４４６ is
    11000446, Ｑ０００２ is Q0002), invisible format characters (Unicode category Cf: a zero-width space,
    joiner or no-break space, a byte order mark, a direction mark) dropped wherever they are, and whitespace
    around it dropped. A format character shows as nothing, so 1100\u200b0446 pasted from a chat looks
    like 11000446 to the person who typed it, and no code holds one. Case is kept: a code may be stored in
    either case, and a lookup by it is exact. A space inside is visible and left for a validator to
    refuse."""
    text = unicodedata.normalize("NFKC", text or "")
    return stripped("".join(char for char in text if unicodedata.category(char) != "Cf"))


def validate_visible(value: str) -> None:
    """A name that shows as something: one of only whitespace and invisible characters (a zero-width space
    passes a form's required check) would be a blank name in every list, ranking and export."""
    if value and not stripped(value):
        raise ValidationError(_("不能只有空白或不可见的字符。"), code="invisible")


# Characters that a file name may not hold on Windows, macOS or Linux.
_UNSAFE_NAME = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f]+')


def file_name(*parts: str, suffix: str = ".xlsx") -> str:
    """The download's name: the parts joined with "_", characters no file system takes replaced, and
    invisible format characters dropped (a right-to-left override, U+202E, would show "名单.xlsx" as
    "名单xslx." and disguise what the file is)."""
    parts = ("".join(char for char in part if unicodedata.category(char) != "Cf") for part in parts if part)
    name = "_".join(_UNSAFE_NAME.sub("-", part).strip() for part in parts)
    return f"{name[:150]}{suffix}"


@dataclass(frozen=True)
class FileName:
    """A download's name kept as its parts, named in the language of whoever downloads it: an export made
    on a Chinese page and downloaded on an English one is "Disputes_Open_2026-12-06.xlsx", not
    "申诉_待处理_…". A part is a StoredText (worded when shown: 申诉 / Disputes) or a text kept as it is (a
    competition's name, a date). ``str()`` is ``file_name`` of the parts in the active language."""

    parts: tuple
    suffix: str = ".xlsx"

    def __str__(self) -> str:
        return file_name(*(str(part) for part in self.parts), suffix=self.suffix)

    def as_json(self) -> dict:
        return {"parts": [part.as_json() if isinstance(part, StoredText) else str(part) for part in self.parts],
                "suffix": self.suffix}

    @classmethod
    def from_json(cls, data: dict) -> FileName:
        """Raises KeyError, TypeError, ValueError or AttributeError for data that is not a file name."""
        return cls(tuple(StoredText.from_json(part) if isinstance(part, dict) else str(part)
                         for part in data["parts"]), str(data["suffix"]))
