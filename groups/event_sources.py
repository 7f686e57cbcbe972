"""What the change feed says about groups and memberships (events.EventSource)."""

from customers.models import Channel, Customer
from events.services import EventSource
from groups.models import UserCustomerGroup, UserGroup

GROUP = EventSource("group", UserGroup, tombstone=("id", "code"))
MEMBERSHIP = EventSource(
    "membership",
    UserCustomerGroup,
    channel_sql=(
        f"(SELECT ch.code FROM {Customer._meta.db_table} c "
        f"JOIN {Channel._meta.db_table} ch ON ch.id = c.channel_id WHERE c.id = t.customer_id)"
    ),
    tombstone=("id", "customer", "group"),
)
