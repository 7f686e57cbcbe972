"""Named reads of orders, limited to the channels the caller may see."""

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Prefetch, QuerySet, Sum
from django.db.models.functions import TruncDate

from config.json_rows import column_sql, field_key_sql, json_list_sql, literal, quoted
from customers.selectors import channel_scope
from orders.models import Order, OrderCustomData, OrderItem


def order_list(*, user) -> QuerySet[Order]:
    """Return the orders of the channels the user may see, with items and custom data loaded."""
    orders = Order.objects.select_related("channel").prefetch_related(
        Prefetch("custom_data", queryset=OrderCustomData.objects.filter(item__isnull=True)),
        Prefetch("items", queryset=OrderItem.objects.prefetch_related("custom_data")),
    )
    return channel_scope(orders, user=user)


# --- orders written as JSON by PostgreSQL (config.json_rows) -------------------------------
# The relations as order_list prefetches them: items by id, each with its custom data by id,
# and the order's own custom data (no item) by id.


def _relation_json_sql(select: str, model, alias: str, where: str) -> str:
    """SQL of the JSON text of a list of `model`'s rows (aliased `alias`) matching `where`,
    by id, each written by `select`."""
    table = quoted(model._meta.db_table)
    key = column_sql(model, "id", alias)
    return json_list_sql(f"SELECT {select} AS j FROM {table} {alias} WHERE {where} ORDER BY {key}")


def order_items_json_sql(table: str, item_json: str) -> str:
    """SQL of the JSON text of the order's items; `item_json` writes one item aliased `i`."""
    where = f"{column_sql(OrderItem, 'order', 'i')} = {table}.{quoted('id')}"
    return _relation_json_sql(item_json, OrderItem, "i", where)


def order_custom_data_json_sql(table: str, record_json: str, *, of_item: bool) -> str:
    """SQL of the JSON text of the custom data of the order (`table` an order) or of one of
    its items (`of_item`: `table` an item); `record_json` writes one record aliased `d`."""
    item, owner = column_sql(OrderCustomData, "item", "d"), f"{table}.{quoted('id')}"
    if of_item:
        where = f"{item} = {owner}"
    else:
        where = f"{column_sql(OrderCustomData, 'order', 'd')} = {owner} AND {item} IS NULL"
    return _relation_json_sql(record_json, OrderCustomData, "d", where)


def order_snapshot_json_sql(column: str, value_json: dict) -> str:
    """SQL of the JSON text of an address snapshot (a jsonb column): null unless an object,
    else the keys of `value_json` ({name: function(text expression) → its JSON text}) the
    snapshot holds, in that order, as the snapshot serializer leaves out the keys it lacks."""
    pieces = [
        f"CASE WHEN {column} ? {literal(name)} THEN {field_key_sql(name, first=False)}"
        f" || {write(f'({column} ->> {literal(name)})')} END"
        for name, write in value_json.items()
    ]
    members = f"substr(concat({', '.join(pieces)}), 2)"
    written = f"'{{' || {members} || '}}'"
    return f"(CASE jsonb_typeof({column}) WHEN 'object' THEN {written} ELSE 'null' END)"


def order_custom_data_list(*, order: Order, item: OrderItem | None = None) -> QuerySet:
    """Return the custom data of an order (item None) or of one of its items."""
    records = OrderCustomData.objects.filter(order=order)
    if item is None:
        return records.filter(item__isnull=True)
    return records.filter(item=item)


@dataclass(frozen=True)
class DailyOrders:
    """The orders of one channel on one day in one currency."""

    channel_id: int
    day: datetime.date
    currency: str
    count: int
    revenue: Decimal


def order_daily_totals(
    *, channel_ids: Iterable[int] | None, since: datetime.datetime
) -> list[DailyOrders]:
    """Return the orders placed from `since` on in these channels (None: all), counted and
    summed per channel, day (in the current time zone) and currency; the range is read off
    the placed_at index."""
    orders = Order.objects.filter(placed_at__gte=since)
    if channel_ids is not None:
        orders = orders.filter(channel_id__in=list(channel_ids))
    rows = (
        orders.order_by()
        .annotate(day=TruncDate("placed_at"))
        .values("channel_id", "day", "currency")
        .annotate(count=Count("pk"), revenue=Sum("total"))
    )
    return [DailyOrders(**row) for row in rows]
