"""What the seed says of each example it names (it prints no bodies: see seeds/README.md)."""

import pytest

from customers.models import Customer
from customers.validation import CHANNEL_IMMUTABLE
from tests.compat.omnitron.conftest import BASE, detail_url
from tests.compat.omnitron.test_api import assert_omnitron_customer
from tests.customers.factories import CustomerFactory

pytestmark = pytest.mark.django_db

ORDERS = "/api/v1/orders/"


@pytest.fixture
def customer(web):
    return CustomerFactory(channel=web, email="seed@example.com", first_name="Seed")


def _put_body(customer) -> dict:
    return {"email": customer.email, "channel": customer.channel_id, "first_name": "Put"}


def test_get_customers_returns_every_customer_paged(client, web):
    CustomerFactory.create_batch(3, channel=web)

    response = client.get(BASE, {"limit": 2})

    assert response.status_code == 200
    assert response.data["count"] == 3
    assert response.data["next"] is not None
    assert response.data["previous"] is None
    for item in response.data["results"]:
        assert_omnitron_customer(item)


def test_post_create_a_customer_answers_201(client, web):
    response = client.post(BASE, {"email": "new@example.com", "channel": web.pk}, format="json")

    assert response.status_code == 201
    assert_omnitron_customer(response.data)


@pytest.mark.parametrize("missing", ["email", "channel"])
def test_post_response_http_400_a_customer_must_have_an_email_and_channel(client, web, missing):
    body = {"email": "new@example.com", "channel": web.pk}
    del body[missing]

    response = client.post(BASE, body, format="json")

    assert response.status_code == 400
    assert response.data == {missing: ["This field is required."]}


def test_get_customer_detail_successful_and_failed_response(client, customer):
    found = client.get(detail_url(customer.pk))
    missing = client.get(detail_url(customer.pk + 1000))

    assert found.status_code == 200
    assert_omnitron_customer(found.data)
    assert missing.status_code == 404


def test_patch_update_customer_changes_the_parameters_given(client, customer):
    response = client.patch(detail_url(customer.pk), {"last_name": "Patched"}, format="json")

    assert response.status_code == 200
    assert (response.data["first_name"], response.data["last_name"]) == ("Seed", "Patched")


def test_put_update_customer_successful_response(client, customer):
    response = client.put(detail_url(customer.pk), _put_body(customer), format="json")

    assert response.status_code == 200
    assert_omnitron_customer(response.data)
    assert response.data["first_name"] == "Put"


def test_put_without_the_email_is_the_failed_response_naming_email(client, customer):
    body = _put_body(customer)
    del body["email"]

    response = client.put(detail_url(customer.pk), body, format="json")

    assert response.status_code == 400
    assert response.data == {"email": ["This field is required."]}
    customer.refresh_from_db()
    assert customer.first_name == "Seed"


@pytest.mark.parametrize("method", ["put", "patch"])
def test_changing_the_channel_on_put_or_patch_is_a_400_naming_channel(
    client, customer, shop, method
):
    body = {**_put_body(customer), "channel": shop.pk}

    response = getattr(client, method)(detail_url(customer.pk), body, format="json")

    assert response.status_code == 400
    assert response.data == {"channel": [CHANNEL_IMMUTABLE]}
    customer.refresh_from_db()
    assert (customer.channel_id, customer.first_name) == (customer.channel_id, "Seed")


def test_marketplace_orders_upsert_their_customer(client, web):
    """Customer Creation: an imported marketplace order creates its customer, or updates it."""
    order = {"channel": "web", "customer": {"email": "buyer@example.com", "first_name": "A"}}

    first = client.post(ORDERS, {**order, "number": "MP-1"}, format="json")
    order["customer"]["first_name"] = "B"
    second = client.post(ORDERS, {**order, "number": "MP-2"}, format="json")
    listed = client.get(BASE, {"email": "buyer@example.com"})

    assert (first.status_code, second.status_code) == (201, 201)
    assert listed.data["count"] == 1
    assert listed.data["results"][0]["first_name"] == "B"
    assert listed.data["results"][0]["channel"] == web.pk
    assert Customer.objects.get().orders_count == 2


@pytest.mark.parametrize(
    ("request_", "expected"),
    [
        (("post", BASE, {"email": "x@example.com", "channel": -1}), 400),
        (("get", f"{BASE}0/", None), 404),
        (("delete", BASE, None), 405),
        (("get", BASE, "accept-xml"), 406),
    ],
    ids=["400", "404", "405", "406"],
)
def test_potential_responses(client, request_, expected):
    method, url, body = request_
    if body == "accept-xml":
        response = client.get(url, HTTP_ACCEPT="application/xml")
    else:
        response = getattr(client, method)(url, body, format="json")

    assert response.status_code == expected
