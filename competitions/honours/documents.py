"""The documents of a finalized award round: the 表彰名单 (an .xlsx) and the certificates (荣誉证书: one PDF,
one page per person or unit, to print).

Both are built once, in the background (``documents_request`` when staff finalize the round, then the
Celery task ``honours_documents_task`` calls ``documents_build``), from the round's final list, and stored
under MEDIA_ROOT/private: no URL serves that directory, staff download the files through the round's page
behind its gate. Once stored a file is frozen: the list it was built from cannot change any more (the round
is finalized) and ``documents_build`` never rewrites a stored file, so what was printed and what can be
downloaded later are the same bytes (``sha256`` of each is kept beside it and shown on the page).

The certificates need a Chinese font, embedded in the PDF (only the glyphs used: fpdf2 subsets TrueType
fonts), so that every printer shows the same characters. ``certificate_font`` finds one: the
CERTIFICATE_FONT setting, else WenQuanYi Micro Hei from the paperang-p2-fonts-cjk wheel (a dependency, so
every install has it, the Python-only demo included), else Debian's fonts-wqy packages. Without any, the
roster is still produced and the certificates fail with a message saying what to install, never a crash.
"""

from __future__ import annotations

import hashlib
import importlib.util
import logging
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage
from django.db import DatabaseError, models, transaction
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _

from competitions.honours.jobs import JobStatus, RoundJob, mark_stale, mark_unsent
from competitions.honours.models import AwardRound, Nominee, NomineeStatus, RoundStatus
from competitions.honours.services import RoundRefused
from config.formatting import display_date
from config.spreadsheets import xlsx_file
from config.stored_text import Listed, Refusal, StoredText
from config.tasks import send_on_commit

logger = logging.getLogger(__name__)
# fpdf2 subsets the font with fontTools, which logs every step of it at INFO, the glyph lists included:
# hundreds of lines per PDF in the worker's log, none of them news.
logging.getLogger("fontTools").setLevel(logging.WARNING)

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PDF_TYPE = "application/pdf"

# TrueType fonts with the common Chinese characters (fpdf2 embeds TrueType outlines; a .ttc's first face).
_DEBIAN_FONTS = ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc")
_FONT_PACKAGE = "paperang_p2_fonts_cjk"


class PrivateStorage(FileSystemStorage):
    """MEDIA_ROOT/private: files that only a gated view hands out. Follows MEDIA_ROOT when a test changes it
    (FileSystemStorage drops its cached location on that setting's change)."""

    @cached_property
    def base_location(self):
        return str(Path(settings.MEDIA_ROOT) / "private")

    @cached_property
    def base_url(self):
        return None


_private = PrivateStorage()


def private_storage() -> PrivateStorage:
    return _private


def document_path(instance: AwardDocuments, filename: str) -> str:
    """Where a round's file is stored, under the private storage: one folder per round."""
    return f"honours/round-{instance.round_id}/{filename}"


class AwardDocuments(RoundJob):
    """The 表彰名单 and certificates of one finalized round, as built by documents_build (see the module's
    docstring). ``status`` is the last build's: running, succeeded (both files stored) or failed (``error``
    says why; a file already stored stays, and a new request builds only what is missing)."""

    round = models.OneToOneField(AwardRound, verbose_name=_("评选"), on_delete=models.CASCADE,
                                 related_name="documents")
    roster = models.FileField(_("表彰名单"), upload_to=document_path, storage=private_storage, blank=True)
    roster_sha256 = models.CharField(_("表彰名单SHA-256"), max_length=64, blank=True)
    certificates = models.FileField(_("荣誉证书"), upload_to=document_path, storage=private_storage, blank=True)
    certificates_sha256 = models.CharField(_("荣誉证书SHA-256"), max_length=64, blank=True)
    pages = models.PositiveIntegerField(_("证书张数"), null=True, blank=True)

    class Meta:
        verbose_name = _("表彰名单和证书")
        verbose_name_plural = _("表彰名单和证书")
        constraints = [
            models.CheckConstraint(condition=models.Q(status__in=JobStatus.values),
                                   name="awarddocuments_status_valid"),
            models.CheckConstraint(condition=~models.Q(status=JobStatus.SUCCEEDED)
                                   | (~models.Q(roster="") & ~models.Q(certificates="")),
                                   name="awarddocuments_done_has_files"),
        ]

    def __str__(self):
        return f"{self.round_id} {self.status}"


class NoChineseFont(Refusal):
    """No font prints Chinese: the message (an id and facts, config.stored_text) tells staff what to install."""


class FontLacksCharacters(NoChineseFont):
    """The certificates' font has no glyph for some character they would print (a rare character of a
    name, such as 𠮷, or an emoji in the award's name): fpdf2 would leave it out of the PDF and only log a
    warning, and the certificates are frozen once stored. So nothing is stored and staff are told which
    characters of which names, to configure a font that has them (CERTIFICATE_FONT) and build again."""


# -- what goes on the documents -------------------------------------------------------------------------

@dataclass(frozen=True)
class Honoree:
    """One line of the final list, as the documents print it."""

    position: int
    name: str
    employee_no: str
    depot: str
    team: str
    job_type: str
    business_system: str
    approved_points: Decimal | None
    rank: int | None
    participants: int | None
    average_points: Decimal | None


def honourees(award_round: AwardRound) -> list[Honoree]:
    """The final list in its order (one query)."""
    rows = (Nominee.objects.filter(round=award_round, status=NomineeStatus.FINAL)
            .select_related("depot", "team", "job_type", "business_system", "unit")
            .order_by("position", "id"))
    return [Honoree(position=n, name=nominee.name, employee_no=nominee.employee_no,
                    depot=nominee.depot.name if nominee.depot else "",
                    team=nominee.team.name if nominee.team else "",
                    job_type=nominee.job_type.name if nominee.job_type else "",
                    business_system=nominee.business_system.name if nominee.business_system else "",
                    approved_points=nominee.approved_points, rank=nominee.rank,
                    participants=nominee.participants, average_points=nominee.average_points)
            for n, nominee in enumerate(rows, start=1)]


def roster_xlsx(award_round: AwardRound, people: list[Honoree]) -> bytes:
    """The 表彰名单: one row per honouree, Chinese headers, every text cell escaped (config.spreadsheets)."""
    if award_round.is_collective:
        headers = [gettext("序号"), gettext("单位"), gettext("站段"), gettext("参赛人数"),
                   gettext("人均已审核积分"), gettext("已审核积分合计"), gettext("名次")]
        rows = [[p.position, p.name, p.depot, p.participants, p.average_points, p.approved_points, p.rank]
                for p in people]
    else:
        headers = [gettext("序号"), gettext("工号"), gettext("姓名"), gettext("站段"), gettext("班组"),
                   gettext("工种"), gettext("业务系统"), gettext("积分"), gettext("名次")]
        rows = [[p.position, p.employee_no, p.name, p.depot, p.team, p.job_type, p.business_system,
                 p.approved_points, p.rank] for p in people]
    return xlsx_file(headers, rows, title=gettext("表彰名单"))


def certificate_font() -> Path:
    """A TrueType font with Chinese glyphs (see the module's docstring); NoChineseFont when there is none."""
    configured = getattr(settings, "CERTIFICATE_FONT", "")
    candidates = [Path(configured)] if configured else []
    spec = importlib.util.find_spec(_FONT_PACKAGE)
    if spec is not None and spec.submodule_search_locations:
        candidates += [Path(p) / "fonts" / "wqy-microhei.ttc" for p in spec.submodule_search_locations]
    candidates += [Path(p) for p in _DEBIAN_FONTS]
    for path in candidates:
        if path.is_file():
            return path
    raise NoChineseFont(gettext_noop(
        "没有可用的中文字体，无法生成证书。请安装依赖 paperang-p2-fonts-cjk（uv sync）或系统字体 "
        "fonts-wqy-microhei，或在 CERTIFICATE_FONT 中指定一个 TrueType 中文字体文件，然后重新生成。"))


@dataclass(frozen=True)
class CertificateTerms:
    """What every certificate of a round says besides the person: the award, the competition, who issues it
    and when, and the number prefix."""

    award: str
    competition: str
    issuers: list[str]
    issued: datetime
    collective: bool
    number_prefix: str


def certificate_terms(award_round: AwardRound) -> CertificateTerms:
    competition = award_round.competition
    return CertificateTerms(
        award=award_round.name, competition=competition.name,
        issuers=[organizer.name for organizer in competition.organizers.order_by("id")],
        issued=award_round.finalized_at or timezone.now(), collective=award_round.is_collective,
        number_prefix=str(award_round.pk))


def certificates_pdf(terms: CertificateTerms, people: list[Honoree], font: Path) -> bytes:
    """One A4 landscape page per honouree, the font embedded as a subset. The same terms, list and font give
    the same bytes: the document's date is the round's finalize time, and fpdf2 adds nothing random."""
    from fpdf import FPDF

    pdf = FPDF(orientation="L", unit="mm", format="A4")
    pdf.set_creation_date(terms.issued)
    pdf.set_title(f"{terms.award} · {gettext('荣誉证书')}")
    pdf.set_author("、".join(terms.issuers))
    pdf.set_auto_page_break(False)
    pdf.set_margins(30, 20, 30)
    pdf.add_font("cjk", "", str(font), collection_font_number=0)
    _refuse_missing_glyphs(pdf.fonts["cjk"].cmap, terms, people)
    for person in people:
        pdf.add_page()
        pdf.set_draw_color(178, 34, 34)
        pdf.set_line_width(1.6)
        pdf.rect(10, 10, 277, 190)
        pdf.set_line_width(0.4)
        pdf.rect(14, 14, 269, 182)
        pdf.set_text_color(178, 34, 34)
        pdf.set_font("cjk", size=40)
        pdf.set_y(30)
        pdf.cell(0, 20, gettext("荣誉证书"), align="C", new_x="LMARGIN", new_y="NEXT")
        pdf.set_text_color(31, 35, 40)
        pdf.set_font("cjk", size=20)
        pdf.set_y(66)
        if terms.collective:
            addressee = f"{person.name}："
            unit = person.depot if person.depot and person.depot != person.name else ""
        else:
            addressee = gettext("%(name)s 同志：") % {"name": person.name}
            # A worker placed straight under the depot has it as their team too: named once.
            unit = " ".join(dict.fromkeys(part for part in (person.depot, person.team) if part))
        pdf.multi_cell(0, 12, addressee, align="L", new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("cjk", size=16)
        if unit:
            pdf.multi_cell(0, 10, gettext("单位：%(unit)s") % {"unit": unit}, align="L",
                           new_x="LMARGIN", new_y="NEXT")
        pdf.ln(4)
        pdf.multi_cell(0, 11, gettext("在%(competition)s中成绩突出，经评选、公示，被评为") % {
            "competition": terms.competition}, align="L", new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("cjk", size=26)
        pdf.ln(2)
        pdf.multi_cell(0, 15, f"“{terms.award}”", align="C", new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("cjk", size=16)
        pdf.ln(2)
        pdf.cell(0, 10, gettext("特发此证，以资鼓励。"), align="L", new_x="LMARGIN", new_y="NEXT")
        pdf.set_y(150)
        for issuer in terms.issuers:
            pdf.cell(0, 9, issuer, align="R", new_x="LMARGIN", new_y="NEXT")
        pdf.cell(0, 9, display_date(terms.issued), align="R", new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("cjk", size=9)
        pdf.set_text_color(101, 109, 118)
        pdf.set_xy(30, 184)
        number = gettext("证书编号 %(prefix)s-%(position)03d") % {"prefix": terms.number_prefix,
                                                                 "position": person.position}
        if person.employee_no:
            number += f" · {gettext('工号')} {person.employee_no}"
        pdf.cell(0, 6, number, align="L")
    return bytes(pdf.output())


def _refuse_missing_glyphs(cmap, terms: CertificateTerms, people: list[Honoree]) -> None:
    """FontLacksCharacters naming every text of the certificates with a character ``cmap`` (the font's
    character map) has no glyph for; nothing when the font has them all. Spaces and line breaks print as
    space either way."""
    texts = [terms.award, terms.competition, *terms.issuers]
    texts += [text for person in people for text in (person.name, person.depot, person.team, person.employee_no)]
    lacking: dict[str, list[str]] = {}
    for text in dict.fromkeys(texts):
        for char in dict.fromkeys(text):
            if ord(char) not in cmap and not char.isspace():
                lacking.setdefault(char, []).append(text)
    if lacking:
        # "“𠮷”（宋𠮷、…）；…" in Chinese, '"𠮷" (宋𠮷, …); …' in English: worded when read (config.stored_text).
        shown = Listed(tuple(StoredText(gettext_noop("“%(char)s”（%(where)s）"), {
            "char": char, "where": Listed(tuple(where[:3]), gettext_noop("、"))})
            for char, where in list(lacking.items())[:10]), gettext_noop("；"))
        raise FontLacksCharacters(gettext_noop(
            "证书字体中没有以下字符，证书未生成（生成后即冻结，不能缺字）：%(chars)s。请在 CERTIFICATE_FONT 中"
            "指定包含这些字的 TrueType 字体后重新生成。"), chars=shown)


# -- building them in the background -------------------------------------------------------------------

def documents_request(*, award_round: AwardRound, user) -> AwardDocuments:
    """Start building the round's documents (after this transaction commits). Refused (RoundRefused, nothing
    written) before the round is finalized, while a build runs, and once both files exist: they are frozen."""
    from competitions.tasks import honours_documents_task

    with transaction.atomic():
        locked = AwardRound.objects.select_for_update().get(pk=award_round.pk)
        if locked.status != RoundStatus.FINALIZED:
            raise RoundRefused(gettext("评选定稿后才能生成表彰名单和证书。"), "wrong_status")
        mark_stale(AwardDocuments, round=locked)
        documents = AwardDocuments.objects.select_for_update().filter(round=locked).first()
        if documents is not None and documents.status == JobStatus.SUCCEEDED:
            raise RoundRefused(gettext("表彰名单和证书已生成并已冻结，不能重新生成。"), "documents_frozen")
        if documents is not None and documents.status == JobStatus.RUNNING:
            raise RoundRefused(gettext("表彰名单和证书正在生成，请稍后刷新页面。"), "documents_running")
        now = timezone.now()
        if documents is None:
            documents = AwardDocuments.objects.create(round=locked, requested_by=user, requested_at=now)
        else:
            documents.status, documents.requested_by, documents.requested_at = JobStatus.RUNNING, user, now
            documents.error, documents.error_params, documents.finished_at = "", {}, None
            documents.save(update_fields=["status", "requested_by", "requested_at", "error", "error_params",
                                          "finished_at"])
        documents_id = documents.pk
        send_on_commit(honours_documents_task, documents_id, unsent=lambda: mark_unsent(AwardDocuments, documents_id))
    return documents


def _store(field, name: str, content: bytes) -> str:
    field.save(name, ContentFile(content), save=False)
    return hashlib.sha256(content).hexdigest()


def documents_build(*, documents_id: int) -> AwardDocuments | None:
    """Build what is missing of a round's documents and record the outcome (see the module's docstring).
    A stored file is never rebuilt; None when the row is gone."""
    documents = AwardDocuments.objects.select_related("round__competition").filter(pk=documents_id).first()
    if documents is None:
        return None
    if documents.status != JobStatus.RUNNING:
        return documents
    award_round = documents.round
    try:
        people = honourees(award_round)
        if not documents.roster:
            documents.roster_sha256 = _store(documents.roster, "roster.xlsx",
                                             roster_xlsx(award_round, people))
        if not documents.certificates:
            documents.certificates_sha256 = _store(documents.certificates, "certificates.pdf",
                                                   certificates_pdf(certificate_terms(award_round), people,
                                                                    certificate_font()))
        documents.pages = len(people)
        documents.finish(JobStatus.SUCCEEDED)
    except DatabaseError:
        raise  # the task retries (config.tasks)
    except NoChineseFont as error:
        documents.finish(JobStatus.FAILED, error.text)
    except Exception as error:
        logger.exception("honours: documents of round %s failed", award_round.pk)
        documents.finish(JobStatus.FAILED, f"{type(error).__name__}: {error}")
    documents.save()
    return documents
