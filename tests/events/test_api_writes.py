"""Every API write emits exactly its events, in the write's transaction."""

import pytest

from customers.models import Channel, Customer
from events.models import Event
from groups.models import UserGroup
from tests.customers.factories import AddressFactory, ChannelFactory, CustomerFactory
from tests.groups.factories import UserCustomerGroupFactory, UserGroupFactory
from tests.imports.helpers import run

pytestmark = pytest.mark.django_db


@pytest.fixture
def channel():
    return ChannelFactory(code="web", currency="USD")


@pytest.fixture
def customer(channel):
    return CustomerFactory(channel=channel, email="ann@example.com", first_name="Ann")


def test_customer_create_with_address_and_group(api_client, api_user, outbox, channel):
    """A new customer's addresses and memberships are listed in its customer.created."""
    vip = UserGroupFactory(code="vip")
    body = {
        "channel": "web",
        "email": "new@example.com",
        "groups": ["vip"],
        "addresses": [{"address": "Main St", "city": "Lisbon", "country": "PT"}],
    }

    response = api_client.post("/api/v1/customers/", body, format="json")

    assert response.status_code == 201, response.data
    pk = response.data["id"]
    customer = Customer.objects.get(pk=pk)
    address, membership = customer.addresses.get(), customer.memberships.get()
    assert outbox.take() == [("customer.created", "customer", pk, None)]
    event = Event.objects.get(type="customer.created")
    assert (event.channel, event.actor_source, event.actor_user_id) == ("web", "api", api_user.pk)
    assert event.payload["email"] == "new@example.com"
    assert not {"password", "last_login_at", "orders_count", "total_spent"} & set(event.payload)
    ((listed_address,), (listed_membership,)) = (
        event.payload["addresses"],
        event.payload["memberships"],
    )
    assert (listed_address["id"], listed_address["city"]) == (address.pk, "Lisbon")
    assert listed_address["is_default"] is True
    assert (listed_membership["id"], listed_membership["group_id"]) == (membership.pk, vip.pk)
    assert listed_membership["subscribed"] is True


def test_customer_put_and_patch_name_the_changed_fields(api_client, outbox, customer):
    url = f"/api/v1/customers/{customer.pk}/"

    patched = api_client.patch(url, {"first_name": "Anna", "phone": "+351 1"}, format="json")
    same = api_client.patch(url, {"first_name": "Anna"}, format="json")
    put = api_client.put(
        url, {"channel": "web", "email": "ann@example.com", "note": "vip"}, format="json"
    )

    assert (patched.status_code, same.status_code, put.status_code) == (200, 200, 200)
    events = outbox.take()
    assert events[0] == ("customer.updated", "customer", customer.pk, ["first_name", "phone"])
    assert events[1][:3] == ("customer.updated", "customer", customer.pk)
    assert "note" in events[1][3]
    assert len(events) == 2


def test_customer_delete_emits_the_cascade_and_tombstones(api_client, outbox, customer):
    address = AddressFactory(customer=customer)
    membership = UserCustomerGroupFactory(customer=customer)

    response = api_client.delete(f"/api/v1/customers/{customer.pk}/")

    assert response.status_code == 204
    assert outbox.take() == [
        ("address.deleted", "address", address.pk, None),
        ("membership.removed", "membership", membership.pk, None),
        ("customer.deleted", "customer", customer.pk, None),
    ]
    tombstone = Event.objects.get(type="customer.deleted")
    assert tombstone.payload == {"id": customer.pk, "channel_id": customer.channel_id}
    assert tombstone.channel == "web"


def test_anonymize_emits_one_event_without_personal_data(api_client, outbox, customer):
    AddressFactory(customer=customer)

    response = api_client.post(f"/api/v1/customers/{customer.pk}/anonymize/")

    assert response.status_code == 200
    assert outbox.take() == [("customer.anonymized", "customer", customer.pk, None)]
    payload = Event.objects.get().payload
    assert payload == {"id": customer.pk, "channel_id": customer.channel_id}


def test_addresses(api_client, outbox, customer):
    base = f"/api/v1/customers/{customer.pk}/addresses/"

    first = api_client.post(base, {"address": "A", "city": "X", "country": "PT"}, format="json")
    second = api_client.post(
        base, {"address": "B", "city": "Y", "country": "PT", "is_default": True}, format="json"
    )
    patched = api_client.patch(f"{base}{first.data['id']}/", {"city": "Z"}, format="json")
    deleted = api_client.delete(f"{base}{second.data['id']}/")

    assert [r.status_code for r in (first, second, patched, deleted)] == [201, 201, 200, 204]
    one, two = first.data["id"], second.data["id"]
    assert outbox.take() == [
        ("address.created", "address", one, None),
        ("address.updated", "address", one, ["is_default"]),
        ("address.created", "address", two, None),
        ("address.updated", "address", one, ["city"]),
        ("address.deleted", "address", two, None),
        ("address.updated", "address", one, ["is_default"]),
    ]


def test_memberships(api_client, outbox, customer):
    UserGroupFactory(code="vip")
    base = f"/api/v1/customers/{customer.pk}/memberships/"

    added = api_client.post(base, {"group": "vip"}, format="json")
    patched = api_client.patch(f"{base}vip/", {"subscribed": False}, format="json")
    removed = api_client.delete(f"{base}vip/")

    assert [r.status_code for r in (added, patched, removed)] == [201, 200, 204]
    (pk,) = set(Event.objects.values_list("object_id", flat=True))
    assert outbox.take() == [
        ("membership.added", "membership", pk, None),
        ("membership.updated", "membership", pk, ["subscribed"]),
        ("membership.removed", "membership", pk, None),
    ]
    assert Event.objects.get(type="membership.removed").payload == {
        "id": pk,
        "customer_id": customer.pk,
        "group_id": UserGroup.objects.get(code="vip").pk,
    }


def test_groups_with_re_parenting_and_delete(api_client, outbox):
    top = api_client.post("/api/v1/groups/", {"code": "top", "title": "Top"}, format="json")
    mid = api_client.post("/api/v1/groups/", {"code": "mid", "title": "Mid"}, format="json")
    low = api_client.post(
        "/api/v1/groups/", {"code": "low", "title": "Low", "parent": "mid"}, format="json"
    )
    moved = api_client.patch("/api/v1/groups/mid/", {"parent": "top"}, format="json")
    ids = dict(UserGroup.objects.values_list("code", "pk"))
    member = UserCustomerGroupFactory(group_id=ids["mid"])
    deleted = api_client.delete("/api/v1/groups/mid/")

    statuses = [r.status_code for r in (top, mid, low, moved, deleted)]
    assert statuses == [201, 201, 201, 200, 204]
    assert outbox.take() == [
        ("group.created", "group", ids["top"], None),
        ("group.created", "group", ids["mid"], None),
        ("group.created", "group", ids["low"], None),
        ("group.updated", "group", ids["mid"], ["parent"]),
        ("group.updated", "group", ids["low"], ["parent"]),
        ("membership.removed", "membership", member.pk, None),
        ("group.deleted", "group", ids["mid"], None),
    ]
    assert Event.objects.get(type="group.deleted").payload == {"id": ids["mid"], "code": "mid"}


def test_channels(api_client, outbox):
    created = api_client.post("/api/v1/channels/", {"code": "b2b", "name": "B2B"}, format="json")
    pk = Channel.objects.get(code="b2b").pk
    patched = api_client.patch("/api/v1/channels/b2b/", {"currency": "EUR"}, format="json")
    deleted = api_client.delete("/api/v1/channels/b2b/")

    assert [r.status_code for r in (created, patched, deleted)] == [201, 200, 204]
    assert outbox.take() == [
        ("channel.created", "channel", pk, None),
        ("channel.updated", "channel", pk, ["currency"]),
        ("channel.deleted", "channel", pk, None),
    ]
    assert set(Event.objects.values_list("channel", flat=True)) == {"b2b"}


def test_upsert_one_and_bulk(api_client, outbox, customer):
    one = api_client.post(
        "/api/v1/customers/upsert/", {"channel": "web", "email": "ann@example.com", "note": "x"}
    )
    bulk = api_client.post(
        "/api/v1/customers/upsert/",
        [
            {"channel": "web", "email": "ann@example.com", "note": "x"},
            {"channel": "web", "email": "bob@example.com"},
        ],
        format="json",
    )

    assert (one.status_code, bulk.status_code) == (200, 200)
    bob = Customer.objects.get(email="bob@example.com")
    assert outbox.take() == [
        ("customer.updated", "customer", customer.pk, ["note"]),
        ("customer.created", "customer", bob.pk, None),
    ]


def test_bulk_upsert_with_a_bad_item_emits_nothing(api_client, outbox, customer):
    response = api_client.post(
        "/api/v1/customers/upsert/",
        [
            {"channel": "web", "email": "new@example.com"},
            {"channel": "web", "email": "not an e-mail"},
        ],
        format="json",
    )

    assert response.status_code == 400
    assert outbox.take() == []


def test_orders_with_items_and_custom_data(api_client, outbox, customer):
    body = {
        "channel": "web",
        "number": "1001",
        "customer": customer.pk,
        "total": "10.00",
        "items": [{"sku": "A", "quantity": 1, "unit_price": "10.00"}],
    }
    created = api_client.post("/api/v1/orders/", body, format="json")
    order = created.data["id"]
    item = created.data["items"][0]["id"]
    patched = api_client.patch(
        f"/api/v1/orders/{order}/",
        {"status": "paid", "items": [{"id": item, "sku": "A", "quantity": 2, "unit_price": "5"}]},
        format="json",
    )
    data = api_client.post(
        f"/api/v1/orders/{order}/custom-data/", {"name": "gift", "value": "yes"}, format="json"
    )
    item_data = api_client.post(
        f"/api/v1/orders/{order}/items/{item}/custom-data/",
        {"name": "wrap", "value": "red"},
        format="json",
    )
    changed = api_client.patch(
        f"/api/v1/orders/{order}/custom-data/{data.data['id']}/", {"value": "no"}, format="json"
    )
    removed = api_client.delete(f"/api/v1/orders/{order}/custom-data/{data.data['id']}/")
    deleted = api_client.delete(f"/api/v1/orders/{order}/")

    statuses = [r.status_code for r in (created, patched, data, item_data, changed, removed)]
    assert statuses == [201, 200, 201, 201, 200, 204]
    assert deleted.status_code == 204
    record, item_record = data.data["id"], item_data.data["id"]
    assert outbox.take() == [
        ("order.created", "order", order, None),
        ("order.updated", "order", order, ["items", "status"]),
        ("order_custom_data.created", "order_custom_data", record, None),
        ("order_custom_data.created", "order_custom_data", item_record, None),
        ("order_custom_data.updated", "order_custom_data", record, ["value"]),
        ("order_custom_data.deleted", "order_custom_data", record, None),
        ("order.deleted", "order", order, None),
    ]
    created_event = Event.objects.get(type="order.created")
    assert [i["sku"] for i in created_event.payload["items"]] == ["A"]
    assert created_event.payload["number"] == "1001"
    assert Event.objects.get(type="order.deleted").payload == {
        "id": order,
        "channel_id": customer.channel_id,
        "customer_id": customer.pk,
    }


def test_removing_an_item_tombstones_its_custom_data(api_client, outbox, customer):
    body = {
        "channel": "web",
        "number": "2001",
        "customer": customer.pk,
        "items": [{"sku": "A", "unit_price": "1"}, {"sku": "B", "unit_price": "2"}],
    }
    order = api_client.post("/api/v1/orders/", body, format="json").data
    kept, dropped = (item["id"] for item in order["items"])
    record = api_client.post(
        f"/api/v1/orders/{order['id']}/items/{dropped}/custom-data/",
        {"name": "wrap", "value": "red"},
        format="json",
    ).data["id"]
    outbox.take()

    response = api_client.patch(
        f"/api/v1/orders/{order['id']}/",
        {"items": [{"id": kept, "sku": "A", "unit_price": "1"}]},
        format="json",
    )

    assert response.status_code == 200, response.data
    assert outbox.take() == [
        ("order_custom_data.deleted", "order_custom_data", record, None),
        ("order.updated", "order", order["id"], ["items"]),
    ]


def test_a_payload_is_the_same_whichever_path_wrote(api_client, outbox, channel, tmp_path):
    """One customer created through the API, its twin through the import (a batch COPY on
    PostgreSQL): the database built both payloads the same way."""
    fields = {"first_name": "Ann", "gender": "female", "email_allowed": True}
    api_client.post("/api/v1/customers/", {"channel": "web", "email": "api@example.com", **fields})
    path = tmp_path / "c.csv"
    path.write_text(
        "channel,email,first_name,gender,email_allowed\nweb,csv@example.com,Ann,female,true\n"
    )
    run("import_customers", str(path))

    api, imported = (e.payload for e in Event.objects.order_by("position"))
    differ = {"id", "email", "created_at", "updated_at", "date_joined"}
    assert set(api) == set(imported)
    assert {k: v for k, v in api.items() if k not in differ} == {
        k: v for k, v in imported.items() if k not in differ
    }
    assert (api["email_allowed"], api["attributes"], api["gender"]) == (True, {}, "female")
