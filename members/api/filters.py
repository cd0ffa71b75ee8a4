"""Filters of the worker and unit lookups: a clerk's app finds a worker by the start of the 工号 or the name."""

from __future__ import annotations

import django_filters

from config.api.filters import BooleanFilter, IdFilter
from config.text import typed_code
from members.models import Unit, UnitLevel, Worker
from members.skills import SkillCertificate
from reviews.api.filters import filter_unit_subtree


class WorkerFilter(django_filters.FilterSet):
    employee_no = django_filters.CharFilter(method="filter_employee_no", max_length=20,
                                            help_text="工号开头（前缀匹配，区分大小写）")
    name = django_filters.CharFilter(field_name="name", lookup_expr="startswith", max_length=50,
                                     help_text="姓名开头（前缀匹配，如姓氏）")
    unit = IdFilter(method=filter_unit_subtree, help_text="单位 id（含其下级单位）")
    job_type = IdFilter(field_name="job_type_id", help_text="工种 id")
    is_active = BooleanFilter(help_text="是否在职")
    enterable = BooleanFilter(method="filter_enterable",
                                             help_text="true：只列出本人可以为其录入的职工（录入员所负责单位，含下级）")

    class Meta:
        model = Worker
        fields = ["employee_no", "name", "unit", "job_type", "is_active", "enterable"]

    def filter_employee_no(self, qs, name, value):
        # As typed with a Chinese input method: ＢＪ００４ is the start of BJ004411 (config.text.typed_code).
        return qs.filter(employee_no__startswith=code) if (code := typed_code(value)) else qs

    def filter_enterable(self, qs, name, value):
        return qs.filter(pk__in=Worker.objects.enterable_by(self.request.user).values("pk")) if value else qs


class UnitFilter(django_filters.FilterSet):
    code = django_filters.CharFilter(field_name="code", lookup_expr="startswith", max_length=32,
                                     help_text="单位编码开头（前缀匹配）")
    name = django_filters.CharFilter(field_name="name", lookup_expr="startswith", max_length=100,
                                     help_text="单位名称开头（前缀匹配）")
    parent = IdFilter(field_name="parent_id", help_text="上级单位 id（只列直接下级）")
    level = django_filters.ChoiceFilter(choices=UnitLevel.choices,
                                        help_text="层级：1路局 2站段 3车间 4班组")

    class Meta:
        model = Unit
        fields = ["code", "name", "parent", "level"]


class SkillCertificateFilter(django_filters.FilterSet):
    worker = IdFilter(field_name="worker_id", help_text="职工 id")

    class Meta:
        model = SkillCertificate
        fields = ["worker"]
