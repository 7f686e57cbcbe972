"""What the change feed says about channels, customers and addresses (events.EventSource)."""

from customers.models import Address, Channel, Customer
from events.services import EventSource

_CHANNELS = Channel._meta.db_table
_CUSTOMERS = Customer._meta.db_table

CHANNEL = EventSource("channel", Channel, channel_sql="t.code", tombstone=("id", "code"))
CUSTOMER = EventSource(
    "customer",
    Customer,
    channel_sql="ch.code",
    channel_joins=f"LEFT JOIN {_CHANNELS} ch ON ch.id = t.channel_id",
    # A password hash is a secret: a change names the field, never its value.
    hidden=("password",),
    tombstone=("id", "channel"),
)
ADDRESS = EventSource(
    "address",
    Address,
    channel_sql="ch.code",
    channel_joins=(
        f"LEFT JOIN {_CUSTOMERS} c ON c.id = t.customer_id "
        f"LEFT JOIN {_CHANNELS} ch ON ch.id = c.channel_id"
    ),
    tombstone=("id", "customer"),
)
