import pytest
from django.core.management import call_command

from duplicates.selectors import REASONS

pytestmark = pytest.mark.django_db


def test_the_schema_validates_and_documents_the_duplicates_routes(api_client, tmp_path):
    # `make check`'s schema step: fails on any warning
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "s.yml"))
    paths = api_client.get("/api/v1/schema/?format=json").json()["paths"]
    listed = paths["/api/v1/duplicates/"]["get"]
    assert {p["name"]: p["schema"].get("enum") for p in listed["parameters"]}["reason"] == list(
        REASONS
    )
    assert "get" in paths["/api/v1/customers/{customer_id}/duplicates/"]
    assert "post" in paths["/api/v1/duplicates/dismissals/"]
    assert "delete" in paths["/api/v1/duplicates/dismissals/{id}/"]
