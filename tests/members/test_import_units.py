"""Importing the unit tree from Excel/CSV: parents by code, paths computed, all or nothing."""

import pytest
import tablib

from members.models import Unit, UnitLevel
from members.resources import UnitResource, import_problems

pytestmark = pytest.mark.django_db

HEADERS = ["单位编码", "单位名称", "层级", "地区", "上级单位编码", "启用"]


def test_tree_in_one_file_parent_rows_first():
    data = [
        ["BJ", "北京局", "路局", "北京", "", "是"],
        ["BJ-D1", "北京车务段", "站段", "北京", "BJ", "是"],
        ["BJ-D1-W1", "第一车间", "车间", "北京", "BJ-D1", "是"],
        ["BJ-D1-W1-T1", "一班组", "班组", "北京", "BJ-D1-W1", "否"],
    ]

    result = UnitResource().import_data(tablib.Dataset(*data, headers=HEADERS), dry_run=False)

    assert not result.has_errors() and not result.has_validation_errors()
    team = Unit.objects.get(code="BJ-D1-W1-T1")
    assert team.path == "/BJ/BJ-D1/BJ-D1-W1/BJ-D1-W1-T1/"
    assert team.depot == Unit.objects.get(code="BJ-D1")
    assert team.level == UnitLevel.TEAM
    assert team.is_active is False


def test_reimport_with_a_new_parent_moves_the_subtree(f):
    old, new = f.depot(code="D1"), f.depot(code="D2")
    workshop = f.unit(parent=old, code="W1")
    team = f.unit(parent=workshop, code="T1")
    data = [["W1", workshop.name, "车间", "北京", "D2", "是"]]

    result = UnitResource().import_data(tablib.Dataset(*data, headers=HEADERS), dry_run=False)

    assert not result.has_validation_errors()
    team.refresh_from_db()
    assert team.path == new.path + "W1/T1/"
    assert team.depot_id == new.pk


def test_bad_rows_are_reported_and_nothing_is_saved():
    data = [
        ["BJ", "北京局", "路局", "北京", "", "是"],
        ["BJ-D1", "北京车务段", "站段", "北京", "NOPE", "是"],
        ["A/B", "斜杠单位", "站段", "北京", "BJ", "是"],
        ["BJ-D2", "无上级站段", "站段", "北京", "", "是"],
        ["BJ-D3", "地区错", "站段", "上海", "BJ", "是"],
    ]
    resource = UnitResource()

    result = resource.import_data(tablib.Dataset(*data, headers=HEADERS), dry_run=False)

    problems = import_problems(result, resource)
    assert "第2行 上级单位编码：找不到上级单位“NOPE”。" in problems
    assert "第3行 单位编码：单位编码不能包含“/”。" in problems
    assert "第4行：只有路局没有上级单位；站段、车间、班组必须有上级单位。" in problems
    assert any(p.startswith("第5行 地区：“上海”无效") for p in problems)
    assert Unit.objects.count() == 0


def test_export_round_trip():
    data = [["BJ", "北京局", "路局", "北京", "", "是"], ["BJ-D1", "北京车务段", "站段", "北京", "BJ", "是"]]
    UnitResource().import_data(tablib.Dataset(*data, headers=HEADERS), dry_run=False)

    exported = UnitResource().export()

    assert exported.headers == [*HEADERS, "路径"]
    assert list(exported[1]) == ["BJ-D1", "北京车务段", "站段", "北京", "BJ", "是", "/BJ/BJ-D1/"]
    result = UnitResource().import_data(exported, dry_run=False)
    assert not result.has_errors() and not result.has_validation_errors()
    assert result.totals["update"] == 2
    assert Unit.objects.count() == 2


def test_moving_a_unit_and_updating_its_child_in_one_file_keeps_the_new_path(f):
    old, new = f.depot(code="D1"), f.depot(code="D2")
    workshop = f.unit(parent=old, code="W1")
    team = f.unit(parent=workshop, code="T1")
    data = [["W1", workshop.name, "车间", "北京", "D2", "是"], ["T1", "改名班组", "班组", "北京", "W1", "是"]]

    result = UnitResource().import_data(tablib.Dataset(*data, headers=HEADERS), dry_run=False)

    assert not result.has_errors() and not result.has_validation_errors()
    team.refresh_from_db()
    assert team.name == "改名班组"
    assert team.path == new.path + "W1/T1/"
    assert team.depot_id == new.pk
