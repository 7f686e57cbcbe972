from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from customers.imports.rows import TOO_LONG
from customers.models import Customer
from orders.models import Order, OrderItem
from orders.services import (
    COUNTED_STATUSES,
    CUSTOMER_OTHER_CHANNEL,
    NUMBER_TAKEN,
    customer_stats_recompute,
    customer_stats_refresh,
    order_create,
    order_delete,
    order_update,
)
from orders.validation import MIN_VALUE
from tests.customers.factories import ChannelFactory, CustomerFactory
from tests.orders.factories import OrderFactory

pytestmark = pytest.mark.django_db

DAY1 = datetime(2024, 1, 1, 12, tzinfo=UTC)
DAY2 = DAY1 + timedelta(days=1)
DAY3 = DAY1 + timedelta(days=2)


def _create(customer, number, total="10.00", status="paid", placed_at=DAY1, **data):
    return order_create(
        channel=customer.channel,
        customer=customer,
        data={
            "number": number,
            "total": Decimal(total),
            "status": status,
            "placed_at": placed_at,
            **data,
        },
    )


def _stats(customer):
    customer.refresh_from_db()
    return (
        customer.orders_count,
        customer.total_spent,
        customer.total_spent_currency,
        customer.first_order_at,
        customer.last_order_at,
        customer.last_order_id,
    )


def test_counted_statuses_are_documented_choices():
    assert set(COUNTED_STATUSES) == {"pending", "paid", "fulfilled"}


def test_create_updates_every_statistic():
    customer = CustomerFactory()

    first = _create(customer, "A", "10.50", placed_at=DAY2)
    last = _create(customer, "B", "4.25", placed_at=DAY3, status="pending")
    _create(customer, "C", "1.00", placed_at=DAY1, status="fulfilled")

    assert first.currency == "USD"  # the channel's currency by default
    assert _stats(customer) == (3, Decimal("15.75"), "USD", DAY1, DAY3, last.pk)


@pytest.mark.parametrize("status", ["cancelled", "refunded"])
def test_cancelled_and_refunded_orders_do_not_count(status):
    customer = CustomerFactory()

    _create(customer, "A", "99.00", status=status)

    assert _stats(customer) == (0, Decimal("0.00"), "", None, None, None)


def test_total_spent_sums_only_orders_in_the_channel_currency():
    customer = CustomerFactory(channel=ChannelFactory(currency="BRL"))

    _create(customer, "A", "10.00", placed_at=DAY1)
    eur = _create(customer, "B", "500.00", placed_at=DAY2, currency="eur")

    assert eur.currency == "EUR"
    assert _stats(customer) == (2, Decimal("10.00"), "BRL", DAY1, DAY2, eur.pk)


def test_editing_total_and_status_refreshes_statistics():
    customer = CustomerFactory()
    order = _create(customer, "A", "10.00")

    order_update(order=order, data={"total": Decimal("25.00")})
    assert _stats(customer)[:2] == (1, Decimal("25.00"))

    order_update(order=order, data={"status": "cancelled"})
    assert _stats(customer) == (0, Decimal("0.00"), "", None, None, None)


def test_moving_an_order_to_another_customer_updates_both():
    # given
    channel = ChannelFactory()
    alice, bob = CustomerFactory(channel=channel), CustomerFactory(channel=channel)
    _create(alice, "A", "10.00", placed_at=DAY1)
    moved = _create(alice, "B", "20.00", placed_at=DAY2)

    # when
    order_update(order=moved, data={}, customer=bob)

    # then
    assert _stats(alice)[:2] == (1, Decimal("10.00"))
    assert _stats(bob) == (1, Decimal("20.00"), "USD", DAY2, DAY2, moved.pk)


def test_delete_refreshes_statistics():
    customer = CustomerFactory()
    kept = _create(customer, "A", "10.00", placed_at=DAY1)
    gone = _create(customer, "B", "20.00", placed_at=DAY2)

    order_delete(order=gone)

    assert _stats(customer) == (1, Decimal("10.00"), "USD", DAY1, DAY1, kept.pk)


def test_customer_object_is_upserted_in_the_order_channel():
    channel = ChannelFactory()
    existing = CustomerFactory(channel=channel, email="buyer@example.com", first_name="Old")

    order = order_create(
        channel=channel,
        customer={"email": " Buyer@Example.com ", "first_name": "New"},
        data={"number": "A", "total": Decimal("5.00")},
    )

    existing.refresh_from_db()
    assert order.customer_id == existing.pk
    assert existing.first_name == "New"
    assert existing.orders_count == 1


def test_customer_object_creates_a_new_customer():
    channel = ChannelFactory()

    order = order_create(
        channel=channel,
        customer={"email": "new@example.com", "last_name": "Buyer"},
        data={"number": "A", "total": Decimal("5.00")},
    )

    customer = Customer.objects.get(channel=channel, email="new@example.com")
    assert order.customer == customer
    assert (customer.last_name, customer.orders_count) == ("Buyer", 1)


def test_failed_order_rolls_back_the_customer_upsert():
    channel = ChannelFactory()
    _create(CustomerFactory(channel=channel), "A")

    with pytest.raises(ValidationError, match=str(NUMBER_TAKEN)):
        order_create(
            channel=channel,
            customer={"email": "rollback@example.com"},
            data={"number": "A", "total": Decimal("5.00")},
        )

    assert not Customer.objects.filter(email="rollback@example.com").exists()


def test_customer_of_another_channel_is_refused():
    customer = CustomerFactory()

    with pytest.raises(ValidationError, match=str(CUSTOMER_OTHER_CHANNEL)):
        order_create(channel=ChannelFactory(), customer=customer, data={"number": "A"})

    assert not Order.objects.exists()


def test_totals_default_from_items_and_parts():
    customer = CustomerFactory()

    order = order_create(
        channel=customer.channel,
        customer=customer,
        data={"number": "A", "shipping_total": Decimal("5"), "discount_total": Decimal("2")},
        items=[
            {"sku": "X", "quantity": 2, "unit_price": Decimal("10.00")},
            {"sku": "Y", "unit_price": Decimal("1.50")},
        ],
    )

    assert (order.subtotal, order.total) == (Decimal("21.50"), Decimal("24.50"))
    assert list(order.items.values_list("sku", "quantity")) == [("X", 2), ("Y", 1)]


def test_items_replace_keeps_listed_ids_and_drops_the_rest():
    customer = CustomerFactory()
    order = order_create(
        channel=customer.channel,
        customer=customer,
        data={"number": "A"},
        items=[{"sku": "X", "unit_price": Decimal(1)}, {"sku": "Y", "unit_price": Decimal(1)}],
    )
    x, _ = order.items.all()

    order_update(order=order, data={}, items=[{"id": x.pk, "quantity": 3}, {"sku": "Z"}])

    rows = list(OrderItem.objects.filter(order=order).values_list("id", "sku", "quantity"))
    assert rows[0] == (x.pk, "X", 3)
    assert [row[1:] for row in rows] == [("X", 3), ("Z", 1)]


def test_refresh_of_unknown_customers_is_a_no_op():
    assert customer_stats_refresh(customer_ids=[]) == 0


def test_recompute_rebuilds_stale_statistics_set_based(django_assert_num_queries):
    # given statistics written behind the services' back
    customers = CustomerFactory.create_batch(3)
    for customer in customers:
        OrderFactory(customer=customer, total=Decimal("7.00"), placed_at=DAY1)
    Customer.objects.update(orders_count=42)

    # when: one UPDATE (inside a savepoint) whatever the number of customers
    with django_assert_num_queries(3):
        updated = customer_stats_recompute()

    # then
    assert updated == 3
    for customer in customers:
        assert _stats(customer)[:3] == (1, Decimal("7.00"), "USD")


def test_item_fields_are_validated_by_the_service():
    customer = CustomerFactory()

    with pytest.raises(ValidationError) as error:
        order_create(
            channel=customer.channel,
            customer=customer,
            data={"number": "A"},
            items=[{"sku": "X" * 65}, {"sku": "Y", "quantity": 0}],
        )

    assert error.value.message_dict == {
        "items.0.sku": [TOO_LONG.format(max=64)],
        "items.1.quantity": [MIN_VALUE.format(limit=1)],
    }
    assert not Order.objects.exists()
