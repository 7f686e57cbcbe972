"""A merged customer: 404 naming the kept one, hidden from lists, an alias in upserts/orders."""

import pytest

from customers.api.views import CUSTOMER_MERGED
from customers.models import Customer
from orders.models import Order

pytestmark = pytest.mark.django_db

MERGE_URL = "/api/v1/customers/merge/"


@pytest.fixture
def merged(merger_client, duo):
    kept, other = duo
    response = merger_client.post(MERGE_URL, {"keep": kept.pk, "merge": [other.pk]}, format="json")
    assert response.status_code == 200, response.json()
    return kept, other


def test_a_merged_customer_answers_404_with_merged_into(merger_client, merged):
    kept, other = merged

    response = merger_client.get(f"/api/v1/customers/{other.pk}/")

    assert response.status_code == 404
    assert response.json() == {"detail": CUSTOMER_MERGED, "merged_into": kept.pk}


def test_a_chain_of_merges_names_the_last_kept_customer(merger_client, merged):
    # given: the kept customer is merged into a third one later
    kept, other = merged
    third = Customer.objects.create(channel=kept.channel, email="third@example.com")
    response = merger_client.post(MERGE_URL, {"keep": third.pk, "merge": [kept.pk]}, format="json")
    assert response.status_code == 200, response.json()

    # when
    response = merger_client.get(f"/api/v1/customers/{other.pk}/")

    # then
    assert response.json()["merged_into"] == third.pk


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/customers/",
        "/api/v1/customers/?q=ana",
        "/api/v1/customers/?email=ana.s@example.com",
        "/api/v1/customers/?expand=phones",
    ],
    ids=["list", "search", "filter", "expanded"],
)
def test_a_merged_customer_is_in_no_list(merger_client, merged, path):
    kept, other = merged

    response = merger_client.get(path)

    assert response.status_code == 200
    ids = [item["id"] for item in response.json()["results"]]
    assert other.pk not in ids


def test_upsert_by_the_merged_email_lands_on_the_kept_customer(merger_client, merged):
    kept, other = merged

    response = merger_client.post(
        "/api/v1/customers/upsert/",
        {"channel": "web", "email": "ana.s@example.com", "last_name": "Silva"},
        format="json",
    )

    assert response.status_code == 200, response.json()
    assert response.json()["results"][0]["id"] == kept.pk
    assert Customer.objects.get(pk=kept.pk).last_name == "Silva"
    assert Customer.objects.get(pk=other.pk).last_name == ""


def test_bulk_upsert_of_a_merged_email_twice_lands_on_the_kept_customer(merger_client, merged):
    kept, other = merged
    items = [
        {"channel": "web", "email": "ana.s@example.com", "last_name": "Silva"},
        {"channel": "web", "email": "ana.s@example.com", "company": "ACME"},
    ]

    response = merger_client.post("/api/v1/customers/upsert/", items, format="json")

    assert response.status_code == 200, response.json()
    assert [row["id"] for row in response.json()["results"]] == [kept.pk, kept.pk]
    kept.refresh_from_db()
    assert (kept.last_name, kept.company) == ("Silva", "ACME")


def test_an_order_for_the_merged_id_lands_on_the_kept_customer(merger_client, merged):
    kept, other = merged

    response = merger_client.post(
        "/api/v1/orders/",
        {"channel": "web", "number": "NEW-1", "customer": other.pk, "total": "3.00"},
        format="json",
    )

    assert response.status_code == 201, response.json()
    assert Order.objects.get(number="NEW-1").customer_id == kept.pk
    assert Customer.objects.get(pk=kept.pk).orders_count == 3


def test_an_order_with_the_merged_email_as_buyer_lands_on_the_kept_customer(merger_client, merged):
    kept, other = merged

    response = merger_client.post(
        "/api/v1/orders/",
        {"channel": "web", "number": "NEW-2", "customer": {"email": "ana.s@example.com"}},
        format="json",
    )

    assert response.status_code == 201, response.json()
    assert Order.objects.get(number="NEW-2").customer_id == kept.pk
