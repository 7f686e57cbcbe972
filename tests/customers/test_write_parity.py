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

from config.unknown_names import unknown_name_message
from customers.imports.rows import (
    BOOLEAN_FIELDS,
    INVALID_BOOLEAN,
    INVALID_CHOICE,
    INVALID_DATE,
    INVALID_DATETIME,
    INVALID_NUMBER,
    JSON_FIELDS,
    NAME_CONFLICT,
    NOT_A_LIST,
    NOT_NULL,
    NOT_STRING,
    PASSWORD_MAX_LENGTH,
    REPRESENTED_FIELDS,
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
from tests.imports.helpers import rejected_rows_errors, run

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


NAME_DISAGREES = {"name": [NAME_CONFLICT]}
FIRST_NAME_MEANT = "Unknown field 'firstName'. Did you mean 'first_name'?"
# Read-only names of the representation, as a GET answers them: accepted and ignored.
READ_ONLY_ECHO = {
    "id": 9999,
    "is_active": False,
    "orders_count": 7,
    "total_spent": "89.00",
    "last_order_id": 9001,
    "has_password": True,
    "default_address": {"city": "Nowhere"},
    "billing_address": None,
    "created_at": "2013-01-03T09:11:51-03:00",
    "updated_at": "2013-03-11T09:14:11-03:00",
    "version": "3",
}


def case(id, data, outcome, **variants):
    return pytest.param(Case(data, outcome, **variants), id=id)


ANN = "ann@example.com"
RIO = {"city": "Rio", "country": "br"}
JOINED = datetime.datetime(2024, 1, 2, 3, 4, 5, tzinfo=datetime.UTC)
LONG_PASSWORD = "Xy7-" * (PASSWORD_MAX_LENGTH // 4) + "z"


def ann(id, data: dict, outcome, **variants):
    """A case of {"email": ANN, **data}; an accepted one stores email=ANN as well."""
    if isinstance(outcome, Accepted):
        outcome = _ok(email=ANN, **outcome.values)
    return case(id, {"email": ANN, **data}, outcome, **variants)


# (orders_count is left out: an order's buyer has one order once written.)
ECHO_IGNORED = Accepted({"has_password": False, "status": "active", "last_login_at": None})


def stores(id, field: str, sent, stored):
    """ANN with `field` sent, accepted and stored as `stored`."""
    return ann(id, {field: sent}, _ok(**{field: stored}))


def refused(id, field: str, sent, *messages, at: str | None = None):
    """ANN with `field` sent, refused with `messages` on `at` (the field itself by default)."""
    return ann(id, {field: sent}, _no({at or field: list(messages)}))


def too_long(id, field: str, sent, limit: int, at: str | None = None):
    return refused(id, field, sent, TOO_LONG.format(max=limit), at=at)


def bad_choice(id, field: str, sent):
    return refused(id, field, sent, INVALID_CHOICE.format(value=sent))


def bad_address(id, addresses: list, at: str, message: str):
    return refused(id, "addresses", addresses, message, at=f"addresses.{at}")


def bad_country(id, addresses: list, index: int):
    return bad_address(id, addresses, f"{index}.country", INVALID_COUNTRY)


CASES = [
    # e-mail
    case("minimal", {"email": ANN}, _ok(email=ANN)),
    case("email-odd-case-and-spaces", {"email": " Ann@X.COM "}, _ok(email="ann@x.com")),
    case("email-invalid", {"email": "not-an-email"}, _no({"email": [INVALID_EMAIL]})),
    case("email-inner-space", {"email": "ann @x.com"}, _no({"email": [INVALID_EMAIL]})),
    case("email-number", {"email": 42}, _no({"email": [INVALID_EMAIL]})),
    case("email-blank", {"email": ""}, _no({"email": [EMAIL_REQUIRED]})),
    case("email-null", {"email": None}, _no({"email": [NOT_NULL]})),
    case(
        "email-missing",
        {"first_name": "Nomail"},
        _no({"email": [REQUIRED]}),
        patch=_ok(email=EXISTING_EMAIL, first_name="Nomail"),
    ),
    case(
        "email-taken-by-another-customer",
        {"email": "TAKEN@example.com", "first_name": "Dup"},
        _no({"email": [EMAIL_TAKEN]}),
        by_email=_ok(email=TAKEN_EMAIL, first_name="Dup"),
    ),
    # text
    stores("text-number", "first_name", 123, "123"),
    stores("phone-number", "phone", 5551234, "5551234"),
    stores("text-trim", "first_name", "  Ann  ", "Ann"),
    stores("first-name-255-chars", "first_name", "a" * MAX_NAME, "a" * MAX_NAME),
    too_long("first-name-256-chars", "first_name", "a" * (MAX_NAME + 1), MAX_NAME),
    stores("text-null", "first_name", None, ""),
    stores("note-null", "note", None, ""),
    refused("text-boolean", "first_name", True, NOT_STRING),
    refused("text-list", "last_name", ["Lee"], NOT_STRING),
    # choices
    stores("status-ok", "status", "inactive", "inactive"),
    bad_choice("status-weird", "status", "weird"),
    bad_choice("gender-number", "gender", 3),
    bad_choice("gender-upper-case", "gender", "FEMALE"),
    # booleans
    stores("bool-true", "email_allowed", True, True),
    stores("bool-yes", "sms_allowed", "yes", True),
    refused("bool-maybe", "sms_allowed", "maybe", INVALID_BOOLEAN),
    refused("bool-list", "call_allowed", [True], INVALID_BOOLEAN),
    # dates
    stores("birth-date-ok", "date_of_birth", "1990-05-01", datetime.date(1990, 5, 1)),
    stores("birth-date-null", "date_of_birth", None, None),
    refused("birth-date-wrong-format", "date_of_birth", "01/05/1990", INVALID_DATE),
    refused("birth-date-impossible", "date_of_birth", "1990-02-31", INVALID_DATE),
    refused("birth-date-object", "date_of_birth", {"year": 1990}, INVALID_DATE),
    stores("date-joined-ok", "date_joined", "2024-01-02T03:04:05Z", JOINED),
    refused("date-joined-wrong-format", "date_joined", "yesterday", INVALID_DATETIME),
    # discount
    stores("discount-ok", "discount_percent", 12.5, Decimal("12.5")),
    refused("discount-above-100", "discount_percent", 101, DISCOUNT_RANGE),
    refused("discount-negative", "discount_percent", "-1", DISCOUNT_RANGE),
    refused(
        "discount-3-decimals", "discount_percent", "10.555", TOO_MANY_DECIMALS.format(places=2)
    ),
    refused("discount-not-a-number", "discount_percent", "abc", INVALID_NUMBER),
    refused("discount-null", "discount_percent", None, INVALID_NUMBER),
    # JSON objects
    stores("attributes-ok", "attributes", {"size": "M"}, {"size": "M"}),
    refused("attributes-list", "attributes", [1, 2], NOT_AN_OBJECT),
    refused("attributes-string", "attributes", "text", NOT_AN_OBJECT),
    refused("attributes-number", "attributes", 5, NOT_AN_OBJECT),
    refused("extra-field-list", "extra_field", ["a"], NOT_AN_OBJECT),
    refused("extra-field-null", "extra_field", None, NOT_AN_OBJECT),
    # username
    stores("username-ok", "username", "  bob ", "bob"),
    stores("username-null", "username", None, None),
    refused("username-taken", "username", TAKEN_USERNAME, USERNAME_TAKEN),
    # name
    ann("name-split", {"name": "Ann Lee"}, _ok(first_name="Ann", last_name="Lee")),
    ann("name-with-first-name", {"name": "Ann Lee", "first_name": "Bo"}, _no(NAME_DISAGREES)),
    ann(
        "name-with-same-first-name",
        {"name": "Ann Lee", "first_name": "Ann"},
        _ok(first_name="Ann", last_name="Lee"),
    ),
    # groups
    stores("groups", "groups", ["vip", "news"], ["news", "vip"]),
    stores("groups-empty", "groups", [], []),
    refused("groups-unknown", "groups", ["vip", "nope"], UNKNOWN_GROUPS.format(codes="nope")),
    refused("groups-string", "groups", "vip", NOT_A_LIST.format(type="str")),
    refused("groups-object", "groups", {"code": "vip"}, NOT_A_LIST.format(type="dict")),
    # password
    ann("password-ok", {"password": "correct-horse-battery-9"}, _ok(has_password=True)),
    refused("password-123", "password", "123", TOO_SHORT, TOO_COMMON, ALL_DIGITS),
    refused("password-common", "password", "password", TOO_COMMON),
    too_long("password-too-long", "password", LONG_PASSWORD, PASSWORD_MAX_LENGTH),
    # addresses
    stores("address-ok", "addresses", [RIO], [{**RIO, "country": "BR", "is_default": True}]),
    bad_country("address-country-XX", [{**RIO, "country": "XX"}], 0),
    bad_country("address-country-name", [{**RIO, "country": "Brazil"}], 0),
    bad_country("second-address-bad-country", [RIO, {"city": "B", "country": "XX"}], 1),
    too_long(
        "address-city-too-long",
        "addresses",
        [{"city": "x" * (MAX_NAME + 1), "country": "BR"}],
        MAX_NAME,
        at="addresses.0.city",
    ),
    # The later default wins, as when the API adds a default address.
    ann(
        "two-default-addresses",
        {"addresses": [{"city": city, "country": "BR", "is_default": True} for city in "AB"]},
        _ok(addresses=[{"city": "A", "is_default": False}, {"city": "B", "is_default": True}]),
    ),
    bad_address(
        "address-flag-maybe",
        [{"city": "Rio", "is_default": "maybe"}],
        "0.is_default",
        INVALID_BOOLEAN,
    ),
    bad_address("address-not-object", ["Rio"], "0", ROW_NOT_OBJECT),
    refused("addresses-not-list", "addresses", RIO, NOT_A_LIST.format(type="dict")),
    too_long("name-one-word-too-long", "name", "a" * (MAX_NAME + 45), MAX_NAME),
    case("email-only-spaces", {"email": "   "}, _no({"email": [EMAIL_REQUIRED]})),
    too_long("phone-129-chars", "phone", "1" * 129, 128),
    too_long("username-256-chars", "username", "u" * (MAX_NAME + 1), MAX_NAME),
    stores("username-blank", "username", "", None),
    bad_choice("status-with-spaces", "status", " active "),
    refused("date-joined-null", "date_joined", None, INVALID_DATETIME),
    stores("groups-spaces-and-repeats", "groups", [" vip ", "vip"], ["vip"]),
    refused("groups-number-code", "groups", [1], UNKNOWN_GROUPS.format(codes="1")),
    stores("addresses-null", "addresses", None, []),
    stores("addresses-empty", "addresses", [], []),
    ann(
        "two-billing-addresses",
        {"addresses": [{"city": "A", "is_billing": True}, {"city": "B", "is_billing": True}]},
        _ok(
            addresses=[
                {"city": "A", "is_default": True, "is_billing": False},
                {"city": "B", "is_default": False, "is_billing": True},
            ]
        ),
    ),
    stores(
        "address-numbers-for-text",
        "addresses",
        [{"city": "Rio", "number": 12, "zipcode": 5000}],
        [{"city": "Rio", "number": "12", "zipcode": "5000"}],
    ),
    refused("invite-flag-maybe", "send_email_invite", "maybe", INVALID_BOOLEAN),
    # the object
    refused("channel-unknown", "channel", "nope", UNKNOWN_CHANNEL.format(value="nope")),
    refused("unknown-key", "shoe_size", 42, unknown_name_message("shoe_size", REPRESENTED_FIELDS)),
    refused("unknown-key-camel-case", "firstName", "Ann", FIRST_NAME_MEANT),
    bad_address(
        "address-unknown-key",
        [{"city": "Rio", "isDefault": True}],
        "0.isDefault",
        "Unknown field 'isDefault'. Did you mean 'is_default'?",
    ),
    ann("read-only-fields-ignored", READ_ONLY_ECHO, ECHO_IGNORED),
    stores(
        "address-read-only-and-null-ignored",
        "addresses",
        [{"city": "Rio", "floor": None, "created_at": "2013-01-03T09:11:51-03:00"}],
        [{"city": "Rio", "floor": ""}],
    ),
    ann("nuvemshop-extra", {"extra": {"kids": "2"}}, _ok(extra_field={"kids": "2"})),
    stores(
        "nuvemshop-address-default",
        "addresses",
        [{"city": "A"}, {"city": "B", "default": True}],
        [{"city": "A", "is_default": False}, {"city": "B", "is_default": True}],
    ),
    case(
        "many-errors",
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
    ),
    case("body-string", "just text", _no({"": [ROW_NOT_OBJECT]})),
    case("body-number", 4.5, _no({"": [ROW_NOT_OBJECT]})),
]

_ONE_ADDRESS = "a CSV carries one address (address.* columns)"
_UNKNOWN_COLUMN = "an unknown column refuses the whole file (exit 2)"
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
    "unknown-key": _UNKNOWN_COLUMN,
    "unknown-key-camel-case": _UNKNOWN_COLUMN,
    "address-unknown-key": _UNKNOWN_COLUMN,
    "nuvemshop-extra": _UNKNOWN_COLUMN,
    "nuvemshop-address-default": _ONE_ADDRESS,
    "read-only-fields-ignored": "a CSV cell cannot hold an object (default_address)",
    "address-read-only-and-null-ignored": _NO_NULL,
    "note-null": _NO_NULL,
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
    "unknown-key": _NOT_A_FIELD,
    "unknown-key-camel-case": _NOT_A_FIELD,
    "address-unknown-key": _NOT_A_FIELD,
    "nuvemshop-extra": _NOT_A_FIELD,
    "nuvemshop-address-default": _NOT_A_FIELD,
    "read-only-fields-ignored": _NOT_A_FIELD,
    "address-read-only-and-null-ignored": "a text box cannot send null",
    "note-null": "a text box cannot send null",
    "name-with-same-first-name": _NOT_A_FIELD,
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
    code, out, err = run("import_customers", str(path), rejected_rows=str(report))
    assert code in (0, 1), (code, out, err)
    errors: dict[str, list[str]] = {}
    for _, field, message in rejected_rows_errors(
        report, "csv" if name.endswith(".csv") else "ndjson"
    ):
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
