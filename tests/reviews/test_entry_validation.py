from datetime import date, timedelta
from decimal import Decimal

import pytest

from reviews.models import EntryEvent, EntryStatus, WorkEntry
from reviews.services import entries_create, entry_create, entry_update
from reviews.validation import EntryInput, EntryRejected
from reviews.workflow import period_sign_off

pytestmark = pytest.mark.django_db


def create(w, actor=None, **kw):
    kw.setdefault("worker_id", w.alice.pk)
    kw.setdefault("rule_id", w.km.pk)
    kw.setdefault("work_date", w.day)
    kw.setdefault("quantity", "350")
    return entry_create(actor=actor or w.clerk, competition=w.comp, **kw)


@pytest.fixture(autouse=True)
def _day(w, today):
    w.day = today - timedelta(days=1)


def refused(w, **kw):
    with pytest.raises(EntryRejected) as error:
        create(w, **kw)
    assert WorkEntry.objects.count() == 0 or kw.get("_allow_existing")
    return error.value.first


def test_a_clerk_enters_one_entry_and_points_come_from_the_rule(w):
    entry = create(w)
    assert entry.points == Decimal("3.500") and entry.status == EntryStatus.PENDING
    assert (entry.unit_id, entry.business_system_id) == (w.workshop.pk, w.system.pk)
    assert list(EntryEvent.objects.values_list("action", flat=True)) == ["created"]


def test_a_clerk_cannot_enter_work_for_another_units_worker(w):
    error = refused(w, worker_id=w.carol.pk, rule_id=w.metres.pk)
    assert error.field == "worker" and error.code == "worker_not_enterable"
    assert "不属于您负责的单位" in error.message


def test_a_reviewer_or_worker_cannot_enter_work_at_all(w):
    for actor in (w.reviewer, w.alice_user):
        with pytest.raises(EntryRejected) as error:
            create(w, actor=actor)
        assert error.value.first.code == "worker_not_enterable"


def test_a_rule_of_another_job_type_is_refused(w):
    error = refused(w, rule_id=w.metres.pk)
    assert error.code == "rule_wrong_job_type" and "电力机车司机" in error.message


def test_a_date_outside_the_competition_or_in_the_future_is_refused(w, today):
    assert refused(w, work_date=date(today.year - 2, 6, 1)).code == "date_outside"
    assert refused(w, work_date=today + timedelta(days=1)).code == "date_future"


@pytest.mark.parametrize(("quantity", "message"), [
    ("-1", "工作量不能为负数。"), ("abc", "工作量必须是数字。"), ("1.2345", "工作量最多保留3位小数。"),
    ("1e30", "工作量过大。"), ("", "请填写工作量。"), ("NaN", "工作量必须是数字。"),
    ("1E+999999999", "工作量过大。"), ("-1E+999999999", "工作量不能为负数。"), ("1E-999999999", "工作量最多保留3位小数。"),
])
def test_a_bad_quantity_is_refused_with_its_message(w, quantity, message):
    error = refused(w, quantity=quantity)
    assert (error.field, error.message) == ("quantity", message)


def test_a_quantity_over_the_daily_cap_is_refused(w):
    error = refused(w, rule_id=w.trips.pk, quantity="7")
    assert error.code == "quantity_over_cap" and "6趟" in error.message
    assert create(w, rule_id=w.trips.pk, quantity="6").points == Decimal("12.000")


def test_a_second_entry_for_the_same_worker_rule_and_day_points_to_the_first(w):
    first = create(w)
    with pytest.raises(EntryRejected) as error:
        create(w, quantity="1")
    assert error.value.first.code == "duplicate_entry" and str(first.pk) in error.value.first.message
    assert WorkEntry.objects.count() == 1


def test_a_date_in_a_signed_off_month_is_refused(w, today):
    last_month = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
    period_sign_off(actor=w.reviewer, competition=w.comp, business_system=w.system, month=last_month)
    error = refused(w, work_date=last_month + timedelta(days=3))
    assert error.code == "month_locked"


def test_the_rule_in_force_on_the_work_date_prices_the_entry(w, f, today):
    from competitions.models import RuleVersion

    RuleVersion.objects.create(rule=w.km, effective_from=w.day, points_per_unit=Decimal("0.02"))
    before = create(w, work_date=w.day - timedelta(days=1), quantity="100")
    after = create(w, work_date=w.day, quantity="100")
    assert (before.points, after.points) == (Decimal("1.000"), Decimal("2.000"))


def test_a_batch_with_one_bad_row_saves_nothing_and_names_the_row(w):
    rows = [
        EntryInput(w.alice.pk, w.km.pk, w.day, "100", row=1),
        EntryInput(w.bob.pk, w.km.pk, w.day, "-5", row=2),
        EntryInput(w.bob.pk, w.trips.pk, w.day, "3", row=3),
    ]
    with pytest.raises(EntryRejected) as error:
        entries_create(actor=w.clerk, competition=w.comp, rows=rows)
    assert [(e.row, e.field) for e in error.value.errors] == [(2, "quantity")]
    assert str(error.value.errors[0]) == "第2行 工作量：工作量不能为负数。"
    assert WorkEntry.objects.count() == 0 and EntryEvent.objects.count() == 0


def test_a_batch_saves_only_the_good_rows_when_the_clerk_asks_explicitly(w):
    rows = [EntryInput(w.alice.pk, w.km.pk, w.day, "100", row=1), EntryInput(w.bob.pk, w.km.pk, w.day, "x", row=2)]
    result = entries_create(actor=w.clerk, competition=w.comp, rows=rows, save_valid_only=True)
    assert result.created_count == 1 and len(result.errors) == 1
    assert EntryEvent.objects.count() == 1


def test_a_batch_refuses_the_same_worker_rule_and_day_twice_within_itself(w):
    rows = [EntryInput(w.alice.pk, w.km.pk, w.day, "1", row=1), EntryInput(w.alice.pk, w.km.pk, w.day, "2", row=2)]
    with pytest.raises(EntryRejected) as error:
        entries_create(actor=w.clerk, competition=w.comp, rows=rows)
    assert error.value.first.code == "duplicate_in_batch" and "第1行" in error.value.first.message


def test_a_batch_checks_in_a_fixed_number_of_queries(w, f, django_assert_max_num_queries):
    def rows_for(workers):
        return [EntryInput(x.pk, w.km.pk, w.day, "10", row=i) for i, x in enumerate(workers, 1)]

    few = [f.worker(w.depot, w.driver) for _ in range(3)]
    many = [f.worker(w.depot, w.driver) for _ in range(40)]
    w.clerk._portal_scope = None
    with django_assert_max_num_queries(16) as small:
        entries_create(actor=w.clerk, competition=w.comp, rows=rows_for(few))
    w.clerk._portal_scope = None
    with django_assert_max_num_queries(16) as large:
        entries_create(actor=w.clerk, competition=w.comp, rows=rows_for(many))
    assert len(small.captured_queries) == len(large.captured_queries)


def test_an_idempotency_key_makes_a_retry_return_the_first_entry(w):
    first = create(w, idempotency_key="abc-1")
    again = create(w, idempotency_key="abc-1", quantity="999")
    assert again.pk == first.pk and WorkEntry.objects.count() == 1


def test_a_clerk_edits_a_pending_entry_and_the_audit_keeps_old_and_new(w):
    entry = create(w)
    entry_update(actor=w.clerk, entry_id=entry.pk, quantity="400")
    entry.refresh_from_db()
    assert entry.quantity == Decimal("400.000") and entry.points == Decimal("4.000")
    edit = EntryEvent.objects.get(action="edited")
    assert (edit.old_quantity, edit.new_quantity) == (Decimal("350.000"), Decimal("400.000"))


def test_another_units_clerk_cannot_edit_an_entry(w):
    entry = create(w)
    with pytest.raises(WorkEntry.DoesNotExist):
        entry_update(actor=w.other_clerk, entry_id=entry.pk, quantity="1")
