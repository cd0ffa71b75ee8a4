"""Entries (a worker's own, a clerk's), disputes, and the department reviewer's queue.

Every list and every object lookup starts from a ``visible_to`` / ``editable_by`` / ``reviewable_by``
queryset, so someone else's object is a 404 exactly as a missing one is. Writes call only the
services in ``reviews.services`` and ``reviews.workflow``.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import generics, status
from rest_framework.exceptions import ValidationError
from rest_framework.generics import get_object_or_404
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from competitions.api.jobs import JobOutput, job_response
from competitions.jobs import job_start
from competitions.models import BusinessSystem, Competition, JobType, ScoringRule
from config.api.errors import error_responses
from config.api.idempotency import HEADER as IDEMPOTENCY_HEADER
from config.api.idempotency import IDEMPOTENCY_PARAMETER, IdempotentPostMixin
from config.api.pagination import IdAscendingPagination, KeysetPagination
from config.months import format_month
from members.api.permissions import (
    IsClerk,
    IsClerkForWrites,
    IsClerkOrStaff,
    IsReviewer,
    IsReviewerOrStaffReading,
    IsWorker,
)
from members.models import Unit
from members.scope import scope_of
from reviews import services, workflow
from reviews.api import filters
from reviews.api import serializers as s
from reviews.history import entry_history
from reviews.jobs import APPROVE_IN_REQUEST_MAX, approve_in_background
from reviews.models import Dispute, EntrySource, EntryStatus, ReviewPeriod, WorkEntry

ENTRIES = ["录入 entries"]
DISPUTES = ["申诉 disputes"]
REVIEW = ["审核 review"]

ENTRY_RELATED = ("worker", "rule", "unit", "job_type", "business_system")


def entries_for_output(qs):
    """What EntryOutput reads, in the list's query: the related rows, and the month's lock (its status)."""
    return qs.select_related(*ENTRY_RELATED).with_month_lock()


def with_history(entry: WorkEntry) -> WorkEntry:
    """The entry with its history (``reviews.history``: its audit facts and its month's sign-offs and
    reopenings), as EntryDetailOutput reads it."""
    entry.history = entry_history(entry)
    return entry


def visible_competition(user, pk: int, field: str = "competition") -> Competition:
    competition = Competition.objects.visible_to(user).filter(pk=pk).first()
    if competition is None:
        raise ValidationError({field: [_("找不到该劳动竞赛。")]}, code="does_not_exist")
    return competition


# The catalogues a request may name by id (every account may read them), with the message when the id is none of
# theirs: refused with 400 does_not_exist, never read as a filter on nothing ("nothing pending").
CATALOGUES = {
    "business_system": (BusinessSystem.objects, _("找不到该业务系统。")),
    "unit": (Unit.objects, _("找不到该单位。")),
    "job_type": (JobType.objects, _("找不到该工种。")),
    "rule": (ScoringRule.objects, _("找不到该计分规则。")),
}


def existing(catalogue: str, pk: int):
    """The row ``pk`` of ``catalogue`` (a key of CATALOGUES, also the request's field), or a 400 does_not_exist
    on that field."""
    objects, missing = CATALOGUES[catalogue]
    found = objects.filter(pk=pk).first()
    if found is None:
        raise ValidationError({catalogue: [missing]}, code="does_not_exist")
    return found


def _entry_response(entry_id: int, http=status.HTTP_200_OK, user=None) -> Response:
    entry = with_history(entries_for_output(WorkEntry.objects.filter(pk=entry_id)).get())
    return Response(s.EntryDetailOutput(entry).data, status=http)


# -- entries ---------------------------------------------------------------------------------------

@extend_schema_view(
    get=extend_schema(tags=ENTRIES, operation_id="entries_list", summary="录入列表",
                      description="您可见的录入：职工本人的、录入员所负责单位（含下级）的、审核员所负责业务系统的；"
                                  "工会干部可见全部。按 id 倒序，游标分页。",
                      responses={200: s.EntryOutput(many=True), **error_responses(400)}),
    post=extend_schema(tags=ENTRIES, operation_id="entries_create", summary="录入一条工作量（录入员）",
                       request=s.EntryCreateInput, parameters=[IDEMPOTENCY_PARAMETER],
                       description="只能为本人负责的单位（含下级单位）的职工录入。检查不通过返回400，"
                                   "details 为 [{row, field, message, code}]。",
                       responses={201: s.EntryDetailOutput, **error_responses(400, 403, 409)}),
)
class EntryListCreate(IdempotentPostMixin, generics.ListAPIView):
    permission_classes = [IsAuthenticated, IsClerkForWrites]
    serializer_class = s.EntryOutput
    filterset_class = filters.EntryFilter
    pagination_class = KeysetPagination

    def get_queryset(self):
        return entries_for_output(WorkEntry.objects.visible_to(self.request.user))

    def post(self, request):
        data = s.EntryCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        entry = services.entry_create(
            actor=request.user, competition=visible_competition(request.user, v["competition"]),
            worker_id=v["worker"], rule_id=v["rule"], work_date=v["work_date"], quantity=v["quantity"],
            note=v.get("note", ""), source=EntrySource.API,
            idempotency_key=(request.headers.get(IDEMPOTENCY_HEADER) or "").strip()[:64] or None,
        )
        return _entry_response(entry.pk, status.HTTP_201_CREATED)


@extend_schema_view(
    get=extend_schema(tags=ENTRIES, operation_id="entries_retrieve", summary="录入详情（含审计记录）",
                      responses={200: s.EntryDetailOutput, **error_responses(404)}),
    patch=extend_schema(tags=ENTRIES, operation_id="entries_update", summary="修改录入（录入员）",
                        request=s.EntryUpdateInput,
                        description="只能修改待审核或已退回的录入；已退回的修改后重新提交审核。"
                                    "已通过或已锁定的请提交调整（adjustments）。",
                        responses={200: s.EntryDetailOutput, **error_responses(400, 403, 404, 409)}),
)
class EntryDetail(generics.RetrieveAPIView):
    permission_classes = [IsAuthenticated, IsClerkForWrites]
    serializer_class = s.EntryDetailOutput

    def get_queryset(self):
        return entries_for_output(WorkEntry.objects.visible_to(self.request.user))

    def get_object(self):
        return with_history(super().get_object())

    def patch(self, request, pk: int):
        data = s.EntryUpdateInput(data=request.data)
        data.is_valid(raise_exception=True)
        entry = services.entry_update(actor=request.user, entry_id=pk, **data.validated_data)
        return _entry_response(entry.pk)


@extend_schema_view(post=extend_schema(
    tags=ENTRIES, operation_id="entries_batch_create", summary="批量录入（录入员）",
               request=s.BatchCreateInput, parameters=[IDEMPOTENCY_PARAMETER],
               description="一次最多500行，默认全部通过才保存；错误的 row 为 rows 数组下标+1。",
               responses={201: s.BatchResultOutput, **error_responses(400, 403, 409)}))
class EntryBatchCreate(IdempotentPostMixin, APIView):
    permission_classes = [IsClerk]

    def post(self, request):
        data = s.BatchCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        rows = [services.EntryInput(worker_id=r["worker"], rule_id=r["rule"], work_date=r["work_date"],
                                    quantity=r["quantity"], note=r.get("note", ""), row=i)
                for i, r in enumerate(v["rows"], start=1)]
        result = services.entries_create(actor=request.user, competition=visible_competition(request.user,
                                                                                             v["competition"]),
                                         rows=rows, source=EntrySource.API, save_valid_only=v["save_valid_only"])
        errors = [{"row": e.row, "field": e.field, "message": str(e.message), "code": e.code} for e in result.errors]
        body = {"created_count": result.created_count, "created_ids": result.created_ids,
                "errors": errors}
        return Response(s.BatchResultOutput(body).data, status=status.HTTP_201_CREATED)


@extend_schema_view(post=extend_schema(
    tags=ENTRIES, operation_id="entries_adjust", summary="调整已通过或已锁定的录入（录入员）",
               request=s.AdjustmentInput, parameters=[IDEMPOTENCY_PARAMETER],
               description="生成一条新的调整录入（日期为今天，待审核），原录入不变。",
               responses={201: s.EntryDetailOutput, **error_responses(400, 403, 404, 409)}))
class EntryAdjust(IdempotentPostMixin, APIView):
    permission_classes = [IsClerk]

    def post(self, request, pk: int):
        data = s.AdjustmentInput(data=request.data)
        data.is_valid(raise_exception=True)
        adjustment = services.entry_adjust(actor=request.user, entry_id=pk, source=EntrySource.API,
                                           **data.validated_data)
        return _entry_response(adjustment.pk, status.HTTP_201_CREATED)


@extend_schema_view(get=extend_schema(
    tags=ENTRIES, operation_id="my_entries_list", summary="我的录入（职工本人）",
    description="职工本人的录入及审核状态、退回原因；审计记录见录入详情。",
    responses={200: s.EntryOutput(many=True), **error_responses(400, 403)}))
class MyEntryList(generics.ListAPIView):
    permission_classes = [IsWorker]
    serializer_class = s.EntryOutput
    filterset_class = filters.EntryFilter
    pagination_class = KeysetPagination

    def get_queryset(self):
        worker_id = scope_of(self.request.user).worker_id
        return entries_for_output(WorkEntry.objects.visible_to(self.request.user).filter(worker_id=worker_id))


# -- review: one entry -------------------------------------------------------------------------------

class _EntryTransition(IdempotentPostMixin, APIView):
    permission_classes = [IsReviewer]
    to_status: str

    def post(self, request, pk: int):
        reason = ""
        if self.to_status == EntryStatus.REJECTED:
            data = s.RejectInput(data=request.data)
            data.is_valid(raise_exception=True)
            reason = data.validated_data["reason"]
        elif request.data:
            s.StrictInputSerializer(data=request.data).is_valid(raise_exception=True)
        entry = get_object_or_404(WorkEntry.objects.reviewable_by(request.user), pk=pk)
        entry = workflow.entry_transition(actor=request.user, entry=entry, to_status=self.to_status, reason=reason)
        return _entry_response(entry.pk)


@extend_schema_view(post=extend_schema(
    tags=REVIEW, operation_id="entries_approve", summary="通过一条录入（审核员）", request=None,
               parameters=[IDEMPOTENCY_PARAMETER],
               responses={200: s.EntryDetailOutput, **error_responses(400, 403, 404, 409)},
               description="须持有该业务系统的审核授权（工会干部、超级用户亦然）。不能审核本人的、本人录入或最后修改的"
                           "（409 self_review）；状态已被他人改变时 409 stale_status。"))
class EntryApprove(_EntryTransition):
    to_status = EntryStatus.APPROVED


@extend_schema_view(post=extend_schema(
    tags=REVIEW, operation_id="entries_reject", summary="退回一条录入（审核员）", request=s.RejectInput,
               parameters=[IDEMPOTENCY_PARAMETER],
               responses={200: s.EntryDetailOutput, **error_responses(400, 403, 404, 409)},
               description="必须填写退回原因；录入员修改后重新提交。已有未退回调整的录入不能单独退回"
                           "（409 has_adjustments：先退回其调整，或用批量退回与调整一起退回）。"))
class EntryReject(_EntryTransition):
    to_status = EntryStatus.REJECTED


# -- review: the queue -----------------------------------------------------------------------------

@extend_schema_view(get=extend_schema(
    tags=REVIEW, operation_id="review_queue", summary="审核队列（审核员）",
    description="您负责的业务系统的录入，按 id 顺序（先录先审）。不指定 status 时只列待审核的。",
    responses={200: s.EntryOutput(many=True), **error_responses(400, 403)}))
class ReviewQueue(generics.ListAPIView):
    permission_classes = [IsReviewerOrStaffReading]
    serializer_class = s.EntryOutput
    filterset_class = filters.EntryFilter
    pagination_class = IdAscendingPagination

    def get_queryset(self):
        qs = WorkEntry.objects.review_readable_by(self.request.user)
        if "status" not in self.request.query_params:
            qs = qs.pending()
        return entries_for_output(qs)


def _transition_response(result) -> Response:
    return Response(s.TransitionResultOutput(result).data)


@extend_schema_view(post=extend_schema(
    tags=REVIEW, operation_id="review_approve", summary="批量通过所选录入（审核员）", request=s.IdsInput,
               parameters=[IDEMPOTENCY_PARAMETER],
               description="只通过所选中在您审核范围内、且待审核的录入；本人的、本人录入或最后修改的跳过，"
                           "其条数见 skipped_own。",
               responses={200: s.TransitionResultOutput, **error_responses(400, 403, 409)}))
class ReviewApproveSelected(IdempotentPostMixin, APIView):
    permission_classes = [IsReviewer]

    def post(self, request):
        data = s.IdsInput(data=request.data)
        data.is_valid(raise_exception=True)
        entries = WorkEntry.objects.reviewable_by(request.user).filter(pk__in=data.validated_data["ids"])
        return _transition_response(workflow.entries_transition(
            actor=request.user, entries=entries, to_status=EntryStatus.APPROVED,
            systems=scope_of(request.user).reviewer_system_ids))


@extend_schema_view(post=extend_schema(
    tags=REVIEW, operation_id="review_reject", summary="批量退回所选录入（审核员）",
               request=s.IdsRejectInput, parameters=[IDEMPOTENCY_PARAMETER],
               responses={200: s.TransitionResultOutput, **error_responses(400, 403, 409)}))
class ReviewRejectSelected(IdempotentPostMixin, APIView):
    permission_classes = [IsReviewer]

    def post(self, request):
        data = s.IdsRejectInput(data=request.data)
        data.is_valid(raise_exception=True)
        entries = WorkEntry.objects.reviewable_by(request.user).filter(pk__in=data.validated_data["ids"])
        return _transition_response(workflow.entries_transition(
            actor=request.user, entries=entries, to_status=EntryStatus.REJECTED,
            reason=data.validated_data["reason"], systems=scope_of(request.user).reviewer_system_ids))


@extend_schema_view(post=extend_schema(
    tags=REVIEW, operation_id="review_approve_matching", summary="通过符合条件的全部待审核录入（审核员）",
               request=s.ApproveMatchingInput, parameters=[IDEMPOTENCY_PARAMETER],
               description="条件与审核队列的筛选相同（月份必填）；本人的、本人录入或最后修改的跳过"
                           "（条数见 skipped_own）。劳动竞赛、业务系统、单位、工种或计分规则不存在时返回 400"
                           "（does_not_exist，同签发）。"
                           f"符合条件的不超过 {APPROVE_IN_REQUEST_MAX:,} 条时当场完成，返回 200；更多时（如一个业务系统"
                           "整月）转为后台任务，返回 202 和任务（Location 为其地址 /api/v1/jobs/{id}/，可查询进度和"
                           "结果）；同样的条件在任务结束前再次提交，返回同一个任务。",
               responses={200: s.TransitionResultOutput, 202: JobOutput, **error_responses(400, 403, 409)}))
class ReviewApproveMatching(IdempotentPostMixin, APIView):
    permission_classes = [IsReviewer]

    def post(self, request):
        data = s.ApproveMatchingInput(data=request.data)
        data.is_valid(raise_exception=True)
        # A competition, business system, unit, job type or metric that is none (or not visible) is refused as
        # sign-off refuses it, never read as a filter that matches nothing ("moved: 0"). A worker is not
        # checked: whether an id is a worker's is not for every reviewer to learn; one that is none moves 0.
        if "competition" in data.validated_data:
            visible_competition(request.user, data.validated_data["competition"])
        for catalogue in CATALOGUES:
            if catalogue in data.validated_data:
                existing(catalogue, data.validated_data[catalogue])
        # As query-string values (JSON, for a job's params): the month as YYYY-MM, a date as YYYY-MM-DD.
        criteria = {key: format_month(value) if key == "month" else value.isoformat() if key == "work_date" else value
                    for key, value in data.validated_data.items()}
        matching = filters.pending_matching(request.user, criteria)
        if not matching.is_valid():  # never fall back to "all": an invalid filter approves nothing
            raise ValidationError(matching.errors)
        entries = matching.qs
        if approve_in_background(entries):
            job = job_start(kind="review_approve_matching", params={"criteria": criteria}, user=request.user,
                            once_key=criteria)
            return job_response(job, status=status.HTTP_202_ACCEPTED)
        return _transition_response(workflow.entries_transition(
            actor=request.user, entries=entries, to_status=EntryStatus.APPROVED,
            systems=scope_of(request.user).reviewer_system_ids, month=data.validated_data["month"]))


@extend_schema_view(post=extend_schema(
    tags=REVIEW, operation_id="review_sign_off", summary="签发月份（审核员）", request=s.SignOffInput,
               parameters=[IDEMPOTENCY_PARAMETER],
               description="该业务系统该月的录入全部审核完毕后签发，签发后锁定、不能再修改（更正须提交调整）。"
                           "该月结束后才能签发（返回 409 month_not_ended），且须在竞赛期间内"
                           "（返回 400 month_outside_competition）。"
                           "还有待审核的返回 409 pending_left；已签发返回 409 already_signed_off。",
               responses={200: s.PeriodOutput, **error_responses(400, 403, 409)}))
class ReviewSignOff(IdempotentPostMixin, APIView):
    permission_classes = [IsReviewer]

    def post(self, request):
        data = s.SignOffInput(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        system = existing("business_system", v["business_system"])
        period = workflow.period_sign_off(actor=request.user, competition=visible_competition(request.user,
                                                                                             v["competition"]),
                                          business_system=system, month=v["month"])
        period = ReviewPeriod.objects.select_related("business_system").get(pk=period.pk)
        return Response(s.PeriodOutput(period).data)


@extend_schema_view(get=extend_schema(tags=REVIEW, operation_id="review_periods_list", summary="月度审核（签发）列表",
                                      responses={200: s.PeriodOutput(many=True), **error_responses(400, 403)}))
class ReviewPeriodList(generics.ListAPIView):
    permission_classes = [IsReviewerOrStaffReading]
    serializer_class = s.PeriodOutput
    filterset_class = filters.PeriodFilter
    pagination_class = KeysetPagination

    def get_queryset(self):
        return ReviewPeriod.objects.visible_to(self.request.user).select_related("business_system")


# -- disputes --------------------------------------------------------------------------------------

DISPUTE_RELATED = ("worker", "unit")


class IsWorkerForWrites(IsWorker):
    def has_permission(self, request, view):
        return request.method in ("GET", "HEAD", "OPTIONS") or super().has_permission(request, view)


@extend_schema_view(
    get=extend_schema(tags=DISPUTES, operation_id="disputes_list", summary="申诉列表",
                      description="职工看到本人的申诉，录入员看到所负责单位的申诉。",
                      responses={200: s.DisputeOutput(many=True), **error_responses(400)}),
    post=extend_schema(tags=DISPUTES, operation_id="disputes_open", summary="提出申诉（职工）",
                       request=s.DisputeOpenInput, parameters=[IDEMPOTENCY_PARAMETER],
                       description="对本人的一条录入，或对没有录入的某一天提出申诉，由所在单位录入员处理。",
                       responses={201: s.DisputeOutput, **error_responses(400, 403, 404, 409)}),
)
class DisputeListOpen(IdempotentPostMixin, generics.ListAPIView):
    permission_classes = [IsAuthenticated, IsWorkerForWrites]
    serializer_class = s.DisputeOutput
    filterset_class = filters.DisputeFilter
    pagination_class = KeysetPagination

    def get_queryset(self):
        return Dispute.objects.visible_to(self.request.user).select_related(*DISPUTE_RELATED)

    def post(self, request):
        data = s.DisputeOpenInput(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        dispute = services.dispute_open(actor=request.user, work_date=v.get("work_date"), comment=v["comment"],
                                        entry_id=v.get("entry"))
        dispute = Dispute.objects.select_related(*DISPUTE_RELATED).get(pk=dispute.pk)
        return Response(s.DisputeOutput(dispute).data, status=status.HTTP_201_CREATED)


@extend_schema_view(get=extend_schema(tags=DISPUTES, operation_id="disputes_retrieve", summary="申诉详情",
                                      responses={200: s.DisputeOutput, **error_responses(404)}))
class DisputeDetail(generics.RetrieveAPIView):
    serializer_class = s.DisputeOutput

    def get_queryset(self):
        return Dispute.objects.visible_to(self.request.user).select_related(*DISPUTE_RELATED)


@extend_schema_view(post=extend_schema(
    tags=DISPUTES, operation_id="disputes_answer", summary="答复申诉（录入员）",
               request=s.DisputeAnswerInput, parameters=[IDEMPOTENCY_PARAMETER],
               responses={200: s.DisputeOutput, **error_responses(400, 403, 404, 409)}))
class DisputeAnswer(IdempotentPostMixin, APIView):
    permission_classes = [IsClerkOrStaff]

    def post(self, request, pk: int):
        data = s.DisputeAnswerInput(data=request.data)
        data.is_valid(raise_exception=True)
        dispute = services.dispute_answer(actor=request.user, dispute_id=pk, **data.validated_data)
        dispute = Dispute.objects.select_related(*DISPUTE_RELATED).get(pk=dispute.pk)
        return Response(s.DisputeOutput(dispute).data)
