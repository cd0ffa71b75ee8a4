"""Login, token refresh, logout, the password change, and "me"."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import CharField, Value
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import generics, serializers, status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from config.api.errors import ApiError, error_responses
from config.api.pagination import KeysetPagination
from members import lockout
from members.api import filters
from members.api.authentication import (
    BearerTokenAuthentication,
    LoginAccountThrottle,
    LoginAddressThrottle,
    login_employee_no,
    tokens_issue,
    tokens_refresh,
    tokens_revoke,
)
from members.api.serializers import (
    LoginInput,
    MeOutput,
    PasswordChangeInput,
    RefreshInput,
    SkillCertificateOutput,
    TokensOutput,
    UnitOutput,
    WorkerOutput,
)
from members.models import ApiToken, Unit, Worker
from members.services import account_password_change
from members.skills import SkillCertificate

TAG = ["账号 auth"]


class LoginView(APIView):
    authentication_classes = []  # a stale token in the header must not stop a fresh login
    permission_classes = [AllowAny]

    def get_throttles(self):
        throttles = super().get_throttles()
        employee_no = login_employee_no(self.request)
        # A device the account has logged in on before is slowed neither by others' guesses at the
        # account nor by those from its address (members/lockout.py counts the device's own guesses).
        if employee_no is not None and lockout.known_device(self.request, employee_no):
            return throttles
        return [*throttles, LoginAccountThrottle(), LoginAddressThrottle()]

    @extend_schema(
        tags=TAG, operation_id="auth_login", request=LoginInput,
        responses={200: TokensOutput, **error_responses(400)},
        summary="登录（工号或用户名 + 密码）",
        description="employee_no 填职工的工号，或录入员、审核员等的用户名。"
                    "返回 access / refresh 令牌。密码错误次数过多时按账号和按IP地址限流（429）。"
                    "错误的工号与错误的密码返回同一个错误码 invalid_credentials。"
                    "同一工号或同一地址失败过多时暂时锁定，返回 429、错误码 login_locked（密码不再核对）；"
                    "在以前登录成功过的设备上（响应设置的 portal_device Cookie）不受他人造成的锁定影响。",
    )
    def post(self, request):
        data = LoginInput(data=request.data)
        data.is_valid(raise_exception=True)
        user = lockout.authenticate(request, username=data.validated_data["employee_no"],
                                    password=data.validated_data["password"])
        if user is None:
            for throttle in self.get_throttles():
                if hasattr(throttle, "record_failure"):
                    throttle.record_failure(request, self)
            if getattr(request, "axes_locked_out", False):
                raise ApiError(lockout.locked_message(request), "login_locked", status.HTTP_429_TOO_MANY_REQUESTS)
            raise ApiError(_("工号/用户名或密码不正确。"), "invalid_credentials", status.HTTP_400_BAD_REQUEST)
        response = Response(TokensOutput(tokens_issue(user=user)).data)
        lockout.logged_in(request, response, user.get_username())
        return response


class RefreshView(APIView):
    authentication_classes = []
    permission_classes = [AllowAny]

    @extend_schema(tags=TAG, operation_id="auth_refresh", request=RefreshInput,
                   responses={200: TokensOutput, **error_responses(400)},
                   summary="刷新令牌", description="用 refresh 令牌换一对新令牌；旧的 access 与 refresh 立即作废。")
    def post(self, request):
        data = RefreshInput(data=request.data)
        data.is_valid(raise_exception=True)
        issued = tokens_refresh(refresh=data.validated_data["refresh"])
        if issued is None:
            raise ApiError(_("刷新令牌无效或已过期，请重新登录。"), "invalid_refresh_token",
                           status.HTTP_401_UNAUTHORIZED)
        return Response(TokensOutput(issued).data)


class LogoutView(APIView):
    authentication_classes = [BearerTokenAuthentication]
    permission_classes = [IsAuthenticated]
    password_change_allowed = True  # a temporary password must not trap a phone in its login

    @extend_schema(tags=TAG, operation_id="auth_logout", request=None,
                   responses={204: OpenApiResponse(description="已注销"), **error_responses()},
                   summary="注销", description="使当前登录的 access 与 refresh 令牌立即失效。")
    def post(self, request):
        if isinstance(request.auth, ApiToken):
            tokens_revoke(token=request.auth)
        return Response(status=status.HTTP_204_NO_CONTENT)


class PasswordChangeView(APIView):
    """No Idempotency-Key, like login and refresh: the stored answer would keep live tokens in the
    database. A phone that lost the answer logs in with the new password."""

    permission_classes = [IsAuthenticated]
    password_change_allowed = True  # the way out of "must change password"

    @extend_schema(
        tags=TAG, operation_id="auth_password_change", request=PasswordChangeInput,
        responses={200: TokensOutput, **error_responses(400)},
        summary="修改密码",
        description="用当前密码（含录入员重置的临时密码）设置新密码；须先改密码的账号（错误码 "
                    "password_change_required）只能调用本接口、注销和刷新。修改后该账号所有的 access / refresh "
                    "令牌（各设备上的登录）立即失效，响应返回本设备的一对新令牌。当前密码错误返回 "
                    "invalid_credentials，并与登录失败一样计入锁定次数；锁定期间返回 429、错误码 login_locked。"
                    "新密码不能与当前密码相同。",
    )
    def post(self, request):
        data = PasswordChangeInput(data=request.data)
        data.is_valid(raise_exception=True)
        user = request.user
        # Through lockout.authenticate(), so wrong guesses count toward the same lockout as failed logins: a
        # stolen phone's token must not become a way to guess the password.
        if lockout.authenticate(request, username=user.get_username(),
                                password=data.validated_data["old_password"]) is None:
            if getattr(request, "axes_locked_out", False):  # as the login says it: the password was not checked
                raise ApiError(lockout.locked_message(request), "login_locked", status.HTTP_429_TOO_MANY_REQUESTS)
            raise ApiError(_("当前密码不正确。"), "invalid_credentials", status.HTTP_400_BAD_REQUEST)
        try:
            account_password_change(user=user, password=data.validated_data["new_password"])
        except DjangoValidationError as error:
            raise serializers.ValidationError({"new_password": error.messages}) from None
        return Response(TokensOutput(tokens_issue(user=user)).data)


class MeView(APIView):
    @extend_schema(tags=["我的 me"], operation_id="me", responses={200: MeOutput, **error_responses()},
                   summary="我的资料", description="账号、角色与职工档案（身份证号、手机号脱敏）。")
    def get(self, request):
        user = request.user
        # Four queries in all: the token (authentication), the worker with its unit and job type,
        # the clerk's and the union officer's units (one query), the reviewer's systems.
        worker = (Worker.objects.select_related("unit", "job_type__business_system")
                  .filter(user_id=user.pk).first())
        units = list(Unit.objects.filter(clerks=user).annotate(role=Value("clerk", CharField()))
                     .union(Unit.objects.filter(union_officers=user).annotate(role=Value("union", CharField())),
                            all=True))
        clerk_units = [u for u in units if u.role == "clerk"]
        union_units = [u for u in units if u.role == "union"]
        systems = list(user.reviewer_systems.all())
        roles = [r for r, held in (("worker", worker is not None), ("clerk", bool(clerk_units)),
                                   ("reviewer", bool(systems)), ("staff", user.is_staff),
                                   ("union", bool(union_units))) if held]
        body = {"id": user.pk, "username": user.username, "roles": roles, "worker": worker,
                "clerk_units": clerk_units, "reviewer_systems": systems, "union_units": union_units}
        return Response(MeOutput(body).data)


# -- workers and units in the caller's scope -------------------------------------------------------
# A clerk's app looks up a worker it has never seen (by the start of the 工号 or the name) before
# entering their work. Every list and lookup starts from ``visible_to``: a worker sees only themself,
# a clerk the workers of their units (subunits included), a reviewer those of their business systems,
# staff everyone; anyone else's worker or unit is a 404, as a missing one is.

PEOPLE = ["单位与职工 units & workers"]


class WorkerPagination(KeysetPagination):
    ordering = "employee_no"  # unique: a pure cursor position, and the order a clerk's list reads in
    position_by_id = True  # the cursor carries the worker's id, never their 工号 (config.cursors)


class UnitPagination(KeysetPagination):
    ordering = "path"  # unique (unit codes are): the tree in reading order, each unit under its parent


class WorkerQuerysetMixin:
    def get_queryset(self):
        return Worker.objects.visible_to(self.request.user).select_related("unit", "job_type__business_system")


@extend_schema_view(get=extend_schema(
    tags=PEOPLE, operation_id="workers_list", summary="职工查找",
    description="您可见的职工：职工只有本人，录入员为所负责单位（含下级单位）的职工，审核员为所负责业务系统的职工，"
                "工会干部为全部。按工号排序，游标分页；可按工号开头、姓名开头、单位、工种查找。"
                "enterable=true 只列出可以为其录入的职工。身份证号与手机号脱敏。",
    responses={200: WorkerOutput(many=True), **error_responses(400)}))
class WorkerList(WorkerQuerysetMixin, generics.ListAPIView):
    serializer_class = WorkerOutput
    filterset_class = filters.WorkerFilter
    pagination_class = WorkerPagination


@extend_schema_view(get=extend_schema(tags=PEOPLE, operation_id="workers_retrieve", summary="职工详情",
                                      description="不在您可见范围内的职工返回 404。身份证号与手机号脱敏。",
                                      responses={200: WorkerOutput, **error_responses(404)}))
class WorkerDetail(WorkerQuerysetMixin, generics.RetrieveAPIView):
    serializer_class = WorkerOutput


class UnitQuerysetMixin:
    def get_queryset(self):
        return Unit.objects.visible_to(self.request.user)


@extend_schema_view(get=extend_schema(
    tags=PEOPLE, operation_id="units_list", summary="单位查找",
    description="您可见的单位：录入员为所负责单位及其下级单位，审核员为有其业务系统职工的单位，职工为本人所在单位，"
                "工会干部为全部。按单位路径排序（上级在前），游标分页；可按编码开头、名称开头、上级单位、层级查找。",
    responses={200: UnitOutput(many=True), **error_responses(400)}))
class UnitList(UnitQuerysetMixin, generics.ListAPIView):
    serializer_class = UnitOutput
    filterset_class = filters.UnitFilter
    pagination_class = UnitPagination


@extend_schema_view(get=extend_schema(tags=PEOPLE, operation_id="units_retrieve", summary="单位详情",
                                      description="不在您可见范围内的单位返回 404。",
                                      responses={200: UnitOutput, **error_responses(404)}))
class UnitDetail(UnitQuerysetMixin, generics.RetrieveAPIView):
    serializer_class = UnitOutput


# -- skill grades -----------------------------------------------------------------------------------

@extend_schema_view(get=extend_schema(
    tags=PEOPLE, operation_id="skill_certificates_list", summary="技能等级证书（新八级工）",
    description="您可见的技能等级证书：职工为本人的，录入员和基层工会干部为所负责单位职工的，工会干部为全部；"
                "最新录入在前，游标分页。可按职工（worker，职工 id）筛选。职工的当前技能等级（/me/ 的 "
                "worker.skill_grade）为评定日期最近的证书的等级。",
    responses={200: SkillCertificateOutput(many=True), **error_responses(400)}))
class SkillCertificateList(generics.ListAPIView):
    serializer_class = SkillCertificateOutput
    filterset_class = filters.SkillCertificateFilter
    pagination_class = KeysetPagination

    def get_queryset(self):
        return SkillCertificate.objects.visible_to(self.request.user).select_related("worker", "job_type")
