"""The staff's award-round pages (/staff/honours/): who may open them, the whole flow through them from a new
round to the final list, the 表彰名单 and certificates read back, and each nominee's points traced to the
entries."""

import hashlib
import io
import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from openpyxl import load_workbook
from pypdf import PdfReader

from competitions import tasks
from competitions.honours import documents, services, views
from competitions.honours.jobs import JobStatus, ShortlistRun, mark_unsent
from competitions.honours.models import (
    AwardRound,
    Nominee,
    NomineeStatus,
    Objection,
    ObjectionStatus,
    RoundAction,
    RoundEvent,
    RoundStatus,
)
from competitions.services import rule_version_add
from reviews.models import EntryAction, EntryEvent, PeriodStatus, WorkEntry
from reviews.workflow import entry_transition
from tests.competitions.standings_data import entry
from tests.factories import review_period

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return tmp_path / "media"


@pytest.fixture
def run_tasks_inline(monkeypatch):
    """The pages' Celery tasks run in-process (Celery's own execution path) instead of through the broker."""
    for task in (tasks.honours_shortlist_task, tasks.honours_documents_task):
        monkeypatch.setattr(task, "delay", lambda *a, _task=task, **kw: _task.apply(args=a, kwargs=kw))


def basis(w):
    """The first quarter of last year: inside w's competition, long over."""
    year = w.comp.start_date.year
    return date(year, 1, 1), date(year, 3, 31)


def approve(w, *entries):
    for e in entries:
        entry_transition(actor=w.reviewer, entry=e, to_status="approved")


@pytest.fixture
def drivers(w, f):
    """Five drivers with approved km in the basis period: 周0平 30 points … 周4平 70; alice 25 approved."""
    start, _end = basis(w)
    people = []
    for i in range(5):
        driver = f.worker(w.workshop, w.driver, name=f"周{i}平", employee_no=f"D{i:05d}")
        made = [entry(w.comp, driver, w.km, start + timedelta(days=d), 1000, points=Decimal(10 + 10 * i) / 2)
                for d in (3, 40)]
        approve(w, *made)
        people.append(driver)
    approve(w, entry(w.comp, w.alice, w.km, start + timedelta(days=5), 2500, points=25))
    return people


def new_round(client, w, **fields):
    start, end = basis(w)
    data = {"name": "2025年度先进个人", "kind": "individual", "basis_start": start.isoformat(),
            "basis_end": end.isoformat(), "quota_total": "3", "quota_by": "none", "quota_mode": "proportional",
            "tie_rule": "include_all", **fields}
    return client.post(reverse("honours:round_new") + f"?competition={w.comp.pk}", data)


def text(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


# -- who may open the pages ---------------------------------------------------------------------------------

@pytest.fixture
def rounds(w, f):
    """A round of w's competition with one nominee, and a round of another competition."""
    start, end = basis(w)
    mine = services.round_create(actor=w.staff, competition=w.comp, name="本竞赛评选", kind="individual",
                                 basis_start=start, basis_end=end, quota_total=1)
    nominee = Nominee.objects.create(round=mine, worker=w.alice, name=w.alice.name, employee_no=w.alice.employee_no,
                                     position=1, rank=1, points=Decimal(1), approved_points=Decimal(1))
    other_comp = f.competition(start=w.comp.start_date, end=w.comp.end_date, name="另一竞赛")
    theirs = services.round_create(actor=w.staff, competition=other_comp, name="另一竞赛评选", kind="individual",
                                   basis_start=start, basis_end=end, quota_total=1)
    return mine, nominee, theirs


def page_urls(mine, nominee):
    return [
        reverse("honours:rounds"), reverse("honours:round_new"), reverse("honours:round", args=[mine.pk]),
        reverse("honours:round_edit", args=[mine.pk]), reverse("honours:nominee_add", args=[mine.pk]),
        reverse("honours:nominee", args=[mine.pk, nominee.pk]),
    ]


def post_urls(mine, nominee):
    return [
        reverse("honours:round_shortlist", args=[mine.pk]), reverse("honours:round_propose", args=[mine.pk]),
        reverse("honours:round_publish", args=[mine.pk]), reverse("honours:round_finalize", args=[mine.pk]),
        reverse("honours:round_cancel", args=[mine.pk]), reverse("honours:documents_build", args=[mine.pk]),
        reverse("honours:nominee_remove", args=[mine.pk, nominee.pk]),
        reverse("honours:objection_answer", args=[mine.pk, 1]),
    ]


def test_anonymous_visitors_are_sent_to_login_from_every_page(client, rounds):
    mine, nominee, _theirs = rounds
    for url in page_urls(mine, nominee) + [reverse("honours:document", args=[mine.pk, "roster"])]:
        response = client.get(url)
        assert response.status_code == 302 and response.url.startswith(reverse("login")), url
    for url in post_urls(mine, nominee):
        response = client.post(url, {"reason": "x"})
        assert response.status_code == 302 and response.url.startswith(reverse("login")), url
    assert AwardRound.objects.get(pk=mine.pk).status == RoundStatus.DRAFT


@pytest.mark.parametrize("role", ["alice_user", "clerk", "reviewer"])
def test_workers_clerks_and_reviewers_get_403_on_every_page_and_post(client, w, rounds, role):
    mine, nominee, theirs = rounds
    client.force_login(getattr(w, role))
    for url in page_urls(mine, nominee) + page_urls(theirs, nominee):
        assert client.get(url).status_code == 403, url
    for url in post_urls(mine, nominee):
        assert client.post(url, {"reason": "x", "days": "3"}).status_code == 403, url
    assert AwardRound.objects.get(pk=mine.pk).status == RoundStatus.DRAFT
    assert RoundEvent.objects.filter(round=mine).count() == 1  # created, nothing else


def test_staff_open_every_page_of_any_competitions_round(client, w, rounds):
    mine, nominee, theirs = rounds
    client.force_login(w.staff)
    for url in page_urls(mine, nominee):
        assert client.get(url).status_code == 200, url
    listing = text(client.get(reverse("honours:rounds")))
    assert "本竞赛评选" in listing and "另一竞赛评选" in listing
    only_mine = text(client.get(reverse("honours:rounds") + f"?competition={w.comp.pk}"))
    assert "本竞赛评选" in only_mine and "另一竞赛评选" not in only_mine
    assert text(client.get(reverse("honours:round", args=[theirs.pk]))).count("另一竞赛评选") >= 1
    # A nominee of one round is not found under another round's address.
    assert client.get(reverse("honours:nominee", args=[theirs.pk, nominee.pk])).status_code == 404
    assert client.get(reverse("honours:document", args=[mine.pk, "roster"])).status_code == 404


def test_the_nav_shows_staff_the_honours_item_and_no_one_else(client, w, rounds):
    client.force_login(w.staff)
    assert "评选表彰" in text(client.get(reverse("honours:rounds")))
    client.force_login(w.alice_user)
    assert "评选表彰" not in client.get(reverse("me")).content.decode()


# -- defining a round ------------------------------------------------------------------------------------

def test_bad_round_input_gives_chinese_messages_and_saves_nothing(client, w):
    client.force_login(w.staff)
    start, end = basis(w)
    cases = [
        ({"name": "  "}, "请填写评选名称"),
        ({"basis_start": "2025-13-40"}, "日期格式应为 YYYY-MM-DD"),
        ({"basis_end": (start - timedelta(days=1)).isoformat()}, "结束日期不能早于开始日期"),
        ({"basis_end": (w.comp.end_date + timedelta(days=1)).isoformat()}, "评选期须在竞赛期间"),
        ({"quota_total": "0"}, "总名额"),
        ({"quota_total": "abc"}, "名额须为整数"),
        ({"kind": "collective"}, "先进集体评选须选择"),
        ({"quota_by": "business_system", "quota_mode": "fixed", f"quota_{w.system.pk}": "1"}, "各组名额之和"),
        ({"quota_by": "business_system", "quota_mode": "fixed", f"quota_{w.system.pk}": "-1"}, "名额不能为负数"),
        ({"kind": "nonsense"}, "nonsense"),
        ({"min_points": "1e999"}, ""),
        ({"max_deductions": "-2"}, ""),
    ]
    for fields, message in cases:
        response = new_round(client, w, **fields)
        assert response.status_code == 200, fields
        page = response.content.decode()
        assert 'class="errors"' in page, fields
        assert message in page, (fields, message)
    assert not AwardRound.objects.exists()


def test_fixed_quotas_per_group_are_typed_per_group_after_refreshing_the_grouping(client, w):
    client.force_login(w.staff)
    refreshed = new_round(client, w, quota_by="business_system", quota_mode="fixed", refresh="1")
    page = text(refreshed)
    assert f'name="quota_{w.system.pk}"' in page and f'name="quota_{w.other_system.pk}"' in page
    assert 'id="no-other-rounds"' in page  # nothing to exclude yet
    assert not AwardRound.objects.exists()
    response = new_round(client, w, quota_by="business_system", quota_mode="fixed", quota_total="3",
                         **{f"quota_{w.system.pk}": "2", f"quota_{w.other_system.pk}": "1"})
    award_round = AwardRound.objects.get()
    assert response.status_code == 302 and response.url == reverse("honours:round", args=[award_round.pk])
    assert {q.group_id: q.quota for q in award_round.quotas.all()} == {w.system.pk: 2, w.other_system.pk: 1}
    edit = text(client.get(reverse("honours:round_edit", args=[award_round.pk])))
    assert 'id="no-other-rounds"' in edit  # a round cannot exclude itself
    assert re.search(rf'name="quota_{w.system.pk}"[^>]*value="2"|value="2"[^>]*name="quota_{w.system.pk}"', edit)


# -- the whole flow -------------------------------------------------------------------------------------

def test_a_round_goes_from_definition_to_the_final_list_and_its_documents_through_the_pages(
        client, w, f, drivers, run_tasks_inline, django_capture_on_commit_callbacks, media):
    client.force_login(w.staff)
    # given a round: 3 places, no groups
    response = new_round(client, w)
    award_round = AwardRound.objects.get()
    assert response.url == reverse("honours:round", args=[award_round.pk])
    page = text(client.get(response.url))
    assert "生成初选名单" in page and "确定为拟表彰名单" not in page

    # when the shortlist is generated (in the background)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("honours:round_shortlist", args=[award_round.pk]))
    run = ShortlistRun.objects.get(round=award_round)
    assert run.status == JobStatus.SUCCEEDED, run.error
    award_round.refresh_from_db()
    assert award_round.status == RoundStatus.SHORTLISTED and len(award_round.snapshot_digest) == 64
    page = text(client.get(reverse("honours:round", args=[award_round.pk])))
    # then the top three by approved points, the line after them, the snapshot cited
    listed = list(Nominee.objects.filter(round=award_round).order_by("position"))
    assert [n.name for n in listed] == ["周4平", "周3平", "周2平"]
    assert [n.rank for n in listed] == [1, 2, 3]
    assert page.count('class="quota-line"') == 1
    assert award_round.snapshot_digest in page and 'id="snapshot-cite"' in page
    assert "周1平" not in page

    # the committee removes one (a reason is required) and adds another, found by 工号
    remove = reverse("honours:nominee_remove", args=[award_round.pk, listed[2].pk])
    client.post(remove, {"reason": "  "})
    assert Nominee.objects.get(pk=listed[2].pk).status == NomineeStatus.SHORTLISTED
    client.post(remove, {"reason": "安全考核不合格"})
    assert Nominee.objects.get(pk=listed[2].pk).status == NomineeStatus.REMOVED
    search = text(client.get(reverse("honours:nominee_add", args=[award_round.pk]) + "?q=D00001"))
    assert "周1平" in search and "id_number" not in search and drivers[1].id_number not in search
    add = reverse("honours:nominee_add", args=[award_round.pk])
    assert "请填写原因" in text(client.post(add, {"candidate": drivers[1].pk, "reason": ""}))
    response = client.post(add, {"candidate": drivers[1].pk, "reason": "技术革新成果突出"})
    assert response.status_code == 302
    added = Nominee.objects.get(round=award_round, worker=drivers[1])
    assert added.status == NomineeStatus.ADDED and added.reason == "技术革新成果突出"

    # 拟表彰名单, then 公示 for 3 days
    client.post(reverse("honours:round_propose", args=[award_round.pk]))
    assert "不能超过" in text(client.post(reverse("honours:round_publish", args=[award_round.pk]), {"days": "99"},
                                          follow=True))
    client.post(reverse("honours:round_publish", args=[award_round.pk]), {"days": "3"})
    award_round.refresh_from_db()
    assert award_round.status == RoundStatus.PUBLICIZED and award_round.publicity_days == 3

    # two objections during the 公示: one upheld, one rejected
    bob_user = f.worker_user(w.bob)
    upheld = services.raise_objection(user=w.alice_user, nominee=listed[0], reason="该同志本季度有违章记录")
    rejected = services.raise_objection(user=bob_user, nominee=listed[1], reason="积分有误")
    refused = text(client.post(reverse("honours:round_finalize", args=[award_round.pk]), follow=True))
    assert "结束后才能定稿" in refused
    answer = reverse("honours:objection_answer", args=[award_round.pk, upheld.pk])
    assert "请选择异议是否成立" in text(client.post(answer, {"answer": "经核实"}, follow=True))
    client.post(answer, {"upheld": "yes", "answer": "经核实属实，取消其候选资格"})
    client.post(reverse("honours:objection_answer", args=[award_round.pk, rejected.pk]),
                {"upheld": "no", "answer": "经核对录入，积分无误"})
    assert Objection.objects.get(pk=upheld.pk).status == ObjectionStatus.UPHELD
    assert Objection.objects.get(pk=rejected.pk).status == ObjectionStatus.REJECTED
    assert Nominee.objects.get(pk=listed[0].pk).status == NomineeStatus.UPHELD_OBJECTION

    # when the 公示 is over, staff finalize: the documents are built in the background
    past = timezone.now() - timedelta(days=1)
    AwardRound.objects.filter(pk=award_round.pk).update(publicity_start=past - timedelta(days=3), publicity_end=past)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("honours:round_finalize", args=[award_round.pk]))
    award_round.refresh_from_db()
    assert award_round.status == RoundStatus.FINALIZED
    final = list(Nominee.objects.filter(round=award_round, status=NomineeStatus.FINAL).order_by("position"))
    assert [n.name for n in final] == ["周3平", "周1平"]
    page = text(client.get(reverse("honours:round", args=[award_round.pk])))
    assert "表彰名单" in page and 'id="download-roster"' in page and 'id="download-certificates"' in page
    # every step recorded: who, when, why
    actions = list(RoundEvent.objects.filter(round=award_round).order_by("at", "id").values_list("action", flat=True))
    for action in (RoundAction.CREATED, RoundAction.SHORTLISTED, RoundAction.REMOVED, RoundAction.ADDED,
                   RoundAction.PROPOSED, RoundAction.PUBLISHED, RoundAction.OBJECTION_UPHELD,
                   RoundAction.OBJECTION_REJECTED, RoundAction.FINALIZED):
        assert action in actions
    assert "安全考核不合格" in page and "技术革新成果突出" in page and "经核对录入，积分无误" in page

    # then the 表彰名单 reads back with its Chinese headers and the final people
    roster = client.get(reverse("honours:document", args=[award_round.pk, "roster"]))
    assert roster.status_code == 200 and roster["Content-Type"] == documents.XLSX_TYPE
    assert "2025%E5%B9%B4" in roster["Content-Disposition"] and ".xlsx" in roster["Content-Disposition"]
    # no other kind of document is served
    assert client.get(reverse("honours:document", args=[award_round.pk, "zzz"])).status_code == 404
    sheet = load_workbook(io.BytesIO(b"".join(roster.streaming_content))).active
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert rows[0] == ["序号", "工号", "姓名", "站段", "班组", "工种", "业务系统", "积分", "名次"]
    assert [(r[0], r[1], r[2], r[5], r[6]) for r in rows[1:]] == [
        (1, "D00003", "周3平", "电力机车司机", "机务"), (2, "D00001", "周1平", "电力机车司机", "机务")]
    assert Decimal(str(rows[1][7])) == final[0].approved_points
    # and the certificates: one page per person, the names as text, the Chinese font embedded
    pdf = client.get(reverse("honours:document", args=[award_round.pk, "certificates"]))
    reader = PdfReader(io.BytesIO(b"".join(pdf.streaming_content)))
    assert len(reader.pages) == 2
    assert "周3平" in reader.pages[0].extract_text() and "周1平" in reader.pages[1].extract_text()
    assert "2025年度先进个人" in reader.pages[0].extract_text()
    assert "北京市总工会" in reader.pages[0].extract_text()
    assert embedded_fonts(reader) and all("+" in name for name in embedded_fonts(reader))  # subset-tagged

    # the files are frozen: a new request is refused and the stored bytes stay
    stored = documents.AwardDocuments.objects.get(round=award_round)
    before = stored.certificates_sha256
    refused = text(client.post(reverse("honours:documents_build", args=[award_round.pk]), follow=True))
    assert "已冻结" in refused
    stored.refresh_from_db()
    assert stored.certificates_sha256 == before and stored.status == JobStatus.SUCCEEDED
    assert stored.roster.path.startswith(str(media / "private"))


def embedded_fonts(reader) -> list[str]:
    """Base names of the fonts whose program is embedded (FontFile2: TrueType)."""
    names = []
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            for descendant in font.get("/DescendantFonts", []):
                descriptor = descendant.get_object()["/FontDescriptor"].get_object()
                if "/FontFile2" in descriptor:
                    names.append(str(descendant.get_object()["/BaseFont"]))
    return names


def test_a_refused_step_shows_the_services_message_and_changes_nothing(client, w, rounds):
    mine, _nominee, _theirs = rounds
    client.force_login(w.staff)
    for name in ("round_propose", "round_finalize"):
        page = text(client.post(reverse(f"honours:{name}", args=[mine.pk]), follow=True))
        assert "评选当前状态为“筹备”" in page
    page = text(client.post(reverse("honours:round_cancel", args=[mine.pk]), {"reason": ""}, follow=True))
    assert "请填写原因" in page
    page = text(client.post(reverse("honours:documents_build", args=[mine.pk]), follow=True))
    assert "定稿后才能生成" in page
    assert AwardRound.objects.get(pk=mine.pk).status == RoundStatus.DRAFT
    assert not documents.AwardDocuments.objects.exists()
    client.post(reverse("honours:round_cancel", args=[mine.pk]), {"reason": "方案调整"})
    assert AwardRound.objects.get(pk=mine.pk).status == RoundStatus.CANCELLED


def test_hostile_ids_and_parameters_never_give_a_500(client, w, rounds):
    mine, nominee, _theirs = rounds
    client.force_login(w.staff)
    for url in [reverse("honours:rounds") + "?competition=99999999999999999999999&status=x&after=zz",
                reverse("honours:round_new") + "?competition=abc",
                reverse("honours:nominee_add", args=[mine.pk]) + "?q=" + "%" * 80,
                reverse("honours:nominee", args=[mine.pk, nominee.pk]) + "?month=2025-13&after=bad",
                reverse("honours:document", args=[mine.pk, "nothing"])]:
        assert client.get(url).status_code in (200, 302, 404), url
    assert client.get(reverse("honours:round", args=[2**62])).status_code == 404
    response = client.post(reverse("honours:nominee_add", args=[mine.pk]), {"candidate": "9" * 30, "reason": "x"})
    assert response.status_code == 200 and "请先搜索并选择" in response.content.decode()


# -- every point traceable --------------------------------------------------------------------------------

def test_a_nominees_page_shows_per_month_and_rule_the_entries_their_rule_version_and_approval(
        client, w, f, django_assert_max_num_queries):
    # given alice's entries in the first quarter: January km (approved), February km after a new rate and a
    # trip (approved), a rejected March entry, and an April entry outside the period
    start, end = basis(w)
    jan = [entry(w.comp, w.alice, w.km, date(start.year, 1, d), 100 * d, points=Decimal(d)) for d in (5, 6)]
    feb_km = entry(w.comp, w.alice, w.km, date(start.year, 2, 10), 500, points=5)
    feb_trip = entry(w.comp, w.alice, w.trips, date(start.year, 2, 11), 3, points=6)
    march = entry(w.comp, w.alice, w.km, date(start.year, 3, 1), 700, points=7, status="rejected")
    entry(w.comp, w.alice, w.km, date(start.year, 4, 1), 900, points=9, status="approved")
    rule_version_add(actor=w.staff, rule=w.km, effective_from=date(start.year, 2, 1), points_per_unit=Decimal("0.02"))
    approve(w, *jan, feb_trip)
    # January is signed off for 机务; February is not
    review_period(competition=w.comp, business_system=w.system, month=date(start.year, 1, 1),
                                status=PeriodStatus.SIGNED_OFF)
    award_round = services.round_create(actor=w.staff, competition=w.comp, name="一季度", kind="individual",
                                        basis_start=start, basis_end=end, quota_total=1, signed_off_only=True)
    nominee = Nominee.objects.create(round=award_round, worker=w.alice, name=w.alice.name,
                                     employee_no=w.alice.employee_no, position=1, rank=1,
                                     points=Decimal(11), approved_points=Decimal(11))
    client.force_login(w.staff)
    url = reverse("honours:nominee", args=[award_round.pk, nominee.pk])

    with django_assert_max_num_queries(16):
        page = text(client.get(url))
    # then the per-month rows equal the entries, and only January counts (signed off)
    feb_km.refresh_from_db()
    assert feb_km.points == Decimal("10.000")  # repriced at 0.02 per km
    body = page.split('id="by-month"')[1].split("</table>")[0]
    # the header, January km, February km and trips, March km (its one entry rejected), the totals
    assert body.count("<tr") == 6
    counted = WorkEntry.objects.filter(worker=w.alice, work_date__range=(start, date(start.year, 1, 31))) \
        .exclude(status="rejected")
    assert re.search(r'id="total-points">11.000<', page) and sum(e.points for e in counted) == Decimal(11)
    assert re.search(r'id="total-approved">11.000<', page)
    assert "未签发，不计入" in page
    # the January entries: each with the rule version of its date and its approval (who, when)
    assert "每公里 0.01 分，自" in page and "reviewer" in page
    assert len(re.findall(r'id="entry-\d+"', page)) == 2
    feb = text(client.get(url + "?month=" + f"{start.year}-02"))
    assert "每公里 0.02 分，自" in feb and "每趟 2 分" in feb and "每日上限 6 趟" in feb
    assert EntryEvent.objects.filter(entry=feb_km, action=EntryAction.RESCORED).exists() and "重新计分" in feb
    mar = text(client.get(url + "?month=" + f"{start.year}-03"))
    assert f'id="entry-{march.pk}"' in mar and "已退回" in mar and "不符合" in mar


def test_a_long_month_of_entries_is_paged_with_a_bounded_number_of_queries(
        client, w, monkeypatch, django_assert_max_num_queries):
    start, end = basis(w)
    base = entry(w.comp, w.alice, w.km, date(start.year, 1, 1), 100, points=1)
    for day in range(1, 32):
        for rule in (w.trips,):
            entry(w.comp, w.alice, rule, date(start.year, 1, day), 1, points=2)
    for n in range(20):
        WorkEntry.objects.create(competition=w.comp, worker=w.alice, rule=w.km, work_date=date(start.year, 1, 2),
                                 quantity=1, points=Decimal("0.010"), kind="adjustment", adjusts=base,
                                 unit=w.alice.unit, job_type=w.driver, business_system=w.system)
    award_round = services.round_create(actor=w.staff, competition=w.comp, name="一月", kind="individual",
                                        basis_start=start, basis_end=end, quota_total=1, signed_off_only=False)
    nominee = Nominee.objects.create(round=award_round, worker=w.alice, name=w.alice.name, position=1)
    monkeypatch.setattr(views, "TRACE_PAGE", 20)
    client.force_login(w.staff)
    url = reverse("honours:nominee", args=[award_round.pk, nominee.pk]) + f"?month={start.year}-01"
    seen = []
    while url:
        with django_assert_max_num_queries(16):
            page = text(client.get(url))
        seen += re.findall(r'id="entry-(\d+)"', page)
        link = re.search(r'id="next-page" href="([^"]+)"', page)
        url = (reverse("honours:nominee", args=[award_round.pk, nominee.pk]) + link.group(1).replace("&amp;", "&")
               if link else None)
    assert len(seen) == len(set(seen)) == 1 + 31 + 20


def test_the_round_page_costs_the_same_queries_for_3_nominees_as_for_40(client, w, f, rounds):
    mine, _nominee, _theirs = rounds
    client.force_login(w.staff)
    url = reverse("honours:round", args=[mine.pk])
    text(client.get(url))  # warm: the session, the content types

    def queries() -> int:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as captured:
            text(client.get(url))
        return len(captured.captured_queries)

    few = queries()
    for n in range(40):
        worker = f.worker(w.workshop, w.driver, name=f"候选{n}")
        Nominee.objects.create(round=mine, worker=worker, name=worker.name, employee_no=worker.employee_no,
                               position=n + 2, rank=n + 2, points=Decimal(n), approved_points=Decimal(n),
                               depot=w.depot, team=w.workshop, job_type=w.driver, business_system=w.system)
    many = queries()
    assert many == few and many <= 20
    assert text(client.get(url)).count('class="nominees"') == 1


# -- the documents, whatever made the list ------------------------------------------------------------------

def finalized(w, names, *, kind="individual", user=None, snapshot=None):
    """A round taken to its final list through the services, its list put in place as a shortlist would
    (rows written directly, so this does not depend on the shortlist's own computation)."""
    from competitions.models import PeriodSnapshot

    start, end = basis(w)
    extra = {"unit_level": "depot"} if kind == "collective" else {}
    award_round = services.round_create(actor=w.staff, competition=w.comp, name="2025年度先进", kind=kind,
                                        basis_start=start, basis_end=end, quota_total=len(names),
                                        signed_off_only=False, **extra)
    snapshot = snapshot or PeriodSnapshot.objects.create(
        competition=w.comp, start=start, end=end, status="ready", computed_at=timezone.now(), digest="ab" * 32,
        rows=len(names))
    AwardRound.objects.filter(pk=award_round.pk).update(status=RoundStatus.SHORTLISTED, snapshot=snapshot,
                                                        snapshot_digest=snapshot.digest)
    for n, name in enumerate(names, start=1):
        if kind == "collective":
            target = {"unit": w.depot if n == 1 else w.other_depot, "depot": w.depot if n == 1 else w.other_depot,
                      "participants": 10 * n, "average_points": Decimal(100 - n)}
        else:
            target = {"worker": f_worker(w, name), "employee_no": f"E9{n:05d}", "depot": w.depot,
                      "team": w.workshop, "job_type": w.driver, "business_system": w.system}
        Nominee.objects.create(round=award_round, name=name, position=n, rank=n, points=Decimal(200 - n),
                               approved_points=Decimal(100 - n), **target)
    services.propose(actor=w.staff, round_=award_round)
    services.publish(actor=w.staff, round_=award_round, days=1)
    past = timezone.now() - timedelta(days=1)
    AwardRound.objects.filter(pk=award_round.pk).update(publicity_start=past - timedelta(days=1), publicity_end=past)
    return services.finalize(actor=user or w.staff, round_=award_round)


def f_worker(w, name):
    from tests import factories

    return factories.worker(w.workshop, w.driver, name=name)


def build_now(award_round, user):
    stored = documents.documents_request(award_round=award_round, user=user)
    return documents.documents_build(documents_id=stored.pk)


def test_the_roster_escapes_formulas_and_the_certificates_carry_each_name_once(w):
    award_round = finalized(w, ["=HYPERLINK(\"http://x\",\"点此\")", "赵六", "钱七"])
    built = build_now(award_round, w.staff)
    assert built.status == JobStatus.SUCCEEDED and built.pages == 3
    sheet = load_workbook(built.roster.path).active
    cells = [list(row) for row in sheet.iter_rows()]
    assert cells[1][2].value == "=HYPERLINK(\"http://x\",\"点此\")" and cells[1][2].data_type == "s"
    assert [c.value for c in cells[0]] == ["序号", "工号", "姓名", "站段", "班组", "工种", "业务系统", "积分", "名次"]
    assert [(r[3].value, r[4].value, r[7].value, r[8].value) for r in cells[1:]] == [
        ("北京机务段", "运用车间", 99, 1), ("北京机务段", "运用车间", 98, 2), ("北京机务段", "运用车间", 97, 3)]
    reader = PdfReader(built.certificates.path)
    assert len(reader.pages) == 3
    texts = [page.extract_text() for page in reader.pages]
    assert ["赵六" in t for t in texts] == [False, True, False] and "钱七" in texts[2]
    assert all("北京机务段 运用车间" in t and "2025年度先进" in t for t in texts)
    assert hashlib.sha256(open(built.certificates.path, "rb").read()).hexdigest() == built.certificates_sha256
    # Built again from the same list, the certificates are the same bytes.
    again = documents.certificates_pdf(documents.certificate_terms(award_round), documents.honourees(award_round),
                                       documents.certificate_font())
    assert hashlib.sha256(again).hexdigest() == built.certificates_sha256


def test_a_collective_rounds_documents_name_the_units(client, w):
    award_round = finalized(w, ["北京机务段", "北京工务段"], kind="collective")
    built = build_now(award_round, w.staff)
    client.force_login(w.staff)
    page = text(client.get(reverse("honours:round", args=[award_round.pk])))
    assert "参赛人数" in page and "人均已审核积分" in page and "北京工务段" in page and 'id="download-roster"' in page
    sheet = load_workbook(built.roster.path).active
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert rows[0] == ["序号", "单位", "站段", "参赛人数", "人均已审核积分", "已审核积分合计", "名次"]
    assert rows[1][:4] == [1, "北京机务段", "北京机务段", 10]
    texts = [page.extract_text() for page in PdfReader(built.certificates.path).pages]
    assert "北京机务段：" in texts[0] and "同志" not in texts[0] and "北京工务段：" in texts[1]


def test_without_a_chinese_font_the_roster_is_made_and_the_certificates_fail_with_what_to_install(
        w, monkeypatch, settings):
    award_round = finalized(w, ["赵六"])
    settings.CERTIFICATE_FONT = ""
    monkeypatch.setattr(documents, "_FONT_PACKAGE", "no_such_font_package")
    monkeypatch.setattr(documents, "_DEBIAN_FONTS", ())
    built = build_now(award_round, w.staff)
    assert built.status == JobStatus.FAILED and "fonts-wqy-microhei" in built.error and built.roster
    roster = built.roster.name
    # The font installed, a new request builds only the certificates: the roster stays the same file.
    monkeypatch.setattr(documents, "_FONT_PACKAGE", "paperang_p2_fonts_cjk")
    rebuilt = build_now(award_round, w.staff)
    assert rebuilt.status == JobStatus.SUCCEEDED and rebuilt.roster.name == roster and rebuilt.certificates
    with pytest.raises(services.RoundRefused, match="已冻结"):
        documents.documents_request(award_round=award_round, user=w.staff)


def test_a_name_the_font_cannot_print_fails_the_certificates_naming_it_and_nothing_is_frozen(w):
    # given a final list with a rare character (U+20BB7, 𠮷) the bundled font has no glyph for
    award_round = finalized(w, ["宋𠮷", "赵六"])

    # when the documents are built, then the certificates are not stored (fpdf2 would silently leave the
    # character out, and stored certificates are frozen) and the error says which character of which name
    built = build_now(award_round, w.staff)
    assert built.status == JobStatus.FAILED and not built.certificates and built.roster
    assert "“𠮷”（宋𠮷）" in built.error and "CERTIFICATE_FONT" in built.error
    # and nothing is frozen: once a font with the character is configured, a new request builds them
    assert documents.documents_request(award_round=award_round, user=w.staff).status == JobStatus.RUNNING

@pytest.mark.parametrize(("language", "words"), [
    ("en", ["The certificate font has no glyph for these characters", "&quot;𠮷&quot; (宋𠮷, 吴𠮷); &quot;𡈼&quot; (吴𡈼)"]),
    ("zh-hans", ["证书字体中没有以下字符", "“𠮷”（宋𠮷、吴𠮷）；“𡈼”（吴𡈼）"]),
])
def test_the_font_error_is_stored_in_chinese_and_read_in_the_readers_language(client, w, language, words):
    # given names with two characters the font lacks, one of them in two names
    award_round = finalized(w, ["宋𠮷", "吴𠮷", "吴𡈼"])
    built = build_now(award_round, w.staff)
    # then the error is stored in Chinese, its list of characters kept as facts worded with each language's
    # punctuation (English read “𠮷”（宋𠮷）)
    assert built.error.startswith("证书字体中没有以下字符") and "“𠮷”（宋𠮷、吴𠮷）；“𡈼”（吴𡈼）" in built.error
    assert built.error_params["facts"]["chars"]["separator"] == "；"
    client.force_login(w.staff)
    client.cookies["django_language"] = language
    page = text(client.get(reverse("honours:round", args=[award_round.pk])))
    failed = next(line for line in page.splitlines() if "CERTIFICATE_FONT" in line)
    assert all(word in failed for word in words)


@pytest.mark.parametrize(("language", "text_shown"), [
    ("en", "The task queue is unavailable, so this could not start; please try again later."),
    ("zh-hans", "任务队列暂时不可用，未能开始；请稍后再试。"),
])
def test_a_shortlist_the_queue_could_not_take_reads_in_the_readers_language(client, w, language, text_shown):
    award_round = finalized(w, ["赵六"])
    run = ShortlistRun.objects.create(round=award_round, requested_by=w.staff, requested_at=timezone.now())
    with translation.override("en"):
        mark_unsent(ShortlistRun, run.pk)
    run.refresh_from_db()
    assert run.error == "任务队列暂时不可用，未能开始；请稍后再试。"
    with translation.override(language):
        assert run.error_text == text_shown


def test_a_configured_font_that_is_missing_falls_back_to_the_bundled_one(settings):
    settings.CERTIFICATE_FONT = "/nowhere/font.ttf"
    assert documents.certificate_font().name == "wqy-microhei.ttc"


def test_a_units_page_lists_its_members_from_the_snapshot_and_traces_the_one_chosen(client, w):
    from competitions.standings.periods import compute_period_snapshot

    start, end = basis(w)
    approve(w, entry(w.comp, w.alice, w.km, start + timedelta(days=9), 700, points=7),
            entry(w.comp, w.carol, w.metres, start + timedelta(days=9), 50, points=5))
    snapshot = compute_period_snapshot(competition_id=w.comp.pk, start=start, end=end, user=w.staff)
    award_round = finalized(w, ["北京机务段", "北京工务段"], kind="collective", snapshot=snapshot)
    depot_nominee = Nominee.objects.get(round=award_round, unit=w.depot)
    client.force_login(w.staff)
    url = reverse("honours:nominee", args=[award_round.pk, depot_nominee.pk])
    page = text(client.get(url))
    members = page.split('id="members"')[1].split("</table>")[0]
    assert w.alice.name in members and w.carol.name not in members and 'id="by-month"' not in page
    traced = text(client.get(url + f"?worker={w.alice.pk}"))
    assert 'id="by-month"' in traced and re.search(r'id="total-approved">7.000<', traced)
    assert f"worker={w.alice.pk}&amp;month=" in traced
    # Someone outside the unit, or no one at all: the list only.
    for other in (w.carol.pk, 0, "x", 2**70):
        assert 'id="by-month"' not in text(client.get(url + f"?worker={other}"))


def test_the_committee_searches_units_for_a_collective_round(client, w):
    start, end = basis(w)
    award_round = services.round_create(actor=w.staff, competition=w.comp, name="先进集体", kind="collective",
                                        unit_level="depot", basis_start=start, basis_end=end, quota_total=1)
    client.force_login(w.staff)
    page = text(client.get(reverse("honours:nominee_add", args=[award_round.pk]) + "?q=工务"))
    assert "北京工务段" in page and "北京机务段" not in page and "运用车间" not in page
