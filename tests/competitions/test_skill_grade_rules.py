"""The skill grade (新八级工) where rankings are used: the workspace's "技能等级 ≥ N" filter on the day and period
lists and their exports, and an award round's minimum skill grade excluding someone who ranked above the line."""

from __future__ import annotations

import io
from datetime import date

import openpyxl
import pytest
from django.urls import reverse

from competitions.honours.models import Exclusion, RoundKind
from competitions.models import Job, JobStatus, Standing
from competitions.scopes import Scope
from competitions.standings import reads
from members.models import SkillGrade, Worker
from members.skills import certificate_create
from tests.competitions import portal_data, test_workspace
from tests.competitions.test_honours import World, exclusions, listed
from tests.competitions.test_workspace import period_order, snapshot_of, table_workers, text

pytestmark = pytest.mark.django_db

# The workspace tests' media root of the test's own (run_jobs, jobs run as soon as they are committed, is
# the suite's fixture: tests/conftest.py).
files = test_workspace.files


def certify(worker, grade, staff, number):
    certificate_create(actor=staff, worker_id=worker.pk, grade=grade, certificate_no=number,
                       assessed_on=date(2024, 1, 1), issuing_body="北京市职业技能鉴定指导中心")


@pytest.fixture
def graded(w):
    """The ranked world with alice a 技师 (5) and bob a 高级工 (4); everyone else keeps 初级工 (2)."""
    portal_data.add_drivers(w, 2)
    portal_data.build(w)
    certify(w.alice, SkillGrade.TECHNICIAN, w.staff, "G-1")
    certify(w.bob, SkillGrade.SENIOR, w.staff, "G-2")
    return w


@pytest.fixture
def staff(client, w):
    client.force_login(w.staff)
    return client


def test_the_day_list_filters_on_the_current_grade_and_keeps_the_scopes_order(staff, graded):
    w, d1 = graded, portal_data.days()[-1]
    page = text(staff.get(reverse("workspace:day"), {"grade": SkillGrade.SENIOR}))
    order = list(Standing.objects.filter(competition=w.comp, day=d1, worker__in=[w.alice, w.bob])
                 .order_by("rank_overall", "worker_id").values_list("worker_id", flat=True))
    assert table_workers(page) == order and len(order) == 2
    assert table_workers(text(staff.get(reverse("workspace:day"), {"grade": SkillGrade.TECHNICIAN}))) == [w.alice.pk]
    assert 'id="standings"' not in text(staff.get(reverse("workspace:day"), {"grade": SkillGrade.CHIEF_TECHNICIAN}))
    # with the job type filter and a scope as well
    page = text(staff.get(reverse("workspace:day"), {"scope": f"unit:{w.depot.pk}", "grade": SkillGrade.SENIOR,
                                                     "job_type": w.driver.pk}))
    assert sorted(table_workers(page)) == sorted([w.alice.pk, w.bob.pk])
    assert f'<option value="{SkillGrade.SENIOR}" selected>高级工及以上</option>' in page


@pytest.mark.parametrize("value", ["9", "0", "abc", "１"])
def test_a_grade_that_is_not_one_is_dropped_with_a_message(staff, graded, value):
    page = text(staff.get(reverse("workspace:day"), {"grade": value}))
    assert "所选技能等级不存在，已取消该筛选。" in page and len(table_workers(page)) > 2


def test_a_cursor_of_the_unfiltered_list_is_refused_by_the_filtered_one(graded):
    w, d1 = graded, portal_data.days()[-1]
    everyone = reads.StaffList(Scope.OVERALL)
    senior = reads.StaffList(Scope.OVERALL, min_grade=SkillGrade.SENIOR)
    row = reads.staff_board(competition_id=w.comp.pk, day=d1, of=everyone, limit=1)[0]
    assert everyone.salt(w.comp.pk, d1) != senior.salt(w.comp.pk, d1)
    assert senior.filters() == {"worker__skill_grade__gte": SkillGrade.SENIOR}
    assert reads.staff_board_count(competition_id=w.comp.pk, day=d1, of=senior) == 2
    assert row.worker_id not in (w.alice.pk, w.bob.pk)  # the top drivers are 初级工


def test_the_day_export_writes_only_the_filtered_rows_and_says_so(staff, graded, files, run_jobs):
    w, d1 = graded, portal_data.days()[-1]
    run_jobs(lambda: staff.post(reverse("workspace:export_day"), {
        "competition": w.comp.pk, "day": d1.isoformat(), "scope": "overall", "grade": SkillGrade.TECHNICIAN}))
    job = Job.objects.get()
    assert job.status == JobStatus.SUCCEEDED, job.error
    assert job.params["grade"] == str(SkillGrade.TECHNICIAN) and job.total == 1
    book = openpyxl.load_workbook(io.BytesIO(b"".join(staff.get(
        reverse("jobs:download", args=[job.pk])).streaming_content)))
    rows = list(book["排名"].iter_rows(values_only=True))
    assert [r[1] for r in rows[1:]] == [w.alice.employee_no]
    about = dict(book["说明"].iter_rows(values_only=True))
    assert about["技能等级"] == "技师及以上（职工当前的技能等级）"


def test_the_period_list_and_its_export_filter_on_the_grade(staff, graded, files, run_jobs):
    w = graded
    d3, _d2, d1 = portal_data.days()
    snapshot = snapshot_of(w, d3, d1)
    page = text(staff.get(reverse("workspace:period", args=[snapshot.pk]), {"grade": SkillGrade.SENIOR}))
    expected = [pk for pk in period_order(snapshot) if pk in (w.alice.pk, w.bob.pk)]
    assert table_workers(page) == expected and len(expected) == 2
    run_jobs(lambda: staff.post(reverse("workspace:export_period", args=[snapshot.pk]),
                                {"scope": "overall", "grade": SkillGrade.SENIOR}))
    job = Job.objects.get()
    assert job.status == JobStatus.SUCCEEDED, job.error
    assert job.total == 2
    book = openpyxl.load_workbook(io.BytesIO(b"".join(staff.get(
        reverse("jobs:download", args=[job.pk])).streaming_content)))
    assert sorted(r[1] for r in list(book["排名"].iter_rows(values_only=True))[1:]) == sorted(
        [w.alice.employee_no, w.bob.employee_no])


# -- the award round's rule ----------------------------------------------------------------------------------

@pytest.fixture
def world(f):
    return World(f)


def test_a_minimum_skill_grade_excludes_the_first_who_ranked_above_the_line_and_says_why(world):
    first, second, third = world.worker(100), world.worker(90), world.worker(80)
    certify(first, SkillGrade.INTERMEDIATE, world.staff, "R-1")
    certify(second, SkillGrade.SENIOR, world.staff, "R-2")
    certify(third, SkillGrade.CHIEF_TECHNICIAN, world.staff, "R-3")
    round_ = world.shortlist(world.round(quota_total=1, min_skill_grade=SkillGrade.SENIOR))

    assert listed(round_) == [second.employee_no]
    assert exclusions(round_) == [(first.employee_no, "min_skill_grade", "技能等级 中级工 低于 高级工")]


def test_without_the_rule_the_grade_does_not_matter(world):
    first, _second = world.worker(100), world.worker(90)
    round_ = world.shortlist(world.round(quota_total=1))
    assert listed(round_) == [first.employee_no] and not Exclusion.objects.exists()


def test_the_rule_is_for_individual_rounds_only(world):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as refused:
        world.round(kind=RoundKind.COLLECTIVE, unit_level="depot", min_skill_grade=SkillGrade.SENIOR)
    assert "先进集体评选只适用" in str(refused.value)


def test_the_round_page_shows_the_rule_and_the_exclusion(client, world):
    first, _second = world.worker(100), world.worker(90)
    Worker.objects.filter(pk=first.pk).update(skill_grade=SkillGrade.APPRENTICE)
    round_ = world.shortlist(world.round(quota_total=1, min_skill_grade=SkillGrade.JUNIOR))
    client.force_login(world.staff)
    page = client.get(reverse("honours:round", args=[round_.pk])).content.decode()
    assert "技能等级不低于初级工" in page
    assert "技能等级低于最低要求" in page and "技能等级 学徒工 低于 初级工" in page
