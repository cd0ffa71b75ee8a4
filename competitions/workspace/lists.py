"""Which list a workspace page shows, read from its query string: the competition, the day, the scope
(with the business system, job type or depot it is about) and the depot and job type filters; and the
choices the page's selects offer. Anything that is not one of those choices is dropped with a message for
the person (a stale bookmark, a hand-edited link), never an error page.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from competitions.models import BusinessSystem, Competition, JobType, StandingDay
from competitions.querysets import current_competition
from competitions.scopes import Scope
from competitions.standings.periods import validate_range
from competitions.standings.reads import StaffList
from config.formatting import display_date, display_month
from config.months import format_month, month_last_day, months_between
from members.models import SkillGrade, Unit, UnitLevel

# The scope select's value: "overall", or "<scope>:<id>" (business_system:3, job_type:12, unit:40).
_SEP = ":"


@dataclass(frozen=True)
class Choices:
    """What the selects offer: every business system, job type (with its system) and depot, by id."""

    business_systems: dict[int, str]
    job_types: dict[int, tuple[str, str]]
    depots: dict[int, str]

    @classmethod
    def load(cls) -> Choices:
        """Three queries: the lists are short (a railway has ~10 systems, ~100 job types, a few hundred
        depots)."""
        return cls(
            business_systems=dict(BusinessSystem.objects.order_by("sort_order", "code").values_list("pk", "name")),
            job_types={pk: (name, system) for pk, name, system in JobType.objects.order_by(
                "business_system__sort_order", "business_system__code", "code")
                .values_list("pk", "name", "business_system__name")},
            depots=dict(Unit.objects.filter(level=UnitLevel.DEPOT).order_by("path").values_list("pk", "name")),
        )

    @staticmethod
    def grades() -> list[tuple[int, str]]:
        """The skill grade filter's choices: "中级工及以上" for each of the eight grades above the first."""
        return [(value, _("%(grade)s及以上") % {"grade": label}) for value, label in SkillGrade.choices[1:]]

    @classmethod
    def grade_name(cls, min_grade: int | None) -> str:
        """The chosen skill grade as the filter names it ("中级工及以上"), "" for none."""
        return dict(cls.grades()).get(min_grade, "")

    def scope_options(self) -> list[tuple[str, list[tuple[str, str]]]]:
        """The scope select's groups of (value, label)."""
        return [
            (Scope.OVERALL.label, [(Scope.OVERALL.value, _("全部职工"))]),
            (Scope.BUSINESS_SYSTEM.label, [(f"{Scope.BUSINESS_SYSTEM.value}{_SEP}{pk}", name)
                                           for pk, name in self.business_systems.items()]),
            (Scope.JOB_TYPE.label, [(f"{Scope.JOB_TYPE.value}{_SEP}{pk}", f"{name}（{system}）")
                                    for pk, (name, system) in self.job_types.items()]),
            (Scope.UNIT.label, [(f"{Scope.UNIT.value}{_SEP}{pk}", name) for pk, name in self.depots.items()]),
        ]

    def scope_name(self, of: StaffList) -> str:
        return {Scope.OVERALL: _("全部职工"), Scope.BUSINESS_SYSTEM: self.business_systems.get(of.scope_id, ""),
                Scope.JOB_TYPE: self.job_types.get(of.scope_id, ("", ""))[0],
                Scope.UNIT: self.depots.get(of.scope_id, "")}[of.scope]

    def _known(self, scope: Scope) -> dict:
        return {Scope.BUSINESS_SYSTEM: self.business_systems, Scope.JOB_TYPE: self.job_types,
                Scope.UNIT: self.depots}[scope]


@dataclass
class Selection:
    """The list a page shows and the messages about what in the query string was not understood: their
    message ids (``problems``: an export job keeps them, to be worded in its reader's language) and ``errors``,
    worded in the active language."""

    of: StaffList
    problems: list[str] = field(default_factory=list)

    @property
    def errors(self) -> list[str]:
        return [_(problem) for problem in self.problems]

    def query(self) -> dict[str, str]:
        """The list as query parameters (links to the next page, the printable page, the export)."""
        params = {"scope": scope_value(self.of)}
        if self.of.depot_id is not None:
            params["depot"] = str(self.of.depot_id)
        if self.of.job_type_id is not None:
            params["job_type"] = str(self.of.job_type_id)
        if self.of.min_grade is not None:
            params["grade"] = str(self.of.min_grade)
        return params


def scope_value(of: StaffList) -> str:
    return of.scope.value if of.scope_id is None else f"{of.scope.value}{_SEP}{of.scope_id}"


def _int(text: str | None) -> int | None:
    # ASCII digits only, and within a bigint: int() would take "١٢" and "1_000".
    if text and text.isascii() and text.isdigit() and len(text) <= 18:
        return int(text)
    return None


def parse_selection(query, choices: Choices) -> Selection:
    """The list ``query`` (a QueryDict, or a dict) asks for; the overall list with no filter by default."""
    problems = []
    scope, scope_id = Scope.OVERALL, None
    text = query.get("scope") or Scope.OVERALL.value
    name, _sep, id_text = text.partition(_SEP)
    parsed = Scope.parse(name)
    if parsed is None or (parsed != Scope.OVERALL and _int(id_text) not in choices._known(parsed)) or (
            parsed == Scope.OVERALL and id_text):
        problems.append(gettext_noop("所选排名范围不存在，已显示总排名。"))
    else:
        scope, scope_id = parsed, _int(id_text)
    depot_id = _int(query.get("depot"))
    if query.get("depot") and depot_id not in choices.depots:
        problems.append(gettext_noop("所选站段不存在，已取消该筛选。"))
        depot_id = None
    job_type_id = _int(query.get("job_type"))
    if query.get("job_type") and job_type_id not in choices.job_types:
        problems.append(gettext_noop("所选工种不存在，已取消该筛选。"))
        job_type_id = None
    min_grade = _int(query.get("grade"))
    if query.get("grade") and min_grade not in SkillGrade.values:
        problems.append(gettext_noop("所选技能等级不存在，已取消该筛选。"))
        min_grade = None
    return Selection(StaffList(scope, scope_id, depot_id, job_type_id, min_grade), problems)


def parse_competition(query, user) -> tuple[Competition | None, list[Competition], list[str]]:
    """The competition ``query`` names (one the person may see), else the portal's current one, else the
    latest started; the competitions to choose from; a message when the one named was not found."""
    visible = list(Competition.objects.visible_to(user).order_by("-start_date", "-id").only("id", "name"))
    by_id = {c.pk: c for c in visible}
    text = query.get("competition")
    if text and _int(text) in by_id:
        return by_id[_int(text)], visible, []
    current = current_competition()
    default = by_id.get(current.pk) if current is not None else (visible[0] if visible else None)
    return default, visible, ([_("所选竞赛不存在，已显示当前竞赛。")] if text else [])


def parse_date(text: str | None) -> date | None:
    """A day from a query string or form; None when it is not one (years 1 and 9999 are refused: a page
    steps a day from the one asked for, and must not step off the calendar)."""
    try:
        day = date.fromisoformat(text) if text else None
    except ValueError:
        return None
    return day if day is None or 1 < day.year < 9999 else None


def published_days(competition: Competition) -> dict[date, StandingDay]:
    """The competition's published standings days, latest first (one index scan of StandingDay)."""
    return {d.day: d for d in StandingDay.objects.filter(competition=competition).order_by("-day")
            .only("day", "rows", "computed_at")}


def parse_day(query, days: dict[date, StandingDay]) -> tuple[date | None, list[str]]:
    """The published day ``query`` names, else the latest; with a message when it named another."""
    text = query.get("day")
    latest = next(iter(days), None)
    if not text:
        return latest, []
    day = parse_date(text)
    if day is None:
        return latest, [_("日期格式应为 YYYY-MM-DD，已显示最近一天的排名。")]
    if day not in days:
        return latest, [_("%(day)s 没有已发布的排名，已显示最近一天的排名。") % {"day": display_date(day)}]
    return day, []


# -- periods -----------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Preset:
    key: str  # the select's value: all, ytd, month:2026-03, quarter:2026-1
    label: str
    start: date
    end: date


def period_presets(competition: Competition, today: date) -> list[tuple[str, list[Preset]]]:
    """The ranges a person picks from, in groups: the whole competition and the year to date, then each
    quarter and each month of the competition up to today (latest first), each clipped to the
    competition's dates. None starts after today (a snapshot refuses such a range: periods.validate_range),
    so a competition not yet started offers none, and a group left empty is left out."""
    first, last = competition.start_date, competition.end_date
    until = min(last, max(today, first))

    def clipped(key: str, label: str, start: date, end: date) -> Preset | None:
        start, end = max(start, first), min(end, last)
        return Preset(key, label, start, end) if start <= end and start <= today else None

    months = [clipped(f"month:{format_month(m)}", display_month(m), m, month_last_day(m))
              for m in months_between(first, until)]
    quarters, seen = [], set()
    for m in months_between(first, until):
        q = (m.year, (m.month - 1) // 3 + 1)
        if q not in seen:
            seen.add(q)
            q_first = date(q[0], 3 * q[1] - 2, 1)
            quarters.append(clipped(f"quarter:{q[0]}-{q[1]}", _("%(year)d年第%(q)d季度") % {"year": q[0], "q": q[1]},
                                    q_first, month_last_day(date(q[0], 3 * q[1], 1))))
    other = [clipped("all", _("整个竞赛"), first, last),
             clipped("ytd", _("今年以来"), date(until.year, 1, 1), until)]
    groups = [(_("常用"), other), (_("季度"), quarters), (_("月份"), months)]
    groups = [(label, [p for p in presets if p is not None]) for label, presets in groups]
    return [(label, presets) for label, presets in groups if presets]


@dataclass
class PeriodChoice:
    start: date | None = None
    end: date | None = None
    signed_off_only: bool = False
    preset: str = ""
    errors: list[str] = field(default_factory=list)


def parse_period(data, competition: Competition, presets: list[tuple[str, list[Preset]]]) -> PeriodChoice:
    """The range a form asks for: a preset, or a start and an end within the competition's dates."""
    choice = PeriodChoice(signed_off_only=data.get("signed_off_only") in ("1", "on", "true"),
                          preset=data.get("preset") or "")
    by_key = {p.key: p for _label, group in presets for p in group}
    if choice.preset:
        preset = by_key.get(choice.preset)
        if preset is None:
            choice.errors.append(_("所选时段不存在，请重新选择。"))
            return choice
        choice.start, choice.end = preset.start, preset.end
    else:
        choice.start, choice.end = parse_date(data.get("start")), parse_date(data.get("end"))
        if choice.start is None or choice.end is None:
            choice.errors.append(_("请选择一个时段，或填写开始和结束日期（YYYY-MM-DD）。"))
        elif choice.start > choice.end:
            choice.errors.append(_("开始日期不能晚于结束日期。"))
        elif choice.start < competition.start_date or choice.end > competition.end_date:
            choice.errors.append(_("时段须在竞赛期间内（%(start)s 至 %(end)s）。") % {
                "start": display_date(competition.start_date), "end": display_date(competition.end_date)})
    if not choice.errors:  # a preset too: what the snapshot would refuse is said here, not a server error
        try:
            validate_range(start=choice.start, end=choice.end)
        except ValidationError as refused:
            choice.errors.extend(refused.messages)
    return choice
