"""Every write to orders goes through here, and keeps the customers' statistics exact.

The statistics rule lives in `_STATS_SQL` alone: `customer_stats_refresh` applies it to the
customers an order write touched (after locking their rows, so concurrent writers queue instead
of losing an update), `customers_stats_update` to an import batch's customers,
`customers_stats_of_new` to the customers an import batch is about to insert, and
`customer_stats_recompute` to every customer. A customer whose statistics do not change is not
rewritten (its version stays).

- COUNTED_STATUSES decide which orders count: pending, paid and fulfilled do; cancelled and
  refunded do not.
- `orders_count`, `first_order_at`, `last_order_at` and `last_order` cover every counted order.
- `total_spent` is in `total_spent_currency`, the currency of the customer's channel: only
  counted orders in that currency are summed, since amounts in different currencies cannot be
  added. A customer without counted orders has `total_spent_currency` "" and `total_spent` 0.
  After a channel changes its currency, run `manage.py recompute_customer_stats`.
"""

import json
from collections.abc import Iterable, Sequence

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import (
    QuerySet,
)
from django.utils.translation import gettext_lazy as _

from config.history import history_user_id
from config.sql import id_array
from config.versions import EntityTags, version_check, version_save, versions_bump
from customers.imports.rows import RowInvalid
from customers.models import CUSTOMER_STATS_COLUMNS, Channel, Customer
from customers.selectors import customer_aliases_resolve
from customers.services import customer_upsert
from events import types
from events.services import events_emit, fields_changed, fields_stored
from orders.event_sources import ORDER, ORDER_CUSTOM_DATA
from orders.models import Order, OrderCustomData, OrderItem, OrderStatus
from orders.validation import (
    INPUT_FIELDS,
    NUMBER_TAKEN,
    order_input_clean,
)

# Orders in these statuses count towards a customer's statistics; cancelled and refunded
# orders do not.
COUNTED_STATUSES = (OrderStatus.PENDING, OrderStatus.PAID, OrderStatus.FULFILLED)

CUSTOMER_OTHER_CHANNEL = _("The customer belongs to another channel than the order.")
UNKNOWN_ITEM = _("Item {index} refers to item id {item_id}, which is not part of this order.")
CUSTOM_DATA_NAME_LENGTH = "Ensure the name has 1 to 100 characters."
CUSTOM_DATA_VALUE_LENGTH = "Ensure the value has 1 to 1000 characters."
CUSTOM_DATA_NAME_TAKEN = _("Custom data with this name already exists here.")
CUSTOM_DATA_NAME_IMMUTABLE = _("The name of a custom data record cannot change.")
CUSTOM_DATA_ITEM_IMMUTABLE = _("The item of a custom data record cannot change.")
CUSTOM_DATA_ITEM_OF_OTHER_ORDER = _("This item belongs to another order.")
CUSTOM_DATA_NUMBER_RANGE = _("Ensure this value is a whole number from {low} to {high}.")
# The lowest value of each catalogue number (Kibo: manufacturerID from 1, catalogID from 0);
# the highest is what the column holds on every database.
CUSTOM_DATA_NUMBERS = {"manufacturer_number": 1, "catalog_number": 0}
INT32_MAX = 2_147_483_647


# --- statistics -------------------------------------------------------------------------------


def _customers_lock(customer_ids: Iterable[int]) -> list[int]:
    """Lock the customers' rows in id order (so two writers never deadlock); return the ids."""
    ids = sorted({pk for pk in customer_ids if pk is not None})
    # NO KEY UPDATE does not wait for the key-share locks that inserting an order takes.
    list(
        Customer.objects.select_for_update(no_key=True)
        .filter(pk__in=ids)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    return ids


@transaction.atomic
def customer_stats_refresh(*, customer_ids: Iterable[int]) -> int:
    """Recompute the statistics of the given customers from their orders; return the rows
    that changed.

    The rows are locked first: a concurrent writer waits, then aggregates in a statement that
    sees this transaction's orders, so no update is lost.
    """
    return customers_stats_update(customer_ids=_customers_lock(customer_ids))


# The statistics rule as one set-based SELECT per customer of `customers` (any rows with
# `id` and `channel_id`): aggregates are hashed once instead of run per customer. Portable
# across PostgreSQL and SQLite (window functions). `{scope}` limits the orders read to some
# customers' (a batch), so a batch does not aggregate the whole table.
_STATS_SQL = """
SELECT c.id AS customer_id,
       COALESCE(a.orders_count, 0) AS orders_count,
       COALESCE(a.total_spent, 0) AS total_spent,
       CASE WHEN a.orders_count IS NULL THEN '' ELSE ch.currency END AS total_spent_currency,
       a.first_order_at, a.last_order_at, l.last_order_id
  FROM {customers} c
  JOIN customers_channel ch ON ch.id = c.channel_id
  LEFT JOIN (
      SELECT o.customer_id, COUNT(*) AS orders_count,
             SUM(CASE WHEN o.currency = och.currency THEN o.total ELSE 0 END) AS total_spent,
             MIN(o.placed_at) AS first_order_at, MAX(o.placed_at) AS last_order_at
        FROM orders_order o JOIN customers_channel och ON och.id = o.channel_id
       WHERE o.status IN ({statuses}){scope}
       GROUP BY o.customer_id
  ) a ON a.customer_id = c.id
  LEFT JOIN (
      SELECT customer_id, id AS last_order_id FROM (
          SELECT o.customer_id, o.id, ROW_NUMBER() OVER (
                     PARTITION BY o.customer_id ORDER BY o.placed_at DESC, o.id DESC) AS rn
            FROM orders_order o WHERE o.status IN ({statuses}){scope}
      ) ranked WHERE rn = 1
  ) l ON l.customer_id = c.id
"""
# Rows whose statistics already match are not rewritten (IS DISTINCT FROM).
_RECOMPUTE_SQL = """
UPDATE customers_customer SET {assignments}
  FROM ({stats}) s
 WHERE customers_customer.id = s.customer_id AND ({changed})
"""


def customer_stats_select_sql(
    *, customers: str = "customers_customer", scope: str = "", scope_params: Sequence = ()
) -> tuple[str, list]:
    """Return (sql, params) of a SELECT of `customer_id` and every statistics column
    (CUSTOMER_STATS_COLUMNS) for each row of `customers`: a table, or a derived table of
    customers about to be written (columns `id`, `channel_id`) whose orders already exist.
    `scope` (with `scope_params`) is a condition on the orders `o` read, ANDed on."""
    sql = _STATS_SQL.format(
        customers=customers,
        statuses=", ".join(["%s"] * len(COUNTED_STATUSES)),
        scope=f" AND {scope}" if scope else "",
    )
    return sql, [*COUNTED_STATUSES, *scope_params, *COUNTED_STATUSES, *scope_params]


def _stats_update(stats: str, params: list) -> int:
    """Write the statistics `stats` selects onto the customers whose values differ; each
    one written counts a new version of it."""
    sql = _RECOMPUTE_SQL.format(
        assignments=", ".join(
            [
                *(f"{column} = s.{column}" for column in CUSTOMER_STATS_COLUMNS),
                "version = customers_customer.version + 1",
            ]
        ),
        stats=stats,
        changed=" OR ".join(
            f"customers_customer.{column} IS DISTINCT FROM s.{column}"
            for column in CUSTOMER_STATS_COLUMNS
        ),
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def _ids_select_sql() -> str:
    """A sub-select of the ids given as one parameter (an array; a JSON list on SQLite)."""
    if connection.vendor == "postgresql":
        return "SELECT unnest(%s::bigint[])"
    return "SELECT value FROM json_each(%s)"


def _ids_param(ids: list[int]):
    return id_array(ids) if connection.vendor == "postgresql" else json.dumps(ids)


def customers_stats_update(*, customer_ids: Iterable[int]) -> int:
    """Recompute the statistics of the given customers from their orders, set-based (one
    UPDATE ... FROM for a whole import batch); return how many rows changed.

    The same rule as customer_stats_recompute, read from these customers' orders only; the
    caller holds (or takes here) the customers' row locks within its transaction.
    """
    ids = sorted({pk for pk in customer_ids if pk is not None})
    if not ids:
        return 0
    selected = _ids_select_sql()
    customers = f"(SELECT id, channel_id FROM customers_customer WHERE id IN ({selected}))"
    stats, params = customer_stats_select_sql(
        customers=customers,
        scope=f"o.customer_id IN ({selected})",
        scope_params=[_ids_param(ids)],
    )
    return _stats_update(stats, [_ids_param(ids), *params])


def customers_stats_of_new(customers: dict[int, int]) -> dict[int, dict]:
    """The statistics of customers about to be inserted ({id: channel id}) whose orders are
    already written (PostgreSQL: the order's customer key is checked at commit), by the rule
    customer_stats_recompute applies: {id: {column: value}}, so they are inserted with them."""
    if not customers:
        return {}
    ids = list(customers)
    stats, params = customer_stats_select_sql(
        customers="(SELECT * FROM unnest(%s::bigint[], %s::bigint[]) AS n(id, channel_id))",
        scope="o.customer_id = ANY(%s::bigint[])",
        scope_params=[id_array(ids)],
    )
    with connection.cursor() as cursor:
        cursor.execute(stats, [id_array(ids), id_array(customers.values()), *params])
        return {
            pk: dict(zip(CUSTOMER_STATS_COLUMNS, values, strict=True))
            for pk, *values in cursor.fetchall()
        }


@transaction.atomic
def customer_stats_recompute() -> int:
    """Rebuild every customer's order statistics in one set-based UPDATE; return the rows.

    Only customers whose statistics were wrong are written, so a rerun on exact data is cheap.
    """
    return _stats_update(*customer_stats_select_sql())


# --- orders -----------------------------------------------------------------------------------


def _customer_resolve(*, channel: Channel, customer: Customer | dict) -> Customer:
    """Return the order's customer: an existing one, or one upserted from an object."""
    if isinstance(customer, dict):
        try:
            customer = customer_upsert(data=customer, channel=channel, user_id=history_user_id())
        except RowInvalid as invalid:
            errors = {f"customer.{name}".rstrip("."): msgs for name, msgs in invalid.errors.items()}
            raise ValidationError(errors) from None
    if customer.channel_id != channel.pk:
        raise ValidationError({"customer": [str(CUSTOMER_OTHER_CHANNEL)]})
    return customer


def _order_save(order: Order) -> Order:
    """Save a checked order (one version higher); a number taken by a concurrent writer is the
    same 400."""
    try:
        with transaction.atomic():
            version_save(order)
    except IntegrityError:
        if Order.objects.filter(channel_id=order.channel_id, number=order.number).exists():
            raise ValidationError({"number": [str(NUMBER_TAKEN)]}) from None
        raise
    return order


def _items_replace(*, order: Order, items: Iterable[dict]) -> tuple[list[OrderItem], bool]:
    """Make the order's items exactly the checked `items`: ones with a known `id` are changed
    in place (keeping their custom data), the others are created, unlisted ones deleted.
    Return the created items and whether anything changed."""
    existing = {item.pk: item for item in OrderItem.objects.filter(order=order)}
    kept, changed, created = [], [], []
    for index, data in enumerate(items):
        data = dict(data)
        item_id = data.pop("id", None)
        if item_id is not None and item_id not in existing:
            raise ValidationError({"items": [UNKNOWN_ITEM.format(index=index, item_id=item_id)]})
        item = existing[item_id] if item_id is not None else OrderItem(order=order)
        if item_id is None:
            created.append(item)
        else:
            kept.append(item)
        if _fields_set(item, data) and item_id is not None:
            changed.append(item)
    removed = [pk for pk in existing if pk not in {item.pk for item in kept}]
    deleted = order_items_delete(removed) if removed else 0
    for item in changed:
        item.save()
    return OrderItem.objects.bulk_create(created), bool(deleted or changed or created)


def order_items_delete(ids: list[int]) -> int:
    """Delete items; their custom data goes with them, each record with its tombstone.
    Return how many items were deleted."""
    records = OrderCustomData.objects.filter(item_id__in=ids).order_by("pk")
    events_emit(
        ORDER_CUSTOM_DATA,
        types.ORDER_CUSTOM_DATA_DELETED,
        records.values_list("pk", flat=True),
        tombstone=True,
    )
    return OrderItem.objects.filter(pk__in=ids).delete()[0]


def _fields_set(instance, data: dict) -> bool:
    """Set the checked values on `instance`; return whether any of them differs."""
    differs = False
    for field, value in data.items():
        if getattr(instance, field) != value:
            setattr(instance, field, value)
            differs = True
    return differs


def _customer_lock_unmerged(customer: Customer) -> Customer:
    """Lock the order's customer's row; if it was merged into another meanwhile (a merge
    holds the merged customers' locks until it commits), the one it was merged into, so an
    order written during a merge lands on the kept customer."""
    while True:
        merged_into = (
            Customer.objects.select_for_update(no_key=True)
            .filter(pk=customer.pk)
            .values_list("merged_into_id", flat=True)
            .get()
        )
        if merged_into is None:
            return customer
        kept = customer_aliases_resolve([merged_into])[merged_into]
        customer = Customer.objects.select_related("channel").get(pk=kept)


def _order_create(*, channel: Channel, customer: Customer | dict, data: dict, items: list) -> Order:
    customer = _customer_resolve(channel=channel, customer=customer)
    customer = _customer_lock_unmerged(customer)
    order = Order(channel=channel, customer=customer, currency=channel.currency)
    _fields_set(order, data)
    _order_save(order)
    _items_replace(order=order, items=items)
    customer_stats_refresh(customer_ids=[customer.pk])
    events_emit(ORDER, types.ORDER_CREATED, [order.pk])
    return order


def _order_update(
    *,
    order: Order,
    data: dict,
    customer: Customer | dict | None,
    items: list | None,
    if_match: EntityTags | None,
) -> Order:
    previous_customer_id = order.customer_id
    before = fields_stored(order)
    if customer is not None:
        order.customer = _customer_resolve(channel=order.channel, customer=customer)
    # The customers first, then the order: every order writer locks in this order.
    _customers_lock([previous_customer_id, order.customer_id])
    version_check(Order, order.pk, if_match)
    changed = _fields_set(order, data) or order.customer_id != previous_customer_id
    items_changed = items is not None and _items_replace(order=order, items=items)[1]
    # An order sent back as it was read keeps its version.
    if changed or items_changed:
        _order_save(order)
    customer_stats_refresh(customer_ids=[previous_customer_id, order.customer_id])
    _order_updated_emit(order, before, items_changed=items_changed)
    return order


def _order_updated_emit(order: Order, before: dict, *, items_changed: bool) -> None:
    names = fields_changed(before, order) + (["items"] if items_changed else [])
    if names:
        events_emit(ORDER, types.ORDER_UPDATED, {order.pk: names})


@transaction.atomic
def order_write(
    *,
    data,
    order: Order | None = None,
    partial: bool = False,
    channels: QuerySet[Channel] | None = None,
    customers: QuerySet[Customer] | None = None,
    if_match: EntityTags | None = None,
) -> Order:
    """Check an order as written (orders.validation) and create it, or change `order`, with
    its items; refresh the statistics of every customer it touched.

    `data` is an API body or an import row; `channels` and `customers` are what the caller
    may refer to (see order_input_clean). Raises ValidationError naming the bad fields, and
    PreconditionFailed when `order` is no longer at a version `if_match` names.
    """
    cleaned = order_input_clean(
        data, channels=channels, customers=customers, instance=order, partial=partial
    )
    channel, customer = cleaned.pop("channel", None), cleaned.pop("customer", None)
    items = cleaned.pop("items", None)
    if order is None:
        return _order_create(channel=channel, customer=customer, data=cleaned, items=items or [])
    return _order_update(
        order=order, data=cleaned, customer=customer, items=items, if_match=if_match
    )


def order_create(
    *, channel: Channel, customer: Customer | dict, data: dict, items: Iterable[dict] = ()
) -> Order:
    """Create an order with its items and refresh its customer's statistics.

    `customer` is a Customer of the channel, or an object {email, first_name, ...} that
    creates or updates that customer in the channel, in the same transaction.
    """
    row = {**data, "channel": channel, "customer": customer, "items": list(items)}
    return order_write(data=row)


def order_update(
    *,
    order: Order,
    data: dict,
    customer: Customer | dict | None = None,
    items: Iterable[dict] | None = None,
) -> Order:
    """Change an order (and its items when given); refresh the old and new customer's stats."""
    row = dict(data)
    if customer is not None:
        row["customer"] = customer
    if items is not None:
        row["items"] = list(items)
    return order_write(data=row, order=order, partial=True)


@transaction.atomic
def order_items_replace(*, order: Order, items: Iterable[dict]) -> list[OrderItem]:
    """Check `items` as order_write does and make them the order's items; return the new ones.

    Items with an `id` of the order are kept and changed, the others created; the order's
    other items are deleted. Raises ValidationError naming `items.<index>.<field>`.
    """
    cleaned = order_input_clean({"items": list(items)}, instance=order, partial=True)
    versions_bump(Order.objects.filter(pk=order.pk))
    created, changed = _items_replace(order=order, items=cleaned["items"])
    if changed:
        events_emit(ORDER, types.ORDER_UPDATED, {order.pk: ["items"]})
    return created


def _order_row(order: Order) -> dict:
    row = {name: getattr(order, name) for name in INPUT_FIELDS if name != "items"}
    return {name: value for name, value in row.items() if value is not None or "address" in name}


@transaction.atomic
def order_save(*, order: Order, previous_customer_id: int | None = None) -> Order:
    """Check and save an order edited field by field (the admin); refresh the stats."""
    if order.customer.channel_id != order.channel_id:
        raise ValidationError({"customer": [str(CUSTOMER_OTHER_CHANNEL)]})
    before = fields_stored(order)
    cleaned = order_input_clean(_order_row(order), instance=order)
    _fields_set(order, {k: v for k, v in cleaned.items() if k not in ("channel", "customer")})
    _customers_lock([previous_customer_id, order.customer_id])
    _order_save(order)
    customer_stats_refresh(customer_ids=[previous_customer_id, order.customer_id])
    if before is None:
        events_emit(ORDER, types.ORDER_CREATED, [order.pk])
    else:
        _order_updated_emit(order, before, items_changed=False)
    return order


@transaction.atomic
def order_delete(*, order: Order, if_match: EntityTags | None = None) -> None:
    """Delete an order with its items and custom data; refresh its customer's statistics.
    With `if_match`, only at a version it names (else PreconditionFailed)."""
    customer_id = order.customer_id
    _customers_lock([customer_id])
    version_check(Order, order.pk, if_match)
    # One tombstone stands for the order's items and custom data, deleted with it.
    events_emit(ORDER, types.ORDER_DELETED, [order.pk], tombstone=True)
    order.delete()
    customer_stats_refresh(customer_ids=[customer_id])


@transaction.atomic
def orders_delete(*, orders: QuerySet[Order]) -> int:
    """Delete many orders at once; refresh their customers' statistics; return the count."""
    customer_ids = set(orders.values_list("customer_id", flat=True))
    _customers_lock(customer_ids)
    ids = list(orders.order_by("pk").values_list("pk", flat=True))
    count = len(ids)
    events_emit(ORDER, types.ORDER_DELETED, ids, tombstone=True)
    Order.objects.filter(pk__in=ids).delete()
    customer_stats_refresh(customer_ids=customer_ids)
    return count


# --- custom order data (Kibo) -----------------------------------------------------------------


def _custom_data_field_errors(record: OrderCustomData) -> dict[str, list[str]]:
    errors = {}
    if not 1 <= len(record.name or "") <= 100:
        errors["name"] = [str(CUSTOM_DATA_NAME_LENGTH)]
    if not 1 <= len(record.value or "") <= 1000:
        errors["value"] = [str(CUSTOM_DATA_VALUE_LENGTH)]
    for field, low in CUSTOM_DATA_NUMBERS.items():
        number = getattr(record, field)
        if number is not None and not (
            isinstance(number, int) and not isinstance(number, bool) and low <= number <= INT32_MAX
        ):
            errors[field] = [CUSTOM_DATA_NUMBER_RANGE.format(low=low, high=INT32_MAX)]
    return errors


def order_custom_data_check(
    *, record: OrderCustomData, previous: OrderCustomData | None = None
) -> None:
    """Raise ValidationError naming the bad fields of a record about to be saved.

    `previous` is the stored record being changed: its name and item cannot change.
    """
    errors = _custom_data_field_errors(record)
    if previous is None and record.item is not None and record.item.order_id != record.order_id:
        errors["item"] = [str(CUSTOM_DATA_ITEM_OF_OTHER_ORDER)]
    if previous is not None and previous.name != record.name:
        errors["name"] = [str(CUSTOM_DATA_NAME_IMMUTABLE)]
    if previous is not None and previous.item_id != record.item_id:
        errors["item"] = [str(CUSTOM_DATA_ITEM_IMMUTABLE)]
    siblings = OrderCustomData.objects.filter(order_id=record.order_id, item_id=record.item_id)
    if "name" not in errors and siblings.filter(name=record.name).exclude(pk=record.pk).exists():
        errors["name"] = [str(CUSTOM_DATA_NAME_TAKEN)]
    if errors:
        raise ValidationError(errors)


def _custom_data_touch(record: OrderCustomData, if_match: EntityTags | None = None) -> None:
    """Count a change of the order (its answer shows its custom data), locking it first; then
    check a stored record's If-Match."""
    versions_bump(Order.objects.filter(pk=record.order_id))
    if record.pk is not None:
        version_check(OrderCustomData, record.pk, if_match)


def _custom_data_save(record: OrderCustomData) -> OrderCustomData:
    try:
        with transaction.atomic():
            version_save(record)
    except IntegrityError:
        raise ValidationError({"name": [str(CUSTOM_DATA_NAME_TAKEN)]}) from None
    return record


@transaction.atomic
def order_custom_data_create(
    *,
    order: Order,
    name: str,
    value: str,
    item: OrderItem | None = None,
    manufacturer_number: int | None = None,
    catalog_number: int | None = None,
) -> OrderCustomData:
    """Add a name/value record to an order, or to one of its items."""
    record = OrderCustomData(
        order=order,
        item=item,
        name=name,
        value=value,
        manufacturer_number=manufacturer_number,
        catalog_number=catalog_number,
    )
    order_custom_data_check(record=record)
    _custom_data_touch(record)
    _custom_data_save(record)
    events_emit(ORDER_CUSTOM_DATA, types.ORDER_CUSTOM_DATA_CREATED, [record.pk])
    return record


@transaction.atomic
def order_custom_data_update(
    *, record: OrderCustomData, data: dict, if_match: EntityTags | None = None
) -> OrderCustomData:
    """Change a record's value (and catalogue numbers); its name (and item) may be sent but
    must stay the same. With `if_match`, only from a version it names (else PreconditionFailed)."""
    _custom_data_touch(record, if_match)
    previous = OrderCustomData(
        pk=record.pk, order_id=record.order_id, item_id=record.item_id, name=record.name
    )
    for field in ("name", "item", "value", *CUSTOM_DATA_NUMBERS):
        if field in data:
            setattr(record, field, data[field])
    order_custom_data_check(record=record, previous=previous)
    before = fields_stored(record)
    _custom_data_save(record)
    if changed := fields_changed(before, record):
        events_emit(ORDER_CUSTOM_DATA, types.ORDER_CUSTOM_DATA_UPDATED, {record.pk: changed})
    return record


@transaction.atomic
def order_custom_data_delete(
    *, record: OrderCustomData, if_match: EntityTags | None = None
) -> None:
    """Delete a custom data record. With `if_match`, only at a version it names (else
    PreconditionFailed)."""
    _custom_data_touch(record, if_match)
    events_emit(ORDER_CUSTOM_DATA, types.ORDER_CUSTOM_DATA_DELETED, [record.pk], tombstone=True)
    record.delete()
