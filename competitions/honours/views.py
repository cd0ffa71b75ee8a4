"""The union staff's award-round pages (/staff/honours/): the rounds, a round's definition, its page with the
shortlist, the committee's changes, 公示, objections and the final list, each nominee's points traced to the
entries, and the 表彰名单 and certificates to download.

Every page is staff-only (config.gate) and reads through the honours querysets' ``visible_to``; every POST
calls one service of competitions.honours.services (or documents), whose refusal is shown as its message on
the round's page, nothing written. No page computes a shortlist or moves a round itself.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from competitions.honours import documents as docs
from competitions.honours import jobs, services, trace
from competitions.honours.forms import (
    AddForm,
    AnswerForm,
    PublishForm,
    ReasonForm,
    RoundFilter,
    RoundForm,
    TraceQuery,
)
from competitions.honours.models import (
    LISTED_STATUSES,
    AwardQuota,
    AwardRound,
    Exclusion,
    Nominee,
    Objection,
    ObjectionStatus,
    RoundEvent,
    RoundKind,
    RoundStatus,
    UnitLevelChoice,
)
from competitions.honours.querysets import not_own_worker
from competitions.models import Competition
from competitions.querysets import current_competition
from config import cursors
from config.gate import portal_view
from config.months import format_month
from config.text import file_name, typed_code
from members.models import Unit, UnitLevel, Worker

staff_page = portal_view(roles=("staff",))

PAGE = 50
SEARCH_LIMIT = 20
TRACE_PAGE = trace.PAGE

# What a round's page offers in each state: the next steps (services.TRANSITIONS decides; this only picks
# which forms to show).
R = RoundStatus
NEXT_STEPS = {
    R.DRAFT: ("edit", "shortlist", "cancel"),
    R.SHORTLISTED: ("edit", "shortlist", "committee", "propose", "cancel"),
    R.PROPOSED: ("committee", "publish", "cancel"),
    R.PUBLICIZED: ("answer", "finalize", "cancel"),
    R.FINALIZED: ("documents",),
    R.CANCELLED: (),
}


def _round_or_404(request, pk: int) -> AwardRound:
    award_round = (AwardRound.objects.visible_to(request.user).select_related("competition", "snapshot")
                   .filter(pk=pk).first())
    if award_round is None:
        raise Http404
    return award_round


def _in_round(queryset, award_round: AwardRound, pk: int):
    """A nominee or objection of this round that the person may see, else 404 (one of another round too)."""
    found = queryset.filter(round=award_round, pk=pk).first()
    if found is None:
        raise Http404
    return found


def _errors(form, *fields: str) -> str:
    return " ".join(str(e) for field in fields for e in form.errors.get(field, []))


# -- the rounds ------------------------------------------------------------------------------------------

@staff_page
def round_list(request):
    competitions = list(Competition.objects.visible_to(request.user).order_by("-start_date", "-id")
                        .only("id", "name", "status"))
    rounds = AwardRound.objects.visible_to(request.user).select_related("competition")
    chosen = RoundFilter(request.GET).chosen()
    competition_id, status = chosen.get("competition"), chosen.get("status", "")
    if competition_id:
        rounds = rounds.filter(competition_id=competition_id)
    if status:
        rounds = rounds.filter(status=status)
    salt = f"honours-rounds:{competition_id or ''}:{status or ''}"
    try:
        after = cursors.decode(salt, request.GET["after"], int) if request.GET.get("after") else None
    except cursors.InvalidCursor:
        after = None
    if after:
        rounds = rounds.filter(pk__lt=after[0])
    rows = list(rounds.order_by("-id")[: PAGE + 1])
    more, rows = len(rows) > PAGE, rows[:PAGE]
    params = request.GET.copy()
    params.pop("after", None)
    default = current_competition()
    return render(request, "competitions/honours/round_list.html", {
        "rounds": rows, "competitions": competitions, "statuses": RoundStatus.choices,
        "competition_id": competition_id, "status": status,
        "next_after": cursors.encode(salt, rows[-1].pk) if more else None, "base_query": params.urlencode(),
        "new_for": competition_id or (default.pk if default else None),
    })


def _round_fields(form: RoundForm) -> dict:
    return {name: form.cleaned_data[name] for name in services.ROUND_FIELDS}


def _save_round(request, form: RoundForm, award_round: AwardRound | None):
    """round_create / round_edit with the form's values; their ValidationError lands on the form's fields."""
    fields = _round_fields(form)
    try:
        if award_round is None:
            return services.round_create(actor=request.user, competition=form.competition,
                                         quotas=form.fixed_quotas() or None,
                                         excluded_rounds=form.cleaned_data["excluded_rounds"], **fields)
        return services.round_edit(actor=request.user, round_=award_round, quotas=form.fixed_quotas() or None,
                                   excluded_rounds=form.cleaned_data["excluded_rounds"], **fields)
    except ValidationError as error:
        for field, errors in error.update_error_dict({}).items():
            form.add_error(field if field in form.fields else None, errors)
    except services.RoundRefused as error:
        form.add_error(None, error.message)
    return None


def _round_form_page(request, form: RoundForm, award_round: AwardRound | None):
    return render(request, "competitions/honours/round_form.html", {
        "form": form, "round": award_round, "competition": form.competition})


@staff_page
def round_new(request):
    competition_id = RoundFilter(request.GET).chosen().get("competition")
    competition = (Competition.objects.visible_to(request.user).filter(pk=competition_id).first()
                   if competition_id else current_competition())
    if competition is None:
        messages.error(request, _("请先选择一个劳动竞赛。"))
        return redirect("honours:rounds")
    if request.method == "POST":
        form = RoundForm(request.POST, competition=competition)
        if "refresh" not in request.POST and form.is_valid():
            award_round = _save_round(request, form, None)
            if award_round is not None:
                messages.success(request, _("评选已创建。"))
                return redirect("honours:round", pk=award_round.pk)
    else:
        form = RoundForm(competition=competition, initial={
            "basis_start": competition.start_date, "basis_end": min(competition.end_date, timezone.localdate())})
    return _round_form_page(request, form, None)


@staff_page
def round_edit(request, pk):
    award_round = _round_or_404(request, pk)
    if request.method == "POST":
        form = RoundForm(request.POST, instance=award_round, competition=award_round.competition)
        if "refresh" not in request.POST and form.is_valid():
            saved = _save_round(request, form, award_round)
            if saved is not None:
                messages.success(request, _("评选条件已保存。"))
                return redirect("honours:round", pk=saved.pk)
    else:
        form = RoundForm(instance=award_round, competition=award_round.competition)
    return _round_form_page(request, form, award_round)


# -- a round's page ---------------------------------------------------------------------------------------

def _shortlist_groups(award_round: AwardRound, nominees: list[Nominee], exclusions: list[Exclusion],
                      quotas: dict[int, int]) -> list[dict]:
    """The list by quota group, each with its nominees in list order, where its quota line falls (after the
    last nominee within the quota; a tie let in beyond it is marked over_quota by the shortlist) and the
    people ranked above the line who were excluded, with the rule and figure."""
    groups: dict[int | None, dict] = {}
    for nominee in nominees:
        group = groups.setdefault(nominee.group_id, {"id": nominee.group_id, "name": nominee.group_name,
                                                     "rows": [], "exclusions": []})
        group["rows"].append(nominee)
    for exclusion in exclusions:
        group = groups.setdefault(exclusion.group_id, {"id": exclusion.group_id, "name": exclusion.group_name,
                                                       "rows": [], "exclusions": []})
        group["exclusions"].append(exclusion)
    out = []
    for group in groups.values():
        # The shortlist's own places within the quota (taken off the list since or not): the line stays where
        # the ranking drew it; committee additions (no rank) and ties let in beyond it come after.
        within = [n for n in group["rows"] if n.rank is not None and not n.over_quota]
        group["line_after"] = within[-1].pk if within else None
        group["quota"] = quotas.get(group["id"]) if group["id"] is not None else None
        out.append(group)
    return sorted(out, key=lambda g: (g["name"] or "", g["id"] or 0))


def _round_context(request, award_round: AwardRound) -> dict:
    nominees = list(Nominee.objects.visible_to(request.user).filter(round=award_round).for_list())
    exclusions = list(Exclusion.objects.filter(round=award_round).order_by("group_id", "rank", "id"))
    quotas = {q.group_id: q.quota for q in AwardQuota.objects.filter(round=award_round)}
    objections = list(Objection.objects.visible_to(request.user).filter(round=award_round)
                      .select_related("nominee", "raised_by", "answered_by").order_by("raised_at", "id"))
    open_objections = sum(1 for o in objections if o.status == ObjectionStatus.OPEN)
    # An objection about the person reading (their own nomination) is shown without the answer form.
    answerable = set(Objection.objects.answerable_by(request.user).filter(round=award_round,
                                                                          status=ObjectionStatus.OPEN)
                     .values_list("pk", flat=True)) if open_objections else set()
    events = list(RoundEvent.objects.filter(round=award_round).select_related("actor", "nominee")
                  .order_by("at", "id"))
    jobs.mark_stale(docs.AwardDocuments, round=award_round)
    documents = docs.AwardDocuments.objects.filter(round=award_round).first()
    steps = NEXT_STEPS[RoundStatus(award_round.status)]
    now = timezone.now()
    return {
        "round": award_round, "competition": award_round.competition, "steps": steps,
        "groups": _shortlist_groups(award_round, nominees, exclusions, quotas),
        "listed": sum(1 for n in nominees if n.status in LISTED_STATUSES),
        "off_list": [n for n in nominees if n.status not in LISTED_STATUSES],
        "objections": objections, "open_objections": open_objections, "answerable": answerable,
        "events": events, "documents": documents, "job": jobs.latest_run(award_round),
        "publicity_over": award_round.publicity_end is not None and award_round.publicity_end <= now,
        "reason_form": ReasonForm(), "publish_form": PublishForm(), "answer_form": AnswerForm(),
        "excluded_rounds": list(award_round.excluded_rounds.order_by("id").only("id", "name")),
    }


@staff_page
def round_detail(request, pk):
    award_round = _round_or_404(request, pk)
    return render(request, "competitions/honours/round_detail.html", _round_context(request, award_round))


def _back(award_round: AwardRound, anchor: str = ""):
    return redirect(reverse("honours:round", kwargs={"pk": award_round.pk}) + (f"#{anchor}" if anchor else ""))


def _refused(request, error) -> None:
    messages.error(request, getattr(error, "message", None) or " ".join(getattr(error, "messages", [str(error)])))


@staff_page
@require_POST
def round_shortlist(request, pk):
    return _simple_step(request, pk, lambda r: jobs.shortlist_start(award_round=r, user=request.user),
                        _("已开始生成初选名单，完成后本页自动刷新。"))


@staff_page
@require_POST
def nominee_remove(request, pk, nominee_pk):
    award_round = _round_or_404(request, pk)
    nominee = _in_round(Nominee.objects.visible_to(request.user), award_round, nominee_pk)
    form = ReasonForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("删除%(name)s：%(error)s") % {"name": nominee.name, "error": _errors(form, "reason")})
        return _back(award_round, "list")
    try:
        services.committee_remove(actor=request.user, nominee=nominee, reason=form.cleaned_data["reason"])
    except services.RoundRefused as error:
        _refused(request, error)
    else:
        messages.success(request, _("已将%(name)s从名单中删除。") % {"name": nominee.name})
    return _back(award_round, "list")


def _candidates(user, award_round: AwardRound, query: str) -> list:
    """Whom the committee may add: workers taking part in the round's competition (a scoring rule for their
    job type) but never the person searching (not_own_worker), found by 工号 (prefix) or name, or units of the
    round's level found by name or code. At most SEARCH_LIMIT, in one query; never an ID number or phone."""
    query = query.strip()[:50]
    if not query:
        return []
    if award_round.kind == RoundKind.INDIVIDUAL:
        return list(not_own_worker(user, Worker.objects.taking_part_in(award_round.competition_id))
                    .filter(is_active=True)
                    .filter(Q(employee_no__startswith=typed_code(query)) | Q(name__contains=query))
                    .select_related("unit__depot", "job_type")
                    .only("id", "employee_no", "name", "unit__name", "unit__depot__name", "job_type__name")
                    .order_by("employee_no")[:SEARCH_LIMIT])
    level = UnitLevel.DEPOT if award_round.unit_level == UnitLevelChoice.DEPOT else UnitLevel.TEAM
    return list(Unit.objects.filter(level=level, is_active=True).filter(Q(name__contains=query) | Q(code=query))
                .select_related("depot").only("id", "name", "code", "depot__name").order_by("path")[:SEARCH_LIMIT])


@staff_page
def nominee_add(request, pk):
    award_round = _round_or_404(request, pk)
    query = request.GET.get("q", "") if request.method == "GET" else request.POST.get("q", "")
    form = AddForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        candidate_id = form.cleaned_data["candidate"]
        target = {}
        if award_round.kind == RoundKind.INDIVIDUAL:
            worker = Worker.objects.visible_to(request.user).filter(pk=candidate_id).first()
            target = {"worker": worker} if worker else {}
        else:
            unit = Unit.objects.visible_to(request.user).filter(pk=candidate_id).first()
            target = {"unit": unit} if unit else {}
        if not target:
            form.add_error("candidate", _("请先搜索并选择要增补的对象。"))
        else:
            try:
                nominee = services.committee_add(actor=request.user, round_=award_round,
                                                 reason=form.cleaned_data["reason"], **target)
            except services.RoundRefused as error:
                form.add_error(None, error.message)
            else:
                messages.success(request, _("已增补%(name)s。") % {"name": nominee.name})
                return _back(award_round, "list")
    return render(request, "competitions/honours/nominee_add.html", {
        "round": award_round, "competition": award_round.competition, "form": form, "q": query,
        "candidates": _candidates(request.user, award_round, query),
        "individual": award_round.kind == RoundKind.INDIVIDUAL,
    })


def _simple_step(request, pk, step, success: str, anchor: str = ""):
    """One service call on the round; its refusal shown as its message, nothing written."""
    award_round = _round_or_404(request, pk)
    try:
        step(award_round)
    except services.RoundRefused as error:
        _refused(request, error)
    else:
        messages.success(request, success)
    return _back(award_round, anchor)


@staff_page
@require_POST
def round_propose(request, pk):
    return _simple_step(request, pk, lambda r: services.propose(actor=request.user, round_=r),
                        _("名单已确定为拟表彰名单。"))


@staff_page
@require_POST
def round_publish(request, pk):
    award_round = _round_or_404(request, pk)
    form = PublishForm(request.POST)
    if not form.is_valid():
        messages.error(request, _errors(form, "days"))
        return _back(award_round)
    return _simple_step(request, pk, lambda r: services.publish(actor=request.user, round_=r,
                                                                days=form.cleaned_data["days"]),
                        _("已开始公示。"))


@staff_page
@require_POST
def round_finalize(request, pk):
    """Finalize, and in the same transaction ask for the 表彰名单 and certificates (built after commit)."""
    def finalize_and_build(award_round):
        with transaction.atomic():
            finalized = services.finalize(actor=request.user, round_=award_round)
            docs.documents_request(award_round=finalized, user=request.user)

    return _simple_step(request, pk, finalize_and_build, _("名单已定稿，正在生成表彰名单和证书。"))


@staff_page
@require_POST
def round_cancel(request, pk):
    award_round = _round_or_404(request, pk)
    form = ReasonForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("取消评选：%(error)s") % {"error": _errors(form, "reason")})
        return _back(award_round)
    return _simple_step(request, pk, lambda r: services.cancel(actor=request.user, round_=r,
                                                               reason=form.cleaned_data["reason"]),
                        _("评选已取消。"))


@staff_page
@require_POST
def objection_answer(request, pk, objection_pk):
    award_round = _round_or_404(request, pk)
    objection = _in_round(Objection.objects.visible_to(request.user), award_round, objection_pk)
    form = AnswerForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("答复异议：%(error)s") % {"error": _errors(form, "upheld", "answer")})
        return _back(award_round, f"objection-{objection.pk}")
    try:
        services.answer_objection(actor=request.user, objection=objection, upheld=form.cleaned_data["upheld"],
                                  answer=form.cleaned_data["answer"])
    except services.RoundRefused as error:
        _refused(request, error)
    else:
        messages.success(request, _("已答复异议。"))
    return _back(award_round, f"objection-{objection.pk}")


# -- the 表彰名单 and certificates ----------------------------------------------------------------------------

@staff_page
@require_POST
def documents_build(request, pk):
    """Build what is missing (after a failed build); refused once both exist."""
    return _simple_step(request, pk, lambda r: docs.documents_request(award_round=r, user=request.user),
                        _("正在生成表彰名单和证书。"), anchor="documents")


@staff_page
def document_download(request, pk, kind):
    award_round = _round_or_404(request, pk)
    kinds = {"roster": ("roster", _("表彰名单"), ".xlsx", docs.XLSX_TYPE),
             "certificates": ("certificates", _("荣誉证书"), ".pdf", docs.PDF_TYPE)}
    if kind not in kinds:
        raise Http404
    field, label, suffix, content_type = kinds[kind]
    documents = docs.AwardDocuments.objects.filter(round=award_round).first()
    stored = getattr(documents, field) if documents is not None else None
    if not stored:
        raise Http404
    return FileResponse(stored.open("rb"), as_attachment=True, content_type=content_type,
                        filename=file_name(award_round.name, label, suffix=suffix))


# -- every point traceable --------------------------------------------------------------------------------

@staff_page
def nominee_trace(request, pk, nominee_pk):
    award_round = _round_or_404(request, pk)
    nominee = _in_round(Nominee.objects.visible_to(request.user)
                        .select_related("depot", "team", "job_type", "business_system", "unit"),
                        award_round, nominee_pk)
    query = TraceQuery(request.GET).chosen()
    context = {"round": award_round, "competition": award_round.competition, "nominee": nominee, "members": None,
               "member": None, "trace_query": ""}
    worker_id = nominee.worker_id
    if worker_id is None:
        # A unit: its figures are its members'. The page lists them; one chosen, their entries are traced.
        context["members"] = trace.unit_members(award_round, nominee)
        member = trace.unit_member(award_round, nominee, query["worker"]) if "worker" in query else None
        if member is None:
            return render(request, "competitions/honours/nominee_trace.html", context)
        worker_id = member.worker_id
        context.update({"member": member, "trace_query": f"worker={worker_id}&"})
    common = {"user": request.user, "competition_id": award_round.competition_id, "worker_id": worker_id,
              "start": award_round.basis_start, "end": award_round.basis_end}
    business_system_id = (Worker.objects.filter(pk=worker_id)
                          .values_list("job_type__business_system_id", flat=True).first())
    points = trace.points_by_month_and_rule(signed_off_only=award_round.signed_off_only,
                                            business_system_id=business_system_id, **common)
    month = query.get("month") or (points.months[0] if points.rows else None)
    entries, next_after = [], None
    if month is not None:
        entries, next_after = trace.month_entries(month=month, list_key=f"{award_round.pk}:{nominee.pk}:{worker_id}",
                                                  after=request.GET.get("after"), limit=TRACE_PAGE, **common)
    context.update({"points": points, "month": month, "month_text": format_month(month) if month else "",
                    "entries": entries, "next_after": next_after,
                    "months": [format_month(m) for m in points.months]})
    return render(request, "competitions/honours/nominee_trace.html", context)
