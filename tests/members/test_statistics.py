"""Statistics for union staff: membership and applications by depot and month, card status, grade distribution;
figures computed by hand on a small world, the exports opened and read back, who may open them, query counts;
the pages' copies in the cache: counted in the background, equal to the direct figures after writes."""

from __future__ import annotations

import io
import os
import time
from datetime import date, timedelta

import openpyxl
import pytest
from django.conf import settings
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from config.cache import TolerantRedisCache
from members import statistics
from members import tasks as member_tasks
from members.membership import application_approve, card_issue
from members.models import (
    ApplicationStatus,
    CardStatus,
    MemberCard,
    MembershipApplication,
    MembershipStatus,
    SkillGrade,
    Worker,
)
from members.skill_imports import COLUMNS as CERTIFICATE_COLUMNS
from members.skill_imports import certificates_import
from members.skills import certificate_create
from tests.celery_worker import celery_worker
from tests.factories import make_id_number

pytestmark = pytest.mark.django_db

Y = timezone.localdate().year - 1
PAGES = ["statistics:index", "statistics:membership", "statistics:cards", "statistics:grades"]


@pytest.fixture(autouse=True)
def empty_cache():
    """The pages' copies of earlier tests' worlds are not this test's."""
    cache.clear()


def count_pages(year=Y):
    """What the background task does for each page."""
    for page in statistics.PAGES:
        statistics.page_figures_refresh(page=page, year=year if page == "membership" else None)


def apply(worker, day, status, **kw):
    return MembershipApplication.objects.create(
        worker=worker, unit=worker.unit, name=worker.name, gender="M", id_number=make_id_number(), mobile="13900000000",
        birth_date=date(1990, 1, 1), education="bachelor", political_status="masses", applied_on=day, status=status,
        **kw)


@pytest.fixture
def world(w, f):
    """D1 (北京机务段): alice (member since Y-03-20, a 技师), bob (a 高级工, application returned), dave
    (application waiting); D2 (北京工务段): carol (application refused), erin (a member since Y-05-01, a
    首席技师, her first card lost and a new one issued), frank (left service: counted nowhere)."""
    w.dave = f.worker(w.depot, w.driver, name="赵六")
    w.erin = f.worker(w.other_depot, w.track, name="钱七", membership_status=MembershipStatus.MEMBER,
                      joined_on=date(Y, 5, 1), skill_grade=SkillGrade.CHIEF_TECHNICIAN)
    w.frank = f.worker(w.other_depot, w.track, name="孙八", membership_status=MembershipStatus.MEMBER,
                       joined_on=date(Y, 5, 3), is_active=False, skill_grade=SkillGrade.MASTER_TECHNICIAN)
    Worker.objects.filter(pk=w.alice.pk).update(membership_status=MembershipStatus.MEMBER, joined_on=date(Y, 3, 20))
    apply(w.alice, date(Y, 3, 10), ApplicationStatus.APPROVED, membership_no="M000001", joined_on=date(Y, 3, 20))
    apply(w.bob, date(Y, 3, 15), ApplicationStatus.RETURNED, reason="材料不全")
    apply(w.dave, date(Y, 5, 2), ApplicationStatus.SUBMITTED)
    apply(w.carol, date(Y, 5, 8), ApplicationStatus.REJECTED, reason="不符合条件")
    apply(w.erin, date(Y - 1, 12, 1), ApplicationStatus.SUBMITTED)  # another year
    MemberCard.objects.create(worker=w.alice, number="6222000000000001", status=CardStatus.ACTIVE,
                              issued_on=date(Y, 4, 1))
    # the card in use is also on the member's record (as the card services keep it)
    Worker.objects.filter(pk=w.alice.pk).update(member_card_no="6222000000000001")
    Worker.objects.filter(pk=w.erin.pk).update(member_card_no="6222000000000003")
    Worker.objects.filter(pk=w.frank.pk).update(member_card_no="6222000000000004")
    lost = MemberCard.objects.create(worker=w.erin, number="6222000000000002", status=CardStatus.LOST,
                                     issued_on=date(Y, 5, 2))
    MemberCard.objects.create(worker=w.erin, number="6222000000000003", status=CardStatus.ISSUED,
                              issued_on=date(Y, 6, 1), replaces=lost)
    MemberCard.objects.create(worker=w.frank, number="6222000000000004", status=CardStatus.ISSUED,
                              issued_on=date(Y, 6, 1))
    for worker, grade, number in ((w.alice, SkillGrade.TECHNICIAN, "S-1"), (w.bob, SkillGrade.SENIOR, "S-2")):
        certificate_create(actor=w.staff, worker_id=worker.pk, grade=grade, certificate_no=number,
                           assessed_on=date(Y, 1, 1), issuing_body="北京市职业技能鉴定指导中心")
    return w


def test_membership_and_applications_by_depot_and_month(world):
    rows = [(r.depot, r.month, r.applied, r.submitted, r.returned, r.approved, r.rejected, r.joined)
            for r in statistics.membership_by_month(Y)]
    assert rows == [
        ("北京机务段", date(Y, 3, 1), 2, 0, 1, 1, 0, 1),
        ("北京机务段", date(Y, 5, 1), 1, 1, 0, 0, 0, 0),
        ("北京工务段", date(Y, 5, 1), 1, 0, 0, 0, 1, 1),
    ]
    assert [(d.depot, d.workers, d.members, d.rate) for d in statistics.depot_members()] == [
        ("北京机务段", 3, 1, 33.3), ("北京工务段", 2, 1, 50.0)]
    assert [(r.depot, r.applied) for r in statistics.membership_by_month(Y - 1)] == [("北京工务段", 1)]


def test_card_status_by_depot_and_by_status(world, f):
    # gina: a member of D2 without a card yet
    f.worker(world.other_depot, world.track, membership_status=MembershipStatus.MEMBER, joined_on=date(Y - 1, 1, 1))
    assert [(d.depot, d.members, d.carded, d.members_without_card) for d in statistics.depot_members()] == [
        ("北京机务段", 1, 1, 0), ("北京工务段", 2, 1, 1)]
    # every card, whoever holds it: alice's active one, erin's lost one and its replacement, frank's
    assert statistics.card_status() == [("已发卡", 2), ("已激活", 1), ("已挂失", 1), ("已补换", 0)]


def test_grade_distribution_by_job_type_and_depot(world):
    by_job_type, by_depot = statistics.grade_distribution()
    #                                         学徒 初级 中级 高级 技师 高技 特级 首席
    assert [(r.name, r.by_grade, r.total) for r in by_job_type] == [
        ("电力机车司机", [0, 1, 0, 1, 1, 0, 0, 0], 3), ("线路工", [0, 1, 0, 0, 0, 0, 0, 1], 2)]
    assert [(r.name, r.by_grade, r.total) for r in by_depot] == [
        ("北京机务段", [0, 1, 0, 1, 1, 0, 0, 0], 3), ("北京工务段", [0, 1, 0, 0, 0, 0, 0, 1], 2)]
    # the export's one query gives the same distributions, and the cross of job type and depot
    cross_by_job_type, cross_by_depot, cross = statistics.grade_cross()
    assert (cross_by_job_type, cross_by_depot) == (by_job_type, by_depot)
    assert cross == [("电力机车司机", "北京机务段", [0, 1, 0, 1, 1, 0, 0, 0], 3),
                     ("线路工", "北京工务段", [0, 1, 0, 0, 0, 0, 0, 1], 2)]


# -- pages and files ---------------------------------------------------------------------------------------

def book_of(response) -> openpyxl.Workbook:
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    return openpyxl.load_workbook(io.BytesIO(response.content))


def rows_of(sheet) -> list[tuple]:
    return list(sheet.iter_rows(values_only=True))


def test_the_membership_export_has_the_figures_with_chinese_headers(client, world):
    client.force_login(world.staff)
    book = book_of(client.get(reverse("statistics:membership"), {"year": Y, "format": "xlsx"}))
    assert book.sheetnames == ["按月", "按站段"]
    assert rows_of(book["按月"]) == [
        ("站段", "月份", "入会申请", "待审批", "已退回", "已批准", "不予批准", "新入会会员"),
        ("北京机务段", f"{Y}-03", 2, 0, 1, 1, 0, 1), ("北京机务段", f"{Y}-05", 1, 1, 0, 0, 0, 0),
        ("北京工务段", f"{Y}-05", 1, 0, 0, 0, 1, 1)]
    assert rows_of(book["按站段"]) == [("站段", "在职职工", "会员", "入会率（%）"), ("北京机务段", 3, 1, 33.3),
                                     ("北京工务段", 2, 1, 50)]


def test_the_card_and_grade_exports(client, world):
    client.force_login(world.staff)
    book = book_of(client.get(reverse("statistics:cards"), {"format": "xlsx"}))
    assert rows_of(book["按站段"]) == [("站段", "会员", "持在用卡的会员", "无在用卡的会员"),
                                     ("北京机务段", 1, 1, 0), ("北京工务段", 1, 1, 0)]
    assert rows_of(book["按卡片状态"]) == [("状态", "卡片数"), ("已发卡", 2), ("已激活", 1), ("已挂失", 1),
                                         ("已补换", 0)]
    book = book_of(client.get(reverse("statistics:grades"), {"format": "xlsx"}))
    grades = tuple(str(label) for label in SkillGrade.labels)
    assert rows_of(book["按工种"]) == [("工种", "业务系统", *grades, "合计"),
                                     ("电力机车司机", "机务", 0, 1, 0, 1, 1, 0, 0, 0, 3),
                                     ("线路工", "工务", 0, 1, 0, 0, 0, 0, 0, 1, 2)]
    assert rows_of(book["按站段"])[1] == ("北京机务段", 0, 1, 0, 1, 1, 0, 0, 0, 3)
    assert rows_of(book["工种×站段"])[2] == ("线路工", "北京工务段", 0, 1, 0, 0, 0, 0, 0, 1, 2)


def test_a_depot_named_like_a_formula_is_text_in_the_export(client, world):
    world.depot.name = '=HYPERLINK("http://x.example","点此")'
    world.depot.save()
    client.force_login(world.staff)
    book = book_of(client.get(reverse("statistics:grades"), {"format": "xlsx"}))
    cell = book["按站段"]["A2"]
    assert cell.value == world.depot.name and cell.data_type == "s"


def test_the_pages_show_the_figures(client, world):
    count_pages()
    client.force_login(world.staff)
    page = client.get(reverse("statistics:membership"), {"year": Y}).content.decode()
    months = page.split('id="months"')[1].split("</table>")[0]
    assert months.count("<tr>") == 4 and f"{Y}年3月" in months  # a month as words (config.formatting)
    page = client.get(reverse("statistics:membership"), {"year": "abc"}).content.decode()
    assert "年份应为" in page and "统计中" in page  # this year's figures: not counted yet
    page = client.get(reverse("statistics:grades")).content.decode()
    assert "首席技师" in page and "线路工" in page
    page = client.get(reverse("statistics:cards")).content.decode()
    assert "无在用卡的会员" in page and "持在用卡的会员" in page
    assert "6222000000000001" not in page and world.alice.id_number not in page


def test_anonymous_visitors_are_sent_to_log_in(client):
    for name in PAGES:
        response = client.get(reverse(name))
        assert response.status_code == 302 and response.url.startswith(reverse("login")), name


@pytest.mark.parametrize("role", ["alice_user", "clerk", "reviewer", "union"])
def test_only_union_staff_open_the_statistics(client, world, f, role):
    if role == "union":
        account = f.user(username="union")
        account.union_units.set([world.depot])
    else:
        account = getattr(world, role)
    client.force_login(account)
    for name in PAGES:
        assert client.get(reverse(name)).status_code == 403, name
        assert client.get(reverse(name), {"format": "xlsx"}).status_code == 403, name


@pytest.mark.parametrize("name, export", [("statistics:membership", 9), ("statistics:cards", 8),
                                          ("statistics:grades", 8)])
def test_each_page_and_export_runs_a_fixed_number_of_queries(client, world, f, name, export, monkeypatch,
                                                             django_assert_num_queries):
    # A page: session and user 2, role scope 3, the navigation's unread count; its figures come from the
    # cache, counted or not. An export: the same but the unread count, then depot names, job types and the
    # GROUP BY(s).
    monkeypatch.setattr(member_tasks.refresh_statistics, "delay", lambda *args: None)
    client.force_login(world.staff)
    with django_assert_num_queries(6):
        assert "统计中" in client.get(reverse(name)).content.decode()  # no copy yet
    count_pages(timezone.localdate().year)
    with django_assert_num_queries(6):
        assert "统计于" in client.get(reverse(name)).content.decode()
    for i in range(5):  # more depots, workers and applications: the same queries
        depot = f.unit(parent=world.depot.parent, name=f"站段{i}")
        apply(f.worker(depot, world.driver), date(timezone.localdate().year, 1, 2), ApplicationStatus.SUBMITTED)
    with django_assert_num_queries(6):
        client.get(reverse(name))
    with django_assert_num_queries(export):
        client.get(reverse(name), {"format": "xlsx"})


# -- the pages' copies ---------------------------------------------------------------------------------------

def direct(page: str, year=Y) -> dict:
    """A page's figures counted now, as its copy holds them."""
    return statistics.PAGES[page](year)


def copy_of(page: str, year=Y) -> dict:
    figures = dict(statistics.page_figures_refresh(page=page, year=year if page == "membership" else None))
    del figures["computed_at"]
    return figures


def test_a_page_without_a_copy_says_it_is_counting_and_sends_one_count(client, world, monkeypatch,
                                                                      django_capture_on_commit_callbacks):
    sent = []
    monkeypatch.setattr(member_tasks.refresh_statistics, "delay", lambda *args: sent.append(args))
    client.force_login(world.staff)
    with django_capture_on_commit_callbacks(execute=True):
        page = client.get(reverse("statistics:cards")).content.decode()
        assert "统计中" in page and 'id="cards"' not in page
        assert "统计中" in client.get(reverse("statistics:cards")).content.decode()
    assert sent == [("cards", None)]  # once, however many look meanwhile

    member_tasks.refresh_statistics(*sent[0])

    page = client.get(reverse("statistics:cards")).content.decode()
    assert "统计中" not in page and 'id="computed-at"' in page
    assert '<td>北京工务段</td><td class="num">1</td><td class="num">1</td>' in page


def test_a_copy_older_than_a_minute_is_shown_while_it_is_counted_again(client, world, monkeypatch,
                                                                       django_capture_on_commit_callbacks):
    sent = []
    monkeypatch.setattr(member_tasks.refresh_statistics, "delay", lambda *args: sent.append(args))
    client.force_login(world.staff)
    statistics.page_figures_refresh(page="membership", year=Y)
    application = MembershipApplication.objects.get(worker=world.dave)
    application_approve(actor=world.staff, application_id=application.pk, joined_on=date(Y, 5, 20))
    url = f"{reverse('statistics:membership')}?year={Y}"

    # within the minute: the copy, nothing sent
    with django_capture_on_commit_callbacks(execute=True):
        client.get(url)
    assert sent == [] and statistics.page_figures("membership", Y)["depots"][0].members == 1

    # a minute later: still the copy, and one count sent
    key = statistics._page_key("membership", Y)
    old = cache.get(key)
    cache.set(key, {**old, "computed_at": old["computed_at"] - statistics.FRESH - timedelta(seconds=1)})
    with django_capture_on_commit_callbacks(execute=True):
        client.get(url)
        client.get(url)
    assert sent == [("membership", Y)]
    assert statistics.page_figures("membership", Y)["depots"][0].members == 1

    member_tasks.refresh_statistics(*sent[0])
    figures = statistics.page_figures("membership", Y)
    assert figures["depots"][0].members == 2 and figures["depots"] == statistics.depot_members()


def test_the_copies_equal_the_direct_figures_after_each_write(world):
    pages = [(page, Y) for page in statistics.PAGES]
    # an application approved: a new member in D1, joined in May
    application = MembershipApplication.objects.get(worker=world.dave)
    application_approve(actor=world.staff, application_id=application.pk, joined_on=date(Y, 5, 20))
    for page, year in pages:
        assert copy_of(page, year) == direct(page, year), page
    assert copy_of("membership")["depots"][0].members == 2

    # a card issued to the new member
    card_issue(actor=world.staff, worker_id=world.dave.pk, number="6222000000000009")
    for page, year in pages:
        assert copy_of(page, year) == direct(page, year), page
    assert copy_of("cards")["depots"][0].carded == 2
    assert dict(copy_of("cards")["statuses"])["已发卡"] == 3

    # certificates imported from a file
    book = openpyxl.Workbook()
    book.active.append(CERTIFICATE_COLUMNS)
    book.active.append([world.dave.employee_no, world.dave.name, "首席技师", "", "G-1", date(Y, 2, 1), "北京市职业技能鉴定指导中心"])
    book.active.append([world.carol.employee_no, world.carol.name, "技师", "", "G-2", date(Y, 2, 1), "北京市职业技能鉴定指导中心"])
    out = io.BytesIO()
    book.save(out)
    assert certificates_import(actor=world.staff, name="grades.xlsx", content=out.getvalue()) == 2
    for page, year in pages:
        assert copy_of(page, year) == direct(page, year), page
    by_depot = {r.name: r.by_grade for r in copy_of("grades")["by_depot"]}
    assert by_depot["北京机务段"] == [0, 0, 0, 1, 1, 0, 0, 1]


def test_with_redis_away_a_page_counts_its_figures_itself(client, world, monkeypatch, django_assert_num_queries):
    # nothing listens on port 1: every cache call fails, as when Redis is down
    monkeypatch.setattr(statistics, "cache", TolerantRedisCache("redis://127.0.0.1:1/0", {}))
    sent = []
    monkeypatch.setattr(member_tasks.refresh_statistics, "delay", lambda *args: sent.append(args))
    client.force_login(world.staff)
    page = client.get(reverse("statistics:grades")).content.decode()
    assert "统计中" not in page and "首席技师" in page and "线路工" in page and sent == []


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(not settings.CELERY_BROKER_URL.startswith("redis://"), reason="needs REDIS_URL")
def test_a_real_worker_counts_a_page_that_had_no_copy(client, w, f, tmp_path, monkeypatch):
    # given a member of D1 holding a card, committed (the worker reads the database from its own session)
    member = f.worker(w.depot, w.driver, membership_status=MembershipStatus.MEMBER, joined_on=date(Y, 1, 1),
                      member_card_no="6222000000000001")
    MemberCard.objects.create(worker=member, number="6222000000000001", status=CardStatus.ACTIVE,
                              issued_on=date(Y, 1, 2))
    queue = f"statistics-test-{os.getpid()}"
    monkeypatch.setattr(member_tasks.refresh_statistics, "delay",
                        lambda *a: member_tasks.refresh_statistics.apply_async(args=a, queue=queue))
    client.force_login(w.staff)

    with celery_worker(broker=settings.CELERY_BROKER_URL, queue=queue, log=tmp_path / "worker.log"):
        # when staff open the page without a copy
        assert "统计中" in client.get(reverse("statistics:cards")).content.decode()

        # then the worker counts it, and the page shows its figures
        deadline = time.monotonic() + 60
        while statistics.cache.get(statistics._page_key("cards", None)) is None:
            assert time.monotonic() < deadline, (tmp_path / "worker.log").read_text()[-3000:]
            time.sleep(0.1)
    page = client.get(reverse("statistics:cards")).content.decode()
    assert 'id="computed-at"' in page and '<td class="num">1</td><td class="num">1</td><td class="num">0</td>' in page
    assert statistics.page_figures("cards")["depots"] == statistics.depot_members()
