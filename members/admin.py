"""Admin for union staff: units, workers and accounts.

Worker ID numbers and mobiles are personal data: staff without ``members.view_full_id_number``
see them masked everywhere in the admin (list, change form, exports, import previews). They are
never searchable: a search term travels in the URL (``?q=``) and lands in access logs.
"""

from __future__ import annotations

from axes.admin import AccessAttemptAdmin as AxesAccessAttemptAdmin
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django import forms
from django.contrib import admin, messages
from django.contrib.admin.actions import delete_selected
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.utils import unquote
from django.contrib.auth.admin import UserAdmin
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _

from competitions.admin_standings import ReadOnlyAdmin
from config import cursors
from config.admin_dates import BoundedDateHierarchyMixin
from config.formatting import format_count
from config.text import typed_code
from members.admin_import import PortalImportExportMixin
from members.admin_paging import FastChangeListMixin
from members.forms import AdminLoginForm
from members.models import (
    WECOM_KINDS,
    MemberCard,
    MembershipApplication,
    MembershipEvent,
    NotificationKind,
    SkillCertificate,
    Unit,
    UnitLevel,
    User,
    WecomRobot,
    Worker,
)
from members.resources import UnitResource, WorkerResource, can_view_full_id
from members.services import unit_move

# The admin's login says when the lockout (members/lockout.py) refused it, as the portal's does.
admin.site.login_form = AdminLoginForm
# The lockout's staff page is axes' list of failed logins (登录失败记录); its logs of successful logins and of
# every failure are switched off (AXES_DISABLE_ACCESS_LOG), so their empty pages would only confuse.
admin.site.unregister([AccessLog, AccessFailureLog])


class AccessAttemptAdmin(BoundedDateHierarchyMixin, AxesAccessAttemptAdmin):
    """axes' list of failed logins, with the drill-down by date every admin list here has."""


admin.site.unregister(AccessAttempt)
admin.site.register(AccessAttempt, AccessAttemptAdmin)


class DepotFilter(admin.SimpleListFilter):
    """所属站段: the depots only (a few dozen), not every unit of the tree."""

    title = _("所属站段")
    parameter_name = "depot"

    def lookups(self, request, model_admin):
        return list(Unit.objects.filter(level=UnitLevel.DEPOT).order_by("path").values_list("pk", "name"))

    def queryset(self, request, queryset):
        # Text from the query string, or a depot's id from lookups() when the admin counts each choice
        # ("显示计数", ?_facets): the counts used to fail on the int (no .isascii), a 500.
        value = str(self.value()) if self.value() is not None else ""
        if value:
            if not (value.isascii() and value.isdigit()):
                # A hand-edited or stale link: the admin's "?e=1" page for a bad filter, not a server error.
                raise IncorrectLookupParameters(f"depot={value!r}")
            return queryset.filter(**{self.depot_lookup: value})
        return queryset

    depot_lookup = "unit__depot_id"


class UnitDepotFilter(DepotFilter):
    depot_lookup = "depot_id"


def titled(field_filter, title):
    """A stock field filter under a clearer title (层级 alone could be the worker's or the unit's)."""

    class TitledFilter(field_filter):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.title = title

    return TitledFilter


@admin.register(Unit)
class UnitAdmin(PortalImportExportMixin, admin.ModelAdmin):
    resource_classes = [UnitResource]
    list_display = ("tree_name", "code", "level", "region", "parent", "depot", "path", "is_active")
    list_display_links = ("tree_name",)
    list_filter = ("level", "region", UnitDepotFilter, "is_active")
    list_select_related = ("parent", "depot")
    search_fields = ("^code", "name")
    autocomplete_fields = ("parent",)
    # path and depot are derived (Unit.save, and unit_move for a moved subtree); shown, not edited.
    readonly_fields = ("path", "depot")
    fields = ("code", "name", "level", "region", "parent", "is_active", "depot", "path")
    list_per_page = 100
    # The flat list above, and a collapsible tree (unit_tree_view) that opens one unit's children at a time.
    change_list_template = "admin/members/unit/change_list.html"
    tree_page = 200  # children per request; "更多" pages on by code

    def get_urls(self):
        view = self.admin_site.admin_view(self.unit_tree_view)
        return [path("tree/", view, name="members_unit_tree"),
                path("tree/<int:pk>/", view, name="members_unit_tree_node"),
                *super().get_urls()]

    def unit_tree_view(self, request, pk=None):
        """The children of unit ``pk`` (the bureaus without one), a page at a time. With ``?partial=1``
        (the tree's script, opening a node) only the list; otherwise a page of its own with the unit's
        ancestors, which is also how the tree opens without JavaScript."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        units = self.get_queryset(request)  # the unit list's own rows: the admin is union staff's
        parent = get_object_or_404(units.only("pk", "name", "code", "path", "level"), pk=pk) if pk else None
        try:
            after = cursors.decode("admin-unit-tree", request.GET["after"], str)[0] if "after" in request.GET else None
        except cursors.InvalidCursor:
            after = None
        page = list(units.children_page(pk, after_code=after, limit=self.tree_page + 1))
        more = cursors.encode("admin-unit-tree", page[self.tree_page - 1].code) if len(page) > self.tree_page else None
        context = {"parent": parent, "children": page[:self.tree_page], "more": more, "opts": self.model._meta}
        if request.GET.get("partial") == "1":
            # Rendered without the request's context processors: the list needs none of them (the portal's
            # navigation would cost its queries on every node opened).
            return HttpResponse(render_to_string("admin/members/unit/_tree_children.html", context))
        # The ancestors by their codes, read off the materialized path: one query whatever the depth.
        codes = parent.path.strip("/").split("/")[:-1] if parent else []
        ancestors = sorted(units.filter(code__in=codes).only("pk", "name", "level"), key=lambda u: u.level)
        title = _("单位树 · %(unit)s") % {"unit": parent.name} if parent else _("单位树")
        return TemplateResponse(request, "admin/members/unit/tree.html", {
            **self.admin_site.each_context(request), **context, "ancestors": ancestors, "title": title,
            "tree_url": reverse("admin:members_unit_tree")})

    def save_model(self, request, obj, form, change):
        if change and {"parent", "code"} & set(form.changed_data):
            # A new place in the tree moves the unit's whole subtree: the service does that, then the
            # other fields of the form are saved as usual.
            unit_move(actor=request.user, unit=obj, parent=obj.parent, code=obj.code)
        obj.save()

    @admin.display(description=_("单位（按层级缩进）"), ordering="path")
    def tree_name(self, obj):
        return "　" * (obj.level - 1) + obj.name


@admin.register(User)
class PortalUserAdmin(FastChangeListMixin, UserAdmin):
    """Django's user admin (its password-reset form included) plus the portal's roles."""

    fieldsets = (
        *UserAdmin.fieldsets,
        (_("门户角色"), {"fields": ("must_change_password", "clerk_units", "reviewer_systems", "union_units")}),
    )
    add_fieldsets = (
        *UserAdmin.add_fieldsets,
        (_("门户角色"), {"fields": ("must_change_password",)}),
    )
    list_display = ("username", "first_name", "last_name", "is_staff", "is_active", "must_change_password",
                    "last_login")
    list_filter = ("is_staff", "is_superuser", "is_active", "must_change_password", "groups")
    autocomplete_fields = ("clerk_units", "union_units")
    filter_horizontal = ("groups", "user_permissions", "reviewer_systems")
    search_fields = ("^username", "first_name", "last_name")


class MaskedPersonalDataMixin:
    """The ID number and phone of a record shown masked, and never a URL filter."""

    masked_swap = {"id_number": "masked_id_number", "mobile": "masked_mobile"}

    @admin.display(description=_("身份证号"))
    def masked_id_number(self, obj):
        return obj.id_number_masked

    @admin.display(description=_("手机号"))
    def masked_mobile(self, obj):
        return obj.mobile_masked

    def lookup_allowed(self, lookup, value, request=None):
        # Django allows any lookup on a local field from the URL (?id_number__startswith=1101…):
        # with the result count that would recover a masked number digit by digit, and it would
        # put ID numbers in URLs. Personal data is never a URL filter, for anyone.
        if lookup.split("__")[0] in self.masked_swap:
            return False
        return super().lookup_allowed(lookup, value, request)


WORKER_KEPT = _("职工 %(worker)s 有%(records)s，不能删除：这些是其工作和会籍的记录，须保留。"
                "职工离开时，请在其页面取消勾选“在职”，标记为离职。")
WORKERS_KEPT = _("所选职工中有 %(n)s 人有录入等记录，不能删除，本次没有删除任何职工：%(workers)s。"
                 "职工离开时，请在其页面取消勾选“在职”，标记为离职；只删除没有这些记录的职工。")
WORKERS_KEPT_SHOWN = 5


def records_text(kept: list[tuple[str, int]]) -> str:
    return "、".join(_("%(what)s %(n)s 条") % {"what": what, "n": format_count(n)} for what, n in kept)


def delete_selected_workers(modeladmin, request, queryset):
    """Django's delete_selected, refused as a whole when a selected worker is kept by their records
    (WorkerQuerySet.kept_records), with who and why; asked on the confirmation and on its answer."""
    kept = queryset.kept_records()
    if not kept:
        return delete_selected(modeladmin, request, queryset)
    named = Worker.objects.filter(pk__in=sorted(kept)[:WORKERS_KEPT_SHOWN]).order_by("employee_no")
    workers = "；".join(str(_("%(worker)s（%(records)s）") % {"worker": worker,
                                                             "records": records_text(kept[worker.pk])})
                       for worker in named)
    if len(kept) > WORKERS_KEPT_SHOWN:
        workers += str(_("等"))
    modeladmin.message_user(request, WORKERS_KEPT % {"n": format_count(len(kept)), "workers": workers},
                            messages.ERROR)
    return None


@admin.register(Worker)
class WorkerAdmin(MaskedPersonalDataMixin, FastChangeListMixin, PortalImportExportMixin, admin.ModelAdmin):
    resource_classes = [WorkerResource]
    list_display_full = ("employee_no", "name", "gender", "id_number", "mobile", "unit", "job_type",
                         "skill_grade", "membership_status", "is_active")
    list_display_masked = ("employee_no", "name", "gender", "masked_id_number", "masked_mobile", "unit",
                           "job_type", "skill_grade", "membership_status", "is_active")
    list_display = list_display_masked
    list_display_links = ("employee_no", "name")
    list_filter = (
        DepotFilter, ("unit__level", titled(admin.ChoicesFieldListFilter, _("单位层级"))),
        ("unit__region", titled(admin.ChoicesFieldListFilter, _("单位所在地区"))),
        "job_type__business_system", "job_type", "skill_grade",
        "membership_status", "gender", "is_active",
    )
    list_select_related = ("unit", "job_type")
    # Only indexed columns sort: ordering 223,000 rows by a joined unit name is a full sort per page.
    sortable_by = ("employee_no", "name")
    # Kept for the autocomplete widgets of other admins; get_search_results does the matching.
    search_fields = ("employee_no", "name")
    search_help_text = _("按工号（可只输入开头部分）或姓名（可只输入开头）搜索。")
    autocomplete_fields = ("unit", "job_type")
    raw_id_fields = ("user",)
    readonly_fields = ("created_at", "updated_at")
    fields_full = ("employee_no", "name", "gender", "id_number", "mobile", "unit", "job_type", "skill_grade",
                   "membership_status", "member_card_no", "joined_on", "user", "is_active", "created_at",
                   "updated_at")

    def get_queryset(self, request):
        return super().get_queryset(request).visible_to(request.user)

    def get_list_display(self, request):
        return self.list_display_full if can_view_full_id(request.user) else self.list_display_masked

    def shows_masked(self, request, obj) -> bool:
        # Adding a worker means typing the number in; only an existing record is hidden.
        return obj is not None and not can_view_full_id(request.user)

    def get_fields(self, request, obj=None):
        if self.shows_masked(request, obj):
            return [self.masked_swap.get(name, name) for name in self.fields_full]
        return list(self.fields_full)

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if self.shows_masked(request, obj):
            readonly += list(self.masked_swap.values())
        return readonly

    # A worker with entries, disputes, membership history or nominations is kept (on_delete=PROTECT): Django's
    # own page said 你的帐号无权删除… even to a superuser (the certificates that would go with them are
    # read-only here). Both ways to delete say what keeps the worker, and what to do instead, before asking.
    def delete_view(self, request, object_id, extra_context=None):
        worker = self.get_object(request, unquote(object_id))
        if worker is not None and request.method in ("GET", "POST"):
            kept = Worker.objects.filter(pk=worker.pk).kept_records()
            if kept:
                self.message_user(request, WORKER_KEPT % {"worker": worker, "records": records_text(kept[worker.pk])},
                                  messages.ERROR)
                return redirect(reverse("admin:members_worker_change", args=[worker.pk]))
        return super().delete_view(request, object_id, extra_context)

    def get_actions(self, request):
        actions = super().get_actions(request)
        if "delete_selected" in actions:
            _func, name, description = actions["delete_selected"]
            actions["delete_selected"] = (delete_selected_workers, name, description)
        return actions

    def get_search_results(self, request, queryset, search_term):
        """Employee number by prefix (exact included) or name by prefix: both served by indexes,
        unlike the default icontains, which scans all 223,000 rows."""
        term = search_term.strip()
        if not term:
            return queryset, False
        q = Q(employee_no__startswith=typed_code(term)) | Q(name__startswith=term)
        if term.upper() != term:
            q |= Q(employee_no__startswith=term.upper())
        return queryset.filter(q), False


# -- union membership: read-only here; every change goes through members.membership (the portal's /union/
# pages and the API), which writes the history rows with it.

@admin.register(MembershipApplication)
class MembershipApplicationAdmin(MaskedPersonalDataMixin, FastChangeListMixin, ReadOnlyAdmin):
    list_display = ("id", "name", "masked_id_number", "unit", "applied_on", "status", "membership_no", "joined_on")
    list_filter = ("status", "education", "political_status")
    list_select_related = ("unit",)
    sortable_by = ("id", "applied_on")
    search_fields = ("^membership_no", "^name")
    # The ID number and phone are never shown whole nor searchable here (see the module's docstring).
    fields = ("worker", "unit", "name", "gender", "masked_id_number", "birth_date", "masked_mobile", "education",
              "political_status", "job_title", "applied_on", "status", "reason", "membership_no", "joined_on",
              "submitted_by", "decided_by", "decided_at", "created_at")
    readonly_fields = fields


@admin.register(MembershipEvent)
class MembershipEventAdmin(FastChangeListMixin, ReadOnlyAdmin):
    list_display = ("worker", "kind", "on", "reason", "from_unit", "to_unit", "actor", "created_at")
    list_filter = ("kind",)
    list_select_related = ("worker", "from_unit", "to_unit", "actor")
    sortable_by = ("on",)
    raw_id_fields = ("worker", "application")


@admin.register(MemberCard)
class MemberCardAdmin(FastChangeListMixin, ReadOnlyAdmin):
    # Staff see a card number whole (members.membership.card_number_for); the admin is staff's.
    list_display = ("number", "worker", "status", "issued_on", "replaces")
    list_filter = ("status",)
    list_select_related = ("worker", "replaces")
    search_fields = ("^number",)
    sortable_by = ("issued_on",)


@admin.register(SkillCertificate)
class SkillCertificateAdmin(FastChangeListMixin, ReadOnlyAdmin):
    # Read-only as the membership records are: a certificate is entered or imported on the portal's skills
    # pages (members.skills), which check it and move the worker's current grade with it.
    list_display = ("certificate_no", "worker", "grade", "job_type", "assessed_on", "issuing_body", "entered_by",
                    "entered_at")
    list_filter = ("grade",)
    list_select_related = ("worker", "job_type", "entered_by")
    # Prefix searches: 工号 through the worker's indexed employee number, and the certificate's number.
    search_fields = ("^worker__employee_no", "^certificate_no")
    search_help_text = _("按工号或证书编号搜索（可只输入开头部分）。")
    sortable_by = ("assessed_on",)
    raw_id_fields = ("worker",)

# -- 企业微信 group robots ---------------------------------------------------------------------------------

class WecomRobotForm(forms.ModelForm):
    kinds = forms.MultipleChoiceField(label=_("转发的消息类型"), required=False, widget=forms.CheckboxSelectMultiple,
                                      choices=[(kind.value, kind.label) for kind in WECOM_KINDS])

    class Meta:
        model = WecomRobot
        fields = ["depot", "name", "url", "enabled", "kinds"]
        widgets = {"url": forms.PasswordInput(render_value=True, attrs={"autocomplete": "off", "size": 80})}


@admin.register(WecomRobot)
class WecomRobotAdmin(admin.ModelAdmin):
    """The webhook URL holds the robot's key: the list never shows it, and the form keeps it in a password
    field so that it is not read over a shoulder."""

    form = WecomRobotForm
    list_display = ["name", "depot", "enabled", "kind_labels", "last_sent_at", "last_error", "last_error_at"]
    list_filter = ["enabled"]
    list_select_related = ["depot"]
    readonly_fields = ["last_sent_at", "last_error", "last_error_at"]

    @admin.display(description=_("转发的消息类型"))
    def kind_labels(self, robot):
        labels = dict(NotificationKind.choices)
        return "、".join(str(labels.get(kind, kind)) for kind in robot.kinds) or "—"

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "depot":
            kwargs["queryset"] = Unit.objects.filter(level=UnitLevel.DEPOT).order_by("path")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)
