"""Named reads of orders, limited to the channels the caller may see."""

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection
from django.db.models import Count, Prefetch, QuerySet, Sum
from django.db.models.functions import TruncDate

from config.json_rows import field_key_sql, literal
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


def _quoted(name: str) -> str:
    return connection.ops.quote_name(name)


def _column(model, name: str, alias: str) -> str:
    return f"{alias}.{_quoted(model._meta.get_field(name).column)}"


def _json_list_sql(select: str, model, alias: str, where: str) -> str:
    """The JSON text of a list of `model`'s rows (aliased `alias`) matching `where`, by id,
    each written by `select`."""
    key = _column(model, "id", alias)
    table = _quoted(model._meta.db_table)
    rows = f"SELECT {select} AS j, {key} AS k FROM {table} {alias} WHERE {where}"
    listed = "string_agg(a.j, ',' ORDER BY a.k)"
    return f"(SELECT '[' || COALESCE({listed}, '') || ']' FROM ({rows}) a)"


def order_items_json_sql(table: str, item_json: str) -> str:
    """SQL of the JSON text of the order's items; `item_json` writes one item aliased `i`."""
    where = f"{_column(OrderItem, 'order', 'i')} = {table}.{_quoted('id')}"
    return _json_list_sql(item_json, OrderItem, "i", where)


def order_custom_data_json_sql(table: str, record_json: str, *, of_item: bool) -> str:
    """SQL of the JSON text of the custom data of the order (`table` an order) or of one of
    its items (`of_item`: `table` an item); `record_json` writes one record aliased `d`."""
    item = _column(OrderCustomData, "item", "d")
    if of_item:
        where = f"{item} = {table}.{_quoted('id')}"
    else:
        where = (
            f"{_column(OrderCustomData, 'order', 'd')} = {table}.{_quoted('id')} AND {item} IS NULL"
        )
    return _json_list_sql(record_json, OrderCustomData, "d", where)


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
