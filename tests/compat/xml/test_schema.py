"""The dialect's operations are in the OpenAPI schema under their own tag, XML beside JSON."""

import pytest

pytestmark = pytest.mark.django_db

TAG = "XML commerce API dialect"
OPERATIONS = {
    ("/compat/xml/{channel}/API/V3/{spec}", "get"): "xml_customers_list",
    ("/compat/xml/{channel}/API/V3/{spec}", "post"): "xml_customers_upsert",
    ("/compat/xml/{channel}/API/V3/{spec}/{username}", "get"): "xml_customer_read",
    ("/compat/xml/{channel}/API/V3/{spec}/{username}", "put"): "xml_customer_update",
    ("/compat/xml/{channel}/API/V3/{spec}/{username}", "delete"): "xml_customer_delete",
    ("/compat/xml/{channel}/API/V3/UserGroups", "get"): "xml_usergroups_list",
    ("/compat/xml/{channel}/API/V3/UserGroups", "post"): "xml_usergroups_upsert",
}


@pytest.fixture
def schema(client):
    return client.get("/api/v1/schema/?format=json").json()


def test_every_operation_is_under_the_dialects_tag(schema):
    found = {
        (path, method): operation["operationId"]
        for path, item in schema["paths"].items()
        for method, operation in item.items()
        if TAG in operation.get("tags", [])
    }

    assert found == OPERATIONS


def test_answers_and_bodies_are_documented_as_xml_and_json(schema):
    operation = schema["paths"]["/compat/xml/{channel}/API/V3/{spec}"]["post"]

    # generated clients send JSON; XML bodies are the same documents (README)
    assert set(operation["requestBody"]["content"]) == {"application/json"}
    for code in ("200", "400", "404", "413", "422"):
        assert set(operation["responses"][code]["content"]) == {
            "application/xml",
            "application/json",
        }
    (spec,) = [p for p in operation["parameters"] if p["name"] == "spec"]
    assert sorted(spec["schema"]["enum"]) == [
        "Customer",
        "Customer+(UserCustomerGroups+UserGroups)",
        "Customer+UserCustomerGroups",
    ]


def test_a_customers_writes_document_if_match_and_412(schema):
    item = schema["paths"]["/compat/xml/{channel}/API/V3/{spec}/{username}"]

    for method in ("put", "delete"):
        assert "If-Match" in [p["name"] for p in item[method]["parameters"]]
        assert "412" in item[method]["responses"]
