"""The API's JSON parser: the body's size and depth are bounded before a view sees it."""

from __future__ import annotations

import io

from django.http.request import RawPostDataException
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.parsers import JSONParser

# No request of the API nests deeper than a few levels (a batch: object, rows, row, value).
MAX_DEPTH = 32


class BoundedJSONParser(JSONParser):
    """DRF's JSON parser, except that

    - the body is read through Django's ``request.body``, so DATA_UPLOAD_MAX_MEMORY_SIZE applies to
      JSON as it does to forms (DRF reads the raw stream, which has no limit); a larger body raises
      RequestDataTooBig, answered 413 in the error format;
    - nesting deeper than the interpreter's recursion limit is a 400 ``malformed_json``, not a
      RecursionError (500), and nesting deeper than MAX_DEPTH is refused the same way, so no later
      step (validation, error details, rendering) walks an absurd structure."""

    def parse(self, stream, media_type=None, parser_context=None):
        request = (parser_context or {}).get("request")
        if request is not None:
            try:
                stream = io.BytesIO(request._request.body)
            except RawPostDataException:
                pass  # already read as a stream by someone else: parse what is left, as DRF does
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise exceptions.ParseError(_("请求内容嵌套过深。")) from None
        if _deeper_than(data, MAX_DEPTH):
            raise exceptions.ParseError(_("请求内容嵌套过深。"))
        return data


def _deeper_than(data, limit: int) -> bool:
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            value = value.values()
        elif not isinstance(value, list):
            continue
        if depth > limit:
            return True
        stack.extend((inner, depth + 1) for inner in value if isinstance(inner, dict | list))
    return False
