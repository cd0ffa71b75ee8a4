"""The OpenAPI schema validates with no warnings, documents every operation's errors, and is served."""

import pytest
import yaml
from django.core.management import call_command

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def schema_text(tmp_path_factory):
    path = tmp_path_factory.mktemp("schema") / "openapi.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(path))
    return path.read_text()


def test_schema_validates_without_warnings(schema_text):
    assert schema_text.startswith("openapi: 3")


def test_every_operation_is_documented_with_a_summary_and_its_errors(schema_text):
    schema = yaml.safe_load(schema_text)
    operations = [(path, method, op) for path, item in schema["paths"].items() for method, op in item.items()]
    assert len(operations) >= 30
    for path, method, op in operations:
        assert op.get("summary"), (method, path)
        responses = op["responses"]
        assert {"401", "429"} <= set(responses), (method, path)
        for code, response in responses.items():
            if code.startswith(("4", "5")):
                assert response["content"]["application/json"]["schema"]["$ref"].endswith("/Error"), (method, path)
        # The endpoints that issue tokens keep no stored answer: it would hold live tokens in the database.
        if method == "post" and path not in ("/api/v1/auth/login/", "/api/v1/auth/refresh/",
                                             "/api/v1/auth/logout/", "/api/v1/auth/password/"):
            assert any(p["name"] == "Idempotency-Key" for p in op.get("parameters", [])), path


def test_schema_and_docs_are_served(client):
    assert client.get("/api/v1/schema/").status_code == 200
    assert client.get("/api/v1/docs/").status_code == 200


@pytest.mark.parametrize("method", ["options", "post", "put", "patch", "delete"])
@pytest.mark.parametrize("url", ["/api/v1/schema/", "/api/v1/docs/", "/api/v1/redoc/"])
def test_the_documentation_answers_any_other_method_405_in_the_error_format(client, url, method):
    # OPTIONS on /docs/ was a 500 (DRF's metadata through an HTML template renderer), POST a plain-text page.
    response = getattr(client, method)(url)
    assert response.status_code == 405 and response["Allow"] == "GET, HEAD"
    assert response.json() == {"error": {"code": "method_not_allowed", "message": "不支持该请求方法。"}}
    assert client.head(url).status_code == 200


def query_parameters(schema_text):
    schema = yaml.safe_load(schema_text)
    return [(path, p) for path, item in schema["paths"].items() for op in item.values()
            for p in op.get("parameters", []) if p["in"] == "query"]


def test_every_page_size_states_its_bounds_and_default(schema_text):
    sizes = [(path, p["schema"]) for path, p in query_parameters(schema_text) if p["name"] in ("page_size", "size")]
    assert len(sizes) >= 10
    for path, schema in sizes:
        assert schema["type"] == "integer" and schema["minimum"] == 1, path
        assert schema["maximum"] in (51, 100) and "default" in schema, path


def test_every_id_and_text_parameter_states_its_bounds(schema_text):
    for path, p in query_parameters(schema_text):
        schema = p["schema"]
        if schema.get("type") == "integer" and "enum" not in schema:
            assert schema.get("minimum") == 1 and schema.get("maximum"), (path, p["name"])
        if schema.get("type") == "string" and "enum" not in schema and "format" not in schema:
            assert schema.get("maxLength") or schema.get("pattern"), (path, p["name"])


def test_every_id_in_a_path_states_its_bounds(schema_text):
    schema = yaml.safe_load(schema_text)
    ids = [(path, p["schema"]) for path, item in schema["paths"].items() for op in item.values()
           for p in op.get("parameters", []) if p["in"] == "path"]
    assert len(ids) >= 15
    for path, id_schema in ids:
        assert (id_schema["type"], id_schema["minimum"], id_schema["maximum"]) == ("integer", 1, 2**63 - 1), path


def test_the_catalogs_id_filters_are_bounded_integers(schema_text):
    params = {(path, p["name"]): p["schema"] for path, p in query_parameters(schema_text)}
    for key in [("/api/v1/job-types/", "business_system"), ("/api/v1/rules/", "competition"),
                ("/api/v1/rules/", "job_type"), ("/api/v1/rules/", "business_system")]:
        assert (params[key]["type"], params[key]["minimum"], params[key]["maximum"]) == ("integer", 1, 2**63 - 1), key


def test_every_operation_that_takes_a_body_documents_413_and_no_other_does(schema_text):
    schema = yaml.safe_load(schema_text)
    operations = [(path, method, op) for path, item in schema["paths"].items() for method, op in item.items()]
    with_body = [(path, op) for path, method, op in operations if "requestBody" in op]
    assert len(with_body) >= 10
    for path, op in with_body:
        assert op["responses"]["413"]["content"]["application/json"]["schema"]["$ref"].endswith("/Error"), path
    for path, method, op in operations:
        if "requestBody" not in op:
            assert "413" not in op["responses"], (method, path)


def test_filters_document_that_an_empty_value_means_no_filter(schema_text):
    params = {(path, p["name"]): p for path, p in query_parameters(schema_text)}
    assert params[("/api/v1/entries/", "unit")]["allowEmptyValue"] is True
    assert params[("/api/v1/workers/", "employee_no")]["allowEmptyValue"] is True
    assert "allowEmptyValue" not in params[("/api/v1/entries/", "page_size")]
    assert "allowEmptyValue" not in params[("/api/v1/entries/", "status")]  # ?status= is refused
    assert params[("/api/v1/entries/", "month")]["schema"]["pattern"]
    leaderboard = "/api/v1/competitions/{id}/leaderboard/"
    assert params[(leaderboard, "day")]["allowEmptyValue"] is True  # ?day= is the latest day
    assert params[("/api/v1/rules/", "on")]["allowEmptyValue"] is True  # ?on= is today
    assert params[(leaderboard, "page_size")]["schema"]["maximum"] == 100
