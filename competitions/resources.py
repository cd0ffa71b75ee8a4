"""Excel/CSV import and export of job types and scoring rules (see members.resources for the rules
every import follows: Chinese headers, all or nothing, "第N行 列名：原因")."""

from __future__ import annotations

from collections import Counter

from django.core.exceptions import ValidationError
from import_export import fields
from import_export.instance_loaders import CachedInstanceLoader

from competitions.models import BusinessSystem, Competition, Direction, JobType, RuleVersion, ScoringRule
from competitions.services import rule_direction_check, rule_version_add, rule_version_change, rule_version_check
from members.resources import (
    CachedLookupWidget,
    ChineseDateWidget,
    ChineseDecimalWidget,
    ChoiceLabelWidget,
    LenientInstanceLoader,
    PortalResource,
    TextWidget,
    YesNoWidget,
    cell_text,
)


class JobTypeResource(PortalResource):
    code = fields.Field("code", "工种编码", widget=TextWidget())
    name = fields.Field("name", "工种名称", widget=TextWidget())
    business_system = fields.Field(
        "business_system", "业务系统",
        widget=CachedLookupWidget(BusinessSystem, lookup_fields=("code", "name"), label="业务系统"),
    )
    business_system_name = fields.Field("business_system__name", "业务系统名称", readonly=True)

    unique_columns = ("code",)
    export_select_related = ("business_system",)

    class Meta:
        model = JobType
        fields = ("code", "name", "business_system", "business_system_name")
        import_id_fields = ("code",)
        instance_loader_class = CachedInstanceLoader
        use_bulk = False  # 94 job types: per-row validation of the name-per-system rule is cheap

    def get_queryset(self):
        return JobType.objects.select_related("business_system")


class ScoringRuleResource(PortalResource):
    """One row per (竞赛, 工种, 指标). The version columns (每单位积分, 每日上限, 生效日期) add the
    rule's version in force from that date, which reprices the entries from then on
    (services.rule_version_add), or change the version that already starts that day, as far as
    services.rule_version_check allows (not the points of a version that priced entries). Earlier
    versions, and the points earned under them, are left alone; a rule with entries keeps its direction."""

    competition = fields.Field(
        "competition", "劳动竞赛",
        widget=CachedLookupWidget(Competition, lookup_fields=("name", "id"), label="劳动竞赛"),
    )
    job_type = fields.Field("job_type", "工种编码", widget=CachedLookupWidget(JobType, label="工种"))
    job_type_name = fields.Field("job_type__name", "工种名称", readonly=True)
    metric = fields.Field("metric", "量化指标", widget=TextWidget())
    unit_of_measure = fields.Field("unit_of_measure", "计量单位", widget=TextWidget())
    direction = fields.Field("direction", "加/扣分", widget=ChoiceLabelWidget(Direction.choices),
                             default=Direction.ADD)
    is_active = fields.Field("is_active", "启用", widget=YesNoWidget(), default=True)
    # Not attributes of the rule: read in import_instance, written to a RuleVersion after save.
    points_per_unit = fields.Field(None, "每单位积分", widget=ChineseDecimalWidget())
    daily_cap = fields.Field(None, "每日上限", widget=ChineseDecimalWidget())
    effective_from = fields.Field(None, "生效日期", widget=ChineseDateWidget())

    version_fields = ("points_per_unit", "daily_cap", "effective_from")
    export_select_related = ("competition", "job_type")
    export_prefetch_related = ("versions",)

    class Meta:
        model = ScoringRule
        fields = ("competition", "job_type", "job_type_name", "metric", "unit_of_measure", "direction",
                  "is_active", "points_per_unit", "daily_cap", "effective_from")
        import_id_fields = ("competition", "job_type", "metric")
        instance_loader_class = LenientInstanceLoader
        use_bulk = False  # each rule writes its version after it is saved

    def get_queryset(self):
        return ScoringRule.objects.select_related("competition", "job_type")

    # Export: the latest version (prefetched, so no query per row).
    def _latest_version(self, rule):
        versions = list(rule.versions.all())
        return max(versions, key=lambda v: v.effective_from) if versions else None

    def dehydrate_points_per_unit(self, rule):
        version = self._latest_version(rule)
        return self.fields["points_per_unit"].widget.render(version.points_per_unit if version else None)

    def dehydrate_daily_cap(self, rule):
        version = self._latest_version(rule)
        return self.fields["daily_cap"].widget.render(version.daily_cap if version else None)

    def dehydrate_effective_from(self, rule):
        version = self._latest_version(rule)
        return self.fields["effective_from"].widget.render(version.effective_from if version else None)

    def import_instance(self, instance, row, **kwargs):
        errors = {}
        try:
            super().import_instance(instance, row, **kwargs)
        except ValidationError as e:
            errors = e.update_error_dict(errors)
        instance._import_version = None
        present = [n for n in self.version_fields if self.fields[n].column_name in row]
        if present:
            values = {}
            for name in self.version_fields:
                try:
                    values[name] = self.fields[name].clean(row) if name in present else None
                except ValueError as e:
                    errors.setdefault(name, []).append(ValidationError(str(e)))
            for name in ("points_per_unit", "effective_from"):
                if name in values and values[name] is None and name not in errors:
                    errors.setdefault(name, []).append(ValidationError("此项必填。"))
            if not errors:
                version = RuleVersion(**values)
                try:
                    version.full_clean(exclude=["rule"], validate_unique=False, validate_constraints=False)
                except ValidationError as e:
                    errors = e.update_error_dict(errors)
                competition = instance.competition if instance.competition_id else None
                if competition and values["effective_from"] and not competition.covers(values["effective_from"]):
                    errors.setdefault("effective_from", []).append(
                        ValidationError("生效日期必须在竞赛期间内。"))
                instance._import_version = values
        if instance.pk is not None and "direction" not in errors:
            try:
                rule_direction_check(rule=instance)
            except ValidationError as e:
                errors = e.update_error_dict(errors)
        if instance.pk is not None and instance._import_version and not errors:
            try:
                rule_version_check(version=self._version_to_save(instance, instance._import_version))
            except ValidationError as e:
                # A version's refusal is about its points and date: shown under 每单位积分 unless it names a field.
                errors = (e.update_error_dict(errors) if hasattr(e, "error_dict")
                          else {**errors, "points_per_unit": e.messages})
        if errors:
            raise ValidationError(errors)

    def check_dataset(self, dataset):
        """One row per rule and 生效日期: a second row for the same version would silently replace the first
        (the last one read wins), so both are reported."""
        columns = [self.column_of(name) for name in (*self.get_import_id_fields(), "effective_from")]
        if any(column not in dataset.headers for column in columns):
            return
        date_widget = self.fields["effective_from"].widget
        keys = []
        for row in dataset.dict:
            try:
                day = date_widget.clean(row[columns[-1]])
            except ValueError:
                day = None  # reported on its own row
            keys.append(None if day is None else (*(cell_text(row[c]) for c in columns[:-1]), day))
        repeated = {key for key, n in Counter(k for k in keys if k is not None).items() if n > 1}
        for number, key in enumerate(keys, 1):
            if key in repeated:
                others = "、".join(str(n) for n, k in enumerate(keys, 1) if k == key and n != number)
                self.add_problem(number, "effective_from",
                                 f"与第{others}行是同一计分规则的同一生效日期，每个版本只能有一行。")

    @staticmethod
    def _version_to_save(rule, values) -> RuleVersion:
        """The version the row writes: the rule's version starting that day with the row's values, or a new one."""
        version = (RuleVersion.objects.filter(rule=rule, effective_from=values["effective_from"]).first()
                   or RuleVersion(rule=rule, effective_from=values["effective_from"]))
        version.rule = rule
        version.points_per_unit, version.daily_cap = values["points_per_unit"], values["daily_cap"]
        return version

    def after_save_instance(self, instance, row, **kwargs):
        values = getattr(instance, "_import_version", None)
        if not values:
            return
        version = self._version_to_save(instance, values)
        if version.pk is None:
            rule_version_add(actor=self.user, rule=instance, effective_from=values["effective_from"],
                             points_per_unit=values["points_per_unit"], daily_cap=values["daily_cap"])
        else:
            rule_version_change(actor=self.user, version=version, effective_from=values["effective_from"],
                                points_per_unit=values["points_per_unit"], daily_cap=values["daily_cap"])
