"""The approval queue's table (PendingEntry), kept by triggers, and the schema that keeps reviews cheap.

Approving a month at seed scale relies on two things the database must keep true: the queue table
holds exactly the pending entries whatever path wrote them, and no index on the entries table
contains a column that a review changes (so approving and locking are HOT updates).
"""

import random
from datetime import timedelta

import pytest
from django.db import connection

from reviews.flags import entries_flag
from reviews.models import EntryStatus, PendingEntry, WorkEntry
from reviews.services import entries_create, entry_update
from reviews.validation import EntryInput
from reviews.workflow import entries_transition, entry_transition, period_reopen, period_sign_off

S = EntryStatus


@pytest.fixture
def month(today):
    return (today.replace(day=1) - timedelta(days=1)).replace(day=1)


def enter(w, month, days):
    rows = [EntryInput(x.pk, w.km.pk, month + timedelta(days=d), str(100 + d), row=i)
            for i, (x, d) in enumerate(((x, d) for x in (w.alice, w.bob) for d in range(days)), 1)]
    return entries_create(actor=w.clerk, competition=w.comp, rows=rows).created


def assert_queue_matches_entries():
    expected = {
        (e.pk, e.competition_id, e.business_system_id, e.work_date.replace(day=1), e.work_date, e.flags)
        for e in WorkEntry.objects.filter(status=S.PENDING)
    }
    actual = set(PendingEntry.objects.values_list("entry_id", "competition_id", "business_system_id", "month",
                                                  "work_date", "flags"))
    assert actual == expected


@pytest.mark.django_db
def test_every_write_path_keeps_the_queue_table_exact(w, month):
    entries = enter(w, month, days=10)
    assert PendingEntry.objects.count() == 20
    assert_queue_matches_entries()

    rng = random.Random(7)
    for _ in range(40):
        entry = WorkEntry.objects.get(pk=rng.choice(entries).pk)
        move = rng.choice(["approve", "reject", "edit", "flag"])
        if move == "approve" and entry.status == S.PENDING:
            entry_transition(actor=w.reviewer, entry=entry, to_status=S.APPROVED)
        elif move == "reject" and entry.status in (S.PENDING, S.APPROVED):
            entry_transition(actor=w.reviewer, entry=entry, to_status=S.REJECTED, reason="请核对")
        elif move == "edit" and entry.status in (S.PENDING, S.REJECTED):
            # An edit may move the day; a rejected entry goes back to the queue.
            entry_update(actor=w.clerk, entry_id=entry.pk, quantity=str(rng.randint(1, 300)))
        elif move == "flag":
            WorkEntry.objects.filter(pk=entry.pk).update(flags=rng.choice([0, 1, 3]))
        assert_queue_matches_entries()

    # Bulk, set-based moves and raw SQL behave the same way.
    entries_transition(actor=w.reviewer, entries=WorkEntry.objects.all(), to_status=S.APPROVED)
    assert PendingEntry.objects.count() == 0
    with connection.cursor() as cursor:
        cursor.execute("UPDATE reviews_workentry SET status = 'pending', reviewed_by_id = NULL")
    assert_queue_matches_entries()
    assert PendingEntry.objects.count() == 20
    WorkEntry.objects.filter(pk=entries[0].pk).delete()
    assert_queue_matches_entries()


@pytest.mark.django_db
def test_the_flag_task_reorders_the_queue(w, month):
    enter(w, month, days=10)
    WorkEntry.objects.filter(worker=w.alice, work_date=month + timedelta(days=9)).update(quantity=5000)
    assert entries_flag(competition_id=w.comp.pk, business_system_id=w.system.pk, month=month) >= 1
    assert_queue_matches_entries()
    first = PendingEntry.objects.filter(business_system_id=w.system.pk, month=month) \
        .order_by("-flags", "work_date", "entry_id").first()
    assert first.flags and first.work_date == month + timedelta(days=9)


@pytest.mark.django_db
def test_sign_off_counts_pending_through_the_queue_table(w, month):
    from reviews.workflow import TransitionRefused

    entries = enter(w, month, days=3)
    entries_transition(actor=w.reviewer, entries=WorkEntry.objects.exclude(pk=entries[0].pk), to_status=S.APPROVED)
    with pytest.raises(TransitionRefused) as refused:
        period_sign_off(actor=w.reviewer, competition=w.comp, business_system=w.system, month=month)
    assert refused.value.code == "pending_left" and "1" in refused.value.message
    entry_transition(actor=w.reviewer, entry=entries[0], to_status=S.APPROVED)
    period = period_sign_off(actor=w.reviewer, competition=w.comp, business_system=w.system, month=month)
    assert {e.shown_status for e in WorkEntry.objects.with_month_lock()} == {S.LOCKED}
    period_reopen(actor=w.staff, period=period, reason="更正")
    assert PendingEntry.objects.count() == 0  # reopened entries are approved, not pending


def _indexed_columns(table):
    """Every column any index of ``table`` uses, in its key, its INCLUDE list or its predicate."""
    with connection.cursor() as cursor:
        cursor.execute("""
            SELECT DISTINCT a.attname
              FROM pg_index i
              JOIN pg_attribute a ON a.attrelid = i.indrelid
             WHERE i.indrelid = %s::regclass AND a.attnum > 0
               AND (a.attnum = ANY(i.indkey)
                    OR pg_get_expr(i.indpred, i.indrelid) ~ ('\\m' || a.attname || '\\M')
                    OR pg_get_expr(i.indexprs, i.indrelid) ~ ('\\m' || a.attname || '\\M'))
        """, [table])
        return {row[0] for row in cursor.fetchall()}


@pytest.mark.django_db
def test_no_index_on_entries_contains_a_column_a_review_changes():
    changed_by_reviews = {"status", "reviewed_by_id", "reviewed_at", "updated_at", "reject_reason", "flags"}
    assert not _indexed_columns("reviews_workentry") & changed_by_reviews
    # The table is partitioned by month: every partition, where the rows are, keeps the room for HOT updates.
    with connection.cursor() as cursor:
        cursor.execute("""SELECT c.reloptions FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
                          WHERE i.inhparent = 'reviews_workentry'::regclass""")
        options = [row[0] for row in cursor.fetchall()]
    assert options and all("fillfactor=50" in (o or []) for o in options)


@pytest.mark.django_db
def test_approving_and_locking_a_month_are_hot_updates(w, month):
    enter(w, month, days=20)

    def updates_of_entries():
        with connection.cursor() as cursor:
            # Counted per partition (the month's), where the rows are.
            cursor.execute("SELECT sum(n_tup_upd), sum(n_tup_hot_upd) FROM pg_stat_xact_user_tables s "
                           "JOIN pg_inherits i ON i.inhrelid = s.relid "
                           "WHERE i.inhparent = 'reviews_workentry'::regclass")
            return cursor.fetchone()

    before = updates_of_entries()
    entries_transition(actor=w.reviewer, entries=WorkEntry.objects.all(), to_status=S.APPROVED)
    updated, hot = (a - b for a, b in zip(updates_of_entries(), before, strict=True))
    # Without the free space or with status in an index, none would be; a row or two may not fit
    # on a page filled to the brim by rows of varying width.
    assert updated == 40 and hot >= 36


@pytest.mark.django_db
def test_approval_logs_one_standings_change_per_entry_and_sign_off_none(w, month):
    from competitions.models import StandingDelta

    entries = enter(w, month, days=5)
    before = StandingDelta.objects.count()
    entries_transition(actor=w.reviewer, entries=WorkEntry.objects.all(), to_status=S.APPROVED)
    assert StandingDelta.objects.count() - before == len(entries)
    logged = StandingDelta.objects.order_by("-id")[: len(entries)]
    assert {d.approved_points for d in logged} == {e.points for e in entries}
    assert all(d.quantity == 0 and d.points == 0 and d.entries == 0 for d in logged)

    before = StandingDelta.objects.count()
    period_sign_off(actor=w.reviewer, competition=w.comp, business_system=w.system, month=month)
    assert StandingDelta.objects.count() == before  # approved -> locked counts the same


@pytest.mark.django_db
def test_an_edit_that_moves_the_day_moves_the_standings_change(w, month):
    from competitions.models import StandingDelta

    entry = enter(w, month, days=1)[0]
    before = StandingDelta.objects.count()
    entry_update(actor=w.clerk, entry_id=entry.pk, work_date=month + timedelta(days=3), quantity="50")
    logged = list(StandingDelta.objects.order_by("id")[before:].values_list("work_date", "quantity", "entries"))
    assert sorted(logged) == sorted([(month, -entry.quantity, -1), (month + timedelta(days=3), 50, 1)])
