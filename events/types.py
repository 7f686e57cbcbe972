"""The event types: `<object type>.<what happened>`."""

CHANNEL_CREATED, CHANNEL_UPDATED, CHANNEL_DELETED = (
    "channel.created",
    "channel.updated",
    "channel.deleted",
)
CUSTOMER_CREATED, CUSTOMER_UPDATED, CUSTOMER_DELETED = (
    "customer.created",
    "customer.updated",
    "customer.deleted",
)
CUSTOMER_ANONYMIZED = "customer.anonymized"
# merges: the kept customer's full payload, and a tombstone (id, channel, merged_into) for each
# merged one; undoing a merge names the kept and the restored customers with full payloads.
CUSTOMER_MERGED, CUSTOMER_UNMERGED = "customer.merged", "customer.unmerged"
ADDRESS_CREATED, ADDRESS_UPDATED, ADDRESS_DELETED = (
    "address.created",
    "address.updated",
    "address.deleted",
)
MEMBERSHIP_ADDED, MEMBERSHIP_UPDATED, MEMBERSHIP_REMOVED = (
    "membership.added",
    "membership.updated",
    "membership.removed",
)
GROUP_CREATED, GROUP_UPDATED, GROUP_DELETED = "group.created", "group.updated", "group.deleted"
ORDER_CREATED, ORDER_UPDATED, ORDER_DELETED = "order.created", "order.updated", "order.deleted"
ORDER_CUSTOM_DATA_CREATED, ORDER_CUSTOM_DATA_UPDATED, ORDER_CUSTOM_DATA_DELETED = (
    "order_custom_data.created",
    "order_custom_data.updated",
    "order_custom_data.deleted",
)

EVENT_TYPES = (
    CHANNEL_CREATED,
    CHANNEL_UPDATED,
    CHANNEL_DELETED,
    CUSTOMER_CREATED,
    CUSTOMER_UPDATED,
    CUSTOMER_DELETED,
    CUSTOMER_ANONYMIZED,
    CUSTOMER_MERGED,
    CUSTOMER_UNMERGED,
    ADDRESS_CREATED,
    ADDRESS_UPDATED,
    ADDRESS_DELETED,
    MEMBERSHIP_ADDED,
    MEMBERSHIP_UPDATED,
    MEMBERSHIP_REMOVED,
    GROUP_CREATED,
    GROUP_UPDATED,
    GROUP_DELETED,
    ORDER_CREATED,
    ORDER_UPDATED,
    ORDER_DELETED,
    ORDER_CUSTOM_DATA_CREATED,
    ORDER_CUSTOM_DATA_UPDATED,
    ORDER_CUSTOM_DATA_DELETED,
)
OBJECT_TYPES = tuple(dict.fromkeys(name.split(".")[0] for name in EVENT_TYPES))
# `customer.*`: every type of one object.
TYPE_PATTERNS = tuple(f"{object_type}.*" for object_type in OBJECT_TYPES)
