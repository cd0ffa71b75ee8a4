"""Statistics pages for union staff (/union/statistics/): each page shows its figures (a copy at most a minute
old, members.statistics.page_figures) and offers them as an .xlsx file counted from the same queries when
asked (a few hundred rows of aggregates: written within the request)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from config.gate import portal_view
from members import statistics
from members.models import SkillGrade

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FIRST_YEAR = 2000

staff_page = portal_view(roles=("staff",))


def _xlsx(content: bytes, name: str) -> HttpResponse:
    response = HttpResponse(content, content_type=XLSX_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{name}.xlsx"'
    return response


def _year(request) -> int:
    """The year asked for (``?year=``), else this year; a year that is not one is refused with a message."""
    this_year = timezone.localdate().year
    text = request.GET.get("year") or ""
    if not text:
        return this_year
    if text.isascii() and text.isdigit() and FIRST_YEAR <= int(text) <= this_year + 1:
        return int(text)
    messages.error(request, _("年份应为 %(first)s 至 %(last)s 之间的整数，已显示今年。") % {
        "first": FIRST_YEAR, "last": this_year + 1})
    return this_year


@staff_page
def index(request):
    return render(request, "members/statistics/index.html", {"section": "index"})


@staff_page
def membership(request):
    year = _year(request)
    if request.GET.get("format") == "xlsx":
        return _xlsx(statistics.membership_xlsx(year), f"membership-{year}")
    return render(request, "members/statistics/membership.html", {
        "section": "membership", "year": year, "figures": statistics.page_figures("membership", year),
        "years": range(timezone.localdate().year, FIRST_YEAR - 1, -1)})


@staff_page
def cards(request):
    if request.GET.get("format") == "xlsx":
        return _xlsx(statistics.cards_xlsx(), "member-cards")
    return render(request, "members/statistics/cards.html", {
        "section": "cards", "figures": statistics.page_figures("cards")})


@staff_page
def grades(request):
    if request.GET.get("format") == "xlsx":
        return _xlsx(statistics.grades_xlsx(), "skill-grades")
    return render(request, "members/statistics/grades.html", {
        "section": "grades", "figures": statistics.page_figures("grades"), "grades": SkillGrade.labels})
