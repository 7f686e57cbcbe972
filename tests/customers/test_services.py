import os

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command

from customers.models import Customer
from customers.services import customer_authenticate, customer_create, customer_update
from customers.validation import (
    CHANNEL_IMMUTABLE,
    DISCOUNT_RANGE,
    EMAIL_TAKEN,
    NOT_AN_OBJECT,
    customer_clean,
    name_split,
)
from tests.customers.factories import ChannelFactory, CustomerFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        pytest.param("First Last", ("First", "Last"), id="two"),
        pytest.param("Zé da Silva", ("Zé", "da Silva"), id="three"),
        pytest.param(" Cher ", ("Cher", ""), id="one"),
        pytest.param("", ("", ""), id="empty"),
    ],
)
def test_name_split(name, expected):
    assert name_split(name) == expected


def test_customer_clean_names_every_bad_field():
    channel = ChannelFactory()
    CustomerFactory(channel=channel, email="taken@x.com")
    customer = Customer(channel=channel, email=" TAKEN@x.com ", discount_percent=101)
    with pytest.raises(ValidationError) as error:
        customer_clean(customer)
    assert error.value.message_dict == {"discount_percent": [DISCOUNT_RANGE]}
    customer.discount_percent, customer.attributes = 5, ["x"]
    with pytest.raises(ValidationError) as error:
        customer_clean(customer)
    assert error.value.message_dict == {"attributes": [NOT_AN_OBJECT]}
    customer.attributes = {}
    with pytest.raises(ValidationError) as error:
        customer_clean(customer)
    assert error.value.message_dict == {"email": [EMAIL_TAKEN]}
    assert customer.email == "taken@x.com"


def test_customer_update_refuses_another_channel():
    customer = CustomerFactory()
    with pytest.raises(ValidationError, match=CHANNEL_IMMUTABLE):
        customer_update(customer=customer, data={"channel": ChannelFactory()})


def test_authenticate_unknown_customer_still_hashes(monkeypatch):
    calls = []
    import customers.services as services

    monkeypatch.setattr(services, "make_password", lambda raw: calls.append(raw) or "x")
    assert customer_authenticate(channel="none", email="a@x.com", password="pw") is None
    assert len(calls) == 1


def test_authenticate_matches_password_of_its_channel():
    customer = customer_create(
        channel=ChannelFactory(code="web"), data={"email": "a@x.com"}, password="Corr3ct-horse"
    )
    assert customer_authenticate(channel="web", email="a@x.com", password="Corr3ct-horse") == (
        customer
    )
    assert customer_authenticate(channel="shop", email="a@x.com", password="Corr3ct-horse") is None


def test_openapi_schema_builds_without_warnings():
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", os.devnull)
