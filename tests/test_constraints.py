"""Every database rule holds even when the ORM is bypassed: each test tries to break one."""

from decimal import Decimal

import pytest
from django.db import DataError, IntegrityError, transaction

from customers.models import Address, Customer
from groups.models import UserCustomerGroup, UserGroup
from orders.models import OrderCustomData
from tests.customers.factories import AddressFactory, ChannelFactory, CustomerFactory
from tests.groups.factories import UserGroupFactory
from tests.orders.factories import OrderFactory, OrderItemFactory

pytestmark = pytest.mark.django_db


def assert_rejected(make):
    # SQLite reports an over-long value as a CHECK failure, PostgreSQL as a DataError.
    with pytest.raises((IntegrityError, DataError)), transaction.atomic():
        make()


def test_email_unique_per_channel_but_not_across_channels():
    customer = CustomerFactory(email="ana@example.com")
    CustomerFactory(email="ana@example.com", channel=ChannelFactory(code="other"))

    assert_rejected(lambda: CustomerFactory(email="ana@example.com", channel=customer.channel))


def test_username_unique_per_channel_when_set():
    channel = ChannelFactory()
    CustomerFactory(channel=channel, username="ana")
    CustomerFactory(channel=channel, username=None)
    CustomerFactory(channel=channel, username=None)

    assert_rejected(lambda: CustomerFactory(channel=channel, username="ana"))


@pytest.mark.parametrize(
    "fields",
    [
        pytest.param({"email": ""}, id="empty-email"),
        pytest.param({"email": "Ana@Example.com"}, id="email-not-lowercase"),
        pytest.param({"username": ""}, id="empty-username"),
        pytest.param({"discount_percent": Decimal("100.01")}, id="discount-over-100"),
        pytest.param({"discount_percent": Decimal("-1")}, id="discount-negative"),
        pytest.param({"total_spent": Decimal("-0.01")}, id="total-spent-negative"),
        pytest.param({"orders_count": -1}, id="orders-count-negative"),
        pytest.param({"status": "deleted"}, id="unknown-status"),
        pytest.param({"gender": "robot"}, id="unknown-gender"),
        pytest.param({"user_type": "admin"}, id="unknown-user-type"),
    ],
)
def test_customer_row_rules(fields):
    assert_rejected(lambda: CustomerFactory(**fields))


def test_discount_bounds_are_inclusive():
    CustomerFactory(discount_percent=Decimal("0"))
    CustomerFactory(discount_percent=Decimal("100"))
    assert Customer.objects.count() == 2


@pytest.mark.parametrize("flag", ["is_default", "is_billing"])
def test_at_most_one_default_and_one_billing_address(flag):
    customer = CustomerFactory()
    AddressFactory(customer=customer, **{flag: True})
    AddressFactory(customer=customer, **{flag: False})
    AddressFactory(customer=CustomerFactory(), **{flag: True})

    assert_rejected(lambda: AddressFactory(customer=customer, **{flag: True}))


@pytest.mark.parametrize("country", ["us", "USA", "1"])
def test_address_country_is_iso_alpha2(country):
    assert_rejected(lambda: AddressFactory(country=country))


def test_membership_unique_per_customer_and_group():
    customer, group = CustomerFactory(), UserGroupFactory()
    UserCustomerGroup.objects.create(customer=customer, group=group)

    assert_rejected(lambda: UserCustomerGroup.objects.create(customer=customer, group=group))


def test_group_cannot_be_its_own_parent():
    group = UserGroupFactory()
    assert_rejected(lambda: UserGroup.objects.filter(pk=group.pk).update(parent=group))


@pytest.mark.parametrize(
    "fields",
    [
        pytest.param({"code": ""}, id="empty-code"),
        pytest.param({"visibility": "secret"}, id="unknown-visibility"),
    ],
)
def test_group_row_rules(fields):
    assert_rejected(lambda: UserGroupFactory(**fields))


def test_order_number_unique_per_channel():
    order = OrderFactory(number="A-1")
    OrderFactory(number="A-1", customer=CustomerFactory(channel=ChannelFactory(code="other")))

    assert_rejected(
        lambda: OrderFactory(number="A-1", customer=CustomerFactory(channel=order.channel))
    )


@pytest.mark.parametrize(
    "fields",
    [
        pytest.param({"number": ""}, id="empty-number"),
        pytest.param({"status": "lost"}, id="unknown-status"),
        pytest.param({"currency": "usd"}, id="currency-not-iso"),
        *(
            pytest.param({field: Decimal("-0.01")}, id=f"{field}-negative")
            for field in ("subtotal", "shipping_total", "tax_total", "discount_total", "total")
        ),
    ],
)
def test_order_row_rules(fields):
    assert_rejected(lambda: OrderFactory(**fields))


@pytest.mark.parametrize(
    "fields",
    [
        pytest.param({"quantity": 0}, id="zero-quantity"),
        pytest.param({"unit_price": Decimal("-1")}, id="negative-price"),
        pytest.param({"sku": ""}, id="empty-sku"),
    ],
)
def test_order_item_row_rules(fields):
    assert_rejected(lambda: OrderItemFactory(**fields))


def test_custom_data_name_unique_per_order():
    order = OrderFactory()
    OrderCustomData.objects.create(order=order, name="gift", value="yes")
    OrderCustomData.objects.create(order=OrderFactory(), name="gift", value="yes")

    assert_rejected(lambda: OrderCustomData.objects.create(order=order, name="gift", value="no"))


def test_custom_data_name_unique_per_item_independent_of_order_level():
    item = OrderItemFactory()
    OrderCustomData.objects.create(order=item.order, name="engraving", value="A")
    OrderCustomData.objects.create(order=item.order, item=item, name="engraving", value="B")

    assert_rejected(
        lambda: OrderCustomData.objects.create(
            order=item.order, item=item, name="engraving", value="C"
        )
    )


@pytest.mark.parametrize(
    "fields",
    [pytest.param({"name": ""}, id="empty-name"), pytest.param({"value": ""}, id="empty-value")],
)
def test_custom_data_name_and_value_not_empty(fields):
    data = {"name": "gift", "value": "yes", **fields}
    assert_rejected(lambda: OrderCustomData.objects.create(order=OrderFactory(), **data))


def test_customer_with_orders_cannot_be_deleted():
    order = OrderFactory()
    from django.db.models import ProtectedError

    with pytest.raises(ProtectedError):
        order.customer.delete()


def test_deleting_a_customer_removes_its_addresses():
    address = AddressFactory()
    address.customer.delete()
    assert not Address.objects.exists()


def test_deleting_last_order_clears_customer_reference():
    order = OrderFactory()
    Customer.objects.filter(pk=order.customer_id).update(last_order=order)
    order.delete()
    assert Customer.objects.get(pk=order.customer_id).last_order_id is None


def test_channel_currency_is_iso():
    assert_rejected(lambda: ChannelFactory(code="x", currency="dollars"))
