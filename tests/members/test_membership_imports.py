"""Membership files: enrollment forms and card numbers in bulk, all or nothing, problems by row and field."""

import csv
import io

import pytest
from openpyxl import Workbook, load_workbook

from members import membership as services
from members.membership_imports import (
    APPLICATIONS,
    CARDS,
    applications_import,
    bad_rows_csv,
    cards_import,
    check_applications,
    template_xlsx,
)
from members.models import MemberCard, MembershipApplication, MembershipStatus, Worker
from reviews.imports import ImportFileError
from reviews.validation import EntryRejected
from tests.members.membership_data import card_number, form_for, gender_of

pytestmark = pytest.mark.django_db

GENDER = {"M": "男", "F": "女"}


def row_for(worker, **changes):
    values = {"工号": worker.employee_no, "姓名": worker.name, "性别": GENDER[gender_of(worker)],
              "身份证号": worker.id_number, "出生日期": "", "手机号": "13800138000", "文化程度": "大专",
              "政治面貌": "群众", "职务": "司机", "申请日期": ""}
    values.update(changes)
    return [values[c] for c in APPLICATIONS.columns]


def xlsx(columns, rows) -> bytes:
    book = Workbook()
    book.active.append(list(columns))
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_a_clean_file_of_forms_is_saved_whole_and_the_workers_have_applied(m, f):
    workers = [f.worker(m.workshop, m.driver) for _ in range(5)]
    content = xlsx(APPLICATIONS.columns, [row_for(w) for w in workers])
    assert applications_import(actor=m.officer, name="forms.xlsx", content=content) == 5
    saved = MembershipApplication.objects.filter(worker__in=workers)
    assert saved.count() == 5 and set(saved.values_list("status", "submitted_by_id")) == {("submitted", m.officer.pk)}
    assert set(Worker.objects.filter(pk__in=[w.pk for w in workers]).values_list("membership_status", flat=True)) \
        == {MembershipStatus.APPLIED}
    # the forms are ready to be approved like any other
    assert services.applications_approve(actor=m.officer, application_ids=saved.values_list("id", flat=True)) == 5


def test_bad_rows_are_named_by_row_and_field_in_chinese_and_nothing_is_saved(m, f):
    good = f.worker(m.workshop, m.driver)
    services.application_submit(actor=m.clerk, form=form_for(m.bob))  # bob has an open form
    rows = [
        row_for(good),
        row_for(m.alice, 姓名="别人"),
        row_for(m.alice, 身份证号="110105198503120000"),
        row_for(m.bob),
        row_for(m.carol),  # of the other depot: not this officer's
        row_for(good),  # the same worker twice
        row_for(m.alice, 文化程度="博士后", 申请日期="2026-02-30"),
    ]
    content = xlsx(APPLICATIONS.columns, rows)
    before = MembershipApplication.objects.count()
    with pytest.raises(EntryRejected) as rejected:
        applications_import(actor=m.officer, name="forms.xlsx", content=content)
    found = {(e.row, e.label, e.code) for e in rejected.value.errors}
    assert {(3, "姓名", "name_mismatch"), (4, "身份证号", "id_check_digit"), (5, "工号", "application_open"),
            (6, "工号", "worker_unknown"), (7, "工号", "duplicate_worker"), (8, "文化程度", "education_invalid"),
            (8, "申请日期", "date_invalid")} <= found
    assert all(row != 2 for row, *_ in found)
    assert "第3行 姓名：姓名与职工档案不一致。" in [str(e) for e in rejected.value.errors]
    assert MembershipApplication.objects.count() == before
    assert Worker.objects.get(pk=good.pk).membership_status == MembershipStatus.NONE


def test_the_rows_to_fix_file_masks_id_numbers_and_escapes_formulas(m):
    out = io.StringIO()
    csv.writer(out).writerows([APPLICATIONS.columns, row_for(m.alice, 姓名='=HYPERLINK("http://x")')])
    parsed = check_applications(actor=m.officer, name="forms.csv", content=out.getvalue().encode("utf-8-sig"))
    text = bad_rows_csv(parsed).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == [*APPLICATIONS.columns, "错误说明"] and rows[1][0] == m.alice.employee_no
    assert rows[1][1].startswith("'=")
    assert m.alice.id_number not in text and m.alice.id_number[-4:] in text


def test_an_unreadable_or_incomplete_file_is_refused_as_a_whole(m):
    with pytest.raises(ImportFileError):
        check_applications(actor=m.officer, name="forms.xlsx", content=b"not a zip")
    with pytest.raises(ImportFileError, match="缺少列"):
        check_applications(actor=m.officer, name="forms.csv", content="工号,姓名\nE1,张三\n".encode())
    with pytest.raises(ImportFileError):
        check_applications(actor=m.officer, name="forms.pdf", content=b"%PDF")


def test_the_templates_open_and_list_the_columns_and_options():
    book = load_workbook(io.BytesIO(template_xlsx(APPLICATIONS)))
    assert [c.value for c in book.worksheets[0][1]] == list(APPLICATIONS.columns)
    assert "大专" in [c.value for c in book.worksheets[1]["A"]]
    assert "群众" in [c.value for c in book.worksheets[1]["B"]]
    cards = load_workbook(io.BytesIO(template_xlsx(CARDS)))
    assert [c.value for c in cards.worksheets[0][1]] == ["工号", "卡号", "发卡日期"]


def _members(m, f, n):
    workers = [f.worker(m.depot, m.driver) for _ in range(n)]
    ids = [services.application_submit(actor=m.staff, form=form_for(w)).pk for w in workers]
    services.applications_approve(actor=m.staff, application_ids=ids)
    return workers


def test_card_numbers_from_the_issuer_are_imported_whole_with_their_history(m, f):
    workers = _members(m, f, 3)
    issued = Worker.objects.get(pk=workers[0].pk).joined_on.isoformat()  # the day they joined (today)
    content = xlsx(CARDS.columns, [[w.employee_no, card_number(i), issued] for i, w in enumerate(workers)])
    assert cards_import(actor=m.staff, name="cards.xlsx", content=content) == 3
    for i, w in enumerate(workers):
        card = MemberCard.objects.get(worker=w)
        assert (card.number, card.status, str(card.issued_on)) == (card_number(i), "issued", issued)
        assert list(card.events.values_list("status", flat=True)) == ["issued"]
        assert Worker.objects.get(pk=w.pk).member_card_no == card_number(i)


def test_a_card_number_on_record_as_another_workers_is_taken_in_the_import_and_on_the_page(m, f):
    # given a worker whose card number is on record without a card (as an import of workers sets it)
    workers = _members(m, f, 2)
    Worker.objects.filter(pk=m.carol.pk).update(member_card_no=card_number(8))
    Worker.objects.filter(pk=workers[1].pk).update(member_card_no=card_number(9))
    # then issuing that number to someone else is refused with a message (was a 500), in the import and the service
    with pytest.raises(EntryRejected) as rejected:
        cards_import(actor=m.staff, name="cards.xlsx", content=xlsx(CARDS.columns, [
            [workers[0].employee_no, card_number(8), ""]]))
    assert [(e.row, e.field, e.code) for e in rejected.value.errors] == [(2, "card_number", "card_number_taken")]
    with pytest.raises(services.MembershipRefused) as refused:
        services.card_issue(actor=m.staff, worker_id=workers[0].pk, number=card_number(8))
    assert refused.value.code == "card_number_taken" and not MemberCard.objects.exists()
    # while the worker whose number it is gets the card for it
    assert cards_import(actor=m.staff, name="cards.xlsx", content=xlsx(CARDS.columns, [
        [workers[1].employee_no, card_number(9), ""]])) == 1
    # and full-width digits are a format error at once, not a conflict after the preview
    with pytest.raises(EntryRejected) as rejected:
        cards_import(actor=m.staff, name="cards.xlsx", content=xlsx(CARDS.columns, [
            [workers[0].employee_no, card_number(1).translate(str.maketrans("0123456789", "０１２３４５６７８９")), ""]]))
    assert [e.code for e in rejected.value.errors] == ["card_number_invalid"]

def test_bad_card_rows_leave_every_card_unissued(m, f):
    workers = _members(m, f, 2)
    services.card_issue(actor=m.staff, worker_id=workers[1].pk, number=card_number(9))
    rows = [[workers[0].employee_no, card_number(1), ""],
            [workers[0].employee_no, card_number(2), ""],  # the same member twice
            [workers[1].employee_no, card_number(3), ""],  # already holds a live card
            [m.carol.employee_no, card_number(4), ""],  # not a member
            ["NOBODY", card_number(5), ""],
            [workers[0].employee_no, card_number(1)[:-1] + str((int(card_number(1)[-1]) + 1) % 10), ""],
            [workers[0].employee_no, card_number(9), ""],  # taken
            [workers[0].employee_no, card_number(6), "2000-01-01"],  # before the member joined (as the page)
            [workers[0].employee_no, card_number(7), "2999-01-01"]]  # in the future
    with pytest.raises(EntryRejected) as rejected:
        cards_import(actor=m.staff, name="cards.xlsx", content=xlsx(CARDS.columns, rows))
    found = {(e.row, e.field, e.code) for e in rejected.value.errors}
    assert {(3, "worker", "duplicate_worker"), (4, "worker", "card_live"), (5, "worker", "not_a_member"),
            (6, "worker", "worker_unknown"), (7, "card_number", "card_number_invalid"),
            (8, "card_number", "card_number_taken"), (9, "issued_on", "date_before_joining"),
            (10, "issued_on", "date_in_future")} <= found
    assert MemberCard.objects.count() == 1


def test_forms_and_cards_name_workers_by_full_width_employee_numbers(m, f):
    from tests.factories import ime_typed

    worker = f.worker(m.workshop, m.driver)
    content = xlsx(APPLICATIONS.columns, [row_for(worker, 工号=ime_typed(worker.employee_no))])
    assert applications_import(actor=m.officer, name="forms.xlsx", content=content) == 1
    assert MembershipApplication.objects.filter(worker=worker).exists()
    member = _members(m, f, 1)[0]
    issued = Worker.objects.get(pk=member.pk).joined_on.isoformat()
    content = xlsx(CARDS.columns, [[ime_typed(member.employee_no), card_number(1), issued]])
    assert cards_import(actor=m.staff, name="cards.xlsx", content=content) == 1
    assert MemberCard.objects.filter(worker=member).exists()
