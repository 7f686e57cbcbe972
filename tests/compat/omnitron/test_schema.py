"""Omnitron's operations are in the OpenAPI schema under their own tag."""

import pytest

pytestmark = pytest.mark.django_db

TAG = "Omnitron dialect"
OPERATIONS = {
    ("/compat/omnitron/api/v1/customers/", "get"),
    ("/compat/omnitron/api/v1/customers/", "post"),
    ("/compat/omnitron/api/v1/customers/{id}/", "get"),
    ("/compat/omnitron/api/v1/customers/{id}/", "put"),
    ("/compat/omnitron/api/v1/customers/{id}/", "patch"),
}


@pytest.fixture
def schema(client):
    response = client.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    return response.json()


def test_omnitron_operations_have_their_own_tag(schema):
    tagged = {
        (path, method)
        for path, item in schema["paths"].items()
        for method, operation in item.items()
        if TAG in operation.get("tags", [])
    }
    assert tagged == OPERATIONS


def test_the_list_documents_omnitron_filters_and_paging(schema):
    operation = schema["paths"]["/compat/omnitron/api/v1/customers/"]["get"]
    names = {parameter["name"] for parameter in operation["parameters"]}

    assert {"created_date__gte", "modified_date__date", "pk__lt", "channel", "limit"} <= names
    assert not names & {"per_page", "created_at", "phone", "fields", "ordering"}
