"""Admin for union staff: competitions, organizers, business systems, job types, scoring rules."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.forms.models import BaseInlineFormSet
from django.shortcuts import redirect
from django.utils.html import format_html
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from competitions.jobs import JOB_KINDS
from competitions.models import (
    BusinessSystem,
    Competition,
    Job,
    JobType,
    Organizer,
    RuleVersion,
    ScoringRule,
    StandingDay,
    StandingDigest,
    StandingVerification,
)
from competitions.resources import JobTypeResource, ScoringRuleResource
from competitions.services import (
    CompetitionInUse,
    competition_dates_check,
    competition_delete,
    rule_direction_check,
    rule_direction_in_use_message,
    rule_version_add,
    rule_version_change,
    rule_version_check,
    rule_version_in_use_message,
)
from config.admin_dates import BoundedDateHierarchyMixin
from config.formatting import display_date, format_count
from members.admin_import import PortalImportExportMixin


@admin.register(Organizer)
class OrganizerAdmin(admin.ModelAdmin):
    list_display = ("name", "region")
    list_filter = ("region",)
    search_fields = ("name",)

    def get_deleted_objects(self, objs, request):
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        # The competitions it organizes keep it, as if the link were PROTECT: deleting it would silently take
        # it off them (a many-to-many link is deleted with it), and a competition may be left with none.
        competitions = Competition.objects.filter(organizers__in=objs).distinct().order_by("name")
        protected = [*protected, *(format_html("{}: {}", capfirst(Competition._meta.verbose_name), competition)
                                   for competition in competitions)]
        return deleted, counts, perms_needed, protected


@admin.register(BusinessSystem)
class BusinessSystemAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "sort_order")
    list_editable = ("sort_order",)
    search_fields = ("^code", "name")


@admin.register(JobType)
class JobTypeAdmin(PortalImportExportMixin, admin.ModelAdmin):
    resource_classes = [JobTypeResource]
    list_display = ("code", "name", "business_system")
    list_filter = ("business_system",)
    list_select_related = ("business_system",)
    search_fields = ("^code", "name")
    list_per_page = 100


class CompetitionForm(forms.ModelForm):
    """A competition as staff edit it: new dates must still hold its entries and rule versions
    (services.competition_dates_check is the rule)."""

    class Meta:
        model = Competition
        fields = ("name", "organizers", "start_date", "end_date", "status", "description")

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("start_date") and cleaned.get("end_date"):
            try:
                competition_dates_check(competition=self.instance, start_date=cleaned["start_date"],
                                        end_date=cleaned["end_date"])
            except ValidationError as refused:
                self.add_error(None, refused)
        return cleaned


@admin.register(Competition)
class CompetitionAdmin(BoundedDateHierarchyMixin, admin.ModelAdmin):
    form = CompetitionForm
    list_display = ("name", "start_date", "end_date", "status", "created_at")
    list_filter = ("status", "organizers")
    search_fields = ("name",)
    filter_horizontal = ("organizers",)
    date_hierarchy = "start_date"  # a handful of competitions: the date drill-down is cheap
    readonly_fields = ("created_at",)

    def get_deleted_objects(self, objs, request):
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        # Staff may not delete one day of standings on its own (the standings admin), nor a digest or a
        # verification of one, but a competition's go with it: competition_delete drops them.
        derived = {str(model._meta.verbose_name) for model in (StandingDay, StandingDigest, StandingVerification)}
        return deleted, counts, {p for p in perms_needed if str(p) not in derived}, protected

    # Deleting goes through the service, which drops the competition's standings with it.
    def delete_model(self, request, obj):
        competition_delete(actor=request.user, competition=obj)

    @transaction.atomic
    def delete_queryset(self, request, queryset):
        for competition in queryset:
            competition_delete(actor=request.user, competition=competition)

    # A refusal (a standings run in progress) rolls the deletion back and comes back as a message.
    def delete_view(self, request, object_id, extra_context=None):
        try:
            return super().delete_view(request, object_id, extra_context)
        except CompetitionInUse as refused:
            self.message_user(request, refused.message, messages.ERROR)
            return redirect(request.path)

    def changelist_view(self, request, extra_context=None):
        try:
            return super().changelist_view(request, extra_context)
        except CompetitionInUse as refused:
            self.message_user(request, refused.message, messages.ERROR)
            return redirect(request.get_full_path())


class RuleVersionForm(forms.ModelForm):
    """A version as staff edit it: one that has priced entries shows its date and points per unit
    read-only, with the reason (services.rule_version_check is the rule; a POST of other values is
    ignored for disabled fields and refused by the check for the rest)."""

    class Meta:
        model = RuleVersion
        fields = ("rule", "effective_from", "points_per_unit", "daily_cap")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is None:
            return
        # One count per stored version on the page: a rule has a handful of versions.
        entries = self.instance.covered_entries().count()
        if entries:
            for name in ("rule", "effective_from", "points_per_unit"):
                if name in self.fields:
                    self.fields[name].disabled = True
            self.fields["points_per_unit"].help_text = rule_version_in_use_message(entries)

    def clean(self):
        cleaned = super().clean()
        version = self.instance
        for name in ("effective_from", "points_per_unit"):
            if name in cleaned:
                setattr(version, name, cleaned[name])
        if "rule" in cleaned:
            version.rule = cleaned["rule"]
        rule = version.given_rule()
        # A new rule's own form may be incomplete: its versions are checked once it names its competition and job type.
        if (rule is not None and rule.competition_id and rule.job_type_id and version.effective_from
                and version.points_per_unit and not self.errors):
            try:
                rule_version_check(version=version)
            except ValidationError as refused:
                self.add_error(None, refused)
        return cleaned


class RuleVersionFormSet(BaseInlineFormSet):
    def get_unique_error_message(self, unique_check):
        # Django's names the field by its code ("请修改effective_from的重复数据").
        return _("生效日期重复：同一计分规则每个生效日期只能有一个版本。")


class RuleVersionInline(admin.TabularInline):
    model = RuleVersion
    form = RuleVersionForm
    formset = RuleVersionFormSet
    extra = 0
    # A rule without a version has no points: require one.
    min_num = 1
    fields = ("effective_from", "points_per_unit", "daily_cap", "created_at")
    readonly_fields = ("created_at",)
    # A version that priced entries is immutable; a new rate is a new version from a date, which
    # reprices the entries from then on. Versions are superseded, never deleted.
    can_delete = False

    def get_formset(self, request, obj=None, **kwargs):
        # min_num alone only pre-draws a form; validate_min makes an empty one an error.
        return super().get_formset(request, obj, validate_min=True, **kwargs)


def save_rule_version(request, version: RuleVersion) -> None:
    """A version from an admin form, through the services: a new one reprices the entries it covers. The
    form's object gets the saved row's id (the admin's history and redirect use it)."""
    if version.pk is not None:
        rule_version_change(actor=request.user, version=version, effective_from=version.effective_from,
                            points_per_unit=version.points_per_unit, daily_cap=version.daily_cap)
        return
    saved, rescored = rule_version_add(actor=request.user, rule=version.rule, effective_from=version.effective_from,
                                       points_per_unit=version.points_per_unit, daily_cap=version.daily_cap)
    version.pk, version.created_at = saved.pk, saved.created_at
    version._state.adding = False
    if rescored:
        messages.info(request, _("已按新标准（自%(day)s起）重新计分 %(n)d 条录入。")
                      % {"day": display_date(version.effective_from), "n": rescored})


class ScoringRuleForm(forms.ModelForm):
    class Meta:
        model = ScoringRule
        fields = ("competition", "job_type", "metric", "unit_of_measure", "direction", "is_active")

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk and "direction" in cleaned:
            try:
                rule_direction_check(rule=ScoringRule(pk=self.instance.pk, direction=cleaned["direction"]))
            except ValidationError as refused:
                self.add_error(None, refused)
        return cleaned


@admin.register(ScoringRule)
class ScoringRuleAdmin(PortalImportExportMixin, admin.ModelAdmin):
    resource_classes = [ScoringRuleResource]
    list_display = ("metric", "job_type", "competition", "unit_of_measure", "direction", "current_points",
                    "is_active")
    list_filter = ("competition", "job_type__business_system", "direction", "is_active")
    list_select_related = ("competition", "job_type")
    search_fields = ("metric", "^job_type__code", "job_type__name")
    autocomplete_fields = ("job_type",)
    inlines = [RuleVersionInline]
    form = ScoringRuleForm

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        if obj is not None and obj.entries.exists() and "direction" in form.base_fields:
            # Its entries were priced with this sign (see RuleVersion).
            form.base_fields["direction"].disabled = True
            form.base_fields["direction"].help_text = rule_direction_in_use_message()
        return form

    def save_formset(self, request, form, formset, change):
        if formset.model is not RuleVersion:
            return super().save_formset(request, form, formset, change)
        for version in formset.save(commit=False):
            save_rule_version(request, version)
        return None

    def get_queryset(self, request):
        # The latest version's points in the same query as the rule, not one query per row.
        latest = RuleVersion.objects.filter(rule=OuterRef("pk")).order_by("-effective_from")
        return super().get_queryset(request).annotate(
            latest_points=Subquery(latest.values("points_per_unit")[:1]),
        )

    @admin.display(description=gettext_lazy("最新每单位积分"))
    def current_points(self, obj):
        return obj.latest_points


@admin.register(RuleVersion)
class RuleVersionAdmin(BoundedDateHierarchyMixin, admin.ModelAdmin):
    form = RuleVersionForm
    list_display = ("rule", "effective_from", "points_per_unit", "daily_cap", "created_at")
    list_filter = ("rule__competition", "rule__job_type__business_system")
    list_select_related = ("rule__job_type",)
    autocomplete_fields = ("rule",)
    readonly_fields = ("created_at",)
    date_hierarchy = "effective_from"  # hundreds of rows at most

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        save_rule_version(request, obj)


@admin.register(Job)
class JobAdmin(BoundedDateHierarchyMixin, admin.ModelAdmin):
    """Who ran which background job (exports) and how it went: a read-only history for union staff. The
    files themselves are downloaded only by their creators, on the job's page in the portal."""

    list_display = ("created_at", "kind_shown", "created_by", "status", "done_shown", "total_shown", "finished_at")
    list_filter = ("status", "kind")
    list_select_related = ("created_by",)
    readonly_fields = ("kind", "params", "status", "done", "total", "filename", "created_by", "created_at",
                       "started_at", "finished_at", "error")
    exclude = ("file",)
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        # Jobs and their files go together after competitions.jobs.JOB_KEEP_DAYS (job_purge), never one alone.
        return False

    @admin.display(description=gettext_lazy("类型"), ordering="kind")
    def kind_shown(self, obj):
        kind = JOB_KINDS.get(obj.kind)
        return kind.label if kind else obj.kind

    @admin.display(description=gettext_lazy("已完成"), ordering="done")
    def done_shown(self, obj):
        return format_count(obj.done)

    @admin.display(description=gettext_lazy("总数"), ordering="total")
    def total_shown(self, obj):
        return format_count(obj.total) or "-"

