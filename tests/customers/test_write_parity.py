"""One customer object, every write entry point, the same answer.

Each case of CASES is run through POST, PUT and PATCH /api/v1/customers/, the upsert (one
object and a list of one), `import_customers` (NDJSON and CSV), the admin add form and an
order's `customer` object. Every answer is flattened to {dotted path: [messages]} and must
equal the case's; a refused object writes nothing, an accepted one stores the case's values.

Differences that belong to an entry point, not to a bug, are built by the drivers:
- the upsert, the import and an order's buyer create-or-update by e-mail, so an e-mail another
  customer has updates that customer (Case.by_email); POST, PUT, PATCH and the admin refuse it;
- PATCH keeps the stored e-mail when none is sent (Case.patch);
- an order's `customer` is an id or an object: a non-object gets the order's own message;
- PUT sends the channel with the case's fields; PATCH sends the case's fields alone.
Cases a CSV row or the admin form cannot say are skipped, with the reason, as listed in
CSV_CANNOT_EXPRESS and ADMIN_CANNOT_EXPRESS.
"""

import csv
import datetime
import io
import json
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import (
    CommonPasswordValidator,
    MinimumLengthValidator,
    NumericPasswordValidator,
)
from django.db import transaction
from django.test import Client
from rest_framework.settings import api_settings
from rest_framework.test import APIClient

from customers.imports.rows import (
    BOOLEAN_FIELDS,
    INVALID_BOOLEAN,
    INVALID_CHOICE,
    INVALID_DATE,
    INVALID_DATETIME,
    INVALID_NUMBER,
    JSON_FIELDS,
    NOT_A_LIST,
    NOT_NULL,
    NOT_STRING,
    PASSWORD_MAX_LENGTH,
    REQUIRED,
    ROW_NOT_OBJECT,
    TOO_LONG,
    TOO_MANY_DECIMALS,
    UNKNOWN_CHANNEL,
)
from customers.models import Address, Customer
from customers.validation import (
    DISCOUNT_RANGE,
    EMAIL_REQUIRED,
    EMAIL_TAKEN,
    INVALID_COUNTRY,
    INVALID_EMAIL,
    NOT_AN_OBJECT,
    USERNAME_TAKEN,
)
from groups.models import UserCustomerGroup
from groups.services import UNKNOWN_GROUPS
from orders.models import Order
from orders.validation import CUSTOMER_INVALID
from tests.admin.helpers import CUSTOMER_ADD, address_form, customer_form
from tests.customers.factories import ChannelFactory, CustomerFactory
from tests.groups.factories import UserGroupFactory
from tests.imports.helpers import run

pytestmark = pytest.mark.django_db

URL = "/api/v1/customers/"
UPSERT_URL = "/api/v1/customers/upsert/"
ORDERS_URL = "/api/v1/orders/"
CHANNEL = "web"
EXISTING_EMAIL = "existing@example.com"
TAKEN_EMAIL = "taken@example.com"
TAKEN_USERNAME = "taken"
MAX_NAME = 255
TOO_SHORT = str(MinimumLengthValidator().get_error_message())
TOO_COMMON = str(CommonPasswordValidator().get_error_message())
ALL_DIGITS = str(NumericPasswordValidator().get_error_message())


@dataclass(frozen=True)
class Accepted:
    """Stored values of the written customer (found by its e-mail, which `values` holds):
    model fields, plus "addresses" (dicts, by id), "groups" (sorted codes), "has_password"."""

    values: dict


@dataclass(frozen=True)
class Refused:
    errors: dict


@dataclass(frozen=True)
class Case:
    data: object
    outcome: Accepted | Refused
    # What the entry points that create-or-update by e-mail answer, when it differs.
    by_email: Accepted | Refused | None = None
    # What PATCH (which keeps what is not sent) answers, when it differs.
    patch: Accepted | Refused | None = None


def _ok(**values) -> Accepted:
    return Accepted(values)


def _no(errors: dict) -> Refused:
    return Refused(errors)


def case(data, outcome, id, **variants):
    return pytest.param(Case(data, outcome, **variants), id=id)


ANN = "ann@example.com"
RIO = {"city": "Rio", "country": "br"}

CASES = [
    # e-mail
    case({"email": ANN}, _ok(email=ANN), "minimal"),
    case({"email": " Ann@X.COM "}, _ok(email="ann@x.com"), "email-odd-case-and-spaces"),
    case({"email": "not-an-email"}, _no({"email": [INVALID_EMAIL]}), "email-invalid"),
    case({"email": "ann @x.com"}, _no({"email": [INVALID_EMAIL]}), "email-inner-space"),
    case({"email": 42}, _no({"email": [INVALID_EMAIL]}), "email-number"),
    case({"email": ""}, _no({"email": [EMAIL_REQUIRED]}), "email-blank"),
    case({"email": None}, _no({"email": [NOT_NULL]}), "email-null"),
    case(
        {"first_name": "Nomail"},
        _no({"email": [REQUIRED]}),
        "email-missing",
        patch=_ok(email=EXISTING_EMAIL, first_name="Nomail"),
    ),
    case(
        {"email": "TAKEN@example.com", "first_name": "Dup"},
        _no({"email": [EMAIL_TAKEN]}),
        "email-taken-by-another-customer",
        by_email=_ok(email=TAKEN_EMAIL, first_name="Dup"),
    ),
    # text
    case({"email": ANN, "first_name": 123}, _ok(email=ANN, first_name="123"), "text-number"),
    case({"email": ANN, "phone": 5551234}, _ok(email=ANN, phone="5551234"), "phone-number"),
    case({"email": ANN, "first_name": "  Ann  "}, _ok(email=ANN, first_name="Ann"), "text-trim"),
    case(
        {"email": ANN, "first_name": "a" * MAX_NAME},
        _ok(email=ANN, first_name="a" * MAX_NAME),
        "first-name-255-chars",
    ),
    case(
        {"email": ANN, "first_name": "a" * (MAX_NAME + 1)},
        _no({"first_name": [TOO_LONG.format(max=MAX_NAME)]}),
        "first-name-256-chars",
    ),
    case({"email": ANN, "first_name": None}, _no({"first_name": [NOT_NULL]}), "text-null"),
    case({"email": ANN, "first_name": True}, _no({"first_name": [NOT_STRING]}), "text-boolean"),
    case({"email": ANN, "last_name": ["Lee"]}, _no({"last_name": [NOT_STRING]}), "text-list"),
    # choices
    case({"email": ANN, "status": "inactive"}, _ok(email=ANN, status="inactive"), "status-ok"),
    case(
        {"email": ANN, "status": "weird"},
        _no({"status": [INVALID_CHOICE.format(value="weird")]}),
        "status-weird",
    ),
    case(
        {"email": ANN, "gender": 3},
        _no({"gender": [INVALID_CHOICE.format(value=3)]}),
        "gender-number",
    ),
    case(
        {"email": ANN, "gender": "FEMALE"},
        _no({"gender": [INVALID_CHOICE.format(value="FEMALE")]}),
        "gender-upper-case",
    ),
    # booleans
    case({"email": ANN, "email_allowed": True}, _ok(email=ANN, email_allowed=True), "bool-true"),
    case({"email": ANN, "sms_allowed": "yes"}, _ok(email=ANN, sms_allowed=True), "bool-yes"),
    case(
        {"email": ANN, "sms_allowed": "maybe"},
        _no({"sms_allowed": [INVALID_BOOLEAN]}),
        "bool-maybe",
    ),
    case(
        {"email": ANN, "call_allowed": [True]},
        _no({"call_allowed": [INVALID_BOOLEAN]}),
        "bool-list",
    ),
    # dates
    case(
        {"email": ANN, "date_of_birth": "1990-05-01"},
        _ok(email=ANN, date_of_birth=datetime.date(1990, 5, 1)),
        "birth-date-ok",
    ),
    case(
        {"email": ANN, "date_of_birth": None},
        _ok(email=ANN, date_of_birth=None),
        "birth-date-null",
    ),
    case(
        {"email": ANN, "date_of_birth": "01/05/1990"},
        _no({"date_of_birth": [INVALID_DATE]}),
        "birth-date-wrong-format",
    ),
    case(
        {"email": ANN, "date_of_birth": "1990-02-31"},
        _no({"date_of_birth": [INVALID_DATE]}),
        "birth-date-impossible",
    ),
    case(
        {"email": ANN, "date_of_birth": {"year": 1990}},
        _no({"date_of_birth": [INVALID_DATE]}),
        "birth-date-object",
    ),
    case(
        {"email": ANN, "date_joined": "2024-01-02T03:04:05Z"},
        _ok(email=ANN, date_joined=datetime.datetime(2024, 1, 2, 3, 4, 5, tzinfo=datetime.UTC)),
        "date-joined-ok",
    ),
    case(
        {"email": ANN, "date_joined": "yesterday"},
        _no({"date_joined": [INVALID_DATETIME]}),
        "date-joined-wrong-format",
    ),
    # discount
    case(
        {"email": ANN, "discount_percent": 12.5},
        _ok(email=ANN, discount_percent=Decimal("12.5")),
        "discount-ok",
    ),
    case(
        {"email": ANN, "discount_percent": 101},
        _no({"discount_percent": [DISCOUNT_RANGE]}),
        "discount-above-100",
    ),
    case(
        {"email": ANN, "discount_percent": "-1"},
        _no({"discount_percent": [DISCOUNT_RANGE]}),
        "discount-negative",
    ),
    case(
        {"email": ANN, "discount_percent": "10.555"},
        _no({"discount_percent": [TOO_MANY_DECIMALS.format(places=2)]}),
        "discount-3-decimals",
    ),
    case(
        {"email": ANN, "discount_percent": "abc"},
        _no({"discount_percent": [INVALID_NUMBER]}),
        "discount-not-a-number",
    ),
    case(
        {"email": ANN, "discount_percent": None},
        _no({"discount_percent": [INVALID_NUMBER]}),
        "discount-null",
    ),
    # JSON objects
    case(
        {"email": ANN, "attributes": {"size": "M"}},
        _ok(email=ANN, attributes={"size": "M"}),
        "attributes-ok",
    ),
    case(
        {"email": ANN, "attributes": [1, 2]},
        _no({"attributes": [NOT_AN_OBJECT]}),
        "attributes-list",
    ),
    case(
        {"email": ANN, "attributes": "text"},
        _no({"attributes": [NOT_AN_OBJECT]}),
        "attributes-string",
    ),
    case(
        {"email": ANN, "attributes": 5}, _no({"attributes": [NOT_AN_OBJECT]}), "attributes-number"
    ),
    case(
        {"email": ANN, "extra_field": ["a"]},
        _no({"extra_field": [NOT_AN_OBJECT]}),
        "extra-field-list",
    ),
    case(
        {"email": ANN, "extra_field": None},
        _no({"extra_field": [NOT_AN_OBJECT]}),
        "extra-field-null",
    ),
    # username
    case({"email": ANN, "username": "  bob "}, _ok(email=ANN, username="bob"), "username-ok"),
    case({"email": ANN, "username": None}, _ok(email=ANN, username=None), "username-null"),
    case(
        {"email": ANN, "username": TAKEN_USERNAME},
        _no({"username": [USERNAME_TAKEN]}),
        "username-taken",
    ),
    # name
    case(
        {"email": ANN, "name": "Ann Lee"},
        _ok(email=ANN, first_name="Ann", last_name="Lee"),
        "name-split",
    ),
    case(
        {"email": ANN, "name": "Ann Lee", "first_name": "Bo"},
        _ok(email=ANN, first_name="Bo"),
        "name-with-first-name",
    ),
    # groups
    case(
        {"email": ANN, "groups": ["vip", "news"]}, _ok(email=ANN, groups=["news", "vip"]), "groups"
    ),
    case({"email": ANN, "groups": []}, _ok(email=ANN, groups=[]), "groups-empty"),
    case(
        {"email": ANN, "groups": ["vip", "nope"]},
        _no({"groups": [UNKNOWN_GROUPS.format(codes="nope")]}),
        "groups-unknown",
    ),
    case(
        {"email": ANN, "groups": "vip"},
        _no({"groups": [NOT_A_LIST.format(type="str")]}),
        "groups-string",
    ),
    case(
        {"email": ANN, "groups": {"code": "vip"}},
        _no({"groups": [NOT_A_LIST.format(type="dict")]}),
        "groups-object",
    ),
    # password
    case(
        {"email": ANN, "password": "correct-horse-battery-9"},
        _ok(email=ANN, has_password=True),
        "password-ok",
    ),
    case(
        {"email": ANN, "password": "123"},
        _no({"password": [TOO_SHORT, TOO_COMMON, ALL_DIGITS]}),
        "password-123",
    ),
    case(
        {"email": ANN, "password": "password"}, _no({"password": [TOO_COMMON]}), "password-common"
    ),
    case(
        {"email": ANN, "password": "Xy7-" * (PASSWORD_MAX_LENGTH // 4) + "z"},
        _no({"password": [TOO_LONG.format(max=PASSWORD_MAX_LENGTH)]}),
        "password-too-long",
    ),
    # addresses
    case(
        {"email": ANN, "addresses": [RIO]},
        _ok(email=ANN, addresses=[{"city": "Rio", "country": "BR", "is_default": True}]),
        "address-ok",
    ),
    case(
        {"email": ANN, "addresses": [{"city": "Rio", "country": "XX"}]},
        _no({"addresses.0.country": [INVALID_COUNTRY]}),
        "address-country-XX",
    ),
    case(
        {"email": ANN, "addresses": [{"city": "Rio", "country": "Brazil"}]},
        _no({"addresses.0.country": [INVALID_COUNTRY]}),
        "address-country-name",
    ),
    case(
        {"email": ANN, "addresses": [RIO, {"city": "B", "country": "XX"}]},
        _no({"addresses.1.country": [INVALID_COUNTRY]}),
        "second-address-bad-country",
    ),
    case(
        {"email": ANN, "addresses": [{"city": "x" * (MAX_NAME + 1), "country": "BR"}]},
        _no({"addresses.0.city": [TOO_LONG.format(max=MAX_NAME)]}),
        "address-city-too-long",
    ),
    case(
        {
            "email": ANN,
            "addresses": [
                {"city": "A", "country": "BR", "is_default": True},
                {"city": "B", "country": "BR", "is_default": True},
            ],
        },
        # The later default wins, as when the API adds a default address.
        _ok(
            email=ANN,
            addresses=[{"city": "A", "is_default": False}, {"city": "B", "is_default": True}],
        ),
        "two-default-addresses",
    ),
    case(
        {"email": ANN, "addresses": [{"city": "Rio", "is_default": "maybe"}]},
        _no({"addresses.0.is_default": [INVALID_BOOLEAN]}),
        "address-flag-maybe",
    ),
    case(
        {"email": ANN, "addresses": ["Rio"]},
        _no({"addresses.0": [ROW_NOT_OBJECT]}),
        "address-not-object",
    ),
    case(
        {"email": ANN, "addresses": RIO},
        _no({"addresses": [NOT_A_LIST.format(type="dict")]}),
        "addresses-not-list",
    ),
    case(
        {"email": ANN, "name": "a" * (MAX_NAME + 45)},
        _no({"name": [TOO_LONG.format(max=MAX_NAME)]}),
        "name-one-word-too-long",
    ),
    case({"email": "   "}, _no({"email": [EMAIL_REQUIRED]}), "email-only-spaces"),
    case(
        {"email": ANN, "phone": "1" * 129},
        _no({"phone": [TOO_LONG.format(max=128)]}),
        "phone-129-chars",
    ),
    case(
        {"email": ANN, "username": "u" * (MAX_NAME + 1)},
        _no({"username": [TOO_LONG.format(max=MAX_NAME)]}),
        "username-256-chars",
    ),
    case({"email": ANN, "username": ""}, _ok(email=ANN, username=None), "username-blank"),
    case(
        {"email": ANN, "status": " active "},
        _no({"status": [INVALID_CHOICE.format(value=" active ")]}),
        "status-with-spaces",
    ),
    case(
        {"email": ANN, "date_joined": None},
        _no({"date_joined": [INVALID_DATETIME]}),
        "date-joined-null",
    ),
    case(
        {"email": ANN, "groups": [" vip ", "vip"]},
        _ok(email=ANN, groups=["vip"]),
        "groups-spaces-and-repeats",
    ),
    case(
        {"email": ANN, "groups": [1]},
        _no({"groups": [UNKNOWN_GROUPS.format(codes="1")]}),
        "groups-number-code",
    ),
    case({"email": ANN, "addresses": None}, _ok(email=ANN, addresses=[]), "addresses-null"),
    case({"email": ANN, "addresses": []}, _ok(email=ANN, addresses=[]), "addresses-empty"),
    case(
        {
            "email": ANN,
            "addresses": [
                {"city": "A", "is_billing": True},
                {"city": "B", "is_billing": True},
            ],
        },
        _ok(
            email=ANN,
            addresses=[
                {"city": "A", "is_default": True, "is_billing": False},
                {"city": "B", "is_default": False, "is_billing": True},
            ],
        ),
        "two-billing-addresses",
    ),
    case(
        {"email": ANN, "addresses": [{"city": "Rio", "number": 12, "zipcode": 5000}]},
        _ok(email=ANN, addresses=[{"city": "Rio", "number": "12", "zipcode": "5000"}]),
        "address-numbers-for-text",
    ),
    case(
        {"email": ANN, "send_email_invite": "maybe"},
        _no({"send_email_invite": [INVALID_BOOLEAN]}),
        "invite-flag-maybe",
    ),
    # the object
    case(
        {"email": ANN, "channel": "nope"},
        _no({"channel": [UNKNOWN_CHANNEL.format(value="nope")]}),
        "channel-unknown",
    ),
    case({"email": ANN, "shoe_size": 42}, _ok(email=ANN), "unknown-key-ignored"),
    case(
        {
            "email": "bad",
            "status": "weird",
            "discount_percent": "abc",
            "addresses": [{"country": 1}],
        },
        _no(
            {
                "email": [INVALID_EMAIL],
                "status": [INVALID_CHOICE.format(value="weird")],
                "discount_percent": [INVALID_NUMBER],
                "addresses.0.country": [INVALID_COUNTRY],
            }
        ),
        "many-errors",
    ),
    case("just text", _no({"": [ROW_NOT_OBJECT]}), "body-string"),
    case(4.5, _no({"": [ROW_NOT_OBJECT]}), "body-number"),
]

_ONE_ADDRESS = "a CSV carries one address (address.* columns)"
_NO_NULL = "a blank CSV cell of this column means 'not sent', not null"
CSV_CANNOT_EXPRESS = {
    "email-null": _NO_NULL,
    "text-null": _NO_NULL,
    "discount-null": _NO_NULL,
    "text-boolean": "a CSV cell is text: 'true' is a valid name",
    "text-list": "a CSV cell cannot hold a list",
    "bool-list": "a CSV cell cannot hold a list",
    "birth-date-object": "a CSV cell cannot hold an object",
    "groups-string": "the groups cell is always read as a|b list",
    "groups-object": "the groups cell is always read as a|b list",
    "second-address-bad-country": _ONE_ADDRESS,
    "two-default-addresses": _ONE_ADDRESS,
    "address-not-object": _ONE_ADDRESS,
    "addresses-not-list": _ONE_ADDRESS,
    "unknown-key-ignored": "an unknown column refuses the whole file",
    "body-string": "a CSV record is always an object",
    "body-number": "a CSV record is always an object",
    "date-joined-null": _NO_NULL,
    "addresses-null": _ONE_ADDRESS,
    "addresses-empty": _ONE_ADDRESS,
    "two-billing-addresses": _ONE_ADDRESS,
    "invite-flag-maybe": "send_email_invite is a write-only API field; the CSV reader drops it",
}

_NOT_A_FIELD = "the customer form has no such field"
_CHECKBOX = "a checkbox is ticked or not"
_GROUP_INLINE = "groups are memberships picked from existing groups (an inline)"
ADMIN_CANNOT_EXPRESS = {
    "email-null": "a text box cannot send null",
    "text-null": "a text box cannot send null",
    "discount-null": "a text box cannot send null",
    "text-boolean": "a text box sends text",
    "text-list": "a text box sends text",
    "bool-yes": _CHECKBOX,
    "bool-maybe": _CHECKBOX,
    "bool-list": _CHECKBOX,
    "birth-date-object": "a date box sends text",
    "name-split": _NOT_A_FIELD,
    "name-with-first-name": _NOT_A_FIELD,
    "groups": _GROUP_INLINE,
    "groups-empty": _GROUP_INLINE,
    "groups-unknown": _GROUP_INLINE,
    "groups-string": _GROUP_INLINE,
    "groups-object": _GROUP_INLINE,
    "password-ok": _NOT_A_FIELD,
    "password-123": _NOT_A_FIELD,
    "password-common": _NOT_A_FIELD,
    "password-too-long": _NOT_A_FIELD,
    "address-flag-maybe": _CHECKBOX,
    "address-not-object": "an address inline is always a form",
    "addresses-not-list": "the address inlines are always a list",
    "unknown-key-ignored": _NOT_A_FIELD,
    "body-string": "a form is always an object",
    "body-number": "a form is always an object",
    "name-one-word-too-long": _NOT_A_FIELD,
    "date-joined-null": "a date box cannot send null",
    "groups-spaces-and-repeats": _GROUP_INLINE,
    "groups-number-code": _GROUP_INLINE,
    "addresses-null": "the address inlines are always a list",
    "invite-flag-maybe": _NOT_A_FIELD,
}


# --- flattening ----------------------------------------------------------------------------------


def _join(path: str, key: str) -> str:
    if not key:
        return path
    return f"{path}.{key}" if path else key


def errors_flatten(node, path: str = "") -> dict[str, list[str]]:
    """DRF's nested errors as {dotted path: [messages]}; non_field_errors is the "" key."""
    if isinstance(node, dict):
        flat = {}
        for key, value in node.items():
            key = "" if key in (api_settings.NON_FIELD_ERRORS_KEY, "__all__") else str(key)
            flat.update(errors_flatten(value, _join(path, key)))
        return flat
    if isinstance(node, list) and all(isinstance(item, str) for item in node):
        return {path: [str(item) for item in node]} if node else {}
    if isinstance(node, list):
        flat = {}
        for index, item in enumerate(node):
            flat.update(errors_flatten(item, _join(path, str(index))))
        return flat
    return {path: [str(node)]}


def _unprefix(errors: dict, prefix: str) -> dict:
    """Keys under `prefix` without it; any other key is kept as is (and fails the test)."""
    result = {}
    for key, messages in errors.items():
        if key == prefix:
            key = ""
        elif key.startswith(prefix + "."):
            key = key.removeprefix(prefix + ".")
        result[key] = messages
    return result


# --- drivers: each sends the object and answers {} (accepted) or the flattened errors ------------


@dataclass
class World:
    api: object
    staff: object
    existing: Customer
    tmp_path: object


def _with_channel(data):
    return {"channel": CHANNEL, **data} if isinstance(data, dict) else data


def _api_answer(response, ok: int) -> dict:
    if response.status_code == ok:
        return {}
    assert response.status_code == 400, (response.status_code, response.content)
    return errors_flatten(response.data)


def drive_post(world: World, data) -> dict:
    return _api_answer(world.api.post(URL, _with_channel(data), format="json"), 201)


def drive_put(world: World, data) -> dict:
    url = f"{URL}{world.existing.pk}/"
    return _api_answer(world.api.put(url, _with_channel(data), format="json"), 200)


def drive_patch(world: World, data) -> dict:
    url = f"{URL}{world.existing.pk}/"
    return _api_answer(world.api.patch(url, data, format="json"), 200)


def drive_upsert(world: World, data) -> dict:
    return _api_answer(world.api.post(UPSERT_URL, _with_channel(data), format="json"), 200)


def drive_upsert_list(world: World, data) -> dict:
    response = world.api.post(UPSERT_URL, [_with_channel(data)], format="json")
    return _unprefix(_api_answer(response, 200), "items.0")


def drive_order(world: World, data) -> dict:
    body = {"channel": CHANNEL, "number": "1001", "customer": data, "total": "10.00"}
    return _unprefix(_api_answer(world.api.post(ORDERS_URL, body, format="json"), 201), "customer")


def _import(world: World, name: str, text: str) -> dict:
    path = world.tmp_path / name
    path.write_text(text, encoding="utf-8")
    report = world.tmp_path / "errors.csv"
    code, out, err = run("import_customers", str(path), errors=str(report))
    assert code in (0, 1), (code, out, err)
    errors: dict[str, list[str]] = {}
    with report.open(encoding="utf-8", newline="") as handle:
        for _, field, message in list(csv.reader(handle))[1:]:
            errors.setdefault(field, []).append(message)
    assert bool(errors) == (code == 1), (code, out, err)
    return errors


def drive_import_ndjson(world: World, data) -> dict:
    return _import(world, "customers.ndjson", json.dumps(_with_channel(data)) + "\n")


def _csv_text(name: str, value) -> str:
    """A value as the CSV reader reads it back (TypeError: a CSV cannot say it)."""
    if name in JSON_FIELDS:
        return json.dumps(value)
    if name == "groups" and isinstance(value, list):
        return "|".join(str(code) for code in value)
    if isinstance(value, bool) and name in BOOLEAN_FIELDS + ("is_default", "is_billing"):
        return "true" if value else "false"
    if value is None and name in ("username", "date_of_birth"):
        return ""
    if isinstance(value, str) or (isinstance(value, int | float) and not isinstance(value, bool)):
        return str(value)
    raise TypeError(f"a CSV cannot express {name}={value!r}")


def _csv_cells(data: dict) -> dict[str, str]:
    cells = {}
    for name, value in data.items():
        if name == "addresses":
            (address,) = value
            cells.update({f"address.{k}": _csv_text(k, v) for k, v in address.items()})
        else:
            cells[name] = _csv_text(name, value)
    return cells


def drive_import_csv(world: World, data) -> dict:
    cells = _csv_cells(_with_channel(data))
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(list(cells))
    writer.writerow(list(cells.values()))
    errors = _import(world, "customers.csv", text.getvalue())
    # The CSV's one address is `address.*`; the object's is addresses.0.
    return {key.replace("address.", "addresses.0.", 1): msgs for key, msgs in errors.items()}


def _form_text(name: str, value) -> dict[str, str]:
    """A value as the admin form posts it (TypeError: a form cannot say it)."""
    if name in JSON_FIELDS:
        return {name: json.dumps(value)}
    if name == "date_joined":
        return {"date_joined_0": value, "date_joined_1": ""}
    if isinstance(value, bool) and name in BOOLEAN_FIELDS + ("is_default", "is_billing"):
        return {name: "on"} if value else {}
    if value is None and name in ("username", "date_of_birth"):
        return {name: ""}
    if isinstance(value, str) or (isinstance(value, int | float) and not isinstance(value, bool)):
        return {name: str(value)}
    raise TypeError(f"a form cannot express {name}={value!r}")


def _admin_errors(response) -> dict:
    errors = errors_flatten(dict(response.context["adminform"].form.errors))
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        for index, form_errors in enumerate(formset.errors):
            errors.update(errors_flatten(dict(form_errors), f"{formset.prefix}.{index}"))
        errors.update(errors_flatten(list(formset.non_form_errors()), formset.prefix))
    return errors


def drive_admin_add(world: World, data) -> dict:
    fields = {"channel": CHANNEL, "email": ""}
    for name, value in data.items():
        if name != "addresses":
            fields.pop(name, None)
            fields.update(_form_text(name, value))
    addresses = []
    for address in data.get("addresses", []):
        posted = {}
        for name, value in address.items():
            posted.update(_form_text(name, value))
        addresses.append(address_form(**posted))
    response = world.staff.post(CUSTOMER_ADD, customer_form(addresses=addresses, **fields))
    if response.status_code == 302:
        return {}
    assert response.status_code == 200, response.status_code
    return _admin_errors(response)


DRIVERS = {
    "post": drive_post,
    "put": drive_put,
    "patch": drive_patch,
    "upsert": drive_upsert,
    "upsert-list": drive_upsert_list,
    "import-ndjson": drive_import_ndjson,
    "import-csv": drive_import_csv,
    "admin-add": drive_admin_add,
    "order": drive_order,
}
BY_EMAIL = frozenset({"upsert", "upsert-list", "import-ndjson", "import-csv", "order"})


def expected_outcome(entry: str, case_: Case) -> Accepted | Refused:
    if entry == "patch" and case_.patch is not None:
        return case_.patch
    if entry in BY_EMAIL and case_.by_email is not None:
        return case_.by_email
    if entry == "order" and not isinstance(case_.data, dict):
        # An order's customer is an id or an object: its field says so before the services.
        return Refused({"": [CUSTOMER_INVALID]})
    return case_.outcome


# --- the test ------------------------------------------------------------------------------------


def _marks(case_id: str, entry: str) -> list:
    if entry == "import-csv" and case_id in CSV_CANNOT_EXPRESS:
        return [pytest.mark.skip(reason=f"CSV: {CSV_CANNOT_EXPRESS[case_id]}")]
    if entry == "admin-add" and case_id in ADMIN_CANNOT_EXPRESS:
        return [pytest.mark.skip(reason=f"admin: {ADMIN_CANNOT_EXPRESS[case_id]}")]
    return []


PARAMS = [
    pytest.param(param.values[0], entry, id=f"{param.id}-{entry}", marks=_marks(param.id, entry))
    for param in CASES
    for entry in DRIVERS
]


def _snapshot() -> tuple:
    return (
        list(Customer.objects.order_by("pk").values()),
        list(Address.objects.order_by("pk").values()),
        list(UserCustomerGroup.objects.order_by("pk").values()),
        Order.objects.count(),
    )


def _stored(customer: Customer, expected: dict) -> dict:
    stored = {}
    for name, value in expected.items():
        if name == "addresses":
            addresses = list(customer.addresses.order_by("pk").values())
            stored[name] = [
                {key: address[key] for key in shape}
                for address, shape in zip(addresses, [*value, *addresses], strict=False)
            ]
        elif name == "groups":
            stored[name] = sorted(customer.groups.values_list("code", flat=True))
        else:
            stored[name] = getattr(customer, name)
    return stored


@pytest.fixture(scope="module")
def _world(django_db_setup, django_db_blocker):
    """The channel, groups, customers and signed-in clients every case starts from, made once
    in a transaction around the module's tests (each test rolls back to it)."""
    with django_db_blocker.unblock(), transaction.atomic():
        channel = ChannelFactory(code=CHANNEL)
        UserGroupFactory(code="vip")
        UserGroupFactory(code="news")
        CustomerFactory(channel=channel, email=TAKEN_EMAIL, username=TAKEN_USERNAME)
        existing = CustomerFactory(channel=channel, email=EXISTING_EMAIL, first_name="Old")
        users = get_user_model().objects
        api = APIClient()
        api.force_authenticate(users.create_superuser("parity-api", "api@example.com", "pw"))
        staff = Client()
        staff.force_login(users.create_superuser("parity-staff", "staff@example.com", "pw"))
        yield World(api, staff, existing, None)
        transaction.set_rollback(True)


@pytest.fixture
def world(_world, tmp_path) -> World:
    return World(_world.api, _world.staff, _world.existing, tmp_path)


def test_parity_table_is_large_and_named():
    ids = [param.id for param in CASES]
    assert len(ids) >= 40
    assert len(set(ids)) == len(ids)
    assert set(CSV_CANNOT_EXPRESS) <= set(ids)
    assert set(ADMIN_CANNOT_EXPRESS) <= set(ids)


@pytest.mark.parametrize(("case_", "entry"), PARAMS)
def test_every_entry_point_answers_the_same(world, case_: Case, entry: str):
    expected = expected_outcome(entry, case_)
    before = _snapshot()

    answer = DRIVERS[entry](world, case_.data)

    if isinstance(expected, Refused):
        assert answer == expected.errors
        assert _snapshot() == before
    else:
        assert answer == {}
        customer = Customer.objects.get(channel__code=CHANNEL, email=expected.values["email"])
        assert _stored(customer, expected.values) == expected.values
