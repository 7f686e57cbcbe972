"""Written in Omnitron's names, read natively, and the reverse: nothing lost."""

import pytest

from compat.omnitron.names import PATRON_NAMES, READ_ONLY_FIELDS
from customers.models import Customer
from tests.compat.omnitron.conftest import BASE, detail_url
from tests.compat.omnitron.test_api import assert_omnitron_customer

pytestmark = pytest.mark.django_db

NATIVE = "/api/v1/customers/"
# The native field each Omnitron field reads as (`is_active` is read-only there too).
NATIVE_NAMES = {**PATRON_NAMES, "is_active": "is_active"}


def _native_value(name: str, omnitron: dict):
    """The native representation's value of an Omnitron field."""
    if name == "is_active":
        return omnitron["is_active"]
    if name == "channel":
        return Customer.objects.get(pk=omnitron["pk"]).channel.code
    return omnitron[name]


def test_written_in_omnitron_read_natively(client, web):
    # given
    body = {
        "email": "ada@example.com",
        "first_name": "Ada",
        "last_name": "Lovelace",
        "phone_number": "+44 20 7946 0000",
        "is_active": False,
        "channel": web.pk,
        "channel_code": "AL-1",
        "erp_code": "ERP-9",
        "attributes": {"tier": "gold", "visits": 3},
        "extra_field": {"source": "marketplace", "nested": {"a": [1, 2]}},
        "email_allowed": True,
        "sms_allowed": True,
        "call_allowed": False,
        "date_joined": "2022-05-01T08:00:00Z",
        "gender": "female",
        "user_type": "registered",
        "date_of_birth": "1815-12-10",
    }
    # when
    written = client.post(BASE, body, format="json")
    native = client.get(f"{NATIVE}{written.data['pk']}/")
    # then
    assert written.status_code == 201, written.data
    assert native.status_code == 200
    for name in written.data:
        assert native.data[NATIVE_NAMES[name]] == _native_value(name, written.data), name
    assert native.data["status"] == "inactive"
    assert {name: written.data[name] for name in body} == body


def test_written_natively_read_in_omnitron(client, web):
    # given
    body = {
        "channel": "web",
        "email": "grace@example.com",
        "first_name": "Grace",
        "last_name": "Hopper",
        "phone": "+1 555 0100",
        "status": "active",
        "gender": "female",
        "user_type": "guest",
        "date_of_birth": "1906-12-09",
        "date_joined": "2021-01-01T00:00:00Z",
        "email_allowed": False,
        "sms_allowed": True,
        "call_allowed": True,
        "erp_code": "E-7",
        "channel_code": "GH",
        "attributes": {"rank": "rear admiral"},
        "extra_field": {"cobol": True},
    }
    # when
    native = client.post(NATIVE, body, format="json")
    omnitron = client.get(detail_url(native.data["id"]))
    # then
    assert native.status_code == 201, native.data
    assert omnitron.status_code == 200
    assert_omnitron_customer(omnitron.data)
    for name in omnitron.data:
        assert native.data[NATIVE_NAMES[name]] == _native_value(name, omnitron.data), name
    assert omnitron.data["channel"] == web.pk


def test_omnitron_put_of_its_own_get_keeps_everything_patron_holds(client, web):
    """A GET sent back as a PUT changes nothing, not even the fields Omnitron cannot show."""
    # given
    native = client.post(
        NATIVE,
        {
            "channel": "web",
            "email": "kept@example.com",
            "company": "ACME",
            "note": "VIP",
            "identification": "12345678901",
            "username": "kept",
            "discount_percent": "12.50",
            "preferred_shipping_method": "express",
            "phone_secondary": "999",
            "addresses": [{"city": "Izmir", "country": "TR"}],
        },
        format="json",
    )
    before = client.get(f"{NATIVE}{native.data['id']}/").data
    read = client.get(detail_url(native.data["id"])).data
    # when
    put = client.put(detail_url(read["pk"]), read, format="json")
    after = client.get(f"{NATIVE}{native.data['id']}/").data
    # then
    assert put.status_code == 200, put.data
    assert {k: v for k, v in put.data.items() if k not in READ_ONLY_FIELDS} == {
        k: v for k, v in read.items() if k not in READ_ONLY_FIELDS
    }
    changing = {"updated_at", "version"}
    assert {k: v for k, v in after.items() if k not in changing} == {
        k: v for k, v in before.items() if k not in changing
    }
