"""Named reads of orders, limited to the channels the caller may see."""

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Prefetch, QuerySet, Sum
from django.db.models.functions import TruncDate

from customers.selectors import channel_scope
from orders.models import Order, OrderCustomData, OrderItem


def order_list(*, user) -> QuerySet[Order]:
    """Return the orders of the channels the user may see, with items and custom data loaded."""
    orders = Order.objects.select_related("channel").prefetch_related(
        Prefetch("custom_data", queryset=OrderCustomData.objects.filter(item__isnull=True)),
        Prefetch("items", queryset=OrderItem.objects.prefetch_related("custom_data")),
    )
    return channel_scope(orders, user=user)


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
