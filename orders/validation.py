"""The one check of an order as written: an API body, an import row, the admin's forms.

Plain per-field functions with the API's messages, cheap enough to run on every row of an
import. `order_input_clean` raises Django's ValidationError naming every bad field; nested
fields are named by dotted path (`items.0.quantity`, `shipping_address.country`). A key
that is neither written nor shown read-only is refused by name (`items.0.qty`); the
read-only ones are ignored, so an order read from the API can be sent back as it is.
"""

import datetime
import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from config import values as stored_values
from config.unknown_names import unknown_fields
from customers.imports.rows import (
    INVALID_CHOICE,
    INVALID_NUMBER,
    NOT_A_LIST,
    NOT_NULL,
    REQUIRED,
    UNKNOWN_CHANNEL,
    datetime_clean,
    decimal_digits_check,
    text_clean,
)
from customers.models import ADDRESS_TEXT_FIELDS, Address, Channel, Customer
from customers.selectors import customer_aliases_resolve
from customers.validation import country_normalize, currency_normalize
from orders.models import Order, OrderItem, OrderStatus

BLANK = _("This field may not be blank.")
NOT_A_DICT = _("Invalid data. Expected a dictionary, but got {type}.")
STRING_TOO_LARGE = _("String value too large.")
INVALID_INTEGER = _("A valid integer is required.")
MIN_VALUE = _("Ensure this value is greater than or equal to {limit}.")
MAX_VALUE = _("Ensure this value is less than or equal to {limit}.")
CHANNEL_INVALID = _("Invalid value.")
CHANNEL_IMMUTABLE = _("The channel of an order cannot change.")
CUSTOMER_INVALID = _("Give a customer id or a customer object with at least an email.")
CUSTOMER_UNKNOWN = _('Invalid pk "{pk}" - object does not exist.')
NUMBER_TAKEN = _("An order with this number already exists in this channel.")

MONEY_FIELDS = ("subtotal", "shipping_total", "tax_total", "discount_total", "total")
REQUIRED_FIELDS = ("channel", "number", "customer")
# What the API shows of an order and of an item that no write takes: accepted and ignored.
ORDER_READ_ONLY_FIELDS = ("id", "custom_data", "created_at", "updated_at", "version")
ITEM_READ_ONLY_FIELDS = ("custom_data",)

_MONEY = Order._meta.get_field("total")
_QUANTUM = Decimal(1).scaleb(-_MONEY.decimal_places)
_NUMBER_LENGTH = Order._meta.get_field("number").max_length
_SKU_LENGTH = OrderItem._meta.get_field("sku").max_length
_ITEM_NAME_LENGTH = OrderItem._meta.get_field("name").max_length
_ADDRESS_LENGTH = {name: Address._meta.get_field(name).max_length for name in ADDRESS_TEXT_FIELDS}
# OrderItem.quantity is a PositiveIntegerField: 32 bits on PostgreSQL.
QUANTITY_MAX = 2_147_483_647
_MAX_STRING = 1000
_TRAILING_ZEROS = re.compile(r"\.0*\s*$")
_STATUSES = frozenset(OrderStatus.values)


class _Invalid(Exception):
    """A nested value was refused; `errors` maps paths inside it to messages."""

    def __init__(self, errors: dict[str, list[str]]):
        super().__init__(errors)
        self.errors = errors


# --- fields -----------------------------------------------------------------------------------


def _required_text(value, max_length: int) -> str:
    text = text_clean(value, max_length)
    if not text:
        raise ValueError(BLANK)
    return text


def money_clean(value) -> Decimal:
    """Return an amount ≥ 0 with at most the model's digits and 2 decimal places."""
    if value is None:
        raise ValueError(NOT_NULL)
    text = "" if isinstance(value, bool) else str(value).strip()
    if len(text) > _MAX_STRING:
        raise ValueError(STRING_TOO_LARGE)
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise ValueError(INVALID_NUMBER) from None
    if not number.is_finite():
        raise ValueError(INVALID_NUMBER)
    decimal_digits_check(number, max_digits=_MONEY.max_digits, places=_MONEY.decimal_places)
    if number < 0:
        raise ValueError(MIN_VALUE.format(limit=0))
    return number.quantize(_QUANTUM)


def integer_clean(value, *, min_value: int | None = None, max_value: int | None = None) -> int:
    """Return a whole number (1, "1" or 1.0) within the limits."""
    if value is None:
        raise ValueError(NOT_NULL)
    if isinstance(value, str) and len(value) > _MAX_STRING:
        raise ValueError(STRING_TOO_LARGE)
    try:
        number = int(_TRAILING_ZEROS.sub("", str(value)))
    except (TypeError, ValueError):
        raise ValueError(INVALID_INTEGER) from None
    if min_value is not None and number < min_value:
        raise ValueError(MIN_VALUE.format(limit=min_value))
    if max_value is not None and number > max_value:
        raise ValueError(MAX_VALUE.format(limit=max_value))
    return number


def _number_clean(value) -> str:
    return _required_text(value, _NUMBER_LENGTH)


def _status_clean(value) -> str:
    if value is None:
        raise ValueError(NOT_NULL)
    if str(value) not in _STATUSES:
        raise ValueError(INVALID_CHOICE.format(value=value))
    return str(value)


def _currency_clean(value) -> str:
    try:
        return currency_normalize(text_clean(value, None))
    except ValidationError as error:
        raise ValueError(error.messages[0]) from None


def _placed_at_clean(value) -> datetime.datetime:
    if value is None:
        raise ValueError(NOT_NULL)
    if isinstance(value, datetime.datetime) and timezone.is_aware(value):
        return stored_values.datetime_check(value)
    return datetime_clean(value)


def _optional_text(value, max_length: int | None) -> str:
    """Trimmed text; null means "" (what a blank text reads as)."""
    return "" if value is None else text_clean(value, max_length)


def _text_or_error(value, name: str) -> str:
    if name == "country":
        try:
            return country_normalize(_optional_text(value, None))
        except ValidationError as error:
            raise ValueError(error.messages[0]) from None
    return _optional_text(value, _ADDRESS_LENGTH[name])


def address_snapshot_clean(value) -> dict | None:
    """Return an address snapshot: the sent ADDRESS_TEXT_FIELDS, trimmed; null stays null."""
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise ValueError(NOT_A_DICT.format(type=type(value).__name__))
    snapshot, errors = {}, unknown_fields(value, ADDRESS_TEXT_FIELDS)
    for name in ADDRESS_TEXT_FIELDS:
        if name in value:
            try:
                snapshot[name] = _text_or_error(value[name], name)
            except ValueError as error:
                errors[name] = [str(error)]
    if errors:
        raise _Invalid(errors)
    return snapshot


_ITEM_CLEANERS = {
    "id": integer_clean,
    "sku": lambda value: _required_text(value, _SKU_LENGTH),
    "name": lambda value: _optional_text(value, _ITEM_NAME_LENGTH),
    "quantity": lambda value: integer_clean(value, min_value=1, max_value=QUANTITY_MAX),
    "unit_price": money_clean,
}


def order_item_clean(data) -> dict:
    """Return an item's sent fields cleaned; `sku` is required unless `id` keeps an item.

    Raises ValidationError({field: [messages]}); "" names the item itself.
    """
    if not isinstance(data, Mapping):
        raise ValidationError({"": [NOT_A_DICT.format(type=type(data).__name__)]})
    values, errors = _fields_clean(data, _ITEM_CLEANERS)
    errors.update(unknown_fields(data, (*_ITEM_CLEANERS, *ITEM_READ_ONLY_FIELDS)))
    if "sku" not in data and data.get("id") is None:
        errors["sku"] = [str(REQUIRED)]
    if errors:
        raise ValidationError(errors)
    return values


def _items_clean(value) -> list[dict]:
    if value is None:
        raise ValueError(NOT_NULL)
    if not isinstance(value, list | tuple):
        raise ValueError(NOT_A_LIST.format(type=type(value).__name__))
    items, errors = [], {}
    for index, data in enumerate(value):
        try:
            items.append(order_item_clean(data))
        except ValidationError as error:
            for name, messages in error.message_dict.items():
                errors[f"{index}.{name}" if name else str(index)] = messages
    if errors:
        raise _Invalid(errors)
    return items


# --- references -------------------------------------------------------------------------------


def _channel_clean(value, channels: QuerySet[Channel] | Mapping[str, Channel] | None) -> Channel:
    if isinstance(value, Channel):
        return value
    if value is None or value == "":
        raise ValueError(NOT_NULL)
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ValueError(CHANNEL_INVALID)
    if isinstance(channels, Mapping):  # loaded once by a caller checking many rows
        channel = channels.get(str(value))
    else:
        channels = Channel.objects.all() if channels is None else channels
        channel = channels.filter(code=str(value)).first()
    if channel is None:
        raise ValueError(UNKNOWN_CHANNEL.format(value=value))
    return channel


def _customer_clean(value, customers: QuerySet[Customer] | None) -> Customer | dict:
    """A Customer as is, an id among `customers`, or an object for orders.services to upsert
    (its values are checked there)."""
    if isinstance(value, Customer):
        return value
    if isinstance(value, Mapping):
        return dict(value)
    if value is None:
        raise ValueError(NOT_NULL)
    text = str(value)
    if isinstance(value, bool) or not (text.isascii() and text.isdigit()):
        raise ValueError(CUSTOMER_INVALID)
    customers = Customer.objects.all() if customers is None else customers
    pk = int(text)
    if pk > stored_values.INT64_MAX:
        raise ValueError(CUSTOMER_UNKNOWN.format(pk=value))
    customer = customers.filter(pk=pk).first()
    if customer is None and (alias := customer_aliases_resolve([pk])[pk]) != pk:
        # A merged customer's id stands for the customer it was merged into.
        customer = customers.filter(pk=alias).first()
    if customer is None:
        raise ValueError(CUSTOMER_UNKNOWN.format(pk=value))
    return customer


# --- the order --------------------------------------------------------------------------------


_CLEANERS = {
    "number": _number_clean,
    "status": _status_clean,
    "currency": _currency_clean,
    **dict.fromkeys(MONEY_FIELDS, money_clean),
    "placed_at": _placed_at_clean,
    "shipping_address": address_snapshot_clean,
    "billing_address": address_snapshot_clean,
    "items": _items_clean,
}
INPUT_FIELDS = ("channel", "customer", *_CLEANERS)


def _fields_clean(data: Mapping, cleaners: dict) -> tuple[dict, dict[str, list[str]]]:
    values, errors = {}, {}
    for name, cleaner in cleaners.items():
        if name not in data:
            continue
        try:
            values[name] = cleaner(data[name])
        except ValueError as error:
            errors[name] = [str(error)]
        except _Invalid as invalid:
            errors.update({f"{name}.{path}": messages for path, messages in invalid.errors.items()})
    return values, errors


def _totals_fill(values: dict, errors: dict) -> None:
    """Default a new order's subtotal to the sum of its items, total to the sum of its parts."""
    if any(name in MONEY_FIELDS or name.partition(".")[0] == "items" for name in errors):
        return
    zero = Decimal(0)
    if "subtotal" not in values:
        items = values.get("items", [])
        parts = (item.get("quantity", 1) * item.get("unit_price", zero) for item in items)
        values["subtotal"] = sum(parts, zero)
    if "total" not in values:
        values["total"] = (
            values["subtotal"]
            + values.get("shipping_total", zero)
            + values.get("tax_total", zero)
            - values.get("discount_total", zero)
        )
    for name in ("subtotal", "total"):
        try:
            values[name] = money_clean(values[name])
        except ValueError as error:
            errors[name] = [str(error)]


def _references_clean(data: Mapping, values: dict, errors: dict, *, channels, customers) -> None:
    cleaners = {
        "channel": lambda value: _channel_clean(value, channels),
        "customer": lambda value: _customer_clean(value, customers),
    }
    found, refused = _fields_clean(data, cleaners)
    values.update(found)
    errors.update(refused)


def _instance_check(
    values: dict, errors: dict, instance: Order | None, *, number_matched: bool
) -> None:
    """The channel never changes; the number is unique in the channel (unless the caller
    matched it already: `instance` is the channel's order with that number, or there is none)."""
    channel = values.get("channel")
    if instance is not None and channel is not None and channel.pk != instance.channel_id:
        errors["channel"] = [str(CHANNEL_IMMUTABLE)]
    channel_id = channel.pk if channel is not None else getattr(instance, "channel_id", None)
    if number_matched or "number" not in values or "channel" in errors or channel_id is None:
        return
    taken = Order.objects.filter(channel_id=channel_id, number=values["number"])
    if instance is not None and instance.pk is not None:
        taken = taken.exclude(pk=instance.pk)
    if taken.exists():
        errors["number"] = [str(NUMBER_TAKEN)]


def order_input_clean(
    data,
    *,
    channels: QuerySet[Channel] | Mapping[str, Channel] | None = None,
    customers: QuerySet[Customer] | None = None,
    instance: Order | None = None,
    partial: bool = False,
    number_matched: bool = False,
) -> dict:
    """Check an order as written and return its cleaned values (only the fields sent).

    `channel` is a Channel or the code of one of `channels` (a queryset, or {code: Channel}
    loaded once for many rows); `customer` a Customer, the id of
    one of `customers`, or an object passed on for orders.services to upsert (None: any).
    A new order (no `instance`) gets a subtotal and a total when they are not sent. `partial`
    skips the required fields. `number_matched`: the caller looked the (channel, number) up
    itself and passes that order as `instance` (an import batch), so it is not looked up again.
    Raises ValidationError({field or dotted path: [messages]}).
    """
    if not isinstance(data, Mapping):
        raise ValidationError(NOT_A_DICT.format(type=type(data).__name__))
    values, errors = _fields_clean(data, _CLEANERS)
    _references_clean(data, values, errors, channels=channels, customers=customers)
    errors.update(unknown_fields(data, (*INPUT_FIELDS, *ORDER_READ_ONLY_FIELDS)))
    if not partial:
        errors.update({name: [str(REQUIRED)] for name in REQUIRED_FIELDS if name not in data})
    _instance_check(values, errors, instance, number_matched=number_matched)
    if instance is None:
        _totals_fill(values, errors)
    if errors:
        raise ValidationError(errors)
    return values
