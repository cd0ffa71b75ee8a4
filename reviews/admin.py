"""Admin for union staff: work entries, monthly review periods, disputes and their audit trails.

Entries and periods change state only through the review workflow (entry and period services),
which writes the audit rows; here staff look things up and fix what the workflow leaves to them
(an entry's note, a dispute's answer). Audit rows are never edited or deleted, entries never
deleted, and a locked (signed-off) entry is read-only. Staff read every entry; changing one (its note)
needs a clerk grant for its unit, as in the portal (members.scope), superusers included.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from config.admin_dates import BoundedDateHierarchyMixin
from config.formatting import display_month, format_count, format_points, format_quantity
from config.text import stripped, typed_code
from members.admin_paging import FastChangeListMixin
from reviews.history import entry_history
from reviews.models import (
    Dispute,
    DisputeStatus,
    EntryBatchEvent,
    EntryEvent,
    EntryStatus,
    PeriodEvent,
    PeriodStatus,
    ReviewPeriod,
    WorkEntry,
)
from reviews.services import dispute_answer, entry_note_set
from reviews.validation import EntryRejected
from reviews.workflow import TransitionRefused, period_reopen


class ReadOnlyAdminMixin:
    """For audit rows: viewable by whoever may view the model, never added, changed or deleted."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class EventQuantitiesMixin:
    """An audit row's quantities in its entry's unit of measure (the entry and rule come with the row's query)."""

    @admin.display(description=_("原工作量"))
    def old_quantity_shown(self, obj):
        return format_quantity(obj.old_quantity, obj.entry.rule.unit_of_measure) or "-"

    @admin.display(description=_("新工作量"))
    def new_quantity_shown(self, obj):
        return format_quantity(obj.new_quantity, obj.entry.rule.unit_of_measure) or "-"


class EntryEventInline(EventQuantitiesMixin, ReadOnlyAdminMixin, admin.TabularInline):
    model = EntryEvent
    fields = ("at", "action", "actor", "from_status", "to_status", "old_quantity_shown", "new_quantity_shown",
              "reason")
    readonly_fields = fields
    extra = 0
    ordering = ("at", "id")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor", "entry__rule")


class ShownStatusFilter(admin.SimpleListFilter):
    """The status people see (WorkEntry.shown_status): "locked" is an approved entry of a signed-off month."""

    title = _("状态")
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return EntryStatus.choices

    def queryset(self, request, queryset):
        value = self.value()
        return queryset.in_shown_status([value]) if value in EntryStatus.values else queryset


@admin.register(WorkEntry)
class WorkEntryAdmin(FastChangeListMixin, admin.ModelAdmin):
    list_display = ("id", "work_date", "worker", "rule", "quantity_shown", "points_shown", "status_shown", "kind",
                    "source", "unit", "created_at")
    list_filter = (ShownStatusFilter, "source", "kind", "business_system", "competition", ("work_date",
                   admin.DateFieldListFilter))
    list_select_related = ("worker", "rule__job_type", "unit")
    # Newest first by primary key: the model's (-work_date, id) order has no index of its own and
    # would sort millions of rows for every page. Other columns are not sortable for the same reason.
    ordering = ("-id",)
    sortable_by = ("id",)
    # No date_hierarchy: its drill-down runs SELECT DISTINCT over the dates of millions of entries.
    search_fields = ("=worker__employee_no",)
    search_help_text = _("按工号精确搜索。")
    raw_id_fields = ("worker", "rule", "adjusts", "unit", "job_type", "business_system", "entered_by",
                     "changed_by", "reviewed_by")
    fields = ("competition", "worker", "rule", "work_date", "quantity", "points", "status_shown", "kind", "adjusts",
              "note", "reject_reason", "source", "unit", "job_type", "business_system", "entered_by",
              "changed_by", "reviewed_by", "reviewed_at", "created_at", "updated_at")
    # Quantities, points and statuses move through the entry services (which recompute points and
    # write the audit row); the admin edits only the note.
    readonly_fields = (*(name for name in fields if name != "note"), "month_moves")
    inlines = [EntryEventInline]

    def get_fields(self, request, obj=None):
        return (*self.fields, "month_moves") if obj is not None else self.fields

    def get_queryset(self, request):
        return super().get_queryset(request).with_month_lock()

    @admin.display(description=_("状态"))
    def status_shown(self, obj):
        return obj.get_shown_status_display()

    @admin.display(description=_("批量审核、签发与解锁"))
    def month_moves(self, obj):
        # The entry's history lines that are not among its own rows below (reviews.history): a month's
        # approval job's facts, stored in batches (EntryBatchEvent), and the month's sign-offs and reopenings
        # that moved it, stored once per month (PeriodEvent).
        moves = [event for event in entry_history(obj) if event.pk is None]
        if not moves:
            return "-"
        return format_html_join(mark_safe("<br>"), "{} · {} · {}{}", (
            (event.get_action_display(), event.actor.username if event.actor else "-",
             timezone.localtime(event.at).strftime("%Y-%m-%d %H:%M"), f" · {event.reason}" if event.reason else "")
            for event in moves))

    def get_search_results(self, request, queryset, search_term):
        term = typed_code(search_term)
        if not term:
            return queryset, False
        return queryset.filter(worker__employee_no__in={term, term.upper()}), False

    @admin.display(description=_("工作量"))
    def quantity_shown(self, obj):
        return format_quantity(obj.quantity, obj.rule.unit_of_measure, with_unit=True)

    @admin.display(description=_("积分"))
    def points_shown(self, obj):
        return format_points(obj.points)

    def has_add_permission(self, request):
        # Entries are made in the portal, where the clerk's scope and the point rules apply.
        return False

    def has_change_permission(self, request, obj=None):
        # Signed off: nothing of the month changes (a rejected entry's note included) until union
        # staff reopen it, audited, from the review period's page.
        if obj is not None and obj.month_is_locked:
            return False
        # Changing an entry is entering work: only with a clerk grant for its unit, superusers included
        # (members.scope: separation of duties). Everyone else who may view entries reads them here.
        if obj is not None and not WorkEntry.objects.editable_by(request.user).filter(pk=obj.pk).exists():
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False  # entries are never deleted; a mistake is corrected by an adjustment

    def save_model(self, request, obj, form, change):
        # Through the service: it holds the month open while it writes (the month may have been
        # signed off since the form was opened, or be signed off right now) and writes the audit row.
        if change and "note" in form.changed_data:
            try:
                entry_note_set(actor=request.user, entry_id=obj.pk, note=obj.note)
            except EntryRejected as error:
                raise PermissionDenied(error.errors[0].message) from None


@admin.register(EntryEvent)
class EntryEventAdmin(EventQuantitiesMixin, FastChangeListMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("entry_no", "action", "actor", "at", "from_status", "to_status", "old_quantity_shown",
                    "new_quantity_shown", "reason")
    list_filter = ("action",)
    list_select_related = ("actor", "entry__rule")
    ordering = ("-id",)  # newest first, by primary key (indexed)
    sortable_by = ("entry_no",)
    search_fields = ("=entry__id",)
    # A month's approval job's 通过 are not here but in the bulk review log (EntryBatchEvent), a row per batch.
    search_help_text = _("按录入编号搜索。审核任务（全部通过）的“通过”记在“批量审核记录”中。")

    @admin.display(description=_("录入编号"), ordering="entry_id")
    def entry_no(self, obj):
        return obj.entry_id  # the id only: showing the entry itself would load it row by row


@admin.register(EntryBatchEvent)
class EntryBatchEventAdmin(FastChangeListMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    """A month's approval job's facts, a row per up to 1,000 entries (reviews.history reads them into each
    entry's history). Found by an entry number: the rows whose range holds it, then whether their ids do."""

    list_display = ("id", "action", "actor", "at", "business_system", "month_shown", "entries", "first_entry_id",
                    "last_entry_id")
    list_filter = ("action",)
    list_select_related = ("actor", "business_system")
    ordering = ("-id",)
    sortable_by = ("id",)
    # The ids themselves (up to 1,000) are not shown; the search below answers "which row holds entry N".
    exclude = ("entry_ids",)
    search_fields = ("=first_entry_id",)
    search_help_text = _("按录入编号搜索。")

    @admin.display(description=_("月份"), ordering="month")
    def month_shown(self, obj):
        return display_month(obj.month)

    def get_queryset(self, request):
        return super().get_queryset(request).defer("entry_ids")

    def get_search_results(self, request, queryset, search_term):
        term = stripped(search_term)
        if not term:
            return queryset, False
        if not term.isascii() or not term.isdigit() or len(term) > 18:
            return queryset.none(), False
        entry_id = int(term)
        return queryset.filter(first_entry_id__lte=entry_id, last_entry_id__gte=entry_id,
                               entry_ids__contains=[entry_id]), False


class PeriodEventInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = PeriodEvent
    fields = ("at", "action", "actor", "reason", "entries")
    readonly_fields = fields
    extra = 0


@admin.register(ReviewPeriod)
class ReviewPeriodAdmin(BoundedDateHierarchyMixin, admin.ModelAdmin):
    list_display = ("business_system", "month_shown", "competition", "status", "signed_off_by", "signed_off_at")
    list_filter = ("status", "business_system", "competition")
    list_select_related = ("business_system", "competition", "signed_off_by")
    date_hierarchy = "month"  # one row per system and month: cheap
    # Signing off and reopening lock or unlock every entry of the month and are audited: they go
    # through the period services, not a field edit here.
    readonly_fields = ("competition", "business_system", "month", "status", "signed_off_by", "signed_off_at")
    inlines = [PeriodEventInline]

    def has_add_permission(self, request):
        # A month's row comes with its first entry (reviews.services._hold_open_periods) or its sign-off, always
        # a month of the competition; one added by hand could be any date, a month outside the competition.
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_list_display(self, request):
        return (*self.list_display, "reopen_link")

    @admin.display(description=_("月份"), ordering="month")
    def month_shown(self, obj):
        return display_month(obj.month)

    @admin.display(description=_("解锁"))
    def reopen_link(self, obj):
        if obj.status != PeriodStatus.SIGNED_OFF:
            return "-"
        return format_html('<a href="{}">{}</a>', reverse("admin:reviews_reviewperiod_reopen", args=[obj.pk]),
                           _("解锁…"))

    def get_urls(self):
        return [
            path("<int:pk>/reopen/", self.admin_site.admin_view(self.reopen_view), name="reviews_reviewperiod_reopen"),
            *super().get_urls(),
        ]

    def reopen_view(self, request, pk):
        """Union staff unlock a signed-off month, with a reason; period_reopen audits every entry."""
        period = get_object_or_404(ReviewPeriod.objects.select_related("business_system", "competition"), pk=pk)
        if not self.has_change_permission(request, period):
            raise PermissionDenied
        if request.method == "POST":
            try:
                period_reopen(actor=request.user, period=period, reason=request.POST.get("reason", ""))
            except TransitionRefused as error:
                messages.error(request, error.message)
            else:
                messages.success(request, _("已解锁 %(period)s，原因已记录。") % {"period": period})
                return redirect("admin:reviews_reviewperiod_change", period.pk)
        context = {**self.admin_site.each_context(request), "period": period, "opts": self.model._meta,
                   "title": _("解锁 %(period)s") % {"period": period}}
        return TemplateResponse(request, "admin/reviews/reviewperiod/reopen.html", context)


@admin.register(PeriodEvent)
class PeriodEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("period", "action", "actor", "at", "entries_shown", "reason")
    list_filter = ("action",)
    list_select_related = ("period__business_system", "actor")

    @admin.display(description=_("涉及录入数"), ordering="entries")
    def entries_shown(self, obj):
        return format_count(obj.entries)


class DisputeForm(forms.ModelForm):
    """Answering a dispute, as the clerk's page does (services.dispute_answer writes it): an answer a person
    can read, with 已答复 or 已更正."""

    class Meta:
        model = Dispute
        fields = ("status", "response")

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("status", DisputeStatus.OPEN) != DisputeStatus.OPEN and not stripped(cleaned.get("response")):
            self.add_error("response", _("请填写处理意见。"))
        return cleaned


@admin.register(Dispute)
class DisputeAdmin(BoundedDateHierarchyMixin, FastChangeListMixin, admin.ModelAdmin):
    list_display = ("id", "worker", "work_date", "unit", "status", "created_at", "responded_by", "responded_at")
    list_filter = ("status", "unit__region")
    list_select_related = ("worker", "unit", "responded_by")
    search_fields = ("=worker__employee_no",)
    search_help_text = _("按工号精确搜索。")
    date_hierarchy = "created_at"
    raw_id_fields = ("worker", "entry", "unit")
    fields = ("worker", "entry", "work_date", "unit", "comment", "created_at", "status", "response",
              "responded_by", "responded_at")
    readonly_fields = ("worker", "entry", "work_date", "unit", "comment", "created_at", "responded_by",
                       "responded_at")

    form = DisputeForm

    def has_add_permission(self, request):
        return False  # workers raise disputes from the portal

    def has_delete_permission(self, request, obj=None):
        return False

    def get_readonly_fields(self, request, obj=None):
        # An answered dispute is closed, as in the portal (该申诉已处理): its answer stays as the worker read it.
        # Its stored status: a refused answer leaves the form's status on the object, and its error must show.
        if obj is not None and Dispute.objects.filter(pk=obj.pk).exclude(status=DisputeStatus.OPEN).exists():
            return (*self.readonly_fields, "status", "response")
        return self.readonly_fields

    def save_model(self, request, obj, form, change):
        if "status" not in form.changed_data or obj.status == DisputeStatus.OPEN:
            super().save_model(request, obj, form, change)
            return
        # Through the service, as the clerk's answer: it records who answered and tells the worker.
        try:
            dispute_answer(actor=request.user, dispute_id=obj.pk, response=obj.response,
                           corrected=obj.status == DisputeStatus.CORRECTED)
        except EntryRejected as error:
            raise PermissionDenied(error.errors[0].message) from None
