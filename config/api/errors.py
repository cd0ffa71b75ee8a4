"""One error format for every failure of /api/v1/ (the public contract; codes never change meaning).

    {"error": {"code": "entry_rejected", "message": "中文说明", "details": ...}}

``details`` is ``{field: [{"code", "message"}]}`` for a malformed request body or query, a list of
``{row, field, message, code}`` for entries the checks refused, or absent.
"""

from __future__ import annotations

import logging
from functools import wraps

from django.core.exceptions import ObjectDoesNotExist, RequestDataTooBig, SuspiciousOperation
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, JsonResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import defaults
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.utils import OpenApiResponse
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response
from rest_framework.views import set_rollback

from config.cursors import InvalidCursor
from reviews.validation import EntryRejected
from reviews.workflow import TransitionRefused

log = logging.getLogger(__name__)


class ApiError(exceptions.APIException):
    """An error with a stable code, raised by views for conditions that are not a field's fault."""

    def __init__(self, message, code: str, status_code: int = status.HTTP_400_BAD_REQUEST, details=None):
        self.status_code = status_code
        self.code = code
        self.details = details
        super().__init__(detail=message, code=code)


# Refusals of the review workflow that are the request's fault (fix the input) rather than a
# conflict with the current state of the data (refresh and retry).
TRANSITION_BAD_REQUEST = {"reason_required", "reason_too_long", "month_outside_competition",
                          # award rounds (competitions.honours.services)
                          "not_taking_part", "wrong_kind", "invalid_days", "invalid_quotas",
                          # union membership (members.membership)
                          "date_in_future", "date_missing", "date_before_joining", "event_kind_invalid",
                          "to_unit_missing", "to_unit_same", "card_number_invalid"}

_STATUS_CODES = {
    exceptions.ParseError: ("malformed_json", gettext_lazy("请求内容不是有效的 JSON。")),
    exceptions.NotAuthenticated: ("not_authenticated", gettext_lazy("请先登录。")),
    exceptions.AuthenticationFailed: ("authentication_failed", gettext_lazy("登录已失效，请重新登录。")),
    exceptions.PermissionDenied: ("permission_denied", gettext_lazy("您没有执行该操作的权限。")),
    exceptions.NotFound: ("not_found", gettext_lazy("找不到该对象。")),
    exceptions.MethodNotAllowed: ("method_not_allowed", gettext_lazy("不支持该请求方法。")),
    exceptions.NotAcceptable: ("not_acceptable", gettext_lazy("无法提供请求的响应格式。")),
    exceptions.UnsupportedMediaType: ("unsupported_media_type", gettext_lazy("不支持的请求内容类型，请使用 JSON。")),
    exceptions.Throttled: ("throttled", gettext_lazy("请求过于频繁，请稍后再试。")),
}


def error_body(code: str, message, details=None) -> dict:
    body = {"code": code, "message": str(message)}
    if details is not None:
        body["details"] = details
    return {"error": body}


# DRF's messages written without gettext: no catalog translates them, so they are worded here.
_UNTRANSLATED = {"No data provided": gettext_lazy("请求内容为空（null），应为 JSON 对象。")}


def _message(error) -> str:
    return str(_UNTRANSLATED.get(str(error), error))


def _field_details(detail) -> dict:
    """DRF's nested ErrorDetail structure → {field: [{code, message}]}, nested names joined by dots."""
    out: dict[str, list] = {}

    def walk(prefix, value):
        if isinstance(value, dict):
            for key, inner in value.items():
                # A nested list's own error ("too many rows") belongs to the list's field name.
                if key in ("non_field_errors", "__all__") and prefix:
                    walk(prefix, inner)
                else:
                    walk(f"{prefix}.{key}" if prefix else str(key), inner)
        elif isinstance(value, list):
            if value and all(isinstance(v, str) for v in value):
                out.setdefault(prefix or "non_field_errors", []).extend(
                    {"code": getattr(v, "code", "invalid") or "invalid", "message": _message(v)} for v in value)
            else:
                for index, inner in enumerate(value):
                    walk(f"{prefix}.{index}" if prefix else str(index), inner)
        elif value is not None:
            out.setdefault(prefix or "non_field_errors", []).append(
                {"code": getattr(value, "code", "invalid") or "invalid", "message": _message(value)})

    walk("", detail)
    return out


def _validation_code(details: dict) -> str:
    codes = {item["code"] for items in details.values() for item in items}
    for special in ("unknown_field", "invalid_cursor"):
        if special in codes:
            return special
    return "validation_error"


def exception_handler(exc, context):
    """REST_FRAMEWORK["EXCEPTION_HANDLER"]: every failure of a view becomes the one error format."""
    response = _handle(exc)
    if response is None:
        return None  # a bug: let Django log it and answer 500
    set_rollback()
    return response


def _handle(exc):
    if isinstance(exc, EntryRejected):
        rows = [{"row": e.row, "field": e.field, "message": str(e.message), "code": e.code} for e in exc.errors]
        code = exc.errors[0].code if len(exc.errors) == 1 else "entry_rejected"
        message = exc.errors[0].message if len(exc.errors) == 1 else _("有 %(n)s 行未通过检查，均未保存。") % {
            "n": len(exc.errors)}
        return Response(error_body(code, message, rows), status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, TransitionRefused):
        http = status.HTTP_400_BAD_REQUEST if exc.code in TRANSITION_BAD_REQUEST else status.HTTP_409_CONFLICT
        return Response(error_body(exc.code, exc.message), status=http)
    if isinstance(exc, InvalidCursor):
        exc = ApiError(gettext_lazy("分页游标无效，请从第一页重新开始。"), "invalid_cursor")
    elif isinstance(exc, SuspiciousOperation):
        exc = _suspicious(exc)
    if isinstance(exc, Http404 | ObjectDoesNotExist):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    if not isinstance(exc, exceptions.APIException):
        return None

    headers = {}
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header
    if getattr(exc, "wait", None):
        headers["Retry-After"] = str(int(exc.wait))

    if isinstance(exc, ApiError):
        body = error_body(exc.code, exc.detail, exc.details)
    elif isinstance(exc, exceptions.ValidationError):
        details = _field_details(exc.detail)
        code = _validation_code(details)
        messages = {"unknown_field": _("请求中有未定义的字段。"), "invalid_cursor": _("分页游标无效。")}
        body = error_body(code, messages.get(code, _("请求参数有误，请检查后重试。")), details)
    else:
        code, message = next(((c, m) for cls, (c, m) in _STATUS_CODES.items() if isinstance(exc, cls)),
                             (getattr(exc, "default_code", "error"), exc.detail))
        details = None
        if isinstance(exc, exceptions.Throttled):
            details = {"retry_after": int(exc.wait) if exc.wait is not None else None}
        elif isinstance(exc, exceptions.PermissionDenied | exceptions.NotFound) and _is_custom(exc):
            message = exc.detail
        body = error_body(code, message, details)
    return Response(body, status=exc.status_code, headers=headers)


def _is_custom(exc) -> bool:
    return str(exc.detail) not in (str(type(exc).default_detail),)


def _suspicious(exc: SuspiciousOperation) -> ApiError:
    if isinstance(exc, RequestDataTooBig):
        return ApiError(_("请求内容过大。"), "request_too_large", status.HTTP_413_REQUEST_ENTITY_TOO_LARGE)
    return ApiError(_("请求有误。"), "bad_request")


# -- plain Django views under /api/v1/ (no DRF view matched) -------------------------------------

@csrf_exempt  # it changes nothing; a POST to a wrong URL is a 404 in the error format, not a CSRF page
def not_found_view(request, *args, **kwargs):
    return JsonResponse(error_body("not_found", _("接口不存在。")), status=404)


def read_only_page(view):
    """A page of the API's documentation (the schema, Swagger UI, Redoc) for GET and HEAD; any other method
    is the API's 405 in its error format. Their renderers are HTML or YAML: OPTIONS, answered with DRF's
    metadata that no template renders, was a 500, and POST or PUT a plain-text "405 Method Not Allowed"."""
    code, message = _STATUS_CODES[exceptions.MethodNotAllowed]

    @wraps(view)
    def page(request, *args, **kwargs):
        if request.method not in ("GET", "HEAD"):
            return JsonResponse(error_body(code, message), status=405, headers={"Allow": "GET, HEAD"})
        return view(request, *args, **kwargs)

    return page


# -- Django's error views (config/urls.py handler400/403/404/500) ---------------------------------
# They answer what no view did: a path no pattern matches (%0A in it), a request refused before any
# view ran, an exception no view caught. Under /api/ in the API's error format, elsewhere the portal's
# pages (templates/400.html ... 500.html).

def _is_api(request) -> bool:
    return request.path_info.startswith("/api/")


def bad_request(request, exception):
    if not _is_api(request):
        return defaults.bad_request(request, exception)
    error = _suspicious(exception) if isinstance(exception, SuspiciousOperation) else ApiError(
        _("请求有误。"), "bad_request")
    return JsonResponse(error_body(error.code, error.detail), status=error.status_code)


def permission_denied(request, exception):
    if not _is_api(request):
        return defaults.permission_denied(request, exception)
    return JsonResponse(error_body("permission_denied", _("您没有执行该操作的权限。")), status=403)


def page_not_found(request, exception):
    if not _is_api(request):
        return defaults.page_not_found(request, exception)
    return not_found_view(request)


def server_error(request):
    # Nothing here may need the database or the user: it may be what failed.
    if not _is_api(request):
        return defaults.server_error(request)
    return JsonResponse(error_body("server_error", _("服务器内部错误，请稍后再试。")), status=500)


# -- documentation ----------------------------------------------------------------------------------

class FieldErrorSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="稳定的错误码，例如 required、invalid、unknown_field、max_value")
    message = serializers.CharField(help_text="中文说明")


class RowErrorSerializer(serializers.Serializer):
    row = serializers.IntegerField(help_text="行号（从1开始；单条录入为1，0表示整批）")
    field = serializers.CharField(help_text="出错的字段：worker、rule、work_date、quantity、note、entry")
    message = serializers.CharField(help_text="中文说明")
    code = serializers.CharField(help_text="稳定的错误码，例如 worker_not_enterable、month_locked、duplicate_entry、"
                                           "month_not_open（该月尚未建立录入存储）")


class ErrorBodySerializer(serializers.Serializer):
    code = serializers.CharField(help_text=(
        "稳定的机器可读错误码。常见：validation_error、unknown_field、invalid_cursor、malformed_json、"
        "request_timeout（503，请稍后再试）、not_authenticated、authentication_failed、permission_denied、not_found、throttled、"
        "idempotency_conflict、idempotency_key_reused、invalid_credentials、password_change_required、"
        "request_too_large、bad_request、server_error；录入被拒时为该行的错误码"
        "（多行时为 entry_rejected）；审核流程拒绝时为其错误码（如 stale_status、self_review、pending_left）。"))
    message = serializers.CharField(help_text="给用户看的中文说明")
    details = serializers.JSONField(required=False, help_text=(
        "校验错误时为 {字段: [{code, message}]}；录入被拒时为 [{row, field, message, code}]；"
        "限流时为 {retry_after: 秒}"))


class ErrorSerializer(serializers.Serializer):
    error = ErrorBodySerializer()


_ERROR_TEXT = {
    400: "请求有误（校验错误、未知字段、JSON 格式错误、无效游标、录入未通过检查）",
    401: "未登录或令牌已失效",
    403: "已登录但无此权限（角色不符）；密码由他人设置、须先修改时为 password_change_required"
         "（只能调用 /auth/password/、/auth/logout/ 与 /auth/refresh/）",
    404: "对象不存在或不在您的可见范围内（不区分二者，避免泄露）",
    409: "与当前状态冲突：同一幂等键的请求正在处理（idempotency_conflict）、状态已被他人改变等",
    413: "请求内容过大（request_too_large），未作处理",
    429: "请求过于频繁",
}


def error_responses(*codes: int) -> dict:
    """The error responses an endpoint documents; 401, 403 (password_change_required) and 429 apply to
    every endpoint."""
    wanted = sorted({*codes, 401, 403, 429})
    return {code: OpenApiResponse(ErrorSerializer, description=_ERROR_TEXT[code]) for code in wanted}


def body_error_responses() -> dict:
    """The error responses of every endpoint that takes a request body, added by the schema generator
    (config.api.schema.AutoSchema) so that no view has to remember them: a body over
    DATA_UPLOAD_MAX_MEMORY_SIZE is refused before anything is done (413 request_too_large)."""
    return {413: OpenApiResponse(ErrorSerializer, description=_ERROR_TEXT[413])}
