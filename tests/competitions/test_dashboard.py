"""The union leaders' dashboard: each panel's figures on a small hand-made competition, the page's fixed
number of queries, who may open it, and its charts' files (the portal's own, nothing from another host)."""

from __future__ import annotations

import json
import re
from datetime import date, timedelta
from html import unescape

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.urls import reverse
from django.utils import timezone

from competitions.charts import chart_scripts
from competitions.dashboard import DAYS, TOP, dashboard_read, dashboard_refresh
from competitions.models import (
    DashboardFigures,
    RunKind,
    RunOutcome,
    RunTrigger,
    StandingRun,
    StandingVerification,
    VerificationOutcome,
)
from competitions.services import standings_recompute
from competitions.tasks import dashboard_refresh_task
from config.formatting import display_date
from reviews.models import PeriodStatus
from tests.competitions.standings_data import entry
from tests.factories import review_period

pytestmark = pytest.mark.django_db


def mid_last_month(today: date) -> date:
    """The 15th of last month: in the past, inside the test competition, its day before in the same month."""
    return (today.replace(day=1) - timedelta(days=1)).replace(day=15)


@pytest.fixture
def day(today):
    return mid_last_month(today)


@pytest.fixture
def world(w, f, day):
    """机务: alice (approved km, a pending flagged trip), bob (only a rejected entry); 工务: carol. Workers who
    do not count: one whose job type has no rule in the competition, one no longer in service."""
    before = day - timedelta(days=1)
    entry(w.comp, w.alice, w.km, before, 100, points=1, status="approved")
    entry(w.comp, w.alice, w.km, day, 300, points=3, status="approved")
    entry(w.comp, w.alice, w.trips, day, 2, points=4, flags=1)
    entry(w.comp, w.bob, w.km, day, 800, points=8, status="rejected")
    entry(w.comp, w.carol, w.metres, before, 20, points=2)
    entry(w.comp, w.carol, w.metres, day, 50, points=5, status="approved")
    f.worker(w.depot, f.job_type(w.system, name="无规则工种"))
    f.worker(w.depot, w.driver, is_active=False)
    standings_recompute(competition=w.comp, day=day)
    return w


@pytest.fixture
def staff(client, w):
    client.force_login(w.staff)
    return client


def test_points_and_entries_per_day_count_every_entry_but_the_rejected(world, day):
    figures = dashboard_refresh(competition=world.comp, today=day).figures
    days = figures["days"]
    assert len(days) == DAYS and days[-1]["day"] == day.isoformat()
    assert days[-1] == {"day": day.isoformat(), "entries": 3, "workers": 2, "points": 12.0, "approved": 8.0}
    assert days[-2] == {"day": (day - timedelta(days=1)).isoformat(), "entries": 2, "workers": 2, "points": 3.0,
                        "approved": 1.0}
    assert all(d["entries"] == 0 and d["points"] == 0 for d in days[:-2])


def test_the_window_starts_with_the_competition(world, day, f):
    late = f.competition(start=day - timedelta(days=4), end=day + timedelta(days=30))
    figures = dashboard_refresh(competition=late, today=day).figures
    assert [d["day"] for d in figures["days"]] == [(day - timedelta(days=n)).isoformat() for n in range(4, -1, -1)]


def test_review_progress_counts_the_months_entries_per_business_system_by_status(world, day, f):
    # A 工务 depot with a worker and nothing entered this month.
    f.worker(f.unit(parent=world.depot.parent, name="天津工务段"), world.track)
    figures = dashboard_refresh(competition=world.comp, today=day).figures
    assert figures["month"] == day.replace(day=1).isoformat()
    by_system = {r["system"]: r for r in figures["review"]}
    assert by_system["机务"] == {"system_id": world.system.pk, "system": "机务", "entered": 4, "approved": 2,
                               "pending": 1, "rejected": 1, "flagged": 1, "reviewed": 75.0, "silent_depots": 0}
    assert by_system["工务"] == {"system_id": world.other_system.pk, "system": "工务", "entered": 2, "approved": 1,
                               "pending": 1, "rejected": 0, "flagged": 0, "reviewed": 50.0, "silent_depots": 1}


def test_participation_is_the_share_of_workers_taking_part_with_a_standings_row(world, day):
    figures = dashboard_refresh(competition=world.comp, today=day).figures
    # alice and bob in 北京机务段 (bob has nothing counted); carol in 北京工务段; the worker without a rule and
    # the one out of service are not taking part.
    systems = [(s["system"], s["workers"], s["ranked"], s["share"]) for s in figures["participation"]["systems"]]
    assert systems == [("机务", 2, 1, 50.0), ("工务", 1, 1, 100.0)]
    board = dashboard_read(world.comp)
    assert {s["system"]: s["share"] for s in board.by_system} == {"机务": 50.0, "工务": 100.0}
    assert [(d["depot"], d["workers"], d["share"]) for d in board.by_depot] == [("北京机务段", 2, 50.0),
                                                                               ("北京工务段", 1, 100.0)]
    assert board.totals["workers"] == 3 and board.totals["ranked"] == 2 and board.totals["share"] == 66.7


def test_the_top_of_each_business_system_comes_from_the_latest_standings_day(world, day, f):
    for n in range(TOP + 2):
        driver = f.worker(world.depot, world.driver, name=f"司机{n}")
        entry(world.comp, driver, world.km, day, 100 * (n + 10), points=n + 10)  # all ahead of alice's 8
    standings_recompute(competition=world.comp, day=day)
    figures = dashboard_refresh(competition=world.comp, today=day).figures
    assert figures["standings_day"] == day.isoformat()
    tops = {t["system"]: t["rows"] for t in figures["top"]}
    assert [r["name"] for r in tops["机务"]] == [f"司机{n}" for n in range(TOP + 1, 1, -1)]
    assert tops["机务"][0]["rank"] == 1 and tops["机务"][0]["points"] == TOP + 11
    assert [(r["rank"], r["name"], r["depot"], r["points"]) for r in tops["工务"]] == [(1, "王五", "北京工务段", 7.0)]


def test_before_any_standings_participation_counts_nobody_and_there_is_no_top(w, f, day):
    figures = dashboard_refresh(competition=w.comp, today=day).figures
    assert figures["standings_day"] is None and figures["top"] == []
    assert sum(r["ranked"] for r in figures["participation"]["depots"]) == 0


def test_a_refresh_replaces_the_competitions_one_row(world, day):
    first = dashboard_refresh(competition=world.comp, today=day)
    entry(world.comp, world.carol, world.metres, day - timedelta(days=2), 10, points=1)
    second = dashboard_refresh(competition=world.comp, today=day)
    assert DashboardFigures.objects.filter(competition=world.comp).count() == 1
    assert second.pk == first.pk and second.figures["days"][-3]["entries"] == 1


def test_the_refresh_task_refreshes_and_leaves_a_deleted_competition_alone(world, day):
    assert dashboard_refresh_task(world.comp.pk) == DashboardFigures.objects.get(competition=world.comp).pk
    assert dashboard_refresh_task(987654) is None


def test_run_health_shows_the_last_runs_failures_and_the_latest_verification(world, day):
    now = timezone.now()
    StandingRun.objects.create(competition=world.comp, day=day, kind=RunKind.FULL, requested_kind=RunKind.FULL,
                               outcome=RunOutcome.FAILED, started_at=now, finished_at=now + timedelta(seconds=3),
                               error="could not obtain lock")
    StandingVerification.objects.create(competition=world.comp, day=day, started_at=now, finished_at=now,
                                        outcome=VerificationOutcome.MISMATCH, rows_differing=2, digest_ok=False)
    board = dashboard_read(world.comp)
    assert board.failures == 1
    assert [r.outcome for r in board.runs] == [RunOutcome.FAILED, RunOutcome.SUCCEEDED]
    assert board.verification.outcome == VerificationOutcome.MISMATCH


def page_of(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def test_the_page_shows_every_panel_and_the_months_sign_off(staff, world, day):
    dashboard_refresh(competition=world.comp, today=day)
    review_period(competition=world.comp, business_system=world.other_system, month=day.replace(day=1),
                                status=PeriodStatus.SIGNED_OFF, signed_off_by=world.staff, signed_off_at=timezone.now())
    page = page_of(staff.get(reverse("dashboard") + "?days=90"))
    assert 'id="freshness"' in page and "统计于" in page and f"排名数据截至 {display_date(day)}" in page
    review = page.split('id="review-systems"')[1].split("</table>")[0]
    jiwu, gongwu = review.split(">机务</a></td>")[1].split("</tr>")[0], review.split(">工务</a></td>")[1]
    assert "未签发" in jiwu and "75.0%" in jiwu  # 2 approved + 1 rejected of 4
    assert f'href="{reverse("review:progress")}?system={world.system.pk}&amp;month={day:%Y-%m}"' in review
    assert "已签发" in gongwu.split("</tr>")[0]
    assert "66.7%" in page  # participation overall
    assert "王五" in page.split('id="top"')[1] and "张三明" in page.split('id="top"')[1]
    assert 'id="run-list"' in page and "成功" in page
    # The charts' options travel as JSON in an attribute: the 90 days, the systems' shares.
    boxes = re.findall(r'data-chart-options="([^"]*)"', page)
    daily, participation, review_chart = (json.loads(unescape(b)) for b in boxes)
    assert len(daily["xAxis"]["data"]) == 90 and daily["series"][0]["data"][-1] == 3
    assert participation["yAxis"]["data"] == ["机务", "工务"] and participation["series"][0]["data"] == [50.0, 100.0]
    assert [s["data"] for s in review_chart["series"]] == [[2, 1], [1, 1], [1, 0]]


def test_the_run_list_names_what_started_each_run_in_words_not_its_stored_code(staff, world, day):
    # given a run started from the command line (the demo's and an operator's repair runs)
    now = timezone.now()
    StandingRun.objects.create(competition=world.comp, day=day, kind=RunKind.FULL, requested_kind=RunKind.FULL,
                               trigger=RunTrigger.COMMAND, outcome=RunOutcome.SUCCEEDED, started_at=now,
                               finished_at=now)
    # when staff open the dashboard
    runs = page_of(staff.get(reverse("dashboard"))).split('id="run-list"')[1].split("</table>")[0]
    # then the 触发 column reads 命令行, never the code "command"
    assert "<td>命令行</td>" in runs and "command" not in runs
    # and in English, in English (the trigger's labels had no English entry)
    staff.cookies["django_language"] = "en"
    runs = page_of(staff.get(reverse("dashboard"))).split('id="run-list"')[1].split("</table>")[0]
    assert "<td>Command line</td>" in runs and "命令行" not in runs


def test_the_page_without_figures_yet_says_when_they_come_and_still_shows_the_runs(staff, world):
    page = page_of(staff.get(reverse("dashboard")))
    assert "统计尚未生成" in page and 'id="run-list"' in page and "data-chart-options" not in page


def test_the_page_runs_a_fixed_number_of_queries_whatever_the_size(staff, world, day, f,
                                                                   django_assert_num_queries):
    dashboard_refresh(competition=world.comp, today=day)
    with django_assert_num_queries(QUERIES):
        page_of(staff.get(reverse("dashboard")))
    # More business systems, depots, workers, runs and entries: the same queries.
    for n in range(3):
        system = f.business_system(name=f"系统{n}")
        depot = f.unit(parent=world.depot.parent, name=f"站段{n}")
        job = f.job_type(system)
        rule = f.rule(world.comp, job)
        for _ in range(3):
            entry(world.comp, f.worker(depot, job), rule, day, 5, points=5)
    standings_recompute(competition=world.comp, day=day)
    standings_recompute(competition=world.comp, day=day, full=True)
    dashboard_refresh(competition=world.comp, today=day)
    with django_assert_num_queries(QUERIES):
        page = page_of(staff.get(reverse("dashboard")))
    assert "系统2" in page


# Session, user, the person's roles (scope: 3), the navigation's unread count, the competitions to choose
# from and the current one, the stored figures, the last runs, the failures, the latest verification, the
# month's sign-offs.
QUERIES = 13


def test_the_page_lists_the_lowest_depots_and_all_of_them_on_request(staff, world, day, f, monkeypatch):
    monkeypatch.setattr("competitions.dashboard.DEPOTS_SHOWN", 1)
    dashboard_refresh(competition=world.comp, today=day)
    page = page_of(staff.get(reverse("dashboard")))
    depots = page.split('id="participation-depots"')[1].split("</table>")[0]
    assert "北京机务段" in depots and "北京工务段" not in depots and "显示全部 2 个站段" in page
    depots = page_of(staff.get(reverse("dashboard") + "?depots=all")).split('id="participation-depots"')[1]
    assert "北京机务段" in depots.split("</table>")[0] and "北京工务段" in depots.split("</table>")[0]


def test_the_days_and_competition_choices_fall_back_with_a_message_on_bad_input(staff, world, day, f):
    dashboard_refresh(competition=world.comp, today=day)
    page = page_of(staff.get(reverse("dashboard") + "?competition=abc&days=%27;drop"))
    assert "所选竞赛不存在" in page and world.comp.name in page
    assert "最近 30 天每天的积分和录入" in page
    other = f.competition(name="另一竞赛", status="draft")
    page = page_of(staff.get(reverse("dashboard") + f"?competition={other.pk}"))
    assert "另一竞赛" in page.split("<h1>")[1].split("</h1>")[0] and "统计尚未生成" in page


@pytest.mark.parametrize("who", ["alice_user", "clerk", "reviewer"])
def test_workers_clerks_and_reviewers_may_not_open_the_dashboard(client, world, who):
    client.force_login(getattr(world, who))
    assert client.get(reverse("dashboard")).status_code == 403


def test_anonymous_is_sent_to_log_in(client, world):
    response = client.get(reverse("dashboard"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_staff_find_the_dashboard_in_the_navigation_and_on_the_admin_index(staff, world):
    assert f'href="{reverse("dashboard")}"' in page_of(staff.get(reverse("workspace:day")))
    world.staff.is_superuser = True
    world.staff.save()
    admin = page_of(staff.get(reverse("admin:index")))
    assert 'id="dashboard-link"' in admin and f'href="{reverse("dashboard")}"' in admin


def test_the_charts_files_are_the_portals_own_and_the_page_names_no_other_host(staff, world, day):
    dashboard_refresh(competition=world.comp, today=day)
    page = page_of(staff.get(reverse("dashboard")))
    scripts = set(re.findall(r'data-chart-scripts="([^"]*)"', page))
    assert scripts == {chart_scripts()}
    for url in chart_scripts().split():
        assert url.startswith(settings.STATIC_URL) and finders.find(url.removeprefix(settings.STATIC_URL)), url
    assert not re.search(r"(https?:)?//[a-z0-9]", page.replace("http://www.w3.org/2000/svg", ""), re.I)


def test_english_pages_load_echarts_english_locale(staff, world, day):
    dashboard_refresh(competition=world.comp, today=day)
    staff.cookies.load({settings.LANGUAGE_COOKIE_NAME: "en"})
    page = page_of(staff.get(reverse("dashboard")))
    assert "langEN.js" in page and "Dashboard" in page


def test_my_page_carries_the_interactive_charts_options_and_keeps_its_picture(client, world, day):
    client.force_login(world.alice_user)
    page = page_of(client.get(reverse("me")))
    options = json.loads(unescape(re.search(r'data-chart-options="([^"]*)"', page).group(1)))
    assert options["xAxis"]["data"] == [day.isoformat()]
    assert options["series"][0]["data"] == [8.0] and options["series"][1]["data"] == [1]
    assert options["yAxis"][1]["inverse"] is True  # rank 1 at the top
    assert "<svg" in page and 'id="trend-box"' in page  # (its query count: test_portal_pages' pin)
