"""GET → change one writable field → PUT the whole body leaves exactly that change, for a
customer (every field the model declares writable, plus name, email and groups), for an
address through its endpoint and inside the customer's `addresses`, which PUT and PATCH
treat as the customer's whole address list."""

import datetime
from decimal import Decimal

import pytest
from django.db import models
from django.utils.dateparse import parse_datetime

from customers.imports.rows import ADDRESS_LISTED_TWICE, ADDRESS_NOT_OWN, NAME_CONFLICT
from customers.models import (
    ADDRESS_FLAG_FIELDS,
    ADDRESS_TEXT_FIELDS,
    CUSTOMER_EDITABLE_FIELDS,
    Address,
    Customer,
)
from tests.customers.factories import AddressFactory, CustomerFactory
from tests.groups.factories import UserCustomerGroupFactory, UserGroupFactory
from tests.round_trips import CHANGING

pytestmark = pytest.mark.django_db

URL = "/api/v1/customers/"
# What a change of the key field also changes in the answer.
DERIVED = {
    "first_name": {"name"},
    "last_name": {"name"},
    "name": {"first_name", "last_name"},
    "status": {"is_active"},
}
ADDRESS_DERIVED = {"default_address", "billing_address"}


def _changed(field: models.Field, current):
    """Another valid value for a model field, as an API body sends it."""
    if field.choices:
        return next(value for value, _ in field.choices if value != current)
    if field.name == "country":
        return "BR" if current != "BR" else "PE"
    kinds = [
        (models.BooleanField, lambda: not current),
        (models.DecimalField, lambda: "12.50"),
        (models.JSONField, lambda: {"changed": ["yes"]}),
        (models.DateTimeField, lambda: "2020-02-03T04:05:06Z"),
        (models.DateField, lambda: "1990-05-01"),
        (models.CharField | models.TextField, lambda: "Changed 1"[: field.max_length or 9]),
    ]
    return next(make() for kind, make in kinds if isinstance(field, kind))


def _same(answer, sent) -> bool:
    """The answer shows the sent value (datetimes compared as instants)."""
    if isinstance(sent, str) and isinstance(answer, str) and parse_datetime(sent):
        return parse_datetime(answer) == parse_datetime(sent)
    return answer == sent


def _without(body: dict, names) -> dict:
    return {name: value for name, value in body.items() if name not in names}


@pytest.fixture
def customer(web):
    """A customer with every kind of value set, an address and a group."""
    customer = CustomerFactory(
        channel=web,
        first_name="Ann",
        last_name="Lee",
        username="ann",
        note="a note",
        date_of_birth=datetime.date(1980, 1, 2),
        discount_percent=Decimal("5.00"),
        attributes={"tier": "gold"},
    )
    AddressFactory(customer=customer, is_default=True, floor="2")
    UserCustomerGroupFactory(customer=customer, group=UserGroupFactory(code="vip"))
    UserGroupFactory(code="news")
    return customer


CUSTOMER_CHANGES = [
    *(
        pytest.param(name, lambda field, body, name=name: _changed(field, body[name]), id=name)
        for name in CUSTOMER_EDITABLE_FIELDS
    ),
    pytest.param("email", lambda field, body: "changed@example.com", id="email"),
    pytest.param("name", lambda field, body: "Bo Cy Dee", id="name"),
    pytest.param("groups", lambda field, body: ["news", "vip"], id="groups"),
]


@pytest.mark.parametrize(("name", "change"), CUSTOMER_CHANGES)
def test_customer_round_trip_changes_exactly_one_field(api_client, customer, name, change):
    # given
    url = f"{URL}{customer.pk}/"
    before = api_client.get(url).data
    field = Customer._meta.get_field(name) if name in CUSTOMER_EDITABLE_FIELDS else None
    sent = change(field, before)

    # when
    response = api_client.put(url, {**before, name: sent}, format="json")

    # then
    assert response.status_code == 200, response.data
    after = api_client.get(url).data
    assert _same(after[name], sent), (after[name], sent)
    moved = {name, *CHANGING, *DERIVED.get(name, ())}
    assert _without(after, moved) == _without(before, moved)


def test_customer_round_trip_covers_every_writable_field():
    covered = {param.values[0] for param in CUSTOMER_CHANGES}
    assert covered == {*CUSTOMER_EDITABLE_FIELDS, "email", "name", "groups"}


def test_unchanged_get_body_put_back_changes_nothing(api_client, customer):
    url = f"{URL}{customer.pk}/"
    before = api_client.get(url).data

    response = api_client.put(url, before, format="json")

    assert response.status_code == 200, response.data
    assert api_client.get(url).data == before


ADDRESS_FIELDS = [*ADDRESS_TEXT_FIELDS, *ADDRESS_FLAG_FIELDS]


@pytest.mark.parametrize("name", ADDRESS_FIELDS)
def test_address_endpoint_round_trip_changes_exactly_one_field(api_client, customer, name):
    # given
    address = customer.addresses.get()
    url = f"{URL}{customer.pk}/addresses/{address.pk}/"
    before = api_client.get(url).data
    sent = _changed(Address._meta.get_field(name), before[name])

    # when
    response = api_client.put(url, {**before, name: sent}, format="json")

    # then
    assert response.status_code == 200, response.data
    after = api_client.get(url).data
    assert after[name] == sent
    assert _without(after, {name, *CHANGING}) == _without(before, {name, *CHANGING})


@pytest.mark.parametrize("name", ADDRESS_FIELDS)
def test_address_in_customer_round_trip_changes_exactly_one_field(api_client, customer, name):
    # given
    url = f"{URL}{customer.pk}/"
    before = api_client.get(url).data
    [address] = before["addresses"]
    sent = _changed(Address._meta.get_field(name), address[name])

    # when
    body = {**before, "addresses": [{**address, name: sent}]}
    response = api_client.put(url, body, format="json")

    # then
    assert response.status_code == 200, response.data
    after = api_client.get(url).data
    [changed] = after["addresses"]
    assert changed[name] == sent
    assert _without(changed, {name, *CHANGING}) == _without(address, {name, *CHANGING})
    moved = {"addresses", *ADDRESS_DERIVED, "version"}  # an address changed: a new version
    assert _without(after, moved) == _without(before, moved)


# --- `addresses` is the whole list on PUT and PATCH ---------------------------------------------


def _addresses(customer) -> list[tuple]:
    return list(customer.addresses.order_by("pk").values_list("city", "is_default", "is_billing"))


@pytest.mark.parametrize("method", ["put", "patch"])
def test_addresses_list_updates_adds_and_removes(api_client, web, method):
    # given: A (default), B (billing), C
    customer = CustomerFactory(channel=web)
    a = AddressFactory(customer=customer, city="A", is_default=True)
    b = AddressFactory(customer=customer, city="B", is_billing=True)
    AddressFactory(customer=customer, city="C")
    body = {"channel": "web", "email": customer.email} if method == "put" else {}

    # when: B renamed, D added as the default, A and C left out
    body["addresses"] = [{"id": b.pk, "city": "B2"}, {"city": "D", "is_default": True}]
    response = getattr(api_client, method)(f"{URL}{customer.pk}/", body, format="json")

    # then
    assert response.status_code == 200, response.data
    assert _addresses(customer) == [("B2", False, True), ("D", True, False)]
    assert customer.addresses.filter(pk=b.pk).exists()
    assert not customer.addresses.filter(pk=a.pk).exists()
    assert response.data["default_address"]["city"] == "D"


def test_addresses_absent_leaves_them_and_empty_list_removes_them(api_client, web):
    customer = CustomerFactory(channel=web)
    AddressFactory(customer=customer, city="A", is_default=True)
    url = f"{URL}{customer.pk}/"

    assert api_client.patch(url, {"note": "x"}, format="json").status_code == 200
    assert _addresses(customer) == [("A", True, False)]
    assert api_client.patch(url, {"addresses": None}, format="json").status_code == 200
    assert _addresses(customer) == [("A", True, False)]

    assert api_client.patch(url, {"addresses": []}, format="json").status_code == 200
    assert _addresses(customer) == []


def test_default_flag_moves_between_listed_addresses(api_client, web):
    customer = CustomerFactory(channel=web)
    a = AddressFactory(customer=customer, city="A", is_default=True, is_billing=True)
    b = AddressFactory(customer=customer, city="B")
    items = [{"id": a.pk}, {"id": b.pk, "is_default": True, "is_billing": True}]

    response = api_client.patch(f"{URL}{customer.pk}/", {"addresses": items}, format="json")

    assert response.status_code == 200, response.data
    assert _addresses(customer) == [("A", False, False), ("B", True, True)]


def test_removing_the_default_makes_the_first_listed_address_the_default(api_client, web):
    customer = CustomerFactory(channel=web)
    AddressFactory(customer=customer, city="A", is_default=True)
    b = AddressFactory(customer=customer, city="B")

    response = api_client.patch(
        f"{URL}{customer.pk}/", {"addresses": [{"id": b.pk}, {"city": "C"}]}, format="json"
    )

    assert response.status_code == 200, response.data
    assert _addresses(customer) == [("B", True, False), ("C", False, False)]


@pytest.mark.parametrize(
    ("items", "message"),
    [
        pytest.param("other", ADDRESS_NOT_OWN, id="another-customers-address"),
        pytest.param(999999, ADDRESS_NOT_OWN, id="no-such-address"),
        pytest.param("twice", ADDRESS_LISTED_TWICE, id="same-address-twice"),
        pytest.param("abc", "A valid integer is required.", id="not-a-number"),
    ],
)
def test_address_id_not_of_this_customer_is_400_and_nothing_changes(
    api_client, web, items, message
):
    # given
    customer = CustomerFactory(channel=web, note="kept")
    own = AddressFactory(customer=customer, city="A", is_default=True)
    other = AddressFactory(customer=CustomerFactory(channel=web), city="X")
    pk = {"other": other.pk, "twice": own.pk}.get(items, items)
    body = {"note": "changed", "addresses": [{"id": own.pk, "city": "A2"}, {"id": pk}]}

    # when
    response = api_client.patch(f"{URL}{customer.pk}/", body, format="json")

    # then
    assert response.status_code == 400
    assert response.data == {"addresses": [{}, {"id": [message]}]}
    customer.refresh_from_db()
    assert customer.note == "kept"
    assert _addresses(customer) == [("A", True, False)]
    assert Address.objects.filter(pk=other.pk, city="X").exists()


def test_upsert_keeps_adding_addresses_unless_identical(api_client, web):
    customer = CustomerFactory(channel=web)
    Address.objects.create(customer=customer, city="A", is_default=True, country="BR")
    item = {"channel": "web", "email": customer.email}
    item["addresses"] = [{"city": "A", "country": "BR"}, {"id": 5, "city": "B"}]

    response = api_client.post(f"{URL}upsert/", item, format="json")

    assert response.status_code == 200, response.data
    assert _addresses(customer) == [("A", True, False), ("B", False, False)]


# --- name next to first_name / last_name --------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "stored"),
    [
        pytest.param({"name": "Bo Cy"}, ("Bo", "Cy"), id="name-changed-names-echoed"),
        pytest.param({"first_name": "Bo"}, ("Bo", "Lee"), id="first-name-changed-name-echoed"),
        pytest.param(
            {"name": "Bo Cy", "first_name": "Bo", "last_name": "Cy"},
            ("Bo", "Cy"),
            id="both-changed-and-agree",
        ),
    ],
)
def test_put_name_and_names(api_client, web, change, stored):
    customer = CustomerFactory(channel=web, first_name="Ann", last_name="Lee")
    url = f"{URL}{customer.pk}/"
    before = api_client.get(url).data

    response = api_client.put(url, {**before, **change}, format="json")

    assert response.status_code == 200, response.data
    customer.refresh_from_db()
    assert (customer.first_name, customer.last_name) == stored


def test_put_name_and_first_name_both_changed_differently_is_400(api_client, web):
    customer = CustomerFactory(channel=web, first_name="Ann", last_name="Lee")
    url = f"{URL}{customer.pk}/"
    before = api_client.get(url).data

    response = api_client.put(url, {**before, "name": "Bo Cy", "first_name": "Di"}, format="json")

    assert response.status_code == 400
    assert response.data == {"name": [NAME_CONFLICT]}
    customer.refresh_from_db()
    assert (customer.first_name, customer.last_name) == ("Ann", "Lee")
