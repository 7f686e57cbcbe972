"""What the change feed says about orders and their custom data (events.EventSource).

An order's items are written with the order (its representation lists them): they are part of
the order's payload, and a change to them is an `order.updated` naming `items`.
"""

from customers.models import Channel
from events.services import EventSource
from orders.models import Order, OrderCustomData, OrderItem

_CHANNELS = Channel._meta.db_table

ORDER_ITEM = EventSource("order_item", OrderItem)
ORDER = EventSource(
    "order",
    Order,
    channel_sql="ch.code",
    channel_joins=f"LEFT JOIN {_CHANNELS} ch ON ch.id = t.channel_id",
    tombstone=("id", "channel", "customer"),
    children=(("items", ORDER_ITEM, "order_id"),),
)
ORDER_CUSTOM_DATA = EventSource(
    "order_custom_data",
    OrderCustomData,
    channel_sql="ch.code",
    channel_joins=(
        f"LEFT JOIN {Order._meta.db_table} o ON o.id = t.order_id "
        f"LEFT JOIN {_CHANNELS} ch ON ch.id = o.channel_id"
    ),
    tombstone=("id", "order", "item"),
)
