"""The portal's charts: the worker's "my points and rank" and the staff dashboard's.

"My points and rank" is first drawn server-side, as numbers for an inline SVG the template draws: a phone
on a slow line gets a picture with the page, ready at once, and a browser without script keeps it. Points
are a filled line against the left axis; the overall rank is a second line against the right axis, upside
down, so "up" means better on both.

The interactive charts are Apache ECharts, served from the portal's own static files
(static/vendor/echarts-5.6.0, no CDN: the machines may have no internet). Their options are built here
as plain JSON (``*_options``) and carried by the page in a data attribute; static/portal/charts.js draws
them. Plain JSON rather than pyecharts: the Content-Security-Policy allows no inline script, which
pyecharts' rendered pages are, and the options are a few small dicts. ECharts' own axis tooltip shows the
day (the category) and each series' value, so no formatter function has to travel with them. On the
worker's page the library (660 KB) is loaded only when the chart is first touched or hovered
(static/portal/portal.js): the page stays light for a phone, and the touch that loads it shows its values.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from decimal import Decimal

from django.templatetags.static import static
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from config.formatting import POINT_DECIMALS, format_count, format_number

WIDTH, HEIGHT = 360, 200
LEFT, RIGHT, TOP, BOTTOM = 40, 36, 12, 24  # room for the axis labels
MAX_POINTS = 120  # a year of days on a 360-px-wide chart: more points than pixels would only add bytes


@dataclass
class TrendChart:
    width: int = WIDTH
    height: int = HEIGHT
    points_line: str = ""
    points_area: str = ""
    rank_line: str = ""
    last_points: tuple[float, float] | None = None
    last_rank: tuple[float, float] | None = None
    x_labels: list[tuple[float, str]] = field(default_factory=list)
    points_labels: list[tuple[float, str]] = field(default_factory=list)
    rank_labels: list[tuple[float, str]] = field(default_factory=list)
    plot_left: int = LEFT
    plot_right: int = WIDTH - RIGHT
    plot_top: int = TOP
    plot_bottom: int = HEIGHT - BOTTOM
    days: int = 0


def _sample(rows: list, limit: int = MAX_POINTS) -> list:
    if len(rows) <= limit:
        return rows
    step = math.ceil(len(rows) / limit)
    sampled = rows[::step]
    if sampled[-1] is not rows[-1]:
        sampled.append(rows[-1])
    return sampled


def _nice_max(value: float) -> float:
    """The next "round" number at or above value (1, 2, 5 × 10^n): axis labels people can read."""
    if value <= 0:
        return 1.0
    magnitude = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        if value <= step * magnitude:
            return step * magnitude
    return 10 * magnitude


def _fmt(value: float) -> str:
    # Separators as every other figure on the page (config.formatting) and the interactive chart's axis.
    return format_number(value, 0 if float(value).is_integer() else 1)


def trend_chart(history: list, rank_field: str = "rank_job_type") -> TrendChart | None:
    """history: Standing rows oldest first (competitions.standings.worker_history)."""
    rows = _sample(list(history))
    if not rows:
        return None
    chart = TrendChart(days=len(history))
    x0, x1, y0, y1 = chart.plot_left, chart.plot_right, chart.plot_top, chart.plot_bottom
    top_points = _nice_max(float(max(max(r.points for r in rows), Decimal(0))))
    ranks = [getattr(r, rank_field) or 1 for r in rows]
    worst_rank = max(max(ranks), 2)

    def x_at(i: int) -> float:
        return x0 if len(rows) == 1 else x0 + (x1 - x0) * i / (len(rows) - 1)

    def y_points(value) -> float:
        return y1 - (y1 - y0) * max(float(value), 0.0) / top_points

    def y_rank(rank: int) -> float:
        # Rank 1 at the top, the worst rank seen at the bottom.
        return y0 + (y1 - y0) * (rank - 1) / (worst_rank - 1)

    pts = [(x_at(i), y_points(r.points)) for i, r in enumerate(rows)]
    rks = [(x_at(i), y_rank(rank)) for i, rank in enumerate(ranks)]
    chart.points_line = " ".join(f"{_fmt(x)},{_fmt(y)}" for x, y in pts)
    chart.points_area = f"{_fmt(pts[0][0])},{y1} {chart.points_line} {_fmt(pts[-1][0])},{y1}"
    chart.rank_line = " ".join(f"{_fmt(x)},{_fmt(y)}" for x, y in rks)
    chart.last_points, chart.last_rank = pts[-1], rks[-1]
    chart.points_labels = [(y_points(top_points * k / 2), _fmt(top_points * k / 2)) for k in (0, 1, 2)]
    middle_rank = (1 + worst_rank) // 2
    chart.rank_labels = [(y_rank(rank), format_count(rank)) for rank in sorted({1, middle_rank, worst_rank})]
    label_at = sorted({0, len(rows) // 2, len(rows) - 1})
    chart.x_labels = [(x_at(i), rows[i].day.strftime("%m-%d")) for i in label_at]
    return chart


# --- ECharts options -------------------------------------------------------------------------------------

POINTS_COLOUR, RANK_COLOUR = "#b22222", "#0969da"  # portal.css: --brand, and the links' blue
OTHER_COLOURS = ["#1a7f37", "#9a6700", "#cf222e", "#8250df"]  # --ok, --warn, --bad, and a purple
TIP_CLASS = "chart-tip"  # the tooltip's element (tests find it by this class)
ECHARTS = "vendor/echarts-5.6.0/echarts.common.min.js"
ECHARTS_ENGLISH = "vendor/echarts-5.6.0/langEN.js"


def chart_scripts() -> str:
    """The scripts a chart needs, in loading order, as the page's data-chart-scripts attribute: ECharts,
    its English locale on an English page (Chinese is built in), then the portal's drawing script."""
    names = [ECHARTS, *([ECHARTS_ENGLISH] if (get_language() or "").startswith("en") else []), "portal/charts.js"]
    return " ".join(static(name) for name in names)


def chart_json(options: dict | None) -> str:
    """Options as the data-chart-options attribute carries them (the template escapes it); "" for none."""
    return "" if options is None else json.dumps(options, ensure_ascii=False, separators=(",", ":"))


def _tooltip() -> dict:
    # confine: on a phone the box stays inside the chart instead of running off the screen.
    return {"trigger": "axis", "confine": True, "className": TIP_CLASS}


def trend_options(history: list) -> dict | None:
    """The worker's chart for ECharts: cumulative points per day (left axis) and the overall rank (right
    axis, rank 1 at the top); every day of the history (oldest first), the tooltip shows the day, the
    points and the rank."""
    rows = list(history)
    if not rows:
        return None
    rank = _("总名次")
    return {
        "color": [POINTS_COLOUR, RANK_COLOUR],
        "tooltip": _tooltip(),
        "legend": {"top": 0},
        "grid": {"left": 24, "right": 24, "top": 48, "bottom": 4, "containLabel": True},  # room for edge days
        "xAxis": {"type": "category", "boundaryGap": False, "data": [r.day.isoformat() for r in rows]},
        "yAxis": [
            {"type": "value", "name": _("积分"), "min": 0},
            # Upside down, its name goes at the start (the top) instead of over the days' labels.
            {"type": "value", "name": rank, "nameLocation": "start", "inverse": True, "min": 1, "minInterval": 1,
             "splitLine": {"show": False}},
        ],
        "series": [
            {"name": _("累计积分"), "type": "line", "data": [float(r.points) for r in rows],
             "areaStyle": {"opacity": 0.12}, "symbolSize": 6},
            {"name": rank, "type": "line", "yAxisIndex": 1, "data": [r.rank_overall for r in rows],
             "lineStyle": {"type": "dashed"}, "symbolSize": 6},
        ],
        "portal": {"decimals": [POINT_DECIMALS, 0]},  # static/portal/charts.js: per series, in the tooltip
    }


def daily_options(days: list[dict]) -> dict | None:
    """The dashboard's points and entries per day: entries as bars (left axis), points as a line (right)."""
    if not days:
        return None
    return {
        "color": [RANK_COLOUR, POINTS_COLOUR],
        "tooltip": _tooltip(),
        "legend": {"top": 0},
        "grid": {"left": 24, "right": 24, "top": 48, "bottom": 4, "containLabel": True},  # room for edge days
        "xAxis": {"type": "category", "data": [d["day"] for d in days]},
        "yAxis": [{"type": "value", "name": _("录入数"), "minInterval": 1},
                  {"type": "value", "name": _("积分"), "splitLine": {"show": False}}],
        "series": [{"name": _("计入的录入"), "type": "bar", "data": [d["entries"] for d in days]},
                   {"name": _("当日积分"), "type": "line", "yAxisIndex": 1, "data": [d["points"] for d in days],
                    "symbolSize": 4}],
        "portal": {"decimals": [0, POINT_DECIMALS]},
    }


def _by_category(names: list[str], series: list[dict], *, percent: bool = False) -> dict:
    """Horizontal bars, one category per business system (the first at the top)."""
    value_axis = {"type": "value", **({"max": 100, "name": "%"} if percent else {"minInterval": 1})}
    return {
        "color": [OTHER_COLOURS[0], OTHER_COLOURS[1], OTHER_COLOURS[2], RANK_COLOUR],
        "tooltip": {**_tooltip(), "axisPointer": {"type": "shadow"}},
        "legend": {"top": 0},
        "grid": {"left": 4, "right": 48, "top": 36, "bottom": 4, "containLabel": True},  # room for "100%"
        "xAxis": value_axis,
        "yAxis": {"type": "category", "inverse": True, "data": names},
        "series": series,
    }


def participation_options(by_system: list[dict]) -> dict | None:
    """The share of each business system's workers with counted entries, in percent."""
    if not by_system:
        return None
    options = _by_category([s["system"] for s in by_system], [
        {"name": _("参与率"), "type": "bar", "barMaxWidth": 28, "data": [s["share"] or 0 for s in by_system],
         "label": {"show": True, "position": "right", "formatter": "{c}%"}}], percent=True)
    return {**options, "portal": {"suffix": "%"}}  # static/portal/charts.js: after each value in the tooltip


def review_options(review: list[dict]) -> dict | None:
    """The month's entries of each business system, stacked by review status."""
    if not review:
        return None
    stacked = [(_("已通过"), "approved"), (_("待审核"), "pending"), (_("已退回"), "rejected")]
    return _by_category([r["system"] for r in review], [
        {"name": name, "type": "bar", "stack": "entries", "barMaxWidth": 28, "data": [r[key] for r in review]}
        for name, key in stacked])
