"""Skill certificates in bulk from a spreadsheet, and the checks every certificate passes (one by one too).

The file is read as the entry import reads its files (reviews.imports.read_table: .xlsx or .csv, measured
first). Its rows are resolved in a fixed number of queries whatever their number (workers by employee number,
job types, the certificate numbers already registered) and checked; the file is written all or nothing:
any row with a problem and nothing is saved. Row numbers in messages are the spreadsheet's own (the header
is row 1).
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import date

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from competitions.models import JobType
from config.pgbulk import values_in
from config.spreadsheets import cell_date
from config.text import typed_code
from members.models import SkillGrade
from members.skills import (
    CERTIFICATE_NO_MAX,
    ISSUING_BODY_MAX,
    OWN_CERTIFICATE,
    CertificateInput,
    check_assessed_on,
    grade_from_text,
    is_own_worker,
    taken_numbers,
    workers_gradable_by,
)
from reviews.imports import ImportFileError, _cell_text, read_table
from reviews.imports import bad_rows_csv as entries_bad_rows_csv
from reviews.imports import bad_rows_xlsx as entries_bad_rows_xlsx
from reviews.validation import RowError

COLUMNS = ["工号", "姓名", "技能等级", "工种", "证书编号", "评定日期", "发证机构"]
REQUIRED = ["工号", "技能等级", "证书编号", "评定日期", "发证机构"]
MAX_ROWS = 50_000


class SkillChecker:
    """Checks certificates on behalf of one person: the worker is one they may enter grades for and not their
    own record (own_certificate), the grade one of the eight, the job type known (the worker's own when not
    stated), the number and the issuing body given and the number not yet registered by that body (nor twice
    in one batch), the date not in the future nor before the worker was born. Each message names the column
    it is about (RowError.field is the column's Chinese name)."""

    def __init__(self, *, actor):
        self.actor = actor
        self.today = timezone.localdate()

    def workers(self, employee_nos) -> dict[str, tuple[int, str, int, str]]:
        """Employee number -> (worker id, name, job type id, ID number) of the workers the actor may grade (one
        query); others read as unknown, so nobody can probe for another unit's workers."""
        return {emp: (pk, name, job_type, id_number) for pk, emp, name, job_type, id_number
                in workers_gradable_by(self.actor).filter(values_in("employee_no", employee_nos, "text")).order_by()
                .values_list("pk", "employee_no", "name", "job_type_id", "id_number")}

    @staticmethod
    def job_types() -> dict[str, int | None]:
        """Code and name -> job type id; a name used in two business systems maps to None (ambiguous)."""
        found: dict[str, int | None] = {}
        names: dict[str, int | None] = {}
        for pk, code, name in JobType.objects.order_by().values_list("pk", "code", "name"):
            found[code] = pk
            names[name] = None if name in names else pk
        return {**names, **found}

    @staticmethod
    def own_error(row: int) -> RowError:
        return RowError(row, "工号", str(OWN_CERTIFICATE), "own_certificate")

    def taken_error(self, row: int) -> list[RowError]:
        return [RowError(row, "证书编号", _("该发证机构的此证书编号已登记。"), "certificate_taken")]

    def check_one(self, *, worker_id: int, grade: int, job_type_id: int | None, certificate_no: str,
                  assessed_on: date, issuing_body: str) -> tuple[CertificateInput | None, list[RowError]]:
        """A certificate entered on a form or through the API (row 1)."""
        certificate_no, issuing_body = certificate_text(certificate_no), certificate_text(issuing_body)
        found, id_number = workers_gradable_by(self.actor).filter(pk=worker_id).values_list(
            "job_type_id", "id_number").first() or (None, None)
        errors = []
        if found is None:
            errors.append(RowError(1, "工号", _("找不到该职工，或您不能为该职工录入技能等级。"), "worker_not_gradable"))
        elif is_own_worker(self.actor, worker_id):
            errors.append(self.own_error(1))
        if grade not in SkillGrade.values:
            errors.append(RowError(1, "技能等级", _("技能等级应为新八级工之一。"), "grade_invalid"))
        if job_type_id is not None and not JobType.objects.filter(pk=job_type_id).exists():
            errors.append(RowError(1, "工种", _("工种不存在。"), "job_type_unknown"))
        errors += self._text_errors(1, certificate_no, issuing_body)
        if (why := check_assessed_on(assessed_on, self.today, id_number=id_number)) is not None:
            errors.append(RowError(1, "评定日期", *why))
        if not errors and taken_numbers({(issuing_body.strip(), certificate_no.strip())}):
            errors += self.taken_error(1)
        if errors:
            return None, errors
        return CertificateInput(worker_id, grade, job_type_id or found, certificate_no.strip(), assessed_on,
                                issuing_body.strip()), []

    @staticmethod
    def _text_errors(row: int, certificate_no: str, issuing_body: str) -> list[RowError]:
        errors = []
        if not certificate_no.strip():
            errors.append(RowError(row, "证书编号", _("请填写证书编号。"), "certificate_no_missing"))
        elif len(certificate_no.strip()) > CERTIFICATE_NO_MAX:
            errors.append(RowError(row, "证书编号", _("证书编号最多%(n)s个字符。") % {"n": CERTIFICATE_NO_MAX},
                                   "certificate_no_too_long"))
        if not issuing_body.strip():
            errors.append(RowError(row, "发证机构", _("请填写发证机构。"), "issuing_body_missing"))
        elif len(issuing_body.strip()) > ISSUING_BODY_MAX:
            errors.append(RowError(row, "发证机构", _("发证机构最多%(n)s个字符。") % {"n": ISSUING_BODY_MAX},
                                   "issuing_body_too_long"))
        return errors


def certificate_text(text: str) -> str:
    """A certificate number or issuing body as compared and stored: full-width letters and digits as their
    ASCII forms (ＱＡ-0001 is QA-0001, which the same body may not issue twice), invisible characters and
    whitespace at the ends dropped (one made of nothing visible is no number)."""
    return typed_code(text)

@dataclass
class ParsedFile:
    rows: list[CertificateInput] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    total: int = 0
    texts: dict[int, list[str]] = field(default_factory=dict, repr=False)  # row -> texts
    table: list[list] = field(default_factory=list, repr=False)  # the file as read, for the bad-rows file

    def cells(self, row: int) -> list[str]:
        return self.texts.get(row, [""] * len(COLUMNS))


def check_file(*, actor, name: str, content: bytes) -> ParsedFile:
    """Read and check a whole file; ``errors`` lists every problem, by row then column. Raises ImportFileError
    for a file that cannot be read as a whole."""
    from reviews.imports import collector_paused

    with collector_paused():
        return check_table(checker=SkillChecker(actor=actor), table=read_table(name, content))


def check_table(*, checker: SkillChecker, table: list[list]) -> ParsedFile:
    if not table:
        raise ImportFileError(gettext_noop("文件是空的。"))
    header = [_cell_text(c) for c in table[0]]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise ImportFileError(gettext_noop("缺少列：%(cols)s。请使用下载的模板。"), cols="、".join(missing))
    index = {name: header.index(name) for name in COLUMNS if name in header}
    body = []
    for n, row in enumerate(table[1:], start=2):
        texts = [_cell_text(row[i]) if (i := index.get(c)) is not None and i < len(row) else "" for c in COLUMNS]
        texts[4], texts[6] = certificate_text(texts[4]), certificate_text(texts[6])  # 证书编号, 发证机构
        texts[0] = typed_code(texts[0])  # 工号, as typed with a Chinese input method: １１０００４４６
        if any(texts):
            raw_date = row[index["评定日期"]] if index["评定日期"] < len(row) else ""
            body.append((n, texts, raw_date))
    if len(body) > MAX_ROWS:
        raise ImportFileError(gettext_noop("一次最多导入%(max)s行，请分批导入。"), max=MAX_ROWS)

    workers = checker.workers({texts[0] for _, texts, _d in body})
    job_types = checker.job_types() if any(texts[3] for _, texts, _d in body) else {}
    taken = taken_numbers({(texts[6], texts[4]) for _, texts, _d in body if texts[4] and texts[6]})
    parsed = ParsedFile(total=len(body), table=table)
    errors, good = parsed.errors, parsed.rows
    seen: dict[tuple[str, str], int] = {}
    today = checker.today
    for n, texts, raw_date in body:
        emp, given_name, grade_text, job_type_text, number, day_text, body_name = texts
        before = len(errors)
        worker = workers.get(emp)
        if not emp:
            errors.append(RowError(n, "工号", _("请填写工号。"), "worker_missing"))
        elif worker is None:
            errors.append(RowError(n, "工号", _("找不到该职工，或您不能为该职工录入技能等级。"), "worker_not_gradable"))
        elif is_own_worker(checker.actor, worker[0]):
            errors.append(checker.own_error(n))
        elif given_name and given_name != worker[1]:
            errors.append(RowError(n, "姓名", _("姓名与工号不一致（系统中为 %(name)s）。") % {"name": worker[1]},
                                   "name_mismatch"))
        grade = grade_from_text(grade_text)
        if grade is None:
            errors.append(RowError(n, "技能等级", _("技能等级应为新八级工之一（如“高级工”，或1至8）。"),
                                   "grade_invalid"))
        job_type_id = None
        if job_type_text:
            job_type_id = job_types.get(job_type_text)
            if job_type_id is None:
                errors.append(RowError(n, "工种", _("工种“%(name)s”不存在或名称不唯一，请填写工种编码。") % {
                    "name": job_type_text}, "job_type_unknown"))
        elif worker is not None:
            job_type_id = worker[2]
        errors += checker._text_errors(n, number, body_name)
        try:
            day = cell_date(raw_date)
        except ValueError as exc:
            errors.append(RowError(n, "评定日期", str(exc), "date_invalid"))
            day = None
        else:
            if day is None:
                errors.append(RowError(n, "评定日期", _("请填写评定日期。"), "date_missing"))
            elif (why := check_assessed_on(day, today, id_number=worker[3] if worker else None)) is not None:
                errors.append(RowError(n, "评定日期", *why))
        key = (body_name, number)
        if number and body_name:
            if key in taken:
                errors += checker.taken_error(n)
            elif key in seen:
                errors.append(RowError(n, "证书编号", _("与第%(row)s行的证书编号重复。") % {"row": seen[key]},
                                       "certificate_repeated"))
            else:
                seen[key] = n
        if len(errors) > before:
            parsed.texts[n] = texts
        else:
            good.append(CertificateInput(worker[0], grade, job_type_id, number, day, body_name, n))
    order = {c: i for i, c in enumerate(COLUMNS)}
    errors.sort(key=lambda e: (e.row, order.get(e.field, 99)))
    return parsed


def certificates_import(*, actor, name: str, content: bytes) -> int:
    """A file of certificates, all or nothing: raises CertificateRejected (nothing written) when any row has
    a problem, ImportFileError when the file cannot be read; returns how many were written."""
    from django.db import transaction

    from members.skills import WRITE_RACES, CertificateRejected, certificates_add

    parsed = check_file(actor=actor, name=name, content=content)
    if parsed.errors:
        raise CertificateRejected(parsed.errors)
    try:
        with transaction.atomic():
            return certificates_add(actor=actor, rows=parsed.rows)
    except WRITE_RACES:
        # A number registered by someone else between the check and the write.
        raise CertificateRejected([RowError(0, "证书编号", _("其中有证书编号刚被他人登记，请重新上传预览。"),
                                            "certificate_taken")]) from None


def template_xlsx() -> bytes:
    """The template: the header, an example row, and a sheet of the eight grades and the job types."""
    from openpyxl import Workbook

    from config.spreadsheets import xlsx_append

    book = Workbook()
    sheet = book.active
    sheet.title = "技能等级"
    sheet.append(COLUMNS)
    sheet.append(["E000001", "张三", "高级工", "", "BJ2026-000123", timezone.localdate().isoformat(),
                  "北京市职业技能鉴定指导中心"])
    for column, width in zip("ABCDEFG", (12, 10, 10, 14, 18, 12, 28), strict=True):
        sheet.column_dimensions[column].width = width
    grades = book.create_sheet("等级与工种")
    grades.append(["等级", "等级名称", "", "工种编码", "工种名称", "业务系统"])
    job_types = list(JobType.objects.select_related("business_system").order_by("business_system__sort_order", "code")
                     .values_list("code", "name", "business_system__name"))
    for i in range(max(len(SkillGrade.choices), len(job_types))):
        grade = SkillGrade.choices[i] if i < len(SkillGrade.choices) else (None, "")
        job = job_types[i] if i < len(job_types) else ("", "", "")
        xlsx_append(grades, [grade[0], str(grade[1]), "", *job])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def bad_rows_csv(parsed: ParsedFile) -> bytes:
    """The rows with problems as they were uploaded (every column), with an error column: fix them and
    import the same file again (the entry import's bad-rows file)."""
    return entries_bad_rows_csv(parsed)


def bad_rows_xlsx(parsed: ParsedFile) -> bytes:
    return entries_bad_rows_xlsx(parsed)
