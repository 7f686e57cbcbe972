"""The dialect's operations in the OpenAPI schema, under their own tag."""

import pytest

pytestmark = pytest.mark.django_db

TAG = "Nuvemshop dialect"


def test_operations_under_their_tag(api_client):
    schema = api_client.get("/api/v1/schema/?format=json").json()

    tagged = {
        (method, path)
        for path, operations in schema["paths"].items()
        for method, operation in operations.items()
        if TAG in operation.get("tags", ())
    }
    assert tagged == {
        ("get", "/compat/nuvemshop/v1/{channel}/customers"),
        ("post", "/compat/nuvemshop/v1/{channel}/customers"),
        ("get", "/compat/nuvemshop/v1/{channel}/customers/{id}"),
        ("put", "/compat/nuvemshop/v1/{channel}/customers/{id}"),
    }
    list_operation = schema["paths"]["/compat/nuvemshop/v1/{channel}/customers"]["get"]
    assert {p["name"] for p in list_operation["parameters"]} == {
        "channel",
        "since_id",
        "created_at_min",
        "created_at_max",
        "updated_at_min",
        "updated_at_max",
        "page",
        "per_page",
        "fields",
        "q",
    }
    assert {"nuvemshopBearer": []} in list_operation["security"]
    assert schema["components"]["securitySchemes"]["nuvemshopBearer"]["name"] == "Authentication"
