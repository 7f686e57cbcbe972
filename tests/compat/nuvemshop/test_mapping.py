"""The dialect's vocabulary agrees with the seed, the serializer and the native validator."""

from compat.nuvemshop.mapping import ADDRESS_FIELDS, BILLING_FIELDS, CUSTOMER_FIELDS
from compat.nuvemshop.serializers import NuvemshopAddressSerializer, NuvemshopCustomerSerializer
from customers.imports import nuvemshop
from tests.compat.nuvemshop.conftest import seed


def test_billing_names_are_the_validators():
    assert set(BILLING_FIELDS) <= set(nuvemshop.BILLING_FIELDS)
    assert nuvemshop.BILLING_STREET in BILLING_FIELDS


def test_representation_is_the_seeds_in_its_order():
    example = seed("get_response")
    fields = NuvemshopCustomerSerializer().fields
    shown = [name for name, field in fields.items() if not field.write_only]

    assert shown == list(CUSTOMER_FIELDS)
    assert shown == [*example, "active"]
    assert list(NuvemshopAddressSerializer().fields) == list(ADDRESS_FIELDS)
    assert list(ADDRESS_FIELDS) == list(example["default_address"])
