"""import_orders on PostgreSQL writes each batch on a writer thread while the next is read:
the outcome, the error report's order and the statistics are those of one thread.

The writer's connection needs committed data, so these tests commit (transaction=True).
"""

import time
from decimal import Decimal

import pytest
from django.conf import settings

import orders.imports
from customers.models import Channel, Customer
from events.models import Event
from orders.imports import orders_import
from orders.models import Order
from orders.services import customer_stats_recompute, order_create
from tests.imports.test_import_orders_batches import row, rows_of

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql",
        reason="the writer thread needs a second connection to a database it shares",
    ),
]


def _feed(channel: str) -> list:
    """Three batches of 3: bad rows in each, a buyer whose username is taken (refused by the
    writer), and W-1, stored, updated in every batch, each row sending other fields."""
    return [
        row("W-1", "a@example.com", channel=channel, shipping_total="5.00"),
        "not an object",
        row("W-2", "b@example.com", channel=channel, status="bogus"),
        {
            **row("W-3", "c@example.com", channel=channel),
            "customer": {"email": "c@example.com", "username": "taken"},
        },
        row("W-1", "a@example.com", channel=channel, status="cancelled"),
        row("W-4", "d@example.com", channel=channel),
        {"channel": channel, "number": "W-9"},
        row("W-5", "e@example.com", channel=channel, day=5),
        _without_items(row("W-1", "a@example.com", channel=channel, status="pending")),
        row("W-6", "a@example.com", channel=channel, day=6),
    ]


def _without_items(data: dict) -> dict:
    return {name: value for name, value in data.items() if name != "items"}


@pytest.fixture
def shops(channel):
    """`web` and `eu`, alike: W-1 stored for a@, and a customer holding the username."""
    euro = Channel.objects.create(code="eu", name="EU", currency="USD")
    for shop in (channel, euro):
        order_create(
            channel=shop,
            customer={"email": "a@example.com"},
            data={"number": "W-1", "status": "paid", "placed_at": "2024-01-05T10:00:00Z"},
            items=[{"sku": "Z", "unit_price": "100.00"}],
        )
        Customer.objects.create(channel=shop, email="holder@example.com", username="taken")
    return channel, euro


@pytest.fixture
def slow_writer(monkeypatch):
    """The writer takes its time, so the reader runs ahead (as it does on big batches)."""
    write = orders.imports.order_rows_write

    def slowly(*args, **kwargs):
        time.sleep(0.3)
        return write(*args, **kwargs)

    monkeypatch.setattr(orders.imports, "order_rows_write", slowly)


def _outcome(channel: str) -> dict:
    orders = {
        order.number: (
            order.status,
            order.shipping_total,
            order.customer.email,
            sorted(order.items.values_list("sku", flat=True)),
        )
        for order in Order.objects.filter(channel__code=channel).select_related("customer")
    }
    customers = {
        email: values
        for email, *values in Customer.objects.filter(channel__code=channel).values_list(
            "email", "orders_count", "total_spent", "last_order__number", "version"
        )
    }
    return {"orders": orders, "customers": customers}


def test_a_threaded_import_writes_and_reports_what_one_thread_does(shops, slow_writer):
    # given: the same feed for two alike channels
    events_before = Event.objects.count()

    # when: `web` on the writer thread, `eu` on this one
    threaded = orders_import(rows_of(_feed("web")), batch_size=3, threaded=True)
    events_threaded = Event.objects.count() - events_before
    single = orders_import(rows_of(_feed("eu")), batch_size=3, threaded=False)

    # then: the same counts, errors in the same (file) order, the same orders and buyers
    counts = ("created", "updated", "unchanged", "rejected")
    assert [getattr(threaded, name) for name in counts] == [3, 3, 0, 4]
    assert [getattr(single, name) for name in counts] == [3, 3, 0, 4]
    assert [error.line for error in threaded.errors] == [2, 3, 4, 7]
    assert threaded.errors == single.errors
    assert _outcome("web") == _outcome("eu")
    assert Event.objects.count() - events_before - events_threaded == events_threaded
    # W-1: each update kept what the one before wrote (its stored order was looked up once
    # the batch writing it had committed)
    assert _outcome("web")["orders"]["W-1"] == (
        "pending",
        Decimal("5.00"),
        "a@example.com",
        ["A", "B"],
    )
    assert customer_stats_recompute() == 0


def test_a_file_error_after_some_batches_keeps_the_batches_handed_over(shops):
    # given: a feed whose reading fails in the third batch
    def rows():
        yield from rows_of(_feed("web"))[:9]
        raise ValueError("unreadable")

    # when
    with pytest.raises(ValueError, match="unreadable"):
        orders_import(rows(), batch_size=3, threaded=True)

    # then: the two batches handed over are written, whole; the third is not
    web = Order.objects.filter(channel__code="web")
    assert set(web.values_list("number", flat=True)) == {"W-1", "W-4", "W-5"}
    assert web.get(number="W-1").status == "cancelled"
    assert customer_stats_recompute() == 0
