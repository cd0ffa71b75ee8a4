"""Keyset (cursor) paging for every list that grows: no OFFSET, no COUNT(*), same cost on page 1 and 10,000."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import status
from rest_framework.exceptions import NotFound
from rest_framework.pagination import CursorPagination

from config.api.errors import ApiError


class KeysetPagination(CursorPagination):
    """Ordered by a unique key (``-id`` unless a view says otherwise), so the cursor is a pure
    position and never needs DRF's offset fallback for ties."""

    ordering = "-id"
    page_size = 20
    page_size_query_param = "page_size"
    page_size_query_description = "每页条数（1-100，默认20）"
    cursor_query_description = "分页游标：取自上一页响应的 next / previous 链接，不要自行构造"
    max_page_size = 100

    def decode_cursor(self, request):
        try:
            return super().decode_cursor(request)
        except NotFound:
            raise ApiError(_("分页游标无效，请从第一页重新开始。"), "invalid_cursor",
                           status.HTTP_400_BAD_REQUEST) from None

    def get_page_size(self, request):
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        try:
            size = int(raw)
        except ValueError:
            size = 0
        if not 1 <= size <= self.max_page_size:
            raise ApiError(_("每页条数应为1到100之间的整数。"), "invalid_page_size", status.HTTP_400_BAD_REQUEST)
        return size


class IdAscendingPagination(KeysetPagination):
    """Oldest first: a work queue is worked through from the front."""

    ordering = "id"
