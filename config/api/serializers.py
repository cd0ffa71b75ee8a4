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
        return super().to_internal_value(data)


def id_field(**kwargs) -> serializers.IntegerField:
    kwargs.setdefault("min_value", 1)
    kwargs.setdefault("max_value", MAX_ID)
    return serializers.IntegerField(**kwargs)
