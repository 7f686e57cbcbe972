import json
from decimal import Decimal

import pytest

from customers.models import Customer
from orders.imports import CUSTOMER_OBJECT_REQUIRED
from orders.models import Order, OrderItem
from orders.services import customer_stats_recompute
from tests.imports.helpers import run

pytestmark = pytest.mark.django_db


def order(number, email, *, status="paid", total=None, items=None, **extra):
    data = {
        "channel": "web",
        "number": number,
        "status": status,
        "placed_at": f"2024-01-{int(number[-2:]):02d}T10:00:00Z",
        "customer": {"email": email, "first_name": email.split("@")[0].title()},
        "items": items
        if items is not None
        else [{"sku": "A", "quantity": 2, "unit_price": "10.00"}],
        **extra,
    }
    if total is not None:
        data["total"] = total
    return data


FEED = [
    order("WEB-01", "ann@example.com"),
    order("WEB-02", "ann@example.com", status="pending", shipping_total="5.00"),
    order("WEB-03", "bob@example.com", status="cancelled"),
    order("WEB-04", "Bob@Example.com", items=[{"sku": "B", "unit_price": "7.50"}]),
    order("WEB-01", "ann@example.com", status="refunded"),  # re-sent: now refunded
]


def ndjson(rows):
    return "".join(json.dumps(row) + "\n" for row in rows)


def test_order_feed_upserts_customers_and_keeps_statistics_exact(channel, write):
    # when
    code, out, _ = run("import_orders", write("feed.ndjson", ndjson(FEED)))

    # then
    assert code == 0
    assert "Imported: 4 created, 1 updated, 0 rejected" in out
    assert Customer.objects.count() == 2
    assert customer_stats_recompute() == 0  # nothing was left to fix
    ann = Customer.objects.get(email="ann@example.com")
    assert (ann.first_name, ann.orders_count, ann.total_spent) == ("Ann", 1, Decimal("25.00"))
    assert Order.objects.get(number="WEB-01").status == "refunded"
    bob = Customer.objects.get(email="bob@example.com")
    assert (bob.orders_count, bob.total_spent) == (1, Decimal("7.50"))


def test_reimporting_a_feed_keeps_orders_items_and_statistics(channel, write):
    path = write("feed.ndjson", ndjson(FEED))
    run("import_orders", path)
    item_ids = sorted(OrderItem.objects.values_list("pk", flat=True))

    code, out, _ = run("import_orders", path)

    assert code == 0
    assert "0 created, 5 updated, 0 rejected" in out
    assert sorted(OrderItem.objects.values_list("pk", flat=True)) == item_ids
    assert Order.objects.count() == 4
    assert customer_stats_recompute() == 0


def test_bad_orders_are_reported_by_line_and_skipped(channel, write, tmp_path):
    rows = [
        order("WEB-01", "ann@example.com"),
        {**order("WEB-02", "ann@example.com"), "customer": 5},
        order("WEB-03", "not-an-email"),
        order("WEB-04", "ann@example.com", total="-1"),
        {**order("WEB-05", "ann@example.com"), "channel": "nope"},
    ]
    report = tmp_path / "errors.csv"

    code, out, _ = run(
        "import_orders", write("feed.json", json.dumps(rows, indent=1)), errors=str(report)
    )

    assert code == 1
    assert "1 created, 0 updated, 4 rejected" in out
    lines = report.read_text().splitlines()
    assert lines[0] == "line,field,message"
    fields = [line.split(",")[:2] for line in lines[1:]]
    starts = [
        n + 1 for n, text in enumerate(json.dumps(rows, indent=1).splitlines()) if text == " {"
    ]
    assert fields == [
        [str(starts[1]), "customer"],
        # The customer object is checked by the customer pipeline, its errors under customer.
        [str(starts[2]), "customer.email"],
        [str(starts[3]), "total"],
        [str(starts[4]), "channel"],
    ]
    assert str(CUSTOMER_OBJECT_REQUIRED) in lines[1]
    assert customer_stats_recompute() == 0


def test_order_dry_run_writes_nothing(channel, write):
    code, out, _ = run("import_orders", write("feed.ndjson", ndjson(FEED)), dry_run=True)

    assert code == 0
    assert "Dry run, nothing written: 4 created, 1 updated, 0 rejected" in out
    assert Order.objects.count() == Customer.objects.count() == 0


def test_csv_orders_with_customer_and_address_columns(channel, write):
    text = (
        "channel,number,status,customer.email,customer.first_name,shipping_address.city,"
        "shipping_address.country,items\n"
        'web,WEB-01,paid,ann@example.com,Ann,Rio,br,"[{""sku"": ""A"", ""unit_price"": ""3""}]"\n'
        "web,,paid,bob@example.com,Bob,,,\n"
    )

    code, out, err = run("import_orders", write("feed.csv", text))

    assert code == 1
    assert "1 created, 0 updated, 1 rejected" in out
    assert "line 3, number: This field is required." in err
    placed = Order.objects.get()
    assert placed.shipping_address == {"city": "Rio", "country": "BR"}
    assert placed.total == Decimal("3.00")
    assert customer_stats_recompute() == 0


def test_unusable_order_file_exits_2(channel, write):
    code, _, err = run("import_orders", write("feed.json", "{}"))

    assert code == 2
    assert "must be an array" in err


def test_an_order_with_an_unknown_key_is_a_rejected_row_naming_it_and_its_line(channel, write):
    rows = [
        {**order("WEB-01", "ann@example.com"), "orderNumber": "WEB-01"},
        order("WEB-02", "ann@example.com", items=[{"sku": "A", "qty": 2}]),
        order("WEB-03", "bob@example.com"),
    ]

    code, out, err = run("import_orders", write("feed.ndjson", ndjson(rows)))

    assert code == 1
    assert "1 created, 0 updated, 2 rejected" in out
    assert "line 1, orderNumber: Unknown field 'orderNumber'. Did you mean 'number'?" in err
    assert "line 2, items.0.qty: Unknown field 'qty'. Did you mean 'quantity'?" in err
    assert list(Order.objects.values_list("number", flat=True)) == ["WEB-03"]
    assert not Customer.objects.filter(email="ann@example.com").exists()
