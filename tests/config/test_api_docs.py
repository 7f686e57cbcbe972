"""The API's manual (Swagger UI, ReDoc) is served from this site alone, the API root lists the
resources, and every operation has a summary."""

import re

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.management import call_command
from django.urls import path
from drf_spectacular.drainage import GENERATOR_STATS
from rest_framework.response import Response
from rest_framework.views import APIView

from config.docs import DOCS_CONTENT_SECURITY_POLICY
from tests.conftest import api_client_for

pytestmark = pytest.mark.django_db

ASSET = re.compile(r'(?:src|href|spec-url)="([^"]*)"')
STATIC = "/" + settings.STATIC_URL.lstrip("/")
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>")
RESOURCES = {
    "channel": "channels/",
    "customer": "customers/",
    "address": "customers/{customer_id}/addresses/",
    "memberships": "customers/{customer_id}/memberships/",
    "customer-duplicate": "customers/{customer_id}/duplicates/",
    "order": "orders/",
    "order-custom-data": "orders/{order_id}/custom-data/",
    "order-item-custom-data": "orders/{order_id}/items/{item_id}/custom-data/",
    "group": "groups/",
    "group-members": "groups/{code}/members/",
    "webhook": "webhooks/",
    "webhook-delivery": "webhooks/{subscription_id}/deliveries/",
    "event": "events/",
    "merge": "merges/",
    "duplicate": "duplicates/",
}


@pytest.mark.parametrize("page", ["/api/v1/docs/", "/api/v1/redoc/"], ids=["swagger", "redoc"])
def test_docs_pages_load_only_this_sites_files_under_a_strict_policy(anon_client, page):
    response = anon_client.get(page)

    assert response.status_code == 200
    assert response["Content-Security-Policy"] == DOCS_CONTENT_SECURITY_POLICY
    assert "default-src 'none'" in DOCS_CONTENT_SECURITY_POLICY
    assert "script-src 'self';" in DOCS_CONTENT_SECURITY_POLICY
    html = response.content.decode()
    assert INLINE_SCRIPT.findall(html) == []
    assets = ASSET.findall(html)
    assert assets
    for url in assets:
        assert url.startswith("/") or url == "data:,", url
        assert not url.startswith("//"), url
        if url.startswith(STATIC):
            assert finders.find(url.removeprefix(STATIC)), url


def test_swagger_ui_start_up_script_is_a_file_of_its_own(anon_client):
    page = anon_client.get("/api/v1/docs/").content.decode()
    script_url = re.search(r'<script src="(/api/v1/docs/\?[^"]*script[^"]*)"', page).group(1)

    response = anon_client.get(script_url.replace("&amp;", "&"))

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/javascript")
    assert response["Content-Security-Policy"] == DOCS_CONTENT_SECURITY_POLICY
    assert 'url: "/api/v1/schema/"' in response.content.decode()


def test_api_root_needs_credentials(anon_client):
    response = anon_client.get("/api/v1/")

    assert response.status_code == 401
    assert response.json() == {"detail": "Authentication credentials were not provided."}


def test_api_root_lists_every_collection_and_the_manual(api_client):
    response = api_client.get("/api/v1/")

    assert response.status_code == 200
    base = "http://testserver/api/v1/"
    assert response.json() == {
        "resources": {name: base + template for name, template in RESOURCES.items()},
        "schema": base + "schema/",
        "docs": base + "docs/",
        "redoc": base + "redoc/",
    }


def test_api_root_refuses_unknown_query_parameters(api_client):
    response = api_client.get("/api/v1/", {"page": "2"})

    assert response.status_code == 400
    assert list(response.json()) == ["page"]


@pytest.mark.parametrize(
    "name", [name for name, template in RESOURCES.items() if "{" not in template]
)
def test_each_listed_collection_answers(superuser, name):
    client = api_client_for(superuser)
    url = client.get("/api/v1/").json()["resources"][name]

    assert client.get(url).status_code == 200


def test_every_operation_has_a_summary(api_client):
    schema = api_client.get("/api/v1/schema/?format=json").json()

    missing = [
        f"{method.upper()} {route}"
        for route, item in schema["paths"].items()
        for method, operation in item.items()
        if isinstance(operation, dict) and not operation.get("summary")
    ]
    assert missing == []


class UndocumentedView(APIView):
    def get(self, request):
        return Response({})


urlpatterns = [path("undocumented/", UndocumentedView.as_view())]


def test_an_operation_without_a_summary_fails_the_schema_check(capsys):
    GENERATOR_STATS.reset()

    with pytest.raises(Exception, match="Failing as requested due to warnings"):
        call_command("spectacular", "--fail-on-warn", "--urlconf", __name__, "--file", "/dev/null")

    assert "GET /undocumented/ (undocumented_retrieve) has no summary" in capsys.readouterr().err
    GENERATOR_STATS.reset()
