"""Membership files from a union office: enrollment forms in bulk, and the issuer's card numbers.

Read as the clerks' entry files are (reviews.imports.read_table: .xlsx checked by config.spreadsheets
before it is opened, or CSV in UTF-8/GBK), resolved in bulk (employee numbers to workers, one query),
checked row by row with the same checks as a single form (members.membership.ApplicationChecker), and
written all or nothing: one row with a problem and nothing is saved. Row numbers are the spreadsheet's
own (the header is row 1).
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field

import psycopg
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from config.bulk_load import load_rows
from config.pgbulk import array, values_in
from config.spreadsheets import cell_date, xlsx_file
from config.stored_text import StoredText
from config.text import typed_code
from members.membership import (
    ApplicationChecker,
    ApplicationInput,
    MembershipRowError,
    card_date_refusal,
)
from members.models import (
    LIVE_CARD,
    ApplicationStatus,
    CardStatus,
    Education,
    MemberCard,
    MemberCardEvent,
    MembershipApplication,
    MembershipStatus,
    PoliticalStatus,
    Worker,
)
from members.validators import mask_id_number, mask_mobile, normalize_card_number, validate_card_number
from reviews.imports import ImportFileError, _cell_text, collector_paused, read_table
from reviews.imports import bad_rows_csv as entries_bad_rows_csv
from reviews.imports import bad_rows_xlsx as entries_bad_rows_xlsx
from reviews.validation import EntryRejected, local_today

MAX_ROWS = 50_000
# Columns the office's pages and the bad-rows file show masked: the bad-rows file is a list of problems,
# and leaves the office as attachments do.
MASKED = {"身份证号": mask_id_number}
# The preview page masks phones as well; the rows-to-fix file keeps them as typed, so that the file imports
# once corrected (an ID number masked there stands for the one on file, _id_number_given; a form's phone
# need not be on file, and a masked one could not be restored).
SHOWN_MASKED = {**MASKED, "手机号": mask_mobile}


@dataclass(frozen=True)
class FileKind:
    columns: tuple[str, ...]
    required: tuple[str, ...]
    fields: dict[str, str]  # column -> field name of the row errors
    example: tuple


APPLICATIONS = FileKind(
    columns=("工号", "姓名", "性别", "身份证号", "出生日期", "手机号", "文化程度", "政治面貌", "职务", "申请日期"),
    required=("工号", "姓名", "性别", "身份证号", "手机号", "文化程度", "政治面貌"),
    fields={"工号": "worker", "姓名": "name", "性别": "gender", "身份证号": "id_number", "出生日期": "birth_date",
            "手机号": "mobile", "文化程度": "education", "政治面貌": "political_status", "职务": "job_title",
            "申请日期": "applied_on"},
    example=("E000001", "张三", "男", "110105199001011234", "1990-01-01", "13800000000", "大专", "群众", "调车长",
             "2026-11-23"),
)
CARDS = FileKind(
    columns=("工号", "卡号", "发卡日期"),
    required=("工号", "卡号"),
    fields={"工号": "worker", "卡号": "card_number", "发卡日期": "issued_on"},
    example=("E000001", "6222021234567890128", "2026-11-23"),
)


@dataclass
class ParsedRows:
    kind: FileKind
    rows: list[tuple[int, dict[str, str], list]] = field(default_factory=list)  # (row, texts by column, cells)
    errors: list[MembershipRowError] = field(default_factory=list)
    ok: list[dict] = field(default_factory=list)
    table: list[list] = field(default_factory=list, repr=False)  # the file as read, for the bad-rows file
    _texts: dict[int, dict[str, str]] | None = field(default=None, repr=False)

    def cells(self, row: int) -> list[str]:
        """Row ``row`` (the spreadsheet's number) as read, one text per column of the kind, the ID number and
        the phone masked (the office's pages never show one whole)."""
        if self._texts is None:
            self._texts = {n: texts for n, texts, _cells in self.rows}
        texts = dict(self._texts.get(row, {}))
        for column, mask in SHOWN_MASKED.items():
            if texts.get(column):
                texts[column] = mask(texts[column])
        return [texts.get(c, "") for c in self.kind.columns]

    @property
    def total(self) -> int:
        return len(self.rows)

    @property
    def bad_rows(self) -> int:
        return len({e.row for e in self.errors})

    def sort_errors(self) -> None:
        order = list(self.kind.fields.values())
        self.errors.sort(key=lambda e: (e.row, order.index(e.field) if e.field in order else len(order)))


def _table_rows(kind: FileKind, table: list[list]) -> ParsedRows:
    if not table:
        raise ImportFileError(gettext_noop("文件是空的。"))
    header = [_cell_text(c) for c in table[0]]
    missing = [c for c in kind.required if c not in header]
    if missing:
        raise ImportFileError(gettext_noop("缺少列：%(cols)s。请使用下载的模板。"), cols="、".join(missing))
    index = {name: header.index(name) for name in kind.columns if name in header}
    parsed = ParsedRows(kind=kind, table=table)
    for n, row in enumerate(table[1:], start=2):
        cells = {name: row[i] if i < len(row) else None for name, i in index.items()}
        texts = {name: _cell_text(value) for name, value in cells.items()}
        if "工号" in texts:
            texts["工号"] = typed_code(texts["工号"])  # as typed with a Chinese input method: １１０００４４６
        if any(texts.values()):
            parsed.rows.append((n, texts, cells))
    if len(parsed.rows) > MAX_ROWS:
        raise ImportFileError(gettext_noop("一次最多导入%(max)s行，请分批导入。"), max=MAX_ROWS)
    return parsed


def _workers_by_employee_no(queryset, numbers, *more) -> dict[str, dict]:
    numbers = [n for n in numbers if n]  # read as typed_code reads them (_table_rows)
    rows = queryset.filter(values_in("employee_no", numbers, "text")).values("id", "employee_no", "membership_status",
                                                                            *more)
    return {row["employee_no"]: row for row in rows}


def _id_number_given(text: str, worker: dict | None) -> str:
    """The ID number a row gives. The bad-rows file masks ID numbers (MASKED); sent back corrected, a
    masked number that is the worker's on file stands for it, as a masked export does in the admin's
    worker import. Any other text is checked as typed."""
    if worker is not None and "*" in text and text == mask_id_number(worker["id_number"]):
        return worker["id_number"]
    return text


# -- enrollment forms ----------------------------------------------------------------------------------

def check_applications(*, actor, name: str, content: bytes) -> ParsedRows:
    """Reads and checks a file of forms for the workers ``actor`` keeps the membership of (a union
    officer's units, or everyone for staff); nothing is written."""
    with collector_paused():
        parsed = _table_rows(APPLICATIONS, read_table(name, content))
        workers_qs = Worker.objects.membership_kept_by(actor)
        workers = _workers_by_employee_no(workers_qs, {texts["工号"] for _, texts, _ in parsed.rows}, "id_number")
        inputs = []
        for n, texts, cells in parsed.rows:
            found = workers.get(texts["工号"])
            if not texts["工号"]:
                parsed.errors.append(MembershipRowError(n, "worker", _("请填写工号。"), "worker_missing"))
                continue
            inputs.append(ApplicationInput(
                worker_id=found["id"] if found else None, name=texts["姓名"], gender=texts["性别"],
                id_number=_id_number_given(texts["身份证号"], found), birth_date=cells.get("出生日期"),
                mobile=texts["手机号"],
                education=texts["文化程度"], political_status=texts["政治面貌"], job_title=texts.get("职务", ""),
                applied_on=cells.get("申请日期"), row=n))
        checked = ApplicationChecker(workers=workers_qs).check(inputs)
    parsed.errors.extend(checked.errors)
    parsed.ok = checked.ok
    parsed.sort_errors()
    return parsed


_APPLICATION_COLUMNS = ("worker_id", "unit_id", "name", "gender", "id_number", "birth_date", "mobile", "education",
                        "political_status", "job_title", "applied_on", "status", "reason", "submitted_by_id",
                        "created_at", "updated_at")


def applications_import(*, actor, name: str, content: bytes) -> int:
    """Every form of the file, or none: raises EntryRejected (listing every problem by row and field)
    when any row has one, ImportFileError when the file cannot be read. Returns how many were saved."""
    with collector_paused(), transaction.atomic():
        parsed = check_applications(actor=actor, name=name, content=content)
        if parsed.errors:
            raise EntryRejected(parsed.errors)
        now = timezone.now()
        try:
            with transaction.atomic():
                count = load_rows(MembershipApplication._meta.db_table, _APPLICATION_COLUMNS, (
                    (r["worker_id"], r["unit_id"], r["name"], r["gender"], r["id_number"], r["birth_date"], r["mobile"],
                     r["education"], r["political_status"], r["job_title"], r["applied_on"],
                     ApplicationStatus.SUBMITTED.value, "", actor.pk, now, now) for r in parsed.ok))
        except (IntegrityError, psycopg.IntegrityError):  # a form for one of them was saved meanwhile
            raise EntryRejected([MembershipRowError(
                0, "application", StoredText(gettext_noop("其中有职工刚被他人提交了入会申请，请重新预览后再导入。")),
                "application_open")]) from None
        Worker.objects.filter(pk__in=_id_array([r["worker_id"] for r in parsed.ok])).update(
            membership_status=MembershipStatus.APPLIED, updated_at=now)
    return count


def _id_array(ids):
    from django.db.models.expressions import RawSQL

    return RawSQL("SELECT unnest(%s::bigint[])", (array(ids, "number"),))


# -- card numbers from the issuer ----------------------------------------------------------------------

def check_cards(*, actor, name: str, content: bytes) -> ParsedRows:
    """Reads and checks a file of card numbers (staff only: the caller's gate); nothing is written."""
    with collector_paused():
        parsed = _table_rows(CARDS, read_table(name, content))
        workers = _workers_by_employee_no(Worker.objects.all(), {texts["工号"] for _, texts, _ in parsed.rows},
                                          "joined_on")
        numbers = {normalize_card_number(texts["卡号"]) for _, texts, _ in parsed.rows}
        taken = set(MemberCard.objects.filter(values_in("number", numbers, "text")).values_list("number", flat=True))
        # a card number on record as another worker's (an import of workers sets it without a card) is taken too
        on_record = dict(Worker.objects.filter(values_in("member_card_no", numbers, "text"))
                         .values_list("member_card_no", "id"))
        live = set(MemberCard.objects.filter(status__in=LIVE_CARD, worker_id__in=[w["id"] for w in workers.values()])
                   .values_list("worker_id", flat=True))
        seen_numbers: dict[str, int] = {}
        seen_workers: dict[int, int] = {}
        today = local_today()
        for n, texts, cells in parsed.rows:
            errors = []
            worker = workers.get(texts["工号"])
            if not texts["工号"]:
                errors.append(MembershipRowError(n, "worker", _("请填写工号。"), "worker_missing"))
            elif worker is None:
                errors.append(MembershipRowError(n, "worker", _("找不到该职工。"), "worker_unknown"))
            elif worker["membership_status"] != MembershipStatus.MEMBER:
                errors.append(MembershipRowError(n, "worker", _("该职工不是会员，不能发卡。"), "not_a_member"))
            elif worker["id"] in live:
                errors.append(MembershipRowError(n, "worker", _("该会员已有在用的互助服务卡。"), "card_live"))
            elif worker["id"] in seen_workers:
                errors.append(MembershipRowError(n, "worker", _("与第%(row)s行是同一会员。") % {
                    "row": seen_workers[worker["id"]]}, "duplicate_worker"))
            if worker is not None:
                seen_workers.setdefault(worker["id"], n)
            number = normalize_card_number(texts["卡号"])
            try:
                validate_card_number(number)
            except Exception as error:  # ValidationError: its message is the person's
                errors.append(MembershipRowError(n, "card_number", error.messages[0], "card_number_invalid"))
            else:
                holder = on_record.get(number)
                if number in taken or (holder is not None and (worker is None or holder != worker["id"])):
                    errors.append(MembershipRowError(n, "card_number", _("互助服务卡号已被使用。"),
                                                     "card_number_taken"))
                elif number in seen_numbers:
                    errors.append(MembershipRowError(n, "card_number", _("与第%(row)s行卡号重复。") % {
                        "row": seen_numbers[number]}, "duplicate_card_number"))
                seen_numbers.setdefault(number, n)
            try:
                issued_on = cell_date(cells.get("发卡日期")) or today
            except ValueError as error:
                errors.append(MembershipRowError(n, "issued_on", str(error), "date_invalid"))
            else:
                refusal = card_date_refusal(issued_on, worker["joined_on"] if worker else None, today)
                if refusal is not None:
                    errors.append(MembershipRowError(n, "issued_on", *refusal))
            if errors:
                parsed.errors.extend(errors)
            else:
                parsed.ok.append({"row": n, "worker_id": worker["id"], "number": number, "issued_on": issued_on})
    parsed.sort_errors()
    return parsed


def cards_import(*, actor, name: str, content: bytes) -> int:
    """Every card of the file, or none (as applications_import). Each card gets its 已发卡 history row
    and becomes its member's card number."""
    with collector_paused(), transaction.atomic():
        parsed = check_cards(actor=actor, name=name, content=content)
        if parsed.errors:
            raise EntryRejected(parsed.errors)
        now = timezone.now()
        try:
            with transaction.atomic():
                cards = MemberCard.objects.bulk_create([
                    MemberCard(worker_id=r["worker_id"], number=r["number"], issued_on=r["issued_on"],
                               status=CardStatus.ISSUED, created_by=actor, created_at=now) for r in parsed.ok])
        except IntegrityError:
            raise EntryRejected([MembershipRowError(
                0, "card_number", _("其中有卡号或会员刚被他人登记，请重新预览后再导入。"), "card_conflict")]) from None
        MemberCardEvent.objects.bulk_create([
            MemberCardEvent(card_id=card.pk, status=CardStatus.ISSUED, on=card.issued_on, actor=actor, created_at=now)
            for card in cards])
        by_worker = [(r["worker_id"], r["number"]) for r in parsed.ok]
        from django.db import connection

        try:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(
                    "UPDATE members_worker w SET member_card_no = c.number, updated_at = %s "
                    "FROM unnest(%s::bigint[], %s::text[]) AS c(worker_id, number) WHERE w.id = c.worker_id",
                    [now, array([w for w, _ in by_worker], "number"), array([n for _, n in by_worker], "text")])
        except IntegrityError:  # a worker's card number on record was set meanwhile
            raise EntryRejected([MembershipRowError(
                0, "card_number", _("其中有卡号或会员刚被他人登记，请重新预览后再导入。"), "card_conflict")]) from None
    return len(cards)


# -- templates and the rows to fix ----------------------------------------------------------------------

def template_xlsx(kind: FileKind) -> bytes:
    sheets = xlsx_file(list(kind.columns), [list(kind.example)], title=_("导入模板"))
    if kind is not APPLICATIONS:
        return sheets
    # The options of the two choice columns, on a second sheet (names must match exactly).
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(sheets))
    options = book.create_sheet(_("选项"))
    options.append(["文化程度", "政治面貌"])
    educations, political = [str(x) for x in Education.labels], [str(x) for x in PoliticalStatus.labels]
    for i in range(max(len(educations), len(political))):
        options.append([educations[i] if i < len(educations) else "", political[i] if i < len(political) else ""])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def bad_rows_csv(parsed: ParsedRows) -> bytes:
    """The rows with problems as they were uploaded (every column, in the file's order), with an error
    column (the entry import's bad-rows file): corrected, the file imports again. ID numbers are masked
    (MASKED); a masked one sent back stands for the number on file (_id_number_given)."""
    return entries_bad_rows_csv(parsed, MASKED)


def bad_rows_xlsx(parsed: ParsedRows) -> bytes:
    return entries_bad_rows_xlsx(parsed, MASKED)
