"""Base classes for the API's input serializers."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

MAX_ID = 2**63 - 1  # bigint: a larger id is no row, not a database error


class StrictInputSerializer(serializers.Serializer):
    """Refuses fields it does not define (a typo must not be silently ignored: the client would
    believe a value was saved). Input serializers only validate; views call the services."""

    def to_internal_value(self, data):
        if isinstance(data, dict):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError(
                    {name: [serializers.ErrorDetail(_("未知字段。"), code="unknown_field")] for name in unknown})
            # DRF's CharField takes a number and stores its text; the schema says "string", and a client
            # sending 3 where a reason belongs has a bug it should hear about.
            not_text = sorted(name for name, field in self.fields.items()
                              if isinstance(field, serializers.CharField) and not field.read_only
                              and data.get(name) is not None and not isinstance(data[name], str))
            if not_text:
                raise serializers.ValidationError(
                    {name: [serializers.ErrorDetail(_("请输入文字。"), code="invalid")] for name in not_text})
        return super().to_internal_value(data)


def id_field(**kwargs) -> serializers.IntegerField:
    kwargs.setdefault("min_value", 1)
    kwargs.setdefault("max_value", MAX_ID)
    return serializers.IntegerField(**kwargs)


class JsonBooleanField(serializers.BooleanField):
    """JSON ``true`` or ``false`` only: DRF's BooleanField also takes 0, 1, "yes" and "on", which the schema's
    ``boolean`` does not allow (a client sending 0 has a bug it should hear about)."""

    default_error_messages = {"invalid": _("应为 true 或 false。")}

    def to_internal_value(self, data):
        if isinstance(data, bool):
            return data
        self.fail("invalid")
