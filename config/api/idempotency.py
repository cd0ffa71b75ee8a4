"""``Idempotency-Key`` on POSTs: a phone on a flaky network may send the same write twice.

The key is claimed by inserting its row *before* the request runs, in its own committed statement,
so the unique constraint (user, key) decides which of two simultaneous requests runs: the other one
finds a row without an answer and gets 409 ``idempotency_conflict``. When the first finishes, its
status and body are stored; every retry with the same key gets exactly that answer back, and the
write is never made twice.
"""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter
from rest_framework import status
from rest_framework.response import Response

from config.api.errors import ApiError
from members.models import IdempotencyKey

HEADER = "Idempotency-Key"

KEY_MAX_LENGTH = 64

IDEMPOTENCY_PARAMETER = OpenApiParameter(
    # What initial() accepts: visible ASCII, spaces only inside (a header's outer spaces are not its value).
    name=HEADER, location=OpenApiParameter.HEADER, required=False,
    type={"type": "string", "minLength": 1, "maxLength": KEY_MAX_LENGTH,
          "pattern": f"^[!-~](?:[ -~]{{0,{KEY_MAX_LENGTH - 2}}}[!-~])?$"},
    description=(
        "幂等键（1-64个可见ASCII字符，建议用UUID）。网络不稳定时用同一个键重试：返回第一次请求的结果，"
        "不会重复创建。同一个键的第一次请求尚未完成时再次提交，返回 409 idempotency_conflict；"
        "同一个键用于不同的请求内容，返回 400 idempotency_key_reused。"
    ),
)


def storable(data):
    """The response body as PostgreSQL's jsonb accepts it. An error may echo the request's own text
    (an unknown field's name), which can hold NUL or a lone surrogate that jsonb refuses; those are
    replaced, so storing the answer of a garbage request never turns it into a 500."""
    text = json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False).replace("\\u0000", "\\ufffd")
    return json.loads(text.encode("utf-8", "replace").decode("utf-8"))


class _Replay(Exception):  # noqa: N818
    def __init__(self, record: IdempotencyKey):
        self.record = record


def _stale_after() -> timedelta:
    # A claim with no answer after this long belongs to a request that died (worker killed mid-way):
    # a retry may take it over rather than getting 409 forever.
    return timedelta(seconds=getattr(settings, "API_IDEMPOTENCY_STALE_SECONDS", 120))


class IdempotentPostMixin:
    """For APIViews whose POST writes. Runs after authentication, permissions and throttling."""

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        self._idempotency_record = None
        if request.method != "POST" or not request.user.is_authenticated:
            return
        key = request.headers.get(HEADER)
        if key is None:
            return
        key = key.strip()
        if not (1 <= len(key) <= KEY_MAX_LENGTH and key.isascii() and key.isprintable()):
            raise ApiError(_("Idempotency-Key 应为1-64个可见ASCII字符。"), "invalid_idempotency_key")
        fingerprint = hashlib.sha256(f"{request.method} {request.path}\n".encode() + request.body).hexdigest()
        try:
            with transaction.atomic():
                self._idempotency_record = IdempotencyKey.objects.create(user=request.user, key=key,
                                                                         fingerprint=fingerprint)
                return
        except IntegrityError:
            pass
        record = IdempotencyKey.objects.filter(user=request.user, key=key).first()
        if record is None or (record.fingerprint == fingerprint and record.status_code is None):
            if record is not None and self._take_over_stale(record):
                self._idempotency_record = record
                return
            raise ApiError(_("相同幂等键的请求正在处理中，请稍后用同一个键重试。"), "idempotency_conflict",
                           status.HTTP_409_CONFLICT)
        if record.fingerprint != fingerprint:
            raise ApiError(_("该幂等键已用于另一个不同的请求。"), "idempotency_key_reused")
        raise _Replay(record)

    @staticmethod
    def _take_over_stale(record) -> bool:
        now = timezone.now()
        return bool(IdempotencyKey.objects.filter(pk=record.pk, status_code__isnull=True,
                                                  created_at__lt=now - _stale_after()).update(created_at=now))

    def handle_exception(self, exc):
        if isinstance(exc, _Replay):
            return Response(exc.record.response_body, status=exc.record.status_code,
                            headers={"Idempotent-Replayed": "true"})
        try:
            return super().handle_exception(exc)
        except Exception:
            # An unexpected error (a 500): nothing was kept, so free the key for a retry.
            record = getattr(self, "_idempotency_record", None)
            if record is not None:
                self._idempotency_record = None
                IdempotencyKey.objects.filter(pk=record.pk).delete()
            raise

    def finalize_response(self, request, response, *args, **kwargs):
        record = getattr(self, "_idempotency_record", None)
        if record is not None:
            self._idempotency_record = None
            if response.status_code >= 500:
                # Nothing was written (the service's transaction rolled back): let a retry run again.
                IdempotencyKey.objects.filter(pk=record.pk).delete()
            else:
                IdempotencyKey.objects.filter(pk=record.pk).update(status_code=response.status_code,
                                                                   response_body=storable(response.data))
        return super().finalize_response(request, response, *args, **kwargs)
