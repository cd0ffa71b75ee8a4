"""Query-string parameters, validated by the endpoint's input serializer, with a fast path for hot endpoints.

A serializer deep-copies its fields on every request, a fifth of a leaderboard request's time. So the
usual query strings are read straight from the serializer's declared fields (dates, positive integers,
choices, plain tokens) without building it; anything else (a missing required value, an empty, odd or
invalid one, a field of another kind) goes to the serializer, which decides and words the errors. Both
ignore unknown parameters, and the last value of a repeated parameter counts. The declaration is the
only description of the parameters: tests/api/test_standings_api.py checks that the two paths agree.
"""

from __future__ import annotations

import re
from datetime import date

from rest_framework import serializers
from rest_framework.fields import empty

_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_POSITIVE_INT = re.compile(r"[1-9][0-9]{0,17}")  # < 2**63
_TOKEN = re.compile(r"[A-Za-z0-9_.-]+")  # no blanks to strip, nothing to normalize


def parse_query(serializer_class: type[serializers.Serializer], params) -> dict:
    """The validated query parameters (a ValidationError, worded by the serializer, if they are not)."""
    fast = _fast(serializer_class, params)
    if fast is not None:
        return fast
    query = serializer_class(data=params)
    query.is_valid(raise_exception=True)
    return query.validated_data


def _fast(serializer_class, params) -> dict | None:
    out = {}
    for name, field in serializer_class._declared_fields.items():
        if name not in params:
            if field.default is not empty:
                out[name] = field.default
            elif field.required:
                return None
            continue
        value = _value(field, params[name])
        if value is None:
            return None
        out[name] = value
    try:
        return serializer_class().validate(out)
    except serializers.ValidationError:
        return None


def _value(field, text: str):
    if isinstance(field, serializers.DateField):
        if _ISO_DATE.fullmatch(text):
            try:
                return date.fromisoformat(text)
            except ValueError:
                pass
    elif isinstance(field, serializers.ChoiceField):
        return text if text in field.choices else None
    elif isinstance(field, serializers.IntegerField):
        if _POSITIVE_INT.fullmatch(text):
            number = int(text)
            if ((field.min_value is None or number >= field.min_value)
                    and (field.max_value is None or number <= field.max_value)):
                return number
    elif isinstance(field, serializers.CharField):
        if _TOKEN.fullmatch(text) and (field.max_length is None or len(text) <= field.max_length):
            return text
    return None
