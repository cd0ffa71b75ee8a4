"""Portal pages of skill grades (新八级工): the certificates a clerk, union officer or staff member may see, entering
one, importing many from a spreadsheet (upload → preview with every bad row → confirm, all or nothing), and a
worker's own history."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from competitions.models import JobType
from config import cursors, parked_uploads
from config.gate import portal_view
from config.text import typed_code
from members import skill_imports
from members.forms import EmployeeNoField
from members.models import SkillGrade, Worker
from members.skills import (
    CERTIFICATE_NO_MAX,
    ISSUING_BODY_MAX,
    CertificateRejected,
    SkillCertificate,
    certificate_create,
    workers_gradable_by,
)
from reviews.imports import MAX_BYTES, ImportFileError, import_preview

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PAGE = 50

# Who enters grades: the unit's clerks and union officers, and union staff (what each sees is visible_to's).
grades_page = portal_view(roles=("clerk", "union", "staff"))
my_page = portal_view(roles=("worker",))


class CertificateForm(forms.Form):
    employee_no = EmployeeNoField(label=gettext_lazy("工号"), max_length=20,
                                  error_messages={"required": gettext_lazy("请填写工号。")})
    grade = forms.TypedChoiceField(label=gettext_lazy("技能等级"), choices=SkillGrade.choices, coerce=int,
                                   error_messages={"required": gettext_lazy("请选择技能等级。"),
                                                   "invalid_choice": gettext_lazy("技能等级应为新八级工之一。")})
    job_type = forms.ModelChoiceField(label=gettext_lazy("工种"), queryset=JobType.objects.order_by("code"),
                                      required=False, empty_label=gettext_lazy("（职工本人的工种）"),
                                      error_messages={"invalid_choice": gettext_lazy("工种不存在。")})
    certificate_no = forms.CharField(label=gettext_lazy("证书编号"), max_length=CERTIFICATE_NO_MAX,
                                     error_messages={"required": gettext_lazy("请填写证书编号。")})
    assessed_on = forms.DateField(label=gettext_lazy("评定日期"), widget=forms.DateInput(attrs={"type": "date"}),
                                  error_messages={"required": gettext_lazy("请填写评定日期。"),
                                                  "invalid": gettext_lazy("日期格式应为 2026-11-23。")})
    issuing_body = forms.CharField(label=gettext_lazy("发证机构"), max_length=ISSUING_BODY_MAX,
                                   error_messages={"required": gettext_lazy("请填写发证机构。")})

    FIELDS = {"工号": "employee_no", "技能等级": "grade", "工种": "job_type", "证书编号": "certificate_no",
              "评定日期": "assessed_on", "发证机构": "issuing_body"}


def _next_link(request, cursor: str) -> str:
    query = request.GET.copy()
    query["after"] = cursor
    return f"{request.path}?{query.urlencode()}"


def _page(request, queryset, salt: str) -> tuple[list, str | None]:
    """A keyset page of certificates, newest entered first (by id)."""
    try:
        after = cursors.decode(salt, request.GET["after"], int)[0] if request.GET.get("after") else None
    except cursors.InvalidCursor:
        after = None
    if after is not None:
        queryset = queryset.filter(pk__lt=after)
    rows = list(queryset.order_by("-pk")[:PAGE + 1])
    more = len(rows) > PAGE
    rows = rows[:PAGE]
    return rows, (_next_link(request, cursors.encode(salt, rows[-1].pk)) if more else None)


@grades_page
def certificate_list(request):
    """The certificates of the workers the person may see, newest first; filtered by employee number."""
    employee_no = typed_code(request.GET.get("employee_no"))[:20]
    queryset = (SkillCertificate.objects.visible_to(request.user)
                .select_related("worker", "job_type", "entered_by")
                .only("grade", "certificate_no", "assessed_on", "issuing_body", "entered_at", "worker__employee_no",
                      "worker__name", "job_type__name", "entered_by__username"))
    if employee_no:
        queryset = queryset.filter(worker__employee_no=employee_no)
    rows, next_url = _page(request, queryset, f"skills:{request.user.pk}:{employee_no}")
    return render(request, "members/skills/list.html", {"rows": rows, "next_url": next_url,
                                                         "employee_no": employee_no})


@grades_page
def certificate_new(request):
    form = CertificateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        worker_id = (workers_gradable_by(request.user).filter(employee_no=data["employee_no"])
                     .values_list("pk", flat=True).first())
        if worker_id is None:
            form.add_error("employee_no", _("找不到该职工，或您不能为该职工录入技能等级。"))
        else:
            try:
                certificate = certificate_create(
                    actor=request.user, worker_id=worker_id, grade=data["grade"],
                    job_type_id=data["job_type"].pk if data["job_type"] else None,
                    certificate_no=data["certificate_no"], assessed_on=data["assessed_on"],
                    issuing_body=data["issuing_body"])
            except CertificateRejected as rejected:
                for error in rejected.errors:
                    form.add_error(CertificateForm.FIELDS.get(error.field), error.message)
            else:
                messages.success(request, _("已登记 %(name)s 的%(grade)s证书。") % {
                    "name": certificate.worker.name, "grade": certificate.get_grade_display()})
                return redirect("skills:certificates")
    return render(request, "members/skills/new.html", {"form": form})


@grades_page
def certificate_import(request):
    """Upload → preview (every bad row listed, nothing saved) → confirm."""
    preview = None
    if request.method == "POST" and "file" in request.FILES:
        upload = request.FILES["file"]
        content = upload.read(MAX_BYTES + 1)
        try:
            parsed = skill_imports.check_file(actor=request.user, name=upload.name, content=content)
        except ImportFileError as error:
            messages.error(request, str(error))
        else:
            token = parked_uploads.park(user_id=request.user.pk, name=upload.name, content=content)
            preview = import_preview(token=token, name=upload.name, total=parsed.total, good=len(parsed.rows),
                                     errors=parsed.errors, columns=skill_imports.COLUMNS, cells=parsed.cells)
    return render(request, "members/skills/import.html", {"preview": preview})


def _parked(request, token):
    stored = parked_uploads.parked(user_id=request.user.pk, token=token) if token else None
    if stored is None:
        messages.error(request, _("导入文件已过期，请重新上传。"))
    return stored


@grades_page
@require_POST
def certificate_import_confirm(request):
    token = request.POST.get("token")
    stored = _parked(request, token)
    if stored is None:
        return redirect("skills:import")
    try:
        count = skill_imports.certificates_import(actor=request.user, name=stored[0], content=stored[1])
    except ImportFileError as error:
        messages.error(request, str(error))
    except CertificateRejected as rejected:
        for error in rejected.errors[:20]:
            messages.error(request, str(error))
        messages.error(request, _("文件有错误，未保存任何证书。"))
    else:
        parked_uploads.unpark(user_id=request.user.pk, token=token)
        messages.success(request, _("已导入 %(n)s 条技能等级证书。") % {"n": count})
        return redirect("skills:certificates")
    return redirect("skills:import")


@grades_page
def certificate_import_bad_rows(request, token, fmt="csv"):
    """The uploaded file's rows with problems, every column as uploaded plus 错误说明, as .csv or .xlsx."""
    stored = _parked(request, token)
    if stored is None:
        return redirect("skills:import")
    try:
        parsed = skill_imports.check_file(actor=request.user, name=stored[0], content=stored[1])
    except ImportFileError as error:
        messages.error(request, str(error))
        return redirect("skills:import")
    if fmt == "xlsx":
        response = HttpResponse(skill_imports.bad_rows_xlsx(parsed), content_type=XLSX_TYPE)
    else:
        response = HttpResponse(skill_imports.bad_rows_csv(parsed), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="skill-bad-rows.{fmt}"'
    return response


@grades_page
def certificate_template(request):
    response = HttpResponse(skill_imports.template_xlsx(), content_type=XLSX_TYPE)
    response["Content-Disposition"] = 'attachment; filename="skill-grades-template.xlsx"'
    return response


@my_page
def my_skills(request):
    """The worker's own grade and certificates (no one else's, whatever else they are)."""
    rows = list(SkillCertificate.objects.filter(worker_id=request.worker_id).select_related("job_type")
                .only("grade", "certificate_no", "assessed_on", "issuing_body", "job_type__name")
                .order_by("-assessed_on", "-id")[:100])
    # The current grade is the record's (the latest certificate's, or the grade it was created with).
    grade = SkillGrade(Worker.objects.values_list("skill_grade", flat=True).get(pk=request.worker_id)).label
    return render(request, "members/skills/mine.html", {"rows": rows, "grade": grade})
