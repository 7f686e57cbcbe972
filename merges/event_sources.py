"""What the change feed says about merges (events.EventSource)."""

from customers.event_sources import CUSTOMER
from customers.models import Channel
from events.services import EventSource

# A merged customer's `customer.merged` tombstone names the customer it went into.
CUSTOMER_MERGED = EventSource(
    "customer",
    CUSTOMER.model,
    channel_sql=CUSTOMER.channel_sql,
    channel_joins=f"LEFT JOIN {Channel._meta.db_table} ch ON ch.id = t.channel_id",
    hidden=CUSTOMER.hidden,
    tombstone=("id", "channel", "merged_into"),
)
