"""What the change feed says about groups and memberships (events.EventSource)."""

from customers.models import Channel, Customer
from events.services import EventSource
from groups.models import UserCustomerGroup, UserGroup

GROUP = EventSource("group", UserGroup, tombstone=("id", "code"))
MEMBERSHIP = EventSource(
    "membership",
    UserCustomerGroup,
    channel_sql="ch.code",
    channel_joins=(
        f"LEFT JOIN {Customer._meta.db_table} c ON c.id = t.customer_id "
        f"LEFT JOIN {Channel._meta.db_table} ch ON ch.id = c.channel_id"
    ),
    tombstone=("id", "customer", "group"),
)
