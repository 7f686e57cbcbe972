"""Round trips: written in the Kibo dialect and read natively, and the reverse; nothing lost."""

import pytest

from orders.models import OrderCustomData
from tests.customers.factories import CustomerFactory
from tests.orders.factories import OrderFactory, OrderItemFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def order(channel):
    return OrderFactory(customer=CustomerFactory(channel=channel))


@pytest.mark.parametrize("level", ["order", "item"])
def test_custom_data_written_in_kibo_reads_natively(token_client, channel, order, level):
    item = OrderItemFactory(order=order) if level == "item" else None
    kibo = f"/compat/kibo/{channel.code}/api/v2/order/{order.pk}/"
    native = f"/api/v1/orders/{order.pk}/"
    if item is not None:
        kibo += f"item/{item.pk}/"
        native += f"items/{item.pk}/"
    body = {"name": "gift", "value": "  wrapped  ", "manufacturerID": 42, "catalogID": 0}

    created = token_client.post(kibo + "customData", body, format="json").json()
    record_id = created["orderCustomDataID"]
    read = token_client.get(f"{native}custom-data/{record_id}/").json()
    whole_order = token_client.get(native if item is None else f"/api/v1/orders/{order.pk}/")

    assert (read["id"], read["order"], read["name"], read["value"]) == (
        record_id,
        order.pk,
        "gift",
        "  wrapped  ",
    )
    assert read["item"] == (item.pk if item else None)
    custom_data = whole_order.json()["custom_data"]
    if item is not None:
        custom_data = whole_order.json()["items"][0]["custom_data"]
    assert [row["id"] for row in custom_data] == [record_id]
    # The catalogue numbers have no native field; they are stored and Kibo reads them back.
    stored = OrderCustomData.objects.get(pk=record_id)
    assert (stored.manufacturer_number, stored.catalog_number) == (42, 0)
    assert token_client.get(f"{kibo}customData/{record_id}").json() == created


def test_custom_data_written_natively_reads_in_kibo(token_client, channel, order):
    native = token_client.post(
        f"/api/v1/orders/{order.pk}/custom-data/", {"name": "note", "value": "ring twice"}
    ).json()
    kibo = token_client.get(
        f"/compat/kibo/{channel.code}/api/v2/order/{order.pk}/customData/{native['id']}"
    ).json()

    assert kibo == {
        "orderCustomDataID": native["id"],
        "orderID": order.pk,
        "manufacturerID": None,
        "catalogID": None,
        "name": "note",
        "value": "ring twice",
    }
    # A native edit of the value shows in Kibo, and a Kibo edit natively.
    token_client.patch(f"/api/v1/orders/{order.pk}/custom-data/{native['id']}/", {"value": "v2"})
    url = f"/compat/kibo/{channel.code}/api/v2/order/{order.pk}/customData/{native['id']}"
    assert token_client.get(url).json()["value"] == "v2"
    token_client.put(url, {"name": "note", "value": "v3"}, format="json")
    assert (
        token_client.get(f"/api/v1/orders/{order.pk}/custom-data/{native['id']}/").json()["value"]
        == "v3"
    )


def test_customer_written_natively_reads_in_kibo(token_client, channel):
    body = {
        "channel": channel.code,
        "email": "Maria@Example.com",
        "first_name": "María",
        "last_name": "Souza",
        "phone": "+55 11 5555-0000",
        "phone_secondary": "+55 11 5555-0001",
        "status": "frozen",
        "password": "s3cret-pass-123",
        "attributes": {"tier": "gold"},
        "addresses": [{"address": "Rua A", "number": "10", "city": "São Paulo", "country": "BR"}],
    }
    created = token_client.post("/api/v1/customers/", body, format="json").json()
    base = f"/compat/kibo/{channel.code}/api/v2/customer/"

    record = token_client.get(f"{base}{created['id']}").json()
    [row] = token_client.get(base, {"customerID": created["id"]}).json()["collection"]

    assert record == {
        "customerID": str(created["id"]),
        "firstName": "María",
        "lastName": "Souza",
        "email": "maria@example.com",
        "password": "*****",
        "phone1": "+55 11 5555-0000",
        "active": "FROZEN",
        "customData": [{"name": "tier", "value": "gold"}],
    }
    assert row["phones"] == ["+55 11 5555-0000", "+55 11 5555-0001"]
    assert row["recentAddresses"] == ["Rua A 10, São Paulo, BR"]
    assert (row["totalOrders"], row["recentOrders"], row["lastPurchase"]) == (0, [], None)
    native = token_client.get(
        f"/api/v1/customers/{created['id']}/", {"expand": "phones,recent_addresses"}
    ).json()
    assert (native["phones"], native["recent_addresses"]) == (
        row["phones"],
        row["recentAddresses"],
    )
