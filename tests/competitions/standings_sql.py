"""Every statement competitions.standings sends, rendered with fixed constants: what the golden files under
tests/competitions/golden/ hold (test_standings_sql.py compares them).

Each scenario runs the real code path (replace_day, compact_month, …) with the database seam
(standings.database) recording the statements instead of running them, and with fixed answers for what
the path reads: the previous standings day, the business systems, the existing partitions.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from types import SimpleNamespace
from unittest import mock

from django.db import connection
from psycopg import sql

from competitions import verify
from competitions.scopes import Scope
from competitions.standings import approvals, database, digest, frozen, partitions, periods, ranking, reads, run
from competitions.standings.table import PERIOD_STANDINGS_PARTITIONED, STANDINGS_PARTITIONED

COMPETITION, DAY, PREVIOUS = 7, date(2026, 3, 15), date(2026, 3, 14)
NOW = datetime(2026, 3, 16, 1, 0, tzinfo=UTC)
SUFFIX = uuid.UUID("0123456789abcdef0123456789abcdef")  # a new partition's name ends in its first 12 digits
TABLE = ranking.STANDING
DAY_PARTITION = f"{TABLE}_{COMPETITION}_{DAY:%Y%m%d}_aaaaaaaaaaaa"  # the day's partition a run replaces
MERGED_MARCH = f"{TABLE}_{COMPETITION}_202603m_bbbbbbbbbbbb"
FEBRUARY = [f"{TABLE}_{COMPETITION}_202602{d:02d}_cccccccccccc" for d in (1, 2)]


def _capture(action, *, business_systems=(1, 2, 3), existing=()) -> str:
    """The statements ``action()`` sends, in order, each ending with a semicolon."""
    sent = []

    def send(text, params):
        sent.append(text)
        return 0

    # The approval log's consumption (approvals.consume) finds rows of the open segment to take in and rows
    # to keep for later, so every one of its statements is sent.
    answers = [(ranking.OPEN_SEGMENT, 8), (ranking.OPEN_TAKEN, True), (ranking.ANY_LATER, True), (ranking.NEW_SEGMENT, 9), (ranking.TAKEN, 0),
               (ranking.TAKE_DELTAS, 0)]

    def scalar(statement, params=None):
        sent.append(database.render(statement))
        # A day, unless the statement answers something else.
        return next((answer for known, answer in answers if statement is known), PREVIOUS)

    def column(statement, params=None):
        if statement is ranking.BUSINESS_SYSTEM_IDS:
            return list(business_systems)
        if statement is ranking.CONSUME_SEGMENTS:
            sent.append(database.render(statement))
            return [3, 4]
        if statement is periods.PARTITIONS:  # a period snapshot's partition
            return [f"{periods.PERIOD_STANDING}_{COMPETITION}_5"]
        assert statement is partitions.PARTITIONS, database.render(statement)
        return [table for table in existing if table.startswith(params["prefix"])]

    with mock.patch.object(database, "send", send), mock.patch.object(database, "scalar", scalar), \
            mock.patch.object(database, "column", column), mock.patch.object(partitions.uuid, "uuid4", lambda: SUFFIX), \
            mock.patch.object(run.StandingDay.objects, "update_or_create", lambda **kw: None):
        action()
    return "".join(f"{text.strip()};\n" for text in sent)


def _replace_day(base_day, behind=None, months=None, **kw):
    """``months``: the frozen months the run finds (competitions.standings.frozen), none by default."""
    with mock.patch.object(frozen, "for_day", lambda **_kw: months):
        return _capture(lambda: run.replace_day(competition_id=COMPETITION, day=DAY, now=NOW, base_day=base_day,
                                                run_id=40, behind=behind), **kw)


FROZEN = frozen.Frozen(systems=[1, 2], months=[date(2026, 1, 1), date(2026, 1, 1)], open_from=date(2026, 2, 1))
FROZEN_PARTIAL = frozen.Frozen(systems=[1, 2, 1], months=[date(2026, 1, 1), date(2026, 1, 1), date(2026, 2, 1)],
                               open_from=date(2026, 2, 1))


def _render(statement) -> str:
    return database.render(statement).strip() + ";\n"


def _period_statements() -> dict[str, str]:
    """The period engine's statements, for fixed bounds (what periods reads from StandingDay, given)."""
    end = periods.Bound(DAY, stored=DAY, run=40, log_covers=True)  # the latest stored day
    after_latest = periods.Bound(date(2026, 3, 20), stored=DAY, run=40, log_covers=True)
    gap = periods.Bound(date(2026, 1, 31), stored=date(2026, 1, 30), run=12)  # an earlier day, none stored on it
    before_standings = periods.Bound(date(2025, 12, 31))  # no stored day at or before it
    march, february = (1, date(2026, 2, 1), DAY), (2, date(2026, 2, 1), date(2026, 2, 28))
    bounds = [periods.Bound(date(2026, 1, 31), stored=date(2026, 1, 31), run=12),
              periods.Bound(date(2026, 2, 28), stored=date(2026, 2, 28), run=30), end]
    return {
        "period_totals": _render(periods.range_totals(COMPETITION, end=end, before=gap)),
        "period_totals_after_latest_day": _render(periods.range_totals(COMPETITION, end=after_latest,
                                                                       before=before_standings)),
        "period_totals_signed_off": _render(periods.runs_totals(COMPETITION, [march, february], bounds)),
        "period_corrections_since": _render(periods.corrections_statement(COMPETITION, gap)),
        "period_write_partition": _capture(lambda: periods.write_partition(SimpleNamespace(pk=5, competition_id=COMPETITION),
                                                                           sql.SQL("SELECT * FROM totals"))),
        "period_digest": _render(periods.snapshot_digest(5)),
        "period_units_depot": _render(periods.unit_rankings_statement("depot")),
        "period_units_team": _render(periods.unit_rankings_statement("team")),
    }


def statements() -> dict[str, str]:
    """{golden file name: its text}."""
    found = {
        # A full run replacing the day's partition; business-system ranks counted in the overall pass.
        "replace_day_full": _replace_day(None, existing=[DAY_PARTITION]),
        # The nightly run: base day = previous standings day, whose ranks are the previous ranks.
        "replace_day_incremental": _replace_day(PREVIOUS),
        # A re-run of the base day itself (or a day after a gap): previous ranks joined from their day.
        "replace_day_rerun": _replace_day(DAY),
        # More business systems than COUNTED_SCOPE_MAX: a window of their own.
        "replace_day_many_business_systems": _replace_day(PREVIOUS, business_systems=range(1, 18)),
        # A repair of a day of a month already merged into one partition.
        "replace_day_merged_month": _replace_day(PREVIOUS, existing=[MERGED_MARCH]),
        # A repair of a day older than the base day: the entries minus the live change log.
        "replace_day_behind_base": _replace_day(None, behind=date(2026, 3, 20), existing=[DAY_PARTITION]),
        # Both with signed-off months frozen: their totals, and the entries of the open months only.
        "replace_day_full_frozen": _replace_day(None, months=FROZEN, existing=[DAY_PARTITION]),
        "replace_day_behind_base_frozen": _replace_day(None, behind=date(2026, 3, 20), months=FROZEN,
                                                       existing=[DAY_PARTITION]),
        # February signed off for one business system only: its entries of that system left out row by row.
        "replace_day_full_frozen_partial": _replace_day(None, months=FROZEN_PARTIAL, existing=[DAY_PARTITION]),
        # At a sign-off (one month), and for a loader (every signed-off month of the competition).
        "freeze_month": _render(frozen._statement(frozen.FREEZE, one_month=True)),
        "freeze_signed_off": _render(frozen._statement(frozen.FREEZE)),
        # At a reopening.
        "unfreeze_month": _render(frozen._statement(frozen.UNFREEZE)),
        # The change log archived (dated before the day) and dropped, the approval log's segments consumed.
        "delete_deltas": _capture(lambda: run.delete_deltas(competition_id=COMPETITION, day=DAY, run_id=40)),
        # Before a run's snapshot: the approval log's open segment closed.
        "close_approvals": _capture(lambda: approvals.close(competition_id=COMPETITION)),
        "compact_month": _capture(lambda: partitions.compact_month(competition_id=COMPETITION, month=date(2026, 2, 1)),
                                  existing=FEBRUARY),
        "forget_competition": _capture(lambda: partitions.forget_competition(competition_id=COMPETITION),
                                       existing=FEBRUARY),
        "partitions": database.render(partitions.PARTITIONS).strip() + ";\n",
        "business_system_ids": database.render(ranking.BUSINESS_SYSTEM_IDS).strip() + ";\n",
        "standings_partitioned": STANDINGS_PARTITIONED.render(connection),
        "period_standings_partitioned": PERIOD_STANDINGS_PARTITIONED.render(connection),
        **_period_statements(),
        **_verify_statements(),
    }
    for scope in Scope:
        for bound in reads._BOUNDS:
            found[f"board_{scope.value}_{bound}"] = database.render(reads.board_statement(scope, bound)).strip() + ";\n"
    return found


def _verify_statements() -> dict[str, str]:
    """A published day's digest, and verifying a day: recomputed as published, then compared both ways."""
    corrections = periods.corrections_statement(COMPETITION, periods.Bound(DAY, stored=DAY, run=40))
    return {
        "digest_stored_day": _render(digest.canonical_digest(digest.STORED_DAY)),
        "verify_recompute": _render(verify.recompute_statement(corrections, [1, 2, 3])),
        "verify_differences": _render(verify.DIFFERENCES),
    }
