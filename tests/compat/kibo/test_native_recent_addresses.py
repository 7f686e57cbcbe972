"""The native `recent_addresses` expansion includes the addresses of the customer's recent
orders (marketplace orders bring addresses the customer never saved)."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from customers.selectors import customer_recent_addresses
from tests.customers.factories import AddressFactory, CustomerFactory
from tests.orders.factories import OrderFactory

pytestmark = pytest.mark.django_db

DAY = datetime.datetime(2024, 5, 1, tzinfo=datetime.UTC)


def _address(street: str) -> dict:
    return {"address": street, "city": "Dallas", "country": "US"}


def test_order_addresses_newest_first_and_distinct(api_client, channel):
    customer = CustomerFactory(channel=channel)
    OrderFactory(customer=customer, placed_at=DAY, shipping_address=_address("Old"))
    OrderFactory(
        customer=customer,
        placed_at=DAY + datetime.timedelta(days=1),
        shipping_address=_address("Ship"),
        billing_address=_address("Bill"),
    )
    OrderFactory(
        customer=customer,
        placed_at=DAY + datetime.timedelta(days=2),
        shipping_address=_address("Ship"),
        billing_address=None,
    )

    response = api_client.get(f"/api/v1/customers/{customer.pk}/", {"expand": "recent_addresses"})

    assert response.data["recent_addresses"] == [
        "Ship, Dallas, US",
        "Bill, Dallas, US",
        "Old, Dallas, US",
    ]
    assert customer_recent_addresses(customer) == response.data["recent_addresses"]


def test_own_and_order_addresses_merge_by_date(api_client, channel):
    customer = CustomerFactory(channel=channel)
    AddressFactory(
        customer=customer,
        address="Own",
        number="",
        address2="",
        locality="",
        city="Lima",
        province="",
        country="PE",
        created_at=DAY,
    )
    OrderFactory(
        customer=customer,
        placed_at=DAY + datetime.timedelta(hours=1),
        shipping_address=_address("Later"),
    )
    OrderFactory(
        customer=customer,
        placed_at=DAY - datetime.timedelta(hours=1),
        shipping_address=_address("Earlier"),
    )

    response = api_client.get(f"/api/v1/customers/{customer.pk}/", {"expand": "recent_addresses"})

    assert response.data["recent_addresses"] == [
        "Later, Dallas, US",
        "Own, Lima, PE",
        "Earlier, Dallas, US",
    ]


def _list_queries(client, per_page: int):
    with CaptureQueriesContext(connection) as context:
        response = client.get(
            "/api/v1/customers/", {"expand": "recent_addresses", "per_page": per_page}
        )
    assert response.status_code == 200
    return len(context), response.data["results"]


def test_the_list_with_recent_addresses_has_a_fixed_query_count(api_client, channel):
    for index in range(30):
        customer = CustomerFactory(channel=channel)
        OrderFactory(customer=customer, shipping_address=_address(f"Street {index}"))
    api_client.get("/api/v1/customers/", {"per_page": 1})  # warm the permission cache

    small, small_rows = _list_queries(api_client, 3)
    large, large_rows = _list_queries(api_client, 30)

    # scoping and the page written by PostgreSQL (its count, addresses, group codes and
    # recent orders in its statement); elsewhere scoping, count, page, addresses,
    # memberships, recent orders (with their addresses)
    assert small == large == (2 if connection.vendor == "postgresql" else 6)
    assert large_rows[29]["recent_addresses"] == ["Street 29, Dallas, US"]
    assert len(small_rows) == 3
