"""Imports, commands and the admin emit exactly their events; rolled-back writes none."""

import json

import pytest
from django.contrib.admin import helpers
from django.db import transaction
from django.urls import reverse

from customers.models import Customer
from customers.services import customer_create
from events.models import Event
from groups.models import UserCustomerGroup
from orders.models import Order
from tests.admin.helpers import CUSTOMER_ADD, CUSTOMERS, address_form, customer_form
from tests.customers.factories import AddressFactory, ChannelFactory, CustomerFactory
from tests.groups.factories import UserGroupFactory
from tests.imports.helpers import run

pytestmark = pytest.mark.django_db

CSV = "channel,email,first_name,groups,address.city,address.country\n"


@pytest.fixture
def channel():
    return ChannelFactory(code="web", currency="USD")


@pytest.fixture
def write(tmp_path):
    def write(name: str, text: str) -> str:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return str(path)

    return write


def test_import_customers_emits_per_batch_and_a_rerun_nothing(channel, outbox, write):
    UserGroupFactory(code="vip")
    first = write("a.csv", CSV + "web,ann@example.com,Ann,vip,Rio,BR\nweb,bob@example.com,Bob,,,\n")
    changed = write("b.csv", CSV + "web,ann@example.com,Anna,vip,Rio,BR\n")

    created = run("import_customers", first)
    created_events = outbox.take()
    rerun = run("import_customers", first)
    rerun_events = outbox.take()
    updated = run("import_customers", changed)

    assert [code for code, *_ in (created, rerun, updated)] == [0, 0, 0]
    ann = Customer.objects.get(email="ann@example.com")
    bob = Customer.objects.get(email="bob@example.com")
    # One statement per kind and batch, in no particular order; a new customer's address
    # and membership are listed in its customer.created.
    assert sorted(created_events) == [
        ("customer.created", "customer", ann.pk, None),
        ("customer.created", "customer", bob.pk, None),
    ]
    payloads = {e.object_id: e.payload for e in Event.objects.filter(type="customer.created")}
    assert [a["id"] for a in payloads[ann.pk]["addresses"]] == [ann.addresses.get().pk]
    assert [m["id"] for m in payloads[ann.pk]["memberships"]] == [ann.memberships.get().pk]
    assert (payloads[bob.pk]["addresses"], payloads[bob.pk]["memberships"]) == ([], [])
    assert rerun_events == []
    assert outbox.take() == [("customer.updated", "customer", ann.pk, ["first_name"])]
    assert set(Event.objects.values_list("actor_source", flat=True)) == {"import"}


def test_existing_customers_new_address_and_group_get_their_own_events(channel, outbox, write):
    """In one batch: the new customer's address and membership are listed in its
    customer.created; the existing customer's new ones get address.created and
    membership.added."""
    UserGroupFactory(code="vip")
    ann = CustomerFactory(channel=channel, email="ann@example.com", first_name="Ann")
    rows = "web,ann@example.com,Ann,vip,Rio,BR\nweb,cid@example.com,Cid,vip,Lima,PE\n"

    code, _, _ = run("import_customers", write("a.csv", CSV + rows))

    assert code == 0
    cid = Customer.objects.get(email="cid@example.com")
    events = outbox.take()
    assert sorted(events) == [
        ("address.created", "address", ann.addresses.get().pk, None),
        ("customer.created", "customer", cid.pk, None),
        ("membership.added", "membership", ann.memberships.get().pk, None),
    ]
    created = Event.objects.get(type="customer.created").payload
    assert [a["city"] for a in created["addresses"]] == ["Lima"]
    assert [m["customer_id"] for m in created["memberships"]] == [cid.pk]


def test_import_dry_run_emits_nothing(channel, outbox, write):
    code, _, _ = run(
        "import_customers", write("a.csv", CSV + "web,a@example.com,A,,,\n"), dry_run=True
    )

    assert code == 0
    assert outbox.take() == []


def test_import_orders_emits_the_orders_and_their_customers(channel, outbox, write):
    line = {
        "channel": "web",
        "number": "W-1",
        "status": "paid",
        "customer": {"email": "ann@example.com"},
        "items": [{"sku": "A", "quantity": 1, "unit_price": "10.00"}],
    }
    path = write("o.ndjson", json.dumps(line) + "\n")
    changed = write("p.ndjson", json.dumps({**line, "status": "refunded"}) + "\n")

    first = run("import_orders", path)
    first_events = outbox.take()
    again = run("import_orders", path)
    again_events = outbox.take()
    refunded = run("import_orders", changed)

    assert [code for code, *_ in (first, again, refunded)] == [0, 0, 0]
    order, ann = Order.objects.get(), Customer.objects.get()
    assert first_events == [
        ("customer.created", "customer", ann.pk, None),
        ("order.created", "order", order.pk, None),
    ]
    assert again_events == []
    assert outbox.take() == [("order.updated", "order", order.pk, ["status"])]
    assert set(Event.objects.values_list("actor_source", flat=True)) == {"import"}


def test_an_atomic_block_that_raises_emits_nothing(channel, outbox, superuser):
    written = []

    def write_then_fail():
        with transaction.atomic():
            customer_create(data={"channel": "web", "email": "gone@example.com"}, user=superuser)
            written.append(Event.objects.filter(type="customer.created").count())
            raise RuntimeError

    with pytest.raises(RuntimeError):
        write_then_fail()

    assert written == [1]
    assert outbox.take() == []
    assert not Customer.objects.exists()


def test_a_failing_order_write_emits_nothing(channel, outbox, api_client):
    """The order's buyer is upserted first; the order then fails: neither is recorded."""
    body = {
        "channel": "web",
        "number": "1",
        "customer": {"email": "new@example.com"},
        "items": [{"sku": "A", "quantity": 1, "unit_price": "-1"}],
    }

    response = api_client.post("/api/v1/orders/", body, format="json")

    assert response.status_code == 400
    assert outbox.take() == []


def test_events_can_be_turned_off(channel, outbox, superuser, settings):
    settings.EVENTS_ENABLED = False

    customer_create(data={"channel": "web", "email": "quiet@example.com"}, user=superuser)

    assert outbox.take() == []


# --- admin --------------------------------------------------------------------------------------


def test_admin_add_edit_and_delete(staff_client, staff_user, outbox, channel):
    added = staff_client.post(
        CUSTOMER_ADD,
        customer_form(
            channel="web",
            email="adm@example.com",
            addresses=[address_form(city="Rio", country="BR")],
        ),
    )
    customer = Customer.objects.get(email="adm@example.com")
    address = customer.addresses.get()
    add_events = outbox.take()
    edited = staff_client.post(
        reverse("admin:customers_customer_change", args=[customer.pk]),
        customer_form(
            customer,
            channel="web",
            email="adm@example.com",
            first_name="Ada",
            addresses=[address_form(address)],
        ),
    )
    edit_events = outbox.take()
    deleted = staff_client.post(
        reverse("admin:customers_customer_delete", args=[customer.pk]), {"post": "yes"}
    )

    assert [r.status_code for r in (added, edited, deleted)] == [302, 302, 302]
    assert add_events == [
        ("customer.created", "customer", customer.pk, None),
        ("address.created", "address", address.pk, None),
    ]
    assert edit_events == [("customer.updated", "customer", customer.pk, ["first_name"])]
    assert outbox.take() == [
        ("address.deleted", "address", address.pk, None),
        ("customer.deleted", "customer", customer.pk, None),
    ]
    sources = set(Event.objects.values_list("actor_source", "actor_user_id"))
    assert sources == {("admin", staff_user.pk)}


def _action(client, action, customers, **extra):
    data = {
        "action": action,
        "index": "0",
        helpers.ACTION_CHECKBOX_NAME: [str(c.pk) for c in customers],
        **extra,
    }
    return client.post(CUSTOMERS, data)


def test_admin_bulk_actions(staff_client, outbox, channel):
    ann, bob = (CustomerFactory(channel=channel, status="active") for _ in range(2))
    vip = UserGroupFactory(code="vip")
    AddressFactory(customer=bob)

    frozen = _action(staff_client, "customers_freeze", [ann, bob])
    freeze_events = outbox.take()
    grouped = _action(staff_client, "customers_group_add", [ann], group=str(vip.pk), apply="yes")
    membership = UserCustomerGroup.objects.get()
    group_events = outbox.take()
    removed = _action(staff_client, "customers_group_remove", [ann], group=str(vip.pk), apply="yes")
    remove_events = outbox.take()
    anonymized = _action(staff_client, "customers_anonymize", [bob], apply="yes")

    assert [r.status_code for r in (frozen, grouped, removed, anonymized)] == [302] * 4
    assert sorted(freeze_events) == [  # one set-based statement: in no particular order
        ("customer.updated", "customer", ann.pk, ["status"]),
        ("customer.updated", "customer", bob.pk, ["status"]),
    ]
    assert group_events == [("membership.added", "membership", membership.pk, None)]
    assert remove_events == [("membership.removed", "membership", membership.pk, None)]
    assert outbox.take() == [("customer.anonymized", "customer", bob.pk, None)]
