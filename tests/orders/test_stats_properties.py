"""Any sequence of order writes through the services leaves exact statistics."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from customers.models import CUSTOMER_STATS_COLUMNS, Customer
from orders.models import Order, OrderStatus
from orders.services import customer_stats_recompute, order_create, order_delete, order_update
from tests.customers.factories import ChannelFactory, CustomerFactory

pytestmark = pytest.mark.django_db

CUSTOMERS = 3
START = datetime(2024, 1, 1, tzinfo=UTC)
STAT_FIELDS = ("pk", *CUSTOMER_STATS_COLUMNS)

money = st.integers(min_value=0, max_value=100_000).map(lambda cents: Decimal(cents) / 100)
statuses = st.sampled_from(OrderStatus.values)
customer_index = st.integers(min_value=0, max_value=CUSTOMERS - 1)
order_index = st.integers(min_value=0, max_value=50)

create = st.tuples(
    st.just("create"),
    customer_index,
    money,
    statuses,
    st.sampled_from(["USD", "EUR"]),
    st.integers(min_value=0, max_value=3),  # days after START: ties on placed_at happen
)
edit = st.tuples(
    st.just("edit"),
    order_index,
    st.none() | money,
    st.none() | statuses,
    st.none() | customer_index,
)
delete = st.tuples(st.just("delete"), order_index)
operations = st.lists(st.one_of(create, edit, delete), min_size=1, max_size=12)


def _apply(operation, customers, numbers):
    kind, *args = operation
    orders = list(Order.objects.order_by("pk"))
    if kind == "create":
        who, total, status, currency, day = args
        customer = customers[who]
        order_create(
            channel=customer.channel,
            customer=customer,
            data={
                "number": f"N{next(numbers)}",
                "total": total,
                "status": status,
                "currency": currency,
                "placed_at": START + timedelta(days=day),
            },
        )
    elif orders and kind == "edit":
        index, total, status, who = args
        data = {key: value for key, value in (("total", total), ("status", status)) if value}
        customer = customers[who] if who is not None else None
        order_update(order=orders[index % len(orders)], data=data, customer=customer)
    elif orders:
        order_delete(order=orders[args[0] % len(orders)])


def _stats():
    return list(Customer.objects.order_by("pk").values_list(*STAT_FIELDS))


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(operations=operations)
def test_statistics_equal_a_fresh_recompute(db, operations):
    # Each example runs in a savepoint that is rolled back, so examples never see each other.
    with transaction.atomic():
        channel = ChannelFactory(currency="USD")
        customers = CustomerFactory.create_batch(CUSTOMERS, channel=channel)
        numbers = iter(range(1000))
        for operation in operations:
            _apply(operation, customers, numbers)

        maintained = _stats()
        customer_stats_recompute()

        assert maintained == _stats()
        transaction.set_rollback(True)
