"""OpenAPI generation and post-processing: state in the schema what the API enforces."""

from __future__ import annotations

from django import forms
from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers

from config.api.errors import body_error_responses
from config.api.serializers import MAX_ID


class AutoSchema(SpectacularAutoSchema):
    """drf-spectacular's AutoSchema, with list filters described as the API applies them and the errors
    of a request body documented wherever there is one."""

    def get_operation(self, *args, **kwargs):
        operation = super().get_operation(*args, **kwargs)
        if operation is not None and "requestBody" in operation:
            responses = operation["responses"]
            for code, response in body_error_responses().items():
                responses.setdefault(str(code), self._get_response_for_code(response, str(code)))
            operation["responses"] = dict(sorted(responses.items()))
        return operation

    def _resolve_path_parameters(self, variables):
        # An id in the path (<int:id>) is one of ours or a 404: the schema gives its range, so a client
        # or fuzzer knows 0 and 2**63 are never an object (the API answers them 404 like a missing one).
        parameters = super()._resolve_path_parameters(variables)
        for parameter in parameters:
            if parameter["name"] in ("id", "pk") and parameter["schema"].get("type") == "integer":
                parameter["schema"].update(minimum=1, maximum=MAX_ID)
        return parameters

    def _map_serializer_field(self, field, direction, bypass_extensions=False):
        # drf-spectacular's pattern for a decimal sent as text (``^-?\d{0,9}(?:\.\d{0,3})?$``) also
        # matches "" and "-", which DecimalField refuses: a number needs a digit.
        schema = super()._map_serializer_field(field, direction, bypass_extensions)
        if schema.get("format") == "decimal" and schema.get("pattern", "").startswith("^-?"):
            schema["pattern"] = "^(?=.*\\d)" + schema["pattern"][1:]
        return schema

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
    # A list of choices reads ``?status=`` as the choice "", which it refuses (400).
    if not issubclass(field.field_class, forms.MultipleChoiceField):
        parameter["allowEmptyValue"] = True


def forbid_unknown_request_fields(result, generator, request, public):
    """Request bodies refuse fields they do not define (400 unknown_field): say so with
    ``additionalProperties: false`` so that client generators and fuzzers know it too."""
    for name, component in result.get("components", {}).get("schemas", {}).items():
        if name.endswith("Request") and component.get("type") == "object":
            component["additionalProperties"] = False
    return result
