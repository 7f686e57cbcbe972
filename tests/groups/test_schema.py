from django.core.management import call_command


def test_openapi_schema_builds_without_warnings(db, tmp_path):
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "s.yml"))
    schema = (tmp_path / "s.yml").read_text()
    for path in (
        "/api/v1/groups/{code}/members/",
        "/api/v1/customers/{customer_id}/memberships/{group_code}/",
    ):
        assert path in schema
