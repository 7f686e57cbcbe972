"""Kibo's Custom Order Data and Custom Order Item Data APIs (seed 001)."""

import pytest

from customers.models import Customer
from orders.models import OrderCustomData
from orders.services import CUSTOM_DATA_NAME_IMMUTABLE, CUSTOM_DATA_NAME_TAKEN, order_delete
from tests.customers.factories import ChannelFactory
from tests.orders.factories import OrderCustomDataFactory, OrderFactory, OrderItemFactory

pytestmark = pytest.mark.django_db

EXAMPLE = {"name": "Example Data", "value": "This is sample custom data."}
NEW_VALUE = {"name": "Example Data", "value": "This is new text for the sample custom data."}


@pytest.fixture
def order():
    return OrderFactory()


@pytest.fixture
def item(order):
    return OrderItemFactory(order=order)


def _order_url(order):
    return f"/api/v1/orders/{order.pk}/custom-data/"


def _item_url(order, item):
    return f"/api/v1/orders/{order.pk}/items/{item.pk}/custom-data/"


@pytest.fixture(params=["order", "item"])
def target(request, order, item):
    """The same behaviour for order-level and item-level records."""
    if request.param == "order":
        return {"url": _order_url(order), "order": order, "item": None}
    return {"url": _item_url(order, item), "order": order, "item": item}


def test_kibo_post_example_is_201(api_client, target):
    response = api_client.post(target["url"], EXAMPLE, format="json")

    assert response.status_code == 201, response.data
    record = OrderCustomData.objects.get()
    assert response.data == {
        "id": record.pk,
        "order": target["order"].pk,
        "item": target["item"].pk if target["item"] else None,
        **EXAMPLE,
        "created_at": response.data["created_at"],
        "updated_at": response.data["updated_at"],
        "version": 1,
    }


def test_kibo_put_example_changes_the_value(api_client, target):
    record_id = api_client.post(target["url"], EXAMPLE, format="json").data["id"]

    response = api_client.put(f"{target['url']}{record_id}/", NEW_VALUE, format="json")

    assert response.status_code == 200, response.data
    assert response.data["value"] == NEW_VALUE["value"]
    assert OrderCustomData.objects.get().value == NEW_VALUE["value"]


def test_kibo_delete_example_is_204(api_client, target):
    record_id = api_client.post(target["url"], EXAMPLE, format="json").data["id"]

    response = api_client.delete(f"{target['url']}{record_id}/")

    assert response.status_code == 204
    assert not OrderCustomData.objects.exists()


def test_get_list_and_one(api_client, target):
    first = api_client.post(target["url"], EXAMPLE, format="json").data
    second = api_client.post(target["url"], {"name": "b", "value": "2"}, format="json").data

    listing = api_client.get(target["url"])
    one = api_client.get(f"{target['url']}{first['id']}/")

    assert listing.status_code == 200
    assert [row["id"] for row in listing.data["results"]] == [first["id"], second["id"]]
    assert one.data == first


def test_order_and_item_records_are_kept_apart(api_client, order, item):
    api_client.post(_order_url(order), EXAMPLE, format="json")
    same_name_on_item = api_client.post(_item_url(order, item), EXAMPLE, format="json")

    assert same_name_on_item.status_code == 201
    assert api_client.get(_order_url(order)).data["count"] == 1
    assert api_client.get(_item_url(order, item)).data["count"] == 1


def test_patch_value(api_client, target):
    record_id = api_client.post(target["url"], EXAMPLE, format="json").data["id"]

    response = api_client.patch(f"{target['url']}{record_id}/", {"value": "x"}, format="json")

    assert response.status_code == 200
    assert response.data["name"] == EXAMPLE["name"]
    assert response.data["value"] == "x"


@pytest.mark.parametrize("method", ["put", "patch"])
def test_changing_the_name_is_400_and_changes_nothing(api_client, target, method):
    record_id = api_client.post(target["url"], EXAMPLE, format="json").data["id"]

    response = getattr(api_client, method)(
        f"{target['url']}{record_id}/", {"name": "Renamed", "value": "changed"}, format="json"
    )

    assert response.status_code == 400
    assert response.data == {"name": [CUSTOM_DATA_NAME_IMMUTABLE]}
    record = OrderCustomData.objects.get()
    assert (record.name, record.value) == (EXAMPLE["name"], EXAMPLE["value"])


def test_duplicate_name_is_400(api_client, target):
    api_client.post(target["url"], EXAMPLE, format="json")

    response = api_client.post(target["url"], EXAMPLE, format="json")

    assert response.status_code == 400
    assert response.data == {"name": [CUSTOM_DATA_NAME_TAKEN]}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        pytest.param({"name": "", "value": "v"}, "name", id="empty-name"),
        pytest.param({"name": "n" * 101, "value": "v"}, "name", id="long-name"),
        pytest.param({"name": "n", "value": ""}, "value", id="empty-value"),
        pytest.param({"name": "n", "value": "v" * 1001}, "value", id="long-value"),
        pytest.param({"value": "v"}, "name", id="missing-name"),
        pytest.param({"name": "n"}, "value", id="missing-value"),
    ],
)
def test_lengths_are_checked(api_client, target, body, field):
    response = api_client.post(target["url"], body, format="json")

    assert response.status_code == 400
    assert field in response.data


@pytest.mark.parametrize(("name", "value"), [("n", "v"), ("n" * 100, "v" * 1000)])
def test_length_bounds_are_accepted(api_client, target, name, value):
    response = api_client.post(target["url"], {"name": name, "value": value}, format="json")
    assert response.status_code == 201


def test_unknown_order_is_404(api_client):
    assert api_client.get("/api/v1/orders/999999/custom-data/").status_code == 404
    response = api_client.post("/api/v1/orders/999999/custom-data/", EXAMPLE, format="json")
    assert response.status_code == 404


def test_unknown_record_is_404(api_client, target):
    assert api_client.get(f"{target['url']}999999/").status_code == 404
    assert api_client.delete(f"{target['url']}999999/").status_code == 404


def test_item_of_another_order_is_404(api_client, order):
    foreign_item = OrderItemFactory()

    response = api_client.post(_item_url(order, foreign_item), EXAMPLE, format="json")

    assert response.status_code == 404
    assert not OrderCustomData.objects.exists()


def test_record_of_another_order_is_404(api_client, order):
    foreign = OrderCustomDataFactory()

    assert api_client.get(f"{_order_url(order)}{foreign.pk}/").status_code == 404


def test_item_record_is_not_reachable_as_an_order_record(api_client, order, item):
    record = OrderCustomDataFactory(order=order, item=item)

    assert api_client.get(f"{_order_url(order)}{record.pk}/").status_code == 404


def test_order_of_a_hidden_channel_is_404(api_client, api_user, order):
    api_user.api_channels.add(ChannelFactory(code="mine"))

    assert api_client.get(_order_url(order)).status_code == 404


def test_order_representation_lists_its_custom_data(api_client, order, item):
    api_client.post(_order_url(order), EXAMPLE, format="json")
    api_client.post(_item_url(order, item), {"name": "engraving", "value": "AB"}, format="json")

    response = api_client.get(f"/api/v1/orders/{order.pk}/")

    assert [(row["name"], row["value"]) for row in response.data["custom_data"]] == [
        (EXAMPLE["name"], EXAMPLE["value"])
    ]
    assert [row["name"] for row in response.data["items"][0]["custom_data"]] == ["engraving"]


def test_user_without_permissions_gets_403(anon_client, django_user_model, order):
    anon_client.force_authenticate(django_user_model.objects.create_user("nobody"))
    assert anon_client.get(_order_url(order)).status_code == 403


def test_list_query_count_is_constant(api_client, order, list_read_within):
    OrderCustomDataFactory.create_batch(5, order=order)

    list_read_within(api_client, _order_url(order), queries=7, count=5)


def test_deleting_an_order_deletes_its_custom_data(order, item):
    OrderCustomDataFactory(order=order)
    OrderCustomDataFactory(order=order, item=item)

    order_delete(order=order)

    assert not OrderCustomData.objects.exists()
    assert Customer.objects.filter(pk=order.customer_id).exists()
