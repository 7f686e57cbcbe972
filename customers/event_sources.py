"""What the change feed says about channels, customers and addresses (events.EventSource)."""

from customers.models import (
    CUSTOMER_MATCH_KEY_FIELDS,
    CUSTOMER_STATS_FIELDS,
    Address,
    Channel,
    Customer,
)
from events.services import EventSource
from groups.event_sources import MEMBERSHIP

_CHANNELS = Channel._meta.db_table
_CUSTOMERS = Customer._meta.db_table

CHANNEL = EventSource("channel", Channel, channel_sql="t.code", tombstone=("id", "code"))
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
CUSTOMER = EventSource(
    "customer",
    Customer,
    channel_sql="ch.code",
    channel_joins=f"LEFT JOIN {_CHANNELS} ch ON ch.id = t.channel_id",
    # A password hash is a secret: a change names the field, never its value. The order
    # statistics and the last sign-in change without an event (README, "Events"), so a
    # payload would only carry them stale; each field also costs every event of an import.
    # The duplicate match keys are internal (derived from fields the payload has).
    hidden=("password", "last_login_at", *CUSTOMER_STATS_FIELDS, *CUSTOMER_MATCH_KEY_FIELDS),
    tombstone=("id", "channel"),
    # A new customer's addresses and memberships are in its customer.created payload.
    embeds=(("addresses", ADDRESS, "customer_id"), ("memberships", MEMBERSHIP, "customer_id")),
)
