"""The API and import_orders check an order with one validator: same answer, same messages."""

import csv
import json
from decimal import Decimal

import pytest
from django.db import transaction

from customers.imports.rows import (
    INVALID_CHOICE,
    INVALID_DATETIME,
    INVALID_NUMBER,
    NOT_A_LIST,
    NOT_NULL,
    REQUIRED,
    TOO_LONG,
    TOO_MANY_DECIMALS,
    TOO_MANY_DIGITS,
    UNKNOWN_CHANNEL,
)
from customers.validation import INVALID_COUNTRY, INVALID_CURRENCY, INVALID_EMAIL
from orders.models import Order
from orders.validation import (
    BLANK,
    MAX_VALUE,
    MIN_VALUE,
    NOT_A_DICT,
    NUMBER_TAKEN,
)
from tests.customers.factories import ChannelFactory
from tests.imports.helpers import run
from tests.orders.factories import OrderFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/orders/"
ROW = {
    "channel": "web",
    "number": "P-1",
    "customer": {"email": "buyer@example.com", "first_name": "Ana"},
    "status": "paid",
    "shipping_total": "5.00",
    "placed_at": "2024-03-01T10:00:00Z",
    "shipping_address": {"city": " Rio ", "country": "br"},
    "items": [
        {"sku": "A", "name": "Mug", "quantity": 2, "unit_price": "10.00"},
        {"sku": "B", "unit_price": "1.5"},
    ],
}
ACCEPTED: dict = {}
# The customer object is checked when it is upserted (orders.services._customer_resolve),
# which names `customer`.
CUSTOMER_REFUSED = object()
_MISSING = object()


def _row(**changes) -> dict:
    row = {**ROW, **changes}
    return {name: value for name, value in row.items() if value is not _MISSING}


def _item(**changes) -> dict:
    return {"sku": "A", "quantity": 1, "unit_price": "1.00", **changes}


CASES = [
    pytest.param(_row(), ACCEPTED, id="good"),
    pytest.param(
        {name: ROW[name] for name in ("channel", "number", "customer")}, ACCEPTED, id="minimal"
    ),
    pytest.param(
        _row(total=26.5, items=[_item(quantity=2.0, unit_price=3)]), ACCEPTED, id="json-numbers"
    ),
    pytest.param(_row(currency=" eur "), ACCEPTED, id="currency-lower-case"),
    pytest.param(_row(placed_at="2024-03-01T10:00:00"), ACCEPTED, id="naive-placed-at"),
    pytest.param(_row(placed_at="2024-03-01"), ACCEPTED, id="date-placed-at"),
    pytest.param(_row(shipping_address=None, items=[]), ACCEPTED, id="no-address-no-items"),
    pytest.param(_row(number=_MISSING), {"number": [REQUIRED]}, id="missing-number"),
    pytest.param(_row(number="  "), {"number": [BLANK]}, id="blank-number"),
    pytest.param(_row(number="N" * 65), {"number": [TOO_LONG.format(max=64)]}, id="long-number"),
    pytest.param(_row(number=None), {"number": [NOT_NULL]}, id="null-number"),
    pytest.param(_row(total="-1"), {"total": [MIN_VALUE.format(limit=0)]}, id="negative-total"),
    pytest.param(
        _row(discount_total="99"),
        {"total": [MIN_VALUE.format(limit=0)]},
        id="negative-default-total",
    ),
    pytest.param(
        _row(tax_total="1.001"),
        {"tax_total": [TOO_MANY_DECIMALS.format(places=2)]},
        id="3-decimals",
    ),
    pytest.param(
        _row(total="1234567890123.00"),
        {"total": [TOO_MANY_DIGITS.format(max=14)]},
        id="too-many-digits",
    ),
    pytest.param(_row(subtotal="abc"), {"subtotal": [INVALID_NUMBER]}, id="not-a-number"),
    pytest.param(_row(currency="XYZ"), {"currency": [INVALID_CURRENCY]}, id="bad-currency"),
    pytest.param(
        _row(status="lost"), {"status": [INVALID_CHOICE.format(value="lost")]}, id="bad-status"
    ),
    pytest.param(
        _row(shipping_address={"country": "XX"}),
        {"shipping_address.country": [INVALID_COUNTRY]},
        id="bad-country",
    ),
    pytest.param(
        _row(billing_address={"city": "C" * 256}),
        {"billing_address.city": [TOO_LONG.format(max=255)]},
        id="long-city",
    ),
    pytest.param(
        _row(shipping_address="a street"),
        {"shipping_address": [NOT_A_DICT.format(type="str")]},
        id="address-not-an-object",
    ),
    pytest.param(
        _row(items=[_item(), _item(quantity=0)]),
        {"items.1.quantity": [MIN_VALUE.format(limit=1)]},
        id="quantity-0",
    ),
    pytest.param(
        _row(items=[_item(quantity=2_147_483_648)]),
        {"items.0.quantity": [MAX_VALUE.format(limit=2_147_483_647)]},
        id="quantity-too-big",
    ),
    pytest.param(
        _row(items=[_item(unit_price="-0.01")]),
        {"items.0.unit_price": [MIN_VALUE.format(limit=0)]},
        id="negative-unit-price",
    ),
    pytest.param(_row(items=[{"quantity": 1}]), {"items.0.sku": [REQUIRED]}, id="item-missing-sku"),
    pytest.param(
        _row(items={"sku": "A"}), {"items": [NOT_A_LIST.format(type="dict")]}, id="items-not-a-list"
    ),
    pytest.param(
        _row(items=["A"]), {"items.0": [NOT_A_DICT.format(type="str")]}, id="item-not-an-object"
    ),
    pytest.param(
        _row(placed_at="yesterday"), {"placed_at": [INVALID_DATETIME]}, id="placed-at-text"
    ),
    pytest.param(_row(placed_at=None), {"placed_at": [NOT_NULL]}, id="placed-at-null"),
    pytest.param(
        _row(channel="nope"),
        {"channel": [UNKNOWN_CHANNEL.format(value="nope")]},
        id="unknown-channel",
    ),
    pytest.param(
        _row(number=_MISSING, total="-1", items=[_item(sku="")]),
        {
            "number": [REQUIRED],
            "total": [MIN_VALUE.format(limit=0)],
            "items.0.sku": [BLANK],
        },
        id="every-error-at-once",
    ),
    pytest.param(_row(customer={"email": "nope"}), CUSTOMER_REFUSED, id="customer-bad-email"),
]


def _flat(errors, prefix: str = "") -> dict[str, list[str]]:
    """The API's DRF-nested errors by dotted path, as the import reports them (an object's
    non_field_errors under the object's own path)."""
    if isinstance(errors, dict):
        flat = {}
        for key, value in errors.items():
            path = prefix if key == "non_field_errors" else f"{prefix}.{key}" if prefix else key
            flat.update(_flat(value, path))
        return flat
    if all(isinstance(error, str) for error in errors):
        return {prefix: [str(error) for error in errors]}
    flat = {}
    for index, value in enumerate(errors):
        if value:
            flat.update(_flat(value, f"{prefix}.{index}"))
    return flat


def _order_state() -> dict | None:
    order = Order.objects.prefetch_related("items").select_related("customer").first()
    if order is None:
        return None
    fields = ("number", "status", "currency", "subtotal", "total", "placed_at", "shipping_address")
    state = {name: getattr(order, name) for name in fields}
    state["customer"] = order.customer.email
    state["items"] = [(i.sku, i.name, i.quantity, i.unit_price) for i in order.items.all()]
    return state


def _through_api(api_client, row) -> tuple[dict, dict | None]:
    """POST the row; return its errors by dotted path and the order written (rolled back)."""
    with transaction.atomic():
        response = api_client.post(URL, row, format="json")
        state = _order_state()
        transaction.set_rollback(True)
    if response.status_code == 201:
        return {}, state
    assert response.status_code == 400, response.data
    return _flat(response.data), None


def _through_import(tmp_path, row) -> tuple[dict, dict | None]:
    """Import the row from an NDJSON file; return its errors by field and the order written."""
    path, report = tmp_path / "orders.ndjson", tmp_path / "errors.csv"
    path.write_text(json.dumps(row) + "\n", encoding="utf-8")
    code, _, _ = run("import_orders", str(path), errors=str(report))
    errors: dict[str, list[str]] = {}
    with report.open(newline="", encoding="utf-8") as handle:
        for line in csv.DictReader(handle):
            errors.setdefault(line["field"], []).append(line["message"])
    assert code == (1 if errors else 0)
    return errors, _order_state()


@pytest.mark.parametrize(("row", "expected"), CASES)
def test_api_and_import_answer_an_order_alike(api_client, tmp_path, row, expected):
    # given
    ChannelFactory(code="web", currency="USD")

    # when
    api_errors, api_order = _through_api(api_client, row)
    import_errors, import_order = _through_import(tmp_path, row)

    # then
    if "placed_at" not in row and api_order is not None:
        del api_order["placed_at"], import_order["placed_at"]  # now, when not sent
    assert api_errors == import_errors
    if expected is CUSTOMER_REFUSED:
        assert {key.partition(".")[0] for key in api_errors} == {"customer"}
        assert str(INVALID_EMAIL) in str(api_errors)
    else:
        assert api_errors == expected
    assert api_order == import_order
    assert (api_order is not None) == (expected is ACCEPTED)


def test_a_taken_number_is_refused_by_the_api_and_updated_by_the_import(api_client, tmp_path):
    """The one difference: an import row with a known number updates that order (a feed
    re-sends orders as they change); the API creates, so it refuses the number."""
    channel = ChannelFactory(code="web", currency="USD")
    order = OrderFactory(customer__channel=channel, number="P-1", total=Decimal("1.00"))

    api_errors, _ = _through_api(api_client, _row())
    import_errors, state = _through_import(tmp_path, _row())

    assert api_errors == {"number": [NUMBER_TAKEN]}
    assert import_errors == {}
    assert Order.objects.get().pk == order.pk
    assert state["shipping_address"] == {"city": "Rio", "country": "BR"}
    assert state["items"] == [("A", "Mug", 2, Decimal("10.00")), ("B", "", 1, Decimal("1.50"))]
