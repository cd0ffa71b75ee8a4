"""An entry's history: its own audit facts and the sign-offs and reopenings of its month (reviews.history).

A month's sign-off and reopening are recorded once, as the month's PeriodEvent, not as a fact per entry;
every page that shows an entry's history shows them from there. A month's approval job stores its facts in
batches (EntryBatchEvent): each entry's history shows its own line from there."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from reviews.history import entry_histories, entry_history
from reviews.models import (
    EntryAction,
    EntryBatchEvent,
    EntryEvent,
    EntryStatus,
    PeriodAction,
    PeriodEvent,
    WorkEntry,
)
from reviews.services import entries_create
from reviews.validation import EntryInput
from reviews.workflow import entries_transition, entry_transition, period_reopen, period_sign_off

S = EntryStatus


@pytest.fixture
def month(today):
    return (today.replace(day=1) - timedelta(days=1)).replace(day=1)


def enter(w, month, workers, day=0):
    rows = [EntryInput(x.pk, w.km.pk, month + timedelta(days=day), "100", row=i) for i, x in enumerate(workers, 1)]
    return entries_create(actor=w.clerk, competition=w.comp, rows=rows).created


def approve_all(w):
    entries_transition(actor=w.reviewer, entries=WorkEntry.objects.filter(status=S.PENDING), to_status=S.APPROVED)


def sign_off(w, month):
    return period_sign_off(actor=w.reviewer, competition=w.comp, business_system=w.system, month=month)


def read_as_clerk_and_worker(client, w, entry):
    """The entry's page as its clerk reads it, and its history as its worker reads it in the API."""
    client.force_login(w.clerk)
    page = client.get(reverse("entries:detail", args=[entry.pk])).content.decode()
    client.force_login(w.alice_user)
    return page, client.get(f"/api/v1/entries/{entry.pk}/").json()["events"]


def lines(entry):
    entry = WorkEntry.objects.get(pk=entry.pk)  # as the pages read it, with its status now
    return [(e.action, e.actor.username if e.actor else None, e.reason) for e in entry_history(entry)]


@pytest.mark.django_db
def test_a_sign_off_writes_one_month_event_and_each_locked_entry_shows_it(w, month):
    alice, bob = enter(w, month, [w.alice, w.bob])
    entry_transition(actor=w.reviewer, entry=bob, to_status=S.REJECTED, reason="重复")
    approve_all(w)
    facts_before = EntryEvent.objects.count()
    sign_off(w, month)

    assert EntryEvent.objects.count() == facts_before  # no fact per entry
    event = PeriodEvent.objects.get(action=PeriodAction.SIGNED_OFF)
    assert event.entries == 1
    assert lines(alice) == [("created", "clerk", ""), ("approved", "reviewer", ""), ("locked", "reviewer", "")]
    locked = entry_history(WorkEntry.objects.get(pk=alice.pk))[-1]
    assert (locked.pk, locked.at, locked.from_status, locked.to_status) == (None, event.at, S.APPROVED, S.LOCKED)
    # The rejected entry stayed rejected: the sign-off did not move it.
    assert lines(bob) == [("created", "clerk", ""), ("rejected", "reviewer", "重复")]


@pytest.mark.django_db
def test_reopen_and_a_second_sign_off_move_only_the_entries_they_moved(w, month):
    (alice,) = enter(w, month, [w.alice])
    approve_all(w)
    period = sign_off(w, month)
    period_reopen(actor=w.staff, period=period, reason="台账补录")
    assert not EntryEvent.objects.filter(action__in=[EntryAction.LOCKED, EntryAction.REOPENED]).exists()
    (late,) = enter(w, month, [w.bob], day=1)  # entered while the month is open again
    approve_all(w)
    sign_off(w, month)

    assert lines(alice) == [("created", "clerk", ""), ("approved", "reviewer", ""), ("locked", "reviewer", ""),
                            ("reopened", "staff", "台账补录"), ("locked", "reviewer", "")]
    # Made after the first sign-off and the reopening: only the second sign-off moved it.
    assert lines(late) == [("created", "clerk", ""), ("approved", "reviewer", ""), ("locked", "reviewer", "")]
    assert WorkEntry.objects.in_shown_status([S.LOCKED]).count() == 2


@pytest.mark.django_db
def test_a_lock_fact_stored_per_entry_by_an_earlier_version_is_shown_once(w, month):
    (alice,) = enter(w, month, [w.alice])
    approve_all(w)
    # As sign-offs used to record it: a fact per entry, written just before the month's event.
    EntryEvent.objects.create(entry=alice, action=EntryAction.LOCKED, actor=w.reviewer, at=timezone.now(),
                              from_status=S.APPROVED, to_status=S.LOCKED)
    sign_off(w, month)
    assert [action for action, _, _ in lines(alice)] == ["created", "approved", "locked"]
    assert entry_history(WorkEntry.objects.get(pk=alice.pk))[-1].pk is not None  # the stored one


@pytest.mark.django_db
def test_an_entry_loaded_without_facts_shows_its_months_sign_off(w, month):
    (alice,) = enter(w, month, [w.alice])
    approve_all(w)
    sign_off(w, month)
    EntryEvent.objects.filter(entry=alice).delete()  # as the demo loads its signed-off months
    assert lines(alice) == [("locked", "reviewer", "")]


@pytest.mark.django_db
def test_histories_of_many_entries_take_three_queries(w, month, today, django_assert_num_queries):
    enter(w, month, [w.alice, w.bob])
    enter(w, today.replace(day=1), [w.alice, w.bob])  # this month, open
    approve_all(w)
    sign_off(w, month)
    entries = list(WorkEntry.objects.order_by("work_date", "id"))
    # the entries' own facts, the batches that hold them, the months' events
    with django_assert_num_queries(3):
        histories = entry_histories(entries)
    assert [[e.action for e in histories[x.pk]][-1] for x in entries] == ["locked", "locked", "approved", "approved"]


@pytest.mark.django_db
def test_the_entry_pages_show_the_lock_from_the_month_event(w, month, client, f):
    (alice,) = enter(w, month, [w.alice])
    approve_all(w)
    sign_off(w, month)
    event = PeriodEvent.objects.get()

    page, events = read_as_clerk_and_worker(client, w, alice)
    assert "锁定" in page and "已锁定" in page
    last = events[-1]
    assert (last["id"], last["action"], last["action_label"], last["from_status"], last["to_status"]) == (
        None, "locked", "锁定", "approved", "locked")
    assert last["at"] == timezone.localtime(event.at).isoformat()

    admin = f.staff_user(username="root", is_superuser=True)
    client.force_login(admin)
    page = client.get(reverse("admin:reviews_workentry_change", args=[alice.pk])).content.decode()
    assert "批量审核、签发与解锁" in page and "锁定 · reviewer" in page


def test_the_nominee_trace_shows_the_entrys_own_review_when_no_fact_of_it_is_stored():
    from competitions.honours.trace import TracedEntry

    now = timezone.now()
    month_line = EntryEvent(action=EntryAction.LOCKED, at=now)  # from the month's sign-off: no id
    assert TracedEntry(WorkEntry(reviewed_at=now), None, [month_line]).review_unrecorded
    assert not TracedEntry(WorkEntry(reviewed_at=now), None, [EntryEvent(pk=7, at=now), month_line]).review_unrecorded
    assert not TracedEntry(WorkEntry(reviewed_at=None), None, [month_line]).review_unrecorded
    # an approval stored in a batch (a month's approval job) is a stored fact of the entry, though it has no id
    batched = EntryEvent(action=EntryAction.APPROVED, at=now)
    batched.batch_event = EntryBatchEvent(pk=3)
    assert not TracedEntry(WorkEntry(reviewed_at=now), None, [batched, month_line]).review_unrecorded


# -- a month's approval job: its facts in batches ------------------------------------------------------------


def approve_month_in_steps(w, month):
    """As the queue's 全部通过 job approves the month: in steps driven by the queue table."""
    from reviews import jobs
    from reviews.queue import queue_selection

    entries, _status = queue_selection(user=w.reviewer, competition=w.comp, system=w.system, month=month, filters={})
    return jobs.entries_approve_in_steps(actor=w.reviewer, entries=entries, system=w.system,
                                         progress=lambda done, total: None, queue=(w.comp.pk, month))


@pytest.mark.django_db
def test_a_months_approval_job_stores_its_facts_in_batches_and_each_entry_shows_its_own(
        w, f, month, monkeypatch, django_assert_num_queries):
    # given: six entries of the month, one of them changed by the reviewer (their own work: never approved by them)
    from reviews import jobs, workflow
    from reviews.services import entry_update

    monkeypatch.setattr(workflow, "BATCH_EVENT_SIZE", 2)
    monkeypatch.setattr(jobs, "APPROVE_CHUNKS", 2)
    entries = enter(w, month, [w.alice, w.bob, *(f.worker(w.depot, w.driver) for _ in range(4))])
    own = entries[2]
    w.reviewer.clerk_units.add(w.depot)  # a reviewer who also enters work for the depot
    w.reviewer._portal_scope = None
    entry_update(actor=w.reviewer, entry_id=own.pk, quantity="101")
    w.reviewer._portal_scope = None

    # when: the month is approved as its job does, and one approved entry is then rejected on its own
    result = approve_month_in_steps(w, month)
    moved = sorted(e.pk for e in entries if e.pk != own.pk)
    entry_transition(actor=w.reviewer, entry=WorkEntry.objects.get(pk=moved[0]), to_status=S.REJECTED, reason="重复")

    # then: no fact per approved entry; batch rows of at most two ids each, in id order, holding exactly the
    # moved entries, by the reviewer
    assert (result.moved, result.skipped_own) == (5, 1)
    assert not EntryEvent.objects.filter(action=EntryAction.APPROVED).exists()
    batches = list(EntryBatchEvent.objects.order_by("first_entry_id"))
    assert all(1 <= len(b.entry_ids) <= 2 and b.entry_ids == sorted(b.entry_ids) and b.entries == len(b.entry_ids)
               and (b.first_entry_id, b.last_entry_id) == (b.entry_ids[0], b.entry_ids[-1]) for b in batches)
    assert sorted(i for b in batches for i in b.entry_ids) == moved
    # each step (its own time) cut its ids in order into full batches and one last of the rest
    for at in {b.at for b in batches}:
        step = [b for b in batches if b.at == at]
        assert [b.entries for b in step[:-1]] == [2] * (len(step) - 1) and step[-1].entries in (1, 2)
        assert all(a.last_entry_id < b.first_entry_id for a, b in zip(step, step[1:]))
    assert {(b.action, b.actor_id, b.from_status, b.to_status, b.business_system_id, b.month) for b in batches} == {
        (EntryAction.APPROVED, w.reviewer.pk, S.PENDING, S.APPROVED, w.system.pk, month)}
    # each moved entry's history shows its approval, stored, at the batch's time, in order with its own rows
    for pk in moved[1:]:
        assert lines(WorkEntry(pk=pk)) == [("created", "clerk", ""), ("approved", "reviewer", "")]
    assert lines(WorkEntry(pk=moved[0])) == [("created", "clerk", ""), ("approved", "reviewer", ""),
                                               ("rejected", "reviewer", "重复")]
    approved = entry_history(WorkEntry.objects.get(pk=moved[1]))[-1]
    assert approved.pk is None and approved.stored and approved.at == approved.batch_event.at
    # the reviewer's own entry is inside a batch's range but not in it: no approval in its history
    assert lines(own) == [("created", "clerk", ""), ("edited", "reviewer", "")]
    # and the month's sign-off (once another reviewer approved the reviewer's own entry) still locks the
    # approved ones; the histories of all six: three queries
    entry_transition(actor=w.other_reviewer, entry=WorkEntry.objects.get(pk=own.pk), to_status=S.APPROVED)
    sign_off(w, month)
    everything = list(WorkEntry.objects.order_by("id"))
    with django_assert_num_queries(3):
        histories = entry_histories(everything)
    assert {pk: [e.action for e in histories[pk]] for pk in moved[1:]} == {
        pk: ["created", "approved", "locked"] for pk in moved[1:]}


@pytest.mark.django_db
def test_a_full_batchs_ids_are_stored_out_of_line_uncompressed_and_read_back_whole(w, month):
    # A thousand ids (8 kB) go to the TOAST table as they are: compressing them (pglz) took about 45 ms of each of
    # a month's approval steps (migration reviews 0016).
    from django.db import connection

    from reviews.workflow import BATCH_EVENT_SIZE

    ids = list(range(10_000_000, 10_000_000 + BATCH_EVENT_SIZE * 3, 3))
    batch = EntryBatchEvent.objects.create(
        action=EntryAction.APPROVED, actor=w.reviewer, at=timezone.now(), from_status=S.PENDING,
        to_status=S.APPROVED, business_system=w.system, month=month, first_entry_id=ids[0], last_entry_id=ids[-1],
        entries=len(ids), entry_ids=ids)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_column_compression(entry_ids), pg_column_size(entry_ids) FROM"
                       " reviews_entrybatchevent WHERE id = %s", [batch.pk])
        compression, size = cursor.fetchone()
    assert compression is None and size >= 8 * BATCH_EVENT_SIZE
    assert EntryBatchEvent.objects.get(pk=batch.pk).entry_ids == ids


@pytest.mark.django_db
def test_the_pages_show_an_approval_stored_in_a_batch(w, f, month, client):
    # given: an entry approved by the month's approval job
    (alice,) = enter(w, month, [w.alice])
    approve_month_in_steps(w, month)
    batch = EntryBatchEvent.objects.get()

    # the clerk's entry page and the worker's API read show the approval, by the reviewer
    page, events = read_as_clerk_and_worker(client, w, alice)
    assert "通过" in page and "reviewer" in page
    assert [(e["id"], e["action"], e["actor"], e["to_status"]) for e in events] == [
        (EntryEvent.objects.get(entry=alice).pk, "created", "clerk", "pending"), (None, "approved", "reviewer",
                                                                                   "approved")]
    # the staff's admin: the entry shows it among the lines not stored as its own rows, and the batch is
    # found by the entry's number, and by no number it does not hold
    client.force_login(f.staff_user(username="root", is_superuser=True))
    page = client.get(reverse("admin:reviews_workentry_change", args=[alice.pk])).content.decode()
    assert "批量审核、签发与解锁" in page and "通过 · reviewer" in page
    listing = reverse("admin:reviews_entrybatchevent_changelist")
    found = client.get(listing, {"q": str(alice.pk)})
    assert found.status_code == 200 and list(found.context["cl"].result_list) == [batch]
    for other in (str(alice.pk + 1), "abc", "9" * 40, "-1"):
        response = client.get(listing, {"q": other})
        assert response.status_code == 200 and not list(response.context["cl"].result_list)
    assert client.get(reverse("admin:reviews_entrybatchevent_change", args=[batch.pk])).status_code == 200
    # the per-entry audit list says where the jobs' approvals are
    assert "记在“批量审核记录”中" in client.get(reverse("admin:reviews_entryevent_changelist")).content.decode()
