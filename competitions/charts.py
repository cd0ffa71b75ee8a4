"""The "my points and rank" chart, as numbers for an inline SVG drawn by the template.

Server-rendered on purpose: the machines have no internet (no CDN), a chart library would be the
heaviest file of the portal, and a phone on a slow line gets a picture with the page, ready at once.
Points are a filled line against the left axis; the rank is a second line against the right axis,
upside down, so "up" means better on both.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from decimal import Decimal

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
    return f"{value:.1f}".rstrip("0").rstrip(".")


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
    chart.rank_labels = [(y_rank(rank), str(rank)) for rank in sorted({1, middle_rank, worst_rank})]
    label_at = sorted({0, len(rows) // 2, len(rows) - 1})
    chart.x_labels = [(x_at(i), rows[i].day.strftime("%m-%d")) for i in label_at]
    return chart
