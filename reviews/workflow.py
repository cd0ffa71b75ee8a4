"""The review workflow: which status moves are allowed, and the one function that makes them.

Every review of a work entry, one entry or a million, goes through ``entries_transition``.
On PostgreSQL it is one statement: lock the target rows in id order, move those still in an allowed
status, and write one audit fact per moved row (``INSERT … SELECT`` from the ``UPDATE … RETURNING``; a month's
approval job's steps write them in batches of ids, EntryBatchEvent).
Locking in a stable order means two reviewers acting on overlapping entries at once queue behind
each other instead of deadlocking, and the status re-check after the wait means the second one moves
only what the first left, so no entry is approved twice and no update is lost.

A month's sign-off and reopening move no entry at all. "Locked" is the month's state: an approved entry of a
signed-off month is shown as locked (``WorkEntry.shown_status``), and no review, edit or new entry reaches it
(the review moves leave signed-off months alone, the entry services refuse them), until union staff reopen
the month. Each is recorded once, as the month's ``PeriodEvent``; an entry's history shows it from there
(``reviews.history``). So a sign-off costs the month's frozen totals (one read of its entries), not a
rewrite of 800,000 rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import NamedTuple

from django.conf import settings
from django.core.exceptions import EmptyResultSet, PermissionDenied
from django.db import connection, transaction
from django.db.models import BooleanField, ExpressionWrapper, Q
from django.db.models.sql import UpdateQuery
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, ngettext

from competitions.standings.frozen import freeze_month, unfreeze_month
from config.formatting import display_date, display_month
from config.months import month_bounds, month_last_day, month_of
from config.stored_text import StoredText, as_stored
from config.text import stripped
from members.scope import scope_of
from reviews.entry_log import STATUS_MOVE
from reviews.models import (
    BATCH_EVENT_SIZE,
    EntryAction,
    EntryStatus,
    PendingEntry,
    PeriodAction,
    PeriodEvent,
    PeriodStatus,
    ReviewPeriod,
    WorkEntry,
)
from reviews.validation import local_today

S = EntryStatus

# (from, to) -> the audit action it records. Anything not listed is refused.
TRANSITIONS: dict[tuple[str, str], str] = {
    (S.PENDING, S.APPROVED): EntryAction.APPROVED,
    (S.PENDING, S.REJECTED): EntryAction.REJECTED,
    # A reviewer may change their mind before the month is signed off.
    (S.APPROVED, S.REJECTED): EntryAction.REJECTED,
    # The clerk corrects a rejected entry and sends it back for review.
    (S.REJECTED, S.PENDING): EntryAction.RESUBMITTED,
    # Sign-off locks the month's approved entries; only union staff reopen it. Shown moves, made by the
    # month's period (MONTH_MOVES), never by entries_transition; earlier versions stored them per entry.
    (S.APPROVED, S.LOCKED): EntryAction.LOCKED,
    (S.LOCKED, S.APPROVED): EntryAction.REOPENED,
}


# What a month's sign-off and reopening do to the status its approved entries show, per month action,
# (from, to). They are the month's state (WorkEntry.shown_status): no entry row changes.
MONTH_MOVES = {PeriodAction.SIGNED_OFF: (S.APPROVED, S.LOCKED), PeriodAction.REOPENED: (S.LOCKED, S.APPROVED)}
PERIOD_MOVES = set(MONTH_MOVES.values())


def allowed_sources(to_status: str) -> list[str]:
    """The stored statuses a review may move to ``to_status`` (never a month's moves, PERIOD_MOVES)."""
    return [src for (src, dst) in TRANSITIONS if dst == to_status and (src, dst) not in PERIOD_MOVES]


# The lock order of every write to entries, so that no two of them wait for each other in a circle:
#
#   1. review period rows (reviews_reviewperiod), in id order: FOR SHARE by every write that creates,
#      edits or moves an entry (for the month it leaves and the month it lands in,
#      ``reviews.services._hold_open_periods``), FOR UPDATE by sign-off and reopen (``_lock_period``);
#   2. the advisory lock of each business system touched, in id order (``lock_systems``);
#   3. entry rows.
#
# Period first: a sign-off that holds its period waits for no entry write that holds an entry row, and
# an entry write that holds a period share lock keeps the month from being signed off under it (the
# sign-off waits, then counts the edit's pending entry and refuses). Transitions take the advisory lock
# before any row lock: two reviewers (or a reviewer and the flag task) acting on overlapping entries
# queue behind each other instead of deadlocking, without locking 740,000 rows one by one first.
ADVISORY_CLASS = 0x5245  # "RE"


def lock_systems(system_ids) -> None:
    ids = sorted({int(i) for i in system_ids})
    if not ids:
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, s.id) FROM (SELECT unnest(%s::int[]) AS id ORDER BY 1) s",
                       [ADVISORY_CLASS, ids])


class TransitionRefused(Exception):  # noqa: N818
    """A step refused: ``message`` for the person (in the active language), ``code`` stable (API). Given a
    StoredText (config.stored_text), ``text`` keeps its id and facts for a background job that stores it."""

    def __init__(self, message, code: str):
        self.text = as_stored(message)
        self.message = str(message)
        self.code = code
        super().__init__(self.message)


@dataclass
class TransitionResult:
    moved: int
    skipped_own: int = 0


class QueueRange(NamedTuple):
    """The entries of one business system's month still in its approval queue (PendingEntry), with ids in
    [low, high): a step of a month's approval (reviews.jobs.entries_approve_in_steps). ``dense``: they are at
    least one id in DENSE_RANGE of the range (``_update_from_queue``). ``partition``: the month's partition, for
    the step to name (reviews.entry_log.partition_logs_moves), or None to go through the table."""

    competition_id: int
    business_system_id: int
    month: date
    low: int
    high: int
    dense: bool = False
    partition: str | None = None


# A step whose queue rows are at least one id in this many of its range is updated through the entries' own
# key rather than from the queue rows (``_update_from_queue``). Measured on a step of 74,001 entries, without
# the trigger: through the key 0.22-0.23 s, from the queue 0.33-0.35 s, when the range held only them (a month
# entered by one business system alone, or imported at once); 0.306 s against 0.311 s when it held 6.5 times
# as many entries (the seed's one system in nine; the other form joined a table of the ids); with more, reading
# the key's range costs more than probing the key once per entry.
DENSE_RANGE = 4


# The entries that are a person's own work: entered or last changed by them, or the work of their own worker
# record (an account that is a worker and holds a reviewer grant would otherwise approve its own points).
# Nobody approves or rejects those, whatever grants they hold (separation of duties).
OWN_WORK_FIELDS = ("entered_by", "changed_by")


def own_work_keys(actor) -> list[tuple[str, int]]:
    """(entry field, value) pairs of which any one makes an entry ``actor``'s own work."""
    keys = [(name, actor.pk) for name in OWN_WORK_FIELDS]
    worker_id = scope_of(actor).worker_id
    if worker_id is not None:
        keys.append(("worker", worker_id))
    return keys


def own_work_q(actor) -> Q:
    """The entries that are ``actor``'s own work (own_work_keys)."""
    return Q(*[Q(**{f"{name}_id": value}) for name, value in own_work_keys(actor)], _connector=Q.OR)


def is_own_work(actor, entry: WorkEntry) -> bool:
    return getattr(actor, "pk", None) is not None and any(
        getattr(entry, f"{name}_id") == value for name, value in own_work_keys(actor))


def _check_reason(to_status: str, reason: str) -> str:
    reason = stripped(reason)
    if to_status == S.REJECTED and not reason:
        raise TransitionRefused(_("退回必须填写原因。"), "reason_required")
    if len(reason) > 200:
        raise TransitionRefused(_("原因不能超过200字。"), "reason_too_long")
    return reason


@transaction.atomic
def entries_transition(*, actor, entries, to_status: str, reason: str = "", exclude_own: bool = True,
                       systems=None, month: date | None = None, queue: QueueRange | None = None,
                       in_batches: bool = False) -> TransitionResult:
    """Move every entry of the queryset ``entries`` that is in an allowed source status to ``to_status``.

    Entries in other statuses are left alone (the caller decides whether that is an error). With
    ``exclude_own``, approving or rejecting never moves the actor's own work, entries they entered or
    last changed (``own_work_q``): the statement that moves the others counts them, in
    ``skipped_own``. ``systems`` names the business systems the entries belong to (a superset is
    fine; found with one query when not given). ``month``: the month every one of ``entries`` is dated
    in, when the caller knows it (a month's queue): the statements then name its work dates, so that
    PostgreSQL reads and updates that month's partition of the entries only instead of probing every
    month's for each entry. Entries of a signed-off month never move (they show as locked). ``queue``:
    ``entries`` are exactly the pending entries of a QueueRange, which the statement then reads from the
    queue table (``_update_from_queue``). ``in_batches``: the audit facts of a move that is not a rejection
    are stored as EntryBatchEvent rows (the moved ids, BATCH_EVENT_SIZE to a row) instead of an EntryEvent per
    entry; a month's approval job asks for it, with one business system (``systems``) and ``month`` (both
    required then). Returns how many moved.
    """
    sources = allowed_sources(to_status)
    if not sources:
        raise TransitionRefused(StoredText(gettext_noop("不允许的状态变更。")), "transition_forbidden")
    reason = _check_reason(to_status, reason)
    now = timezone.now()
    target = entries.filter(status__in=sources)
    if queue is not None:
        month = queue.month
    dates = month_bounds(month) if month is not None else None
    if dates is not None:
        target = target.filter(work_date__gte=dates[0], work_date__lt=dates[1])
    reviewing = to_status in (S.APPROVED, S.REJECTED)
    own = own_work_q(actor) if exclude_own and reviewing and actor is not None else None

    if systems is None:
        systems = entries.order_by().values_list("business_system_id", flat=True).distinct()
    lock_systems(systems)
    if to_status == S.REJECTED:
        _refuse_rejecting_corrected(target)
    batched_as = None
    if in_batches and to_status != S.REJECTED:
        (system_id,) = set(systems)  # one business system, and the month: what each batch row is of
        if month is None:
            raise ValueError("in_batches needs the month")
        batched_as = (int(system_id), month_of(month))
    rejected: list = []
    moved, skipped_own = _transition_rows(actor, target, own, to_status, reason, now, reviewing, sources, rejected,
                                          dates, queue, batched_as)
    if rejected:
        from members.notifications import entries_rejected

        entries_rejected(batches=rejected, reason=reason)
    return TransitionResult(moved=moved, skipped_own=skipped_own)


def _refuse_rejecting_corrected(target) -> None:
    """An entry with an adjustment (reviews.services.entry_adjust) that is not rejected cannot be rejected
    unless the adjustment is rejected with it: the adjustment corrects that entry's day, and on its own a
    correction taking work away would leave the worker negative work (approved, it counts). Reject the
    adjustment first, or both at once. One query (the adjustments' partial index)."""
    ids = target.values("pk")
    found = list(WorkEntry.objects.filter(adjusts_id__in=ids).exclude(status=S.REJECTED).exclude(pk__in=ids)
                 .order_by("adjusts_id").values_list("adjusts_id", "id")[:5])
    if found:
        raise TransitionRefused(_(
            "录入 %(entries)s 已有调整（%(adjustments)s），请先退回其调整，或与调整一起退回。") % {
            "entries": "、".join(f"#{entry}" for entry in dict.fromkeys(e for e, _a in found)),
            "adjustments": "、".join(f"#{adjustment}" for _e, adjustment in found)}, "has_adjustments")


def _transition_rows(actor, target, own, to_status, reason, now, reviewing, sources, rejected: list,
                     dates: tuple[date, date] | None, queue: QueueRange | None,
                     batched_as: tuple[int, date] | None = None) -> tuple[int, int]:
    """One statement per source status: ``UPDATE … WHERE <the queryset's conditions> AND status = s
    RETURNING id`` feeding ``INSERT … SELECT`` of the audit facts: an EntryEvent per moved entry, or with
    ``batched_as`` (business system, month) EntryBatchEvent rows of up to BATCH_EVENT_SIZE moved ids each.
    No read-then-lock pass: the advisory lock orders concurrent transitions, and the UPDATE re-checks
    ``status`` on any row it had to wait for, so an entry moved meanwhile is skipped, never moved twice or
    mis-audited.
    The update touches no index (see WorkEntry.Meta.indexes), so it is a HOT update.

    With ``own`` (the actor's own work, own_work_q), the statement reads the queryset once into its
    target, each row marked whether it is own work, moves the others (re-checking on the row it updates
    that it is still not own work) and counts the own ones: (moved, skipped own) without a second pass
    over the selection. Without it, the UPDATE reads the queryset's conditions itself.

    With ``queue``, the pending entries' statement is driven by the queue rows of the range instead
    (``_update_from_queue``).

    A rejection's statement also counts what it moved per (clerk who entered it, depot): those counts
    are appended to ``rejected`` as RejectedBatch for the clerks' messages (members.notifications)."""
    from members.notifications import RejectedBatch

    values = {"status": to_status, "updated_at": now}
    if reviewing:
        values.update(reviewed_by=actor, reviewed_at=now)
    if to_status == S.REJECTED:
        values["reject_reason"] = reason
    elif to_status == S.PENDING:
        values["reject_reason"] = ""
    actor_id = actor.pk if actor is not None else None
    own_keys = own_work_keys(actor) if own is not None else None
    table = connection.ops.quote_name(WorkEntry._meta.db_table)
    moved = skipped_own = 0
    with connection.cursor() as cursor:
        # A month's approval captures its old and new rows for the triggers; let this transaction
        # keep them in memory rather than spill them to disk.
        cursor.execute("SET LOCAL work_mem = '256MB'")
        for source in sources:
            rows = target.filter(status=source)
            if source != S.PENDING:
                # Approved and rejected entries stay as they are in a signed-off month (they show as locked
                # and as rejected). No entry of such a month is pending: sign-off waits for none, and no
                # entry is written into it. The month's state is read after lock_systems, which a sign-off
                # takes too: a sign-off under way has committed by then.
                rows = rows.in_open_months()
            # The own rows of the target, counted by the same statement (none without ``own``).
            skipped = "(SELECT count(DISTINCT id) FROM target WHERE own)" if own is not None else "0"
            skipped_params = []
            try:
                if queue is not None and source == S.PENDING:
                    sql, params, skipped, skipped_params = _update_from_queue(
                        queue, own_keys, values, source, table, dates)
                elif own is None:
                    update = rows.query.chain(UpdateQuery)
                    update.add_update_values(values)
                    sql, params = update.get_compiler(connection.alias).as_sql()
                    sql = f"WITH moved AS ({sql}"
                else:
                    sql, params = _update_from_target(rows, own, own_keys, values, source, table, dates)
            except EmptyResultSet:  # e.g. a filter on a unit that does not exist: nothing to move
                continue
            # Tell the entries' log trigger that this statement moves rows from ``source`` to
            # ``to_status`` and changes nothing else it logs, so it writes the queue and standings
            # changes from the new rows instead of pairing 800,000 old and new ones
            # (reviews/sql/entry_log.sql). The trigger clears the setting as it reads it; a failed statement's
            # rollback clears it too. The reset below only keeps the session tidy.
            cursor.execute("SELECT set_config(%s, %s, true)", [STATUS_MOVE, f"{source}>{to_status}"])
            # The audit facts' values: what every fact holds, then a batch's own (never for a rejection).
            facts = [TRANSITIONS[(source, to_status)], actor_id, now, source, to_status, reason]
            audit = _AUDIT_PER_ENTRY
            if batched_as is not None:
                audit = _AUDIT_IN_BATCHES
                facts += [*batched_as, BATCH_EVENT_SIZE]
            audit_params = [*params, *facts, *skipped_params]
            if to_status == S.REJECTED:
                # The same statement, counting what it moved per clerk and depot (a data-modifying WITH runs
                # whether or not the outer query reads it); a first row carries the own work skipped.
                cursor.execute(f"""
                    {sql} RETURNING {table}.id, {table}.entered_by_id, {table}.unit_id),
                    audit AS ({audit})
                    SELECT true, NULL::bigint, NULL::bigint, {skipped}
                    UNION ALL
                    SELECT false, moved.entered_by_id, unit.depot_id, count(*) FROM moved
                    JOIN members_unit unit ON unit.id = moved.unit_id
                    GROUP BY 2, 3
                """, audit_params)
                rows = cursor.fetchall()
                batches = [RejectedBatch(clerk, depot, n) for first, clerk, depot, n in rows if not first]
                rejected.extend(batches)
                moved += sum(batch.entries for batch in batches)
                skipped_own += sum(n for first, _clerk, _depot, n in rows if first)
            else:
                cursor.execute(f"""
                    {sql} RETURNING {table}.id),
                    audit AS ({audit})
                    SELECT (SELECT count(*) FROM moved), {skipped}
                """, audit_params)
                n_moved, n_own = cursor.fetchone()
                moved += n_moved
                skipped_own += n_own
            cursor.execute("SELECT set_config(%s, '', true)", [STATUS_MOVE])
    return moved, skipped_own


# The audit facts of a statement's ``moved`` rows (the params after the statement's own: action, actor, at, from,
# to, reason): one EntryEvent per entry; or in batches (then also business system, month, batch size): the
# moved ids in id order, cut into rows of BATCH_EVENT_SIZE (EntryBatchEvent): gathered into one sorted array and
# sliced, which is a fifth of numbering every row and grouping them (7 against 36 ms for a step's 74,000 ids).
_AUDIT_PER_ENTRY = """
    INSERT INTO reviews_entryevent (entry_id, action, actor_id, at, from_status, to_status, reason)
    SELECT id, %s, %s, %s, %s, %s, %s FROM moved"""
_AUDIT_IN_BATCHES = """
    INSERT INTO reviews_entrybatchevent (action, actor_id, at, from_status, to_status, reason, business_system_id,
                                         month, first_entry_id, last_entry_id, entries, entry_ids)
    SELECT %s, %s, %s, %s, %s, %s, %s, %s, part[1], part[cardinality(part)], cardinality(part), part
    FROM (SELECT array_agg(id ORDER BY id) AS ids, %s AS size FROM moved) AS m,
         generate_series(1, cardinality(m.ids), m.size) AS start,
         LATERAL (SELECT m.ids[start:start + m.size - 1] AS part) AS p"""


def _set_clause(values: dict) -> tuple[str, list]:
    """``column = %s, …`` of an UPDATE of entries setting ``values`` (field name -> value), and its params."""
    assignments, params = [], []
    for name, value in values.items():
        field = WorkEntry._meta.get_field(name)
        assignments.append(f"{connection.ops.quote_name(field.column)} = %s")
        params.append(field.get_db_prep_save(getattr(value, "pk", value), connection))
    return ", ".join(assignments), params


def _still_not_own(table: str, own_keys: list[tuple[str, int]]) -> tuple[str, list]:
    """The condition, on the row an UPDATE moves, that it is not the work of the actor (own_work_keys), and
    its params: checked on the newest version of a row the UPDATE had to wait for."""
    sql = " AND ".join(f"{table}.{connection.ops.quote_name(WorkEntry._meta.get_field(name).column)} "
                       f"IS DISTINCT FROM %s" for name, _value in own_keys)
    return sql, [value for _name, value in own_keys]


def _update_from_queue(queue: QueueRange, own_keys, values: dict, source: str, table: str,
                       dates: tuple[date, date]) -> tuple[str, list, str, list]:
    """``WITH moved AS (UPDATE … FROM <the queue rows of the range> WHERE …`` (left open for RETURNING), and
    the count of the rows it leaves (with its params): one pass over the range in the queue's index on (business
    system, competition, month, entry id) (PendingEntry's ``pending_range``, which holds none of the other
    systems' rows) and one probe of each entry, where reading a queryset into a target first
    (``_update_from_target``) would probe every entry twice, a sixth of a month's approval. A ``dense`` range
    (DENSE_RANGE) is read from the entries' key instead, in one pass and without the queue rows.

    ``own_keys``: leave the actor's own work (own_work_keys) alone (None: move all). Every queue row of the
    range is a pending entry of the month, so the rows the statement leaves are the ones not moved, counted as the
    queue rows of the range (in the statement's snapshot) less the moved: the actor's own work, and any
    entry another transaction moved or deleted meanwhile (the UPDATE re-checks the row it waited for)."""
    queue_table = connection.ops.quote_name(PendingEntry._meta.db_table)
    # The month's partition, under the table's name: the statement's references stay the table's, and the
    # partition's log trigger, which captures only the new rows, logs it (reviews/sql/entry_log.sql).
    target = f"{connection.ops.quote_name(queue.partition)} AS {table}" if queue.partition else table
    in_range = ("queued.business_system_id = %s AND queued.competition_id = %s AND queued.month = %s"
                " AND queued.entry_id >= %s AND queued.entry_id < %s")
    range_params = [queue.business_system_id, queue.competition_id, queue.month, queue.low, queue.high]
    assignments, assignment_params = _set_clause(values)
    if queue.dense:
        # The same entries, read from the month's partition by the range of its key: a pending entry of the
        # business system, competition and month is exactly one with a queue row there.
        sql = (f"WITH moved AS (UPDATE {target} SET {assignments} "
               f"WHERE {table}.id >= %s AND {table}.id < %s AND {table}.work_date >= %s AND {table}.work_date < %s "
               f"AND {table}.business_system_id = %s AND {table}.competition_id = %s AND {table}.status = %s")
        params = [*assignment_params, queue.low, queue.high, *dates, queue.business_system_id,
                  queue.competition_id, source]
    else:
        sql = (f"WITH moved AS (UPDATE {target} SET {assignments} FROM {queue_table} queued "
               f"WHERE {in_range} AND {table}.id = queued.entry_id AND {table}.work_date >= %s "
               f"AND {table}.work_date < %s AND {table}.status = %s")
        params = [*assignment_params, *range_params, *dates, source]
    if own_keys is None:
        return sql, params, "0", []
    not_own, not_own_params = _still_not_own(table, own_keys)
    sql += f" AND {not_own}"
    params += not_own_params
    left = f"((SELECT count(*) FROM {queue_table} queued WHERE {in_range}) - (SELECT count(*) FROM moved))"
    return sql, params, left, range_params


def _update_from_target(rows, own, own_keys, values: dict, source: str, table: str,
                        dates: tuple[date, date] | None = None) -> tuple[str, list]:
    """``WITH target AS (…), moved AS (UPDATE … FROM target WHERE …`` (left open for RETURNING): the
    target is the queryset ``rows`` read once, as (id, whether it is the actor's own work: ``own``);
    the UPDATE moves the rows of the target that are not, joined by id, and re-checks on the row it
    updates (the newest version, if it had to wait for another writer) that it is still in ``source``
    and still not own work. ``dates`` (first day, first day after): the work dates of every row, named
    to the UPDATE too, whose join by id alone would otherwise probe every month's partition per row.
    Raises EmptyResultSet when ``rows`` can select nothing."""
    selected = rows.order_by().annotate(own=ExpressionWrapper(own, output_field=BooleanField())).values_list(
        "pk", "own")
    select_sql, select_params = selected.query.sql_with_params()
    assignments, assignment_params = _set_clause(values)
    not_own, not_own_params = _still_not_own(table, own_keys)
    sql = (f"WITH target (id, own) AS MATERIALIZED ({select_sql}), "
           f"moved AS (UPDATE {table} SET {assignments} FROM target "
           f"WHERE {table}.id = target.id AND target.own IS NOT TRUE AND {table}.status = %s "
           f"AND {not_own}")
    within = []
    if dates is not None:
        sql += f" AND {table}.work_date >= %s AND {table}.work_date < %s"
        within = list(dates)
    return sql, [*select_params, *assignment_params, source, *not_own_params, *within]


def entry_transition(*, actor, entry: WorkEntry, to_status: str, reason: str = "") -> WorkEntry:
    """One entry: refuses (with a message) a move the map forbids or a review of one's own entry."""
    shown = entry.shown_status
    if (shown, to_status) not in TRANSITIONS or (shown, to_status) in PERIOD_MOVES:
        raise TransitionRefused(
            _("不能从“%(from)s”变为“%(to)s”。") % {"from": S(shown).label, "to": S(to_status).label},
            "transition_forbidden",
        )
    if to_status in (S.APPROVED, S.REJECTED) and is_own_work(actor, entry):
        if entry.worker_id == scope_of(actor).worker_id:
            raise TransitionRefused(_("不能审核本人的工作量，请由其他审核员审核。"), "self_review")
        raise TransitionRefused(_("不能审核本人录入或修改过的工作量，请由其他审核员审核。"), "self_review")
    result = entries_transition(actor=actor, entries=WorkEntry.objects.filter(pk=entry.pk), to_status=to_status,
                                reason=reason, systems=[entry.business_system_id])
    if result.moved != 1:
        # Someone else moved it first; report what it is now rather than pretending.
        entry = WorkEntry.objects.with_month_lock().get(pk=entry.pk)
        raise TransitionRefused(_("该录入状态已变为“%(now)s”，请刷新后重试。") % {
            "now": entry.get_shown_status_display()}, "stale_status")
    entry.refresh_from_db()
    return entry


# -- review periods ----------------------------------------------------------------------------

def entry_month_signed_off(entry: WorkEntry) -> bool:
    """Whether the month of ``entry`` is signed off for its business system (its rejected entries stay
    rejected and, like the locked ones, unchanged until the month is reopened)."""
    return ReviewPeriod.objects.signed_off().of_entry(entry).exists()


def _lock_period(*, competition, business_system, month: date) -> ReviewPeriod:
    period, _ = ReviewPeriod.objects.get_or_create(competition=competition, business_system=business_system,
                                                   month=month_of(month))
    # Row lock: sign-off and reopen of one period never interleave, and an entry written meanwhile
    # (which checks the period status) waits for the outcome.
    return ReviewPeriod.objects.select_for_update().get(pk=period.pk)


def first_sign_off_day(month: date) -> date:
    """The first day a month may be signed off: the day after it ends, or with ``SIGN_OFF_GRACE`` its own
    last day (for departments that close the month on its last afternoon)."""
    last = month_last_day(month)
    return last if settings.SIGN_OFF_GRACE else last + timedelta(days=1)


def sign_off_refusal(*, competition, month: date, today: date | None = None) -> TransitionRefused | None:
    """Why ``month`` cannot be signed off (yet), or None when it can. A sign-off locks the month for
    good, so a month that has not ended (its later days would have no way in) or that lies outside the
    competition (nothing to lock, and a period row the standings never read) is refused."""
    month = month_of(month)
    if month_last_day(month) < competition.start_date or month > competition.end_date:
        return TransitionRefused(_("%(month)s 不在竞赛期间（%(start)s 至 %(end)s）内，不能签发。") % {
            "month": display_month(month), "start": display_date(competition.start_date),
            "end": display_date(competition.end_date)},
            "month_outside_competition")
    first_day = first_sign_off_day(month)
    if (today or local_today()) < first_day:
        return TransitionRefused(_("%(month)s 尚未结束，%(day)s 起才能签发。") % {
            "month": display_month(month), "day": display_date(first_day)}, "month_not_ended")
    return None


@transaction.atomic
def period_sign_off(*, actor, competition, business_system, month: date) -> ReviewPeriod:
    """Locks a business system's month once every entry of it is reviewed: its approved entries become
    locked, and no entry of it changes again until union staff reopen it (``period_reopen``). The
    sign-off is audited once, as the month's PeriodEvent (who, when, how many entries)."""
    if not scope_of(actor).may_review(business_system.pk):
        raise PermissionDenied(_("您不负责该业务系统的审核。"))
    refusal = sign_off_refusal(competition=competition, month=month)
    if refusal is not None:
        raise refusal
    period = _lock_period(competition=competition, business_system=business_system, month=month)
    if period.status == PeriodStatus.SIGNED_OFF:
        raise TransitionRefused(_("该月已签发。"), "already_signed_off")
    pending = PendingEntry.objects.filter(competition_id=period.competition_id,
                                          business_system_id=period.business_system_id, month=period.month).count()
    if pending:
        raise TransitionRefused(ngettext("还有 %(n)s 条录入待审核，全部审核后才能签发。",
                                         "还有 %(n)s 条录入待审核，全部审核后才能签发。", pending) % {"n": pending},
                                "pending_left")
    # After any review of the system still running (it holds this lock to its commit, and a review that
    # starts now waits for this sign-off and then leaves the month alone): the totals below see its moves.
    lock_systems([period.business_system_id])
    now = timezone.now()
    period.status = PeriodStatus.SIGNED_OFF
    period.signed_off_by = actor
    period.signed_off_at = now
    period.save(update_fields=["status", "signed_off_by", "signed_off_at"])
    # The month can no longer change: its totals are written once (replacing any), and runs read them
    # instead of its entries. No entry row changes: its approved entries show as locked from now on.
    locked = freeze_month(competition_id=period.competition_id, business_system_id=period.business_system_id,
                          month=period.month)
    PeriodEvent.objects.create(period=period, action=PeriodAction.SIGNED_OFF, actor=actor, at=now, entries=locked)
    return period


@transaction.atomic
def period_reopen(*, actor, period: ReviewPeriod, reason: str) -> ReviewPeriod:
    """Union staff only, with a reason: unlocks the month's entries (audited once, as the month's
    PeriodEvent, which each unlocked entry's history shows: reviews.history)."""
    if not scope_of(actor).is_staff:
        raise PermissionDenied(_("只有工会管理人员可以解锁已签发的月份。"))
    reason = stripped(reason)
    if not reason:
        raise TransitionRefused(_("解锁必须填写原因。"), "reason_required")
    if "\x00" in reason:  # the admin's page posts it as typed; PostgreSQL text cannot hold NUL
        raise TransitionRefused(_("原因中有无法保存的字符（空字符），请重新填写。"), "reason_invalid")
    if len(reason) > (limit := PeriodEvent._meta.get_field("reason").max_length):
        raise TransitionRefused(_("原因最多 %(n)s 个字。") % {"n": limit}, "reason_too_long")
    period = _lock_period(competition=period.competition, business_system=period.business_system, month=period.month)
    if period.status != PeriodStatus.SIGNED_OFF:
        raise TransitionRefused(_("该月尚未签发，无需解锁。"), "not_signed_off")
    now = timezone.now()
    period.status = PeriodStatus.OPEN
    period.save(update_fields=["status"])
    # Its approved entries show as approved again, and may be reviewed and corrected; runs read them again.
    unlocked = unfreeze_month(competition_id=period.competition_id, business_system_id=period.business_system_id,
                              month=period.month)
    PeriodEvent.objects.create(period=period, action=PeriodAction.REOPENED, actor=actor, at=now, reason=reason,
                               entries=unlocked)
    return period
