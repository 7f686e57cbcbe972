"""import_orders writes set-based batches: statistics exact, refused rows alone rejected, and
a batch's queries do not grow with its rows."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from customers.models import Channel, Customer
from events.models import Event
from orders.imports import orders_import
from orders.models import Order, OrderItem
from orders.services import customer_stats_recompute, order_create
from tests.imports.helpers import run
from tests.imports.test_import_orders import ndjson

pytestmark = pytest.mark.django_db

STATS = ("orders_count", "total_spent", "total_spent_currency", "first_order_at")


def row(number, email, *, channel="web", status="paid", day=1, items=None, **extra):
    return {
        "channel": channel,
        "number": number,
        "status": status,
        "placed_at": f"2024-02-{day:02d}T10:00:00Z",
        "customer": {"email": email},
        "items": items
        if items is not None
        else [
            {"sku": "A", "quantity": 1, "unit_price": "10.00"},
            {"sku": "B", "quantity": 2, "unit_price": "2.50"},
        ],
        **extra,
    }


def rows_of(feed):
    return [(line, data, {}) for line, data in enumerate(feed, start=1)]


def stats_of(email):
    return Customer.objects.filter(email=email).values_list(*STATS, "last_order__number").get()


@pytest.fixture
def shop(channel):
    """Two channels; two existing customers of `web` with an order each."""
    euro = Channel.objects.create(code="eu", name="EU", currency="EUR")
    for number, email in (("OLD-1", "old1@example.com"), ("OLD-2", "old2@example.com")):
        order_create(
            channel=channel,
            customer={"email": email},
            data={"number": number, "status": "paid", "placed_at": "2024-01-05T10:00:00Z"},
            items=[{"sku": "Z", "unit_price": "100.00"}],
        )
    return channel, euro


def test_statistics_equal_a_recompute_after_a_mixed_import_and_a_changed_rerun(shop):
    # given: new and existing customers, two channels, a foreign currency, a cancelled
    # order, an order repeated in the feed, and batches of 3
    feed = [
        row("W-1", "new1@example.com", day=3),
        row("W-2", "old1@example.com", day=9),
        row("W-3", "old2@example.com", status="cancelled", day=10),
        row("W-4", "new1@example.com", currency="EUR", day=4),
        row("E-1", "new1@example.com", channel="eu", day=2),
        row("W-5", "old1@example.com", day=1),
        row("W-2", "old1@example.com", status="refunded", day=9),
        row("W-6", "new2@example.com", status="pending", day=7),
    ]

    # when
    first = orders_import(rows_of(feed), batch_size=3)

    # then
    assert (first.created, first.updated, first.rejected) == (7, 1, 0)
    assert customer_stats_recompute() == 0
    # old1: OLD-1 (100.00, 5 Jan) and W-5 (15.00, 1 Feb); W-2 was refunded by its second row
    assert stats_of("old1@example.com") == (
        2,
        Decimal("115.00"),
        "USD",
        datetime(2024, 1, 5, 10, tzinfo=UTC),
        "W-5",
    )
    assert Customer.objects.get(channel__code="web", email="new1@example.com").total_spent == (
        Decimal("15.00")  # W-4 is in EUR: counted, not summed
    )

    # when: the same feed with changes: an order moves to another customer, a status and the
    # items change
    feed[0] = row("W-1", "old2@example.com", day=3)
    feed[5] = row("W-5", "old1@example.com", status="cancelled", day=1)
    feed[7] = row(
        "W-6", "new2@example.com", items=[{"sku": "A", "unit_price": "99.00"}], total="99.00"
    )
    again = orders_import(rows_of(feed), batch_size=3)

    # then
    assert (again.created, again.updated, again.rejected) == (0, 8, 0)
    # W-3, W-4 and E-1 are sent as stored; W-2 changes twice (paid, then refunded again)
    assert again.unchanged == 3
    assert customer_stats_recompute() == 0
    assert stats_of("new2@example.com")[:2] == (1, Decimal("99.00"))
    assert Order.objects.get(number="W-1").customer.email == "old2@example.com"


def test_a_rerun_of_the_same_feed_writes_nothing(shop):
    feed = [row(f"W-{n}", f"buyer{n % 3}@example.com", day=n + 1) for n in range(6)]
    orders_import(rows_of(feed), batch_size=4)
    versions = dict(Order.objects.values_list("number", "version"))
    customers = dict(Customer.objects.values_list("email", "version"))
    items = sorted(OrderItem.objects.values_list("pk", "updated_at"))
    events = Event.objects.count()

    again = orders_import(rows_of(feed), batch_size=4)

    assert (again.created, again.updated, again.unchanged, again.rejected) == (0, 6, 6, 0)
    assert dict(Order.objects.values_list("number", "version")) == versions
    assert dict(Customer.objects.values_list("email", "version")) == customers
    assert sorted(OrderItem.objects.values_list("pk", "updated_at")) == items
    assert Event.objects.count() == events
    assert customer_stats_recompute() == 0


@pytest.fixture
def refusing_orders(db):
    """Make the database itself refuse the order numbered W-REFUSED (a constraint the row
    checks cannot see), as a trigger on either database."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                """
                CREATE FUNCTION refuse_order() RETURNS trigger AS $$
                BEGIN
                    IF NEW.number = 'W-REFUSED' THEN
                        RAISE EXCEPTION 'refused' USING ERRCODE = '23514';
                    END IF;
                    RETURN NEW;
                END $$ LANGUAGE plpgsql;
                CREATE TRIGGER refuse_order BEFORE INSERT OR UPDATE ON orders_order
                    FOR EACH ROW EXECUTE FUNCTION refuse_order();
                """
            )
        else:
            cursor.execute(
                "CREATE TRIGGER refuse_order BEFORE INSERT ON orders_order "
                "WHEN NEW.number = 'W-REFUSED' BEGIN SELECT RAISE(ABORT, 'refused'); END"
            )


def test_a_row_the_database_refuses_is_rejected_on_its_line_and_the_batch_goes_in(
    shop, refusing_orders, write
):
    # given: one batch of five orders whose third the database refuses
    feed = [
        row("W-1", "new1@example.com"),
        row("W-2", "old1@example.com"),
        row("W-REFUSED", "new2@example.com"),
        row("W-3", "new3@example.com"),
        row("W-4", "old2@example.com"),
    ]

    # when
    code, out, err = run("import_orders", write("feed.ndjson", ndjson(feed)))

    # then
    assert code == 1
    assert "4 created, 0 updated, 1 rejected" in out
    assert "line 3, row: The database refused this row" in err
    assert set(Order.objects.filter(number__startswith="W-").values_list("number", flat=True)) == {
        "W-1",
        "W-2",
        "W-3",
        "W-4",
    }
    assert customer_stats_recompute() == 0


def _feed(size: int, tag: str) -> list:
    """`size` rows (a multiple of 4): new orders of new (N) and of existing customers (E),
    and stored orders of the existing ones, changed (C: status, an item changed, one added)
    or sent as stored (D)."""
    feed = []
    for n in range(size // 4):
        feed += [
            row(f"{tag}-N{n}", f"{tag}.new{n}@example.com"),
            row(f"{tag}-E{n}", f"{tag}.old{n}@example.com"),
            row(f"{tag}-C{n}", f"{tag}.old{n}@example.com"),
            row(f"{tag}-D{n}", f"{tag}.old{n}@example.com"),
        ]
    return feed


def _seeded(tag: str, size: int) -> list:
    """Customers and orders the feed of `size` rows then finds; return the changed feed."""
    feed = _feed(size, tag)
    orders_import(rows_of([data for data in feed if data["number"][len(tag) + 1] in "CD"]))
    for data in feed:
        if "-C" in data["number"]:
            data["status"] = "fulfilled"
            data["items"] = [
                {"sku": "A", "quantity": 3, "unit_price": "10.00"},
                {"sku": "B", "quantity": 2, "unit_price": "2.50"},
                {"sku": "C", "unit_price": "1.00"},
            ]
    return feed


def test_a_batch_costs_the_same_queries_for_twice_the_rows(shop, django_assert_num_queries):
    # given: a warmed-up import (column types, temporary tables) and two feeds alike
    orders_import(rows_of(_feed(4, "warm")))
    small, large = _seeded("s", 8), _seeded("l", 16)
    with CaptureQueriesContext(connection) as small_queries:
        orders_import(rows_of(small), batch_size=50)

    # when / then
    with django_assert_num_queries(len(small_queries.captured_queries)):
        result = orders_import(rows_of(large), batch_size=50)
    assert (result.created, result.updated, result.rejected) == (8, 8, 0)
    assert customer_stats_recompute() == 0


def test_a_buyer_in_several_rows_of_a_batch_is_upserted_once_with_every_value(shop):
    # given: one new buyer sending a different field in each of three orders of one batch
    feed = [
        {
            **row("W-1", "ann@example.com"),
            "customer": {"email": "ann@example.com", "first_name": "Ann"},
        },
        {
            **row("W-2", "ANN@example.com"),
            "customer": {"email": "ANN@example.com", "last_name": "Lee"},
        },
        {
            **row("W-3", "ann@example.com"),
            "customer": {"email": "ann@example.com", "first_name": "Anna"},
        },
    ]

    # when
    result = orders_import(rows_of(feed))

    # then
    assert (result.created, result.rejected) == (3, 0)
    ann = Customer.objects.get(email="ann@example.com")
    assert (ann.first_name, ann.last_name, ann.orders_count) == ("Anna", "Lee", 3)
    created = Event.objects.filter(type="customer.created", object_id=ann.pk)
    assert created.count() == 1


def test_a_new_buyer_of_new_and_moved_orders_counts_them_all(shop):
    # given: a stored order re-sent for a new buyer, who also places a new one, and a new
    # buyer whose only order is cancelled
    feed = [
        row("W-1", "fresh@example.com", day=3),
        row("OLD-1", "fresh@example.com", day=5),
        row("W-2", "gone@example.com", status="cancelled"),
    ]

    # when
    result = orders_import(rows_of(feed))

    # then
    assert (result.created, result.updated, result.rejected) == (2, 1, 0)
    assert stats_of("fresh@example.com") == (
        2,
        Decimal("115.00"),  # OLD-1 keeps its total (100.00), W-1 15.00
        "USD",
        datetime(2024, 2, 3, 10, tzinfo=UTC),
        "OLD-1",
    )
    assert stats_of("gone@example.com") == (0, Decimal("0"), "", None, None)
    assert stats_of("old1@example.com")[0] == 0
    assert customer_stats_recompute() == 0
