"""Concurrent orders for one customer never lose a statistics update (PostgreSQL only)."""

from decimal import Decimal

import pytest
from django.db import connection

from customers.models import Channel, Customer
from orders.models import Order
from orders.services import order_create
from tests.threads import threads_run

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="SQLite serialises every writer anyway"
    ),
]

THREADS = 8
ORDERS_PER_THREAD = 3


def _stats(customer):
    customer.refresh_from_db()
    return (customer.orders_count, customer.total_spent, customer.last_order_id)


def test_eight_threads_adding_orders_to_one_customer_end_exact():
    # given
    channel = Channel.objects.create(code="web", name="Web")
    customer = Customer.objects.create(channel=channel, email="busy@example.com")

    # when: half the threads give the customer by id, half as an object (upsert)
    def work(index):
        for n in range(ORDERS_PER_THREAD):
            buyer = customer if index % 2 else {"email": "busy@example.com"}
            order_create(
                channel=channel,
                customer=buyer,
                data={"number": f"T{index}-{n}", "total": Decimal(index + 1)},
            )

    threads_run(work, THREADS)

    # then
    expected_total = sum(Decimal(index + 1) for index in range(THREADS)) * ORDERS_PER_THREAD
    last = Order.objects.order_by("-placed_at", "-id").first()
    assert _stats(customer) == (THREADS * ORDERS_PER_THREAD, expected_total, last.pk)


def test_eight_threads_creating_the_same_new_buyer_make_one_customer():
    channel = Channel.objects.create(code="web", name="Web")

    def work(index):
        order_create(
            channel=channel,
            customer={"email": "new@example.com", "first_name": f"T{index}"},
            data={"number": f"T{index}", "total": Decimal("10.00")},
        )

    threads_run(work, THREADS)

    customer = Customer.objects.get()
    assert _stats(customer)[:2] == (THREADS, Decimal("80.00"))
