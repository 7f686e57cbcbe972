"""Write one batch of checked order rows set-based, in the caller's transaction.

1. Customers: the batch's buyers, one row per (channel, e-mail), through the customer import's
   writer (customers.imports.batches.customer_rows_save: the same COPY/upsert, history and
   events as import_customers).
2. Orders and items: new ones inserted together (COPY with ids from the sequence on PostgreSQL,
   bulk_create elsewhere); on PostgreSQL from within the customer writer, once the buyers'
   ids are known and before the new buyers are inserted, so that these are inserted with
   their statistics (orders.services.customers_stats_of_new; the orders' customer key is
   checked at commit); changed ones updated by one statement per table (COPY into a
   temporary stage + UPDATE ... FROM on PostgreSQL, bulk_update elsewhere); an order sent back
   as stored is left alone (no write, no event).
3. Events: order.created (with items) and order.updated naming the changed fields, one
   INSERT ... SELECT each (events.services.events_emit).
4. Statistics: one UPDATE ... FROM of the other customers the batch touched, by the rule
   recompute_customer_stats applies (orders.services.customers_stats_update).
"""

from dataclasses import dataclass, field

from django.db import connection
from django.db.models import F
from django.utils import timezone

from customers.imports import postgresql
from customers.imports.batches import customer_rows_save
from customers.imports.rows import CleanRow
from customers.imports.writers import rows_bulk_insert
from customers.models import Customer
from customers.services import customer_invite_send
from events import types
from events.services import events_emit
from orders.event_sources import ORDER
from orders.imports.rows import ITEM_DEFAULTS, OrderRow
from orders.models import ORDER_FIELDS, Order, OrderItem
from orders.services import customers_stats_of_new, customers_stats_update, order_items_delete

ORDER_STAGE = "patron_order_import_stage"
ITEM_STAGE = "patron_order_item_import_stage"
# channel_id, number, customer_id, status, ...: what an order's row holds that rows write.
_ORDER_COLUMNS = tuple(Order._meta.get_field(name).attname for name in ORDER_FIELDS)
_ORDER_UPDATED = tuple(name for name in _ORDER_COLUMNS if name != "channel_id")
_ITEM_UPDATED = ("sku", *ITEM_DEFAULTS)


@dataclass
class OrdersWritten:
    """What one batch did to orders: each row's order id and status, in the rows' order."""

    created: list[int] = field(default_factory=list)
    updated: list[int] = field(default_factory=list)
    unchanged: list[int] = field(default_factory=list)
    addresses: int = 0  # the buyers' addresses created or changed


@dataclass
class _Changes:
    """The writes one batch's existing orders need."""

    orders: list[dict] = field(default_factory=list)
    names: dict[int, list[str]] = field(default_factory=dict)
    items_new: list[dict] = field(default_factory=list)
    items_changed: list[dict] = field(default_factory=list)
    items_deleted: list[int] = field(default_factory=list)
    customers: set[int] = field(default_factory=set)


def _customers_write(
    rows: dict[tuple[int, str], CleanRow], user_id, before_insert
) -> tuple[dict[tuple, int], int]:
    """Upsert the batch's buyers through the customer writer; return their ids by key and
    how many addresses it created or changed."""
    batch = customer_rows_save(
        list(rows.values()), user_id=user_id, reason="", before_insert=before_insert
    )
    invited = [pk for row, pk, _ in batch.customers if row.invite]
    for customer in Customer.objects.filter(pk__in=invited):
        customer_invite_send(customer=customer)
    addresses = len(batch.addresses_created) + len(batch.addresses_changed)
    return {row.key: pk for row, pk, _ in batch.customers}, addresses


def order_customer_resolve(row: OrderRow, customer_ids: dict[tuple, int]) -> int:
    """The id of the customer an order row belongs to: the one place an import decides it
    (a merge that makes a customer id an alias of another hooks in here)."""
    return customer_ids[row.customer.key]


def _orders_create(rows: list[tuple[OrderRow, int]], now) -> list[int]:
    orders = [
        {
            "channel_id": row.channel.pk,
            "customer_id": customer_id,
            "currency": row.channel.currency,
            "placed_at": now,
            "created_at": now,
            "updated_at": now,
            **row.values,
        }
        for row, customer_id in rows
    ]
    ids = rows_bulk_insert(Order, orders)
    items = [
        {**ITEM_DEFAULTS, **item, "order_id": pk, "created_at": now, "updated_at": now}
        for pk, (row, _) in zip(ids, rows, strict=True)
        for item in row.items
    ]
    rows_bulk_insert(OrderItem, items)
    return ids


def _items_diff(row: OrderRow, changes: _Changes, now) -> bool:
    """Add the writes that make the order's items exactly the row's; return whether any."""
    if row.items is None:
        return False
    order_id, kept = row.existing.pk, set()
    changed = False
    for item in row.items:
        item = dict(item)
        item_id = item.pop("id", None)
        if item_id is None:
            changes.items_new.append(
                {
                    **ITEM_DEFAULTS,
                    **item,
                    "order_id": order_id,
                    "created_at": now,
                    "updated_at": now,
                }
            )
            changed = True
            continue
        kept.add(item_id)
        stored = row.existing_items[item_id]
        if any(stored[name] != value for name, value in item.items()):
            changes.items_changed.append({"id": item_id, **stored, **item, "updated_at": now})
            changed = True
    deleted = [pk for pk in row.existing_items if pk not in kept]
    changes.items_deleted += deleted
    return changed or bool(deleted)


def _order_diff(row: OrderRow, customer_id: int, changes: _Changes, now) -> bool:
    """Add the writes the row's stored order needs; return whether it changes at all."""
    order = row.existing
    names = [name for name, value in row.values.items() if getattr(order, name) != value]
    if customer_id != order.customer_id:
        names.append("customer")
    if _items_diff(row, changes, now):
        names.append("items")
    if not names:
        return False
    stored = {name: getattr(order, name) for name in _ORDER_UPDATED}
    changes.orders.append(
        {"id": order.pk, **stored, **row.values, "customer_id": customer_id, "updated_at": now}
    )
    changes.names[order.pk] = names
    changes.customers.update((order.customer_id, customer_id))
    return True


def _rows_update(model, rows: list[dict], columns: tuple[str, ...], stage: str) -> None:
    """Update rows given as {id, column: value}; a versioned model counts one more version."""
    if not rows:
        return
    versioned = any(f.attname == "version" for f in model._meta.concrete_fields)
    columns = (*columns, "updated_at")
    if connection.vendor != "postgresql":
        objects = [model(**{name: row[name] for name in ("id", *columns)}) for row in rows]
        for instance in objects if versioned else ():
            instance.version = F("version") + 1
        fields = [*columns, "version"] if versioned else list(columns)
        model.objects.bulk_update(objects, [c.removesuffix("_id") for c in fields], batch_size=500)
        return
    table = model._meta.db_table
    with connection.cursor() as cursor:
        selected = ", ".join(("id", *columns))
        cursor.execute(
            f"CREATE TEMP TABLE IF NOT EXISTS {stage} AS "
            f"SELECT {selected} FROM {table} WITH NO DATA"
        )
        cursor.execute(f"TRUNCATE {stage}")
        with postgresql.binary_copy(cursor, stage, ("id", *columns)) as copy:
            for row in rows:
                copy.write_row([row[name] for name in ("id", *columns)])
        assignments = ", ".join(f"{name} = s.{name}" for name in columns)
        if versioned:
            assignments += ", version = t.version + 1"
        cursor.execute(f"UPDATE {table} t SET {assignments} FROM {stage} s WHERE t.id = s.id")


def _orders_update(rows: list[tuple[OrderRow, int]], now, written: OrdersWritten) -> _Changes:
    changes = _Changes()
    for row, customer_id in rows:
        if _order_diff(row, customer_id, changes, now):
            written.updated.append(row.existing.pk)
        else:
            written.unchanged.append(row.existing.pk)
    if changes.items_deleted:
        order_items_delete(changes.items_deleted)
    _rows_update(Order, changes.orders, _ORDER_UPDATED, ORDER_STAGE)
    _rows_update(OrderItem, changes.items_changed, _ITEM_UPDATED, ITEM_STAGE)
    rows_bulk_insert(OrderItem, changes.items_new)
    return changes


class _OrdersFirst:
    """The customer writer's before_insert hook: the batch's new orders are created as soon
    as every buyer's id is known, so the new buyers are inserted with their statistics (one
    row version each) instead of inserted, then updated. A new buyer a stored order moves to
    gets its statistics from the batch's UPDATE, once that order is written."""

    def __init__(self, rows: list[OrderRow], now):
        self.rows = [row for row in rows if row.existing is None]
        self.moved = {row.customer.key for row in rows if row.existing is not None}
        self.now = now
        self.created: list[int] | None = None  # None: not called (not PostgreSQL)
        self.counted: set[int] = set()  # the new buyers inserted with their statistics

    def __call__(self, customer_ids: dict[tuple, int], new: set[int]) -> dict[int, dict]:
        self.created = _orders_create(
            [(row, order_customer_resolve(row, customer_ids)) for row in self.rows], self.now
        )
        buyers = {
            pk: key[0] for key, pk in customer_ids.items() if pk in new and key not in self.moved
        }
        stats = customers_stats_of_new(buyers)
        self.counted = set(stats)
        return stats


def order_rows_write(
    rows: list[OrderRow], customers: dict[tuple[int, str], CleanRow], *, user_id
) -> OrdersWritten:
    """Write a batch of checked rows (distinct (channel, number) keys) and their merged
    buyers `customers`; keep the buyers' statistics exact. Run inside a transaction."""
    now = timezone.now()
    orders_first = _OrdersFirst(rows, now)
    customer_ids, addresses = _customers_write(customers, user_id, orders_first)
    resolved = [(row, order_customer_resolve(row, customer_ids)) for row in rows]
    written = OrdersWritten(created=orders_first.created, addresses=addresses)
    if orders_first.created is None:
        written.created = _orders_create(
            [pair for pair in resolved if pair[0].existing is None], now
        )
    changes = _orders_update(
        [pair for pair in resolved if pair[0].existing is not None], now, written
    )
    events_emit(ORDER, types.ORDER_CREATED, written.created)
    events_emit(ORDER, types.ORDER_UPDATED, changes.names)
    touched = changes.customers | {pk for row, pk in resolved if row.existing is None}
    customers_stats_update(customer_ids=touched - orders_first.counted)
    return written
