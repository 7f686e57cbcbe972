"""Orders, their items and custom data: unknown body fields are a 400 naming them, a read
body can be sent back as it is, and GET → one change → PUT leaves exactly that change."""

import copy

import pytest

from customers.models import ADDRESS_TEXT_FIELDS
from orders.api.serializers import OrderCustomDataSerializer, OrderOutputSerializer
from orders.models import Order, OrderCustomData, OrderItem
from orders.services import CUSTOM_DATA_NAME_IMMUTABLE
from orders.validation import CHANNEL_IMMUTABLE, ITEM_READ_ONLY_FIELDS, ORDER_READ_ONLY_FIELDS
from tests.customers.factories import ChannelFactory, CustomerFactory
from tests.orders.factories import OrderCustomDataFactory
from tests.round_trips import changed, leaf_paths, path_get, path_set, stable, writable_paths

pytestmark = pytest.mark.django_db

URL = "/api/v1/orders/"
# Every snapshot field filled, so that each one can be changed.
ADDRESS = {name: f"{name} 1" for name in ADDRESS_TEXT_FIELDS} | {"country": "US"}


def _body(customer, **changes) -> dict:
    return {
        "channel": "web",
        "number": "1001",
        "customer": customer.pk,
        "status": "paid",
        "placed_at": "2024-03-01T10:00:00Z",
        "shipping_address": ADDRESS,
        "billing_address": ADDRESS,
        "items": [
            {"sku": "SKU-1", "name": "Mug", "quantity": 2, "unit_price": "10.00"},
            {"sku": "SKU-2", "name": "Cup", "quantity": 1, "unit_price": "5.00"},
        ],
        **changes,
    }


@pytest.fixture
def order(api_client, customer) -> dict:
    """An order as the API reads it, with custom data on the order and on an item."""
    created = api_client.post(URL, _body(customer), format="json").data
    stored = Order.objects.get(pk=created["id"])
    OrderCustomDataFactory(order=stored, name="gift", value="yes")
    OrderCustomDataFactory(order=stored, item=stored.items.first(), name="engraving", value="A")
    return api_client.get(f"{URL}{created['id']}/").data


def _snapshot():
    """What the orders and items tables hold, but when they were last saved."""
    return [
        [{k: v for k, v in row.items() if k != "updated_at"} for row in rows.values()]
        for rows in (Order.objects.order_by("id"), OrderItem.objects.order_by("id"))
    ]


# --- unknown fields ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "errors"),
    [
        pytest.param(
            {"orderNumber": "1001"},
            {"orderNumber": ["Unknown field 'orderNumber'. Did you mean 'number'?"]},
            id="order",
        ),
        pytest.param(
            {"items": [{"sku": "A"}, {"sku": "B", "qty": 2}]},
            {"items": [{}, {"qty": ["Unknown field 'qty'. Did you mean 'quantity'?"]}]},
            id="item",
        ),
        pytest.param(
            {"shipping_address": {"city": "Rio", "zip": "1"}},
            {"shipping_address": {"zip": ["Unknown field 'zip'. Did you mean 'zipcode'?"]}},
            id="shipping-address",
        ),
        pytest.param(
            {"billing_address": {"street": "Main"}},
            {"billing_address": {"street": ["Unknown field 'street'."]}},
            id="billing-address",
        ),
    ],
)
def test_post_with_an_unknown_field_is_400_naming_it_and_writes_nothing(
    api_client, customer, changes, errors
):
    response = api_client.post(URL, _body(customer, **changes), format="json")

    assert response.status_code == 400
    assert response.data == errors
    assert not Order.objects.exists()


@pytest.mark.parametrize("method", ["put", "patch"])
def test_edit_with_an_unknown_field_is_400_and_changes_nothing(api_client, order, method):
    before = _snapshot()
    body = copy.deepcopy(order)
    body["status"] = "refunded"
    body["items"][1]["unitPrice"] = "1.00"

    response = getattr(api_client, method)(f"{URL}{order['id']}/", body, format="json")

    assert response.status_code == 400
    assert response.data == {
        "items": [{}, {"unitPrice": ["Unknown field 'unitPrice'. Did you mean 'unit_price'?"]}]
    }
    assert _snapshot() == before


def test_unknown_names_that_look_like_paths_are_a_400_not_a_500(api_client, customer):
    items = [{"sku": "A", "": 1, "a.b": 2}, {"sku": "B", "quantity": 0}]

    response = api_client.post(URL, _body(customer, items=items, **{"items.1": 3}), format="json")

    assert response.status_code == 400
    assert response.data["items"][0]["non_field_errors"] == ["Unknown field ''."]
    assert response.data["items"][0]["a"] == {"b": ["Unknown field 'a.b'."]}
    assert "quantity" in response.data["items"][1]
    assert response.data["items"][1]["non_field_errors"] == [
        "Unknown field 'items.1'. Did you mean 'items'?"
    ]
    assert not Order.objects.exists()


# --- read bodies sent back --------------------------------------------------------------------


def test_a_read_order_put_back_as_it_is_changes_nothing(api_client, order):
    before = _snapshot()
    body = {**order, "version": "anything"}

    response = api_client.put(f"{URL}{order['id']}/", body, format="json")

    assert response.status_code == 200, response.data
    assert stable(response.data) == stable(order)
    assert _snapshot() == before
    assert OrderCustomData.objects.count() == 2


def test_null_for_text_fields_that_read_blank_means_blank(api_client, order):
    body = copy.deepcopy(order)
    body["items"][0]["name"] = None
    body["shipping_address"]["company"] = None

    response = api_client.put(f"{URL}{order['id']}/", body, format="json")

    assert response.status_code == 200, response.data
    assert response.data["items"][0]["name"] == ""
    assert response.data["shipping_address"]["company"] == ""
    assert OrderItem.objects.get(pk=order["items"][0]["id"]).name == ""


# Write-once: the channel of an order never changes (a 400 naming it, below).
ORDER_SKIPPED = (*ORDER_READ_ONLY_FIELDS, *ITEM_READ_ONLY_FIELDS, "channel")
# What an order field changes to when its type alone does not make a valid value.
ORDER_OVERRIDES = {
    "customer": lambda _: CustomerFactory(channel__code="web").pk,
    "currency": lambda _: "EUR",
    "shipping_address.country": lambda _: "BR",
    "billing_address.country": lambda _: "BR",
}


@pytest.mark.parametrize("path", list(leaf_paths(OrderOutputSerializer(), skip=ORDER_SKIPPED)))
def test_order_round_trip_changes_exactly_one_field(api_client, order, path):
    # given
    field = leaf_paths(OrderOutputSerializer())[path]
    old = path_get(order, path)
    body = copy.deepcopy(order)
    path_set(body, path, ORDER_OVERRIDES.get(path, lambda old: changed(field, old))(old))

    # when
    response = api_client.put(f"{URL}{order['id']}/", body, format="json")

    # then
    assert response.status_code == 200, response.data
    assert path_get(response.data, path) != old
    assert stable(response.data) == stable(body)
    assert stable(api_client.get(f"{URL}{order['id']}/").data) == stable(body)


def test_order_put_with_another_channel_is_400_naming_it(api_client, order):
    ChannelFactory(code="shop")
    before = _snapshot()

    response = api_client.put(f"{URL}{order['id']}/", {**order, "channel": "shop"}, format="json")

    assert response.status_code == 400
    assert response.data == {"channel": [CHANNEL_IMMUTABLE]}
    assert _snapshot() == before


# --- custom data ------------------------------------------------------------------------------


@pytest.fixture(params=["order", "item"])
def custom_data_url(request, order):
    """Order-level and item-level custom data behave alike."""
    if request.param == "order":
        return f"{URL}{order['id']}/custom-data/"
    return f"{URL}{order['id']}/items/{order['items'][0]['id']}/custom-data/"


def test_custom_data_post_with_an_unknown_field_is_400_and_writes_nothing(
    api_client, custom_data_url
):
    body = {"name": "note", "value": "Leave at the door", "val": "Leave at the door"}

    response = api_client.post(custom_data_url, body, format="json")

    assert response.status_code == 400
    assert response.data == {"val": ["Unknown field 'val'. Did you mean 'value'?"]}
    assert not OrderCustomData.objects.filter(name="note").exists()


@pytest.mark.parametrize("method", ["put", "patch"])
def test_custom_data_edit_with_an_unknown_field_is_400_and_changes_nothing(
    api_client, custom_data_url, method
):
    read = api_client.get(custom_data_url).data["results"][0]

    response = getattr(api_client, method)(
        f"{custom_data_url}{read['id']}/", {**read, "value": "New", "key": "x"}, format="json"
    )

    assert response.status_code == 400
    assert response.data == {"key": ["Unknown field 'key'."]}
    assert OrderCustomData.objects.get(pk=read["id"]).value == read["value"]


def test_a_read_custom_data_record_posted_elsewhere_creates_it(api_client, order):
    read = api_client.get(f"{URL}{order['id']}/custom-data/").data["results"][0]
    item_url = f"{URL}{order['id']}/items/{order['items'][1]['id']}/custom-data/"

    response = api_client.post(item_url, {**read, "version": "1"}, format="json")

    assert response.status_code == 201, response.data
    assert (response.data["name"], response.data["item"]) == ("gift", order["items"][1]["id"])


# `name` identifies a record among its siblings: changing it is a 400 (below).
CUSTOM_DATA_WRITE_ONCE = ("name",)


@pytest.mark.parametrize(
    "path", list(writable_paths(OrderCustomDataSerializer(), skip=CUSTOM_DATA_WRITE_ONCE))
)
def test_custom_data_round_trip_changes_exactly_one_field(api_client, custom_data_url, path):
    # given
    read = api_client.get(custom_data_url).data["results"][0]
    url = f"{custom_data_url}{read['id']}/"
    field = OrderCustomDataSerializer().fields[path]
    body = {**read, path: changed(field, read[path])}

    # when
    response = api_client.put(url, body, format="json")

    # then
    assert response.status_code == 200, response.data
    assert stable(response.data) == stable(body)
    assert stable(api_client.get(url).data) == stable(body)


def test_custom_data_put_with_another_name_is_400_naming_it(api_client, custom_data_url):
    read = api_client.get(custom_data_url).data["results"][0]

    response = api_client.put(
        f"{custom_data_url}{read['id']}/", {**read, "name": "other"}, format="json"
    )

    assert response.status_code == 400
    assert response.data == {"name": [CUSTOM_DATA_NAME_IMMUTABLE]}
    assert OrderCustomData.objects.get(pk=read["id"]).name == read["name"]
