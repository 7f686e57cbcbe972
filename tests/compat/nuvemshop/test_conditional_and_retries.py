"""Patron's ETag, If-Match, If-None-Match and Idempotency-Key, which the dialect keeps."""

import pytest

from customers.models import Customer
from tests.compat.nuvemshop.conftest import BASE
from tests.customers.factories import CustomerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def customer(store):
    return CustomerFactory(channel=store, email="ann@example.com", first_name="Ann")


def test_etag_and_if_none_match(api_client, customer):
    url = f"{BASE}/customers/{customer.pk}"
    response = api_client.get(url)

    assert response["ETag"] == f'"{customer.version}"'
    assert api_client.get(url, HTTP_IF_NONE_MATCH=response["ETag"]).status_code == 304


def test_stale_if_match_is_412_and_changes_nothing(api_client, customer):
    url = f"{BASE}/customers/{customer.pk}"
    tag = api_client.get(url)["ETag"]
    api_client.put(url, {"name": "Ann Lee"}, format="json")

    response = api_client.put(url, {"name": "Ann Other"}, format="json", HTTP_IF_MATCH=tag)

    assert response.status_code == 412
    assert Customer.objects.get(pk=customer.pk).name == "Ann Lee"


def test_current_if_match_writes(api_client, customer):
    url = f"{BASE}/customers/{customer.pk}"
    tag = api_client.get(url)["ETag"]

    response = api_client.put(url, {"name": "Ann Lee"}, format="json", HTTP_IF_MATCH=tag)

    assert response.status_code == 200
    assert response["ETag"] != tag
    assert response["ETag"] == api_client.get(url)["ETag"]


def test_post_retried_with_its_idempotency_key_creates_once(api_client, store):
    body = {"name": "Bo Li", "email": "bo@example.com"}

    first = api_client.post(f"{BASE}/customers", body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    again = api_client.post(f"{BASE}/customers", body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")

    assert (first.status_code, again.status_code) == (201, 201)
    assert again.content == first.content
    assert again["Idempotent-Replayed"] == "true"
    assert Customer.objects.filter(email="bo@example.com").count() == 1
