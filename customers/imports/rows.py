"""Validate one import row (an API customer object) with plain Python checks.

The rules are the API's (customers.api.serializers + customers.validation.customer_clean),
written as per-field functions so a row costs microseconds instead of a serializer run.
"""

import datetime
import json
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.contrib.auth.hashers import make_password
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.db import models
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext_lazy as _
from rest_framework.utils.json import strict_constant

from config import values as stored_values
from config.unknown_names import unknown_fields
from customers.imports.nuvemshop import (
    ADDRESS_ALIASES,
    ALIAS_AND_NAME,
    BILLING_FIELDS,
    BILLING_STREET,
    CUSTOMER_ALIASES,
)
from customers.models import (
    ADDRESS_FLAG_FIELDS,
    ADDRESS_TEXT_FIELDS,
    ADDRESS_UNWRITTEN_FIELDS,
    CUSTOMER_EDITABLE_FIELDS,
    CUSTOMER_STATS_COLUMNS,
    Address,
    Customer,
)
from customers.selectors import EXPANSIONS
from customers.validation import (
    DISCOUNT_RANGE,
    NOT_AN_OBJECT,
    country_normalize,
    email_normalize,
    name_split,
    password_check,
)
from groups.services import UNKNOWN_GROUPS

REQUIRED = _("This field is required.")
NOT_NULL = _("This field may not be null.")
NOT_STRING = _("Not a valid string.")
TOO_LONG = _("Ensure this field has no more than {max} characters.")
INVALID_CHOICE = _('"{value}" is not a valid choice.')
INVALID_BOOLEAN = _("Must be a valid boolean.")
INVALID_DATE = _("Date has wrong format. Use one of these formats instead: YYYY-MM-DD.")
INVALID_DATETIME = _(
    "Datetime has wrong format. Use one of these formats instead: "
    "YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z]."
)
INVALID_NUMBER = _("A valid number is required.")
TOO_MANY_DECIMALS = _("Ensure that there are no more than {places} decimal places.")
TOO_MANY_DIGITS = _("Ensure that there are no more than {max} digits in total.")
TOO_MANY_WHOLE_DIGITS = _(
    "Ensure that there are no more than {max} digits before the decimal point."
)
NOT_A_LIST = _('Expected a list of items but got type "{type}".')
UNKNOWN_CHANNEL = _("Object with code={value} does not exist.")
INVALID_GROUP_CODE = _(
    'Enter a valid "slug" consisting of letters, numbers, underscores or hyphens.'
)
ROW_NOT_OBJECT = _("Expected a JSON object.")
INVALID_ID = _("A valid integer is required.")
ADDRESS_NOT_OWN = _("This customer has no address with this id.")
ADDRESS_LISTED_TWICE = _("This address is already in the list.")
NAME_CONFLICT = _(
    'name disagrees with first_name/last_name: send one of them, or a name equal to "first_name '
    'last_name".'
)
PASSWORD_MAX_LENGTH = 4096

# The API's writable customer fields, as stored columns, sorted by kind from the model: a new
# field of a kind below is checked, written, imported and exported without another list.
_WRITTEN = [Customer._meta.get_field(name) for name in CUSTOMER_EDITABLE_FIELDS]
CHOICE_FIELDS = {f.name: frozenset(value for value, _ in f.choices) for f in _WRITTEN if f.choices}
# Choices where blank is a value too (a customer's language: blank is the channel's).
BLANK_CHOICE_FIELDS = tuple(name for name in CHOICE_FIELDS if Customer._meta.get_field(name).blank)
TEXT_FIELDS = tuple(
    f.name
    for f in _WRITTEN
    if isinstance(f, models.CharField | models.TextField) and not f.choices and not f.null
)
BOOLEAN_FIELDS = tuple(f.name for f in _WRITTEN if isinstance(f, models.BooleanField))
JSON_FIELDS = tuple(f.name for f in _WRITTEN if isinstance(f, models.JSONField))
# Fields a blank value or null clears (stored NULL).
NULLABLE_FIELDS = tuple(f.name for f in _WRITTEN if f.null)
CUSTOMER_FIELDS = ("email", *CUSTOMER_EDITABLE_FIELDS)
ADDRESS_FLAGS = ADDRESS_FLAG_FIELDS
ADDRESS_FIELDS = (*ADDRESS_TEXT_FIELDS, *ADDRESS_FLAGS)
# What an API customer shows after its groups and addresses and no write takes, in the API's
# order (customers.api.serializers places them).
OUTPUT_ONLY_FIELDS = (
    "default_address",
    "billing_address",
    *CUSTOMER_STATS_COLUMNS,
    "last_login_at",
    "has_password",
    "created_at",
    "updated_at",
    "version",
)
# Read-only or write-only API fields: accepted in a file (an export, an API dump) or a body
# (a GET answer sent back) and ignored. `version` is the concurrency token of the answer.
IGNORED_FIELDS = frozenset(
    {"id", "is_active", *OUTPUT_ONLY_FIELDS, "send_email_invite", *EXPANSIONS, "version"}
)
IMPORT_FIELDS = frozenset(
    {"channel", "name", "groups", "addresses", "address", "password", *CUSTOMER_FIELDS}
)
# Every name a customer object may carry; any other is refused, naming the closest of
# REPRESENTED_FIELDS.
REPRESENTED_FIELDS = IMPORT_FIELDS | IGNORED_FIELDS
CUSTOMER_KNOWN_FIELDS = REPRESENTED_FIELDS | set(CUSTOMER_ALIASES) | set(BILLING_FIELDS)
# An address's read-only names (besides the customer it belongs to, which no body names).
ADDRESS_IGNORED_FIELDS = (ADDRESS_UNWRITTEN_FIELDS - {"customer"}) | {"version"}
ADDRESS_REPRESENTED_FIELDS = frozenset({*ADDRESS_FIELDS, *ADDRESS_IGNORED_FIELDS})
ADDRESS_KNOWN_FIELDS = ADDRESS_REPRESENTED_FIELDS | set(ADDRESS_ALIASES)

_MAX_LENGTH = {
    f.name: f.max_length for f in Customer._meta.concrete_fields if getattr(f, "max_length", None)
}
# "first last": two names and the space between them.
NAME_MAX_LENGTH = 2 * _MAX_LENGTH["first_name"] + 1
_ADDRESS_MAX_LENGTH = {
    f.name: f.max_length for f in Address._meta.concrete_fields if getattr(f, "max_length", None)
}
_BOOLEANS = {
    "true": True,
    "1": True,
    "yes": True,
    "on": True,
    "false": False,
    "0": False,
    "no": False,
    "off": False,
}


def value_quoted(value) -> str:
    """A refused value as a message quotes it: lone surrogates escaped, so the message can be
    encoded in an answer, a log line or an error report."""
    return stored_values.text_printable(str(value))


class RowInvalid(Exception):
    """The row was refused; `errors` maps a field name to its messages."""

    def __init__(self, errors: dict[str, list[str]]):
        super().__init__(errors)
        self.errors = errors


@dataclass
class CleanRow:
    """A validated row: stored column values, which ones were sent, and its relations."""

    line: int
    channel_id: int
    email: str
    values: dict
    groups: list[int] | None = None
    addresses: list[dict] = field(default_factory=list)
    # The customer this row changes when it is known by id (an edit may change the e-mail).
    pk: int | None = None
    # `addresses` is the customer's whole list (PUT/PATCH): items with an "id" change that
    # address, others are added, unlisted ones removed. Otherwise each is added unless the
    # customer has one with the same values.
    addresses_replace: bool = False
    # Send the invitation e-mail once the row is written.
    invite: bool = False
    # The file's `updated_at`/`version` of the customer, when the row carries them (an
    # export): imports.newer_edits compares them with the stored ones.
    stamp: "RowStamp | None" = None
    # (channel_id, email): what the import matches on; read many times per row, made once.
    key: tuple[int, str] = field(init=False)

    def __post_init__(self):
        self.key = (self.channel_id, self.email)


@dataclass(frozen=True)
class RowStamp:
    """What a row says of the customer it was exported from: when and at which version."""

    updated_at: datetime.datetime | None = None
    version: int | None = None


# The read-only fields a row may carry to say which edit of the customer it was made from.
STAMP_FIELDS = ("updated_at", "version")


def row_stamp_clean(data) -> RowStamp | None:
    """The row's `updated_at` and `version` (None if it carries neither); raise RowInvalid
    for a value that does not parse."""
    if not isinstance(data, dict):
        return None
    sent = {name: data[name] for name in STAMP_FIELDS if data.get(name) not in (None, "")}
    if not sent:
        return None
    errors: dict[str, list[str]] = {}
    updated_at = version = None
    if "updated_at" in sent:
        try:
            updated_at = datetime_clean(sent["updated_at"])
        except ValueError as error:
            errors["updated_at"] = [str(error)]
    if "version" in sent:
        try:
            version = int(str(sent["version"]).strip())
        except ValueError:
            errors["version"] = [INVALID_ID]
    if errors:
        raise RowInvalid(errors)
    return RowStamp(updated_at, version)


@dataclass
class RowContext:
    """Lookups shared by every row of an import: channels and groups by code."""

    channels: dict[str, int]
    groups: dict[str, int]
    default_channel: str | None = None


def text_clean(value, max_length: int | None) -> str:
    """Return the value as trimmed text (numbers allowed, like DRF's CharField)."""
    if value.__class__ is str:  # the common case, first
        text = value.strip()
        if max_length is not None and len(text) > max_length:
            raise ValueError(TOO_LONG.format(max=max_length))
        if text.isascii() and "\x00" not in text:  # plain text needs no further check
            return text
        return stored_values.text_check(text)
    if value is None:
        raise ValueError(NOT_NULL)
    if isinstance(value, bool) or not isinstance(value, str | int | float | Decimal):
        raise ValueError(NOT_STRING)
    text = str(value).strip()
    if max_length is not None and len(text) > max_length:
        raise ValueError(TOO_LONG.format(max=max_length))
    return text


def boolean_clean(value) -> bool:
    """Return a boolean from true/false, 1/0, yes/no, on/off (any case) or a JSON boolean."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    try:
        return _BOOLEANS[str(value).strip().lower()]
    except KeyError:
        raise ValueError(INVALID_BOOLEAN) from None


def date_clean(value) -> datetime.date | None:
    """Return an ISO date; blank or null is None."""
    if value is None or value == "":
        return None
    try:
        parsed = parse_date(str(value).strip())
    except ValueError:
        parsed = None
    if parsed is None:
        raise ValueError(INVALID_DATE)
    return stored_values.date_check(parsed)


def datetime_clean(value) -> datetime.datetime:
    """Return an aware datetime from ISO 8601 (a naive one is in the current time zone)
    whose UTC value both databases and Python can hold (config.values)."""
    try:
        parsed = parse_datetime(str(value).strip()) if value is not None else None
    except ValueError:
        parsed = None
    if parsed is None:
        raise ValueError(INVALID_DATETIME)
    if timezone.is_naive(parsed):
        try:
            parsed = timezone.make_aware(parsed)
        except OverflowError:
            raise ValueError(stored_values.DATETIME_OUT_OF_RANGE) from None
    return stored_values.datetime_check(parsed)


def decimal_clean(value, *, places: int) -> Decimal:
    """Return a finite number with at most `places` decimal places."""
    if isinstance(value, bool) or value is None:
        raise ValueError(INVALID_NUMBER)
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValueError(INVALID_NUMBER) from None
    if not number.is_finite():
        raise ValueError(INVALID_NUMBER)
    if number.as_tuple().exponent < -places:
        raise ValueError(TOO_MANY_DECIMALS.format(places=places))
    return number


def decimal_digits_check(number: Decimal, *, max_digits: int, places: int) -> None:
    """Refuse a number a DecimalField(max_digits, places) cannot hold, as DRF words it."""
    _, digits, exponent = number.as_tuple()
    decimals = max(0, -exponent)
    total = max(len(digits) + max(exponent, 0), decimals)
    if total > max_digits:
        raise ValueError(TOO_MANY_DIGITS.format(max=max_digits))
    if decimals > places:
        raise ValueError(TOO_MANY_DECIMALS.format(places=places))
    if total - decimals > max_digits - places:
        raise ValueError(TOO_MANY_WHOLE_DIGITS.format(max=max_digits - places))


def discount_clean(value) -> Decimal:
    """Return a percentage 0..100 with at most 2 decimal places."""
    number = decimal_clean(value, places=2)
    if not 0 <= number <= 100:
        raise ValueError(DISCOUNT_RANGE)
    return number


def json_object_clean(value) -> dict:
    """Return a JSON object (a dict) both databases store and Python reads back: no NUL, lone
    surrogate or non-finite number, at most MAX_JSON_DEPTH levels (config.values)."""
    if not isinstance(value, dict):
        raise ValueError(NOT_AN_OBJECT)
    return stored_values.json_check(value)


def _choice_cleaner(name: str):
    """One of the field's choices; a field that may be blank (a customer's language) also
    takes "" and null, both stored as ""."""
    choices = CHOICE_FIELDS[name]
    blank = name in BLANK_CHOICE_FIELDS

    def clean(value):
        if blank and value in (None, ""):
            return ""
        if value.__class__ is not str or value not in choices:
            raise ValueError(INVALID_CHOICE.format(value=value_quoted(value)))
        return value

    return clean


def _email_clean(value) -> str:
    try:
        return email_normalize(text_clean(value, _MAX_LENGTH["email"]))
    except ValidationError as error:
        raise ValueError(error.messages[0]) from None


def _text_cleaner(name: str):
    """Text stored as "" when blank: null means "" too (what a read shows for it)."""
    max_length = _MAX_LENGTH.get(name)
    return lambda value: "" if value is None else text_clean(value, max_length)


def _nullable_text_cleaner(name: str):
    """Text that blank or null stores as NULL (a username: unique only when set)."""
    max_length = _MAX_LENGTH.get(name)

    def clean(value):
        text = "" if value is None else text_clean(value, max_length)
        return text or None

    return clean


def _decimal_cleaner(field):
    def clean(value):
        number = decimal_clean(value, places=field.decimal_places)
        decimal_digits_check(number, max_digits=field.max_digits, places=field.decimal_places)
        return number

    return clean


def _cleaner_for(field):
    """The check of a written column, by the kind of its model field."""
    if field.choices:
        return _choice_cleaner(field.name)
    if isinstance(field, models.CharField | models.TextField):
        return (_nullable_text_cleaner if field.null else _text_cleaner)(field.name)
    kinds = {
        models.BooleanField: boolean_clean,
        models.JSONField: json_object_clean,
        models.DateTimeField: datetime_clean,  # before DateField, its parent
        models.DateField: date_clean,
    }
    for kind, cleaner in kinds.items():
        if isinstance(field, kind):
            return cleaner
    if isinstance(field, models.DecimalField):
        return _decimal_cleaner(field)
    raise ImproperlyConfigured(f"No row check for Customer.{field.name}: add one in rows.py.")


_CLEANERS = {
    **{field.name: _cleaner_for(field) for field in _WRITTEN},
    "discount_percent": discount_clean,
    "email": _email_clean,
}


def _channel_clean(data: dict, context: RowContext) -> int:
    code = data.get("channel") or context.default_channel
    if not code:
        raise ValueError(REQUIRED)
    try:
        return context.channels[str(code)]
    except KeyError:
        raise ValueError(UNKNOWN_CHANNEL.format(value=value_quoted(code))) from None


def _groups_clean(value, context: RowContext) -> list[int]:
    if not isinstance(value, list):
        raise ValueError(NOT_A_LIST.format(type=type(value).__name__))
    if not value:  # a CSV row's blank groups cell: most rows of a file
        return []
    codes = [str(code).strip() for code in value]
    missing = sorted({code for code in codes if code not in context.groups})
    if missing:
        raise ValueError(UNKNOWN_GROUPS.format(codes=value_quoted(", ".join(missing))))
    return list(dict.fromkeys(context.groups[code] for code in codes))


def _names_check(data: dict, known: frozenset, represented, errors: dict, prefix: str) -> None:
    """Record each name of `data` not in `known` (Stripe's rule: nothing is dropped silently),
    with the closest of `represented`."""
    if data.keys() <= known:  # the common case, checked as one set operation
        return
    for name, messages in unknown_fields(data, known, suggestions=represented).items():
        errors[f"{prefix}{name}"] = messages


def _aliases_resolve(data: dict, aliases: dict, errors: dict, prefix: str) -> dict:
    """The object with Nuvemshop's names (customers.imports.nuvemshop) replaced by Patron's."""
    if data.keys().isdisjoint(aliases):
        return data
    resolved = dict(data)
    for alias, name in aliases.items():
        if alias in resolved:
            value = resolved.pop(alias)
            if name in data:
                errors[prefix + alias] = [ALIAS_AND_NAME.format(alias=alias, name=name)]
            else:
                resolved[name] = value
    return resolved


def _address_value_clean(name: str, value):
    if name in ADDRESS_FLAGS:
        return boolean_clean(value)
    if value is None:  # text reads as "" when blank: null means ""
        return ""
    if name == "country":
        return country_normalize(text_clean(value, None))
    return text_clean(value, _ADDRESS_MAX_LENGTH[name])


def address_clean_values(data, errors: dict, prefix: str) -> dict:
    """Return an address's stored values; record bad and unknown fields in `errors` under
    prefix. Read-only names (id, created_at...) are accepted and ignored."""
    if not isinstance(data, dict):
        errors[prefix.rstrip(".")] = [str(ROW_NOT_OBJECT)]
        return {}
    _names_check(data, ADDRESS_KNOWN_FIELDS, ADDRESS_REPRESENTED_FIELDS, errors, prefix)
    data = _aliases_resolve(data, ADDRESS_ALIASES, errors, prefix)
    values = {}
    for name in ADDRESS_FIELDS:
        if name not in data:
            continue
        try:
            values[name] = _address_value_clean(name, data[name])
        except ValidationError as error:
            errors[prefix + name] = error.messages
        except ValueError as error:
            errors[prefix + name] = [str(error)]
    return values


def address_is_default(values: dict, *, customer_has_default: bool) -> bool:
    """A customer's first address is its default one, unless it says otherwise."""
    return values.get("is_default", not customer_has_default)


def _address_id_clean(value, address_ids: frozenset, seen: set) -> int:
    """The id of one of the customer's addresses, listed once."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValueError(INVALID_ID)
    try:
        pk = int(value)
    except ValueError:
        raise ValueError(INVALID_ID) from None
    if pk not in address_ids:
        raise ValueError(ADDRESS_NOT_OWN)
    if pk in seen:
        raise ValueError(ADDRESS_LISTED_TWICE)
    seen.add(pk)
    return pk


def _address_list_clean(items: list, errors: dict, address_ids: frozenset | None) -> list[dict]:
    """Each item's values; with the customer's `address_ids` (the list replaces its
    addresses) an item's `id` names the address it changes."""
    addresses, seen = [], set()
    for index, item in enumerate(items):
        prefix = f"addresses.{index}."
        values = address_clean_values(item, errors, prefix)
        if address_ids is not None and isinstance(item, dict) and item.get("id") is not None:
            try:
                values["id"] = _address_id_clean(item["id"], address_ids, seen)
            except ValueError as error:
                errors[prefix + "id"] = [str(error)]
        addresses.append(values)
    return addresses


def _addresses_clean(data: dict, errors: dict, address_ids: frozenset | None) -> list[dict]:
    if data.get("address") is not None:
        return [address_clean_values(data["address"], errors, "address.")]
    addresses = data.get("addresses")
    if addresses is None:
        return []
    if not isinstance(addresses, list):
        errors["addresses"] = [NOT_A_LIST.format(type=type(addresses).__name__)]
        return []
    return _address_list_clean(addresses, errors, address_ids)


def _billing_apply(data: dict, addresses: list[dict], errors: dict) -> None:
    """Nuvemshop's flat billing_* fields: the listed address with the same values becomes the
    billing one, or they are added as a billing address. Nulls say nothing."""
    if data.keys().isdisjoint(BILLING_FIELDS):
        return
    sent = {
        BILLING_FIELDS[name]: value
        for name, value in data.items()
        if name in BILLING_FIELDS
        and value is not None
        and (name != BILLING_STREET or isinstance(value, str))
    }
    if not sent:
        return
    found: dict[str, list[str]] = {}
    values = address_clean_values(sent, found, "")
    errors.update({f"billing_{name}": messages for name, messages in found.items()})
    if found:
        return
    for address in addresses:
        if all(address.get(name, "") == values.get(name, "") for name in ADDRESS_TEXT_FIELDS):
            address["is_billing"] = True
            return
    addresses.append({**values, "is_billing": True})


_NAMES = ("first_name", "last_name")


def _names_or_name(name: str, values: dict, stored: tuple[str, str] | None) -> str | None:
    """Which wins when first_name or last_name come with `name`: "names" (name says the same,
    or is the stored one, an echo of a read), "name" (the names are the stored ones), None
    (both changed and disagree, or a create where they disagree)."""
    # A name part not sent is the stored one, or the one `name` gives.
    for default in filter(None, (stored, name_split(name))):
        sent = (values.get("first_name", default[0]), values.get("last_name", default[1]))
        if name == f"{sent[0]} {sent[1]}".strip():
            values["first_name"], values["last_name"] = sent
            return "names"
    if stored is None:
        return None
    if name == f"{stored[0]} {stored[1]}".strip():
        return "names"
    names = zip(_NAMES, stored, strict=True)
    return "name" if all(values.get(part, kept) == kept for part, kept in names) else None


def _name_apply(data: dict, values: dict, errors: dict, stored: tuple[str, str] | None) -> None:
    """Nuvemshop's single `name` ("first last"), split on its first space, next to the
    first/last names sent (see _names_or_name); `stored`: an edited customer's names."""
    if data.get("name") is None:
        return
    try:
        name = text_clean(data["name"], NAME_MAX_LENGTH)
    except ValueError as error:
        errors["name"] = [str(error)]
        return
    if "first_name" in data or "last_name" in data:
        if "first_name" in errors or "last_name" in errors:
            return
        winner = _names_or_name(name, values, stored)
        if winner is None:
            errors["name"] = [str(NAME_CONFLICT)]
        if winner != "name":
            return
    first, last = name_split(name)
    longest = _MAX_LENGTH["first_name"]
    if len(first) > longest or len(last) > _MAX_LENGTH["last_name"]:
        errors["name"] = [TOO_LONG.format(max=longest)]
        return
    values["first_name"], values["last_name"] = first, last


def _password_text(value) -> str:
    """The password as sent: any text up to PASSWORD_MAX_LENGTH, spaces kept."""
    if isinstance(value, bool) or not isinstance(value, str | int | float | Decimal):
        raise ValueError(NOT_STRING)
    text = str(value)
    if len(text) > PASSWORD_MAX_LENGTH:
        raise ValueError(TOO_LONG.format(max=PASSWORD_MAX_LENGTH))
    return stored_values.text_check(text)


def _password_hash(data: dict, errors: dict) -> str | None:
    if data.get("password") in (None, ""):
        return None
    try:
        password = _password_text(data["password"])
        password_check(password)
    except ValueError as error:
        errors["password"] = [str(error)]
        return None
    except ValidationError as error:
        errors.update(error.message_dict)
        return None
    # The configured hasher (argon2 in production) costs tens of milliseconds per row.
    return make_password(password)


def _values_clean(data: dict, values: dict, errors: dict) -> None:
    for name, value in data.items():
        cleaner = _CLEANERS.get(name)
        if cleaner is not None:
            try:
                values[name] = cleaner(value)
            except ValueError as error:
                errors[name] = [str(error)]


def _groups_or_none(data: dict, context: RowContext, errors: dict) -> list[int] | None:
    if "groups" not in data:
        return None
    try:
        return _groups_clean(data["groups"], context)
    except ValueError as error:
        errors["groups"] = [str(error)]
        return None


def _invite_clean(data: dict, errors: dict) -> bool:
    try:
        return boolean_clean(data.get("send_email_invite", False))
    except ValueError as error:
        errors["send_email_invite"] = [str(error)]
        return False


def row_clean(
    line: int,
    data,
    context: RowContext,
    *,
    email: str | None = None,
    names: tuple[str, str] | None = None,
    address_ids: frozenset[int] | None = None,
) -> CleanRow:
    """Validate one API customer object; return a CleanRow or raise RowInvalid.

    The one check of a customer's fields, addresses, groups and password, whichever entry
    point the object came through. Unknown names are refused; read-only ones are ignored.
    For an edit: `email`, the stored e-mail a partial update keeps (then the object need not
    send one); `names`, the stored (first_name, last_name) `name` is compared with;
    `address_ids`, the customer's addresses, which a sent `addresses` list replaces.
    """
    if not isinstance(data, dict):
        raise RowInvalid({"": [str(ROW_NOT_OBJECT)]})
    errors: dict[str, list[str]] = {}
    _names_check(data, CUSTOMER_KNOWN_FIELDS, REPRESENTED_FIELDS, errors, "")
    data = _aliases_resolve(data, CUSTOMER_ALIASES, errors, "")
    values: dict = {} if email is None or "email" in data else {"email": email}
    channel_id = None
    try:
        channel_id = _channel_clean(data, context)
    except ValueError as error:
        errors["channel"] = [str(error)]
    if "email" not in data and email is None:
        errors["email"] = [str(REQUIRED)]
    _values_clean(data, values, errors)
    _name_apply(data, values, errors, names)
    groups = _groups_or_none(data, context, errors)
    addresses = _addresses_clean(data, errors, address_ids)
    _billing_apply(data, addresses, errors)
    invite = _invite_clean(data, errors)
    password = _password_hash(data, errors)
    if errors:
        raise RowInvalid(errors)
    if password is not None:
        values["password"] = password
    row = CleanRow(
        line,
        channel_id,
        values.pop("email"),
        values,
        groups,
        [address for address in addresses if address],
        invite=invite,
    )
    row.addresses_replace = address_ids is not None and addresses_listed(data)
    return row


def addresses_listed(data: dict) -> bool:
    """The object sends an `addresses` list (not the single `address` of a CSV row)."""
    return data.get("addresses") is not None and data.get("address") is None


# Without NaN and Infinity (not JSON; PostgreSQL refuses them), as the API's parser.
JSON_DECODER = json.JSONDecoder(parse_constant=strict_constant)


def json_loads(text: str):
    return JSON_DECODER.decode(text)


def json_text_parse(text: str):
    """Parse a CSV cell holding JSON; blank is an empty object."""
    if not text.strip():
        return {}
    try:
        return json_loads(text)
    except RecursionError:
        raise ValueError(stored_values.JSON_TOO_DEEP) from None
    except ValueError as error:
        raise ValueError(f"Enter valid JSON: {error}.") from None
