"""Eight writers at once through the API, on PostgreSQL: nothing duplicated, nothing lost.

The service-level races are in tests/customers/test_upsert.py (4 upserters of one e-mail)
and tests/orders/test_concurrency.py (8 threads adding orders; 8 creating one new buyer).
"""

import random
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.db import connection

from customers.models import Channel, Customer
from orders.models import Order
from tests.conftest import api_client_for
from tests.threads import threads_run

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="SQLite serialises every writer anyway"
    ),
]

THREADS = 8
EMAILS = [f"buyer{n}@example.com" for n in range(25)]


def _in_threads(work) -> list:
    """Run work(index, client) in THREADS threads, each with its own connection; return results."""
    user = get_user_model().objects.create_superuser("racer", "racer@example.com", "pw")

    def with_client(index):
        return work(index, api_client_for(user))

    return threads_run(with_client, THREADS)


def test_eight_api_upserters_of_the_same_emails_create_each_customer_once():
    # given
    Channel.objects.create(code="web", name="Web")

    # when: every thread upserts the same 25 e-mails, each in its own order
    def work(index, client):
        emails = random.Random(index).sample(EMAILS, len(EMAILS))
        body = [{"channel": "web", "email": email, "first_name": f"T{index}"} for email in emails]
        return client.post("/api/v1/customers/upsert/", body, format="json")

    responses = _in_threads(work)

    # then: every call succeeded and, all together, each e-mail was created exactly once
    assert [r.status_code for r in responses] == [200] * THREADS, [r.content for r in responses]
    assert sum(r.json()["created"] for r in responses) == len(EMAILS)
    assert sum(r.json()["updated"] for r in responses) == len(EMAILS) * (THREADS - 1)
    assert sorted(Customer.objects.values_list("email", flat=True)) == sorted(EMAILS)


def test_eight_api_upserters_of_existing_and_new_emails_neither_deadlock_nor_lose_writes():
    # given: every other e-mail exists already
    channel = Channel.objects.create(code="web", name="Web")
    for email in EMAILS[::2]:
        Customer.objects.create(channel=channel, email=email)

    # when: each thread upserts all of them in its own order, with its own phone
    def work(index, client):
        emails = random.Random(100 + index).sample(EMAILS, len(EMAILS))
        body = [{"channel": "web", "email": email, "phone": f"+{index}"} for email in emails]
        return client.post("/api/v1/customers/upsert/", body, format="json")

    responses = _in_threads(work)

    # then: no call failed; each new e-mail was created once; every customer holds the phone
    # of one of the writers (the last to commit)
    assert [r.status_code for r in responses] == [200] * THREADS, [r.content for r in responses]
    assert sum(r.json()["created"] for r in responses) == len(EMAILS[1::2])
    assert Customer.objects.count() == len(EMAILS)
    phones = set(Customer.objects.values_list("phone", flat=True))
    assert phones <= {f"+{index}" for index in range(THREADS)}


def test_eight_api_writers_of_orders_for_one_customer_keep_statistics_exact():
    # given
    channel = Channel.objects.create(code="web", name="Web", currency="USD")
    customer = Customer.objects.create(channel=channel, email="busy@example.com")

    # when: half give the buyer by id, half as an object; each then cancels one of its orders
    def work(index, client):
        buyer = customer.pk if index % 2 else {"email": "busy@example.com"}
        statuses = []
        for n in range(3):
            body = {"channel": "web", "number": f"T{index}-{n}", "customer": buyer}
            body["total"] = str(Decimal(index + 1))
            response = client.post("/api/v1/orders/", body, format="json")
            statuses.append(response.status_code)
        order_id = response.json()["id"]
        statuses.append(
            client.patch(f"/api/v1/orders/{order_id}/", {"status": "cancelled"}).status_code
        )
        return statuses

    results = _in_threads(work)

    # then
    assert results == [[201, 201, 201, 200]] * THREADS
    customer.refresh_from_db()
    counted = Order.objects.filter(customer=customer).exclude(status="cancelled")
    assert customer.orders_count == counted.count() == THREADS * 2
    assert customer.total_spent == sum(Decimal(index + 1) for index in range(THREADS)) * 2
    assert Customer.objects.count() == 1
