"""The entry generator's arithmetic, without a database: points must match RuleVersion.points_for."""

import random
from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from competitions.demo.catalog import Metric
from competitions.demo.entries import ENTRY_COLUMNS, EntryPlan, EntryStats, EntryWorker, RulePlan, generate_entries
from competitions.demo.seed import nice_rate

TODAY = date(2026, 11, 24)
DAYS = [date(2026, 10, 20 + i) for i in range(12)] + [date(2026, 11, i) for i in range(1, 24)]


def plan(rate: str, metric: Metric, workers: int = 40) -> EntryPlan:
    rule = RulePlan(1, metric, tuple(int(Decimal(rate) * 10_000) for _ in DAYS))
    people = [EntryWorker(n, 10, 20, 3, n % 4, 99, 0.6 + n / 50, (rule,)) for n in range(1, workers + 1)]
    return EntryPlan(1, DAYS, TODAY, ZoneInfo("Asia/Shanghai"), {3: 77}, people,
                     datetime(2026, 11, 24, 3, 0, tzinfo=UTC))


def rows(p: EntryPlan, **kw):
    stats = EntryStats()
    out = [dict(zip(ENTRY_COLUMNS, row, strict=True)) for row in generate_entries(p, random.Random(1), stats, **kw)]
    return out, stats


def test_points_round_half_to_even_exactly_as_the_rule_version_does():
    # 0.0125 per tenth-of-a-kilometre quantity gives many exact ties at the third decimal.
    entries, _ = rows(plan("0.0125", Metric("巡道", "公里", 20, decimals=1)))
    ties = 0
    for e in entries:
        exact = Decimal(e["quantity"]) * Decimal("0.0125")
        assert Decimal(e["points"]) == exact.quantize(Decimal("0.001"))
        ties += (exact * 1000) % 1 == Decimal("0.5")
    assert ties > 50


def test_deductions_are_negative_and_caps_hold():
    entries, _ = rows(plan("20", Metric("安全违章", "次", 1, direction=-1, frequency=0.5)))
    assert entries and all(Decimal(e["points"]) == -20 * Decimal(e["quantity"]) for e in entries)
    capped, _ = rows(plan("0.25", Metric("安全走行公里", "公里", 400, daily_cap="450", decimals=1)))
    assert max(Decimal(e["quantity"]) for e in capped) == Decimal("450.000")


def test_text_chunks_carry_the_same_rows_as_tuples():
    p = plan("0.25", Metric("安全走行公里", "公里", 400, decimals=1))
    as_rows, stats = rows(p)
    text = "".join(generate_entries(p, random.Random(1), EntryStats(), as_text=True, chunk_rows=100))
    lines = [line.split("\t") for line in text.splitlines()]
    assert len(lines) == stats.rows == len(as_rows) == 40 * len(DAYS)
    for line, row in zip(lines, as_rows, strict=True):
        assert line == ["\\N" if v is None else str(v) for v in row.values()]
    # October is signed off: every October row is locked and counted for its sign-off record.
    assert stats.locked == {(3, date(2026, 10, 1)): 40 * 12}


def test_nice_rate_makes_a_typical_day_worth_about_a_hundred_points():
    for typical in (1, 3, 12, 60, 300, 400, 700, 1500):
        rate = nice_rate(typical)
        assert 70 <= rate * typical <= 140
        assert rate == rate.quantize(Decimal("0.0001"))
