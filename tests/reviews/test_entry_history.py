"""An entry's history: its own audit facts and the sign-offs and reopenings of its month (reviews.history).

A month's sign-off and reopening are recorded once, as the month's PeriodEvent, not as a fact per entry;
every page that shows an entry's history shows them from there."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from reviews.history import entry_histories, entry_history
from reviews.models import EntryAction, EntryEvent, EntryStatus, PeriodAction, PeriodEvent, WorkEntry
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
def test_histories_of_many_entries_take_two_queries(w, month, today, django_assert_num_queries):
    enter(w, month, [w.alice, w.bob])
    enter(w, today.replace(day=1), [w.alice, w.bob])  # this month, open
    approve_all(w)
    sign_off(w, month)
    entries = list(WorkEntry.objects.order_by("work_date", "id"))
    with django_assert_num_queries(2):
        histories = entry_histories(entries)
    assert [[e.action for e in histories[x.pk]][-1] for x in entries] == ["locked", "locked", "approved", "approved"]


@pytest.mark.django_db
def test_the_entry_pages_show_the_lock_from_the_month_event(w, month, client, f):
    (alice,) = enter(w, month, [w.alice])
    approve_all(w)
    sign_off(w, month)
    event = PeriodEvent.objects.get()

    client.force_login(w.clerk)
    page = client.get(reverse("entries:detail", args=[alice.pk])).content.decode()
    assert "锁定" in page and "已锁定" in page

    client.force_login(w.alice_user)
    body = client.get(f"/api/v1/entries/{alice.pk}/").json()
    last = body["events"][-1]
    assert (last["id"], last["action"], last["action_label"], last["from_status"], last["to_status"]) == (
        None, "locked", "锁定", "approved", "locked")
    assert last["at"] == timezone.localtime(event.at).isoformat()

    admin = f.staff_user(username="root", is_superuser=True)
    client.force_login(admin)
    page = client.get(reverse("admin:reviews_workentry_change", args=[alice.pk])).content.decode()
    assert "签发与解锁" in page and "锁定 · reviewer" in page


def test_the_nominee_trace_shows_the_entrys_own_review_when_no_fact_of_it_is_stored():
    from competitions.honours.trace import TracedEntry

    now = timezone.now()
    month_line = EntryEvent(action=EntryAction.LOCKED, at=now)  # from the month's sign-off: no id
    assert TracedEntry(WorkEntry(reviewed_at=now), None, [month_line]).review_unrecorded
    assert not TracedEntry(WorkEntry(reviewed_at=now), None, [EntryEvent(pk=7, at=now), month_line]).review_unrecorded
    assert not TracedEntry(WorkEntry(reviewed_at=None), None, [month_line]).review_unrecorded
