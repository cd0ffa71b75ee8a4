"""Separation of duties in the portal (members.scope): entering needs a clerk grant and reviewing a reviewer
grant, whoever holds is_staff or is_superuser; staff read everything; nobody approves or rejects their own
work (entered or last changed), one entry or many. The API's side: tests/api/test_roles.py."""

from datetime import timedelta

import pytest
from django.urls import reverse

from reviews.models import EntryStatus, WorkEntry
from reviews.services import entry_create, entry_update
from reviews.workflow import entries_transition

pytestmark = pytest.mark.django_db


@pytest.fixture
def day(today):
    return today - timedelta(days=1)


@pytest.fixture
def accounts(w, f):
    """Staff without grants, a superuser without grants, staff holding the depot's clerk grant, and the depot's
    clerk who also reviews 机务."""
    clerk_reviewer = f.clerk(w.depot, username="clerk-reviewer")
    clerk_reviewer.reviewer_systems.add(w.system)
    return {
        "staff": w.staff,
        "superuser": f.staff_user(username="root", is_superuser=True),
        "staff_clerk": f.clerk(w.depot, username="staff-clerk", is_staff=True),
        "clerk_reviewer": clerk_reviewer,
    }


@pytest.fixture
def pending(w, day):
    return entry_create(actor=w.clerk, competition=w.comp, worker_id=w.alice.pk, rule_id=w.km.pk, work_date=day,
                        quantity="100")


def as_(client, user):
    client.force_login(user)
    return client


def queue_url(day):
    return f"{reverse('review:queue')}?month={day:%Y-%m}"


# -- staff without grants: they read, they neither enter nor review ------------------------------------------

@pytest.mark.parametrize("who", ["staff", "superuser"])
def test_staff_without_grants_read_the_entries_and_the_queue_but_enter_and_review_nothing(
        client, w, accounts, pending, day, who):
    as_(client, accounts[who])
    # reading: the entry list, an entry, the queue with the entry in it, the progress
    assert pending.pk in {e.pk for e in client.get(reverse("entries:list")).context["entries"]}
    detail = client.get(reverse("entries:detail", args=[pending.pk]))
    assert detail.status_code == 200 and detail.context["editable"] is False
    queue = client.get(queue_url(day))
    assert queue.status_code == 200 and pending.pk in {e.pk for e in queue.context["entries"]}
    assert queue.context["may_review"] is False and 'value="approve"' not in queue.content.decode()
    assert client.get(reverse("review:progress")).status_code == 200
    # entering: the entry pages are refused, and so is a posted correction
    for name in ("entries:new", "entries:grid", "entries:import", "entries:worker_lookup"):
        assert client.get(reverse(name)).status_code == 403, name
    assert client.post(reverse("entries:new"), {"worker": w.alice.employee_no, "rule": w.km.pk,
                                                "work_date": str(day), "quantity": "5"}).status_code == 403
    assert client.post(reverse("entries:detail", args=[pending.pk]), {"quantity": "1"}).status_code == 403
    # reviewing: one entry, the queue's moves, approve-all and sign-off are refused
    assert client.post(reverse("review:entry", args=[pending.pk]), {"action": "approve"}).status_code == 403
    for action in ("approve", "reject", "approve_all"):
        response = client.post(reverse("review:queue"), {"action": action, "entry": [pending.pk], "reason": "x",
                                                         "system": w.system.pk, "month": f"{day:%Y-%m}"})
        assert response.status_code == 403, action
    sign_off = client.post(reverse("review:sign_off"), {"system": w.system.pk, "month": f"{day:%Y-%m}",
                                                        "shown": "x"})
    assert sign_off.status_code == 403
    pending.refresh_from_db()
    assert (pending.status, pending.quantity, pending.reviewed_by) == (EntryStatus.PENDING, 100, None)
    assert WorkEntry.objects.count() == 1


def test_staff_with_a_clerk_grant_enter_within_it_and_review_nothing(client, w, accounts, pending, day):
    as_(client, accounts["staff_clerk"])
    response = client.post(reverse("entries:new"), {"worker": w.bob.employee_no, "rule": w.km.pk,
                                                    "work_date": str(day), "quantity": "5"})
    assert response.status_code == 302
    made = WorkEntry.objects.get(worker=w.bob)
    assert made.entered_by == made.changed_by == accounts["staff_clerk"]
    # another depot's worker is not theirs to enter for
    response = client.post(reverse("entries:new"), {"worker": w.carol.employee_no, "rule": w.metres.pk,
                                                    "work_date": str(day), "quantity": "5"})
    assert response.status_code == 200 and "worker" in response.context["errors"]
    # they read the queue, and approving is refused
    assert client.get(queue_url(day)).status_code == 200
    assert client.post(reverse("review:entry", args=[pending.pk]), {"action": "approve"}).status_code == 403


# -- nobody reviews their own work ------------------------------------------------------------------------

def test_the_clerk_and_reviewer_cannot_approve_or_reject_an_entry_they_entered_or_last_changed(
        client, w, accounts, pending, day):
    me = accounts["clerk_reviewer"]
    own = entry_create(actor=me, competition=w.comp, worker_id=w.bob.pk, rule_id=w.km.pk, work_date=day,
                       quantity="7")
    entry_update(actor=me, entry_id=pending.pk, quantity="120")  # the clerk's entry, last changed by them
    as_(client, me)
    for entry in (own, pending):
        for action in ("approve", "reject"):
            response = client.post(reverse("review:entry", args=[entry.pk]),
                                   {"action": action, "reason": "核对"}, follow=True)
            assert "不能审核本人录入或修改过的工作量" in response.content.decode()
            entry.refresh_from_db()
            assert entry.status == EntryStatus.PENDING
    # another reviewer of the system approves them
    as_(client, w.reviewer)
    for entry in (own, pending):
        client.post(reverse("review:entry", args=[entry.pk]), {"action": "approve"})
        entry.refresh_from_db()
        assert (entry.status, entry.reviewed_by) == (EntryStatus.APPROVED, w.reviewer)


def test_the_queues_bulk_moves_skip_ones_own_work_and_say_how_many(client, w, accounts, pending, day):
    me = accounts["clerk_reviewer"]
    own = entry_create(actor=me, competition=w.comp, worker_id=w.bob.pk, rule_id=w.km.pk, work_date=day,
                       quantity="7")
    others = entry_create(actor=w.clerk, competition=w.comp, worker_id=w.bob.pk, rule_id=w.trips.pk,
                          work_date=day, quantity="1")
    entry_update(actor=me, entry_id=pending.pk, quantity="120")
    as_(client, me)
    response = client.post(reverse("review:queue"), {
        "action": "approve", "entry": [own.pk, pending.pk, others.pk], "system": w.system.pk,
        "month": f"{day:%Y-%m}"}, follow=True)
    page = response.content.decode()
    assert "已通过 1 条录入。" in page and "2 条是您本人的工作量或您录入、修改过的，不能由您审核，已跳过" in page
    statuses = dict(WorkEntry.objects.values_list("pk", "status"))
    assert statuses == {own.pk: "pending", pending.pk: "pending", others.pk: "approved"}


def test_the_workflow_skips_ones_own_work_in_the_same_statement_and_counts_it(w, accounts, pending, day):
    me = accounts["clerk_reviewer"]
    own = entry_create(actor=me, competition=w.comp, worker_id=w.bob.pk, rule_id=w.km.pk, work_date=day,
                       quantity="7")
    result = entries_transition(actor=me, entries=WorkEntry.objects.all(), to_status=EntryStatus.REJECTED,
                                reason="重复")
    assert (result.moved, result.skipped_own) == (1, 1)
    own.refresh_from_db()
    pending.refresh_from_db()
    assert (own.status, pending.status, pending.reviewed_by) == ("pending", "rejected", me)
    # resubmitting after the clerk's correction leaves the corrector as the last changer
    entry_update(actor=w.clerk, entry_id=pending.pk, quantity="90")
    pending.refresh_from_db()
    assert (pending.status, pending.changed_by, pending.entered_by) == ("pending", w.clerk, w.clerk)


def test_a_reviewer_who_is_the_worker_reviews_none_of_their_own_entries_one_by_one_selected_or_all(
        client, w, pending, day, run_jobs):
    # alice's own account holds a reviewer grant for her business system: the entries of her work, though
    # the depot's clerk entered them, are still hers, and approving them was approving her own points.
    from competitions.models import Job
    from tests.api.conftest import bearer_client

    me = w.alice_user
    me.reviewer_systems.add(w.system)
    second = entry_create(actor=w.clerk, competition=w.comp, worker_id=w.alice.pk, rule_id=w.trips.pk,
                          work_date=day, quantity="2")
    bobs = entry_create(actor=w.clerk, competition=w.comp, worker_id=w.bob.pk, rule_id=w.km.pk, work_date=day,
                        quantity="50")
    as_(client, me)
    # one entry, in the portal and in the API
    for action in ("approve", "reject"):
        response = client.post(reverse("review:entry", args=[pending.pk]), {"action": action, "reason": "核对"},
                               follow=True)
        assert "不能审核本人的工作量" in response.content.decode()
    api = bearer_client(me)
    response = api.post(f"/api/v1/entries/{pending.pk}/approve/")
    assert response.status_code == 409 and response.json()["error"]["code"] == "self_review"
    # the queue's selected entries: bob's moves, hers is skipped and counted
    response = client.post(reverse("review:queue"), {
        "action": "approve", "entry": [pending.pk, bobs.pk], "system": w.system.pk, "month": f"{day:%Y-%m}"},
        follow=True)
    assert "1 条是您本人的工作量或您录入、修改过的，不能由您审核，已跳过" in response.content.decode()
    assert api.post("/api/v1/review/approve/", {"ids": [second.pk]}, format="json").json()["skipped_own"] == 1
    # the whole month's queue, as a job: nothing of hers moves
    run_jobs(lambda: client.post(reverse("review:queue"), {"action": "approve_all", "month": f"{day:%Y-%m}"}))
    assert Job.objects.get().summary == [("已通过", 0), ("本人的或本人录入、修改过的，已跳过", 2)]
    statuses = dict(WorkEntry.objects.values_list("pk", "status"))
    assert statuses == {pending.pk: "pending", second.pk: "pending", bobs.pk: "approved"}
    # another reviewer of the system approves them
    as_(client, w.reviewer)
    client.post(reverse("review:entry", args=[pending.pk]), {"action": "approve"})
    pending.refresh_from_db()
    assert (pending.status, pending.reviewed_by) == (EntryStatus.APPROVED, w.reviewer)
