"""Keyset (cursor) paging for every list that grows: no OFFSET, no COUNT(*), same cost on page 1 and 10,000."""

from __future__ import annotations

from django.db.models import Subquery
from django.utils.translation import gettext_lazy as _
from rest_framework import status
from rest_framework.pagination import Cursor, CursorPagination
from rest_framework.utils.urls import replace_query_param

from config import cursors
from config.api.errors import ApiError


class KeysetPagination(CursorPagination):
    """Ordered by a unique key (``-id`` unless a view says otherwise), so the cursor is a pure
    position and never needs DRF's offset fallback for ties."""

    ordering = "-id"
    # A list ordered by a unique key a cursor must not carry (an employee number) sets this: its cursors
    # carry the id of the row a page ends at, and the page's query reads that row's key server-side
    # (``employee_no > (SELECT employee_no … WHERE id = %s)``), still one query per page by the key's index.
    position_by_id = False
    page_size = 20
    page_size_query_param = "page_size"
    page_size_query_description = "每页条数（1-100，默认20）"
    cursor_query_description = "分页游标：取自上一页响应的 next / previous 链接，不要自行构造"
    max_page_size = 100

    def paginate_queryset(self, queryset, request, view=None):
        # Each list signs its cursors with its own salt: a cursor of one list is refused by another.
        self.cursor_salt = f"api.{type(view).__name__}{'.id' if self.position_by_id else ''}"
        self.row_model = queryset.model
        return super().paginate_queryset(queryset, request, view)

    def decode_cursor(self, request):
        """DRF's (offset, reverse, position) in the project's one cursor format (config.cursors); the
        position is the id of the row a page ends at."""
        text = request.query_params.get(self.cursor_query_param)
        if text is None:
            return None
        offset, reverse, position = cursors.decode(self.cursor_salt, text, int, int, str)  # InvalidCursor: 400
        if not 0 <= offset <= self.offset_cutoff:
            raise cursors.InvalidCursor(text)
        if position and self.position_by_id:
            if not position.isascii() or not position.isdigit() or int(position) >= 2**63:
                raise cursors.InvalidCursor(text)
            position = RowKey(self.row_model, self.ordering[0].lstrip("-"), int(position))
        return Cursor(offset=offset, reverse=bool(reverse), position=position or None)

    def encode_cursor(self, cursor):
        position = cursor.position.pk if isinstance(cursor.position, RowKey) else cursor.position
        text = cursors.encode(self.cursor_salt, cursor.offset, int(cursor.reverse), str(position or ""))
        return replace_query_param(self.base_url, self.cursor_query_param, text)

    def _get_position_from_instance(self, instance, ordering):
        if self.position_by_id:
            return str(instance["id"] if isinstance(instance, dict) else instance.pk)
        return super()._get_position_from_instance(instance, ordering)

    def get_schema_operation_parameters(self, view):
        # The bounds get_page_size and decode_cursor enforce, stated in the schema (an empty value of
        # either is refused with a 400, so neither allows one).
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"].update(minimum=1, maximum=self.max_page_size, default=self.page_size)
            elif parameter["name"] == self.cursor_query_param:
                parameter["schema"].update(minLength=1, maxLength=cursors.MAX_LENGTH)
        return parameters

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


class RowKey(Subquery):
    """The ordering key of the row with id ``pk``, read inside the page's query: what DRF compares the
    ordering field with (``key__gt``/``key__lt``) where a cursor carries the row's id only."""

    def __init__(self, model, key: str, pk: int):
        super().__init__(model._base_manager.filter(pk=pk).values(key)[:1])
        self.pk = pk


class IdAscendingPagination(KeysetPagination):
    """Oldest first: a work queue is worked through from the front."""

    ordering = "id"
