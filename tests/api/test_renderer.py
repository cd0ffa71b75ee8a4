"""The JSON renderer writes with orjson exactly what DRF's JSONRenderer writes."""

import datetime
import decimal
import uuid

from django.db import models
from django.utils.translation import gettext_lazy
from rest_framework.exceptions import ErrorDetail

from config.api.renderers import SafeJSONRenderer


class Kind(models.TextChoices):
    A = "a", "A"


class Grade(models.IntegerChoices):
    X = 3, "x"


VALUES = [
    "\x00\x01\x08\t\n\x0b\x0c\r\x1b\x1f\x7f\"\\/ \u2028\u2029é中文😀",
    "lone \ud800 surrogate", 2**64, 2**63, -(2**63) - 1, -(2**63), 0, 1.5, 0.1, 1e16, True, False, None,
    decimal.Decimal("1.230"), uuid.UUID(int=5),
    datetime.datetime(2026, 1, 2, 3, 4, 5, 123456, tzinfo=datetime.UTC), datetime.datetime(2026, 1, 2, 3, 4, 5),
    datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=datetime.timezone(datetime.timedelta(hours=8))),
    datetime.date(2026, 1, 2), datetime.time(1, 2, 3, 4), datetime.timedelta(seconds=5),
    gettext_lazy("请先登录。"), ErrorDetail("说明", code="invalid"), Kind.A, Grade.X,
    {1: 2}, {"a": [1, (2, 3)], "b": {}}, [], b"bytes",
]


def test_orjson_output_is_byte_identical_to_drfs():
    renderer = SafeJSONRenderer()
    for value in [*VALUES, VALUES, {"k": VALUES}]:
        assert renderer.render(value) == renderer.render_drf(value), value
    assert renderer.render(None) == b""
    # pretty-printing on request still works (DRF's path)
    assert renderer.render({"a": 1}, "application/json; indent=2") == b'{\n  "a": 1\n}'


def test_the_negotiation_shortcut_picks_what_drf_picks():
    from rest_framework.negotiation import DefaultContentNegotiation
    from rest_framework.renderers import BrowsableAPIRenderer
    from rest_framework.test import APIRequestFactory
    from rest_framework.views import APIView

    from config.api.negotiation import ApiContentNegotiation

    renderers = [SafeJSONRenderer(), BrowsableAPIRenderer()]
    for accept in [None, "*/*", "application/json", "text/html", "application/json; indent=4", "text/plain", ""]:
        for query in ["", "format=api", "format=json"]:
            headers = {} if accept is None else {"HTTP_ACCEPT": accept}
            request = APIView().initialize_request(APIRequestFactory().get(f"/x/?{query}", **headers))
            try:
                expected = DefaultContentNegotiation().select_renderer(request, renderers)
            except Exception as exc:  # noqa: BLE001 - the same refusal is expected
                expected = type(exc)
            try:
                mine = ApiContentNegotiation().select_renderer(request, renderers)
            except Exception as exc:  # noqa: BLE001
                mine = type(exc)
            assert mine == expected, (accept, query)
