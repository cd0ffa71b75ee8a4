"""Skill grades (新八级工): each worker's certificates, and their current grade.

A certificate records one assessment: the grade, the job type it was assessed in (the worker's own unless
stated), the certificate number, the assessment date and the issuing body. The worker's current grade is
the grade of their latest certificate (latest assessment date, then the later entry), kept in
``Worker.skill_grade`` by the services here in the same transaction as the certificates they write, so
every page, list and filter reads one column instead of a per-worker subquery. A worker without any
certificate keeps the grade the record was created with.

Who may enter: a person who may enter grades for a worker is a clerk of the worker's unit (or above it), a
union officer of it, or union staff (``workers_gradable_by``), never for their own worker record
(``is_own_worker``). Who may see a certificate: the same people,
and the worker themself (``SkillCertificateQuerySet.visible_to``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import psycopg
from django.conf import settings
from django.db import IntegrityError, connection, models, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from psycopg import sql

from members.models import SkillGrade, Worker
from members.querysets import unit_subtree_q
from members.scope import scope_of
from members.validators import birth_date_of

CERTIFICATE_NO_MAX = 40
ISSUING_BODY_MAX = 100


def _unit_paths(scope) -> tuple[str, ...]:
    """The unit subtrees a person enters grades for: a clerk's units and a union officer's units."""
    return (*scope.clerk_unit_paths, *scope.union_unit_paths)


def workers_gradable_by(user):
    """The workers ``user`` may enter skill certificates for: staff everyone; a clerk or a union officer the
    workers of their units (subunits included); anyone else nobody."""
    scope = scope_of(user)
    if scope.is_staff:
        return Worker.objects.all()
    paths = _unit_paths(scope)
    if not paths:
        return Worker.objects.none()
    return Worker.objects.filter(unit_subtree_q(paths, "unit__path"))


def is_own_worker(user, worker_id: int | None) -> bool:
    """Whether ``worker_id`` is ``user``'s own worker record. A clerk, union officer or member of staff who is a
    worker does not record their own certificate (it sets their own grade); another person does. SkillChecker
    refuses it (own_certificate) on the form and in a file alike; workers_gradable_by keeps them, so that the
    refusal says why instead of "not found"."""
    return worker_id is not None and worker_id == scope_of(user).worker_id


OWN_CERTIFICATE = gettext_lazy("不能登记本人的技能等级证书，请由其他录入员或工会干部登记。")


class SkillCertificateQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Staff see every certificate; clerks and union officers those of their units' workers; a worker
        their own. A reviewer's business systems do not extend to grades."""
        scope = scope_of(user)
        if scope.is_staff:
            return self
        q = Q(pk__in=[])
        paths = _unit_paths(scope)
        if paths:
            q |= unit_subtree_q(paths, "worker__unit__path")
        if scope.is_worker:
            q |= Q(worker_id=scope.worker_id)
        return self.filter(q)


class SkillCertificate(models.Model):
    """One skill assessment of a worker (a 新八级工 certificate). The number is unique per issuing body."""

    worker = models.ForeignKey(Worker, verbose_name=gettext_lazy("职工"), on_delete=models.CASCADE,
                               related_name="skill_certificates")
    grade = models.PositiveSmallIntegerField(gettext_lazy("技能等级"), choices=SkillGrade.choices)
    job_type = models.ForeignKey("competitions.JobType", verbose_name=gettext_lazy("工种"), on_delete=models.PROTECT,
                                 related_name="+")
    certificate_no = models.CharField(gettext_lazy("证书编号"), max_length=CERTIFICATE_NO_MAX)
    assessed_on = models.DateField(gettext_lazy("评定日期"))
    issuing_body = models.CharField(gettext_lazy("发证机构"), max_length=ISSUING_BODY_MAX)
    entered_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=gettext_lazy("录入人"), null=True,
                                   on_delete=models.SET_NULL, related_name="+")
    entered_at = models.DateTimeField(gettext_lazy("录入时间"), default=timezone.now)

    objects = SkillCertificateQuerySet.as_manager()

    class Meta:
        app_label = "members"
        verbose_name = gettext_lazy("技能等级证书")
        verbose_name_plural = gettext_lazy("技能等级证书")
        ordering = ["worker", "-assessed_on", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["issuing_body", "certificate_no"], name="skillcert_no_unique_per_body",
                                    violation_error_message=gettext_lazy("该发证机构的此证书编号已登记。")),
            models.CheckConstraint(condition=Q(grade__gte=SkillGrade.APPRENTICE,
                                               grade__lte=SkillGrade.CHIEF_TECHNICIAN),
                                   name="skillcert_grade_valid",
                                   violation_error_message=gettext_lazy("技能等级应为新八级工之一。")),
            models.CheckConstraint(condition=~Q(certificate_no="") & ~Q(issuing_body=""),
                                   name="skillcert_number_and_body_given",
                                   violation_error_message=gettext_lazy("请填写证书编号和发证机构。")),
        ]
        indexes = [
            # The latest certificate of a worker (their current grade) and their history, newest first.
            models.Index(fields=["worker", "-assessed_on", "-id"], name="skillcert_worker_latest"),
        ]

    def __str__(self):
        return f"{self.worker_id} {self.get_grade_display()} {self.certificate_no}"


# --- Services ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class CertificateInput:
    """One certificate to write, already resolved to ids; ``row`` is the spreadsheet's row number."""

    worker_id: int
    grade: int
    job_type_id: int
    certificate_no: str
    assessed_on: date
    issuing_body: str
    row: int = 1


class CertificateRejected(Exception):
    """Nothing was written; ``errors`` are reviews.validation.RowError (the field is the column's name)."""

    def __init__(self, errors):
        super().__init__("; ".join(str(e) for e in errors))
        self.errors = errors


def grade_from_text(text: str) -> int | None:
    """A grade as a person writes it: its Chinese name (高级工) or its number (1-8); None otherwise."""
    text = text.strip()
    if text.isascii() and text.isdigit() and int(text) in SkillGrade.values:
        return int(text)
    return _GRADE_BY_LABEL.get(text)


_GRADE_BY_LABEL = {str(label): value for value, label in SkillGrade.choices}


def check_assessed_on(day: date, today: date | None = None, *,
                      id_number: str | None = None) -> tuple[str, str] | None:
    """Why ``day`` cannot be the assessment date of the worker with ``id_number``, as (message, code), or
    None: not in the future, and not before the worker was born (a year typed 0202 for 2022)."""
    if day > (today or timezone.localdate()):
        return _("评定日期不能晚于今天。"), "date_in_future"
    if id_number and day < birth_date_of(id_number):
        return _("评定日期不能早于职工的出生日期。"), "date_before_birth"
    return None


TAKEN_NUMBERS = """
SELECT n.body, n.number
FROM unnest(CAST(%(bodies)s AS text[]), CAST(%(numbers)s AS text[])) AS n(body, number)
WHERE EXISTS (SELECT 1 FROM {table} c WHERE c.issuing_body = n.body AND c.certificate_no = n.number)
"""


def taken_numbers(pairs: set[tuple[str, str]]) -> set[tuple[str, str]]:
    """Which (issuing body, certificate number) pairs are already registered: one query for any number."""
    if not pairs:
        return set()
    bodies, numbers = zip(*pairs, strict=True)
    statement = sql.SQL(TAKEN_NUMBERS).format(table=sql.Identifier(SkillCertificate._meta.db_table))
    with connection.cursor() as cursor:
        cursor.execute(statement.as_string(connection.connection), {"bodies": list(bodies), "numbers": list(numbers)})
        return {(body, number) for body, number in cursor.fetchall()}


# The current grade of each worker named: their latest certificate's.
REFRESH_GRADES = """
UPDATE {worker} w SET skill_grade = latest.grade, updated_at = now()
FROM (SELECT DISTINCT ON (c.worker_id) c.worker_id, c.grade
      FROM {certificate} c
      WHERE c.worker_id = ANY(CAST(%(workers)s AS bigint[]))
      ORDER BY c.worker_id, c.assessed_on DESC, c.id DESC) AS latest
WHERE w.id = latest.worker_id AND w.skill_grade IS DISTINCT FROM latest.grade
"""

LOCK_WORKERS = "SELECT id FROM {worker} WHERE id = ANY(CAST(%(workers)s AS bigint[])) ORDER BY id FOR UPDATE"


def _run(template: str, params: dict) -> None:
    statement = sql.SQL(template).format(worker=sql.Identifier(Worker._meta.db_table),
                                         certificate=sql.Identifier(SkillCertificate._meta.db_table))
    with connection.cursor() as cursor:
        cursor.execute(statement.as_string(connection.connection), params)


def lock_workers(worker_ids) -> None:
    """Row-locks the workers, in id order (two writers lock in the same order and cannot deadlock). Two
    transactions adding certificates for one worker would otherwise each compute the current grade from a
    snapshot without the other's certificate, and the later commit could leave an older grade; with the lock
    the second waits, and its refresh (a new statement under READ COMMITTED) sees the first's certificate."""
    _run(LOCK_WORKERS, {"workers": sorted(set(worker_ids))})


def refresh_grades(worker_ids) -> None:
    """Sets each worker's current grade from their latest certificate (one UPDATE)."""
    _run(REFRESH_GRADES, {"workers": sorted(set(worker_ids))})


# A number registered by someone else between the check and the write: COPY runs on psycopg's own cursor,
# so its error is psycopg's (Django's wrapper only converts errors of Django's cursors).
WRITE_RACES = (IntegrityError, psycopg.IntegrityError)

COLUMNS = ("worker_id", "grade", "job_type_id", "certificate_no", "assessed_on", "issuing_body", "entered_by_id",
           "entered_at")


@transaction.atomic
def certificates_add(*, actor, rows: list[CertificateInput]) -> int:
    """Writes checked certificates (one COPY) and refreshes their workers' current grades; returns how many.
    The rows must have been checked for ``actor`` (SkillChecker); the database's constraints stay the last
    word (a number registered meanwhile by someone else raises IntegrityError, rolling everything back)."""
    from config.bulk_load import load_rows

    if not rows:
        return 0
    workers = {r.worker_id for r in rows}
    lock_workers(workers)
    now = timezone.now()
    count = load_rows(SkillCertificate._meta.db_table, COLUMNS, (
        (r.worker_id, r.grade, r.job_type_id, r.certificate_no, r.assessed_on, r.issuing_body, actor.pk, now)
        for r in rows))
    refresh_grades(workers)
    return count


def certificate_create(*, actor, worker_id: int, grade: int, certificate_no: str, assessed_on: date,
                       issuing_body: str, job_type_id: int | None = None) -> SkillCertificate:
    """One certificate entered by hand, checked as an imported row is; raises CertificateRejected."""
    from members.skill_imports import SkillChecker

    checker = SkillChecker(actor=actor)
    with transaction.atomic():
        checked, errors = checker.check_one(worker_id=worker_id, grade=grade, job_type_id=job_type_id,
                                            certificate_no=certificate_no, assessed_on=assessed_on,
                                            issuing_body=issuing_body)
        if errors:
            raise CertificateRejected(errors)
        try:
            with transaction.atomic():
                certificates_add(actor=actor, rows=[checked])
        except WRITE_RACES:
            raise CertificateRejected(checker.taken_error(1)) from None
    return SkillCertificate.objects.get(issuing_body=checked.issuing_body, certificate_no=checked.certificate_no)
