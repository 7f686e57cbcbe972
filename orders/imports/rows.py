"""One batch of order rows checked: the rows' stored orders looked up at once, each row through
the one order validator (orders.validation) and its customer object through the one customer
validator (customers.imports.rows.row_clean)."""

from collections.abc import Sequence
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import connection
from django.utils.translation import gettext_lazy as _

from config.sql import id_array, text_array
from customers.imports import import_context, postgresql
from customers.imports.batches import usernames_refused
from customers.imports.rows import CleanRow, RowContext, RowInvalid, row_clean, text_clean
from customers.models import Channel
from customers.validation import USERNAME_TAKEN
from orders.models import Order, OrderItem
from orders.services import UNKNOWN_ITEM
from orders.validation import order_input_clean

CUSTOMER_OBJECT_REQUIRED = _("Give the customer as an object with at least an email.")
ROW_NOT_OBJECT = _("Expected a JSON object.")
# What an item the import creates holds when the row does not send it (the model's defaults).
ITEM_DEFAULTS = {
    f.attname: f.get_default()
    for f in OrderItem._meta.concrete_fields
    if f.attname in ("name", "quantity", "unit_price")
}


@dataclass
class OrderRow:
    """A checked row: the order's cleaned fields, items and customer, and what it updates."""

    line: int
    data: dict  # as sent: a batch written again row by row checks it again
    channel: Channel
    values: dict
    items: list[dict] | None  # None: an update that sends no items keeps the stored ones
    customer: CleanRow
    existing: Order | None = None
    # The stored items of `existing`: {id: {sku, name, quantity, unit_price}}.
    existing_items: dict[int, dict] = field(default_factory=dict)


class RowLookups:
    """What every row of one import refers to, loaded once: channels by code, and the
    customer validator's context for each channel (a buyer belongs to its order's channel)."""

    def __init__(self):
        self.channels = {channel.code: channel for channel in Channel.objects.all()}
        self.groups = import_context(channels=Channel.objects.none()).groups
        self._contexts: dict[int, RowContext] = {}

    def customer_context(self, channel: Channel) -> RowContext:
        if channel.pk not in self._contexts:
            self._contexts[channel.pk] = RowContext(
                channels={channel.code: channel.pk},
                groups=self.groups,
                default_channel=channel.code,
            )
        return self._contexts[channel.pk]


def order_row_check(data) -> None:
    """A row is an object whose customer is an object (imports create or update buyers)."""
    if not isinstance(data, dict):
        raise ValidationError({"": [str(ROW_NOT_OBJECT)]})
    if not isinstance(data.get("customer"), dict):
        raise ValidationError({"customer": [str(CUSTOMER_OBJECT_REQUIRED)]})


def order_key(data: dict) -> tuple[str, str] | None:
    """The (channel code, number) a row matches its stored order on, when it names them."""
    channel, number = data.get("channel"), data.get("number")
    if (
        not isinstance(channel, str)
        or isinstance(number, bool)
        or not isinstance(number, str | int)
    ):
        return None
    try:
        # As the validator reads it; a number no column can store (a NUL) matches nothing.
        return channel, text_clean(number, None)
    except ValueError:
        return None


def orders_stored(
    keys: Sequence[tuple[str, str]], lookups: RowLookups
) -> tuple[dict[tuple[str, str], Order], dict[int, dict[int, dict]]]:
    """The stored orders of these keys, and their items by order id, in two or three
    queries."""
    pairs = {
        (lookups.channels[code].pk, number) for code, number in keys if code in lookups.channels
    }
    if not pairs:
        return {}, {}
    candidates = Order.objects.filter(pk__in=_order_ids_by_key(pairs)).select_related("channel")
    orders = {
        (order.channel.code, order.number): order
        for order in candidates
        if (order.channel_id, order.number) in pairs
    }
    items: dict[int, dict[int, dict]] = {order.pk: {} for order in orders.values()}
    if items:
        for pk, order_id, *values in (
            OrderItem.objects.filter(order_id__in=list(items))
            .order_by("id")
            .values_list("pk", "order_id", "sku", *ITEM_DEFAULTS)
        ):
            items[order_id][pk] = dict(zip(("sku", *ITEM_DEFAULTS), values, strict=True))
    return orders, items


def _order_ids_by_key(pairs: set[tuple[int, str]]):
    """The ids of the orders with these (channel id, number) keys: on PostgreSQL one join of
    two arrays on the unique index (an IN list of thousands of numbers plans worse)."""
    if connection.vendor != "postgresql":
        return Order.objects.filter(
            channel_id__in={pk for pk, _ in pairs}, number__in={number for _, number in pairs}
        ).values("pk")
    rows = postgresql.fetchall(
        "SELECT o.id FROM unnest(%s::bigint[], %s::text[]) AS k(channel_id, number) "
        "JOIN orders_order o ON o.channel_id = k.channel_id AND o.number = k.number",
        [id_array(pk for pk, _ in pairs), text_array(number for _, number in pairs)],
    )
    return [pk for (pk,) in rows]


def _items_matched(items, stored: dict[int, dict]) -> list:
    """Give incoming items the ids of stored items with the same sku, so they are kept."""
    if not isinstance(items, list):
        return items
    free: dict[str, list[int]] = {}
    for pk, item in stored.items():
        free.setdefault(item["sku"], []).append(pk)
    matched = []
    for item in items:
        sku = item.get("sku") if isinstance(item, dict) else None
        ids = free.get(sku.strip(), []) if isinstance(sku, str) else []
        matched.append({**item, "id": ids.pop(0)} if ids and "id" not in item else item)
    return matched


def _customer_clean(line: int, data: dict, channel: Channel, lookups: RowLookups) -> CleanRow:
    try:
        return row_clean(line, data, lookups.customer_context(channel))
    except RowInvalid as invalid:
        errors = {f"customer.{name}".rstrip("."): msgs for name, msgs in invalid.errors.items()}
        raise ValidationError(errors) from None


def _item_ids_check(items: list[dict], stored: dict[int, dict]) -> None:
    for index, item in enumerate(items):
        item_id = item.get("id")
        if item_id is not None and item_id not in stored:
            raise ValidationError({"items": [UNKNOWN_ITEM.format(index=index, item_id=item_id)]})


def order_row_clean(
    line: int,
    data: dict,
    lookups: RowLookups,
    *,
    existing: Order | None,
    existing_items: dict[int, dict],
    key_known: bool,
) -> OrderRow:
    """Check one row as order_write does (the order, then its customer, then its item ids);
    raise ValidationError naming the bad fields. `existing` is the channel's stored order
    with the row's number (looked up for the batch when `key_known`)."""
    sent = data
    if existing is not None and "items" in data:
        data = {**data, "items": _items_matched(data["items"], existing_items)}
    cleaned = order_input_clean(
        data, channels=lookups.channels, instance=existing, number_matched=key_known
    )
    channel = cleaned.pop("channel")
    customer = _customer_clean(line, cleaned.pop("customer"), channel, lookups)
    items = cleaned.pop("items", None)
    _item_ids_check(items or [], existing_items)
    return OrderRow(
        line=line,
        data=sent,
        channel=channel,
        values=cleaned,
        items=items if items is not None else (None if existing is not None else []),
        customer=customer,
        existing=existing,
        existing_items=existing_items,
    )


def customer_rows_merge(rows: Sequence[OrderRow]) -> dict[tuple[int, str], CleanRow]:
    """One customer row per (channel, e-mail) of the batch, as the rows' upserts in file order
    would leave it: later values win, addresses add up, the last `groups` sent counts."""
    merged: dict[tuple[int, str], CleanRow] = {}
    for row in rows:
        customer = row.customer
        into = merged.get(customer.key)
        if into is None:
            merged[customer.key] = CleanRow(
                customer.line,
                customer.channel_id,
                customer.email,
                dict(customer.values),
                groups=customer.groups,
                addresses=list(customer.addresses),
                invite=customer.invite,
            )
            continue
        into.values.update(customer.values)
        into.addresses.extend(customer.addresses)
        if customer.groups is not None:
            into.groups = customer.groups
        into.invite = into.invite or customer.invite
    return merged


def usernames_taken(customers: dict[tuple[int, str], CleanRow]) -> set[tuple[int, str]]:
    """The keys of the customers whose username another customer of the channel holds."""
    return {row.key for row in usernames_refused(list(customers.values()))}


def username_taken_errors() -> dict[str, list[str]]:
    """The error of an order whose buyer's username another customer holds."""
    return {"customer.username": [str(USERNAME_TAKEN)]}
