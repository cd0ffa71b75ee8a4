"""Membership pages: the worker's own (我的会籍, made for a phone), and the union office's under /union/
(applications, a member's history and card, the file imports).

What a page shows comes from the models' ``visible_to``; what it may change, from the services
(members.membership), which check the person's rights again. ID numbers are always shown masked here;
a card number in full only to the member and to staff (members.membership.card_number_for).
"""

from __future__ import annotations

from datetime import date

from django import forms
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST

from competitions.jobs import job_start
from config import cursors, parked_uploads
from config.gate import portal_view
from config.text import typed_code
from members import membership as services
from members import membership_imports as imports
from members import membership_jobs
from members.forms import EmployeeNoField
from members.models import (
    ApplicationStatus,
    CardStatus,
    Education,
    Gender,
    MemberCard,
    MembershipApplication,
    MembershipEvent,
    MembershipEventKind,
    MembershipStatus,
    PoliticalStatus,
    Unit,
    Worker,
)
from reviews.imports import MAX_BYTES, ImportFileError, import_in_background, import_preview
from reviews.validation import EntryRejected, local_today
from reviews.views import _id_param, _parse_date

PAGE = 50
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

worker_page = portal_view(roles=("worker",))
office_page = portal_view(roles=("union", "staff"))
# Clerks and union officers submit forms for their units' workers and follow them; union officers and staff decide.
applications_page = portal_view(roles=("clerk", "union", "staff"))
staff_page = portal_view(roles=("staff",))


BLANK = [("", "---------")]


class ApplicationForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("姓名"), max_length=50)
    gender = forms.ChoiceField(label=gettext_lazy("性别"), choices=Gender.choices)
    id_number = forms.CharField(label=gettext_lazy("身份证号"), max_length=18,
                                widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "text"}))
    birth_date = forms.DateField(label=gettext_lazy("出生日期"), required=False,
                                 widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
                                 help_text=gettext_lazy("可不填，按身份证号核对。"))
    mobile = forms.CharField(label=gettext_lazy("手机号"), max_length=11,
                             widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}))
    # An empty first option: a worker must choose, not submit whatever the list began with.
    education = forms.ChoiceField(label=gettext_lazy("文化程度"), choices=BLANK + Education.choices)
    political_status = forms.ChoiceField(label=gettext_lazy("政治面貌"), choices=BLANK + PoliticalStatus.choices)
    job_title = forms.CharField(label=gettext_lazy("职务"), max_length=50, required=False)
    applied_on = forms.DateField(label=gettext_lazy("申请日期"), required=False,
                                 widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))

    def submit(self, *, actor, worker_id: int):
        """The service with this form's values; its row errors land on the fields. None when refused."""
        data = self.cleaned_data
        form = services.ApplicationInput(worker_id=worker_id, **{name: data.get(name) or "" for name in (
            "name", "gender", "id_number", "mobile", "education", "political_status", "job_title")},
            birth_date=data.get("birth_date"), applied_on=data.get("applied_on"))
        try:
            return services.application_submit(actor=actor, form=form)
        except EntryRejected as rejected:
            for error in rejected.errors:
                self.add_error(error.field if error.field in self.fields else None, str(error.message))
        except services.MembershipRefused as refused:
            self.add_error(None, refused.message)
        return None


class ForWorkerForm(ApplicationForm):
    employee_no = EmployeeNoField(label=gettext_lazy("工号"), max_length=20)
    field_order = ["employee_no"]


def _prefill(worker: Worker) -> dict:
    # The form starts from what the worker record already says; never the ID number (typed by the applicant).
    return {"name": worker.name, "gender": worker.gender, "applied_on": local_today()}


# -- the worker's own page -----------------------------------------------------------------------------

@worker_page
def my_membership(request):
    worker = Worker.objects.select_related("unit").get(pk=request.worker_id)
    application = MembershipApplication.objects.filter(worker=worker).order_by("-id").first()
    may_apply = worker.membership_status in (MembershipStatus.NONE, MembershipStatus.APPLIED) and (
        application is None or application.status in (ApplicationStatus.RETURNED, ApplicationStatus.REJECTED))
    form = None
    if may_apply:
        initial = _prefill(worker)
        if application is not None and application.status == ApplicationStatus.RETURNED:
            # A returned form comes back as it was sent (never its ID number: typed again), to be corrected.
            initial.update(name=application.name, gender=application.gender, mobile=application.mobile,
                           education=application.education, political_status=application.political_status,
                           job_title=application.job_title)
        form = ApplicationForm(request.POST or None, initial=initial)
        if request.method == "POST" and form.is_valid() and form.submit(actor=request.user, worker_id=worker.pk):
            messages.success(request, _("入会申请已提交，请等待本单位工会审批。"))
            return redirect("my_membership")
    elif request.method == "POST":
        messages.error(request, _("当前不能提交入会申请。"))
        return redirect("my_membership")
    events = list(MembershipEvent.objects.filter(worker=worker).select_related("from_unit", "to_unit")
                  .order_by("-on", "-id")[:50])
    card = MemberCard.objects.filter(worker=worker).order_by("-id").first()
    return render(request, "members/my_membership.html", {
        "worker": worker, "application": application, "form": form, "events": events, "card": card,
        "card_number": services.card_number_for(request.user, card, worker.pk) if card else "",
    })


# -- the union office ----------------------------------------------------------------------------------

def _after_id(request, salt: str) -> int | None:
    try:
        return cursors.decode(salt, request.GET["after"], int)[0] if request.GET.get("after") else None
    except cursors.InvalidCursor:
        return None


@applications_page
def application_list(request):
    """Applications in the person's scope, newest first, paged by id; a decider approves many at once."""
    qs = MembershipApplication.objects.visible_to(request.user).select_related("unit")
    status = request.GET.get("status", ApplicationStatus.SUBMITTED)
    if status in ApplicationStatus.values:
        qs = qs.filter(status=status)
    else:
        status = ""
    employee_no = typed_code(request.GET.get("worker"))[:20]
    if employee_no:
        qs = qs.filter(worker__employee_no__startswith=employee_no)
    after = _after_id(request, "membership.applications")
    if after is not None:
        qs = qs.filter(id__lt=after)
    rows = list(qs.order_by("-id")[: PAGE + 1])
    more, rows = len(rows) > PAGE, rows[:PAGE]
    decider = request.scope.is_staff or request.scope.is_union_officer
    query = request.GET.copy()
    query.pop("after", None)
    return render(request, "members/union/applications.html", {
        "applications": rows, "status": status, "statuses": ApplicationStatus.choices, "decider": decider,
        # Approving is offered where it can be done: beside waiting applications, never over a list of
        # approved or returned ones (whose 批准 buttons had nothing to approve).
        "approve_all": decider and status in ("", ApplicationStatus.SUBMITTED),
        "choosing": decider and any(a.status == ApplicationStatus.SUBMITTED for a in rows),
        "worker": employee_no,
        "next_after": cursors.encode("membership.applications", rows[-1].pk) if more else None,
        "base_query": query.urlencode(),
    })


def _joined_on(request) -> date | None:
    """The joining date a decision names: None when none is given (the service takes today); a date that is
    not one is refused, never read as today."""
    text = (request.POST.get("joined_on") or "").strip()
    day = _parse_date(text)
    if text and day is None:
        raise services.MembershipRefused(_("入会日期无效，请按 2026-01-31 的格式填写。"), "date_invalid")
    return day

@office_page
@require_POST
def applications_approve(request):
    """批准选中的申请, or every form still 待审批 that this person may decide (``all``): one statement."""
    try:
        joined_on = _joined_on(request)
    except services.MembershipRefused as refused:
        messages.error(request, refused.message)
        return redirect("union:applications")
    if request.POST.get("all") == "1" and membership_jobs.approve_all_in_background(request.user):
        # Many waiting forms: a background job (members.membership_jobs) whose page shows the outcome;
        # pressed again while it runs, the same job.
        params = {"joined_on": joined_on.isoformat() if joined_on else ""}
        job = job_start(kind="membership_approve_all", params=params, user=request.user, once_key=params)
        if job.reused:
            messages.info(request, _("同样的“批准全部”已在进行中。"))
        return redirect("jobs:detail", job.pk)
    if request.POST.get("all") == "1":
        ids = MembershipApplication.objects.decidable_by(request.user).filter(
            status=ApplicationStatus.SUBMITTED).values_list("id", flat=True)
    else:
        ids = [pk for pk in map(_id_param, request.POST.getlist("ids")) if pk is not None]
    try:
        count = services.applications_approve(actor=request.user, application_ids=ids, joined_on=joined_on)
    except services.MembershipRefused as refused:
        messages.error(request, refused.message)
    else:
        messages.success(request, ngettext("已批准 %(n)s 份入会申请。", "已批准 %(n)s 份入会申请。", count)
                         % {"n": count})
    return redirect("union:applications")


@applications_page
def application_new(request):
    """A clerk (or staff) fills in the form on a worker's behalf."""
    form = ForWorkerForm(request.POST or None, initial={"applied_on": local_today()})
    if request.method == "POST" and form.is_valid():
        worker = (Worker.objects.may_apply_for(request.user)
                  .filter(employee_no=form.cleaned_data["employee_no"]).first())
        if worker is None:
            form.add_error("employee_no", _("找不到该职工，或该职工不属于您负责的单位。"))
        else:
            application = form.submit(actor=request.user, worker_id=worker.pk)
            if application is not None:
                messages.success(request, _("已为 %(worker)s 提交入会申请。") % {"worker": worker})
                return redirect("union:application", application.pk)
    return render(request, "members/union/application_new.html", {"form": form})


@applications_page
def application_detail(request, pk):
    application = (MembershipApplication.objects.visible_to(request.user)
                   .select_related("worker", "unit", "submitted_by", "decided_by").filter(pk=pk).first())
    if application is None:
        raise Http404
    may_decide = (application.status == ApplicationStatus.SUBMITTED
                  and MembershipApplication.objects.decidable_by(request.user).filter(pk=pk).exists())
    if request.method == "POST":
        if not may_decide:
            messages.error(request, _("您不能审批该申请。"))
            return redirect("union:application", pk)
        action = request.POST.get("action")
        try:
            if action == "approve":
                services.application_approve(actor=request.user, application_id=pk, joined_on=_joined_on(request))
                messages.success(request, _("已批准。"))
            elif action == "return":
                services.application_return(actor=request.user, application_id=pk, reason=request.POST.get("reason"))
                messages.success(request, _("已退回申请人修改。"))
            elif action == "reject":
                services.application_reject(actor=request.user, application_id=pk, reason=request.POST.get("reason"))
                messages.success(request, _("已不予批准。"))
            else:
                messages.error(request, _("未知的操作。"))
        except services.MembershipRefused as refused:
            messages.error(request, refused.message)
        return redirect("union:application", pk)
    return render(request, "members/union/application_detail.html", {"a": application, "may_decide": may_decide})


class EventForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("变动"), choices=[
        (k, label) for k, label in MembershipEventKind.choices if k != MembershipEventKind.JOINED])
    on = forms.DateField(label=gettext_lazy("日期"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    reason = forms.CharField(label=gettext_lazy("原因"), max_length=200)
    to_unit = forms.CharField(label=gettext_lazy("转入单位编码"), max_length=32, required=False,
                              help_text=gettext_lazy("仅转会时填写。"))


class CardForm(forms.Form):
    number = forms.CharField(label=gettext_lazy("卡号"), max_length=30, required=False)
    on = forms.DateField(label=gettext_lazy("日期"), required=False,
                         widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    reason = forms.CharField(label=gettext_lazy("说明"), max_length=200, required=False)


@office_page
def member_detail(request, pk):
    """A worker's membership: the forms, the history, the card; the steps this person may record."""
    worker = Worker.objects.membership_kept_by(request.user).select_related("unit").filter(pk=pk).first()
    if worker is None:
        raise Http404
    event_form = EventForm(request.POST if request.POST.get("form") == "event" else None,
                           initial={"on": local_today()})
    card_form = CardForm(request.POST if request.POST.get("form") == "card" else None)
    if request.method == "POST":
        try:
            if request.POST.get("form") == "event" and event_form.is_valid():
                data = event_form.cleaned_data
                to_unit = None
                if data["to_unit"]:
                    to_unit = Unit.objects.filter(code=data["to_unit"].strip()).values_list("pk", flat=True).first()
                    if to_unit is None:
                        raise services.MembershipRefused(_("找不到该转入单位。"), "to_unit_missing")
                services.membership_record(actor=request.user, worker_id=worker.pk, kind=data["kind"], on=data["on"],
                                           reason=data["reason"], to_unit_id=to_unit)
                messages.success(request, _("已记录会籍变动。"))
                return redirect("union:member", pk)
            if request.POST.get("form") == "card" and card_form.is_valid():
                data, action = card_form.cleaned_data, request.POST.get("action")
                card_id = _id_param(request.POST.get("card"))
                if action == "issue":
                    services.card_issue(actor=request.user, worker_id=worker.pk, number=data["number"],
                                        issued_on=data["on"])
                elif action in (CardStatus.ACTIVE, CardStatus.LOST) and card_id:
                    _card_of(worker, card_id)
                    services.card_set_status(actor=request.user, card_id=card_id, status=action, on=data["on"],
                                             reason=data["reason"])
                elif action == "replace" and card_id:
                    _card_of(worker, card_id)
                    services.card_replace(actor=request.user, card_id=card_id, number=data["number"], on=data["on"],
                                          reason=data["reason"])
                else:
                    raise services.MembershipRefused(_("未知的操作。"), "unknown_action")
                messages.success(request, _("互助服务卡已更新。"))
                return redirect("union:member", pk)
        except services.MembershipRefused as refused:
            messages.error(request, refused.message)
    applications = list(MembershipApplication.objects.filter(worker=worker).select_related("decided_by")
                        .order_by("-id")[:20])
    events = list(MembershipEvent.objects.filter(worker=worker).select_related("from_unit", "to_unit", "actor")
                  .order_by("-on", "-id")[:100])
    cards = list(MemberCard.objects.filter(worker=worker).order_by("-id")[:20])
    for card in cards:
        card.shown_number = services.card_number_for(request.user, card, worker.pk)
    return render(request, "members/union/member.html", {
        "worker": worker, "applications": applications, "events": events, "cards": cards,
        "event_form": event_form, "card_form": card_form, "card_statuses": CardStatus,
    })


def _card_of(worker: Worker, card_id: int) -> None:
    if not MemberCard.objects.filter(pk=card_id, worker=worker).exists():
        raise services.MembershipRefused(_("找不到该卡。"), "card_unknown")


# -- file imports: forms (union officers and staff) and card numbers (staff) ---------------------------

IMPORTS = {
    "applications": (imports.APPLICATIONS, imports.check_applications, imports.applications_import,
                     gettext_lazy("导入入会申请"), gettext_lazy("已导入 %(n)s 份入会申请，待审批。")),
    "cards": (imports.CARDS, imports.check_cards, imports.cards_import,
              gettext_lazy("导入互助服务卡号"), gettext_lazy("已导入 %(n)s 张互助服务卡。")),
}


def _import_page(request, what: str):
    """Upload → preview (every problem by row and field, nothing saved) → confirm (all rows or none)."""
    kind, check, write, title, done = IMPORTS[what]
    preview = None
    if request.method == "POST" and "file" in request.FILES:
        upload = request.FILES["file"]
        content = upload.read(MAX_BYTES + 1)
        try:
            parsed = check(actor=request.user, name=upload.name, content=content)
        except ImportFileError as error:
            messages.error(request, str(error))
        else:
            token = parked_uploads.park(user_id=request.user.pk, name=upload.name, content=content)
            preview = import_preview(token=token, name=upload.name, total=parsed.total, good=len(parsed.ok),
                                     errors=parsed.errors, columns=kind.columns, cells=parsed.cells)
    elif request.method == "POST":
        stored = _parked(request, request.POST.get("token"))
        if stored is not None and what == "applications" and import_in_background(*stored):
            # A large file is checked and written by a background job (members.membership_jobs), as the
            # clerks' entry files are; the same file confirmed again while it runs returns that job.
            token = request.POST["token"]
            job = job_start(kind="membership_import", params={"token": token, "name": stored[0]},
                            user=request.user, once_key=["membership_import", token])
            if job.reused:
                messages.info(request, _("该文件已在导入中。"))
            return redirect("jobs:detail", job.pk)
        if stored is not None:
            try:
                count = write(actor=request.user, name=stored[0], content=stored[1])
            except ImportFileError as error:
                messages.error(request, str(error))
            except EntryRejected as rejected:
                for error in rejected.errors[:20]:
                    messages.error(request, str(error))
                messages.error(request, _("文件有错误，未保存任何数据。"))
            else:
                parked_uploads.unpark(user_id=request.user.pk, token=request.POST.get("token"))
                messages.success(request, done % {"n": count})
        return redirect(f"union:import_{what}")
    return render(request, "members/union/import.html", {"preview": preview, "what": what, "title": title,
                                                           "columns": kind.columns, "required": kind.required,
                                                           "background": what == "applications"})


def _parked(request, token):
    stored = parked_uploads.parked(user_id=request.user.pk, token=token) if token else None
    if stored is None:
        messages.error(request, _("导入文件已过期，请重新上传。"))
    return stored


def _bad_rows(request, what: str, token: str, fmt: str = "csv"):
    """The uploaded file's rows with problems, every column as uploaded plus 错误说明, as .csv or .xlsx:
    corrected, the same file is uploaded again."""
    _kind, check, *_rest = IMPORTS[what]
    stored = _parked(request, token)
    if stored is None:
        return redirect(f"union:import_{what}")
    try:
        parsed = check(actor=request.user, name=stored[0], content=stored[1])
    except ImportFileError as error:
        messages.error(request, str(error))
        return redirect(f"union:import_{what}")
    if fmt == "xlsx":
        response = HttpResponse(imports.bad_rows_xlsx(parsed), content_type=XLSX_TYPE)
    else:
        response = HttpResponse(imports.bad_rows_csv(parsed), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{what}-bad-rows.{fmt}"'
    return response


def _template(what: str):
    response = HttpResponse(imports.template_xlsx(IMPORTS[what][0]), content_type=XLSX_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{what}-template.xlsx"'
    return response


@office_page
def import_applications(request):
    return _import_page(request, "applications")


@office_page
def import_applications_bad_rows(request, token, fmt="csv"):
    return _bad_rows(request, "applications", token, fmt)


@office_page
def import_applications_template(request):
    return _template("applications")


@staff_page
def import_cards(request):
    return _import_page(request, "cards")


@staff_page
def import_cards_bad_rows(request, token, fmt="csv"):
    return _bad_rows(request, "cards", token, fmt)


@staff_page
def import_cards_template(request):
    return _template("cards")
