"""Admin for the standings: runs (what happened each night), the published days with their digests, the
digest ledger and the verifications of published days, and the "recompute now" and "verify" actions union
staff can start, and the recompute of any day of a competition with its reason (the repair page).
Imported by competitions.apps.ready()."""

from __future__ import annotations

import logging
from datetime import timedelta

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import OuterRef, Subquery
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from competitions.models import (
    StandingDay,
    StandingDigest,
    StandingRun,
    StandingsCompetition,
    StandingVerification,
)
from competitions.tasks import standings_recompute_task, verify_standings_task
from config.admin_dates import BoundedDateHierarchyMixin
from config.formatting import display_date, display_datetime, format_count, format_number
from config.tasks import workers_listening
from config.text import stripped

logger = logging.getLogger(__name__)

QUEUE_DOWN = _("任务队列暂时不可用，%(n)d 个排名计算未能提交；夜间计算照常进行，也可稍后再试。")
# Sent, but no worker answered (config.tasks.workers_listening): the message waits in the queue and runs
# when a worker starts; until then no run appears, so staff are told rather than told "submitted".
NO_WORKER = _("%(n)d 个排名计算已放入任务队列，但现在没有后台处理进程（Celery worker）在运行："
              "计算要等处理进程启动后才会进行，在此之前“排名计算记录”中不会出现。请联系系统管理员启动后台处理进程。")
NO_WORKER_VERIFY = _("%(n)d 个排名核验已放入任务队列，但现在没有后台处理进程（Celery worker）在运行："
                     "核验要等处理进程启动后才会进行，在此之前“排名核验”中不会出现。请联系系统管理员启动后台处理进程。")


def _enqueue(competition_id: int, day, *, full: bool, requested_by_id: int | None = None, reason: str = "") -> bool:
    """Sends the recompute; False when the broker (Redis) cannot take it. Nothing is written before, so
    there is nothing to wait for: sending now lets the action say whether it was sent."""
    try:
        standings_recompute_task.delay(competition_id, day.isoformat(), full=full, trigger="admin",
                                       requested_by_id=requested_by_id, reason=reason)
    except Exception:  # kombu's OperationalError, or the Redis client's own errors: the broker is away
        logger.warning("standings recompute of competition %s for %s not sent: broker unavailable",
                       competition_id, day, exc_info=True)
        return False
    return True


def _report(modeladmin, request, sent: int, failed: int, day=None) -> None:
    if sent and not workers_listening():
        modeladmin.message_user(request, NO_WORKER % {"n": sent}, messages.WARNING)
    elif sent:
        text = (_("已提交 %(n)d 个排名计算（%(day)s），结果见“排名计算记录”。") if day is not None
                else _("已提交 %(n)d 个排名计算。")) % {"n": sent, "day": display_date(day)}
        modeladmin.message_user(request, text, messages.SUCCESS)
    if failed:
        modeladmin.message_user(request, QUEUE_DOWN % {"n": failed}, messages.ERROR)


def _recompute(modeladmin, request, queryset, *, day_offset: int, full: bool):
    day = timezone.localdate() - timedelta(days=day_offset)
    results = [_enqueue(competition.pk, day, full=full) for competition in queryset]
    _report(modeladmin, request, results.count(True), results.count(False), day)


@admin.action(description=_("立即重算昨日排名"))
def recompute_yesterday(modeladmin, request, queryset):
    _recompute(modeladmin, request, queryset, day_offset=1, full=False)


@admin.action(description=_("立即重算今日排名（实时）"))
def recompute_today(modeladmin, request, queryset):
    _recompute(modeladmin, request, queryset, day_offset=0, full=False)


@admin.action(description=_("全量重算昨日排名（修复用）"))
def recompute_yesterday_full(modeladmin, request, queryset):
    _recompute(modeladmin, request, queryset, day_offset=1, full=True)


def repair_days(competition, today=None) -> tuple:
    """The days of ``competition`` whose standings staff may recompute: any from its start to its end or
    today, whichever is first (a later day has no work yet). None for both when it has not started."""
    last = min(competition.end_date, today or timezone.localdate())
    return (competition.start_date, last) if last >= competition.start_date else (None, None)


class RepairForm(forms.Form):
    """A recompute of one day of one competition, with the reason kept on the run (StandingRun.reason)."""

    day = forms.DateField(label=_("排名日期"), widget=forms.DateInput(attrs={"type": "date"}))
    reason = forms.CharField(label=_("原因"), max_length=200, strip=True,
                             error_messages={"required": _("请填写重算原因，它会记录在计算记录中。")})
    full = forms.BooleanField(label=_("从原始录入全量重算"), required=False)

    def __init__(self, *args, competition, **kwargs):
        super().__init__(*args, **kwargs)
        self.first, self.last = repair_days(competition)
        if self.first is not None:
            self.fields["day"].widget.attrs.update(min=self.first.isoformat(), max=self.last.isoformat())

    def clean_reason(self):
        # A reason of zero-width spaces or a byte order mark alone passes the field's own strip: it is no reason.
        reason = stripped(self.cleaned_data["reason"])
        if not reason:
            raise forms.ValidationError(self.fields["reason"].error_messages["required"], code="required")
        return reason

    def clean_day(self):
        day = self.cleaned_data["day"]
        if self.first is None or not self.first <= day <= self.last:
            raise forms.ValidationError(_("只能重算竞赛期间内、且不晚于今天的日期（%(first)s 至 %(last)s）。") % {
                "first": display_date(self.first) if self.first else "-",
                "last": display_date(self.last) if self.last else "-"})
        return day


@admin.register(StandingsCompetition)
class StandingsCompetitionAdmin(admin.ModelAdmin):
    list_display = ["name", "status", "start_date", "end_date", "last_run", "repair_link"]
    list_filter = ["status"]
    search_fields = ["name"]
    actions = [recompute_yesterday, recompute_today, recompute_yesterday_full]
    fields = ["name", "status", "start_date", "end_date"]
    readonly_fields = fields

    @admin.display(description=_("重算某日"))
    def repair_link(self, obj):
        return format_html('<a href="{}">{}</a>', reverse("admin:competitions_standingscompetition_repair",
                                                          args=[obj.pk]), _("选择日期重算…"))

    def get_urls(self):
        return [
            path("<int:pk>/repair/", self.admin_site.admin_view(self.repair_view),
                 name="competitions_standingscompetition_repair"),
            *super().get_urls(),
        ]

    def repair_view(self, request, pk):
        """Union staff recompute any day of the competition (a correction found late, a day a run missed),
        with a reason: sent to the worker as the nightly recompute is, recorded as a run with who and why."""
        competition = get_object_or_404(StandingsCompetition, pk=pk)
        if not self.has_view_permission(request, competition):
            raise PermissionDenied
        form = RepairForm(request.POST or None, competition=competition)
        if request.method == "POST" and form.is_valid():
            day = form.cleaned_data["day"]
            sent = _enqueue(competition.pk, day, full=form.cleaned_data["full"], requested_by_id=request.user.pk,
                            reason=form.cleaned_data["reason"])
            _report(self, request, int(sent), int(not sent), day)
            if sent:
                return redirect(f"{reverse('admin:competitions_standingrun_changelist')}?competition__id__exact="
                                f"{competition.pk}")
        context = {**self.admin_site.each_context(request), "opts": self.model._meta, "form": form,
                   "competition": competition, "first": form.first, "last": form.last,
                   "title": _("重算排名：%(name)s") % {"name": competition.name}}
        return TemplateResponse(request, "admin/competitions/standingscompetition/repair.html", context)

    @admin.display(description=_("最近一次计算"))
    def last_run(self, obj):
        run = obj.standing_runs.order_by("-started_at").first()
        return (f"{display_date(run.day)} {run.get_outcome_display()} · {display_datetime(run.started_at)}"
                if run else "-")

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.action(description=_("按所选记录的竞赛和日期重新计算"))
def rerun(modeladmin, request, queryset):
    pairs = set(queryset.values_list("competition_id", "day"))
    results = [_enqueue(competition_id, day, full=False) for competition_id, day in pairs]
    _report(modeladmin, request, results.count(True), results.count(False))


def count_column(field: str, description):
    """A change-list column showing a count field with thousands separators (and "-" when empty)."""

    @admin.display(description=description, ordering=field)
    def shown(self, obj):
        return format_count(getattr(obj, field)) or "-"

    return shown


@admin.register(StandingRun)
class StandingRunAdmin(BoundedDateHierarchyMixin, admin.ModelAdmin):
    list_display = ["competition", "day", "kind", "trigger", "outcome", "started_at", "finished_at", "seconds",
                    "rows_shown", "deltas_shown", "requested_by", "reason"]
    list_filter = ["outcome", "kind", "trigger", "competition"]
    date_hierarchy = "started_at"
    list_select_related = ["competition", "requested_by"]
    actions = [rerun]
    readonly_fields = [f.name for f in StandingRun._meta.fields]

    @admin.display(description=_("耗时（秒）"))
    def seconds(self, obj):
        return format_number(obj.duration.total_seconds(), 1) if obj.duration else "-"

    rows_shown = count_column("rows", _("排名行数"))
    deltas_shown = count_column("deltas", _("处理的变更数"))

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class ReadOnlyAdmin(BoundedDateHierarchyMixin, admin.ModelAdmin):
    """Records written by the runs and checks, which staff look at and never add, change or delete."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def digest_html(value: str | None):
    """A digest as staff see it: its first twelve hex digits, the whole one on hover, and a read-only field
    holding the whole one, to select and copy (it has no name: the list's form never sends it)."""
    if not value:
        return "-"
    return format_html('<input type="text" readonly value="{}" title="{}" size="13" class="standing-digest" '
                       'style="font-family: monospace" aria-label="SHA-256">', value, value)


@admin.action(description=_("核验所选排名日（从原始录入重算并比对）"))
def verify(modeladmin, request, queryset):
    pairs = list(queryset.values_list("competition_id", "day"))
    sent = failed = 0
    for competition_id, day in pairs:
        try:
            verify_standings_task.delay(competition_id, day.isoformat(), trigger="admin")
            sent += 1
        except Exception:  # the broker is away, as for a recompute
            logger.warning("standings verification of competition %s for %s not sent", competition_id, day,
                           exc_info=True)
            failed += 1
    if sent and not workers_listening():
        modeladmin.message_user(request, NO_WORKER_VERIFY % {"n": sent}, messages.WARNING)
    elif sent:
        modeladmin.message_user(request, _("已提交 %(n)d 个排名核验，结果见“排名核验”。") % {"n": sent},
                                messages.SUCCESS)
    if failed:
        modeladmin.message_user(request, QUEUE_DOWN % {"n": failed}, messages.ERROR)


@admin.register(StandingDay)
class StandingDayAdmin(ReadOnlyAdmin):
    """The published standings days: what the portal and the API show, per competition. (The rows
    themselves are in the portal's leaderboards; the admin cannot list a model with a composite key.)"""

    list_display = ["competition", "day", "rows_shown", "computed_at", "digest"]
    list_filter = ["competition"]
    date_hierarchy = "day"
    list_select_related = ["competition"]
    readonly_fields = [f.name for f in StandingDay._meta.fields]
    rows_shown = count_column("rows", _("排名行数"))
    actions = [verify]

    def get_queryset(self, request):
        # The day's current digest (its latest ledger entry) in the list's one query.
        latest = StandingDigest.objects.filter(competition_id=OuterRef("competition_id"), day=OuterRef("day"))
        return super().get_queryset(request).annotate(
            current_digest=Subquery(latest.order_by("-id").values("rows_digest")[:1]))

    @admin.display(description=_("排名摘要 (SHA-256)"))
    def digest(self, obj):
        return digest_html(obj.current_digest)


@admin.register(StandingDigest)
class StandingDigestAdmin(ReadOnlyAdmin):
    """The digest ledger: append-only, written by the runs. Read-only here, and nothing can be deleted."""

    list_display = ["id", "competition", "day", "rows_shown", "digest", "chain", "previous_shown", "run_shown",
                    "published_at"]
    list_filter = ["competition"]
    date_hierarchy = "day"
    list_select_related = ["competition"]
    readonly_fields = [f.name for f in StandingDigest._meta.fields]
    rows_shown = count_column("rows", _("排名行数"))

    @admin.display(description=_("排名摘要"))
    def digest(self, obj):
        return digest_html(obj.rows_digest)

    @admin.display(description=_("链摘要"))
    def chain(self, obj):
        return digest_html(obj.chain_digest)

    # The ids the ledger cites, under the fields' own names (a bare "previous_id" column reads "Previous id").
    @admin.display(description=StandingDigest._meta.get_field("previous").verbose_name, ordering="previous_id")
    def previous_shown(self, obj):
        return obj.previous_id or "-"

    @admin.display(description=StandingDigest._meta.get_field("run").verbose_name, ordering="run_id")
    def run_shown(self, obj):
        return obj.run_id or "-"


@admin.register(StandingVerification)
class StandingVerificationAdmin(ReadOnlyAdmin):
    """Verifications of published days (competitions.verify): what was checked, and any difference found."""

    list_display = ["competition", "day", "outcome", "trigger", "started_at", "finished_at", "rows_stored_shown",
                    "rows_differing_shown", "digest_ok", "chain_ok"]
    list_filter = ["outcome", "trigger", "competition"]
    date_hierarchy = "started_at"
    list_select_related = ["competition"]
    readonly_fields = [f.name for f in StandingVerification._meta.fields]
    rows_stored_shown = count_column("rows_stored", _("存储行数"))
    rows_differing_shown = count_column("rows_differing", _("不一致行数"))
