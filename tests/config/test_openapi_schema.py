"""The OpenAPI schema describes every error body as a component and the headers answers carry."""

import inspect

import pytest
from jsonschema import Draft202012Validator

from customers.imports.rows import ROW_NOT_OBJECT
from customers.validation import INVALID_COUNTRY, INVALID_EMAIL
from tests.customers.factories import ChannelFactory

pytestmark = pytest.mark.django_db

SCHEMA = "/api/v1/schema/?format=json"
RATE_LIMIT = {"RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset"}
ERROR_CODES = {
    "GET": {"400", "401", "403", "404", "406", "414", "503", "429"},
    "POST": {"400", "401", "403", "404", "406", "414", "503", "409", "413", "415", "429"},
    "PUT": {"400", "401", "403", "404", "406", "414", "503", "409", "413", "415", "429"},
    "PATCH": {"400", "401", "403", "404", "406", "414", "503", "409", "413", "415", "429"},
    "DELETE": {"400", "401", "403", "404", "406", "414", "503", "409", "429"},
}
# Where they apply: 412 with If-Match (every PUT, PATCH and DELETE of a versioned object),
# 422 with Idempotency-Key (POST and PATCH; tests/idempotency/test_routes.py).
CONDITIONAL_CODES = {"412", "422"}


@pytest.fixture(scope="module")
def schema(django_db_blocker):
    from rest_framework.test import APIClient

    with django_db_blocker.unblock():
        response = APIClient().get(SCHEMA)
    assert response.status_code == 200
    return response.json()


def _operations(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            yield f"{method.upper()} {path}", method.upper(), operation


def _validator(schema, component: str) -> Draft202012Validator:
    root = {"components": schema["components"], "$ref": f"#/components/schemas/{component}"}
    return Draft202012Validator(root)


def test_every_operation_refers_to_an_error_component_for_each_error_status(schema):
    for name, method, operation in _operations(schema):
        responses = operation["responses"]
        assert ERROR_CODES[method] <= set(responses), name
        if method in ("PUT", "PATCH", "DELETE"):
            assert "412" in responses, name
        for code in ERROR_CODES[method] | (CONDITIONAL_CODES & set(responses)):
            body = responses[code]["content"]["application/json"]["schema"]
            expected = "ValidationError" if code == "400" else "ErrorDetail"
            assert body == {"$ref": f"#/components/schemas/{expected}"}, (name, code)


def test_error_components_keep_their_required_detail(schema):
    assert schema["components"]["schemas"]["ErrorDetail"]["required"] == ["detail"]


@pytest.mark.parametrize(
    "body",
    [
        {"email": [str(INVALID_EMAIL)]},
        {"detail": "JSON parse error - Expecting value"},
        {"non_field_errors": ["Invalid data."]},
        {"addresses": [{}, {"country": [str(INVALID_COUNTRY)]}]},
        {"items": {"3": {"email": [str(INVALID_EMAIL)], "addresses": [{"city": ["Required."]}]}}},
        {"customer": {"email": [str(INVALID_EMAIL)]}},
    ],
    ids=["field", "detail", "non-field", "address-list", "bulk-items", "nested-object"],
)
def test_validation_error_component_accepts_every_error_shape(schema, body):
    assert list(_validator(schema, "ValidationError").iter_errors(body)) == []


@pytest.mark.parametrize(
    "body",
    [{"email": "a bare string"}, {"email": [1]}, {"non_field_errors": "text"}, ["a list"]],
    ids=["bare-string", "number-message", "non-field-string", "top-level-list"],
)
def test_validation_error_component_refuses_other_shapes(schema, body):
    assert list(_validator(schema, "ValidationError").iter_errors(body)) != []


def test_real_nested_400s_match_the_component(schema, api_client):
    # given: refused addresses (one not even an object), and a refused item of a bulk upsert
    ChannelFactory(code="web")
    addresses = ["", {"city": "Rio", "country": "BR"}, {"city": "Oz", "country": "XX"}]
    items = [{"channel": "web", "email": "a@example.com"}, {"channel": "web", "email": "x"}]

    # when
    bodies = [
        api_client.post(
            "/api/v1/customers/", {"channel": "web", "email": "x", "addresses": addresses}
        ),
        api_client.post("/api/v1/customers/upsert/", items),
        api_client.post("/api/v1/customers/", "{", content_type="application/json"),
    ]

    # then
    validator = _validator(schema, "ValidationError")
    for response in bodies:
        assert response.status_code == 400
        assert list(validator.iter_errors(response.json())) == [], response.json()
    assert bodies[0].json()["addresses"] == [
        {"non_field_errors": [ROW_NOT_OBJECT]},
        {},
        {"country": [INVALID_COUNTRY]},
    ]
    assert bodies[1].json()["items"] == {"1": {"email": [INVALID_EMAIL]}}


def _headers(schema, path, method, code):
    return set(schema["paths"][path][method]["responses"][code].get("headers", {}))


def test_response_headers_are_documented(schema):
    lists = "/api/v1/customers/", "/api/v1/orders/", "/api/v1/groups/{code}/members/"
    for path in lists:
        assert _headers(schema, path, "get", "200") == {
            "Link",
            "X-Total-Count",
            "X-Total-Count-Estimate",
            *RATE_LIMIT,
        }, path
    for method in ("get", "put", "patch"):
        assert _headers(schema, "/api/v1/customers/{id}/", method, "200") == {"ETag", *RATE_LIMIT}
    for _, _, operation in _operations(schema):
        assert set(operation["responses"]["429"]["headers"]) == {"Retry-After", *RATE_LIMIT}
        assert set(operation["responses"]["503"]["headers"]) == {"Retry-After"}
    headers = schema["components"]["headers"]
    assert headers["X-Total-Count"]["schema"]["type"] == "integer"
    assert headers["Retry-After"]["schema"]["type"] == "integer"


def test_json_key_filters_are_plain_named_parameters(schema):
    parameters = {
        parameter["name"]: parameter
        for parameter in schema["paths"]["/api/v1/customers/"]["get"]["parameters"]
    }

    assert not [name for name in parameters if "<" in name]
    for field in ("attributes", "extra_field"):
        assert parameters[field]["schema"] == {"type": "string"}
        assert f"{field}__<key>" in parameters[field]["description"]


def test_no_operation_is_described_by_a_mixins_docstring(schema):
    """A mixin's docstring describes the mixin (conditional requests, the database-written
    fast path), not the routes of the views that use it."""
    from config.etags import ConditionalMixin
    from config.query_params import StrictQueryParamsMixin
    from config.written_rows import WrittenRowsMixin
    from idempotency.api import IdempotentWritesMixin

    mixins = (ConditionalMixin, StrictQueryParamsMixin, WrittenRowsMixin, IdempotentWritesMixin)
    docs = {inspect.cleandoc(mixin.__doc__) for mixin in mixins if mixin.__doc__}
    described = {name: op.get("description", "") for name, _, op in _operations(schema)}

    assert docs
    assert [name for name, text in described.items() if text in docs] == []
