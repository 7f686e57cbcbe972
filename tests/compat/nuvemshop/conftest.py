"""Seed examples (tests/compat/nuvemshop/seeds/, copied verbatim from the Nuvemshop seed
document) and customers stored as those examples describe them."""

import datetime
import json
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils.dateparse import parse_datetime

from customers.models import Address, Customer
from orders.services import customer_stats_refresh
from tests.customers.factories import ChannelFactory, CustomerFactory
from tests.orders.factories import OrderFactory

SEEDS = Path(__file__).parent / "seeds"
CHANNEL = "store"
BASE = f"/compat/nuvemshop/v1/{CHANNEL}"
_SEED_ADDRESS_PARTS = (
    "address",
    "city",
    "country",
    "floor",
    "locality",
    "number",
    "phone",
    "province",
    "zipcode",
)


def seed(name: str):
    """A seed example, parsed: request or response body."""
    return json.loads(seed_bytes(name))


def seed_bytes(name: str) -> bytes:
    """A seed example as printed in the seed document (a request body is sent as these)."""
    return (SEEDS / f"{name}.json").read_bytes()


def _moment(text: str) -> datetime.datetime:
    return parse_datetime(text)


def _address_values(obj: dict, prefix: str = "") -> dict:
    return {part: obj.get(prefix + part) or "" for part in _SEED_ADDRESS_PARTS}


def seed_customer_store(obj: dict, *, channel, pk: int, address_pk: int, email=None) -> Customer:
    """Store the customer a seed response shows (its names, addresses, billing fields, last
    order and total spent, timestamps), with the given ids."""
    first, _, last = obj["name"].partition(" ")
    customer = CustomerFactory(
        pk=pk,
        channel=channel,
        email=email or obj["email"],
        first_name=first,
        last_name=last,
        phone=obj["phone"] or "",
        identification=obj["identification"] or "",
        note=obj["note"] or "",
        extra_field=obj["extra"],
        created_at=_moment(obj["created_at"]),
    )
    shown = obj["default_address"]
    default = Address.objects.create(
        pk=address_pk,
        customer=customer,
        is_default=True,
        created_at=_moment(shown["created_at"]),
        **_address_values(shown),
    )
    billing = _address_values(obj, "billing_")
    if billing == _address_values(shown):
        Address.objects.filter(pk=default.pk).update(is_billing=True)
    else:
        Address.objects.create(customer=customer, is_billing=True, **billing)
    Address.objects.filter(pk=default.pk).update(updated_at=_moment(shown["updated_at"]))
    if obj["last_order_id"] is not None:
        spent = Decimal(obj["total_spent"])
        OrderFactory(pk=obj["last_order_id"], customer=customer, subtotal=spent, total=spent)
        customer_stats_refresh(customer_ids=[customer.pk])
    Customer.objects.filter(pk=pk).update(updated_at=_moment(obj["updated_at"]))
    return Customer.objects.get(pk=pk)


@pytest.fixture
def store(db):
    return ChannelFactory(code=CHANNEL, name="Store", currency="USD")


def _json_type(value) -> str:
    kinds = {bool: "boolean", int: "integer", float: "number", str: "string", type(None): "null"}
    return kinds.get(type(value), "array" if isinstance(value, list) else "object")


def _types_seen(value, seen: dict) -> None:
    if isinstance(value, list):
        for item in value:
            _types_seen(item, seen)
    elif isinstance(value, dict):
        for key, item in value.items():
            seen.setdefault(key, set()).add(_json_type(item))
            _types_seen(item, seen)


def seed_key_types() -> dict[str, set[str]]:
    """{field name: the JSON types the seed's responses show for it}. `identification` may
    be null as well: Patron shows blank text as null, as the seed does for note and phone."""
    seen: dict[str, set[str]] = {}
    for path in sorted(SEEDS.glob("*_response.json")):
        _types_seen(json.loads(path.read_text(encoding="utf-8")), seen)
    seen["identification"].add("null")
    return seen


def _is_moment(text) -> bool:
    return isinstance(text, str) and len(text) == 25 and parse_datetime(text) is not None


def assert_like_seed(answer, example, *, values=True, skip=(), extra=("active",), path=""):
    """The answer has the example's shape: the same keys (plus `extra`, the fields of the
    seed's property list its examples leave out), nesting and JSON types (null where the
    seed shows one for that field). With `values`, the same values too (date-times as the
    same instant), except at the dotted paths in `skip` ("addresses.*.id")."""
    if path.endswith("extra"):  # a free JSON object: its keys are data, not shape
        assert isinstance(answer, dict), path
        assert not values or answer == example, path
        return
    if isinstance(example, dict):
        assert isinstance(answer, dict), path
        assert set(example) <= set(answer), (path, set(example) - set(answer))
        allowed = set(extra) if "default_address" in example else set()
        assert set(answer) - set(example) <= allowed, (path, set(answer) - set(example))
        for key, value in example.items():
            where = f"{path}.{key}" if path else key
            assert_like_seed(answer[key], value, values=values, skip=skip, extra=extra, path=where)
        return
    key = path.rsplit(".", 1)[-1]
    if not key.isdigit():
        assert _json_type(answer) in seed_key_types().get(key, {_json_type(example)}), (
            path,
            answer,
        )
    if isinstance(example, list):
        if values and path not in skip:
            assert len(answer) == len(example), path
        for index, item in enumerate(answer):
            model = example[min(index, len(example) - 1)]
            same = values and path not in skip and index < len(example)
            where = f"{path}.{index}" if path else str(index)
            assert_like_seed(item, model, values=same, skip=skip, extra=extra, path=where)
        return
    if not values or _skipped(path, skip):
        return
    if _is_moment(example):
        assert _is_moment(answer), (path, answer)
        assert parse_datetime(answer) == parse_datetime(example), (path, answer, example)
    else:
        assert answer == example, (path, answer, example)


def _skipped(path: str, skip) -> bool:
    parts = path.split(".")
    for pattern in skip:
        wanted = pattern.split(".")
        if len(wanted) == len(parts) and all(
            w in ("*", p) for w, p in zip(wanted, parts, strict=True)
        ):
            return True
    return False
