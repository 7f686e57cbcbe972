"""Named reads of orders, limited to the channels the caller may see."""

from django.db.models import Prefetch, QuerySet

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
