"""The workspace's exports, as job kinds (competitions.jobs.JOB_KINDS): the xlsx of a day's list or of a
period snapshot's, every row of it, with the filters the page had.

Rows come from the database a chunk at a time (reads.staff_board_chunks: a server-side cursor) and go
straight into a constant-memory workbook (config.spreadsheets.XlsxStream), so a whole day of 223,000 rows
never sits in memory; the job's progress is written after each chunk. A second sheet, 说明, says what
the file holds: the competition, the day or range, the list, the digest, when it was made.
"""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from competitions.jobs import PROGRESS_EVERY, JobRefused, Progress
from competitions.models import Competition, PeriodSnapshot, PeriodStanding, SnapshotStatus, StandingDay
from competitions.scopes import Scope
from competitions.standings import periods, reads
from competitions.standings.digest import day_digest
from competitions.workspace import lists
from config.spreadsheets import XlsxStream
from config.stored_text import StoredText
from config.text import FileName
from members.models import SkillGrade


def headers(*, change: bool) -> list[str]:
    names = [_("名次"), _("工号"), _("姓名"), _("站段"), _("班组"), _("工种"), _("业务系统"), _("积分"),
             _("已审核积分"), _("待审核积分"), _("总排名"), _("业务系统排名"), _("工种排名"), _("站段排名")]
    return [*names, _("名次变化")] if change else names


def row_values(row: reads.StaffRow, *, change: bool) -> list:
    values = [row.rank, row.employee_no, row.name, row.depot, row.team, row.job_type, row.business_system,
              row.points, row.approved_points, row.pending_points, row.rank_overall, row.rank_business_system,
              row.rank_job_type, row.rank_unit]
    return [*values, row.change] if change else values




def _selection(params: dict) -> tuple[lists.Choices, reads.StaffList]:
    choices = lists.Choices.load()
    selection = lists.parse_selection(params, choices)
    if selection.problems:
        raise JobRefused(selection.problems[0])  # its message id: the job's page words it in its reader's language
    return choices, selection.of


def _list_notes(choices: lists.Choices, of: reads.StaffList) -> list[tuple[str, str]]:
    notes = [(_("排名范围"), f"{of.scope.label} · {choices.scope_name(of)}")]
    if of.depot_id is not None:
        notes.append((_("站段"), choices.depots[of.depot_id]))
    if of.job_type_id is not None:
        notes.append((_("工种"), choices.job_types[of.job_type_id][0]))
    if of.min_grade is not None:
        notes.append((_("技能等级"), _("%(grade)s及以上（职工当前的技能等级）") % {
            "grade": SkillGrade(of.min_grade).label}))
    return notes


def write_rows(book: XlsxStream, *, title: str, headers: list[str], chunks, total: int, progress: Progress) -> int:
    """A sheet of every row of ``chunks`` (lists of cell values), the job's progress after each chunk;
    returns how many rows were written."""
    progress(0, total)
    sheet = book.sheet(title, headers)
    done = 0
    for chunk in chunks:
        for values in chunk:
            sheet.append(values)
        done += len(chunk)
        progress(done, max(total, done))
    # What was written is the total, whatever the count said before (a day re-published meanwhile).
    progress(done, done)
    return done


def write_about(book: XlsxStream, notes) -> None:
    """The 说明 sheet: what the file holds, a (label, value) row each."""
    about = book.sheet(_("说明"))
    for note in notes:
        about.append(note)


def _write(out, *, chunks, total: int, change: bool, notes: list[tuple[str, str]], progress: Progress,
           more_sheets=None) -> None:
    with XlsxStream(out) as book:
        done = write_rows(book, title=_("排名"), headers=headers(change=change), total=total, progress=progress,
                          chunks=([row_values(row, change=change) for row in chunk] for chunk in chunks))
        if more_sheets is not None:
            more_sheets(book)
        write_about(book, [*notes, (_("行数"), done),
                           (_("导出时间"), timezone.localtime().strftime("%Y-%m-%d %H:%M:%S"))])


def _list_name(choices: lists.Choices, of: reads.StaffList) -> StoredText | str:
    """The list's name in the file's name: the whole list's (lists.Choices.scope_name: 全部职工) worded when
    the file is downloaded; a business system's, job type's or depot's name as it is."""
    return StoredText(gettext_noop("全部职工")) if of.scope == Scope.OVERALL else choices.scope_name(of)


def day_xlsx(params: dict, out, progress: Progress) -> FileName:
    """Every row of a day's list (params: competition, day, scope, depot, job_type, as the page's query)."""
    competition = Competition.objects.filter(pk=params.get("competition")).first()
    day = lists.parse_date(params.get("day"))
    standing_day = (StandingDay.objects.filter(competition=competition, day=day).first()
                    if competition is not None and day is not None else None)
    if standing_day is None:
        raise JobRefused(gettext_noop("该日的排名已不存在，无法导出。"))
    choices, of = _selection(params)
    at = {"competition_id": competition.pk, "day": day}
    total = standing_day.rows if of == reads.StaffList(Scope.OVERALL) else reads.staff_board_count(**at, of=of)
    published = day_digest(competition.pk, day)
    notes = [(_("劳动竞赛"), competition.name), (_("排名日期"), day.isoformat()),
             (_("排名摘要（SHA-256）"), published.rows_digest if published else ""), *_list_notes(choices, of),
             (_("说明"), _("名次为所选范围内的排名（并列同名次）；积分 = 已审核 + 待审核（已退回的不计）。"
                         "工号、站段、工种、业务系统为排名当日的记录，姓名和班组为职工当前的记录。"))]
    _write(out, chunks=reads.staff_board_chunks(**at, of=of, chunk=PROGRESS_EVERY), total=total, change=True,
           notes=notes, progress=progress)
    return FileName((competition.name, StoredText(gettext_noop("每日排名")), day.isoformat(), _list_name(choices, of)))


UNIT_HEADERS = {"depot": lambda: [_("名次"), _("站段"), _("参赛人数"), _("人均已审核积分"), _("已审核积分合计")],
                "team": lambda: [_("名次"), _("班组"), _("所属站段"), _("参赛人数"), _("人均已审核积分"),
                                 _("已审核积分合计")]}


def _period_chunks(snapshot, of: reads.StaffList):
    """The snapshot's list in keyset pages of the largest size the period read serves: each page one range
    scan of the list's index, one page in memory at a time."""
    after = None
    while True:
        page = periods.period_board(snapshot, scope=of.scope, scope_id=of.scope_id, depot_id=of.depot_id,
                                    job_type_id=of.job_type_id, after=after, limit=periods.MAX_PAGE,
                                    min_grade=of.min_grade)
        yield page.rows
        if page.next_cursor is None:
            return
        after = page.next_cursor


def period_xlsx(params: dict, out, progress: Progress) -> FileName:
    """Every row of a period snapshot's list (params: snapshot, scope, depot, job_type), then its depot and
    team tables (先进集体) on sheets of their own."""
    snapshot = (PeriodSnapshot.objects.select_related("competition")
                .filter(pk=params.get("snapshot"), status=SnapshotStatus.READY).first())
    if snapshot is None:
        raise JobRefused(gettext_noop("该时段排名已不存在，无法导出。"))
    choices, of = _selection(params)
    competition = snapshot.competition
    total = snapshot.rows if of == reads.StaffList(Scope.OVERALL) else (
        PeriodStanding.objects.filter(snapshot=snapshot, **of.filters()).count())
    computed = timezone.localtime(snapshot.computed_at).strftime("%Y-%m-%d %H:%M:%S")
    notes = [(_("劳动竞赛"), competition.name),
             (_("时段"), f"{snapshot.start.isoformat()} ~ {snapshot.end.isoformat()}"),
             (_("口径"), _("只计已签发月份") if snapshot.signed_off_only else _("全部录入")),
             (_("计算时间"), computed), (_("排名摘要（SHA-256）"), snapshot.digest), *_list_notes(choices, of),
             (_("说明"), _("时段积分是工作日期在时段内的录入积分，按计算时录入的状态；排名规则与每日排名相同，"
                         "并列同名次。职工的站段、班组、工种为计算时的当前记录。先进集体按参赛职工人均已审核积分排名。"))]

    def unit_sheets(book: XlsxStream) -> None:
        for level, title in (("depot", _("先进集体·站段")), ("team", _("先进集体·班组"))):
            sheet = book.sheet(title, UNIT_HEADERS[level]())
            for u in periods.unit_rankings(snapshot, level):
                depot = [u.depot] if level == "team" else []
                sheet.append([u.rank, u.name, *depot, u.participants, u.average_approved_points,
                              u.total_approved_points])

    _write(out, chunks=_period_chunks(snapshot, of), total=total, change=False, notes=notes, progress=progress,
           more_sheets=unit_sheets)
    return FileName((competition.name, StoredText(gettext_noop("时段排名")),
                     f"{snapshot.start.isoformat()}至{snapshot.end.isoformat()}", _list_name(choices, of)))
