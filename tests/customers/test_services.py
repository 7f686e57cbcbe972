import os

import pytest
from django.core.management import call_command

from customers.imports.rows import RowInvalid
from customers.models import Channel
from customers.services import (
    customer_authenticate,
    customer_create,
    customer_update,
    customer_validate,
)
from customers.validation import (
    CHANNEL_IMMUTABLE,
    DISCOUNT_RANGE,
    EMAIL_TAKEN,
    NOT_AN_OBJECT,
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


def test_customer_validate_names_every_bad_field():
    channel = ChannelFactory(code="web")
    channels = Channel.objects.all()
    CustomerFactory(channel=channel, email="taken@x.com")
    data = {"channel": "web", "email": " TAKEN@x.com ", "discount_percent": 101}
    with pytest.raises(RowInvalid) as error:
        customer_validate(data=data, channels=channels)
    assert error.value.errors == {"discount_percent": [DISCOUNT_RANGE]}
    data.update(discount_percent=5, attributes=["x"])
    with pytest.raises(RowInvalid) as error:
        customer_validate(data=data, channels=channels)
    assert error.value.errors == {"attributes": [NOT_AN_OBJECT]}
    data["attributes"] = {}
    with pytest.raises(RowInvalid) as error:
        customer_validate(data=data, channels=channels)
    assert error.value.errors == {"email": [EMAIL_TAKEN]}


def test_customer_update_refuses_another_channel(api_user):
    customer = CustomerFactory()
    other = ChannelFactory()
    with pytest.raises(RowInvalid) as error:
        customer_update(
            customer=customer, data={"channel": other.code}, user=api_user, partial=True
        )
    assert error.value.errors == {"channel": [CHANNEL_IMMUTABLE]}


def test_authenticate_unknown_customer_still_hashes(monkeypatch):
    calls = []
    import customers.services as services

    monkeypatch.setattr(services, "make_password", lambda raw: calls.append(raw) or "x")
    assert customer_authenticate(channel="none", email="a@x.com", password="pw") is None
    assert len(calls) == 1


def test_authenticate_matches_password_of_its_channel(api_user):
    ChannelFactory(code="web")
    customer = customer_create(
        data={"channel": "web", "email": "a@x.com", "password": "Corr3ct-horse"}, user=api_user
    )
    assert customer_authenticate(channel="web", email="a@x.com", password="Corr3ct-horse") == (
        customer
    )
    assert customer_authenticate(channel="shop", email="a@x.com", password="Corr3ct-horse") is None


def test_openapi_schema_builds_without_warnings():
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", os.devnull)
