"""Numbers, points, quantities, months and dates are shown one way, in both languages, from Python and
from any template without a {% load %}."""

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.template import engines
from django.utils import translation

from config.formatting import (
    POINT_DECIMALS,
    display_date,
    display_datetime,
    display_month,
    format_count,
    format_number,
    format_points,
    format_quantity,
    quantity_decimals,
    xlsx_number_format,
)

BOTH = pytest.mark.parametrize("language", ["zh-hans", "en"])


@BOTH
def test_counts_have_thousands_separators_in_both_languages(language):
    with translation.override(language):
        assert [format_count(n) for n in (0, 7, 1234, 1234567, -20000)] == ["0", "7", "1,234", "1,234,567", "-20,000"]


@BOTH
def test_points_always_have_the_three_decimals_the_database_stores(language):
    with translation.override(language):
        assert format_points(Decimal("12345.5")) == "12,345.500"
        assert format_points(Decimal("100")) == "100.000"
        assert format_points(Decimal("-20")) == "-20.000"
        # 0.005 apart is never shown as the same figure, nor as 0.00.
        assert format_points(Decimal("100.125")) == "100.125"
        assert format_points(Decimal("0.005")) == "0.005"
        # A computed average is rounded to what is stored, half up; a float (the dashboard's) alike.
        assert format_points(Decimal("2") / Decimal("3")) == "0.667"
        assert format_points(12.5) == "12.500" and format_points(None) == ""
        assert format_points(Decimal("-0.0004")) == "0.000"


def test_a_points_column_of_whole_half_and_thousandth_points_shows_one_width():
    template = engines["django"].from_string("{% for p in column %}<td>{{ p|points }}</td>{% endfor %}")
    shown = template.render({"column": [Decimal("12.5"), Decimal("12.345"), Decimal("12"), 12, "12.000"]})
    assert shown == "<td>12.500</td><td>12.345</td><td>12.000</td><td>12.000</td><td>12.000</td>"
    # and the spreadsheet shows its number cells the same way
    assert xlsx_number_format(POINT_DECIMALS) == "#,##0.000"


def test_a_quantity_is_shown_with_its_units_decimals():
    assert quantity_decimals("趟") == 0 and quantity_decimals("公里") == 1 and quantity_decimals("吨") == 1
    assert quantity_decimals(" 台 ") == 0 and quantity_decimals("自定义单位") == 2 and quantity_decimals(None) == 2
    assert format_quantity(Decimal("12.000"), "趟") == "12"
    assert format_quantity(Decimal("1234.000"), "公里") == "1,234.0"
    assert format_quantity(Decimal("412.5"), "公里", with_unit=True) == "412.5 公里"
    assert format_quantity(Decimal("3"), "箱件") == "3.00"
    # Half a trip stays half a trip.
    assert format_quantity(Decimal("0.5"), "趟") == "0.5"
    assert format_quantity(None, "趟", with_unit=True) == ""


def test_what_is_no_number_comes_back_as_it_is():
    assert format_number(None) == "" and format_number("–") == "–" and format_number("abc", 2) == "abc"
    assert format_number(float("nan"), 2) == "nan" and format_number(True) == "True"
    assert format_number(0.1, 2) == "0.10" and format_number("1234.5", 1) == "1,234.5"


def test_months_and_dates_in_chinese():
    with translation.override("zh-hans"):
        assert display_month(date(2026, 11, 1)) == "2026年11月"
        assert display_month(date(2026, 3, 17)) == "2026年3月"
        assert display_month("2026-01") == "2026年1月"
        assert display_date(date(2026, 11, 5)) == "2026年11月5日"


def test_months_and_dates_in_english():
    with translation.override("en"):
        assert display_month(date(2026, 11, 1)) == "Nov 2026"
        assert display_month("2026-01") == "Jan 2026"
        assert display_date(date(2026, 11, 5)) == "5 Nov 2026"


def test_text_that_is_no_month_is_shown_as_it_is():
    assert display_month("2026-13") == "2026-13" and display_month(None) == "" and display_date(None) == ""


def test_a_moment_is_shown_in_local_time():
    utc = datetime(2026, 11, 30, 17, 5, tzinfo=ZoneInfo("UTC"))  # 01:05 on 1 December in Beijing
    with translation.override("zh-hans"):
        assert display_datetime(utc) == "2026年12月1日 01:05"
        assert display_month(utc) == "2026年12月"
    with translation.override("en"):
        assert display_datetime(utc) == "1 Dec 2026 01:05"


def test_xlsx_number_formats_match_the_pages():
    assert [xlsx_number_format(n) for n in (0, 1, 2, 3)] == ["#,##0", "#,##0.0##", "#,##0.00#", "#,##0.000"]


@BOTH
def test_every_template_has_the_filters_without_a_load(language):
    template = engines["django"].from_string(
        "{{ m|month }}|{{ d|day }}|{{ p|points }}|{{ q|quantity:u }}|{{ q|quantity_unit:u }}|{{ n|count }}|{{ x|number:1 }}")
    context = {"m": date(2026, 11, 1), "d": date(2026, 11, 5), "p": Decimal("12345.5"), "q": Decimal("412.5"),
               "u": "公里", "n": 12000, "x": 3}
    with translation.override(language):
        shown = template.render(context)
    month, day = ("2026年11月", "2026年11月5日") if language == "zh-hans" else ("Nov 2026", "5 Nov 2026")
    assert shown == f"{month}|{day}|12,345.500|412.5|412.5 公里|12,000|3.0"


@pytest.mark.django_db
def test_points_written_by_postgresql_read_as_the_pages_show_them():
    from django.db import connection

    from config.formatting import POINTS_SQL_FORMAT

    values = [Decimal(v) for v in ("0", "12", "12.5", "12.345", "-20", "-0.5", "1234567.125", "999999999999999.999")]
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_char(v, %s) FROM unnest(%s::numeric(18, 3)[]) WITH ORDINALITY AS t(v, n) ORDER BY n",
                       [POINTS_SQL_FORMAT, values])
        written = [row[0] for row in cursor.fetchall()]
    assert written == [format_points(v) for v in values]
