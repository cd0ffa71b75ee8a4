"""Importing job types and scoring rules from Excel/CSV: natural keys, versions, all or nothing."""

import io
from datetime import date
from decimal import Decimal

import openpyxl
import pytest
import tablib
from django.urls import reverse

from competitions.models import Direction, JobType, RuleVersion, ScoringRule
from competitions.resources import JobTypeResource, ScoringRuleResource
from members.resources import import_problems

pytestmark = pytest.mark.django_db

JOB_HEADERS = ["工种编码", "工种名称", "业务系统"]
RULE_HEADERS = ["劳动竞赛", "工种编码", "量化指标", "计量单位", "加/扣分", "每单位积分", "每日上限", "生效日期"]


def test_job_types_by_business_system_code_or_name(f):
    system = f.business_system(code="JW", name="机务")
    data = [["JT-A", "电力机车司机", "JW"], ["JT-B", "内燃机车司机", "机务"]]

    result = JobTypeResource().import_data(tablib.Dataset(*data, headers=JOB_HEADERS), dry_run=False)

    assert not result.has_errors() and not result.has_validation_errors()
    assert set(JobType.objects.filter(business_system=system).values_list("code", flat=True)) == {"JT-A", "JT-B"}


def test_job_type_name_repeated_in_a_system_is_reported_and_nothing_saved(f):
    system = f.business_system(code="JW", name="机务")
    f.job_type(system, code="OLD", name="司机")
    data = [["JT-A", "检修工", "JW"], ["JT-B", "司机", "JW"], ["JT-C", "调度", "无此系统"]]
    resource = JobTypeResource()

    result = resource.import_data(tablib.Dataset(*data, headers=JOB_HEADERS), dry_run=False)

    problems = import_problems(result, resource)
    assert "第2行：同一业务系统内工种名称不能重复。" in problems
    assert "第3行 业务系统：找不到业务系统“无此系统”。" in problems
    assert JobType.objects.count() == 1


def test_a_nul_character_in_a_key_column_is_reported_on_its_cell_and_nothing_saved(admin_client, f):
    f.business_system(code="JW", name="机务")
    upload = io.BytesIO("工种编码,工种名称,业务系统\nJT-A,检修工,JW\nJT\x00B,司机,JW\n".encode("utf-8-sig"))
    upload.name = "job_types.csv"

    # The key column is looked up for every row before any row is checked: the NUL reached PostgreSQL (500).
    response = admin_client.post(reverse("admin:competitions_jobtype_import"),
                                 {"import_file": upload, "format": "1", "resource": "0"})

    assert response.status_code == 200
    assert "第2行 工种编码：不能包含空字符（NUL）。" in response.context["import_problems"]
    assert not JobType.objects.exists()


@pytest.fixture
def setting(f):
    comp = f.competition(name="2026京津冀劳动竞赛", start=date(2026, 1, 1), end=date(2026, 12, 31))
    return {"competition": comp, "job": f.job_type(code="JT-DRV", name="司机")}


def test_rules_create_rule_and_version(setting):
    data = [
        ["2026京津冀劳动竞赛", "JT-DRV", "安全走行公里", "公里", "加分", "0.01", "800", "2026-01-01"],
        ["2026京津冀劳动竞赛", "JT-DRV", "违章次数", "次", "扣分", "5", "", "2026-01-01"],
    ]

    result = ScoringRuleResource().import_data(tablib.Dataset(*data, headers=RULE_HEADERS), dry_run=False)

    assert not result.has_errors() and not result.has_validation_errors()
    safe = ScoringRule.objects.get(metric="安全走行公里")
    assert safe.direction == Direction.ADD
    version = safe.versions.get()
    assert (version.points_per_unit, version.daily_cap, version.effective_from) == (
        Decimal("0.01"), Decimal("800"), date(2026, 1, 1))
    penalty = ScoringRule.objects.get(metric="违章次数")
    assert penalty.direction == Direction.DEDUCT
    assert penalty.versions.get().daily_cap is None


def test_reimport_with_a_later_date_adds_a_version_and_same_date_updates_it(f, setting):
    rule = f.rule(setting["competition"], setting["job"], metric="安全走行公里", points_per_unit="0.01",
                  effective_from=date(2026, 1, 1))
    later = [["2026京津冀劳动竞赛", "JT-DRV", "安全走行公里", "公里", "加分", "0.02", "", "2026-07-01"]]
    same_day = [["2026京津冀劳动竞赛", "JT-DRV", "安全走行公里", "公里", "加分", "0.015", "", "2026-01-01"]]

    ScoringRuleResource().import_data(tablib.Dataset(*later, headers=RULE_HEADERS), dry_run=False)
    ScoringRuleResource().import_data(tablib.Dataset(*same_day, headers=RULE_HEADERS), dry_run=False)

    assert ScoringRule.objects.count() == 1
    versions = dict(rule.versions.values_list("effective_from", "points_per_unit"))
    assert versions == {date(2026, 1, 1): Decimal("0.015"), date(2026, 7, 1): Decimal("0.02")}


def test_bad_rule_rows_are_reported_in_chinese_and_nothing_saved(setting):
    data = [
        ["2026京津冀劳动竞赛", "JT-DRV", "甲", "次", "加分", "1", "", "2026-01-01"],
        ["无此竞赛", "JT-DRV", "乙", "次", "加分", "1", "", "2026-01-01"],
        ["2026京津冀劳动竞赛", "JT-DRV", "丙", "次", "加分", "0", "", "2026-01-01"],
        ["2026京津冀劳动竞赛", "JT-DRV", "丁", "次", "加分", "1", "", "2025-06-01"],
        ["2026京津冀劳动竞赛", "JT-DRV", "戊", "次", "多分", "abc", "", "明天"],
    ]
    resource = ScoringRuleResource()

    result = resource.import_data(tablib.Dataset(*data, headers=RULE_HEADERS), dry_run=False)

    problems = import_problems(result, resource)
    assert "第2行 劳动竞赛：找不到劳动竞赛“无此竞赛”。" in problems
    assert any(p.startswith("第3行 每单位积分：") for p in problems)
    assert "第4行 生效日期：生效日期必须在竞赛期间内。" in problems
    assert any(p.startswith("第5行 加/扣分：“多分”无效") for p in problems)
    assert "第5行 每单位积分：“abc”不是数字。" in problems
    assert "第5行 生效日期：日期“明天”无法识别，请填写如 2026-01-31。" in problems
    assert not any(p.startswith("第1行") for p in problems)
    assert ScoringRule.objects.count() == 0
    assert RuleVersion.objects.count() == 0


def test_two_rows_for_the_same_rule_and_date_are_both_reported_and_nothing_saved(setting):
    # the same version twice (the date in two spellings): before, the last row silently won
    data = [
        ["2026京津冀劳动竞赛", "JT-DRV", "安全走行公里", "公里", "加分", "0.01", "", "2026-01-01"],
        ["2026京津冀劳动竞赛", "JT-DRV", "违章次数", "次", "扣分", "5", "", "2026-01-01"],
        ["2026京津冀劳动竞赛", "JT-DRV", "安全走行公里", "公里", "加分", "0.02", "", "2026/1/1"],
        ["2026京津冀劳动竞赛", "JT-DRV", "安全走行公里", "公里", "加分", "0.02", "", "2026-07-01"],
    ]
    resource = ScoringRuleResource()

    result = resource.import_data(tablib.Dataset(*data, headers=RULE_HEADERS), dry_run=False)

    problems = import_problems(result, resource)
    assert problems == ["第1行 生效日期：与第3行是同一计分规则的同一生效日期，每个版本只能有一行。",
                        "第3行 生效日期：与第1行是同一计分规则的同一生效日期，每个版本只能有一行。"]
    assert ScoringRule.objects.count() == 0 and RuleVersion.objects.count() == 0


def test_rule_export_round_trip(f, setting):
    rule = f.rule(setting["competition"], setting["job"], metric="安全走行公里", points_per_unit="0.01")
    RuleVersion.objects.create(rule=rule, effective_from=date(2026, 7, 1), points_per_unit=Decimal("0.02"))

    exported = ScoringRuleResource().export()

    assert exported.headers == ["劳动竞赛", "工种编码", "工种名称", "量化指标", "计量单位", "加/扣分", "启用",
                                "每单位积分", "每日上限", "生效日期"]
    assert list(exported[0]) == ["2026京津冀劳动竞赛", "JT-DRV", "司机", "安全走行公里", "件", "加分", "是",
                                 "0.02", "", "2026-07-01"]
    result = ScoringRuleResource().import_data(exported, dry_run=False)
    assert not result.has_errors() and not result.has_validation_errors()
    assert rule.versions.count() == 2


def test_rule_import_through_the_admin_with_xlsx(admin_client, setting):
    book = openpyxl.Workbook()
    book.active.append(RULE_HEADERS)
    book.active.append(["2026京津冀劳动竞赛", "JT-DRV", "安全走行公里", "公里", "加分", 0.01, None,
                        date(2026, 1, 1)])
    upload = io.BytesIO()
    book.save(upload)
    upload.seek(0)
    upload.name = "rules.xlsx"

    preview = admin_client.post(reverse("admin:competitions_scoringrule_import"),
                                {"import_file": upload, "format": "0", "resource": "0"})
    form = preview.context["confirm_form"]
    done = admin_client.post(reverse("admin:competitions_scoringrule_process_import"), form.initial)

    assert done.status_code == 302
    assert ScoringRule.objects.get().versions.get().points_per_unit == Decimal("0.01")
