"""The log trigger of reviews_workentry (``reviews/sql/entry_log.sql``): what each statement on the entries
changes in the approval queue (PendingEntry) and in the standings change logs (StandingDelta, and
StandingApproval for moves between pending and approved).

``STATUS_MOVE`` names the transaction-local setting through which ``reviews.workflow`` tells the trigger
that its next UPDATE only moves rows from one status to another (see the file's header).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

from django.db import connection
from psycopg import sql

from config.months import month_last_day
from config.sqlfiles import SqlFile

STATUS_MOVE = "reviews.status_move"
# The transaction-local setting by which staged_approvals tells the trigger to write the approval log's rows into
# STAGING (a temporary table of the transaction) instead of the log.
APPROVAL_STAGING = "reviews.approval_staging"
STAGING = "approval_staging"
# The approval log's ``batch`` of the rows the current transaction writes: its top-level transaction id
# (a savepoint's statements get the same one), written by the trigger: which transaction wrote a row.
THIS_BATCH = "pg_current_xact_id()::text::bigint"
FUNCTION = "reviews_workentry_log"
# Puts FUNCTION's triggers on a monthly partition of the entries (see entry_log.sql's header): the migration that
# installs the file calls it for every partition, reviews.partitions for each one it creates.
PARTITION_FUNCTION = "reviews_workentry_log_partition"


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


def partition_logs_moves(partition: str) -> bool:
    """Whether the entries' partition ``partition`` (by name) exists and carries the log's UPDATE trigger
    (PARTITION_FUNCTION puts it on every partition the portal makes): only then may a status move name it
    (reviews.workflow). A partition made by hand without it is updated through the table instead."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT EXISTS (SELECT FROM pg_trigger WHERE tgrelid = to_regclass(%s) AND tgname = %s)",
                       [partition, f"{FUNCTION}_update"])
        return cursor.fetchone()[0]


def _values() -> dict[str, sql.Composable]:
    from competitions.locks import APPROVAL_LOG_LOCK_CLASS
    from competitions.models import StandingApproval, StandingApprovalSegment, StandingDay, StandingDelta
    from competitions.standings import APPROVED_STATUSES
    from reviews.models import EntryStatus, PendingEntry, WorkEntry

    statuses = "|".join(EntryStatus.values)
    return {
        "function": sql.Identifier(FUNCTION),
        "entry_table": sql.Identifier(WorkEntry._meta.db_table),
        "entry_table_name": sql.Literal(WorkEntry._meta.db_table),
        "function_name": sql.Literal(FUNCTION),
        "partition_function": sql.Identifier(PARTITION_FUNCTION),
        "insert_trigger_name": sql.Literal(f"{FUNCTION}_insert"),
        "update_trigger_name": sql.Literal(f"{FUNCTION}_update"),
        "delete_trigger_name": sql.Literal(f"{FUNCTION}_delete"),
        "pending_table": sql.Identifier(PendingEntry._meta.db_table),
        "delta_table": sql.Identifier(StandingDelta._meta.db_table),
        "approval_table": sql.Identifier(StandingApproval._meta.db_table),
        # Read only by the bodies kept beside migrations 0021 and 0022 for their reversal (*_entry_log_before.sql).
        "approval_table_name": sql.Literal(sql.Identifier(StandingApproval._meta.db_table).as_string()),
        "staging_setting": sql.Literal(APPROVAL_STAGING),
        "staging_table": sql.Literal(f"pg_temp.{STAGING}"),
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


# Dropping the function drops its triggers with it, on the table and on every partition.
ENTRY_LOG = SqlFile(path=Path(__file__).parent / "sql" / "entry_log.sql", values=_values,
                    drop="DROP FUNCTION {function}() CASCADE; DROP FUNCTION IF EXISTS {partition_function}(regclass)",
                    installed_by=("reviews", "0001_initial"),
                    function=FUNCTION, reinstalled_by=(("reviews", "0007_workentry_partitioned_by_month"),
                                                       ("reviews", "0009_approvals_logged_per_worker"),
                                                       ("reviews", "0015_approval_log_in_segments"),
                                                       ("reviews", "0016_approval_steps_lighter"),
                                                       ("reviews", "0018_pending_range"),
                                                       ("reviews", "0019_queue_rows_deleted_by_range"),
                                                       ("reviews", "0020_approval_log_per_competition"),
                                                       ("reviews", "0021_partition_log_triggers"),
                                                       ("reviews", "0022_approvals_staged_per_entry")))


# The staged entries (see staged_approvals) written into the log: one row per (competition, worker, run date) in
# the competition's open segment, as the trigger writes a statement's (reviews/sql/entry_log.sql): the run date is
# the latest stored standings day, or the entry's date when later, and each entry's date and approved points go in
# the two arrays. The open segment and the latest day are read here, at the end: the trigger took the log's lock
# shared for the transaction and opened the segment, so no standings run closes it or stores a day meanwhile.
# Staging every entry as it is rather than each statement's rows grouped per worker, and grouping them once here
# with array_agg rather than concatenating the groups' arrays: a step of 98,000 entries 0.47-0.52 s instead of
# 0.53-0.56 s, a business system's month of 980,155 entries 6.45-6.81 s instead of 7.19-7.41 s (reviews 0022).
WRITE_STAGED = """
WITH stored AS (SELECT competition_id, MAX(day) AS day FROM {standing_day} GROUP BY competition_id),
open AS (SELECT competition_id, id FROM {segment} WHERE NOT closed)
INSERT INTO {approval} (segment_id, competition_id, worker_id, work_date, first_date, last_date, approved_score,
                        dates, approved_scores, batch)
SELECT open.id, w.competition_id, w.worker_id, GREATEST(w.work_date, stored.day), MIN(w.work_date),
       MAX(w.work_date), sum_int8(w.approved_score), array_agg(w.work_date), array_agg(w.approved_score),
       {this_batch}
FROM pg_temp.{staging} w
JOIN open ON open.competition_id = w.competition_id
LEFT JOIN stored ON stored.competition_id = w.competition_id
GROUP BY open.id, w.competition_id, w.worker_id, GREATEST(w.work_date, stored.day)
"""


# The same for a month's approval in one competition whose month ended on or before the competition's latest stored
# standings day (a month is approved after its last night: reviews.jobs.entries_approve_in_steps, with the month's
# queue): every staged entry's run date is that day, so the rows are grouped per (competition, worker) alone, with
# the open segment and the day as values rather than joined to each staged row. Measured on business system 1's
# November at seed scale (980,155 entries staged, 42,370 workers; the job rolled back, three interleaved pairs):
# the write at the job's end 0.56-0.58 s this way against 0.84-0.86 s through the joins. The count it returns is of
# the rows it wrote that are not of that competition or dated after that day: the caller checks that it is none
# (staged_approvals).
WRITE_STAGED_BEFORE_DAY = """
WITH written AS (
INSERT INTO {approval} (segment_id, competition_id, worker_id, work_date, first_date, last_date, approved_score,
                        dates, approved_scores, batch)
SELECT {segment_id}, w.competition_id, w.worker_id, {day}, MIN(w.work_date), MAX(w.work_date),
       sum_int8(w.approved_score), array_agg(w.work_date), array_agg(w.approved_score), {this_batch}
FROM pg_temp.{staging} w
GROUP BY w.competition_id, w.worker_id
RETURNING competition_id, last_date)
SELECT count(*) FROM written WHERE competition_id <> {competition} OR last_date > {day}
"""
# The end of the staging (its setting cleared), with the competition's open segment of the approval log and its
# latest stored standings day.
STAGING_ENDED = """
SELECT set_config({setting}, '', true),
       (SELECT id FROM {segment} WHERE competition_id = {competition} AND NOT closed),
       (SELECT MAX(day) FROM {standing_day} WHERE competition_id = {competition})
"""


@contextmanager
def staged_approvals(*, within: tuple[int, date] | None = None) -> Iterator[None]:
    """For a job that moves a month in several statements (reviews.jobs.entries_approve_in_steps), in its
    transaction: the trigger writes the approval log's rows of the statements inside into a temporary table of
    the transaction, and on leaving they go into the log once, merged one per worker. Before, each statement
    wrote its rows into the log (a row per worker and statement, with the log's index) and a merge
    deleted and rewrote them all: ten times the rows the log keeps, written, indexed and WAL-logged for
    nothing. The rows are the transaction's own, which no other transaction sees, so no standings run reads
    them half-written. On an error the transaction's rollback takes the table and the setting back with it.

    ``within``: (competition id, month) when every entry the statements inside move is of that competition and
    month (a month's queue). When the month ended on or before the competition's latest stored day, the rows
    are then merged per worker alone (WRITE_STAGED_BEFORE_DAY); a staged row outside them fails the
    transaction rather than be logged under the wrong competition or day."""
    from competitions.models import StandingApproval, StandingApprovalSegment, StandingDay

    names = {"staging": sql.Identifier(STAGING), "approval": sql.Identifier(StandingApproval._meta.db_table),
             "segment": sql.Identifier(StandingApprovalSegment._meta.db_table),
             "standing_day": sql.Identifier(StandingDay._meta.db_table), "setting": sql.Literal(APPROVAL_STAGING),
             "this_batch": sql.SQL(THIS_BATCH)}
    # One round trip each way (no parameters: the statements go together).
    with connection.cursor() as cursor:
        cursor.execute(sql.SQL(
            "CREATE TEMPORARY TABLE {staging} (competition_id bigint, worker_id bigint, work_date date,"
            " approved_score bigint) ON COMMIT DROP;"
            " SELECT set_config({setting}, 'on', true)").format(**names).as_string())
    yield
    drop = "; DROP TABLE pg_temp.{staging}"

    def write(statement: str, **values: sql.Composable) -> None:  # the rows, and the table's drop
        cursor.execute(sql.SQL(statement + drop).format(**names, **values).as_string())

    outside = 0
    with connection.cursor() as cursor:
        if within is None:
            write("SELECT set_config({setting}, '', true); " + WRITE_STAGED)
            return
        # Two round trips: the end of the staging, with what the month's write needs to know; then the write.
        competition_id, month = within
        names["competition"] = sql.Literal(int(competition_id))
        cursor.execute(sql.SQL(STAGING_ENDED).format(**names).as_string())
        _setting, segment, day = cursor.fetchone()
        if segment is None or day is None or day < month_last_day(month):
            write(WRITE_STAGED)
            return
        write(WRITE_STAGED_BEFORE_DAY, segment_id=sql.Literal(int(segment)), day=sql.Literal(day))
        outside = cursor.fetchone()[0]
    if outside:
        raise RuntimeError(f"{outside} staged approval rows are not of competition {competition_id} up to {day}")
