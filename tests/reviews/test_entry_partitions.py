"""The entries table partitioned by month (reviews.partitions): partitions made ahead of time, an entry for
a month without a partition refused with a message and nothing saved, the log trigger firing for every
write path on the partitioned table, Idempotency-Keys kept unique beside it."""

import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction
from django.urls import reverse

from competitions.models import StandingDelta
from config.months import month_of, next_month
from reviews.models import EntryEvent, EntryIdempotencyKey, PendingEntry, ReviewPeriod, WorkEntry
from reviews.partitions import AHEAD_MONTHS, FILLFACTOR, entry_partitions_ensure, partition_months, partition_name
from reviews.services import entry_create, entry_update
from reviews.tasks import create_entry_partitions
from reviews.validation import EntryRejected
from reviews.workflow import period_reopen, period_sign_off
from tests.api.conftest import bearer_client
from tests.reviews.test_partition_migration import LATEST, migrate

pytestmark = pytest.mark.django_db


def drop_partition(month: date) -> None:
    """What a database whose partitions were not made in time looks like (undone with the test's transaction)."""
    with connection.cursor() as cursor:
        cursor.execute(f'ALTER TABLE reviews_workentry DETACH PARTITION "{partition_name(month)}"')
        cursor.execute(f'DROP TABLE "{partition_name(month)}"')


def facts():
    return (WorkEntry.objects.count(), EntryEvent.objects.count(), PendingEntry.objects.count(),
            StandingDelta.objects.count(), ReviewPeriod.objects.count(), EntryIdempotencyKey.objects.count())


def test_the_nightly_task_creates_this_month_and_the_next_ones_ahead_of_time(today):
    coming = [month_of(today)]
    for _step in range(AHEAD_MONTHS):
        coming.append(next_month(coming[-1]))
    for month in coming[1:]:
        drop_partition(month)
    assert not set(coming[1:]) & partition_months()

    assert create_entry_partitions.apply().get() == AHEAD_MONTHS
    assert set(coming) <= partition_months()
    assert create_entry_partitions.apply().get() == 0  # idempotent: nothing left to create
    with connection.cursor() as cursor:
        cursor.execute("SELECT reloptions FROM pg_class WHERE relname = %s", [partition_name(coming[-1])])
        assert cursor.fetchone()[0] == [f"fillfactor={FILLFACTOR}"]


def test_creating_a_competition_creates_the_partitions_of_its_months(f):
    assert date(2019, 3, 1) not in partition_months()
    f.competition(start=date(2019, 3, 5), end=date(2019, 6, 30))
    assert {date(2019, m, 1) for m in range(3, 7)} <= partition_months()
    assert date(2019, 7, 1) not in partition_months()


def test_moving_a_competitions_dates_creates_the_new_months_partitions(f):
    comp = f.competition(start=date(2018, 1, 1), end=date(2018, 1, 31))
    comp.end_date = date(2018, 3, 31)
    comp.save(update_fields=["end_date"])
    assert {date(2018, 2, 1), date(2018, 3, 1)} <= partition_months()


def test_a_competition_running_for_ever_gets_partitions_only_up_to_the_coming_months(f, today):
    f.competition(start=date(2026, 1, 1), end=date(9999, 12, 31))
    assert max(partition_months()) < date(today.year + 2, 1, 1)


def test_ensuring_existing_partitions_changes_nothing(today):
    assert entry_partitions_ensure([month_of(today)]) == []


def test_an_entry_dated_in_a_month_without_a_partition_is_refused_with_a_message_and_nothing_saved(w, today):
    day = today - timedelta(days=1)
    drop_partition(month_of(day))
    before = facts()
    with pytest.raises(EntryRejected) as refused:
        entry_create(actor=w.clerk, competition=w.comp, worker_id=w.alice.pk, rule_id=w.km.pk, work_date=day,
                     quantity="10", idempotency_key="k-1")
    (error,) = refused.value.errors
    assert error.code == "month_not_open" and "尚未开放" in error.message
    assert facts() == before


def test_the_form_shows_a_clear_message_for_a_month_without_a_partition(client, w, today):
    day = today - timedelta(days=1)
    drop_partition(month_of(day))
    before = facts()
    client.force_login(w.clerk)
    response = client.post(reverse("entries:new"), {"worker": w.alice.employee_no, "rule": w.km.pk,
                                                    "work_date": day.isoformat(), "quantity": "200"})
    assert response.status_code == 200 and "的录入尚未开放" in response.content.decode()
    assert facts() == before


@pytest.mark.parametrize("path", ["/api/v1/entries/", "/api/v1/entries/batch/"])
def test_the_api_answers_400_month_not_open_for_a_month_without_a_partition(w, today, path):
    day = today - timedelta(days=1)
    drop_partition(month_of(day))
    before = facts()
    row = {"worker": w.alice.pk, "rule": w.km.pk, "work_date": str(day), "quantity": "1"}
    body = {"competition": w.comp.pk, **row} if path.endswith("entries/") else {"competition": w.comp.pk,
                                                                                 "rows": [row]}
    response = bearer_client(w.clerk).post(path, body, format="json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert "month_not_open" in (error["code"], *(d["code"] for d in error.get("details") or []))
    assert facts() == before


def test_an_edit_moving_an_entry_to_a_month_without_a_partition_is_refused_and_changes_nothing(w, today):
    day = date(today.year, 1, 10)
    entry = entry_create(actor=w.clerk, competition=w.comp, worker_id=w.alice.pk, rule_id=w.km.pk, work_date=day,
                         quantity="10")
    drop_partition(date(today.year - 1, 12, 1))
    before = facts()
    with pytest.raises(EntryRejected) as refused:
        entry_update(actor=w.clerk, entry_id=entry.pk, work_date=date(today.year - 1, 12, 30))
    assert refused.value.errors[0].code == "month_not_open"
    assert facts() == before and WorkEntry.objects.get().work_date == day


def test_an_edit_moving_an_entry_to_another_month_moves_its_queue_row_and_logs_both_days(w, today):
    day, later = date(today.year, 1, 31), date(today.year, 2, 1)
    entry = entry_create(actor=w.clerk, competition=w.comp, worker_id=w.alice.pk, rule_id=w.km.pk, work_date=day,
                         quantity="100")
    StandingDelta.objects.all().delete()
    entry_update(actor=w.clerk, entry_id=entry.pk, work_date=later)
    with connection.cursor() as cursor:
        cursor.execute("SELECT tableoid::regclass::text FROM reviews_workentry WHERE id = %s", [entry.pk])
        assert cursor.fetchone()[0] == partition_name(later)
    assert list(PendingEntry.objects.values_list("entry_id", "month", "work_date")) == [(entry.pk, later, later)]
    assert sorted(StandingDelta.objects.values_list("work_date", "points", "entries")) == [
        (day, Decimal("-1.000"), -1), (later, Decimal("1.000"), 1)]


def test_copy_and_delete_on_the_partitioned_table_fire_the_log_trigger(w, today):
    entry = entry_create(actor=w.clerk, competition=w.comp, worker_id=w.alice.pk, rule_id=w.km.pk,
                         work_date=date(today.year, 3, 3), quantity="100")
    columns = ("competition_id", "worker_id", "rule_id", "work_date", "quantity", "points", "status", "kind", "note",
               "reject_reason", "source", "unit_id", "job_type_id", "business_system_id", "created_at", "updated_at")
    row = [w.comp.pk, w.bob.pk, w.km.pk, date(today.year, 4, 4), Decimal(50), Decimal("0.5"), "pending", "regular",
           "", "", "import", w.depot.pk, w.driver.pk, w.system.pk, today, today]
    connection.ensure_connection()
    with connection.connection.cursor() as cursor, cursor.copy(
            f"COPY reviews_workentry ({', '.join(columns)}) FROM STDIN") as copy:
        copy.write_row(row)
    copied = WorkEntry.objects.get(worker=w.bob)
    assert PendingEntry.objects.filter(entry_id=copied.pk, month=date(today.year, 4, 1)).exists()
    WorkEntry.objects.filter(pk=entry.pk).delete()  # no service deletes an entry; the trigger still logs it
    assert not PendingEntry.objects.filter(entry_id=entry.pk).exists()
    assert sorted(StandingDelta.objects.filter(work_date=date(today.year, 3, 3)).values_list("entries", flat=True)) == [
        -1, 1]


def test_an_idempotency_key_is_kept_beside_its_entry_and_unique_per_account(w, today):
    day = today - timedelta(days=1)
    first = entry_create(actor=w.clerk, competition=w.comp, worker_id=w.alice.pk, rule_id=w.km.pk, work_date=day,
                         quantity="10", idempotency_key="key-1")
    assert EntryIdempotencyKey.objects.get(key="key-1").entry_id == first.pk
    # Another request with the key for another worker and day still gets the first entry.
    again = entry_create(actor=w.clerk, competition=w.comp, worker_id=w.bob.pk, rule_id=w.km.pk,
                         work_date=day - timedelta(days=40), quantity="99", idempotency_key="key-1")
    assert again.pk == first.pk and WorkEntry.objects.count() == 1
    # Another account's same key is another entry.
    other = entry_create(actor=w.other_clerk, competition=w.comp,
                         worker_id=w.carol.pk, rule_id=w.metres.pk, work_date=day, quantity="5",
                         idempotency_key="key-1")
    assert other.pk != first.pk
    with pytest.raises(IntegrityError), transaction.atomic():
        EntryIdempotencyKey.objects.create(entry_id=other.pk + 1000, entered_by=w.clerk, key="key-1")


def test_a_months_approval_names_its_work_dates_so_only_that_months_partition_is_read_and_updated(w, today):
    # given pending entries of this month and of last month in one selection
    from django.test.utils import CaptureQueriesContext

    from reviews.services import entries_create
    from reviews.validation import EntryInput
    from reviews.workflow import entries_transition

    this_month = month_of(today)
    last_month = month_of(this_month - timedelta(days=1))
    entries_create(actor=w.clerk, competition=w.comp, rows=[
        EntryInput(w.alice.pk, w.km.pk, this_month, "10", row=1),
        EntryInput(w.bob.pk, w.km.pk, this_month, "20", row=2),
        EntryInput(w.alice.pk, w.km.pk, last_month, "30", row=3)])
    entries = WorkEntry.objects.filter(competition=w.comp)

    # when the reviewer approves them as this month's
    with CaptureQueriesContext(connection) as sent:
        result = entries_transition(actor=w.reviewer, entries=entries, to_status="approved", systems=[w.system.pk],
                                    month=this_month)

    # then this month's entries are approved and last month's, outside the month named, are left alone
    assert result.moved == 2
    assert dict(entries.values_list("work_date", "status").distinct()) == {this_month: "approved",
                                                                          last_month: "pending"}
    # and the statement's plan reads and updates this month's partition and no other
    (update,) = [q["sql"] for q in sent if "UPDATE" in q["sql"] and "reviews_entryevent" in q["sql"]]
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN {update}")
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert set(re.findall(r"reviews_workentry_p\d{6}", plan)) == {partition_name(this_month)}, plan


def test_signing_off_and_reopening_a_month_without_a_partition_moves_nothing_and_keeps_the_audit(w, today):
    # A month of the competition whose partition was never made (nothing can be entered in it).
    month = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
    drop_partition(month)
    period = period_sign_off(actor=w.reviewer, competition=w.comp, business_system=w.system, month=month)
    assert period.status == "signed_off"
    period = period_reopen(actor=w.staff, period=period, reason="核对")
    assert period.status == "open"
    assert list(period.events.order_by("at").values_list("action", "entries")) == [("signed_off", 0), ("reopened", 0)]


def test_a_months_sign_off_locks_that_months_entries_only_and_writes_no_lock_fact(w, today):
    """A sign-off locks its month: an approved entry of the month before stays approved; no row changes."""
    month = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
    earlier = (month - timedelta(days=1)).replace(day=1)
    made = [entry_create(actor=w.clerk, competition=w.comp, worker_id=w.alice.pk, rule_id=w.km.pk, work_date=day,
                         quantity="10") for day in (month, earlier)]
    WorkEntry.objects.filter(pk__in=[e.pk for e in made]).update(status="approved")
    before = dict(WorkEntry.objects.values_list("pk", "updated_at"))
    period_sign_off(actor=w.reviewer, competition=w.comp, business_system=w.system, month=month)
    assert {e.work_date: e.shown_status for e in WorkEntry.objects.with_month_lock()} == {
        month: "locked", earlier: "approved"}
    assert dict(WorkEntry.objects.values_list("work_date", "status")) == {month: "approved", earlier: "approved"}
    assert dict(WorkEntry.objects.values_list("pk", "updated_at")) == before
    assert not EntryEvent.objects.filter(action="locked").exists()


def partition_options() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("""SELECT array_to_string(c.reloptions, ',') FROM pg_inherits i JOIN pg_class c
                          ON c.oid = i.inhrelid WHERE i.inhparent = 'reviews_workentry'::regclass""")
        return {row[0] for row in cursor.fetchall()}


def test_the_fillfactor_migration_sets_every_partition_and_goes_back(w, today):
    """reviews 0013: every existing partition gets the fillfactor that leaves an approval's new row versions
    room on their page, and backward puts 50 back; neither touches a row. (ALTER TABLE is transactional: the
    test's transaction takes it all back.)"""
    entry_create(actor=w.clerk, competition=w.comp, worker_id=w.alice.pk, rule_id=w.km.pk,
                 work_date=today - timedelta(days=1), quantity="10")
    before = facts()

    try:
        migrate(("reviews", "0012_workentry_note_params"))
        assert partition_options() == {"fillfactor=50"}
        migrate(("reviews", "0013_entry_partitions_fillfactor_45"))
        assert partition_options() == {f"fillfactor={FILLFACTOR}"} == {"fillfactor=45"}
    finally:
        migrate(LATEST)
    assert facts() == before


def log_triggers() -> set[tuple[str, str]]:
    """(table, trigger) of the entries' log triggers on the table and its partitions."""
    with connection.cursor() as cursor:
        cursor.execute("""SELECT c.relname, t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
                          WHERE t.tgname LIKE 'reviews_workentry_log%%' AND NOT t.tgisinternal""")
        return set(cursor.fetchall())


def test_the_partition_triggers_migration_puts_them_on_every_partition_and_goes_back(w, today):
    """reviews 0021: the log's triggers on every partition too; backward, on the table only. No row changes either
    way."""
    entry_create(actor=w.clerk, competition=w.comp, worker_id=w.alice.pk, rule_id=w.km.pk,
                 work_date=today - timedelta(days=1), quantity="10")
    before = facts()
    on_table = {("reviews_workentry", f"reviews_workentry_log_{op}") for op in ("insert", "update", "delete")}
    on_partitions = {(partition_name(m), f"reviews_workentry_log_{op}") for m in partition_months()
                     for op in ("insert", "update", "delete")}
    assert log_triggers() == on_table | on_partitions

    try:
        migrate(("reviews", "0020_approval_log_per_competition"))
        assert log_triggers() == on_table
        migrate(("reviews", "0021_partition_log_triggers"))
        assert log_triggers() == on_table | on_partitions
    finally:
        migrate(LATEST)
    assert facts() == before
