"""The 公示 endpoints of the mobile client: the public lists of a competition, one list with its nominees,
an objection (异议), my objections, my honours.

They read through competitions.honours.public, as the portal's 公示 pages do, so both show the same rows;
a round or list someone may not see answers 404 exactly like a missing one. The one write, an objection,
goes through the service, whose refusals come back with stable codes.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import generics, status
from rest_framework.exceptions import ErrorDetail, NotFound, ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from competitions.honours import api_serializers as s
from competitions.honours import public
from competitions.honours.models import AwardRound, Nominee
from competitions.models import Competition
from config import cursors
from config.api.errors import error_responses
from config.api.idempotency import IDEMPOTENCY_PARAMETER, IdempotentPostMixin
from config.api.pagination import KeysetPagination
from config.api.query import parse_query
from config.api.serializers import MAX_ID
from members.api.permissions import IsWorker
from members.scope import scope_of

TAG = ["公示 honours"]

# The round's competition, in the path beside the round's own id: bounded as every id in a path is.
COMPETITION_ID = OpenApiParameter("competition_id", {"type": "integer", "minimum": 1, "maximum": MAX_ID},
                                  OpenApiParameter.PATH, description="劳动竞赛 id")

def _competition_or_404(user, pk: int) -> int:
    if not Competition.objects.visible_to(user).filter(pk=pk).exists():
        raise NotFound
    return pk


def _round_or_404(user, competition_id: int, pk: int):
    award_round = public.round_for(user, pk)
    if award_round is None or award_round.competition_id != competition_id:
        raise NotFound
    return award_round


ROUND_EXAMPLE = {
    "id": 12, "competition_id": 1, "name": "2026年一季度先进个人", "kind": "individual", "kind_label": "先进个人",
    "unit_level": "", "status": "publicized", "status_label": "公示中", "basis_start": "2026-01-01",
    "basis_end": "2026-03-31", "publicity_start": "2026-04-10T09:00:00+08:00",
    "publicity_end": "2026-04-17T09:00:00+08:00", "days_left": 5, "objections_open": True, "finalized_at": None,
    "snapshot_digest": "9f2c0e5b7a1d4c3e8f6a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e",
}
NOMINEE_EXAMPLE = {
    "id": 301, "position": 1, "rank": 1, "group": "机务", "over_quota": False, "status": "shortlisted",
    "status_label": "初选入围", "worker_id": 4411, "unit_id": None, "name": "张三明", "employee_no": "BJ004411",
    "depot": "北京机务段", "team": "运用车间", "job_type": "电力机车司机", "business_system": "机务",
    "points": "1523.500", "approved_points": "1498.000", "participants": None, "average_points": None,
}


OBJECTION_EXAMPLE = {
    "id": 55, "round_id": 12, "round_name": "2026年一季度先进个人", "competition_id": 1, "nominee_id": 301,
    "nominee_name": "张三明", "nominee_employee_no": "BJ004411", "reason": "该职工三月有安全扣分记录，请核实。",
    "status": "rejected", "status_label": "异议不成立", "answer": "经核实，该扣分已撤销，异议不成立。",
    "answered_at": "2026-04-12T15:30:00+08:00", "raised_at": "2026-04-11T08:20:00+08:00",
}
HONOUR_EXAMPLE = {
    "id": 301, "round_id": 12, "round_name": "2026年一季度先进个人", "round_status": "finalized",
    "round_status_label": "已定稿", "kind": "individual", "competition_id": 1, "competition_name": "2026京津冀劳动竞赛",
    "basis_start": "2026-01-01", "basis_end": "2026-03-31", "rank": 1, "points": "1523.500",
    "approved_points": "1498.000", "status": "final", "status_label": "正式表彰", "is_final": True,
    "finalized_at": "2026-04-18T10:00:00+08:00",
}


@extend_schema_view(get=extend_schema(
    tags=TAG, operation_id="award_rounds_list", summary="公示名单列表",
    description="该竞赛正在公示和已确定的表彰名单（先进个人、先进集体），按 id 倒序，游标分页。"
                "只列本人参加的竞赛的名单；筹备中的评选不公开。",
    responses={200: s.AwardRoundOutput(many=True), **error_responses(400, 404)},
    examples=[OpenApiExample("公示中的名单", value=ROUND_EXAMPLE, response_only=True)]))
class AwardRoundList(generics.ListAPIView):
    permission_classes = [IsAuthenticated]
    serializer_class = s.AwardRoundOutput
    pagination_class = KeysetPagination

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema generator, without a competition
            return AwardRound.objects.none()
        competition_id = _competition_or_404(self.request.user, self.kwargs["pk"])
        return public.public_rounds(self.request.user).filter(competition_id=competition_id)


@extend_schema_view(get=extend_schema(
    tags=TAG, operation_id="award_rounds_retrieve", summary="公示名单详情（含人选）",
    description="名单的评选依据期间、公示期、剩余天数、所依据积分快照的摘要，以及名单中的人选"
                "（姓名、工号、站段、班组、工种、积分；不含身份证号、手机号），按序号分页（nominees.next）。",
    parameters=[COMPETITION_ID, s.NomineePageQuery],
    responses={200: s.AwardRoundDetailOutput, **error_responses(400, 404)},
    examples=[OpenApiExample("公示中的名单", response_only=True, value={
        **ROUND_EXAMPLE, "nominees": {"next": None, "results": [NOMINEE_EXAMPLE]}})]))
class AwardRoundDetail(APIView):
    permission_classes = [IsAuthenticated]

    def get(self, request, competition_id: int, pk: int):
        award_round = _round_or_404(request.user, competition_id, pk)
        query = parse_query(s.NomineePageQuery, request.query_params)
        salt = public.nominee_cursor_salt(award_round.pk)
        # config.cursors.InvalidCursor: the 400 invalid_cursor error
        after = cursors.decode(salt, query["cursor"], int, int) if query.get("cursor") else None
        size = query["page_size"]
        rows = public.nominee_rows(request.user, award_round, after=after, limit=size + 1)
        next_url = None
        if len(rows) > size:
            rows = rows[:size]
            params = request.query_params.copy()
            params["cursor"] = cursors.encode(salt, rows[-1]["position"], rows[-1]["id"])
            next_url = request.build_absolute_uri(f"{request.path}?{params.urlencode()}")
        body = s.AwardRoundOutput(award_round).data
        body["nominees"] = {"next": next_url, "results": s.NomineeOutput(rows, many=True).data}
        return Response(body)


@extend_schema_view(post=extend_schema(
    tags=TAG, operation_id="objections_raise", summary="对公示名单中的人选提出异议",
    description="公示期内，参加该竞赛的人都可以对名单中的人选提出异议（理由必填），工会核实后答复，"
                "答复见“我的异议”。nominee 不在该名单中：400 validation_error（details.nominee）；"
                "公示期外：409 not_in_publicity；对该人选已有待答复的异议：409 objection_open；"
                "人选已不在名单中：409 not_listed。",
    parameters=[COMPETITION_ID, IDEMPOTENCY_PARAMETER], request=s.ObjectionInput,
    responses={201: s.ObjectionOutput, **error_responses(400, 404, 409)},
    examples=[OpenApiExample("异议", request_only=True,
                             value={"nominee": 301, "reason": "该职工三月有安全扣分记录，请核实。"}),
              OpenApiExample("已提交的异议", response_only=True, status_codes=["201"],
                             value={**OBJECTION_EXAMPLE, "status": "open", "status_label": "待答复", "answer": "",
                                    "answered_at": None})]))
class ObjectionRaise(IdempotentPostMixin, APIView):
    permission_classes = [IsAuthenticated]

    def post(self, request, competition_id: int, pk: int):
        award_round = _round_or_404(request.user, competition_id, pk)
        data = s.ObjectionInput(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            objection = public.objection_raise(request.user, award_round, nominee_id=data.validated_data["nominee"],
                                               reason=data.validated_data["reason"])
        except Nominee.DoesNotExist:
            missing = ErrorDetail(_("该名单中没有这位人选。"), code="does_not_exist")
            raise ValidationError({"nominee": [missing]}) from None
        row = public.my_objections(request.user).get(pk=objection.pk)
        return Response(s.ObjectionOutput(row).data, status=status.HTTP_201_CREATED)


@extend_schema_view(get=extend_schema(
    tags=TAG, operation_id="my_objections_list", summary="我的异议",
    description="本人提出的异议及工会的答复，按 id 倒序，游标分页。",
    responses={200: s.ObjectionOutput(many=True), **error_responses(400)},
    examples=[OpenApiExample("已答复的异议", value=OBJECTION_EXAMPLE, response_only=True)]))
class MyObjectionList(generics.ListAPIView):
    permission_classes = [IsAuthenticated]
    serializer_class = s.ObjectionOutput
    pagination_class = KeysetPagination

    def get_queryset(self):
        return public.my_objections(self.request.user)


@extend_schema_view(get=extend_schema(
    tags=TAG, operation_id="my_honours_list", summary="我的荣誉（职工本人）",
    description="本人进入的公示名单和获得的表彰（各竞赛），含评选名称、依据期间、名次、积分与状态，"
                "按 id 倒序，游标分页。",
    responses={200: s.MyHonourOutput(many=True), **error_responses(400, 403)},
    examples=[OpenApiExample("正式表彰", value=HONOUR_EXAMPLE, response_only=True)]))
class MyHonourList(generics.ListAPIView):
    permission_classes = [IsWorker]
    serializer_class = s.MyHonourOutput
    pagination_class = KeysetPagination

    def get_queryset(self):
        return public.my_honours(self.request.user, worker_id=scope_of(self.request.user).worker_id)
