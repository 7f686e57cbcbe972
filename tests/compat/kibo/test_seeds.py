"""Every request and response example of the Kibo seeds (000 customer, 001 custom order data),
sent verbatim with only the base URL changed: the answer has the seed's status and shape.

The seed's ids (customer 0123456, order 000000, record 111111) are replaced by the fixtures'
ids, since a row with those ids cannot be made to exist on every database.
"""

import datetime

import pytest

from orders.models import OrderCustomData
from orders.services import customer_stats_refresh, order_custom_data_create
from tests.compat.kibo.conftest import REQUESTS, seed_json, seed_text, seed_url, shape
from tests.customers.factories import CustomerFactory
from tests.orders.factories import OrderFactory

pytestmark = pytest.mark.django_db

SEED_MOMENT = datetime.datetime(2016, 10, 16, 16, 13, tzinfo=datetime.UTC)


@pytest.fixture
def example_user(channel):
    """The seed's customer: "Example User", with a password and one phone."""
    customer = CustomerFactory(
        channel=channel,
        first_name="Example",
        last_name="User",
        email="example@shopatron.com",
        phone="0000000000",
        phone_secondary="",
        last_login_at=SEED_MOMENT,
    )
    customer.password = "md5$salt$0123456789abcdef0123456789abcdef"
    customer.save(update_fields=["password"])
    return customer


@pytest.fixture
def example_order(example_user):
    """One marketplace order whose shipping address is the seed's recent address; the
    customer has no address of its own."""
    order = OrderFactory(
        customer=example_user,
        placed_at=SEED_MOMENT,
        shipping_address={"address": "111 EXAMPLE LN", "city": "DALLAS", "country": "US"},
    )
    customer_stats_refresh(customer_ids=[example_user.pk])
    return order


def _send(client, name: str, url: str):
    request = REQUESTS[name]
    body = seed_text(request["body"]) if "body" in request else None
    method = getattr(client, request["method"].lower())
    if body is None:
        return method(url)
    return method(url, body, content_type="application/json")


def test_get_customer_example(token_client, channel, example_user):
    url = seed_url("customer_get", channel.code, **{"0123456": example_user.pk})
    response = _send(token_client, "customer_get", url)

    assert response.status_code == 200, response.content
    expected = seed_json(REQUESTS["customer_get"]["response"])
    assert shape(response.json()) == shape(expected)
    assert response.json() == {**expected, "customerID": str(example_user.pk)}


def test_customer_search_example(token_client, channel, example_user, example_order):
    url = seed_url("customer_search", channel.code, **{"0123456": example_user.pk})
    response = _send(token_client, "customer_search", url)

    assert response.status_code == 200, response.content
    expected = seed_json(REQUESTS["customer_search"]["response"])
    assert shape(response.json()) == shape(expected)
    [row] = response.json()["collection"]
    [seed_row] = expected["collection"]
    assert row == {
        **seed_row,
        "customerID": str(example_user.pk),
        "recentOrders": [example_order.pk],
    }


@pytest.fixture
def order(channel):
    return OrderFactory(customer=CustomerFactory(channel=channel))


@pytest.fixture
def seed_record(order):
    """The seed's response record, stored (its manufacturerID 010101 and catalogID 4)."""
    return order_custom_data_create(
        order=order,
        name="Custom Data",
        value="This is sample custom data.",
        manufacturer_number=10101,
        catalog_number=4,
    )


def _expected_record(record):
    expected = seed_json(REQUESTS["custom_data_get_one"]["response"])
    return {**expected, "orderCustomDataID": record.pk, "orderID": record.order_id}


def test_add_custom_order_data_example(token_client, channel, order):
    url = seed_url("custom_data_post", channel.code, **{"000000": order.pk})
    response = _send(token_client, "custom_data_post", url)

    assert response.status_code == 201, response.content
    record = OrderCustomData.objects.get()
    body = seed_json(REQUESTS["custom_data_post"]["body"])
    seed_response = seed_json(REQUESTS["custom_data_post"]["response"])
    # The seed's answer is for a record with catalogue numbers; this body sends none.
    assert set(response.json()) == set(seed_response)
    assert response.json() == {
        "orderCustomDataID": record.pk,
        "orderID": order.pk,
        "manufacturerID": None,
        "catalogID": None,
        **body,
    }


def test_update_custom_order_data_example(token_client, channel, order):
    record = order_custom_data_create(order=order, name="Example Data", value="old")
    url = seed_url("custom_data_put", channel.code, **{"000000": order.pk, "111111": record.pk})
    response = _send(token_client, "custom_data_put", url)

    assert response.status_code == 200, response.content
    body = seed_json(REQUESTS["custom_data_put"]["body"])
    assert set(response.json()) == set(seed_json(REQUESTS["custom_data_put"]["response"]))
    assert response.json()["value"] == body["value"]
    record.refresh_from_db()
    assert (record.name, record.value) == (body["name"], body["value"])


def test_delete_custom_order_data_example(token_client, channel, order, seed_record):
    url = seed_url(
        "custom_data_delete", channel.code, **{"000000": order.pk, "111111": seed_record.pk}
    )
    response = _send(token_client, "custom_data_delete", url)

    assert response.status_code == REQUESTS["custom_data_delete"]["status"] == 204
    assert response.content == b""
    assert not OrderCustomData.objects.exists()


def test_get_all_custom_order_data_example(token_client, channel, order, seed_record):
    url = seed_url("custom_data_get_all", channel.code, **{"000000": order.pk})
    response = _send(token_client, "custom_data_get_all", url)

    assert response.status_code == 200, response.content
    assert response.json() == {"collection": [_expected_record(seed_record)]}
    assert shape(response.json()["collection"][0]) == shape(
        seed_json(REQUESTS["custom_data_get_all"]["response"])
    )


def test_get_one_custom_order_data_example(token_client, channel, order, seed_record):
    url = seed_url(
        "custom_data_get_one", channel.code, **{"000000": order.pk, "111111": seed_record.pk}
    )
    response = _send(token_client, "custom_data_get_one", url)

    assert response.status_code == 200, response.content
    assert shape(response.json()) == shape(seed_json(REQUESTS["custom_data_get_one"]["response"]))
    assert response.json() == _expected_record(seed_record)


@pytest.mark.parametrize("name", ["custom_data_get_all", "custom_data_post"])
def test_an_order_that_does_not_exist_is_404(token_client, channel, name):
    """The seed: "A 404 Error will be returned if ... an order that does not exist"."""
    response = _send(token_client, name, seed_url(name, channel.code))

    assert response.status_code == 404
    assert not OrderCustomData.objects.exists()
