"""How numbers, quantities, points, months and dates are shown to a person, written once.

Pages, the admin, exports and messages all call these functions (templates through the filters at the
bottom, registered as template builtins in settings, so no template needs ``{% load %}``). What is
*stored* or *sent to a machine* is not this module's: URLs, form values, the JSON API and CSV keep
config.months' ``YYYY-MM`` and plain decimals.

Numbers: thousands separators (``12,345``) and a fixed number of decimals: points with
``POINT_DECIMALS``, a quantity with its unit of measure's (``QUANTITY_DECIMALS``: none for what is
counted, 趟 件 台; one for what is measured, 公里 吨 小时). A value finer than that fixed number keeps
its digits, up to the three decimals the database stores, instead of being rounded: half a trip is
``0.5 趟``, not ``1 趟``. Both languages write numbers the same way (``1,234.5``); only the words around
them differ.

Points are always shown with all three decimals the database stores: ``12.500``, ``12.345``, ``12.000``.
A worker reads his points against the leader's and the next man's, down a column of a ranking: with one
number of decimals for every figure the digits line up and a gap is read at a glance, and two workers
0.005 points apart never show the same total, nor a gap of ``0.00``. (Two decimals with a stored third
kept would mix ``12.50`` and ``12.345`` in one column; decimals as each figure needs them, as a newspaper
prints ``12.5`` and ``12``, would mix three widths.) Pages, the admin, exports and the
messages written in SQL (POINTS_SQL_FORMAT) all follow it; the JSON API sends its own fixed strings.

Months are ``2026年11月`` (English ``Nov 2026``), dates ``2026年11月5日`` (``5 Nov 2026``). The
patterns are Django date formats translated like every other string (the English ones are in the .po
file), so the English month abbreviations are Django's own.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django import template
from django.core.exceptions import ValidationError
from django.utils import dateformat, timezone
from django.utils.translation import gettext

from config.months import parse_month

# What the database stores: quantities and points have three decimal places.
STORED_DECIMALS = 3
POINT_DECIMALS = STORED_DECIMALS
# The same for text that PostgreSQL writes (to_char), e.g. a message composed by an INSERT … SELECT:
# thousands separators, and exactly POINT_DECIMALS decimals (the 0s keep trailing zeros under FM); room
# for the 15 whole digits of the points columns (numeric(18, 3)).
POINTS_SQL_FORMAT = "FM999,999,999,999,990." + "0" * POINT_DECIMALS

# Units of measure are free text on a scoring rule (ScoringRule.unit_of_measure); these are the ones a
# railway competition uses. What is counted is shown whole, what is measured with one decimal (a
# driver's 安全走行公里 is 412.5 公里, a loader's 装卸作业 is 126.4 吨).
_COUNTED = ("次", "人次", "台次", "趟", "件", "台", "辆", "处", "列", "钩", "站", "条", "批", "份", "个", "项",
            "车", "跨", "组", "箱", "票", "根", "张", "人", "名", "起", "架", "对", "块", "套", "节", "孔", "只",
            "座", "间", "道", "班", "页", "本", "单", "户", "部", "副", "支", "片", "段", "号", "包", "袋", "桶",
            "趟次", "列次", "车次", "架次", "分钟", "天", "日")
_MEASURED = ("公里", "千米", "km", "米", "m", "延米", "平方米", "m²", "立方米", "m³", "吨", "t", "千克", "公斤",
             "kg", "小时", "h", "升", "L", "千瓦时", "kWh", "度")
QUANTITY_DECIMALS: dict[str, int] = {**dict.fromkeys(_COUNTED, 0), **dict.fromkeys(_MEASURED, 1)}
# A unit the table does not know (a rule may name any unit) is shown like an amount of money: two decimals.
OTHER_UNIT_DECIMALS = 2


def _decimal(value) -> Decimal | None:
    """The value as a Decimal, or None when it is empty or not a number (shown as it is)."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, Decimal):
        number = value
    else:
        try:
            # Through str: a float's repr is the short decimal a person typed (0.1, not 0.1000000000000000055).
            number = Decimal(str(value).strip())
        except (InvalidOperation, ValueError):
            return None
    return number if number.is_finite() else None


def format_number(value, decimals: int = 0) -> str:
    """``value`` with thousands separators and at least ``decimals`` decimals (more only to keep a stored
    digit, at most three): 1234.5 → ``1,234.50`` with 2. Empty for None; text that is no number comes back
    as it is."""
    number = _decimal(value)
    if number is None:
        return "" if value is None else str(value)
    number = number.quantize(Decimal(1).scaleb(-STORED_DECIMALS), rounding=ROUND_HALF_UP)
    digits = max(0, -number.normalize().as_tuple().exponent) if number else 0
    places = min(max(decimals, digits), STORED_DECIMALS)
    shown = number.quantize(Decimal(1).scaleb(-places))
    if not shown:
        shown = abs(shown)  # no "-0.00"
    return f"{shown:,.{places}f}"


def format_count(value) -> str:
    """A count (entries, workers, rows): ``12,345``."""
    return format_number(value, 0)


def format_points(value) -> str:
    """Points: ``1,234.500`` (a deduction ``-20.000``)."""
    return format_number(value, POINT_DECIMALS)


def quantity_decimals(unit: str | None) -> int:
    """The decimals a quantity in ``unit`` is shown with."""
    return QUANTITY_DECIMALS.get((unit or "").strip(), OTHER_UNIT_DECIMALS)


def format_quantity(value, unit: str | None = None, *, with_unit: bool = False) -> str:
    """A quantity in its unit's decimals: ``1,234 趟``, ``412.5 公里`` (the unit appended with ``with_unit``)."""
    text = format_number(value, quantity_decimals(unit))
    return f"{text} {unit}" if with_unit and unit and text else text


def _as_date(value) -> date | None:
    if isinstance(value, datetime):
        return timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    return value if isinstance(value, date) else None


def display_month(value) -> str:
    """A month (any day of it, or its ``YYYY-MM`` text) as a person reads it: ``2026年11月`` / ``Nov 2026``."""
    if isinstance(value, str):
        try:
            value = parse_month(value)
        except ValidationError:
            return value
    day = _as_date(value)
    if day is None:
        return "" if value is None else str(value)
    # Translators: a Django date format (Y year, n month number, M the month's abbreviation): Nov 2026.
    return dateformat.format(day, gettext("Y年n月"))


def display_date(value) -> str:
    """A day as a person reads it: ``2026年11月5日`` / ``5 Nov 2026``; an aware datetime in local time."""
    day = _as_date(value)
    if day is None:
        return "" if value is None else str(value)
    # Translators: a Django date format (j day of the month): 5 Nov 2026.
    return dateformat.format(day, gettext("Y年n月j日"))


def display_datetime(value) -> str:
    """A moment in local time: ``2026年11月5日 14:30`` / ``5 Nov 2026 14:30``."""
    if not isinstance(value, datetime):
        return display_date(value)
    moment = timezone.localtime(value) if timezone.is_aware(value) else value
    return f"{display_date(moment.date())} {moment:%H:%M}"


def xlsx_number_format(decimals: int) -> str:
    """The Excel number format that shows a number cell as format_number does: ``#,##0.00#`` for two
    decimals (a stored third shown when there is one), so an export's numbers stay numbers a person can
    sum and still read with separators. Whole numbers are ``#,##0``: Excel would show ``12.`` for
    ``#,##0.###``."""
    if decimals <= 0:
        return "#,##0"
    return "#,##0." + "0" * decimals + "#" * max(0, STORED_DECIMALS - decimals)


# --- template filters (builtins: no {% load %} needed) -------------------------------------------------

register = template.Library()
register.filter("number", format_number)
register.filter("count", format_count)
register.filter("points", format_points)
register.filter("quantity", lambda value, unit=None: format_quantity(value, unit))
register.filter("quantity_unit", lambda value, unit=None: format_quantity(value, unit, with_unit=True))
register.filter("month", display_month)
register.filter("day", display_date)
register.filter("moment", display_datetime)
