"""The billing (`b_*`) and shipping blocks change the billing and the default address."""

import pytest

from customers.models import Address
from tests.compat.xml.conftest import url
from tests.customers.factories import AddressFactory, CustomerFactory

pytestmark = pytest.mark.django_db


def _put(send, fields: str):
    response = send(
        "put", url("web", "Customer/a"), f"<ResultSet><Customer>{fields}</Customer></ResultSet>"
    )
    assert response.status_code == 200, response.content
    return response


@pytest.fixture
def customer(channel):
    return CustomerFactory(channel=channel, username="a", email="a@example.com")


def _addresses(customer) -> list[tuple]:
    return list(
        Address.objects.filter(customer=customer)
        .order_by("id")
        .values_list("city", "is_billing", "is_default")
    )


def test_billing_on_a_customer_without_addresses_adds_one(send, customer):
    _put(send, "<b_city>Bill</b_city>")

    # the first address is the default one too, as natively
    assert _addresses(customer) == [("Bill", True, True)]


def test_a_shared_address_splits_when_one_block_changes(send, customer):
    # given one address that is both the billing and the shipping one
    AddressFactory(customer=customer, city="Both", is_billing=True, is_default=True)

    # when only the shipping city changes
    _put(send, "<city>Ship</city>")

    # then the billing block keeps what it showed, and shipping gets its own address
    assert _addresses(customer) == [("Both", True, False), ("Ship", False, True)]


def test_separate_addresses_change_in_place(send, customer):
    AddressFactory(customer=customer, city="Bill", is_billing=True, is_default=False)
    AddressFactory(customer=customer, city="Ship", is_billing=False, is_default=True)
    kept = AddressFactory(customer=customer, city="Other", is_billing=False, is_default=False)

    _put(send, "<b_city>Bill 2</b_city><city>Ship 2</city>")

    assert _addresses(customer) == [
        ("Bill 2", True, False),
        ("Ship 2", False, True),
        ("Other", False, False),
    ]
    assert Address.objects.get(pk=kept.pk).version == kept.version


def test_both_blocks_on_a_shared_address(send, customer):
    AddressFactory(customer=customer, city="Both", zipcode="1", is_billing=True, is_default=True)

    _put(send, "<b_city>Bill</b_city><city>Ship</city>")

    rows = list(
        Address.objects.filter(customer=customer)
        .order_by("id")
        .values_list("city", "zipcode", "is_billing", "is_default")
    )
    assert rows == [("Ship", "1", False, True), ("Bill", "1", True, False)]


def test_a_put_without_address_fields_leaves_addresses_alone(send, customer):
    address = AddressFactory(customer=customer, city="Both", is_billing=True, is_default=True)

    _put(send, "<b_fname>New</b_fname>")

    assert _addresses(customer) == [("Both", True, True)]
    assert Address.objects.get(pk=address.pk).version == address.version
