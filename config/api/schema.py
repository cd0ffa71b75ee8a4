"""OpenAPI generation and post-processing: state in the schema what the API enforces."""

from __future__ import annotations

from django import forms
from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers


class AutoSchema(SpectacularAutoSchema):
    """drf-spectacular's AutoSchema, with list filters described as the API applies them."""

    def _get_filter_parameters(self):
        parameters = super()._get_filter_parameters()
        filterset_class = getattr(self.view, "filterset_class", None)
        filters = filterset_class.base_filters if filterset_class is not None else {}
        for parameter in parameters:
            field = filters.get(parameter["name"])
            if field is not None:
                _describe_filter(parameter, field)
        return parameters


    def _process_override_parameters(self, direction="request"):
        # Query parameters a view parses with a serializer (config.api.query): DRF reads an empty value
        # of an optional field as an omitted one (``?day=`` is the latest day), so the schema says so.
        result = super()._process_override_parameters(direction)
        for parameter in self.get_override_parameters():
            if isinstance(parameter, type) and issubclass(parameter, serializers.Serializer):
                for name, field in parameter().fields.items():
                    described = result.get((name, OpenApiParameter.QUERY))
                    if described is not None and not field.required:
                        described["allowEmptyValue"] = True
        return result


def _describe_filter(parameter: dict, field) -> None:
    """Bounds from the filter's form field (an id: 1 to 2**63-1; a prefix: its longest), and the empty
    value, which django-filter reads as "no filter" (``?unit=`` lists everything, as no ``unit`` does)."""
    schema = parameter["schema"]
    if issubclass(field.field_class, forms.IntegerField) and schema.get("type") == "number":
        schema["type"] = "integer"
    for option, keyword in (("min_value", "minimum"), ("max_value", "maximum"), ("max_length", "maxLength")):
        if field.extra.get(option) is not None:
            schema[keyword] = field.extra[option]
    parameter["allowEmptyValue"] = True


def forbid_unknown_request_fields(result, generator, request, public):
    """Request bodies refuse fields they do not define (400 unknown_field): say so with
    ``additionalProperties: false`` so that client generators and fuzzers know it too."""
    for name, component in result.get("components", {}).get("schemas", {}).items():
        if name.endswith("Request") and component.get("type") == "object":
            component["additionalProperties"] = False
    return result
