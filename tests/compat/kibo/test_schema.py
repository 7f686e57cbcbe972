"""The Kibo dialect's operations are documented under their own tag."""

import pytest

pytestmark = pytest.mark.django_db


def test_every_kibo_operation_is_tagged(api_client):
    schema = api_client.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    paths = {p: ops for p, ops in schema.json()["paths"].items() if p.startswith("/compat/kibo/")}

    operations = {
        (path, method): operation["tags"]
        for path, ops in paths.items()
        for method, operation in ops.items()
        if method in {"get", "post", "put", "delete"}
    }
    assert len(operations) == 12
    assert set(map(tuple, operations.values())) == {("Kibo dialect",)}
    detail = paths["/compat/kibo/{channel}/api/v2/customer/{customerID}/"]["get"]
    assert {"kiboBearerAuth": []} in detail["security"]
