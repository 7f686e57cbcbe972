"""API paths answer the same with or without their trailing slash: no redirect, any method."""

import pytest

from customers.models import Customer
from tests.customers.factories import ChannelFactory, CustomerFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("slash", [pytest.param("/", id="slash"), pytest.param("", id="none")])
def test_customer_routes_answer_with_or_without_the_slash(api_client, slash):
    # given
    ChannelFactory(code="web")
    existing = CustomerFactory(email="old@example.com")

    # when / then: every method, the same status it has with the slash
    created = api_client.post(
        f"/api/v1/customers{slash}", {"channel": "web", "email": "new@example.com"}, format="json"
    )
    assert created.status_code == 201, created.content
    detail = f"/api/v1/customers/{existing.pk}{slash}"
    assert api_client.get(detail).data["email"] == "old@example.com"
    patched = api_client.patch(detail, {"first_name": "Ann"}, format="json")
    assert (patched.status_code, patched.data["first_name"]) == (200, "Ann")
    upserted = api_client.post(
        f"/api/v1/customers/upsert{slash}", {"channel": "web", "email": "up@example.com"}
    )
    assert upserted.status_code == 200
    assert api_client.get(f"/api/v1/customers{slash}").data["count"] == 3
    assert api_client.delete(detail).status_code == 204
    assert set(Customer.objects.values_list("email", flat=True)) == {
        "new@example.com",
        "up@example.com",
    }


@pytest.mark.parametrize("debug", [True, False], ids=["debug", "production"])
def test_a_post_without_the_slash_is_never_redirected(api_client, settings, debug):
    settings.DEBUG = debug
    ChannelFactory(code="web")

    response = api_client.post(
        "/api/v1/customers", {"channel": "web", "email": "a@example.com"}, format="json"
    )

    assert response.status_code == 201
    assert Customer.objects.filter(email="a@example.com").exists()


def test_pagination_links_keep_the_path_the_client_used(api_client):
    CustomerFactory.create_batch(3)

    response = api_client.get("/api/v1/customers?per_page=1")

    assert response.status_code == 200
    assert "/api/v1/customers/?" in response.data["next"]


def test_unknown_paths_stay_404(api_client):
    assert api_client.get("/api/v1/nothing-here").status_code == 404
