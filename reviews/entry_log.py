"""The log trigger of reviews_workentry (``reviews/sql/entry_log.sql``): what each statement on the entries
changes in the approval queue (PendingEntry) and in the standings change logs (StandingDelta, and
StandingApproval for moves between pending and approved).

``STATUS_MOVE`` names the transaction-local setting through which ``reviews.workflow`` tells the trigger
that its next UPDATE only moves rows from one status to another (see the file's header).
"""

from __future__ import annotations

from pathlib import Path

from django.db import connection
from psycopg import sql

from config.sqlfiles import SqlFile

STATUS_MOVE = "reviews.status_move"
# The approval log's ``batch`` of the rows the current transaction writes: its top-level transaction id
# (a savepoint's statements get the same one), written by the trigger and read by merge_approvals.
THIS_BATCH = "pg_current_xact_id()::text::bigint"
FUNCTION = "reviews_workentry_log"


def status_move_logs_nothing(source: str, target: str) -> bool:
    """Whether moving entries from ``source`` to ``target``, changing nothing else, changes nothing the
    trigger logs: no queue row comes or goes (neither status is pending), and the standings count the
    entry the same way before and after (rejected counts nothing; APPROVED_STATUSES count as approved).
    The same three tests as the trigger's status-move path (reviews/sql/entry_log.sql). True for approved ⇄
    locked, the move migration 0008 makes without the trigger (a sign-off and a reopening move no entry:
    locked is the month's state, WorkEntry.shown_status)."""
    from competitions.standings import APPROVED_STATUSES
    from reviews.models import EntryStatus

    return (EntryStatus.PENDING not in (source, target)
            and (source == EntryStatus.REJECTED) == (target == EntryStatus.REJECTED)
            and (source in APPROVED_STATUSES) == (target in APPROVED_STATUSES))


def _values() -> dict[str, sql.Composable]:
    from competitions.locks import APPROVAL_LOG_LOCK_CLASS
    from competitions.models import StandingApproval, StandingApprovalSegment, StandingDay, StandingDelta
    from competitions.standings import APPROVED_STATUSES
    from reviews.models import EntryStatus, PendingEntry, WorkEntry

    statuses = "|".join(EntryStatus.values)
    return {
        "function": sql.Identifier(FUNCTION),
        "entry_table": sql.Identifier(WorkEntry._meta.db_table),
        "pending_table": sql.Identifier(PendingEntry._meta.db_table),
        "delta_table": sql.Identifier(StandingDelta._meta.db_table),
        "approval_table": sql.Identifier(StandingApproval._meta.db_table),
        "segment_table": sql.Identifier(StandingApprovalSegment._meta.db_table),
        "approval_lock_class": sql.Literal(APPROVAL_LOG_LOCK_CLASS),
        "standing_day_table": sql.Identifier(StandingDay._meta.db_table),
        "this_batch": sql.SQL(THIS_BATCH),
        "insert_trigger": sql.Identifier(f"{FUNCTION}_insert"),
        "update_trigger": sql.Identifier(f"{FUNCTION}_update"),
        "delete_trigger": sql.Identifier(f"{FUNCTION}_delete"),
        "setting": sql.Literal(STATUS_MOVE),
        "status_move_pattern": sql.Literal(f"^({statuses})>({statuses})$"),
        "pending": sql.Literal(EntryStatus.PENDING.value),
        "rejected": sql.Literal(EntryStatus.REJECTED.value),
        # The statuses whose points the standings count as approved.
        "approved": sql.SQL(", ").join(sql.Literal(status.value) for status in APPROVED_STATUSES),
    }


# Dropping the function drops its three triggers with it.
ENTRY_LOG = SqlFile(path=Path(__file__).parent / "sql" / "entry_log.sql", values=_values,
                    drop="DROP FUNCTION {function}() CASCADE", installed_by=("reviews", "0001_initial"),
                    function=FUNCTION, reinstalled_by=(("reviews", "0007_workentry_partitioned_by_month"),
                                                       ("reviews", "0009_approvals_logged_per_worker"),
                                                       ("reviews", "0015_approval_log_in_segments")))


# The approval log's rows this transaction wrote (the trigger marks them with its top-level id), merged
# into one per (competition, worker, run date): their dates and points concatenated (unnested and
# gathered again, in one hashed pass; a reader sums them, in any order). Only the rows dated on a stored
# standings day are merged: those are the ones a month's approval writes once per statement for each
# worker (the trigger dates every entry up to the latest stored day on that day). A row dated after it
# is one worker's entries of one later date, which another statement of the job rarely shares, and a
# competition with no stored day has only those: merging them would rewrite every row (4 s of a 740,000-
# entry month) to save next to none. The rows are the transaction's own, which no other transaction sees,
# so nothing waits on them and no standings run reads them half-merged. They are in the open segments (the
# transaction holds the log's lock, so none of them closed meanwhile), read by the log's index: the log
# also keeps every run's archive.
MERGE_APPROVALS = """
WITH written AS (
    DELETE FROM {approval} a
    USING (SELECT competition_id, MAX(day) AS day FROM {standing_day} GROUP BY competition_id) AS stored
    WHERE a.segment_id = ANY(ARRAY(SELECT id FROM {segment} WHERE NOT closed))
      AND a.batch = {this_batch} AND stored.competition_id = a.competition_id AND a.work_date <= stored.day
    RETURNING a.segment_id, a.competition_id, a.worker_id, a.work_date, a.first_date, a.last_date,
              a.approved_score, a.dates, a.approved_scores, a.batch
)
INSERT INTO {approval} (segment_id, competition_id, worker_id, work_date, first_date, last_date, approved_score,
                        dates, approved_scores, batch)
SELECT w.segment_id, w.competition_id, w.worker_id, w.work_date, MIN(w.first_date), MAX(w.last_date),
       sum_int8(a.score), array_agg(a.day), array_agg(a.score), MIN(w.batch)
FROM written w
CROSS JOIN LATERAL unnest(w.dates, w.approved_scores) AS a (day, score)
GROUP BY w.segment_id, w.competition_id, w.worker_id, w.work_date
"""


def merge_approvals() -> int:
    """Merges the approval-log rows of the current transaction (see MERGE_APPROVALS): a job that approves
    a month in several statements (reviews.jobs.entries_approve_in_steps) calls it after the last, so the
    night after reads one row per worker rather than one per worker and statement. Returns the merged rows
    written."""
    from competitions.models import StandingApproval, StandingApprovalSegment, StandingDay

    statement = sql.SQL(MERGE_APPROVALS).format(approval=sql.Identifier(StandingApproval._meta.db_table),
                                                segment=sql.Identifier(StandingApprovalSegment._meta.db_table),
                                                standing_day=sql.Identifier(StandingDay._meta.db_table),
                                                this_batch=sql.SQL(THIS_BATCH))
    with connection.cursor() as cursor:
        cursor.execute(statement.as_string(connection.connection))
        return cursor.rowcount
