"""Months, written once. The review periods, the sign-off, the flags, the standings' monthly partitions and
the demo data all speak of months; every one of them is this module's kind of month.

A month is the ``date`` of its first day (2026-11-01 is November 2026): it sorts, it is stored in a
DateField as it is (``ReviewPeriod.month``), and it compares with the days in it through ``month_bounds``.
Its text form is ``YYYY-MM``, the same in URLs, the JSON API and on pages.

Month arithmetic goes through the calendar month number, never through a count of days: "31 days ago"
is not "last month" (from 1 March it is 29 January, and from 5 December on a menu it skips November).
"""

from __future__ import annotations

import re
from datetime import date

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# ASCII digits only: Python's \d also matches full-width and other Unicode digits, which int() accepts.
_MONTH_TEXT = re.compile(r"([0-9]{4})-(0[1-9]|1[0-2])")


def month_of(day: date) -> date:
    """The month a day falls in (its first day)."""
    return day.replace(day=1)


def next_month(month: date) -> date:
    """The month after ``month`` (any day of it may be given)."""
    if month.month == 12:
        return date(month.year + 1, 1, 1)
    return date(month.year, month.month + 1, 1)


def previous_month(month: date) -> date:
    """The month before ``month`` (any day of it may be given)."""
    if month.month == 1:
        return date(month.year - 1, 12, 1)
    return date(month.year, month.month - 1, 1)


def month_bounds(month: date) -> tuple[date, date]:
    """The half-open range of the month's days: (its first day, the first day of the next month).

    Half-open, so that ``first <= day < following`` holds for every day of the month whatever its length,
    and the same bounds serve a date column and a partition's range.
    """
    first = month_of(month)
    return first, next_month(first)


def month_last_day(month: date) -> date:
    """The last day of the month (28, 29, 30 or 31)."""
    return date.fromordinal(next_month(month).toordinal() - 1)


def last_months(n: int, *, until: date) -> list[date]:
    """The ``n`` months ending with the month of ``until``, newest first, none skipped."""
    months: list[date] = []
    month = month_of(until)
    for step in range(n):
        months.append(month)
        if step < n - 1:  # not past the last one: the month before 0001-01 is beyond the calendar
            month = previous_month(month)
    return months


def months_between(first: date, last: date) -> list[date]:
    """Every month from the month of ``first`` to the month of ``last``, both included, newest first;
    empty when ``first`` is after ``last``."""
    first, last = month_of(first), month_of(last)
    count = (last.year - first.year) * 12 + last.month - first.month + 1
    return last_months(count, until=last) if count > 0 else []


def parse_month(text: str) -> date:
    """``YYYY-MM`` (ASCII digits, 0001-01 to 9999-11, month 01-12) as a month; anything else is refused
    with a ValidationError whose code is ``invalid_month``. 9999-12 is refused because it has no
    ``month_bounds``: the month after it is beyond the calendar."""
    match = _MONTH_TEXT.fullmatch(text) if isinstance(text, str) else None
    if match is None or int(match.group(1)) < 1 or match.group(1, 2) == ("9999", "12"):
        raise ValidationError(_("月份格式应为 YYYY-MM。"), code="invalid_month")
    return date(int(match.group(1)), int(match.group(2)), 1)


def format_month(month: date) -> str:
    """The month as ``YYYY-MM``: the form parse_month reads, in URLs, the API and messages."""
    return f"{month.year:04d}-{month.month:02d}"
