import pytest

from customers.models import Address
from tests.customers.factories import AddressFactory, ChannelFactory, CustomerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def customer():
    return CustomerFactory(channel=ChannelFactory(code="web"))


def url(customer, address=None):
    base = f"/api/v1/customers/{customer.pk}/addresses/"
    return f"{base}{address.pk}/" if address else base


def test_first_address_becomes_default(api_client, customer):
    response = api_client.post(url(customer), {"address": "Main St", "country": "us"})
    assert response.status_code == 201, response.data
    assert response.data["is_default"] is True
    assert response.data["country"] == "US"


def test_new_default_and_billing_move_the_flags(api_client, customer):
    old = AddressFactory(customer=customer, is_default=True, is_billing=True)
    response = api_client.post(
        url(customer), {"city": "Rio", "is_default": True, "is_billing": True}
    )
    assert response.status_code == 201
    old.refresh_from_db()
    assert (old.is_default, old.is_billing) == (False, False)
    detail = api_client.get(f"/api/v1/customers/{customer.pk}/").data
    assert detail["default_address"]["id"] == response.data["id"]
    assert detail["billing_address"]["id"] == response.data["id"]


def test_patch_sets_default(api_client, customer):
    first = AddressFactory(customer=customer, is_default=True)
    second = AddressFactory(customer=customer)
    response = api_client.patch(url(customer, second), {"is_default": True})
    assert response.status_code == 200
    first.refresh_from_db()
    assert not first.is_default
    assert Address.objects.filter(customer=customer, is_default=True).get() == second


def test_put_get_list_delete(api_client, customer):
    address = AddressFactory(customer=customer, is_default=True)
    newer = AddressFactory(customer=customer)
    response = api_client.put(url(customer, address), {"city": "Lima", "country": "PE"})
    assert response.status_code == 200
    assert response.data["city"] == "Lima"
    assert api_client.get(url(customer, address)).data["country"] == "PE"
    listed = api_client.get(url(customer))
    assert [row["id"] for row in listed.data["results"]] == [address.pk, newer.pk]
    assert api_client.delete(url(customer, address)).status_code == 204
    newer.refresh_from_db()
    assert newer.is_default


@pytest.mark.parametrize(
    ("body", "field"),
    [
        pytest.param({"country": "XX"}, "country", id="country"),
        pytest.param({"country": "BRA"}, "country", id="alpha3"),
        pytest.param({"city": "x" * 256}, "city", id="too-long"),
        pytest.param({"is_default": "maybe"}, "is_default", id="bool"),
    ],
)
def test_invalid_address_is_400(api_client, customer, body, field):
    response = api_client.post(url(customer), body)
    assert response.status_code == 400
    assert field in response.data


def test_other_customers_address_is_404(api_client, customer):
    other = AddressFactory()
    assert api_client.get(url(customer, other)).status_code == 404


def test_unknown_or_hidden_customer_is_404(api_client, api_user, customer):
    assert api_client.get("/api/v1/customers/999999/addresses/").status_code == 404
    ChannelFactory(code="mine").api_users.add(api_user)
    assert api_client.get(url(customer)).status_code == 404


def test_list_queries_do_not_grow(api_client, customer, list_read_within):
    AddressFactory.create_batch(10, customer=customer)
    list_read_within(api_client, url(customer), queries=8, count=10)


def test_moving_the_flags_lists_their_holders_once_per_flag(api_client, customer):
    """Setting is_default/is_billing lists each flag's holders once and updates those rows by
    their ids (with history and an event), not by listing the same ids a second time."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    AddressFactory(customer=customer, is_default=True, is_billing=True)
    with CaptureQueriesContext(connection) as moving:
        response = api_client.post(
            url(customer), {"city": "Lima", "is_default": True, "is_billing": True}
        )
    assert response.status_code == 201
    listings = [
        query["sql"]
        for query in moving.captured_queries
        if query["sql"].startswith('SELECT "customers_address"."id" AS "pk"')
    ]
    assert len(listings) == 2
