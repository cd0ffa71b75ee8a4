"""The trend chart's numbers: a year of days stays a small picture, ranks read upside down."""

from datetime import date, timedelta
from decimal import Decimal
from types import SimpleNamespace

from competitions.charts import MAX_POINTS, trend_chart


def history(days: int):
    start = date(2026, 1, 1)
    return [SimpleNamespace(day=start + timedelta(days=n), points=Decimal(n * 3), rank_job_type=max(1, 200 - n))
            for n in range(days)]


def test_a_year_of_days_is_sampled_to_a_small_chart_that_ends_on_the_last_day():
    chart = trend_chart(history(365))
    assert chart.days == 365
    assert len(chart.points_line.split()) <= MAX_POINTS + 1
    assert len(chart.points_line) + len(chart.rank_line) + len(chart.points_area) < 6_000
    assert chart.x_labels[-1][1] == (date(2026, 1, 1) + timedelta(days=364)).strftime("%m-%d")


def test_better_rank_is_drawn_higher_and_more_points_are_drawn_higher():
    chart = trend_chart(history(30))
    first_rank_y = float(chart.rank_line.split()[0].split(",")[1])
    first_points_y = float(chart.points_line.split()[0].split(",")[1])
    assert chart.last_rank[1] < first_rank_y  # rank 200 → 171: moved up
    assert chart.last_points[1] < first_points_y


def test_one_day_and_no_days():
    assert trend_chart([]) is None
    chart = trend_chart(history(1))
    assert chart.points_line and chart.rank_line


def test_the_interactive_chart_has_every_day_points_and_the_overall_rank_upside_down():
    from competitions.charts import TIP_CLASS, trend_options

    days = [SimpleNamespace(day=d.day, points=d.points, rank_overall=1000 - n) for n, d in enumerate(history(365))]
    options = trend_options(days)
    assert options["xAxis"]["data"][0] == "2026-01-01" and len(options["xAxis"]["data"]) == 365
    points, rank = options["series"]
    assert points["data"][-1] == 364 * 3 and rank["data"][-1] == 636 and rank["yAxisIndex"] == 1
    assert options["yAxis"][1]["inverse"] is True and options["yAxis"][1]["min"] == 1
    assert options["tooltip"] == {"trigger": "axis", "confine": True, "className": TIP_CLASS}
    # The tooltip shows points with the three decimals shown everywhere, and the rank with none.
    assert options["portal"]["decimals"] == [3, 0]
    assert trend_options([]) is None


def test_the_drawn_charts_axis_labels_have_separators_as_the_figures_beside_it():
    # given ranks in the thousands and points past 1,000 (the page shows #1,943 and 2,760.000)
    rows = [SimpleNamespace(day=date(2026, 1, 1) + timedelta(days=n), points=Decimal(1000 + n * 120),
                            rank_job_type=2563 - n * 20) for n in range(30)]
    chart = trend_chart(rows)
    # then the axis reads 1,282 and 2,563 (was 1282, 2563) and 5,000 (was 5000)
    assert [text for _y, text in chart.rank_labels] == ["1", "1,282", "2,563"]
    assert [text for _y, text in chart.points_labels] == ["0", "2,500", "5,000"]
