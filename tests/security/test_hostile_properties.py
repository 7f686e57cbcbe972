"""Hostile values in every writable field of every write route, admin form and import format.

Property-based (hypothesis): each example puts one hostile value (NUL, lone surrogates, 1e309,
NaN, dates at the ends of the calendar, 5,000-deep JSON, huge numbers, wrong types...) into
one field of an otherwise sensible body, form or import row, and asserts that Patron answers
without a 5xx or a traceback and that everything stored still reads, lists and exports.

The routes and their writable fields come from the OpenAPI schema, so a new route or field is
covered without editing this file. Bounded and derandomized so CI stays fast and a failure
reproduces: HOSTILE_MAX_EXAMPLES (default 6) examples per test; raise it to dig deeper.
Whatever a route stored is read back at once; a refused write is checked at the end.
"""

import io
import json
import os
import re

import pytest
from django.core.management import call_command
from django.urls import reverse
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from config.values import MAX_JSON_DEPTH
from customers.models import Customer
from groups.models import UserGroup
from orders.models import Order
from tests.admin.helpers import CUSTOMER_ADD, customer_form
from tests.customers.factories import AddressFactory, ChannelFactory, CustomerFactory
from tests.groups.factories import UserCustomerGroupFactory, UserGroupFactory
from tests.imports.helpers import run
from tests.orders.factories import OrderFactory, OrderItemFactory

pytestmark = pytest.mark.django_db

MAX_EXAMPLES = int(os.environ.get("HOSTILE_MAX_EXAMPLES", "6"))
HOSTILE = settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def _deep(depth: int) -> str:
    return '{"k": ' * depth + "1" + "}" * depth


# Hostile values as JSON text (so 1e309, NaN and 5,000 levels can be written at all).
FIXED_JSON = [
    '"\\u0000"',
    '"a\\u0000b"',
    '"\\ud800"',
    '"x\\udfffy"',
    '{"\\ud800": 1}',
    '{"a": "\\u0000"}',
    "1e309",
    "-1e309",
    "NaN",
    "Infinity",
    '"9999-12-31T23:59:59-14:00"',
    '"0001-01-01T00:00:00+14:00"',
    '"9999-12-31"',
    '"0001-01-01"',
    '"999999999999999999.99"',
    "99999999999999999999999",
    "-1",
    '""',
    "null",
    "true",
    "[]",
    "{}",
    '["\\ud800"]',
    _deep(MAX_JSON_DEPTH + 1),
    _deep(5_000),
    '"' + "x" * 5_000 + '"',
]
json_values = st.one_of(
    st.sampled_from(FIXED_JSON),
    st.text(max_size=20).map(json.dumps),  # json.dumps escapes surrogates and NUL
    st.integers().map(str),
    st.dictionaries(st.text(max_size=5), st.text(max_size=5), max_size=3).map(json.dumps),
)

# Hostile values as the text of a form field or a CSV cell (forms cannot carry a surrogate:
# the browser sends UTF-8; JSON fields can, as an escape).
FIXED_TEXT = [
    "\x00",
    "a\x00b",
    "9999-12-31",
    "0001-01-01",
    "9999-12-31 23:59:59",
    "1e309",
    "NaN",
    "-1",
    "99999999999999999999999",
    '{"a": "\\ud800"}',
    '{"a": "\\u0000"}',
    '{"a": 1e309}',
    '{"a": NaN}',
    _deep(5_000),
    _deep(MAX_JSON_DEPTH + 1),
    "x" * 5_000,
]
text_values = st.one_of(
    st.sampled_from(FIXED_TEXT),
    st.text(alphabet=st.characters(exclude_categories=["Cs"]), max_size=20),
)


@pytest.fixture
def world(db):
    """One of each object the write routes name in their paths."""
    channel = ChannelFactory(code="web", currency="USD")
    group = UserGroupFactory(code="vip")
    customer = CustomerFactory(channel=channel, email="ann@example.com")
    address = AddressFactory(customer=customer)
    UserCustomerGroupFactory(customer=customer, group=group)
    order = OrderFactory(customer=customer, number="N1")
    item = OrderItemFactory(order=order)
    return {
        "channel": channel,
        "group": group,
        "customer": customer,
        "address": address,
        "order": order,
        "item": item,
    }


def _schema() -> dict:
    return SchemaGenerator(patterns=None).get_schema(request=None, public=True)


def _properties(schema: dict, body_schema: dict) -> list[str]:
    if "$ref" in body_schema:
        body_schema = schema["components"]["schemas"][body_schema["$ref"].rsplit("/", 1)[-1]]
    for part in body_schema.get("oneOf", body_schema.get("allOf", [])):
        return _properties(schema, part)
    if body_schema.get("type") == "array":
        return _properties(schema, body_schema["items"])
    return [
        name
        for name, field in body_schema.get("properties", {}).items()
        if not field.get("readOnly")
    ]


def _write_operations() -> list[tuple[str, str, tuple[str, ...]]]:
    """(method, path, writable fields) of every API operation that takes a JSON body."""
    schema = _schema()
    operations = []
    for path, item in sorted(schema["paths"].items()):
        for method in ("post", "put", "patch"):
            body = item.get(method, {}).get("requestBody", {}).get("content", {})
            if "application/json" not in body:
                continue
            fields = _properties(schema, body["application/json"]["schema"])
            operations.append((method, path, tuple(fields) or ("_",)))
    return operations


WRITE_OPERATIONS = _write_operations()
# A sensible body per route family, so the hostile field is what decides the answer.
BASES = {
    "/api/v1/customers/": {"channel": "web", "email": "new@example.com"},
    "/api/v1/customers/upsert/": {"channel": "web", "email": "new@example.com"},
    "/api/v1/customers/authenticate/": {"channel": "web", "email": "ann@example.com"},
    "/api/v1/orders/": {"channel": "web", "number": "N2", "customer": "{customer}"},
    "/api/v1/groups/": {"code": "new", "title": "New"},
    "/api/v1/channels/": {"code": "new", "name": "New", "currency": "USD"},
}


def _path_fill(path: str, world: dict) -> str:
    """The path with its parameters naming the world's objects."""
    names = {
        "code": world["group"].code if path.startswith("/api/v1/groups/") else "web",
        "group_code": world["group"].code,
        "address_id": world["address"].pk,
        "item_id": world["item"].pk,
        "order_id": world["order"].pk,
        "customerID": world["customer"].pk,
        "channel": "web",
    }

    def value(match):
        name = match.group(1)
        if name in names:
            return str(names[name])
        if name in ("id", "pk"):
            return str(world["order" if "/orders/" in path else "customer"].pk)
        return "1"

    return re.sub(r"{([^}]+)}", value, path)


def _body(base: dict, field: str, fragment: str, world: dict) -> str:
    parts = {
        name: json.dumps(value).replace('"{customer}"', str(world["customer"].pk))
        for name, value in base.items()
    }
    parts[field] = fragment
    return "{" + ", ".join(f"{json.dumps(name)}: {text}" for name, text in parts.items()) + "}"


def _everything_reads(api_client, staff_client, tmp_path) -> None:
    """Every stored customer, order and group still reads, lists and exports."""
    for url in (
        "/api/v1/customers/?per_page=200",
        "/api/v1/orders/?per_page=200",
        "/api/v1/groups/",
    ):
        assert api_client.get(url).status_code == 200, url
    for customer in Customer.objects.all():
        assert api_client.get(f"/api/v1/customers/{customer.pk}/").status_code == 200
    for order in Order.objects.all():
        assert api_client.get(f"/api/v1/orders/{order.pk}/").status_code == 200
    for admin_list in ("customers_customer", "orders_order", "groups_usergroup"):
        assert staff_client.get(reverse(f"admin:{admin_list}_changelist")).status_code == 200
    for fmt in ("csv", "ndjson"):
        call_command("export_customers", str(tmp_path / f"all.{fmt}"), stdout=io.StringIO())


def test_the_schema_lists_the_write_routes():
    paths = {path for _, path, _ in WRITE_OPERATIONS}
    assert {"/api/v1/customers/", "/api/v1/customers/upsert/", "/api/v1/orders/"} <= paths
    assert len(WRITE_OPERATIONS) >= 20


@pytest.mark.parametrize(
    ("method", "path", "fields"),
    WRITE_OPERATIONS,
    ids=[f"{method} {path}" for method, path, _ in WRITE_OPERATIONS],
)
def test_api_write_routes_answer_hostile_fields_without_a_5xx(
    api_client, staff_client, world, tmp_path, method, path, fields
):
    @HOSTILE
    @given(field=st.sampled_from(fields), fragment=json_values)
    def hostile_write(field, fragment):
        url = _path_fill(path, world)
        body = _body(BASES.get(path, {}), field, fragment, world)
        response = getattr(api_client, method)(url, body, content_type="application/json")
        assert response.status_code < 500, (field, fragment[:80], response.content[:300])
        response.content.decode("utf-8")  # the answer itself is valid UTF-8
        if response.status_code < 300:  # something was stored: it must read back
            _everything_reads(api_client, staff_client, tmp_path)

    hostile_write()
    _everything_reads(api_client, staff_client, tmp_path)


CUSTOMER_FORM_FIELDS = [
    name
    for name in customer_form()
    if not name.startswith(("addresses-", "memberships-")) and name != "date_joined_1"
]


def test_customer_admin_form_answers_hostile_fields_without_a_5xx(
    api_client, staff_client, world, tmp_path
):
    @HOSTILE
    @given(field=st.sampled_from(CUSTOMER_FORM_FIELDS), value=text_values)
    def hostile_form(field, value):
        data = {**customer_form(channel="web", email="form@example.com"), field: value}
        response = staff_client.post(CUSTOMER_ADD, data)
        assert response.status_code in (200, 302), (field, value[:80])
        if response.status_code == 302:  # saved: it must read back
            _everything_reads(api_client, staff_client, tmp_path)

    hostile_form()
    _everything_reads(api_client, staff_client, tmp_path)


def test_order_and_membership_admin_json_fields_answer_without_a_5xx(
    api_client, staff_client, world, tmp_path
):
    group = UserGroup.objects.create(code="other", title="Other")

    @HOSTILE
    @given(value=text_values)
    def hostile_json(value):
        add = reverse("admin:groups_usercustomergroup_add")
        data = {"customer": world["customer"].pk, "group": group.pk, "attributes": value}
        assert staff_client.post(add, data).status_code in (200, 302)
        order_url = reverse("admin:orders_order_change", args=[world["order"].pk])
        page = staff_client.get(order_url)
        assert page.status_code == 200
        _everything_reads(api_client, staff_client, tmp_path)

    hostile_json()


IMPORT_FIELDS = [
    "first_name",
    "note",
    "gender",
    "date_joined",
    "date_of_birth",
    "discount_percent",
    "attributes",
    "extra_field",
    "groups",
    "username",
    "email_allowed",
]
# JSON rows may also spoil their key fields and nested objects; a CSV has address.* columns.
JSON_ROW_FIELDS = [*IMPORT_FIELDS, "email", "channel", "address", "addresses", "password"]
CSV_FIELDS = [*IMPORT_FIELDS, "address.city", "address.country", "password"]


@pytest.mark.parametrize("fmt", ["ndjson", "json", "csv"])
def test_import_formats_take_hostile_rows_without_a_traceback(
    api_client, staff_client, world, tmp_path, fmt
):
    fields = CSV_FIELDS if fmt == "csv" else JSON_ROW_FIELDS

    @HOSTILE
    @given(field=st.sampled_from(fields), fragment=json_values, cell=text_values)
    def hostile_import(field, fragment, cell):
        good = '{"channel": "web", "email": "good@example.com"}'
        if fmt == "csv":
            value = cell.replace('"', '""')
            text = f'channel,email,{field}\nweb,good@example.com,\nweb,bad@example.com,"{value}"\n'
        else:
            bad = _body({"channel": "web", "email": "bad@example.com"}, field, fragment, world)
            rows = [good, bad, good.replace("good@", "good2@")]
            text = "\n".join(rows) + "\n" if fmt == "ndjson" else "[" + ",\n".join(rows) + "]"
        path = tmp_path / f"rows.{fmt}"
        path.write_text(text, encoding="utf-8")
        status, out, err = run("import_customers", str(path))
        assert status in (0, 1), (status, err[-500:])
        assert "Traceback" not in err
        err.encode("utf-8")
        assert Customer.objects.filter(email="good@example.com").exists()
        _everything_reads(api_client, staff_client, tmp_path)

    hostile_import()


ORDER_BASE = {
    "channel": "web",
    "number": "HOSTILE-1",
    "customer": {"email": "buyer@example.com"},
    "items": [{"sku": "A", "quantity": 1, "unit_price": "10.00"}],
}
ORDER_ROW_FIELDS = [
    "number",
    "status",
    "currency",
    "placed_at",
    "shipping_total",
    "discount_total",
    "total",
    "shipping_address",
    "billing_address",
    "customer",
    "items",
    "channel",
]


@pytest.mark.parametrize("fmt", ["ndjson", "json"])
def test_order_feeds_take_hostile_rows_without_a_traceback(
    api_client, staff_client, world, tmp_path, fmt
):
    @HOSTILE
    @given(field=st.sampled_from(ORDER_ROW_FIELDS), fragment=json_values)
    def hostile_feed(field, fragment):
        good = json.dumps({**ORDER_BASE, "number": "GOOD-1"})
        bad = _body(ORDER_BASE, field, fragment, world)
        rows = [good, bad, good.replace("GOOD-1", "GOOD-2")]
        text = "\n".join(rows) + "\n" if fmt == "ndjson" else "[" + ",\n".join(rows) + "]"
        path = tmp_path / f"orders.{fmt}"
        path.write_text(text, encoding="utf-8")
        status, out, err = run("import_orders", str(path))
        assert status in (0, 1), (status, err[-500:])
        assert "Traceback" not in err
        err.encode("utf-8")
        assert set(
            Order.objects.filter(number__startswith="GOOD-").values_list("number", flat=True)
        ) == {"GOOD-1", "GOOD-2"}
        _everything_reads(api_client, staff_client, tmp_path)

    hostile_feed()
