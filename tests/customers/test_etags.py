"""A customer's version covers its addresses, memberships and statistics, on every write path;
two editors sending the same If-Match never both win."""

import pytest
from django.contrib.auth import get_user_model
from django.db import connection

from config.versions import VERSION_CHANGED
from customers.models import Customer
from groups.models import UserCustomerGroup
from tests.conftest import api_client_for
from tests.customers.factories import AddressFactory, CustomerFactory
from tests.groups.factories import UserGroupFactory
from tests.threads import threads_run

pytestmark = pytest.mark.django_db

URL = "/api/v1/customers/"


def _etag(client, customer) -> str:
    return client.get(f"{URL}{customer.pk}/")["ETag"]


def _address_add(client, customer):
    client.post(f"{URL}{customer.pk}/addresses/", {"city": "Rio"}, format="json")


def _address_change(client, customer):
    address = AddressFactory(customer=customer)
    before = _etag(client, customer)
    client.patch(f"{URL}{customer.pk}/addresses/{address.pk}/", {"city": "Lima"}, format="json")
    return before


def _address_delete(client, customer):
    address = AddressFactory(customer=customer)
    before = _etag(client, customer)
    client.delete(f"{URL}{customer.pk}/addresses/{address.pk}/")
    return before


def _membership_add(client, customer):
    UserGroupFactory(code="vip")
    client.post(f"{URL}{customer.pk}/memberships/", {"group": "vip"}, format="json")


def _membership_change(client, customer):
    UserCustomerGroup.objects.create(customer=customer, group=UserGroupFactory(code="vip"))
    before = _etag(client, customer)
    client.patch(f"{URL}{customer.pk}/memberships/vip/", {"subscribed": False}, format="json")
    return before


def _membership_delete(client, customer):
    UserCustomerGroup.objects.create(customer=customer, group=UserGroupFactory(code="vip"))
    before = _etag(client, customer)
    client.delete(f"{URL}{customer.pk}/memberships/vip/")
    return before


def _groups_replaced_by_patch(client, customer):
    UserGroupFactory(code="vip")
    client.patch(f"{URL}{customer.pk}/", {"groups": ["vip"]}, format="json")


def _order_placed(client, customer):
    body = {"channel": customer.channel.code, "number": "A1", "customer": customer.pk}
    client.post("/api/v1/orders/", {**body, "total": "10.00"}, format="json")


def _group_deleted(client, customer):
    UserCustomerGroup.objects.create(customer=customer, group=UserGroupFactory(code="vip"))
    before = _etag(client, customer)
    client.delete("/api/v1/groups/vip/")
    return before


CHANGES = {
    "address added": _address_add,
    "address changed": _address_change,
    "address deleted": _address_delete,
    "membership added": _membership_add,
    "membership changed": _membership_change,
    "membership deleted": _membership_delete,
    "groups replaced by PATCH": _groups_replaced_by_patch,
    "order placed (statistics)": _order_placed,
    "group deleted": _group_deleted,
}


@pytest.mark.parametrize("change", CHANGES.values(), ids=CHANGES.keys())
def test_a_change_the_customer_shows_changes_its_etag(api_client, change):
    # given
    customer = CustomerFactory()
    before = _etag(api_client, customer)

    # when: a change helper that needs its own setup reads the ETag after it
    before = change(api_client, customer) or before

    # then
    after = api_client.get(f"{URL}{customer.pk}/")
    assert after["ETag"] != before
    assert api_client.get(f"{URL}{customer.pk}/", HTTP_IF_NONE_MATCH=before).status_code == 200


def test_a_put_that_changes_nothing_keeps_the_etag(api_client):
    # given
    customer = CustomerFactory()
    body = api_client.get(f"{URL}{customer.pk}/").json()
    etag = f'"{body["version"]}"'

    # when
    response = api_client.put(
        f"{URL}{customer.pk}/",
        {"channel": body["channel"], "email": body["email"], "first_name": body["first_name"]},
        format="json",
        HTTP_IF_MATCH=etag,
    )

    # then
    assert response.status_code == 200, response.content
    assert response["ETag"] == etag


@pytest.mark.parametrize("count", [pytest.param(3, id="inline"), pytest.param(25, id="staged")])
def test_a_bulk_upsert_counts_a_version_for_each_customer_it_changed(api_client, count):
    # given: one customer of two gets a new name, every third a new address
    customers = [CustomerFactory(first_name="Old") for _ in range(count)]
    before = {c.pk: c.version for c in customers}
    body = [
        {
            "channel": c.channel.code,
            "email": c.email,
            **({"first_name": "New"} if n % 2 else {}),
            **({"addresses": [{"city": "Rio"}]} if n % 3 == 0 else {}),
        }
        for n, c in enumerate(customers)
    ]

    # when
    response = api_client.post(f"{URL}upsert/", body, format="json")

    # then
    assert response.status_code == 200, response.content
    after = dict(Customer.objects.values_list("pk", "version"))
    expected = {
        c.pk: before[c.pk] + (1 if n % 2 or n % 3 == 0 else 0) for n, c in enumerate(customers)
    }
    assert after == expected
    listed = api_client.get(URL, {"per_page": 200}).json()["results"]
    assert {item["id"]: item["version"] for item in listed} == expected


def test_a_stale_put_is_412_and_leaves_the_customer_and_its_addresses(api_client):
    # given: another client changed the customer after this one read it
    customer = CustomerFactory(first_name="Ann")
    stale = _etag(api_client, customer)
    api_client.patch(f"{URL}{customer.pk}/", {"phone": "+1 555"}, format="json")
    body = {
        "channel": customer.channel.code,
        "email": customer.email,
        "first_name": "Bob",
        "addresses": [{"city": "Rio"}],
        "groups": [],
    }

    # when
    response = api_client.put(f"{URL}{customer.pk}/", body, format="json", HTTP_IF_MATCH=stale)

    # then
    assert (response.status_code, response.json()) == (412, {"detail": VERSION_CHANGED})
    customer.refresh_from_db()
    assert (customer.first_name, customer.phone, customer.addresses.count()) == ("Ann", "+1 555", 0)


ROUNDS = 3


def _at_once(put) -> list:
    """put(0) and put(1) in two threads on PostgreSQL. SQLite's test database is shared-cache
    in memory, where a second writer fails at once ("table is locked") instead of queueing as
    on a database file (IMMEDIATE transactions): there they run one after the other, which is
    what IMMEDIATE makes of concurrent writers."""
    if connection.vendor == "postgresql":
        return threads_run(put, 2)
    return [put(0), put(1)]


@pytest.mark.django_db(transaction=True)
def test_two_editors_with_the_same_if_match_one_wins_whole_the_other_gets_412():
    """Both read the customer, both PUT a different change with its ETag at once."""
    # given
    user = get_user_model().objects.create_superuser("racer", "racer@example.com", "pw")
    clients = [api_client_for(user), api_client_for(user)]
    customer = CustomerFactory(first_name="Old", last_name="Old", phone="")
    url = f"{URL}{customer.pk}/"
    for round_ in range(ROUNDS):
        bodies = [
            {"first_name": f"Ann{round_}", "last_name": "Alpha", "phone": f"+1 {round_}"},
            {"first_name": f"Bob{round_}", "last_name": "Beta", "phone": f"+2 {round_}"},
        ]
        etags = [client.get(url)["ETag"] for client in clients]
        assert etags[0] == etags[1]

        # when
        def put(index, etags=etags, bodies=bodies):
            body = {"channel": customer.channel.code, "email": customer.email, **bodies[index]}
            return clients[index].put(url, body, format="json", HTTP_IF_MATCH=etags[index])

        responses = _at_once(put)

        # then: exactly one won, and the customer holds the winner's change whole
        statuses = [response.status_code for response in responses]
        assert sorted(statuses) == [200, 412], [r.content for r in responses]
        winner = statuses.index(200)
        assert responses[1 - winner].json() == {"detail": VERSION_CHANGED}
        customer.refresh_from_db()
        assert {name: getattr(customer, name) for name in bodies[winner]} == bodies[winner]
        assert responses[winner]["ETag"] == f'"{customer.version}"' != etags[0]
