"""The work-entry admin: locked entries are read-only, entries are never deleted, lists stay fast."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from reviews.models import EntryAction, EntryEvent, EntryStatus, PeriodStatus, WorkEntry

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:reviews_workentry_changelist")


@pytest.fixture
def setting(f):
    system = f.business_system()
    job = f.job_type(system)
    comp = f.competition()
    return {"system": system, "job": job, "competition": comp, "rule": f.rule(comp, job), "unit": f.depot()}


def entry(f, setting, status=EntryStatus.PENDING, day=date(2026, 3, 1), worker=None, **kw):
    worker = worker or f.worker(setting["unit"], setting["job"])
    kw.setdefault("reject_reason", "不符" if status == EntryStatus.REJECTED else "")
    return WorkEntry.objects.create(
        competition=setting["competition"], worker=worker, rule=setting["rule"], work_date=day,
        quantity=Decimal("3"), points=Decimal("3"), status=status, unit=worker.unit, job_type=worker.job_type,
        business_system=setting["system"], **kw,
    )


def change_url(obj):
    return reverse("admin:reviews_workentry_change", args=[obj.pk])


def test_locked_entry_cannot_be_changed_through_the_admin(admin_client, f, setting):
    locked = entry(f, setting, status=EntryStatus.APPROVED, note="原说明")
    f.review_period(competition=setting["competition"], business_system=setting["system"], month=date(2026, 3, 1),
                    status=PeriodStatus.SIGNED_OFF)

    page = admin_client.get(change_url(locked))
    post = admin_client.post(change_url(locked), {"note": "改过的说明"})

    assert page.status_code == 200  # viewable, read-only
    assert page.context["has_change_permission"] is False
    assert post.status_code == 403
    locked.refresh_from_db()
    assert locked.note == "原说明"
    assert not EntryEvent.objects.filter(entry=locked).exists()


def test_the_list_shows_and_filters_the_months_lock(admin_client, f, setting):
    locked = entry(f, setting, status=EntryStatus.APPROVED)
    f.review_period(competition=setting["competition"], business_system=setting["system"], month=date(2026, 3, 1),
                    status=PeriodStatus.SIGNED_OFF)
    approved = entry(f, setting, status=EntryStatus.APPROVED, day=date(2026, 4, 1))

    def listed(query):
        response = admin_client.get(f"{CHANGELIST}{query}")
        assert response.status_code == 200
        return {obj.pk for obj in response.context["cl"].result_list}, response.content.decode()

    (everything, page) = listed("")
    assert everything == {locked.pk, approved.pk} and "已锁定" in page and "已通过" in page
    assert listed("?status=locked")[0] == {locked.pk}
    assert listed("?status=approved")[0] == {approved.pk}
    assert listed("?status=nonsense")[0] == everything
    assert "已锁定" in admin_client.get(change_url(locked)).content.decode()


def test_open_entry_note_can_be_edited_by_a_clerk_of_its_unit_and_the_edit_is_audited(client, f, setting):
    # given a superuser who also holds the clerk grant of the entry's unit
    account = f.clerk(setting["unit"], is_staff=True, is_superuser=True)
    client.force_login(account)
    pending = entry(f, setting, note="原说明")

    response = client.post(change_url(pending), {"note": "补充说明", "events-TOTAL_FORMS": "0",
                                                  "events-INITIAL_FORMS": "0"})

    assert response.status_code == 302
    pending.refresh_from_db()
    assert pending.note == "补充说明"
    assert pending.quantity == Decimal("3")  # read-only in the admin
    assert pending.changed_by == account  # their own work now: they may not review it
    event = EntryEvent.objects.get(entry=pending)
    assert event.action == EntryAction.EDITED


def test_staff_without_a_clerk_grant_read_entries_in_the_admin_and_change_none(admin_client, client, f, setting):
    pending = entry(f, setting, note="原说明")
    other_units_clerk = f.clerk(f.depot(), is_staff=True, is_superuser=True)
    for who in (admin_client, client):  # a superuser without grants; one with another unit's grant
        if who is client:
            client.force_login(other_units_clerk)
        page = who.get(change_url(pending))
        post = who.post(change_url(pending), {"note": "改过的说明", "events-TOTAL_FORMS": "0",
                                              "events-INITIAL_FORMS": "0"})
        assert page.status_code == 200 and page.context["has_change_permission"] is False
        assert post.status_code == 403
    pending.refresh_from_db()
    assert pending.note == "原说明" and pending.changed_by is None
    assert not EntryEvent.objects.filter(entry=pending).exists()


def test_entries_are_never_deleted_or_added_in_the_admin(admin_client, f, setting):
    pending = entry(f, setting)

    delete = admin_client.post(reverse("admin:reviews_workentry_delete", args=[pending.pk]), {"post": "yes"})
    add = admin_client.get(reverse("admin:reviews_workentry_add"))

    assert delete.status_code == 403
    assert add.status_code == 403
    assert WorkEntry.objects.filter(pk=pending.pk).exists()


def test_audit_rows_are_read_only(admin_client, f, setting):
    pending = entry(f, setting)
    from django.utils import timezone

    event = EntryEvent.objects.create(entry=pending, action=EntryAction.CREATED, at=timezone.now())
    url = reverse("admin:reviews_entryevent_change", args=[event.pk])

    assert admin_client.get(url).status_code == 200
    assert admin_client.post(url, {"reason": "x"}).status_code == 403
    assert admin_client.get(reverse("admin:reviews_entryevent_add")).status_code == 403
    assert admin_client.post(reverse("admin:reviews_entryevent_delete", args=[event.pk]),
                             {"post": "yes"}).status_code == 403


def _queries(client, url, params=None):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, params or {})
    assert response.status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("params", [{}, {"status__exact": "pending"}], ids=["all", "filtered"])
def test_entry_changelist_queries_do_not_grow_with_rows(admin_client, f, setting, params):
    for n in range(5):
        entry(f, setting, day=date(2026, 3, 1) + timedelta(days=n))
    few = _queries(admin_client, CHANGELIST, params)

    for n in range(30):
        entry(f, setting, day=date(2026, 4, 1) + timedelta(days=n))
    many = _queries(admin_client, CHANGELIST, params)

    assert many == few
    print(f"entry changelist {params}: {few} queries")


def test_search_finds_a_workers_entries_by_exact_employee_number(admin_client, f, setting):
    mine = entry(f, setting, worker=f.worker(setting["unit"], setting["job"], employee_no="E777"))
    entry(f, setting, worker=f.worker(setting["unit"], setting["job"], employee_no="E7770"))

    response = admin_client.get(CHANGELIST, {"q": "e777"})

    assert list(response.context["cl"].result_list) == [mine]
