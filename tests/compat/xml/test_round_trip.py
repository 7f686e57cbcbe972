"""Written in the dialect, read natively, and the reverse: nothing the dialect names is lost."""

import json

import pytest

from groups.models import UserCustomerGroup
from tests.compat.xml.conftest import url
from tests.groups.factories import UserGroupFactory

pytestmark = pytest.mark.django_db

FULL_NODE = {
    "username": "jane",
    "password": "a-Long-passw0rd",
    "email": "Jane@Example.com",
    "phone_day": "+64 9 123",
    "phone_night": "+64 9 456",
    "b_company": "Acme",
    "b_fname": "Jane",
    "b_lname": "Doe",
    "b_address1": "1 Bill St",
    "b_address2": "Floor 2",
    "b_address3": "Suite 3",
    "b_city": "Auckland",
    "b_state": "AUK",
    "b_zip": "1010",
    "b_country": "nz",
    "company": "Acme Depot",
    "fname": "Jim",
    "lname": "Doe",
    "address1": "9 Ship Rd",
    "address2": "Gate 4",
    "address3": "Dock 5",
    "city": "Wellington",
    "state": "WGN",
    "zip": "6011",
    "country": "NZ",
    "inactive": "1",
    "discount": "20",
    "no_email": "0",
    "mv_shipmode": "courier",
    "custom_data1": "a",
    "custom_data2": "b",
    "custom_data3": "c",
    "custom_data4": "d",
}


def _xml(node: dict, groups: str = "") -> str:
    fields = "".join(f"<{name}>{value}</{name}>" for name, value in node.items())
    return f"<ResultSet><Customer>{fields}{groups}</Customer></ResultSet>"


@pytest.fixture
def vip(db):
    return UserGroupFactory(code="vip", title="VIP", visibility="public", subscribe_text="Join!")


def test_dialect_write_reads_back_natively(send, client, channel, vip):
    # given a Customer node with every field and a membership with its own fields
    membership = (
        "<UserCustomerGroup><username>jane</username><group_code>vip</group_code>"
        "<subscribed>false</subscribed><custom_data2>tier-2</custom_data2></UserCustomerGroup>"
    )
    # when it is POSTed in the dialect
    written = send("post", url("web", "Customer+UserCustomerGroups"), _xml(FULL_NODE, membership))
    assert written.status_code == 200, written.content
    # then the native API reads every field under Patron's names
    customer_id = client.get("/api/v1/customers/?username=jane").json()["results"][0]["id"]
    native = client.get(f"/api/v1/customers/{customer_id}/?expand=memberships").json()
    assert {
        name: native[name]
        for name in (
            "channel",
            "username",
            "email",
            "first_name",
            "last_name",
            "company",
            "phone",
            "phone_secondary",
            "status",
            "discount_percent",
            "email_allowed",
            "preferred_shipping_method",
            "extra_field",
            "groups",
            "has_password",
        )
    } == {
        "channel": "web",
        "username": "jane",
        "email": "jane@example.com",
        "first_name": "Jane",
        "last_name": "Doe",
        "company": "Acme",
        "phone": "+64 9 123",
        "phone_secondary": "+64 9 456",
        "status": "inactive",
        "discount_percent": "20.00",
        "email_allowed": True,
        "preferred_shipping_method": "courier",
        "extra_field": {f"custom_data{n}": value for n, value in zip("1234", "abcd", strict=True)},
        "groups": ["vip"],
        "has_password": True,
    }
    addresses = {
        ("billing" if address["is_billing"] else "shipping"): address
        for address in native["addresses"]
    }
    assert len(native["addresses"]) == 2
    assert {
        name: addresses["billing"][name]
        for name in ("address", "address2", "address3", "city", "province", "zipcode", "country")
    } == {
        "address": "1 Bill St",
        "address2": "Floor 2",
        "address3": "Suite 3",
        "city": "Auckland",
        "province": "AUK",
        "zipcode": "1010",
        "country": "NZ",
    }
    assert addresses["shipping"]["is_default"] is True
    assert {
        name: addresses["shipping"][name]
        for name in ("first_name", "last_name", "company", "address", "address2", "address3")
    } == {
        "first_name": "Jim",
        "last_name": "Doe",
        "company": "Acme Depot",
        "address": "9 Ship Rd",
        "address2": "Gate 4",
        "address3": "Dock 5",
    }
    (native_membership,) = native["memberships"]
    assert native_membership["subscribed"] is False
    stored = UserCustomerGroup.objects.get(customer_id=customer_id)
    assert stored.attributes == {"custom_data2": "tier-2"}
    # and the dialect reads back exactly what was sent (the password never)
    read = client.get(
        url("web", "Customer+UserCustomerGroups/jane"), HTTP_ACCEPT="application/json"
    )
    (node,) = read.json()["ResultSet"]["Customer"]
    expected = {**FULL_NODE, "email": "jane@example.com", "b_country": "NZ"}
    expected.pop("password")
    expected.update(inactive=True, discount=20, no_email=False)
    assert {name: node[name] for name in expected} == expected
    assert "password" not in node
    (group,) = node["UserCustomerGroup"]
    assert group["subscribed"] is False
    assert group["custom_data2"] == "tier-2"


def test_native_write_reads_back_in_the_dialect(client, channel, vip):
    # given a customer written natively, with distinct billing and shipping addresses
    body = {
        "channel": "web",
        "email": "ann@example.com",
        "username": "ann",
        "first_name": "Ann",
        "last_name": "Lee",
        "company": "Lee Ltd",
        "phone": "111",
        "phone_secondary": "222",
        "status": "active",
        "discount_percent": "12.50",
        "email_allowed": False,
        "preferred_shipping_method": "pickup",
        "extra_field": {"custom_data3": "x", "other": 1},
        "groups": ["vip"],
        "addresses": [
            {
                "address": "B st",
                "city": "Bill",
                "country": "BR",
                "is_billing": True,
                "is_default": False,
            },
            {
                "first_name": "Al",
                "last_name": "Lee",
                "company": "Ship Co",
                "address": "S st",
                "address2": "2",
                "address3": "3",
                "city": "Ship",
                "province": "SP",
                "zipcode": "01000",
                "country": "BR",
                "is_default": True,
            },
        ],
    }
    created = client.post("/api/v1/customers/", body, format="json")
    assert created.status_code == 201, created.content
    # when the dialect reads it with its groups
    read = client.get(
        url("web", "Customer+(UserCustomerGroups+UserGroups)/ann"), HTTP_ACCEPT="application/json"
    )
    # then every mapped field shows under the dialect's name
    assert read.status_code == 200
    (node,) = read.json()["ResultSet"]["Customer"]
    assert node == {
        "username": "ann",
        "email": "ann@example.com",
        "phone_day": "111",
        "phone_night": "222",
        "b_company": "Lee Ltd",
        "b_fname": "Ann",
        "b_lname": "Lee",
        "b_address1": "B st",
        "b_address2": "",
        "b_address3": "",
        "b_city": "Bill",
        "b_state": "",
        "b_zip": "",
        "b_country": "BR",
        "company": "Ship Co",
        "fname": "Al",
        "lname": "Lee",
        "address1": "S st",
        "address2": "2",
        "address3": "3",
        "city": "Ship",
        "state": "SP",
        "zip": "01000",
        "country": "BR",
        "inactive": False,
        "discount": 12.5,
        "no_email": True,
        "mv_shipmode": "pickup",
        "custom_data1": "",
        "custom_data2": "",
        "custom_data3": "x",
        "custom_data4": "",
        "UserCustomerGroup": [
            {
                "code": UserCustomerGroup.objects.get().pk,
                "username": "ann",
                "group_code": "vip",
                "subscribed": True,
                "custom_data1": "",
                "custom_data2": "",
                "custom_data3": "",
                "custom_data4": "",
                "UserGroup": [
                    {
                        "code": "vip",
                        "title": "VIP",
                        "description": "",
                        "subscribable": True,
                        "subscribe_text": "Join!",
                        "parent_code": "",
                    }
                ],
            }
        ],
    }


def test_a_read_sent_back_changes_nothing(send, client, channel, vip):
    """GET → PUT the same node: the customer and its version stay as they were."""
    send("post", url("web", "Customer+UserCustomerGroups"), _xml(FULL_NODE))
    path = url("web", "Customer+(UserCustomerGroups+UserGroups)/jane")
    before = client.get(path, HTTP_ACCEPT="application/json").json()
    native_before = client.get("/api/v1/customers/?username=jane").json()["results"][0]

    response = send("put", path, json.dumps(before), content_type="application/json")

    assert response.status_code == 200, response.content
    assert client.get(path, HTTP_ACCEPT="application/json").json() == before
    native_after = client.get("/api/v1/customers/?username=jane").json()["results"][0]
    assert native_after == native_before


def test_extra_field_keys_besides_custom_data_are_kept(client, send, channel):
    client.post(
        "/api/v1/customers/",
        {"channel": "web", "email": "k@example.com", "username": "k", "extra_field": {"a": 1}},
        format="json",
    )

    send("put", url("web", "Customer/k"), _xml({"custom_data1": "one"}))
    send("put", url("web", "Customer/k"), _xml({"custom_data1": ""}))
    send("put", url("web", "Customer/k"), _xml({"custom_data4": "four"}))

    native = client.get("/api/v1/customers/?username=k").json()["results"][0]
    assert native["extra_field"] == {"a": 1, "custom_data4": "four"}


def test_a_frozen_customer_sent_back_inactive_stays_frozen(client, send, channel):
    client.post(
        "/api/v1/customers/",
        {"channel": "web", "email": "f@example.com", "username": "f", "status": "frozen"},
        format="json",
    )

    send("put", url("web", "Customer/f"), _xml({"inactive": "true"}))
    frozen = client.get("/api/v1/customers/?username=f").json()["results"][0]["status"]
    send("put", url("web", "Customer/f"), _xml({"inactive": "false"}))
    active = client.get("/api/v1/customers/?username=f").json()["results"][0]["status"]

    assert (frozen, active) == ("frozen", "active")


def test_memberships_sent_replace_the_customers_groups(send, client, channel, vip):
    UserGroupFactory(code="dealer")
    groups = "".join(
        f"<UserCustomerGroup><group_code>{code}</group_code></UserCustomerGroup>"
        for code in ("vip", "dealer")
    )
    send("post", url("web", "Customer+UserCustomerGroups"), _xml({**FULL_NODE}, groups))

    response = send(
        "put",
        url("web", "Customer+UserCustomerGroups/jane"),
        _xml({}, "<UserCustomerGroup><group_code>dealer</group_code></UserCustomerGroup>"),
    )
    untouched = send("put", url("web", "Customer+UserCustomerGroups/jane"), _xml({"b_fname": "J"}))

    assert response.status_code == untouched.status_code == 200
    native = client.get("/api/v1/customers/?username=jane").json()["results"][0]
    assert native["groups"] == ["dealer"]
