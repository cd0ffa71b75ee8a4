"""Union membership in the API: the worker's own (/me/membership/) and the union office's (/membership/…).

Reads go through the models' ``visible_to`` (someone else's form or member answers 404, as a missing one
does); writes call members.membership, which checks the caller's rights again. ID numbers and phones are
always masked here; a card number is in full only for the member and staff.
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import generics, serializers, status
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from config.api.errors import error_responses
from config.api.idempotency import IDEMPOTENCY_PARAMETER, IdempotentPostMixin
from config.api.pagination import KeysetPagination
from config.api.serializers import StrictInputSerializer, id_field
from members import membership as services
from members.api.permissions import IsWorker
from members.api.serializers import CodedRefOutput
from members.models import (
    ApplicationStatus,
    CardStatus,
    Education,
    Gender,
    MemberCard,
    MembershipApplication,
    MembershipEvent,
    MembershipEventKind,
    PoliticalStatus,
    Worker,
)
from members.scope import scope_of

TAG = ["会籍 membership"]


class IsUnionOffice(BasePermission):
    message = "只有工会干部可以使用该功能。"

    def has_permission(self, request, view):
        scope = scope_of(request.user)
        return scope.is_union_officer or scope.is_staff


class MayApply(BasePermission):
    """Reading: whoever the queryset lets see a form; submitting for someone else: a clerk, a union officer
    or staff (for the workers Worker.may_apply_for gives them)."""

    message = "只有单位录入员或工会干部可以代职工提交入会申请。"

    def has_permission(self, request, view):
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return True
        scope = scope_of(request.user)
        return scope.is_clerk or scope.is_union_officer or scope.is_staff


class IsStaff(BasePermission):
    message = "只有工会管理员可以办理互助服务卡。"

    def has_permission(self, request, view):
        return scope_of(request.user).is_staff


# -- serializers -----------------------------------------------------------------------------------------

class ApplicationInput(StrictInputSerializer):
    name = serializers.CharField(max_length=50, help_text="姓名（与职工档案一致）")
    gender = serializers.ChoiceField(choices=Gender.choices, help_text="M 男 / F 女")
    id_number = serializers.CharField(max_length=18, help_text="身份证号（与职工档案一致）")
    birth_date = serializers.DateField(required=False, allow_null=True, help_text="出生日期（可不填，按身份证号核对）")
    mobile = serializers.CharField(max_length=11, help_text="手机号")
    education = serializers.ChoiceField(choices=Education.choices, help_text="文化程度")
    political_status = serializers.ChoiceField(choices=PoliticalStatus.choices, help_text="政治面貌")
    job_title = serializers.CharField(max_length=50, required=False, allow_blank=True, help_text="职务")
    applied_on = serializers.DateField(required=False, allow_null=True, help_text="申请日期（默认今天）")

    def form(self, worker_id: int) -> services.ApplicationInput:
        v = self.validated_data
        return services.ApplicationInput(
            worker_id=worker_id, name=v["name"], gender=v["gender"], id_number=v["id_number"],
            birth_date=v.get("birth_date"), mobile=v["mobile"], education=v["education"],
            political_status=v["political_status"], job_title=v.get("job_title", ""), applied_on=v.get("applied_on"))


class ApplicationForWorkerInput(ApplicationInput):
    worker = id_field(help_text="职工 id（录入员、工会干部：本人负责单位的职工）")


class ApplicationOutput(serializers.Serializer):
    id = serializers.IntegerField()
    worker_id = serializers.IntegerField()
    unit = CodedRefOutput()
    name = serializers.CharField()
    gender = serializers.CharField()
    id_number = serializers.CharField(source="id_number_masked", help_text="身份证号（脱敏）")
    # The year only: the masked ID number hides exactly the birth date (digits 7-14), which a whole date
    # beside it would give back.
    birth_year = serializers.SerializerMethodField(help_text="出生年份（身份证号脱敏，出生日期只给年份）")
    mobile = serializers.CharField(source="mobile_masked", help_text="手机号（脱敏）")
    education = serializers.CharField()
    education_label = serializers.CharField(source="get_education_display", help_text="文化程度（中文）")
    political_status = serializers.CharField()
    political_status_label = serializers.CharField(source="get_political_status_display",
                                                   help_text="政治面貌（中文）")
    job_title = serializers.CharField()
    applied_on = serializers.DateField()
    status = serializers.ChoiceField(choices=ApplicationStatus.choices,
                                     help_text="submitted 待审批 / returned 已退回 / approved 已批准 / "
                                               "rejected 不予批准")
    status_label = serializers.CharField(source="get_status_display")
    reason = serializers.CharField(help_text="退回或不予批准的原因")
    membership_no = serializers.CharField(allow_null=True, help_text="会员编号（批准后）：地区代码+8位序号")
    joined_on = serializers.DateField(allow_null=True)
    decided_at = serializers.DateTimeField(allow_null=True)

    def get_birth_year(self, application) -> int | None:
        return application.birth_date.year if application.birth_date else None


class EventOutput(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=MembershipEventKind.choices)
    kind_label = serializers.CharField(source="get_kind_display")
    on = serializers.DateField()
    reason = serializers.CharField()
    from_unit = CodedRefOutput(allow_null=True)
    to_unit = CodedRefOutput(allow_null=True)


class CardOutput(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.SerializerMethodField(help_text="卡号：会员本人与工会管理员可见全号，其他人脱敏")
    status = serializers.ChoiceField(choices=CardStatus.choices)
    status_label = serializers.CharField(source="get_status_display")
    issued_on = serializers.DateField()

    def get_number(self, card) -> str:
        return services.card_number_for(self.context["request"].user, card, card.worker_id)


class MembershipOutput(serializers.Serializer):
    worker_id = serializers.IntegerField()
    status = serializers.CharField(help_text="none 未入会 / applied 已申请 / member 会员 / suspended 会籍暂停 / "
                                             "left 已退会")
    status_label = serializers.CharField()
    joined_on = serializers.DateField(allow_null=True)
    membership_no = serializers.CharField(allow_null=True)
    application = ApplicationOutput(allow_null=True, help_text="最近一份入会申请")
    cards = CardOutput(many=True)
    events = EventOutput(many=True)


class ApproveManyInput(StrictInputSerializer):
    ids = serializers.ListField(child=id_field(), min_length=1, max_length=10000, help_text="入会申请 id")
    joined_on = serializers.DateField(required=False, allow_null=True, help_text="入会日期（默认今天）")


class ApproveManyOutput(serializers.Serializer):
    approved = serializers.IntegerField(help_text="批准的申请数")


class ApproveInput(StrictInputSerializer):
    joined_on = serializers.DateField(required=False, allow_null=True, help_text="入会日期（默认今天）")


class ReasonInput(StrictInputSerializer):
    reason = serializers.CharField(max_length=200, help_text="原因（申请人可见）")


class EventInput(StrictInputSerializer):
    kind = serializers.ChoiceField(choices=[c for c in MembershipEventKind.choices if c[0] != "joined"])
    on = serializers.DateField()
    reason = serializers.CharField(max_length=200)
    to_unit = id_field(required=False, allow_null=True, help_text="转入单位 id（转会时必填）")


class CardInput(StrictInputSerializer):
    worker = id_field()
    number = serializers.CharField(max_length=30, help_text="卡号：16-19位数字，末位为 Luhn 校验位")
    issued_on = serializers.DateField(required=False, allow_null=True)


class CardStatusInput(StrictInputSerializer):
    status = serializers.ChoiceField(choices=[CardStatus.ACTIVE, CardStatus.LOST])
    on = serializers.DateField(required=False, allow_null=True)
    reason = serializers.CharField(max_length=200, required=False, allow_blank=True)


class CardReplaceInput(StrictInputSerializer):
    number = serializers.CharField(max_length=30)
    on = serializers.DateField(required=False, allow_null=True)
    reason = serializers.CharField(max_length=200, required=False, allow_blank=True)


def _membership(request, worker: Worker) -> Response:
    application = (MembershipApplication.objects.select_related("unit").filter(worker=worker).order_by("-id").first())
    cards = list(MemberCard.objects.filter(worker=worker).order_by("-id")[:20])
    events = list(MembershipEvent.objects.filter(worker=worker).select_related("from_unit", "to_unit")
                  .order_by("-on", "-id")[:100])
    approved = application if application and application.membership_no else (
        MembershipApplication.objects.filter(worker=worker, status=ApplicationStatus.APPROVED).first())
    body = {"worker_id": worker.pk, "status": worker.membership_status,
            "status_label": worker.get_membership_status_display(), "joined_on": worker.joined_on,
            "membership_no": approved.membership_no if approved else None, "application": application,
            "cards": cards, "events": events}
    return Response(MembershipOutput(body, context={"request": request}).data)


def _application(pk: int, http=status.HTTP_200_OK) -> Response:
    return Response(ApplicationOutput(MembershipApplication.objects.select_related("unit").get(pk=pk)).data,
                    status=http)


# -- the worker's own -----------------------------------------------------------------------------------------

@extend_schema_view(
    get=extend_schema(tags=TAG, operation_id="me_membership", summary="我的会籍",
                      description="会籍状态、最近一份入会申请（状态与退回原因）、互助服务卡（全号）与会籍记录。",
                      responses={200: MembershipOutput, **error_responses(403)}),
    post=extend_schema(tags=TAG, operation_id="me_membership_apply", summary="提交入会申请（本人）",
                       request=ApplicationInput, parameters=[IDEMPOTENCY_PARAMETER],
                       description="未入会的职工提交申请；被退回的申请修改后再次提交。检查不通过返回400，"
                                   "details 为 [{row, field, message, code}]。",
                       responses={201: ApplicationOutput, **error_responses(400, 403, 409)}),
)
class MyMembership(IdempotentPostMixin, APIView):
    permission_classes = [IsAuthenticated, IsWorker]

    def get(self, request):
        return _membership(request, Worker.objects.get(pk=scope_of(request.user).worker_id))

    def post(self, request):
        data = ApplicationInput(data=request.data)
        data.is_valid(raise_exception=True)
        application = services.application_submit(actor=request.user,
                                                  form=data.form(scope_of(request.user).worker_id))
        return _application(application.pk, status.HTTP_201_CREATED)


# -- the union office --------------------------------------------------------------------------------------

class ApplicationFilter(serializers.Serializer):
    status = serializers.ChoiceField(choices=ApplicationStatus.choices, required=False)


@extend_schema_view(
    get=extend_schema(tags=TAG, operation_id="membership_applications_list", summary="入会申请列表",
                      description="您可见的入会申请：工会干部与录入员为所负责单位（含下级）的，职工为本人的，"
                                  "工会管理员为全部。按 id 倒序，游标分页；可按状态筛选。",
                      parameters=[ApplicationFilter],
                      responses={200: ApplicationOutput(many=True), **error_responses(400)}),
    post=extend_schema(tags=TAG, operation_id="membership_applications_create",
                       summary="代职工提交入会申请（录入员、工会干部）",
                       request=ApplicationForWorkerInput, parameters=[IDEMPOTENCY_PARAMETER],
                       responses={201: ApplicationOutput, **error_responses(400, 403, 409)}),
)
class ApplicationList(IdempotentPostMixin, generics.ListAPIView):
    permission_classes = [IsAuthenticated, MayApply]
    serializer_class = ApplicationOutput
    pagination_class = KeysetPagination

    def get_queryset(self):
        qs = MembershipApplication.objects.visible_to(self.request.user).select_related("unit")
        query = ApplicationFilter(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        if query.validated_data.get("status"):
            qs = qs.filter(status=query.validated_data["status"])
        return qs

    def post(self, request):
        data = ApplicationForWorkerInput(data=request.data)
        data.is_valid(raise_exception=True)
        application = services.application_submit(actor=request.user, form=data.form(data.validated_data["worker"]))
        return _application(application.pk, status.HTTP_201_CREATED)


@extend_schema_view(get=extend_schema(tags=TAG, operation_id="membership_applications_retrieve",
                                      summary="入会申请详情", description="不在您可见范围内的申请返回 404。",
                                      responses={200: ApplicationOutput, **error_responses(404)}))
class ApplicationDetail(generics.RetrieveAPIView):
    serializer_class = ApplicationOutput

    def get_queryset(self):
        return MembershipApplication.objects.visible_to(self.request.user).select_related("unit")


def _decidable(request, pk: int) -> None:
    if not MembershipApplication.objects.visible_to(request.user).filter(pk=pk).exists():
        raise MembershipApplication.DoesNotExist  # 404, as a missing one


class ApplicationDecision(IdempotentPostMixin, APIView):
    permission_classes = [IsAuthenticated, IsUnionOffice]
    action = ""

    def post(self, request, pk: int):
        _decidable(request, pk)
        if self.action == "approve":
            data = ApproveInput(data=request.data)
            data.is_valid(raise_exception=True)
            services.application_approve(actor=request.user, application_id=pk,
                                         joined_on=data.validated_data.get("joined_on"))
        else:
            data = ReasonInput(data=request.data)
            data.is_valid(raise_exception=True)
            decide = services.application_return if self.action == "return" else services.application_reject
            decide(actor=request.user, application_id=pk, reason=data.validated_data["reason"])
        return _application(pk)


def _decision_view(action: str, summary: str, request_serializer):
    view = extend_schema_view(post=extend_schema(
        tags=TAG, operation_id=f"membership_applications_{action}", summary=summary, request=request_serializer,
        parameters=[IDEMPOTENCY_PARAMETER],
        description="工会干部审批本人负责单位（含下级）的申请，工会管理员审批全部；只能审批待审批的申请（否则409）。",
        responses={200: ApplicationOutput, **error_responses(400, 403, 404, 409)}))(
        type(f"Application{action.title()}", (ApplicationDecision,), {"action": action}))
    return view.as_view()


application_approve = _decision_view("approve", "批准入会申请", ApproveInput)
application_return = _decision_view("return", "退回入会申请", ReasonInput)
application_reject = _decision_view("reject", "不予批准入会申请", ReasonInput)


@extend_schema_view(post=extend_schema(
    tags=TAG, operation_id="membership_applications_approve_many", summary="批量批准入会申请",
    request=ApproveManyInput, parameters=[IDEMPOTENCY_PARAMETER],
    description="批准所列申请中您可审批且仍待审批的（其余跳过），一条语句完成并逐条记入会籍记录；返回批准数。",
    responses={200: ApproveManyOutput, **error_responses(400, 403)}))
class ApplicationApproveMany(IdempotentPostMixin, APIView):
    permission_classes = [IsAuthenticated, IsUnionOffice]

    def post(self, request):
        data = ApproveManyInput(data=request.data)
        data.is_valid(raise_exception=True)
        count = services.applications_approve(actor=request.user, application_ids=data.validated_data["ids"],
                                              joined_on=data.validated_data.get("joined_on"))
        return Response(ApproveManyOutput({"approved": count}).data)


def _kept_worker(request, pk: int) -> Worker:
    worker = Worker.objects.membership_kept_by(request.user).filter(pk=pk).first()
    if worker is None:
        raise Worker.DoesNotExist
    return worker


@extend_schema_view(
    get=extend_schema(tags=TAG, operation_id="membership_members_retrieve", summary="会员的会籍",
                      description="工会干部：本人负责单位（含下级）的职工；工会管理员：全部。其他职工返回404。",
                      responses={200: MembershipOutput, **error_responses(403, 404)}),
    post=extend_schema(tags=TAG, operation_id="membership_members_record", summary="记录会籍变动",
                       request=EventInput, parameters=[IDEMPOTENCY_PARAMETER],
                       description="转会（transferred，须 to_unit）、暂停（suspended）、终止（terminated）、"
                                   "恢复（restored），须填日期和原因；状态不允许时返回409；"
                                   "不能为本人办理（409 own_membership）。",
                       responses={200: MembershipOutput, **error_responses(400, 403, 404, 409)}),
)
class MemberDetail(IdempotentPostMixin, APIView):
    permission_classes = [IsAuthenticated, IsUnionOffice]

    def get(self, request, pk: int):
        return _membership(request, _kept_worker(request, pk))

    def post(self, request, pk: int):
        _kept_worker(request, pk)
        data = EventInput(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        services.membership_record(actor=request.user, worker_id=pk, kind=v["kind"], on=v["on"], reason=v["reason"],
                                   to_unit_id=v.get("to_unit"))
        return _membership(request, Worker.objects.get(pk=pk))


@extend_schema_view(post=extend_schema(
    tags=TAG, operation_id="membership_cards_create", summary="登记互助服务卡（工会管理员）", request=CardInput,
    parameters=[IDEMPOTENCY_PARAMETER],
    description="卡号由发卡机构提供：16-19位数字，末位为 Luhn 校验位，全局唯一；每名会员至多一张在用的卡。",
    responses={201: CardOutput, **error_responses(400, 403, 404, 409)}))
class CardCreate(IdempotentPostMixin, APIView):
    permission_classes = [IsAuthenticated, IsStaff]

    def post(self, request):
        data = CardInput(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        card = services.card_issue(actor=request.user, worker_id=v["worker"], number=v["number"],
                                   issued_on=v.get("issued_on"))
        return Response(CardOutput(card, context={"request": request}).data, status=status.HTTP_201_CREATED)


@extend_schema_view(post=extend_schema(
    tags=TAG, operation_id="membership_cards_status", summary="激活或挂失互助服务卡（工会管理员）",
    request=CardStatusInput, parameters=[IDEMPOTENCY_PARAMETER],
    responses={200: CardOutput, **error_responses(400, 403, 404, 409)}))
class CardStatusView(IdempotentPostMixin, APIView):
    permission_classes = [IsAuthenticated, IsStaff]

    def post(self, request, pk: int):
        data = CardStatusInput(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        card = services.card_set_status(actor=request.user, card_id=pk, status=v["status"], on=v.get("on"),
                                        reason=v.get("reason", ""))
        return Response(CardOutput(card, context={"request": request}).data)


@extend_schema_view(post=extend_schema(
    tags=TAG, operation_id="membership_cards_replace", summary="补换互助服务卡（工会管理员）",
    request=CardReplaceInput, parameters=[IDEMPOTENCY_PARAMETER],
    description="已挂失的卡补换为新卡（新卡号）；原卡状态为已补换。", responses={201: CardOutput,
                                                                   **error_responses(400, 403, 404, 409)}))
class CardReplace(IdempotentPostMixin, APIView):
    permission_classes = [IsAuthenticated, IsStaff]

    def post(self, request, pk: int):
        data = CardReplaceInput(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        card = services.card_replace(actor=request.user, card_id=pk, number=v["number"], on=v.get("on"),
                                     reason=v.get("reason", ""))
        return Response(CardOutput(card, context={"request": request}).data, status=status.HTTP_201_CREATED)

