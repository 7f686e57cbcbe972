"""Every write to orders goes through here, and keeps the customers' statistics exact.

The statistics rule lives in `_stats_expressions()` alone: `customer_stats_refresh` applies it
to the customers an order write touched (after locking their rows, so concurrent writers queue
instead of losing an update) and `customer_stats_recompute` applies it to every customer.

- COUNTED_STATUSES decide which orders count: pending, paid and fulfilled do; cancelled and
  refunded do not.
- `orders_count`, `first_order_at`, `last_order_at` and `last_order` cover every counted order.
- `total_spent` is in `total_spent_currency`, the currency of the customer's channel: only
  counted orders in that currency are summed, since amounts in different currencies cannot be
  added. A customer without counted orders has `total_spent_currency` "" and `total_spent` 0.
  After a channel changes its currency, run `manage.py recompute_customer_stats`.
"""

from collections.abc import Iterable
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import (
    Case,
    Count,
    DecimalField,
    Exists,
    F,
    Max,
    Min,
    OuterRef,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce

from config.history import history_user_id
from customers.imports.rows import RowInvalid
from customers.models import Channel, Customer
from customers.services import customer_upsert
from customers.validation import country_normalize, currency_normalize
from orders.models import Order, OrderCustomData, OrderItem, OrderStatus

# Orders in these statuses count towards a customer's statistics; cancelled and refunded
# orders do not.
COUNTED_STATUSES = (OrderStatus.PENDING, OrderStatus.PAID, OrderStatus.FULFILLED)

MONEY_FIELDS = ("subtotal", "shipping_total", "tax_total", "discount_total", "total")
NUMBER_TAKEN = "An order with this number already exists in this channel."
NUMBER_REQUIRED = "This field is required."
CHANNEL_IMMUTABLE = "The channel of an order cannot change."
CUSTOMER_OTHER_CHANNEL = "The customer belongs to another channel than the order."
NEGATIVE_AMOUNT = "Ensure this value is greater than or equal to 0."
INVALID_STATUS = "Choose one of: {choices}."
QUANTITY_TOO_SMALL = "Ensure the quantity of item {index} is at least 1."
UNIT_PRICE_NEGATIVE = "Ensure the unit price of item {index} is greater than or equal to 0."
SKU_REQUIRED = "Item {index} needs a sku."
UNKNOWN_ITEM = "Item {index} refers to item id {item_id}, which is not part of this order."
ADDRESS_NOT_OBJECT = "Expected an address object."
CUSTOM_DATA_NAME_LENGTH = "Ensure the name has 1 to 100 characters."
CUSTOM_DATA_VALUE_LENGTH = "Ensure the value has 1 to 1000 characters."
CUSTOM_DATA_NAME_TAKEN = "Custom data with this name already exists here."
CUSTOM_DATA_NAME_IMMUTABLE = "The name of a custom data record cannot change."

ZERO = Decimal("0.00")
_MONEY = DecimalField(max_digits=14, decimal_places=2)


# --- statistics -------------------------------------------------------------------------------


def _counted_orders_of_outer_customer() -> QuerySet[Order]:
    return Order.objects.filter(customer=OuterRef("pk"), status__in=COUNTED_STATUSES).order_by()


def _aggregate(expression, orders: QuerySet[Order] | None = None):
    orders = _counted_orders_of_outer_customer() if orders is None else orders
    return Subquery(orders.values("customer").annotate(value=expression).values("value"))


def _stats_expressions() -> dict:
    """The one statistics rule, as UPDATE expressions over each customer's counted orders."""
    counted = _counted_orders_of_outer_customer()
    # The order's channel is the customer's channel (order_create enforces it).
    in_channel_currency = counted.filter(currency=F("channel__currency"))
    last_order = counted.order_by("-placed_at", "-id")
    channel_currency = Channel.objects.filter(pk=OuterRef("channel_id")).values("currency")
    return {
        "orders_count": Coalesce(_aggregate(Count("*")), 0),
        "total_spent": Coalesce(
            _aggregate(Sum("total"), in_channel_currency), Value(ZERO, output_field=_MONEY)
        ),
        "total_spent_currency": Case(
            When(Exists(counted), then=Subquery(channel_currency)), default=Value("")
        ),
        "first_order_at": _aggregate(Min("placed_at")),
        "last_order_at": _aggregate(Max("placed_at")),
        "last_order_id": Subquery(last_order.values("id")[:1]),
    }


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
    """Recompute the statistics of the given customers from their orders; return the rows.

    The rows are locked first: a concurrent writer waits, then aggregates in a statement that
    sees this transaction's orders, so no update is lost.
    """
    ids = _customers_lock(customer_ids)
    if not ids:
        return 0
    return Customer.objects.filter(pk__in=ids).update(**_stats_expressions())


_STATS_COLUMNS = (
    "orders_count",
    "total_spent",
    "total_spent_currency",
    "first_order_at",
    "last_order_at",
    "last_order_id",
)

# The same rule as _stats_expressions(), as one joined UPDATE: aggregates are hashed once
# instead of run per customer, and rows whose statistics already match are not rewritten.
# Portable across PostgreSQL and SQLite (UPDATE ... FROM, window functions, IS DISTINCT FROM).
_RECOMPUTE_SQL = """
UPDATE customers_customer SET {assignments}
FROM (
    SELECT c.id AS customer_id,
           COALESCE(a.orders_count, 0) AS orders_count,
           COALESCE(a.total_spent, 0) AS total_spent,
           CASE WHEN a.orders_count IS NULL THEN '' ELSE ch.currency END
               AS total_spent_currency,
           a.first_order_at, a.last_order_at, l.last_order_id
      FROM customers_customer c
      JOIN customers_channel ch ON ch.id = c.channel_id
      LEFT JOIN (
          SELECT o.customer_id, COUNT(*) AS orders_count,
                 SUM(CASE WHEN o.currency = och.currency THEN o.total ELSE 0 END)
                     AS total_spent,
                 MIN(o.placed_at) AS first_order_at, MAX(o.placed_at) AS last_order_at
            FROM orders_order o JOIN customers_channel och ON och.id = o.channel_id
           WHERE o.status IN ({statuses})
           GROUP BY o.customer_id
      ) a ON a.customer_id = c.id
      LEFT JOIN (
          SELECT customer_id, id AS last_order_id FROM (
              SELECT o.customer_id, o.id, ROW_NUMBER() OVER (
                         PARTITION BY o.customer_id ORDER BY o.placed_at DESC, o.id DESC) AS rn
                FROM orders_order o WHERE o.status IN ({statuses})
          ) ranked WHERE rn = 1
      ) l ON l.customer_id = c.id
) s
WHERE customers_customer.id = s.customer_id AND ({changed})
"""


@transaction.atomic
def customer_stats_recompute() -> int:
    """Rebuild every customer's order statistics in one set-based UPDATE; return the rows.

    Only customers whose statistics were wrong are written, so a rerun on exact data is cheap.
    """
    sql = _RECOMPUTE_SQL.format(
        assignments=", ".join(f"{column} = s.{column}" for column in _STATS_COLUMNS),
        statuses=", ".join(["%s"] * len(COUNTED_STATUSES)),
        changed=" OR ".join(
            f"customers_customer.{column} IS DISTINCT FROM s.{column}" for column in _STATS_COLUMNS
        ),
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*COUNTED_STATUSES, *COUNTED_STATUSES])
        return cursor.rowcount


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
        raise ValidationError({"customer": [CUSTOMER_OTHER_CHANNEL]})
    return customer


def _address_snapshot(value, field: str) -> dict | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise ValidationError({field: [ADDRESS_NOT_OBJECT]})
    snapshot = dict(value)
    try:
        snapshot["country"] = country_normalize(snapshot.get("country", ""))
    except ValidationError as error:
        raise ValidationError({field: error.messages}) from None
    return snapshot


def _order_validate(order: Order) -> None:
    errors: dict[str, list[str]] = {}
    order.number = (order.number or "").strip()
    if not order.number:
        errors["number"] = [NUMBER_REQUIRED]
    elif (
        Order.objects.filter(channel_id=order.channel_id, number=order.number)
        .exclude(pk=order.pk)
        .exists()
    ):
        errors["number"] = [NUMBER_TAKEN]
    if order.status not in OrderStatus.values:
        errors["status"] = [INVALID_STATUS.format(choices=", ".join(OrderStatus.values))]
    for field in MONEY_FIELDS:
        if getattr(order, field) is None or getattr(order, field) < 0:
            errors[field] = [NEGATIVE_AMOUNT]
    try:
        order.currency = currency_normalize(order.currency)
    except ValidationError as error:
        errors["currency"] = error.messages
    if errors:
        raise ValidationError(errors)
    order.full_clean(exclude=["channel", "customer"], validate_constraints=False)


def _order_save(order: Order) -> Order:
    """Validate and save; a number taken by a concurrent writer is the same 400."""
    _order_validate(order)
    try:
        with transaction.atomic():
            order.save()
    except IntegrityError:
        if Order.objects.filter(channel_id=order.channel_id, number=order.number).exists():
            raise ValidationError({"number": [NUMBER_TAKEN]}) from None
        raise
    return order


def _item_validate(item: OrderItem, index: int) -> None:
    errors = []
    if not (item.sku or "").strip():
        errors.append(SKU_REQUIRED.format(index=index))
    if item.quantity is None or item.quantity < 1:
        errors.append(QUANTITY_TOO_SMALL.format(index=index))
    if item.unit_price is None or item.unit_price < 0:
        errors.append(UNIT_PRICE_NEGATIVE.format(index=index))
    if errors:
        raise ValidationError({"items": errors})
    try:
        item.full_clean(exclude=["order"], validate_constraints=False)
    except ValidationError as error:
        messages = [
            f"Item {index}, {field}: {' '.join(field_messages)}"
            for field, field_messages in error.message_dict.items()
        ]
        raise ValidationError({"items": messages}) from None


def _items_replace(*, order: Order, items: Iterable[dict]) -> None:
    """Make the order's items exactly `items`: ones with a known `id` are changed in place
    (keeping their custom data), the others are created, and unlisted items are deleted."""
    existing = {item.pk: item for item in OrderItem.objects.filter(order=order)}
    kept, created = [], []
    for index, data in enumerate(items):
        data = dict(data)
        item_id = data.pop("id", None)
        if item_id is not None and item_id not in existing:
            raise ValidationError({"items": [UNKNOWN_ITEM.format(index=index, item_id=item_id)]})
        item = existing[item_id] if item_id is not None else OrderItem(order=order)
        for field, value in data.items():
            setattr(item, field, value)
        _item_validate(item, index)
        (kept if item_id is not None else created).append(item)
    OrderItem.objects.filter(order=order).exclude(pk__in=[item.pk for item in kept]).delete()
    for item in kept:
        item.save()
    OrderItem.objects.bulk_create(created)


def _totals_default(data: dict, items: list[dict]) -> dict:
    """Fill subtotal from the items and total from the parts when they are not given."""
    data = dict(data)
    if "subtotal" not in data:
        data["subtotal"] = sum(
            (Decimal(item.get("quantity", 1)) * item.get("unit_price", ZERO) for item in items),
            ZERO,
        )
    if "total" not in data:
        total = (
            data["subtotal"]
            + data.get("shipping_total", ZERO)
            + data.get("tax_total", ZERO)
            - data.get("discount_total", ZERO)
        )
        data["total"] = total
    return data


def _order_apply(order: Order, data: dict) -> None:
    for field, value in data.items():
        if field in ("shipping_address", "billing_address"):
            value = _address_snapshot(value, field)
        setattr(order, field, value)


@transaction.atomic
def order_create(
    *, channel: Channel, customer: Customer | dict, data: dict, items: Iterable[dict] = ()
) -> Order:
    """Create an order with its items and refresh its customer's statistics.

    `customer` is a Customer of the channel, or an object {email, first_name, ...} that
    creates or updates that customer in the channel, in the same transaction.
    """
    items = list(items)
    customer = _customer_resolve(channel=channel, customer=customer)
    _customers_lock([customer.pk])
    order = Order(channel=channel, customer=customer, currency=channel.currency)
    _order_apply(order, _totals_default(data, items))
    _order_save(order)
    _items_replace(order=order, items=items)
    customer_stats_refresh(customer_ids=[customer.pk])
    return order


@transaction.atomic
def order_update(
    *,
    order: Order,
    data: dict,
    customer: Customer | dict | None = None,
    items: Iterable[dict] | None = None,
) -> Order:
    """Change an order (and its items when given); refresh the old and new customer's stats."""
    data = dict(data)
    channel = data.pop("channel", order.channel)
    if channel.pk != order.channel_id:
        raise ValidationError({"channel": [CHANNEL_IMMUTABLE]})
    previous_customer_id = order.customer_id
    if customer is not None:
        order.customer = _customer_resolve(channel=order.channel, customer=customer)
    _customers_lock([previous_customer_id, order.customer_id])
    _order_apply(order, data)
    _order_save(order)
    if items is not None:
        _items_replace(order=order, items=items)
    customer_stats_refresh(customer_ids=[previous_customer_id, order.customer_id])
    return order


@transaction.atomic
def order_save(*, order: Order, previous_customer_id: int | None = None) -> Order:
    """Validate and save an order edited field by field (the admin); refresh the stats."""
    if order.customer.channel_id != order.channel_id:
        raise ValidationError({"customer": [CUSTOMER_OTHER_CHANNEL]})
    _customers_lock([previous_customer_id, order.customer_id])
    _order_save(order)
    customer_stats_refresh(customer_ids=[previous_customer_id, order.customer_id])
    return order


@transaction.atomic
def order_delete(*, order: Order) -> None:
    """Delete an order with its items and custom data; refresh its customer's statistics."""
    customer_id = order.customer_id
    _customers_lock([customer_id])
    order.delete()
    customer_stats_refresh(customer_ids=[customer_id])


@transaction.atomic
def orders_delete(*, orders: QuerySet[Order]) -> int:
    """Delete many orders at once; refresh their customers' statistics; return the count."""
    customer_ids = set(orders.values_list("customer_id", flat=True))
    _customers_lock(customer_ids)
    count = orders.count()
    Order.objects.filter(pk__in=list(orders.values_list("pk", flat=True))).delete()
    customer_stats_refresh(customer_ids=customer_ids)
    return count


# --- custom order data (Kibo) -----------------------------------------------------------------


def _custom_data_validate(record: OrderCustomData) -> None:
    errors = {}
    if not 1 <= len(record.name or "") <= 100:
        errors["name"] = [CUSTOM_DATA_NAME_LENGTH]
    if not 1 <= len(record.value or "") <= 1000:
        errors["value"] = [CUSTOM_DATA_VALUE_LENGTH]
    siblings = OrderCustomData.objects.filter(order_id=record.order_id, item_id=record.item_id)
    if "name" not in errors and siblings.filter(name=record.name).exclude(pk=record.pk).exists():
        errors["name"] = [CUSTOM_DATA_NAME_TAKEN]
    if errors:
        raise ValidationError(errors)


def _custom_data_save(record: OrderCustomData) -> OrderCustomData:
    _custom_data_validate(record)
    try:
        with transaction.atomic():
            record.save()
    except IntegrityError:
        raise ValidationError({"name": [CUSTOM_DATA_NAME_TAKEN]}) from None
    return record


@transaction.atomic
def order_custom_data_create(
    *, order: Order, name: str, value: str, item: OrderItem | None = None
) -> OrderCustomData:
    """Add a name/value record to an order, or to one of its items."""
    if item is not None and item.order_id != order.pk:
        raise ValidationError({"item": [UNKNOWN_ITEM.format(index=0, item_id=item.pk)]})
    record = OrderCustomData(order=order, item=item, name=name, value=value)
    return _custom_data_save(record)


@transaction.atomic
def order_custom_data_update(*, record: OrderCustomData, data: dict) -> OrderCustomData:
    """Change a record's value; its name may be sent but must stay the same."""
    if "name" in data and data["name"] != record.name:
        raise ValidationError({"name": [CUSTOM_DATA_NAME_IMMUTABLE]})
    if "value" in data:
        record.value = data["value"]
    return _custom_data_save(record)


@transaction.atomic
def order_custom_data_delete(*, record: OrderCustomData) -> None:
    """Delete a custom data record."""
    record.delete()
