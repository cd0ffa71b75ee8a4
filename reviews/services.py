"""Writes to work entries and disputes. Views, the API, imports and the admin call only these.

Every path checks rows with ``reviews.validation.EntryChecker`` (one set of rules), writes the rows
and their audit facts in one transaction, and sets ``updated_at`` so the incremental standings see
the change.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import cached_property

from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, connection, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from psycopg import sql

from competitions.models import Competition, RuleVersion, ScoringRule
from config import pgbulk
from config.formatting import display_month, format_quantity
from config.months import month_of
from config.stored_text import StoredText
from config.text import stripped
from members.models import Worker
from members.scope import scope_of
from reviews.flags import flags_due
from reviews.models import (
    Dispute,
    DisputeStatus,
    EntryAction,
    EntryEvent,
    EntryIdempotencyKey,
    EntryKind,
    EntrySource,
    EntryStatus,
    ReviewPeriod,
    WorkEntry,
)
from reviews.partitions import missing_partition_day
from reviews.validation import CheckedEntry, EntryChecker, EntryInput, EntryRejected, RowError, local_today
from reviews.workflow import entry_transition, lock_systems

AUDIT_BATCH = 5000


@dataclass
class BatchResult:
    created_ids: list[int]
    errors: list[RowError]

    @property
    def created_count(self) -> int:
        return len(self.created_ids)

    @cached_property
    def created(self) -> list[WorkEntry]:
        """The new entries as objects, read when asked for (a large import never needs them)."""
        by_id = WorkEntry.objects.in_bulk(self.created_ids)
        return [by_id[pk] for pk in self.created_ids]


def _new_entry(checked: CheckedEntry, *, competition, actor, source, kind=EntryKind.REGULAR, adjusts=None,
               idempotency_key=None, now) -> WorkEntry:
    return WorkEntry(
        competition=competition, worker_id=checked.worker_id, rule_id=checked.rule_id, work_date=checked.work_date,
        quantity=checked.quantity, points=checked.points, status=EntryStatus.PENDING, kind=kind,
        adjusts=adjusts, note=checked.note, source=source, idempotency_key=idempotency_key,
        unit_id=checked.unit_id, job_type_id=checked.job_type_id, business_system_id=checked.business_system_id,
        entered_by=actor, changed_by=actor, created_at=now, updated_at=now,
    )


def _months(entries) -> set[tuple[int, int, date]]:
    """The (competition, business system, month) triples entries fall in."""
    return {(e.competition_id, e.business_system_id, month_of(e.work_date)) for e in entries}


def _schedule_flags(touched: set[tuple[int, int, date]]) -> None:
    """After commit, refresh the queue flags of every (business system, month) the entries touch.

    A month's flags are recomputed from the whole month (a median needs all of it), so a burst of
    imports schedules one recompute per month, a minute later, rather than one per import: the cache
    key is taken by the first writer and released by the task when it starts.

    The months are also marked due in this transaction (flags_due): the write has committed by the
    time the task is sent, so a failure to send it (Redis down) is logged, not raised at the person
    whose entries were saved, and the periodic sweep recomputes the month instead.
    """
    from reviews.tasks import FLAG_DELAY_SECONDS, flag_entries, flag_key

    flags_due(touched)
    for competition_id, system_id, month in sorted(touched):
        args = (competition_id, system_id, month.isoformat())

        def schedule(args=args):
            if cache.add(flag_key(*args), 1, timeout=FLAG_DELAY_SECONDS * 10):
                flag_entries.apply_async(args=args, countdown=FLAG_DELAY_SECONDS)

        transaction.on_commit(schedule, robust=True)


def _hold_open_periods(touched: set[tuple[int, int, date]]) -> None:
    """Make sure each (competition, business system, month) has its ReviewPeriod row, and hold a share
    lock on those rows until commit; refuse (``month_locked``) if any of them is signed off. A sign-off
    takes the same row FOR UPDATE, so it waits for this write and then sees its pending entries (and
    refuses); a write that comes after a sign-off sees the month locked. Without this a batch checked a
    moment before a sign-off could land in a locked month. Every write that creates, edits or moves an
    entry calls this first, for every month the entry leaves or lands in, before it locks any entry
    row (the lock order in reviews.workflow); the rows are locked in id order, so two writes sharing
    months never deadlock with a sign-off."""
    if not touched:
        return
    ReviewPeriod.objects.bulk_create(
        [ReviewPeriod(competition_id=c, business_system_id=s, month=m) for c, s, m in touched],
        ignore_conflicts=True,
    )
    q = Q(pk__in=[])
    for c, s, m in touched:
        q |= Q(competition_id=c, business_system_id=s, month=m)
    periods = ReviewPeriod.objects.filter(q)
    sql, params = periods.values("id").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id FROM reviews_reviewperiod WHERE id IN ({sql}) ORDER BY id FOR SHARE", params)
    locked = list(periods.signed_off().select_related("business_system"))
    if locked:
        raise EntryRejected([RowError(0, "work_date", _("%(system)s %(month)s 已签发锁定，不能再录入。") % {
            "system": locked[0].business_system.name, "month": display_month(locked[0].month)}, "month_locked")])


@contextmanager
def _into_partitions():
    """Refuses, with a message and a stable code, a write of an entry dated in a month that has no
    partition of the entries table yet (reviews.partitions): PostgreSQL rejects the whole statement, and
    the caller's transaction is rolled back by the exception, so nothing of the write is kept."""
    try:
        yield
    except IntegrityError as error:
        day = missing_partition_day(error)
        if day is None:
            raise
        raise EntryRejected([RowError(0, "work_date", _("%(month)s 的录入尚未开放（系统还没有为该月建立录入存储），"
                                                        "请联系工会管理员。") % {"month": display_month(day)},
                                      "month_not_open")]) from None


def _write_created(entries: list[WorkEntry], *, actor, now) -> list[WorkEntry]:
    """Entries (model objects) and their CREATED audit facts, through the ORM; the Idempotency-Key an
    entry came with is recorded beside it (EntryIdempotencyKey), where a second entry with the same
    key for the same account fails on the unique key."""
    touched = _months(entries)
    _hold_open_periods(touched)
    with _into_partitions():
        created = WorkEntry.objects.bulk_create(entries, batch_size=AUDIT_BATCH)
    keyed = [EntryIdempotencyKey(entry_id=e.pk, entered_by_id=e.entered_by_id, key=e.idempotency_key)
             for e in created if e.idempotency_key and e.entered_by_id]
    if keyed:
        EntryIdempotencyKey.objects.bulk_create(keyed)
    _schedule_flags(touched)
    EntryEvent.objects.bulk_create(
        [EntryEvent(entry_id=e.pk, action=EntryAction.CREATED, actor=actor, at=now, to_status=EntryStatus.PENDING,
                    new_quantity=e.quantity, reason=e.note, params=e.note_params) for e in created],
        batch_size=AUDIT_BATCH,
    )
    return created


# One statement for a whole batch: the keys arrive as arrays, the entries are inserted
# in the batch's order and their CREATED audit facts are inserted from what that INSERT returns. The
# standings change-log trigger on reviews_workentry fires for it as for any INSERT; the unique
# constraint (one regular entry per worker, rule and day) fails the whole statement.
_INSERT_WITH_EVENTS = """
WITH new AS (
    INSERT INTO reviews_workentry (competition_id, worker_id, rule_id, work_date, quantity, points, status, kind,
                                   note, reject_reason, source, flags, unit_id, job_type_id, business_system_id,
                                   entered_by_id, changed_by_id, created_at, updated_at)
    SELECT %(competition)s, k.worker_id, k.rule_id, k.work_date, k.quantity, k.points, %(status)s, %(kind)s,
           k.note, '', %(source)s, 0, k.unit_id, k.job_type_id, k.business_system_id, %(actor)s, %(actor)s, %(now)s,
           %(now)s
      FROM unnest(%(worker)s::bigint[], %(rule)s::bigint[], %(day)s::date[], %(quantity)s::numeric[],
                  %(points)s::numeric[], %(note)s::text[], %(unit)s::bigint[], %(job_type)s::bigint[],
                  %(system)s::bigint[])
           WITH ORDINALITY AS k(worker_id, rule_id, work_date, quantity, points, note, unit_id, job_type_id,
                                business_system_id, n)
     ORDER BY k.n
    RETURNING id, quantity, note
)
INSERT INTO reviews_entryevent (entry_id, action, actor_id, at, from_status, to_status, new_quantity, reason)
SELECT id, %(action)s, %(actor)s, %(now)s, '', %(status)s, quantity, note FROM new
RETURNING entry_id
"""


def _write_batch(checked: list[CheckedEntry], *, competition, actor, source, now) -> list[int]:
    """Checked rows as new pending regular entries with their audit facts; their ids in the rows' order."""
    if not checked:
        return []
    # The (system, day) pairs first: a batch has 20,000 rows but only a few of those.
    touched = {(competition.pk, system_id, month_of(day))
               for system_id, day in {(c.business_system_id, c.work_date) for c in checked}}
    _hold_open_periods(touched)
    with _into_partitions(), connection.cursor() as cursor:
        cursor.execute(_INSERT_WITH_EVENTS, {
            "competition": competition.pk, "status": EntryStatus.PENDING, "kind": EntryKind.REGULAR,
            "source": source, "actor": getattr(actor, "pk", None), "now": now, "action": EntryAction.CREATED,
            "worker": pgbulk.array([c.worker_id for c in checked], "number"),
            "rule": pgbulk.array([c.rule_id for c in checked], "number"),
            "day": pgbulk.array([c.work_date for c in checked], "date"),
            "quantity": pgbulk.array([c.quantity for c in checked], "number"),
            "points": pgbulk.array([c.points for c in checked], "number"),
            "note": pgbulk.array([c.note for c in checked], "text"),
            "unit": pgbulk.array([c.unit_id for c in checked], "number"),
            "job_type": pgbulk.array([c.job_type_id for c in checked], "number"),
            "system": pgbulk.array([c.business_system_id for c in checked], "number"),
        })
        ids = sorted(pk for (pk,) in cursor.fetchall())
    _schedule_flags(touched)
    return ids


@transaction.atomic
def entries_create(*, actor, competition: Competition, rows: list[EntryInput], source: str = EntrySource.GRID,
                   save_valid_only: bool = False) -> BatchResult:
    """A batch from the grid or an import: all rows or none, unless the clerk explicitly chose to
    save only the good rows (``save_valid_only``)."""
    result = EntryChecker(actor=actor, competition=competition).check(rows)
    if result.errors and not save_valid_only:
        raise EntryRejected(result.errors)
    try:
        created_ids = _write_batch(result.ok, competition=competition, actor=actor, source=source,
                                   now=timezone.now())
    except IntegrityError:
        # Another clerk saved one of these worker/rule/day entries between our check and our
        # insert; the unique constraint caught it. Nothing of this batch is kept.
        raise EntryRejected([RowError(0, "work_date", _("其中有录入刚被他人保存，请刷新后重试。"),
                                      "duplicate_entry")]) from None
    return BatchResult(created_ids=created_ids, errors=result.errors)


def entries_import(*, actor, competition: Competition, name: str, content: bytes,
                   save_valid_only: bool = False, checked: Callable[[], None] | None = None) -> BatchResult:
    """A clerk's CSV/xlsx file: every row checked as in the grid; all or nothing unless the clerk
    explicitly saves only the good rows. Raises ImportFileError for an unreadable file. ``checked`` is
    called once the file is read and checked, before the rows are written (a background import's progress)."""
    from reviews.imports import check_file, collector_paused

    with collector_paused(), transaction.atomic():
        parsed, good = check_file(actor=actor, competition=competition, name=name, content=content)
        if checked is not None:
            checked()
        if parsed.errors and not save_valid_only:
            raise EntryRejected(parsed.errors)
        try:
            created_ids = _write_batch(good, competition=competition, actor=actor, source=EntrySource.IMPORT,
                                       now=timezone.now())
        except IntegrityError:
            raise EntryRejected([RowError(0, "work_date", _("其中有录入刚被他人保存，请刷新后重试。"),
                                          "duplicate_entry")]) from None
    return BatchResult(created_ids=created_ids, errors=parsed.errors)


def entry_create(*, actor, competition: Competition, worker_id: int, rule_id: int, work_date, quantity,
                 note: str = "", source: str = EntrySource.FORM, idempotency_key: str | None = None) -> WorkEntry:
    """One entry. With an ``idempotency_key`` a retried request returns the entry the first one made."""
    if idempotency_key:
        earlier = _entry_with_key(actor, idempotency_key)
        if earlier is not None:
            return earlier
    row = EntryInput(worker_id=worker_id, rule_id=rule_id, work_date=work_date, quantity=quantity, note=note)
    with transaction.atomic():
        result = EntryChecker(actor=actor, competition=competition).check([row])
        if result.errors:
            raise EntryRejected(result.errors)
        now = timezone.now()
        entry = _new_entry(result.ok[0], competition=competition, actor=actor, source=source,
                           idempotency_key=idempotency_key, now=now)
        try:
            with transaction.atomic():
                return _write_created([entry], actor=actor, now=now)[0]
        except IntegrityError:
            if idempotency_key:
                earlier = _entry_with_key(actor, idempotency_key)
                if earlier is not None:
                    return earlier
            raise EntryRejected([RowError(1, "work_date", _("该职工当天此指标已有录入，请修改原录入。"),
                                          "duplicate_entry")]) from None


def _entry_with_key(actor, key: str) -> WorkEntry | None:
    """The entry ``actor`` created with Idempotency-Key ``key``, if any."""
    return WorkEntry.objects.filter(
        pk__in=EntryIdempotencyKey.objects.filter(entered_by=actor, key=key).values("entry_id")).first()


def _lock_entry_and_months(queryset, entry_id: int, *, moving_to: date | None = None,
                           check: Callable[[WorkEntry], None] | None = None) -> WorkEntry:
    """The entry of ``queryset`` with ``entry_id``, row-locked, after the month it is in (and the month
    it is ``moving_to``) are held open: the lock order of reviews.workflow (periods, then the business
    system, then the entry), so no sign-off of either month can pass this write. ``check`` refuses an
    entry that may not be changed, before the locks (a clear reason rather than "month locked") and
    again under them. The entry is read once unlocked to learn its month; if a concurrent edit moved
    it to another month meanwhile, the months are taken again."""
    while True:
        seen = (queryset.filter(pk=entry_id)
                .only("competition_id", "business_system_id", "work_date", "status", "kind").first())
        if seen is None:
            raise WorkEntry.DoesNotExist
        if check is not None:
            check(seen)
        months = {month_of(seen.work_date), *([month_of(moving_to)] if moving_to else [])}
        _hold_open_periods({(seen.competition_id, seen.business_system_id, m) for m in months})
        lock_systems([seen.business_system_id])
        entry = queryset.select_for_update().filter(pk=entry_id).first()
        if entry is None:
            raise WorkEntry.DoesNotExist
        if (entry.business_system_id, month_of(entry.work_date)) == (seen.business_system_id,
                                                                    month_of(seen.work_date)):
            if check is not None:
                check(entry)
            return entry


def _editable(entry: WorkEntry) -> None:
    if entry.status not in (EntryStatus.PENDING, EntryStatus.REJECTED) or entry.kind != EntryKind.REGULAR:
        raise EntryRejected([RowError(1, "entry", _("只有待审核或已退回的录入可以修改；已通过或已锁定的请提交调整。"),
                                      "entry_not_editable")])


@transaction.atomic
def entry_update(*, actor, entry_id: int, quantity=None, work_date=None, note: str | None = None) -> WorkEntry:
    """A clerk corrects a pending or rejected entry of their units. A rejected entry goes back to
    pending (resubmitted). Approved and locked entries cannot be edited; after sign-off a correction
    is an adjustment entry (``entry_adjust``). Neither the month the entry is in nor the one it moves to
    may be signed off, and neither can be signed off until this edit commits."""
    entry = _lock_entry_and_months(WorkEntry.objects.editable_by(actor), entry_id, moving_to=work_date,
                                   check=_editable)
    new_date = work_date or entry.work_date
    new_quantity = entry.quantity if quantity is None else quantity
    new_note = entry.note if note is None else note
    row = EntryInput(worker_id=entry.worker_id, rule_id=entry.rule_id, work_date=new_date, quantity=new_quantity,
                     note=new_note)
    checker = EntryChecker(actor=actor, competition=entry.competition, exclude_entry_id=entry.pk, correcting=entry)
    result = checker.check([row])
    if result.errors:
        raise EntryRejected(result.errors)
    checked = result.ok[0]
    old_quantity, old_status = entry.quantity, entry.status
    now = timezone.now()
    entry.work_date, entry.quantity, entry.points, entry.note = (checked.work_date, checked.quantity,
                                                                 checked.points, checked.note)
    entry.updated_at, entry.changed_by = now, actor
    with _into_partitions():
        entry.save(update_fields=["work_date", "quantity", "points", "note", "changed_by", "updated_at"])
    EntryEvent.objects.create(entry=entry, action=EntryAction.EDITED, actor=actor, at=now, from_status=old_status,
                              to_status=old_status, old_quantity=old_quantity, new_quantity=entry.quantity,
                              reason=entry.note)
    if old_status == EntryStatus.REJECTED:
        entry = entry_transition(actor=actor, entry=entry, to_status=EntryStatus.PENDING)
    return entry


@transaction.atomic
def entry_note_set(*, actor, entry_id: int, note: str) -> WorkEntry:
    """An entry's note corrected in the admin (nothing that counts: quantity, points and status move
    only through the services above), by an account with a clerk grant for the entry's unit: changing
    an entry is entering work, whoever holds ``is_staff`` (members.scope). Audited; the account becomes
    the entry's last changer, who may not review it. Refused for an entry of a signed-off month, which
    changes only after the audited reopen."""
    if not WorkEntry.objects.editable_by(actor).filter(pk=entry_id).exists():
        raise PermissionDenied(_("只有负责该单位的录入员可以修改录入说明。"))
    entry = _lock_entry_and_months(WorkEntry.objects.editable_by(actor), entry_id)  # refuses a signed-off month
    note = (note or "").strip()
    if note == entry.note:
        return entry
    now = timezone.now()
    entry.note, entry.note_params, entry.updated_at, entry.changed_by = note, None, now, actor
    entry.save(update_fields=["note", "note_params", "changed_by", "updated_at"])
    why = StoredText(gettext_noop("后台修改：说明"))  # stored in Chinese, read in the reader's language
    EntryEvent.objects.create(entry=entry, action=EntryAction.EDITED, actor=actor, at=now, from_status=entry.status,
                              to_status=entry.status, reason=why.written(), params=why.as_json())
    return entry


def _first_entry(entry: WorkEntry) -> WorkEntry:
    """The regular entry a chain of adjustments starts from (``entry`` itself when it is one)."""
    while entry.adjusts_id is not None:
        entry = WorkEntry.objects.only("id", "quantity", "adjusts_id", "rule_id", "work_date").get(pk=entry.adjusts_id)
    return entry


def _corrected_range(entry: WorkEntry) -> tuple[WorkEntry, Decimal, Decimal]:
    """The day's work an entry counts with every correction made to it: its first entry (the regular one
    the chain of adjustments starts from, returned) plus the adjustments of that entry and of those
    adjustments, as the least and the most it may come to: a pending correction may yet be rejected, so
    it counts towards the most when it adds work and towards the least when it takes work away. Chains
    are short (a correction of a correction is rare): a query per level."""
    entry = _first_entry(entry)
    least = most = entry.quantity
    level = [entry.pk]
    while level:
        rows = list(WorkEntry.objects.filter(adjusts_id__in=level).exclude(status=EntryStatus.REJECTED)
                    .values_list("id", "quantity", "status"))
        for _pk, quantity, status in rows:
            if status in (EntryStatus.APPROVED, EntryStatus.LOCKED):
                least, most = least + quantity, most + quantity
            elif quantity < 0:
                least += quantity
            else:
                most += quantity
        level = [pk for pk, _q, _s in rows]
    return entry, least, most


@transaction.atomic
def entry_adjust(*, actor, entry_id: int, quantity_delta, reason: str, source: str = EntrySource.FORM) -> WorkEntry:
    """A correction to an approved or locked entry: a new entry (kind adjustment) dated today, for the
    same worker and rule, that adds ``quantity_delta`` (negative to take work away), reviewed like
    any other. The locked original is never touched."""
    reason = stripped(reason)
    if not reason:
        raise EntryRejected([RowError(1, "note", _("调整必须填写原因。"), "reason_required")])
    original = WorkEntry.objects.editable_by(actor).filter(pk=entry_id).select_related("competition").first()
    if original is None:
        raise WorkEntry.DoesNotExist
    if original.status == EntryStatus.REJECTED and original.month_is_locked:
        # Neither edited (its month is locked) nor adjusted (it counts nothing to correct): say so, rather
        # than send the clerk back to an edit that is refused.
        raise EntryRejected([RowError(1, "entry", _(
            "该录入已退回，所在月份已签发锁定，不能修改或调整；如需补录，请联系工会干部解锁该月。"), "month_locked")])
    if original.status not in (EntryStatus.APPROVED, EntryStatus.LOCKED):
        raise EntryRejected([RowError(1, "entry", _("待审核或已退回的录入请直接修改，无需调整。"), "use_edit")])
    today = local_today()
    # Stored in the portal's language, read in the reader's (WorkEntry.note_text): the day as it always read
    # here (2026-11-05), in either language; the reason as typed.
    note = StoredText(gettext_noop("调整 %(day)s：%(reason)s"), {"day": original.work_date.isoformat(),
                                                                 "reason": reason})
    row = EntryInput(worker_id=original.worker_id, rule_id=original.rule_id, work_date=today,
                     quantity=quantity_delta, note=note.written())
    result = EntryChecker(actor=actor, competition=original.competition, kind=EntryKind.ADJUSTMENT,
                          correcting=original).check([row])
    if result.errors:
        raise EntryRejected(result.errors)
    delta = result.ok[0].quantity
    if delta == 0:
        raise EntryRejected([RowError(1, "quantity", _("调整量不能为 0。"), "adjustment_zero")])
    # A correction is of the first entry's day: the day's work with it stays between none (a typo of -99999
    # for -99 must not give a worker negative work) and the metric's daily cap in force that day. Two
    # corrections of the same day at once would each pass that check on the other's absence: the first
    # entry's row is locked first, so they are checked one after the other (a review of it waits too). In
    # the house's lock order (reviews.workflow): the month the correction lands in, then the entry row.
    _hold_open_periods({(original.competition_id, original.business_system_id, month_of(today))})
    first = _first_entry(original)
    list(WorkEntry.objects.select_for_update(no_key=True).filter(pk=first.pk, work_date=first.work_date)
         .values_list("pk", flat=True))
    first, least, most = _corrected_range(first)
    unit = original.rule.unit_of_measure
    if delta < 0 and least + delta < 0:
        raise EntryRejected([RowError(1, "quantity", _(
            "调整后工作量不能为负数：该录入及其调整合计 %(left)s，最多核减这么多。") % {
            "left": format_quantity(least, unit, with_unit=True)}, "adjustment_below_zero")])
    if delta > 0:
        version = RuleVersion.objects.filter(rule_id=first.rule_id).in_force_on(first.work_date).first()
        if version is not None and version.daily_cap is not None and most + delta > version.daily_cap:
            raise EntryRejected([RowError(1, "quantity", _(
                "调整后 %(day)s 的工作量超过该指标每日上限 %(cap)s（该录入及其调整合计 %(now)s）。") % {
                "day": first.work_date, "cap": format_quantity(version.daily_cap, unit, with_unit=True),
                "now": format_quantity(most, unit, with_unit=True)}, "quantity_over_cap")])
    now = timezone.now()
    adjustment = _new_entry(result.ok[0], competition=original.competition, actor=actor, source=source,
                            kind=EntryKind.ADJUSTMENT, adjusts=original, now=now)
    if adjustment.note == note.written():  # the checker keeps the first 200 characters of a longer one
        adjustment.note_params = note.as_json()
    return _write_created([adjustment], actor=actor, now=now)[0]


# -- rescoring ---------------------------------------------------------------------------------

# An entry's new points, set-based: ``quantity × rate`` (rate = points per unit × the rule's direction)
# rounded to 0.001 half to even, as RuleVersion.points_for rounds (PostgreSQL's round() goes half away
# from zero, so a tie is taken to the even neighbour by hand). The product is exact: numeric keeps all
# of quantity's 3 and the rate's 4 decimals.
_RESCORED_POINTS = sql.SQL("""CASE
    WHEN abs(e.quantity * {rate} * 1000 - trunc(e.quantity * {rate} * 1000)) = 0.5
     AND mod(trunc(e.quantity * {rate} * 1000), 2) = 0
    THEN trunc(e.quantity * {rate} * 1000) / 1000
    ELSE round(e.quantity * {rate}, 3) END""")


def entries_rescore(*, actor, version, reason: StoredText) -> int:
    """Reprices the entries ``version`` (a RuleVersion) covers at its points per unit, in one UPDATE whose
    RETURNING writes a RESCORED audit fact per changed entry (same statement: ``reason`` worded in the
    portal's language, its id and facts as the fact's params), and returns how many
    changed. The entries' log trigger logs each difference for the standings (a general UPDATE, not a
    status move), so the next incremental run includes it. The caller holds the transaction and has made
    sure no entry it covers is in a signed-off month (competitions.services.rule_version_add)."""
    start, until = version.covered_span()
    points = _RESCORED_POINTS.format(rate=sql.Placeholder("rate"))
    statement = sql.SQL("""
        WITH changed AS (
            UPDATE {entries} e SET points = {points}, updated_at = %(now)s
             WHERE e.rule_id = %(rule)s AND e.work_date >= %(start)s AND e.work_date < %(until)s
               AND e.points <> {points}
            RETURNING e.id, e.status, e.quantity)
        INSERT INTO {events} (entry_id, action, actor_id, at, from_status, to_status, old_quantity, new_quantity,
                              reason, params)
        SELECT id, %(action)s, %(actor)s, %(now)s, status, status, quantity, quantity, %(reason)s,
               %(params)s::jsonb FROM changed
    """).format(entries=sql.Identifier(WorkEntry._meta.db_table), events=sql.Identifier(EntryEvent._meta.db_table),
                points=points)
    params = {"rate": version.points_per_unit * version.rule.direction, "now": timezone.now(), "rule": version.rule_id,
              "start": start, "until": until, "action": EntryAction.RESCORED.value,
              "actor": getattr(actor, "pk", None), "reason": reason.written()[:200],
              "params": json.dumps(reason.as_json(), ensure_ascii=False)}
    with connection.cursor() as cursor:
        cursor.execute(statement.as_string(connection.connection), params)
        return cursor.rowcount


# -- disputes ----------------------------------------------------------------------------------

@transaction.atomic
def dispute_open(*, actor, work_date, comment: str, entry_id: int | None = None) -> Dispute:
    """A worker questions one of their entries, or a day with no entry. It reaches their unit's clerk."""
    scope = scope_of(actor)
    if not scope.is_worker:
        raise PermissionDenied(_("只有职工本人可以提出申诉。"))
    comment = stripped(comment)
    if not comment:
        raise EntryRejected([RowError(1, "note", _("请填写申诉内容。"), "comment_required")])
    worker = Worker.objects.get(pk=scope.worker_id)
    entry = None
    if entry_id is not None:
        entry = WorkEntry.objects.filter(pk=entry_id, worker=worker).first()
        if entry is None:
            raise WorkEntry.DoesNotExist
        if work_date is not None and work_date != entry.work_date:  # a dispute of the entry is of its day
            raise EntryRejected([RowError(1, "work_date", _("工作日期与所申诉的录入不一致（该录入是 %(day)s 的）。") % {
                "day": entry.work_date}, "date_mismatch")])
        work_date = entry.work_date
    if work_date is None or work_date > local_today():
        raise EntryRejected([RowError(1, "work_date", _("请选择有效的工作日期。"), "date_invalid")])
    # A day no competition covers had no work to count: nothing a clerk could correct. Nor had a day of a
    # competition that scores nothing of the worker's job type that day: no clerk can enter work for them
    # there (the entry checker takes only a rule in use, is_active, with a version in force on the day).
    if entry is None:
        in_force = RuleVersion.objects.in_force_on(work_date).filter(rule=OuterRef("pk"))
        scoring = ScoringRule.objects.filter(competition=OuterRef("pk"), job_type_id=worker.job_type_id,
                                             is_active=True).filter(Exists(in_force))
        scores_the_job = list(Competition.objects.filter(start_date__lte=work_date, end_date__gte=work_date).annotate(
            scores=Exists(scoring)).values_list("scores", flat=True))
        if not scores_the_job:
            raise EntryRejected([RowError(1, "work_date", _("该日期不在劳动竞赛期间内。"), "date_outside_competition")])
        if not any(scores_the_job):
            raise EntryRejected([RowError(1, "work_date", _("该日期的劳动竞赛没有您所在工种的计分指标，无需申诉。"),
                                          "no_rules_for_job_type")])
    already_open = EntryRejected([RowError(1, "entry", _("该申诉已提交，正在处理中。"), "dispute_open")])
    if Dispute.objects.filter(worker=worker, entry=entry, work_date=work_date, status=DisputeStatus.OPEN).exists():
        raise already_open
    try:
        with transaction.atomic():  # the same dispute sent twice at once: the second meets dispute_one_open
            return Dispute.objects.create(worker=worker, entry=entry, work_date=work_date,
                                          unit_id=entry.unit_id if entry else worker.unit_id, comment=comment[:500])
    except IntegrityError:
        raise already_open from None


@transaction.atomic
def dispute_answer(*, actor, dispute_id: int, response: str, corrected: bool) -> Dispute:
    """The clerk answers: ``corrected`` when they changed the entry (or added the missing day)."""
    dispute = Dispute.objects.visible_to(actor).select_for_update().filter(pk=dispute_id).first()
    scope = scope_of(actor)
    if dispute is None or not (scope.is_staff or scope.is_clerk) or dispute.worker_id == scope.worker_id:
        raise Dispute.DoesNotExist
    if dispute.status != DisputeStatus.OPEN:
        raise EntryRejected([RowError(1, "entry", _("该申诉已处理。"), "dispute_closed")])
    response = stripped(response)
    if not response:
        raise EntryRejected([RowError(1, "note", _("请填写处理意见。"), "response_required")])
    dispute.status = DisputeStatus.CORRECTED if corrected else DisputeStatus.ANSWERED
    dispute.response = response[:500]
    dispute.responded_by = actor
    dispute.responded_at = timezone.now()
    dispute.save(update_fields=["status", "response", "responded_by", "responded_at"])
    from members.notifications import dispute_answered

    dispute_answered(dispute=dispute)
    return dispute

