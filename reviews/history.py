"""An entry's history as a person reads it: its own audit facts and its month's sign-offs and reopenings.

Every change made to one entry is stored as an ``EntryEvent`` of that entry. A month's sign-off and
its reopening lock and unlock every approved entry of the month at once (approved ⇄ locked, the month's
state: WorkEntry.shown_status), and are stored once, as the month's ``PeriodEvent`` (who, when, why, how
many entries): a fact per entry would repeat the same who-and-when 800,000 times. ``entry_histories``
puts the two together: each entry gets a 锁定 (locked) or 解锁 (reopened) line for the sign-offs and
reopenings that moved it, in time order with its own facts.

Which month events moved an entry follows from its status at the time, read from its own facts: a
sign-off locks what is approved then, a reopening unlocks what is locked then. An entry with no status
fact before the month event (data loaded in bulk, such as the demo's) counts as approved then if it
is approved or locked now; a month event from before the entry was made did not move it. Facts stored
per entry by earlier versions (a 锁定 fact per entry) are shown as they are, and the month event they
duplicate is not shown twice: the replay finds the entry already locked.

A month's approval job stores its facts in batches (``EntryBatchEvent``: who, when, and the ids of up to
1,000 entries of one business system's month per row). They are the entry's own facts all the same: read
back here as one unsaved EntryEvent each (with ``batch_event`` set), in time order with the others.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Q
from django.db.models.expressions import RawSQL

from competitions.standings import APPROVED_STATUSES
from config.months import month_of
from reviews.models import EntryBatchEvent, EntryEvent, EntryStatus, PeriodEvent, WorkEntry
from reviews.workflow import MONTH_MOVES, TRANSITIONS


def _month_key(entry: WorkEntry) -> tuple[int, int, object]:
    return entry.competition_id, entry.business_system_id, month_of(entry.work_date)


def _month_events(entries: list[WorkEntry]) -> dict[tuple, list[PeriodEvent]]:
    """The sign-offs and reopenings of the entries' months, per (competition, business system, month),
    in time order: one query."""
    keys = {_month_key(e) for e in entries}
    if not keys:
        return {}
    months = Q()
    for competition_id, system_id, month in keys:
        months |= Q(period__competition_id=competition_id, period__business_system_id=system_id,
                    period__month=month)
    found: dict[tuple, list[PeriodEvent]] = {}
    for event in (PeriodEvent.objects.filter(months).select_related("actor", "period")
                  .order_by("at", "id")):
        period = event.period
        found.setdefault((period.competition_id, period.business_system_id, period.month), []).append(event)
    return found


def _batch_facts(entries: list[WorkEntry]) -> dict[int, list[EntryEvent]]:
    """The entries' facts stored in batches (EntryBatchEvent), per entry id, as unsaved EntryEvent rows in
    time order: one query, an index probe per entry (its business system, month and id range); each row
    found says which of the entries its ids hold, without sending the ids."""
    near = Q()
    for e in entries:
        near |= Q(business_system_id=e.business_system_id, month=month_of(e.work_date), first_entry_id__lte=e.pk,
                  last_entry_id__gte=e.pk)
    # The table name is the model's, the ids are a parameter.
    table = EntryBatchEvent._meta.db_table
    holds = RawSQL(f"ARRAY(SELECT x FROM unnest(%s::bigint[]) AS x WHERE x = ANY({table}.entry_ids))",  # noqa: S611
                   ([e.pk for e in entries],))
    found: dict[int, list[EntryEvent]] = {}
    for batch in (EntryBatchEvent.objects.filter(near).defer("entry_ids").annotate(holds=holds)
                  .select_related("actor").order_by("at", "id")):
        for entry_id in batch.holds:
            fact = EntryEvent(entry_id=entry_id, action=batch.action, actor=batch.actor, at=batch.at,
                              from_status=batch.from_status, to_status=batch.to_status, reason=batch.reason)
            fact.batch_event = batch
            found.setdefault(entry_id, []).append(fact)
    return found


def _merged(entry: WorkEntry, facts: list[EntryEvent], month_events: list[PeriodEvent]) -> list[EntryEvent]:
    """``facts`` (in time order) with a line for each of ``month_events`` that moved ``entry``."""
    if not month_events:
        return facts
    timeline = sorted([(f.at, 0, f) for f in facts] + [(m.at, 1, m) for m in month_events],
                      key=lambda item: (item[0], item[1]))
    status = None  # unknown until a fact of the entry names it
    merged = []
    for _at, _kind, item in timeline:
        if isinstance(item, EntryEvent):
            merged.append(item)
            status = item.to_status or status
            continue
        source, target = MONTH_MOVES[item.action]
        if item.at < entry.created_at:  # a sign-off before the entry was made did not move it
            continue
        # With no fact naming it: approved then if it counts as approved now (approved or locked).
        was = status if status is not None else (
            EntryStatus.APPROVED if entry.status in APPROVED_STATUSES else entry.status)
        if was != source:
            continue
        merged.append(EntryEvent(entry_id=entry.pk, action=TRANSITIONS[(source, target)], actor=item.actor,
                                 at=item.at, from_status=source, to_status=target, reason=item.reason))
        status = target
    return merged


def entry_histories(entries: Iterable[WorkEntry]) -> dict[int, list[EntryEvent]]:
    """Each entry's history, by entry id, in time order: its own audit facts (with their actors) and
    a line for every sign-off and reopening of its month that moved it (unsaved EntryEvent rows, with
    no id). Three queries, whatever the number of entries."""
    entries = list(entries)
    facts: dict[int, list[EntryEvent]] = {e.pk: [] for e in entries}
    if not entries:
        return facts
    for fact in (EntryEvent.objects.filter(entry_id__in=list(facts)).select_related("actor")
                 .order_by("entry_id", "at", "id")):
        facts[fact.entry_id].append(fact)
    for entry_id, batched in _batch_facts(entries).items():
        # In time order with the entry's own rows (sorted is stable: at the same time, the rows first).
        facts[entry_id] = sorted(facts[entry_id] + batched, key=lambda fact: fact.at)
    months = _month_events(entries)
    return {e.pk: _merged(e, facts[e.pk], months.get(_month_key(e), [])) for e in entries}


def entry_history(entry: WorkEntry) -> list[EntryEvent]:
    return entry_histories([entry])[entry.pk]
