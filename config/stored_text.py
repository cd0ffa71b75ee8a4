"""Texts the system writes now and a person reads later (a background job's error and result lines, a
rescoring's reason in an entry's history), shown in the reader's language.

Such a text is kept twice: worded in the portal's language (Chinese) in its own column, for the admin and for
rows written before the facts were kept; and as its message id (the Chinese source text, the catalogue's
msgid) with its facts (``StoredText.as_json``, in a JSON column beside it), which ``shown`` words again in the
language of the page or API request that reads it. The notifications (members.notifications) and the honours
rounds' events do the same with a wording function per kind; this is the general form, for messages raised
from many places (a refusal carries its ``StoredText``: ``Refusal``).

A message id is marked with ``gettext_noop`` where it is written, so the catalogue's tools find it. A fact
may itself be a ``StoredText`` (a column's name), worded in the same language, a ``Day`` or a ``Month``,
written as the reader reads one (2026年11月5日 / 5 Nov 2026), or a ``Listed`` of facts joined in the reader's
way (甲、乙 / 甲, 乙); any other fact is shown as kept (a count
already formatted, a name). A text that is no msgid (a message some other part had already
worded) is shown as it is.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext, ngettext

from config.formatting import display_date, display_month


@dataclass(frozen=True)
class Day:
    value: date

    def __str__(self) -> str:
        return display_date(self.value)

    def as_json(self) -> dict:
        return {"day": self.value.isoformat()}


@dataclass(frozen=True)
class Month:
    value: date

    def __str__(self) -> str:
        return display_month(self.value)

    def as_json(self) -> dict:
        return {"month": self.value.isoformat()}


@dataclass(frozen=True)
class Listed:
    """Facts listed one after the other, joined by ``separator`` (a message id: "、" reads ", " in English)."""

    items: tuple
    separator: str

    def __str__(self) -> str:
        return gettext(self.separator).join(str(item) for item in self.items)

    def as_json(self) -> dict:
        return {"list": [_fact_as_json(item) for item in self.items], "separator": self.separator}


def _fact_as_json(value):
    return value.as_json() if isinstance(value, (StoredText, Day, Month, Listed)) else value


def _fact_from_json(value):
    if not isinstance(value, dict):
        return value
    if "day" in value:
        return Day(date.fromisoformat(value["day"]))
    if "month" in value:
        return Month(date.fromisoformat(value["month"]))
    if "list" in value:
        return Listed(tuple(_fact_from_json(item) for item in value["list"]), str(value["separator"]))
    return StoredText.from_json(value)


@dataclass(frozen=True)
class StoredText:
    """A message id and its facts. A message that states a count of things (English "1 entry", "2 entries")
    also keeps its plural id and the count, which chooses the form (ngettext) when it is worded."""

    msgid: str
    facts: dict = field(default_factory=dict)
    plural: str = ""
    count: int = 0

    def __str__(self) -> str:
        """The text in the active language."""
        if self.plural:
            text = ngettext(self.msgid, self.plural, self.count)
        else:
            # A plural message stored before its count was kept (a job's result from before) reads in its plural
            # form, as it did then ("Imported 3 entries"; gettext would give the form for 1). ngettext of any
            # other message finds no plural entry and gives the msgid back.
            text = ngettext(self.msgid, self.msgid, 2)
            if text == self.msgid:
                text = gettext(self.msgid)
        if not self.facts and "%(" not in self.msgid:
            return text  # a message without facts may hold a plain "%"
        # A message that names facts it was not given raises KeyError (shown() falls back to the stored words).
        return text % {name: str(value) for name, value in self.facts.items()}

    def written(self) -> str:
        """The text in the portal's language: what its column keeps."""
        with translation.override(settings.LANGUAGE_CODE):
            return str(self)

    def as_json(self) -> dict:
        data = {"id": self.msgid, "facts": {name: _fact_as_json(value) for name, value in self.facts.items()}}
        if self.plural:
            data |= {"plural": self.plural, "count": self.count}
        return data

    @classmethod
    def from_json(cls, data: dict) -> StoredText:
        """Raises KeyError, TypeError, ValueError or AttributeError for data that is not a stored text."""
        return cls(str(data["id"]), {name: _fact_from_json(value) for name, value in data.get("facts", {}).items()},
                   str(data.get("plural", "")), int(data.get("count", 0)))


def label_text(label) -> StoredText:
    """A choice's label (``Status.X.label``, a lazy translation, not ``get_FOO_display()``, already worded) as a
    fact worded in the reader's language: its message id."""
    with translation.override(None):
        return StoredText(str(label))


def as_stored(text) -> StoredText:
    """``text`` as a StoredText: itself, or a text already worded (shown as it is)."""
    return text if isinstance(text, StoredText) else StoredText(str(text))


def shown(data: dict | None, written: str) -> str:
    """The stored text ``data`` (StoredText.as_json) in the active language; ``written`` (its column) when
    there is none (a row older than the facts) or its facts do not fit its message."""
    if data:
        try:
            return str(StoredText.from_json(data))
        except (KeyError, TypeError, ValueError, AttributeError):
            pass
    return written


class Refusal(Exception):  # noqa: N818 - named as the other refusals (TransitionRefused)
    """Work refused with a message for the person, worded when it is read: ``Refusal(gettext_noop("…%(n)s…"),
    n=3)``, or with a StoredText. ``str()`` is the message in the active language; ``text`` keeps its id and
    facts, for a job that stores it."""

    def __init__(self, message, /, **facts):
        self.text = message if isinstance(message, StoredText) else StoredText(str(message), facts)
        super().__init__(self.text.msgid)

    def __str__(self) -> str:
        return str(self.text)
