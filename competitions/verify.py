"""Verifying a published standings day: recompute it from the raw entries and check it equals what is
stored and what the ledger says.

A stored day is the entries dated up to it *as of the change-log position its run consumed*
(competitions.standings.periods): entries approved, rejected or corrected since then changed what the day
would be now, but not what it was when published. So the day is recomputed as the entries now minus
everything dated up to the day that changed after that position (``corrections_since``), summed per
worker on one REPEATABLE READ snapshot (an entry saved meanwhile is in both or in neither), and ranked by
the ranking statement the runs use (competitions.standings.ranking) into a temp table: nothing is published.

Then:

* **Rows.** Every column a day's own entries and workers determine is compared with the stored rows, both
  ways (stored EXCEPT recomputed, recomputed EXCEPT stored): points, approved and pending points, counted
  entries, the four ranks, the gap to the next place, and the worker's employee number, business system,
  job type and depot. Not the ``change_*`` columns: they come from the previous day's rows, which a repair
  may have republished since (that day is verified on its own). A few differing workers are recorded
  (ids and employee numbers only).
* **Digest.** The recomputed rows' canonical digest (standings.digest) must equal the day's current ledger
  entry, and so must the stored rows' (computed only when the rows differ: equal rows digest alike). The
  recomputed digest is recorded: equal to the ledger's while the rows differ, the stored rows were changed
  after publication; different, the day was published from other entries than those on record.
* **Chain.** Every chain digest of the competition's ledger is recomputed from its previous entry.

The worker's attributes are read from their record now, as a run reads them: a worker moved to another
depot or job type since the day shows as a difference of that worker (and of the ranks of the groups
they left and joined). The differences say so (``moved``), so staff can tell it from a wrong row.

A mismatch is recorded (StandingVerification, in the admin), logged at ERROR and mailed to the site's
ADMINS (Django's mail_admins: the union's IT contacts named in the settings), who are also who is told
of a failing server.
"""

from __future__ import annotations

import logging
import traceback
from datetime import date
from decimal import Decimal

from django.core.mail import mail_admins
from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext as _
from psycopg import sql

from competitions.models import (
    StandingDay,
    StandingDigest,
    StandingVerification,
    VerificationOutcome,
)
from competitions.standings import database, ranking
from competitions.standings.database import standings_snapshot
from competitions.standings.digest import canonical_digest, chain_digest, day_digest, stored_day_digest
from competitions.standings.periods import corrections_since

logger = logging.getLogger(__name__)

# The columns compared (see the module's docstring for why not change_* and computed_at).
COMPARED = ("worker_id", "employee_no", "business_system_id", "job_type_id", "depot_id", "points",
            "approved_points", "pending_points", "entries", "rank_overall", "rank_business_system",
            "rank_job_type", "rank_unit", "points_to_next")
ATTRIBUTES = ("employee_no", "business_system_id", "job_type_id", "depot_id")
# How many differing workers a verification records and mails.
SHOWN_DIFFERENCES = 10
RECOMPUTED = "standings_verify"


def totals_as_published(corrections: sql.Composable) -> sql.Composed:
    """Per-worker totals (in thousandths, as the ranking statement wants them) of the entries dated up to the
    day, minus ``corrections`` (what changed after the day's log position): the day as it was published."""
    return sql.SQL("""
    SELECT worker_id, sum_int8(score) AS score, sum_int8(approved_score) AS approved_score,
           sum_int8(entries) AS entries
    FROM (
        {entries}
        UNION ALL
        SELECT c.worker_id, -{points}, -{approved_points}, -c.entries FROM ({corrections}) AS c
    ) AS t
    GROUP BY worker_id
    HAVING sum_int8(entries) <> 0
""").format(entries=ranking.WORKER_TOTALS_FROM_ENTRIES, corrections=corrections,
            points=sql.SQL("CAST(c.points * 1000 AS BIGINT)"),
            approved_points=sql.SQL("CAST(c.approved_points * 1000 AS BIGINT)"))


def recompute_statement(corrections: sql.Composable, business_systems: list[int]) -> sql.Composed:
    """The day as published, ranked by the runs' ranking statement into a temp table (gone at commit)."""
    totals = ranking.with_previous_ranks(totals_as_published(corrections))
    ranked = ranking.ranked(totals, ranking.business_system_rank(business_systems))
    return sql.SQL("CREATE TEMP TABLE {} ON COMMIT DROP AS {}").format(sql.Identifier(RECOMPUTED), ranked)


def _columns(prefix: str, *, typed: bool) -> sql.Composable:
    """The compared columns of ``prefix``; ``typed``: cast to Standing's types (the ranking statement's
    own types are wider: numeric sums, bigint counts)."""
    def column(name: str) -> sql.Composable:
        value = sql.Identifier(prefix, name)
        return sql.SQL("CAST({} AS {}) AS {}").format(value, sql.SQL(ranking.COLUMNS[name]),
                                                      sql.Identifier(name)) if typed else value

    return sql.SQL(", ").join([column(name) for name in COMPARED])


# Both ways at once: the workers whose row differs, or is on one side only (a FULL JOIN on the worker, the
# whole rows compared as NULLs compare in EXCEPT: a NULL equals a NULL). The count is of differing workers,
# the rows both sides of the first few of them. One hash join: 0.50 s for 223,000 workers where the stored
# EXCEPT recomputed and recomputed EXCEPT stored it replaced hashed every row twice, 0.99 s.
DIFFERENCES = sql.SQL("""
WITH recomputed AS (SELECT {recomputed_columns} FROM {recomputed} r),
     stored AS (SELECT {stored_columns} FROM {standing} s WHERE s.competition_id = {competition} AND s.day = {day}),
     differing AS (SELECT COALESCE(s.worker_id, r.worker_id) AS worker_id
                   FROM stored s FULL JOIN recomputed r ON r.worker_id = s.worker_id
                   WHERE ROW(s.*) IS DISTINCT FROM ROW(r.*)),
     shown AS (SELECT DISTINCT worker_id FROM differing ORDER BY worker_id LIMIT {shown}),
     diff AS (SELECT 'stored' AS side, s.* FROM stored s WHERE s.worker_id IN (SELECT worker_id FROM shown)
              UNION ALL
              SELECT 'recomputed', r.* FROM recomputed r WHERE r.worker_id IN (SELECT worker_id FROM shown))
SELECT (SELECT COUNT(DISTINCT worker_id) FROM differing) AS workers, (SELECT COUNT(*) FROM stored) AS stored_rows,
       diff.*, {current} AS current
FROM (SELECT 1) AS one
LEFT JOIN diff ON TRUE
LEFT JOIN {worker} w ON w.id = diff.worker_id
LEFT JOIN {job_type} jt ON jt.id = w.job_type_id
LEFT JOIN {unit} u ON u.id = w.unit_id
ORDER BY diff.worker_id, diff.side
""").format(recomputed_columns=_columns("r", typed=True), stored_columns=_columns("s", typed=False),
            recomputed=sql.Identifier(RECOMPUTED), standing=ranking.TABLES["standing"],
            competition=ranking.PARAMS["competition"], day=ranking.PARAMS["day"], shown=sql.Literal(SHOWN_DIFFERENCES),
            worker=ranking.TABLES["worker"], job_type=ranking.TABLES["job_type"], unit=ranking.TABLES["unit"],
            current=sql.SQL("ARRAY[w.employee_no, jt.business_system_id::text, w.job_type_id::text, u.depot_id::text]"))


def _json(value):
    return str(value) if isinstance(value, Decimal) else value


def _differences(rows: list[tuple], names: list[str]) -> list[dict]:
    """The shown workers: what is stored and what was recomputed (None: no row on that side), the columns
    that differ, and whether the worker's attributes changed since (``moved``)."""
    workers: dict[int, dict] = {}
    for row in rows:
        values = dict(zip(names, row, strict=True))
        if values["side"] is None:
            continue
        record = {c: _json(values[c]) for c in COMPARED}
        worker = workers.setdefault(values["worker_id"], {
            "worker_id": values["worker_id"], "employee_no": values["employee_no"], "stored": None,
            "recomputed": None, "columns": [], "moved": False})
        worker[values["side"]] = record
        current = values["current"] or [None] * len(ATTRIBUTES)
        stored_attributes = [None if values[c] is None else str(values[c]) for c in ATTRIBUTES]
        if values["side"] == "stored" and current[0] is not None and current != stored_attributes:
            worker["moved"] = True
    for worker in workers.values():
        stored, recomputed = worker["stored"] or {}, worker["recomputed"] or {}
        worker["columns"] = [c for c in COMPARED if stored.get(c) != recomputed.get(c)]
    return list(workers.values())


def chain_breaks(competition_id: int) -> list[int]:
    """The ledger entries of the competition whose chain digest (or previous entry) is not what the entry
    before them makes it: none for an intact chain. One query, in publication order."""
    breaks, previous_id, previous_chain = [], None, ""
    entries = (StandingDigest.objects.filter(competition_id=competition_id).order_by("id")
               .values_list("id", "previous_id", "day", "rows_digest", "chain_digest"))
    for pk, cited, day, rows_digest, chain in entries:
        if cited != previous_id or chain != chain_digest(previous_chain, day, rows_digest):
            breaks.append(pk)
        previous_id, previous_chain = pk, chain
    return breaks


def _recompute(check: StandingVerification) -> None:
    """The checks, on one snapshot (the caller's transaction)."""
    params = {"competition": check.competition_id, "day": check.day}
    params["previous_day"] = database.scalar(ranking.PREVIOUS_DAY, params)
    statement = recompute_statement(corrections_since(check.competition_id, check.day),
                                    ranking.business_system_ids())
    database.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(sql.Identifier(RECOMPUTED)))
    with ranking.hash_joins():
        check.rows_recomputed = database.execute(statement, params)
    with connection.cursor() as cursor:
        cursor.execute(database.render(DIFFERENCES), params)
        names = [column.name for column in cursor.description]
        rows = cursor.fetchall()
    check.rows_differing, check.rows_stored = rows[0][0], rows[0][1]
    check.differences = _differences(rows, names)
    check.recomputed_digest = database.scalar(canonical_digest(sql.SQL("SELECT * FROM {}").format(
        sql.Identifier(RECOMPUTED))))
    check.digest = day_digest(check.competition_id, check.day)
    if check.digest is not None:
        # The same rows have the same digest: the stored rows' own digest is needed only when they differ.
        stored = (check.recomputed_digest if not check.rows_differing
                  else stored_day_digest(competition_id=check.competition_id, day=check.day))
        check.digest_ok = check.digest.rows_digest == check.recomputed_digest == stored
    breaks = chain_breaks(check.competition_id)
    check.chain_ok = not breaks
    if breaks:
        check.differences.append({"chain_breaks": breaks[:SHOWN_DIFFERENCES]})


def verify_day(*, competition_id: int, day: date, trigger: str = "manual") -> StandingVerification:
    """Verifies the (competition, day) standings as published and records the outcome (see the module's
    docstring). The record is committed first, so staff see a verification in progress, and one that
    failed after its work rolled back. A mismatch is logged at ERROR and mailed to ADMINS; a check that
    could not run is recorded as an error (with its traceback) and logged at ERROR."""
    check = StandingVerification.objects.create(competition_id=competition_id, day=day, trigger=trigger,
                                                started_at=timezone.now())
    try:
        published = StandingDay.objects.filter(competition_id=competition_id, day=day).values("run_id").first()
        if published is None or published["run_id"] is None:
            # A day stored before log positions were recorded cannot be recomputed as it was published.
            check.error = (_("该日没有发布的排名。") if published is None
                           else _("该日的排名早于日志位置的记录，无法按发布时的录入核验；重算该日后可核验。"))
            return _finish(check, VerificationOutcome.ERROR)
        # The entries, the change log and its archive read on one snapshot: a correction committed between
        # two reads would otherwise be counted in one and not the other.
        with standings_snapshot():
            _recompute(check)
    except Exception:
        check.error = traceback.format_exc(limit=20)
        logger.exception("standings verification %s of competition %s, %s failed", check.pk, competition_id, day)
        return _finish(check, VerificationOutcome.ERROR)
    ok = not check.rows_differing and check.digest_ok is not False and check.chain_ok
    _finish(check, VerificationOutcome.OK if ok else VerificationOutcome.MISMATCH)
    if not ok:
        _report(check)
    return check


def _finish(check: StandingVerification, outcome: str) -> StandingVerification:
    check.outcome = outcome
    check.finished_at = timezone.now()
    check.save()
    return check


def summary(check: StandingVerification) -> str:
    """One line for people: the command's output, the mail's first line."""
    values = {"competition": check.competition_id, "day": check.day, "outcome": check.get_outcome_display(),
              "rows": check.rows_stored or 0, "differing": check.rows_differing or 0,
              "digest": {True: _("一致"), False: _("不一致"), None: _("无账本记录")}[check.digest_ok],
              "chain": {True: _("完整"), False: _("断裂"), None: "-"}[check.chain_ok]}
    return _("竞赛 %(competition)s %(day)s：%(outcome)s；存储 %(rows)d 行，不一致 %(differing)d 人；摘要%(digest)s，"
             "摘要链%(chain)s") % values


def _report(check: StandingVerification) -> None:
    """A mismatch, to the log (ERROR) and to the ADMINS by mail. A mail that cannot be sent does not lose the
    finding: it is recorded and logged already."""
    line = summary(check)
    logger.error("standings verification %s: %s; differences: %s", check.pk, line, check.differences)
    workers = [f"#{d['worker_id']} {d['employee_no']} {','.join(d['columns'])}{' (moved)' if d['moved'] else ''}"
               for d in check.differences if "worker_id" in d]
    body = "\n".join([line, *workers, _("详情见管理后台“排名核验”，记录 %(id)s。") % {"id": check.pk}])
    mail_admins(_("排名核验不一致"), body, fail_silently=True)
