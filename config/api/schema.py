"""OpenAPI post-processing: state in the schema what the API enforces."""


def forbid_unknown_request_fields(result, generator, request, public):
    """Request bodies refuse fields they do not define (400 unknown_field): say so with
    ``additionalProperties: false`` so that client generators and fuzzers know it too."""
    for name, component in result.get("components", {}).get("schemas", {}).items():
        if name.endswith("Request") and component.get("type") == "object":
            component["additionalProperties"] = False
    return result
