"""config.months: the one place month arithmetic is written. Checked against the calendar itself
(calendar.monthrange) over every month of several centuries, and at the edges by name."""

import calendar
from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError

from config.months import (
    format_month,
    last_months,
    month_bounds,
    month_last_day,
    month_of,
    months_between,
    next_month,
    parse_month,
    previous_month,
)

EVERY_MONTH = [date(y, m, 1) for y in (1, 1899, 1900, 1999, 2000, 2023, 2024, 2025, 2026, 2100, 9998) for m in range(1, 13)]


@pytest.mark.parametrize("month", EVERY_MONTH, ids=format_month)
def test_the_bounds_of_every_month_hold_exactly_its_days(month):
    length = calendar.monthrange(month.year, month.month)[1]
    for day in (month, month + timedelta(days=length // 2), month + timedelta(days=length - 1)):
        first, following = month_bounds(day)
        assert first == month
        assert (following - first).days == length
        assert first <= day < following
        assert month_of(day) == month
        assert month_last_day(day) == following - timedelta(days=1)


@pytest.mark.parametrize("month", EVERY_MONTH, ids=format_month)
def test_next_and_previous_month_undo_each_other_from_any_day(month):
    length = calendar.monthrange(month.year, month.month)[1]
    last = month + timedelta(days=length - 1)
    assert next_month(last) == last + timedelta(days=1)  # from the last day, the next month is tomorrow
    assert previous_month(next_month(month)) == month
    if month > date(1, 1, 1):
        assert previous_month(last) == month_of(month - timedelta(days=1))
        assert next_month(previous_month(last)) == month


@pytest.mark.parametrize(("day", "last"), [
    (date(2026, 1, 15), date(2026, 1, 31)),
    (date(2026, 4, 30), date(2026, 4, 30)),
    (date(2026, 2, 1), date(2026, 2, 28)),
    (date(2024, 2, 10), date(2024, 2, 29)),  # leap year
    (date(2000, 2, 10), date(2000, 2, 29)),  # divisible by 400: leap
    (date(1900, 2, 10), date(1900, 2, 28)),  # divisible by 100 only: not leap
    (date(2026, 12, 31), date(2026, 12, 31)),
])
def test_the_last_day_of_a_month(day, last):
    assert month_last_day(day) == last


def test_months_cross_the_year_boundary_both_ways():
    assert next_month(date(2026, 12, 31)) == date(2027, 1, 1)
    assert previous_month(date(2027, 1, 1)) == date(2026, 12, 1)
    assert month_bounds(date(2026, 12, 5)) == (date(2026, 12, 1), date(2027, 1, 1))


def test_the_last_months_skip_none_even_from_the_fifth_of_december():
    assert last_months(6, until=date(2026, 12, 5)) == [
        date(2026, 12, 1), date(2026, 11, 1), date(2026, 10, 1), date(2026, 9, 1), date(2026, 8, 1), date(2026, 7, 1),
    ]
    assert last_months(3, until=date(2026, 3, 31)) == [date(2026, 3, 1), date(2026, 2, 1), date(2026, 1, 1)]
    assert last_months(2, until=date(2026, 1, 1)) == [date(2026, 1, 1), date(2025, 12, 1)]
    assert last_months(0, until=date(2026, 1, 1)) == []


@pytest.mark.parametrize("until", [date(2026, 1, 31), date(2024, 3, 31), date(2026, 12, 5), date(2025, 7, 31)])
def test_the_last_months_are_consecutive_and_distinct(until):
    months = last_months(40, until=until)
    assert len(set(months)) == 40
    for newer, older in zip(months, months[1:], strict=False):
        assert previous_month(newer) == older and newer.day == older.day == 1


def test_months_between_includes_both_ends_newest_first():
    assert months_between(date(2025, 11, 20), date(2026, 2, 3)) == [
        date(2026, 2, 1), date(2026, 1, 1), date(2025, 12, 1), date(2025, 11, 1),
    ]
    assert months_between(date(2026, 2, 28), date(2026, 2, 1)) == [date(2026, 2, 1)]
    assert months_between(date(2026, 3, 1), date(2026, 2, 28)) == []


def test_months_reach_the_first_month_of_the_calendar_without_stepping_past_it():
    # A competition entered in the admin from 0001-01-01 asks for its months down to 0001-01.
    assert last_months(2, until=date(1, 2, 9)) == [date(1, 2, 1), date(1, 1, 1)]
    assert months_between(date(1, 1, 1), date(1, 3, 31)) == [date(1, 3, 1), date(1, 2, 1), date(1, 1, 1)]


@pytest.mark.parametrize(("text", "month"), [
    ("2026-01", date(2026, 1, 1)), ("2026-12", date(2026, 12, 1)), ("0001-01", date(1, 1, 1)),
    ("9999-11", date(9999, 11, 1)), ("2024-02", date(2024, 2, 1)),
])
def test_parse_month_reads_what_format_month_writes(text, month):
    assert parse_month(text) == month
    assert format_month(month) == text


@pytest.mark.parametrize("text", [
    "", "2026", "2026-1", "2026-00", "2026-13", "0000-01", "9999-12", "26-01", "2026-01-01", "2026/01", " 2026-01",
    "2026-01\n", "２０２６-０１", "2026-０１", "٢٠٢٦-01", "+2026-01", "2026-+1", None, 202601,
])
def test_parse_month_refuses_anything_but_yyyy_mm_with_a_stable_code(text):
    with pytest.raises(ValidationError) as refused:
        parse_month(text)
    assert refused.value.code == "invalid_month"
    assert "YYYY-MM" in refused.value.messages[0]


def test_format_month_pads_the_year_and_month():
    assert format_month(date(33, 3, 9)) == "0033-03"
