"""Batch writes and the existence check (set-based, keys passed as arrays: ``config.pgbulk``): the rows,
their audit facts and standings changes, the refusals."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db.models import F

from competitions.models import StandingDelta
from reviews.imports import check_file
from reviews.models import EntryEvent, EntryKind, EntryStatus, WorkEntry
from reviews.services import entries_create, entries_import, entry_adjust, entry_create, entry_update
from reviews.validation import EntryChecker, EntryInput, EntryRejected
from reviews.workflow import entries_transition
from tests import factories

pytestmark = pytest.mark.django_db

ENTRY_FIELDS = ["competition_id", "worker_id", "rule_id", "work_date", "quantity", "points", "status", "kind",
                "adjusts_id", "note", "reject_reason", "source", "idempotency_key", "flags", "unit_id", "job_type_id",
                "business_system_id", "entered_by_id", "reviewed_by_id", "reviewed_at"]
EVENT_FIELDS = ["action", "actor_id", "from_status", "to_status", "old_quantity", "new_quantity", "reason"]


@pytest.fixture
def day(today):
    return today - timedelta(days=1)


@pytest.fixture
def crew(w):
    """Sixty drivers in the clerk's depot: more than ``values_in`` sends as a plain list."""
    return [factories.worker(w.depot, w.driver, name=f"司机{i}") for i in range(60)]


def csv_file(lines):
    return ("\n".join(["工号,姓名,工作日期,计分指标,工作量,说明", *lines]) + "\n").encode("utf-8-sig")


def crew_file(crew, day):
    notes = ['夜班, "加开" {临客} \\ 备注', "", "第二行"]
    return csv_file([f'{c.employee_no},{c.name},{day},安全走行公里,{100 + i}.25,"{notes[i % 3].replace(chr(34), chr(34) * 2)}"'
                     for i, c in enumerate(crew)])


def facts():
    entries = list(WorkEntry.objects.order_by("worker_id", "rule_id", "work_date").values(*ENTRY_FIELDS,
                                                                                         "created_at", "updated_at"))
    events = list(EntryEvent.objects.order_by("entry__worker_id").values(*EVENT_FIELDS, "at", "entry__created_at"))
    deltas = list(StandingDelta.objects.order_by("worker_id").values("competition_id", "worker_id", "rule_id",
                                                                      "work_date", "quantity", "points",
                                                                      "approved_points", "entries"))
    for fact in entries + events:  # one moment
        times = [fact.pop(name) for name in ("created_at", "updated_at", "at", "entry__created_at") if name in fact]
        assert max(times) - min(times) < timedelta(seconds=1)
    return entries, events, deltas


def test_an_import_writes_its_entries_their_audit_facts_and_their_standings_changes(w, crew, day):
    result = entries_import(actor=w.clerk, competition=w.comp, name="crew.csv", content=crew_file(crew, day))
    assert result.created_count == len(crew)
    assert [e.worker_id for e in result.created] == [c.pk for c in crew]  # ids in the file's order
    entries, events, deltas = facts()
    assert {e["status"] for e in entries} == {EntryStatus.PENDING} and {e["kind"] for e in entries} == {"regular"}
    assert [d["worker_id"] for d in deltas] == [e["worker_id"] for e in entries]
    assert [d["points"] for d in deltas] == [e["points"] for e in entries]
    assert len(entries) == len(events) == len(deltas) == len(crew)  # the standings trigger fired
    assert entries[0]["note"] == '夜班, "加开" {临客} \\ 备注' and entries[0]["quantity"] == Decimal("100.250")
    assert {e["action"] for e in events} == {"created"} and events[0]["reason"] == entries[0]["note"]


def test_a_batch_from_the_grid_or_api_goes_the_same_way(w, crew, day):
    rows = [EntryInput(c.pk, w.trips.pk, day, "2", row=n) for n, c in enumerate(crew, start=1)]
    result = entries_create(actor=w.clerk, competition=w.comp, rows=rows)
    assert result.created_count == len(crew) == EntryEvent.objects.filter(action="created").count()
    assert result.created_ids == sorted(result.created_ids)
    assert {e.points for e in result.created} == {Decimal("4.000")}


def test_an_existing_entry_is_found_and_named_by_the_existence_check(w, crew, day):
    first = entry_create(actor=w.clerk, competition=w.comp, worker_id=crew[5].pk, rule_id=w.km.pk, work_date=day,
                         quantity="1")
    parsed, good = check_file(actor=w.clerk, competition=w.comp, name="crew.csv", content=crew_file(crew, day))
    assert [(e.row, e.code) for e in parsed.errors] == [(7, "duplicate_entry")]
    assert f"编号 {first.pk}" in parsed.errors[0].message and "安全走行公里" in parsed.errors[0].message
    assert len(good) == len(crew) - 1
    # The same worker on another day, or another rule the same day, is no duplicate.
    other = [EntryInput(crew[5].pk, w.km.pk, day - timedelta(days=1), "1"),
             EntryInput(crew[5].pk, w.trips.pk, day, "1", row=2)]
    assert EntryChecker(actor=w.clerk, competition=w.comp).check(other).errors == []


def test_an_entry_being_edited_is_not_its_own_duplicate(w, day):
    entry = entry_create(actor=w.clerk, competition=w.comp, worker_id=w.alice.pk, rule_id=w.km.pk, work_date=day,
                         quantity="1")
    assert entry_update(actor=w.clerk, entry_id=entry.pk, quantity="2").quantity == Decimal("2.000")
    other = entry_create(actor=w.clerk, competition=w.comp, worker_id=w.alice.pk, rule_id=w.km.pk,
                         work_date=day - timedelta(days=1), quantity="1")
    with pytest.raises(EntryRejected) as error:
        entry_update(actor=w.clerk, entry_id=other.pk, work_date=day)
    assert error.value.first.code == "duplicate_entry" and f"编号 {entry.pk}" in error.value.first.message


def test_duplicates_within_the_file_point_at_the_first_row(w, crew, day):
    content = csv_file([f"{crew[0].employee_no},,{day},安全走行公里,1,", f"{crew[1].employee_no},,{day},安全走行公里,1,",
                        f"{crew[0].employee_no},,{day},安全走行公里,2,"])
    with pytest.raises(EntryRejected) as error:
        entries_import(actor=w.clerk, competition=w.comp, name="e.csv", content=content)
    assert [str(e) for e in error.value.errors] == ["第4行 工作日期：与第2行重复（同一职工、指标、日期）。"]
    assert WorkEntry.objects.count() == 0


def test_a_row_repeating_an_existing_entry_points_at_that_entry_each_time_it_repeats(w, crew, day):
    """The existing entry is looked up while the rows are checked; a row that repeats it is refused with
    a pointer to it, and so is a later row repeating the same one (not a pointer to the refused row)."""
    first = entry_create(actor=w.clerk, competition=w.comp, worker_id=crew[0].pk, rule_id=w.km.pk, work_date=day,
                         quantity="1")
    content = csv_file([f"{crew[0].employee_no},,{day},安全走行公里,2,", f"{crew[1].employee_no},,{day},安全走行公里,x,",
                        f"{crew[0].employee_no},,{day},安全走行公里,3,", f"{crew[1].employee_no},,{day},安全走行公里,4,",
                        f"{crew[1].employee_no},,{day},安全走行公里,5,"])
    parsed, good = check_file(actor=w.clerk, competition=w.comp, name="e.csv", content=content)
    assert [(e.row, e.code) for e in parsed.errors] == [(2, "duplicate_entry"), (3, "quantity_invalid"),
                                                       (4, "duplicate_entry"), (6, "duplicate_in_batch")]
    assert all(f"编号 {first.pk}" in e.message for e in parsed.errors if e.code == "duplicate_entry")
    assert "第5行" in parsed.errors[-1].message and [c.row for c in good] == [5]
    # The grid and the API get the same answers, in row order.
    rows = [EntryInput(crew[0].pk, w.km.pk, day, "2", row=1), EntryInput(crew[1].pk, w.km.pk, day, "x", row=2),
            EntryInput(crew[0].pk, w.km.pk, day, "3", row=3)]
    result = EntryChecker(actor=w.clerk, competition=w.comp).check(rows)
    assert [(e.row, e.code) for e in result.errors] == [(1, "duplicate_entry"), (2, "quantity_invalid"),
                                                       (3, "duplicate_entry")]


def test_an_entry_saved_by_someone_else_after_the_check_fails_the_whole_file(w, crew, day, monkeypatch):
    """Between the check and the insert another clerk saves one of the file's worker/rule/day entries:
    the unique constraint stops the insert, and nothing of the file is kept."""
    late = entry_create(actor=w.clerk, competition=w.comp, worker_id=crew[30].pk, rule_id=w.km.pk, work_date=day,
                        quantity="1")
    monkeypatch.setattr(EntryChecker, "_load_existing", lambda self, rows: dict)  # the check ran before it
    before = (WorkEntry.objects.count(), EntryEvent.objects.count(), StandingDelta.objects.count())
    with pytest.raises(EntryRejected) as error:
        entries_import(actor=w.clerk, competition=w.comp, name="crew.csv", content=crew_file(crew, day))
    assert error.value.first.code == "duplicate_entry" and "刚被他人保存" in error.value.first.message
    assert (WorkEntry.objects.count(), EntryEvent.objects.count(), StandingDelta.objects.count()) == before
    assert list(WorkEntry.objects.values_list("pk", flat=True)) == [late.pk]


def test_every_write_path_files_an_entry_under_its_workers_unit_and_its_rules_job_type_and_system(w, crew, day):
    """``competition``, ``unit``, ``job_type`` and ``business_system`` are copies without a database foreign
    key: whichever path writes an entry, they must be its rule's competition, its worker's
    unit and its rule's job type and business system (which therefore exist). ``entered_by``, also without
    one, is the clerk who entered it."""
    entries_import(actor=w.clerk, competition=w.comp, name="crew.csv", content=crew_file(crew, day))
    entries_create(actor=w.clerk, competition=w.comp, rows=[EntryInput(w.alice.pk, w.trips.pk, day, "2"),
                                                            EntryInput(w.bob.pk, w.trips.pk, day, "3", row=2)])
    entry_create(actor=w.other_clerk, competition=w.comp, worker_id=w.carol.pk, rule_id=w.metres.pk, work_date=day,
                 quantity="5")
    original = entry_create(actor=w.clerk, competition=w.comp, worker_id=w.alice.pk, rule_id=w.km.pk, work_date=day,
                            quantity="7")
    entries_transition(actor=w.reviewer, entries=WorkEntry.objects.filter(pk=original.pk),
                       to_status=EntryStatus.APPROVED)
    entry_adjust(actor=w.clerk, entry_id=original.pk, quantity_delta="-1", reason="核减")

    entries = WorkEntry.objects.all()
    assert entries.count() == len(crew) + 5
    assert set(entries.values_list("kind", flat=True)) == {EntryKind.REGULAR, EntryKind.ADJUSTMENT}
    # Three units and two business systems, so a value taken from the wrong row would show.
    assert set(entries.values_list("unit_id", flat=True)) == {w.depot.pk, w.workshop.pk, w.other_depot.pk}
    assert set(entries.values_list("business_system_id", flat=True)) == {w.system.pk, w.other_system.pk}
    disagreeing = entries.exclude(competition_id=F("rule__competition_id"), unit_id=F("worker__unit_id"),
                                  job_type_id=F("rule__job_type_id"),
                                  business_system_id=F("rule__job_type__business_system_id"))
    assert list(disagreeing.values("pk", "competition_id", "unit_id", "job_type_id", "business_system_id")) == []
    assert set(entries.filter(worker=w.carol).values_list("entered_by_id", flat=True)) == {w.other_clerk.pk}
    assert set(entries.exclude(worker=w.carol).values_list("entered_by_id", flat=True)) == {w.clerk.pk}


def test_a_batch_spanning_two_months_finds_the_entries_already_there_in_both(w, day):
    # given entries already there in this month and the month before (two partitions), and one between them
    earlier = day.replace(day=1) - timedelta(days=20)
    for worker, when in ((w.alice, earlier), (w.bob, day)):
        entry_create(actor=w.clerk, competition=w.comp, worker_id=worker.pk, rule_id=w.km.pk, work_date=when,
                     quantity="1")
    # when a batch names both again, with a new row between them
    rows = [EntryInput(w.alice.pk, w.km.pk, earlier, "2", row=1), EntryInput(w.bob.pk, w.km.pk, earlier, "2", row=2),
            EntryInput(w.bob.pk, w.km.pk, day, "2", row=3)]
    # then both duplicates are found, each in its own month's partition, and the new row is fine
    errors = EntryChecker(actor=w.clerk, competition=w.comp).check(rows).errors
    assert [(e.row, e.code) for e in errors] == [(1, "duplicate_entry"), (3, "duplicate_entry")]
