"""Orders written for a merged customer while the merge runs all end on the kept customer
(PostgreSQL only: SQLite serialises every writer)."""

from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.db import connection

from customers.models import Channel, Customer
from merges.services import customer_merge
from orders.models import Order
from orders.services import order_create, order_write
from tests.threads import threads_run

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="SQLite serialises every writer anyway"
    ),
]

WRITERS = 6
ORDERS_PER_WRITER = 5


def test_orders_created_during_a_merge_all_land_on_the_kept_customer():
    # given
    user = get_user_model().objects.create_superuser("root", "root@example.com", "pw-root-123")
    channel = Channel.objects.create(code="web", name="Web")
    kept = Customer.objects.create(channel=channel, email="kept@example.com")
    merged = Customer.objects.create(channel=channel, email="merged@example.com")
    for n in range(3):
        order_create(channel=channel, customer=merged, data={"number": f"OLD-{n}", "total": 1})

    # when: one thread merges while the others write orders for the merged customer, by
    # instance, by id and by e-mail
    def work(index):
        if index == 0:
            return customer_merge(keep=kept.pk, merge=[merged.pk], user=user).merge.pk
        for n in range(ORDERS_PER_WRITER):
            number = f"T{index}-{n}"
            if index % 3 == 0:
                order_create(channel=channel, customer=merged, data={"number": number, "total": 2})
            elif index % 3 == 1:
                row = {"channel": channel, "customer": merged.pk, "number": number, "total": 2}
                order_write(data=row)
            else:
                buyer = {"email": "merged@example.com"}
                order_create(channel=channel, customer=buyer, data={"number": number, "total": 2})
        return None

    threads_run(work, WRITERS + 1)

    # then: none lost, none on the merged customer, statistics exact
    written = WRITERS * ORDERS_PER_WRITER + 3
    assert Order.objects.count() == written
    assert not Order.objects.filter(customer=merged).exists()
    kept.refresh_from_db()
    assert kept.orders_count == written
    assert kept.total_spent == Decimal(3 + 2 * WRITERS * ORDERS_PER_WRITER)
    merged.refresh_from_db()
    assert (merged.merged_into_id, merged.orders_count) == (kept.pk, 0)
