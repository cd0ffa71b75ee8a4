"""The month lock: a signed-off month stays exactly as signed.

Every write to an entry holds its months open until it commits (so a sign-off cannot pass it), a month
is signed off only once it has ended and inside the competition, and the admin changes nothing of a
signed-off month."""

from datetime import date, timedelta

import pytest
from django.urls import reverse

from competitions.models import SignedOffTotal
from config.formatting import display_month
from config.months import format_month, month_last_day, next_month, previous_month
from reviews.models import EntryStatus, PendingEntry, PeriodStatus, ReviewPeriod, WorkEntry
from reviews.services import entries_create, entry_note_set, entry_update
from reviews.validation import EntryInput, EntryRejected
from reviews.workflow import (
    TransitionRefused,
    entries_transition,
    entry_transition,
    period_sign_off,
    sign_off_refusal,
)
from tests.concurrency import race

S = EntryStatus


@pytest.fixture
def last_month(today):
    return previous_month(today)


def enter(w, *days):
    """One km entry per (worker, day): alice's and bob's on each day."""
    rows = [EntryInput(x.pk, w.km.pk, day, "100", row=i)
            for i, (x, day) in enumerate(((x, d) for d in days for x in (w.alice, w.bob)), 1)]
    return entries_create(actor=w.clerk, competition=w.comp, rows=rows).created


def enter_one(w, worker, day):
    return entries_create(actor=w.clerk, competition=w.comp, rows=[EntryInput(worker.pk, w.km.pk, day, "100")]).created[0]


def sign_off(w, month, actor=None):
    return period_sign_off(actor=actor or w.reviewer, competition=w.comp, business_system=w.system, month=month)


def pending_in_signed_off_months():
    signed = ReviewPeriod.objects.filter(status=PeriodStatus.SIGNED_OFF)
    return [(p.month, n) for p in signed if (n := PendingEntry.objects.filter(
        competition_id=p.competition_id, business_system_id=p.business_system_id, month=p.month).count())]


# -- 1. every write path holds the months it touches -------------------------------------------------

ROUNDS = 8


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("moves_in", [False, True], ids=["edit-in-month", "edit-moves-into-month"])
def test_a_sign_off_racing_a_clerks_edit_never_leaves_a_pending_entry_in_a_signed_off_month(w, last_month,
                                                                                            moves_in):
    w.comp.start_date = w.comp.start_date.replace(year=w.comp.start_date.year - 2)  # room for every round
    w.comp.save()
    # given: in each round's month, bob's entry approved and alice's rejected (the clerk corrects and
    # resubmits it). With moves_in, alice's rejected entry is in the month before and the edit moves
    # it into the month being signed off.
    month = last_month
    for _round in range(ROUNDS):
        alice_day = previous_month(month) + timedelta(days=27) if moves_in else month + timedelta(days=2)
        alice = enter_one(w, w.alice, alice_day)
        bob = enter_one(w, w.bob, month + timedelta(days=3))
        entry_transition(actor=w.reviewer, entry=bob, to_status=S.APPROVED)
        entry_transition(actor=w.reviewer, entry=alice, to_status=S.REJECTED, reason="公里数与台账不符")
        new_date = month + timedelta(days=5) if moves_in else None

        # when: the edit and the sign-off start together
        edited, signed = race(
            lambda: entry_update(actor=w.clerk, entry_id=alice.pk, quantity="90", work_date=new_date),
            lambda: sign_off(w, month),
        )

        # then: exactly one of them wins, and no signed-off month has a pending entry
        if isinstance(signed, ReviewPeriod):
            assert isinstance(edited, EntryRejected) and edited.first.code == "month_locked", edited
        else:
            assert isinstance(signed, TransitionRefused) and signed.code == "pending_left", signed
            assert isinstance(edited, WorkEntry) and edited.status == S.PENDING, edited
        assert pending_in_signed_off_months() == []
        month = previous_month(previous_month(month))  # the next round in months of its own


@pytest.mark.django_db(transaction=True)
def test_a_sign_off_racing_a_rejection_freezes_the_month_as_it_ends_and_the_locked_entry_stays(w, last_month):
    """A sign-off moves no entry (locked is the month's state), so a reviewer's rejection of an approved entry
    racing it must be ordered by the month: either the rejection lands first and the frozen totals leave the
    entry out, or the sign-off does and the rejection moves nothing (the entry shows as locked)."""
    w.comp.start_date = w.comp.start_date.replace(year=w.comp.start_date.year - 2)  # room for every round
    w.comp.save()
    month, outcomes = last_month, set()
    for _round in range(ROUNDS):
        alice, bob = enter(w, month + timedelta(days=2))
        entries_transition(actor=w.reviewer, entries=WorkEntry.objects.filter(pk__in=[alice.pk, bob.pk]),
                           to_status=S.APPROVED)

        rejected, signed = race(
            lambda: entries_transition(actor=w.reviewer, entries=WorkEntry.objects.filter(pk=alice.pk),
                                       to_status=S.REJECTED, reason="重复录入"),  # noqa: B023 - run at once
            lambda: sign_off(w, month),  # noqa: B023
        )

        assert isinstance(signed, ReviewPeriod), signed
        alice = WorkEntry.objects.with_month_lock().get(pk=alice.pk)
        assert alice.shown_status == (S.REJECTED if rejected.moved else S.LOCKED)
        outcomes.add(rejected.moved)
        frozen = SignedOffTotal.objects.filter(competition_id=w.comp.pk, business_system_id=w.system.pk, month=month)
        counted = WorkEntry.objects.filter(competition=w.comp, business_system=w.system, status=S.APPROVED,
                                           work_date__gte=month, work_date__lt=next_month(month))
        assert sum(frozen.values_list("entries", flat=True)) == counted.count() == (1 if rejected.moved else 2)
        assert signed.events.get().entries == counted.count()
        month = previous_month(previous_month(month))  # the next round in months of its own


@pytest.mark.django_db
def test_an_edit_cannot_move_a_rejected_entry_out_of_a_signed_off_month(w, last_month):
    alice, bob = enter(w, last_month + timedelta(days=1))
    entry_transition(actor=w.reviewer, entry=alice, to_status=S.REJECTED, reason="日期错了")
    entry_transition(actor=w.reviewer, entry=bob, to_status=S.APPROVED)
    sign_off(w, last_month)

    with pytest.raises(EntryRejected) as error:
        entry_update(actor=w.clerk, entry_id=alice.pk, work_date=previous_month(last_month) + timedelta(days=1))

    assert error.value.first.code == "month_locked"
    alice.refresh_from_db()
    assert (alice.status, alice.work_date) == (S.REJECTED, last_month + timedelta(days=1))


@pytest.mark.django_db
def test_an_edit_cannot_move_an_entry_into_a_signed_off_month(w, last_month):
    enter(w, last_month + timedelta(days=1))
    entries_transition(actor=w.reviewer, entries=WorkEntry.objects.all(), to_status=S.APPROVED)
    sign_off(w, last_month)
    alice = enter(w, previous_month(last_month) + timedelta(days=1))[0]

    with pytest.raises(EntryRejected) as error:
        entry_update(actor=w.clerk, entry_id=alice.pk, work_date=last_month + timedelta(days=2))

    assert error.value.first.code == "month_locked"
    assert pending_in_signed_off_months() == []


# -- 2. a month is signed off only once it has ended, inside the competition --------------------------

@pytest.mark.django_db
@pytest.mark.parametrize(("which", "code"), [
    ("1999-01", "month_outside_competition"),
    ("2099-12", "month_outside_competition"),
    ("this month", "month_not_ended"),
    ("next month", "month_not_ended"),
])
def test_a_month_that_has_not_ended_or_is_outside_the_competition_is_not_signed_off(w, today, which, code):
    w.comp.end_date = date(today.year + 2, 12, 31)  # so that next month is inside the competition
    w.comp.save()
    month = {"this month": today.replace(day=1), "next month": next_month(today)}.get(which)
    if month is None:
        month = today.replace(year=int(which[:4]), month=int(which[5:]), day=1)

    with pytest.raises(TransitionRefused) as refused:
        sign_off(w, month)

    assert refused.value.code == code
    assert display_month(month) in refused.value.message  # 2026年12月
    assert not ReviewPeriod.objects.filter(month=month).exists()  # refused before any row is written


@pytest.mark.django_db
def test_the_grace_setting_lets_a_month_be_signed_off_on_its_last_day_and_not_before(w, settings, last_month):
    last_day = month_last_day(last_month)
    settings.SIGN_OFF_GRACE = False
    assert sign_off_refusal(competition=w.comp, month=last_month, today=last_day).code == "month_not_ended"
    assert sign_off_refusal(competition=w.comp, month=last_month, today=last_day + timedelta(days=1)) is None
    settings.SIGN_OFF_GRACE = True
    assert sign_off_refusal(competition=w.comp, month=last_month, today=last_day) is None
    assert sign_off_refusal(competition=w.comp, month=last_month,
                            today=last_day - timedelta(days=1)).code == "month_not_ended"


@pytest.mark.django_db
def test_the_first_and_last_months_of_the_competition_can_be_signed_off_once_ended(w, f, today):
    comp = f.competition(start=today.replace(year=today.year - 1, month=3, day=15),
                         end=today.replace(year=today.year - 1, month=5, day=10))
    for month in (comp.start_date.replace(day=1), comp.end_date.replace(day=1)):
        assert sign_off_refusal(competition=comp, month=month, today=today) is None
    for outside in (previous_month(comp.start_date), next_month(comp.end_date)):
        assert sign_off_refusal(competition=comp, month=outside, today=today).code == "month_outside_competition"


# -- 2. the portal: sign-off only from a confirmation page that shows what it locks --------------------

def _approved_month(w, month):
    entries = enter(w, month + timedelta(days=1), month + timedelta(days=2))
    entries_transition(actor=w.reviewer, entries=WorkEntry.objects.filter(pk__in=[e.pk for e in entries[1:]]),
                       to_status=S.APPROVED)
    return entries


SIGN_OFF = reverse("review:sign_off")


@pytest.mark.django_db
def test_the_queues_sign_off_button_only_leads_to_the_confirmation_page(client, w, last_month):
    _approved_month(w, last_month)
    entry_transition(actor=w.reviewer, entry=WorkEntry.objects.get(status=S.PENDING), to_status=S.APPROVED)
    client.force_login(w.reviewer)

    response = client.post(reverse("review:queue"), {"action": "sign_off", "system": w.system.pk,
                                                     "month": format_month(last_month)})

    assert response.status_code == 302 and response["Location"].startswith(SIGN_OFF)
    assert not ReviewPeriod.objects.filter(status=PeriodStatus.SIGNED_OFF).exists()


@pytest.mark.django_db
def test_the_confirmation_page_shows_entries_per_depot_and_pending_left(client, w, last_month):
    _approved_month(w, last_month)
    client.force_login(w.reviewer)

    page = client.get(SIGN_OFF, {"system": w.system.pk, "month": format_month(last_month)})

    assert page.status_code == 200
    depots = {d["unit__depot__name"]: d for d in page.context["depots"]}
    assert set(depots) == {w.depot.name}  # alice's workshop and bob's depot are one depot
    assert (depots[w.depot.name]["total"], depots[w.depot.name]["n_pending"]) == (4, 1)
    assert page.context["totals"]["n_approved"] == 3
    html = page.content.decode()
    assert w.depot.name in html and 'id="pending-left">1<' in html
    assert 'name="shown"' not in html  # nothing to confirm while an entry is pending


@pytest.mark.django_db
def test_confirming_signs_off_exactly_the_month_shown(client, w, last_month):
    pending = _approved_month(w, last_month)[0]
    entry_transition(actor=w.reviewer, entry=pending, to_status=S.APPROVED)
    client.force_login(w.reviewer)
    page = client.get(SIGN_OFF, {"system": w.system.pk, "month": format_month(last_month)})
    shown = page.context["shown"]

    response = client.post(SIGN_OFF, {"system": w.system.pk, "month": format_month(last_month), "shown": shown})

    assert response.status_code == 302
    period = ReviewPeriod.objects.get(business_system=w.system, month=last_month)
    assert period.status == PeriodStatus.SIGNED_OFF
    assert WorkEntry.objects.in_shown_status([S.LOCKED]).count() == 4


@pytest.mark.django_db
def test_a_stale_confirmation_is_shown_again_not_applied(client, w, last_month):
    pending = _approved_month(w, last_month)[0]
    entry_transition(actor=w.reviewer, entry=pending, to_status=S.APPROVED)
    client.force_login(w.reviewer)
    shown = client.get(SIGN_OFF, {"system": w.system.pk, "month": format_month(last_month)}).context["shown"]
    entry_transition(actor=w.reviewer, entry=pending, to_status=S.REJECTED, reason="重复")  # meanwhile

    response = client.post(SIGN_OFF, {"system": w.system.pk, "month": format_month(last_month), "shown": shown})

    assert response.status_code == 302 and response["Location"].startswith(SIGN_OFF)
    assert not ReviewPeriod.objects.filter(status=PeriodStatus.SIGNED_OFF).exists()


@pytest.mark.django_db
@pytest.mark.parametrize("url", [SIGN_OFF, reverse("review:queue")])
def test_a_form_for_another_business_system_is_refused_not_applied_to_the_reviewers_own(client, w, last_month,
                                                                                        url):
    pending = _approved_month(w, last_month)[0]
    entry_transition(actor=w.reviewer, entry=pending, to_status=S.APPROVED)
    client.force_login(w.reviewer)
    shown = client.get(SIGN_OFF, {"system": w.system.pk, "month": format_month(last_month)}).context["shown"]

    response = client.post(url, {"action": "sign_off", "system": w.other_system.pk,
                                 "month": format_month(last_month), "shown": shown})

    assert response.status_code == 404
    assert not ReviewPeriod.objects.filter(status=PeriodStatus.SIGNED_OFF).exists()


@pytest.mark.django_db
def test_the_current_month_shows_why_it_cannot_be_signed_off_and_a_forged_post_is_refused(client, w, today):
    client.force_login(w.reviewer)
    month = format_month(today)

    page = client.get(SIGN_OFF, {"system": w.system.pk, "month": month})
    queue = client.get(reverse("review:queue"), {"system": w.system.pk, "month": month})
    client.post(SIGN_OFF, {"system": w.system.pk, "month": month, "shown": page.context["shown"]})

    assert page.context["refusal"].code == "month_not_ended" and 'name="shown"' not in page.content.decode()
    assert 'id="sign-off-refusal"' in queue.content.decode()
    assert not ReviewPeriod.objects.filter(status=PeriodStatus.SIGNED_OFF).exists()


# -- 3. the admin and the services below it change nothing of a signed-off month ----------------------

@pytest.fixture
def signed_off_rejected(w, last_month):
    """A signed-off month with one rejected entry (alice's) and one locked (bob's)."""
    alice, bob = enter(w, last_month + timedelta(days=1))
    entry_transition(actor=w.reviewer, entry=alice, to_status=S.REJECTED, reason="重复")
    entry_transition(actor=w.reviewer, entry=bob, to_status=S.APPROVED)
    WorkEntry.objects.filter(pk=alice.pk).update(note="原说明")
    sign_off(w, last_month)
    alice.refresh_from_db()
    return alice


@pytest.mark.django_db
def test_the_admin_cannot_change_a_rejected_entry_of_a_signed_off_month(client, w, signed_off_rejected):
    w.staff.is_superuser = True
    w.staff.save()
    client.force_login(w.staff)
    url = reverse("admin:reviews_workentry_change", args=[signed_off_rejected.pk])

    page = client.get(url)
    post = client.post(url, {"note": "改过的说明", "events-TOTAL_FORMS": "0", "events-INITIAL_FORMS": "0"})

    assert page.status_code == 200 and page.context["has_change_permission"] is False
    assert post.status_code == 403
    signed_off_rejected.refresh_from_db()
    assert signed_off_rejected.note == "原说明"


@pytest.mark.django_db
def test_the_note_service_refuses_an_entry_of_a_signed_off_month(w, signed_off_rejected):
    with pytest.raises(EntryRejected) as error:
        entry_note_set(actor=w.clerk, entry_id=signed_off_rejected.pk, note="改过的说明")
    assert error.value.first.code == "month_locked"
    signed_off_rejected.refresh_from_db()
    assert signed_off_rejected.note == "原说明"
