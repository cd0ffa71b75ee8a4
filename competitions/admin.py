"""Admin for union staff: competitions, organizers, business systems, job types, scoring rules."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.shortcuts import redirect

from competitions.models import (
    BusinessSystem,
    Competition,
    JobType,
    Organizer,
    RuleVersion,
    ScoringRule,
    StandingDay,
)
from competitions.resources import JobTypeResource, ScoringRuleResource
from competitions.services import CompetitionInUse, competition_delete
from members.admin_import import PortalImportExportMixin


@admin.register(Organizer)
class OrganizerAdmin(admin.ModelAdmin):
    list_display = ("name", "region")
    list_filter = ("region",)
    search_fields = ("name",)


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


@admin.register(Competition)
class CompetitionAdmin(admin.ModelAdmin):
    list_display = ("name", "start_date", "end_date", "status", "created_at")
    list_filter = ("status", "organizers")
    search_fields = ("name",)
    filter_horizontal = ("organizers",)
    date_hierarchy = "start_date"  # a handful of competitions: the date drill-down is cheap
    readonly_fields = ("created_at",)

    def get_deleted_objects(self, objs, request):
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        # Staff may not delete one day of standings on its own (the standings admin), but a competition's
        # days go with it: competition_delete drops them.
        days = str(StandingDay._meta.verbose_name)
        return deleted, counts, {p for p in perms_needed if str(p) != days}, protected

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


class RuleVersionInline(admin.TabularInline):
    model = RuleVersion
    extra = 0
    # A rule without a version has no points: require one.
    min_num = 1
    fields = ("effective_from", "points_per_unit", "daily_cap", "created_at")
    readonly_fields = ("created_at",)
    # A version is the standard in force from its date; entries already scored under it keep
    # their points, so versions are superseded by a newer one, never deleted.
    can_delete = False

    def get_formset(self, request, obj=None, **kwargs):
        # min_num alone only pre-draws a form; validate_min makes an empty one an error.
        return super().get_formset(request, obj, validate_min=True, **kwargs)


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

    def get_queryset(self, request):
        # The latest version's points in the same query as the rule, not one query per row.
        latest = RuleVersion.objects.filter(rule=OuterRef("pk")).order_by("-effective_from")
        return super().get_queryset(request).annotate(
            latest_points=Subquery(latest.values("points_per_unit")[:1]),
        )

    @admin.display(description="最新每单位积分")
    def current_points(self, obj):
        return obj.latest_points


@admin.register(RuleVersion)
class RuleVersionAdmin(admin.ModelAdmin):
    list_display = ("rule", "effective_from", "points_per_unit", "daily_cap", "created_at")
    list_filter = ("rule__competition", "rule__job_type__business_system")
    list_select_related = ("rule__job_type",)
    autocomplete_fields = ("rule",)
    readonly_fields = ("created_at",)
    date_hierarchy = "effective_from"  # hundreds of rows at most

    def has_delete_permission(self, request, obj=None):
        return False
