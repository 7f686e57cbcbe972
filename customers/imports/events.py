"""Events for one batch of the customer writer, set-based: one INSERT ... SELECT per kind of
change (customers created, updated; addresses added, changed; memberships added), beside the
batch's history. A new customer's customer.created lists its addresses and memberships, which
get no event of their own (an import's creates then write one event per customer, not three).
Removed addresses and memberships are recorded by the writer before it deletes them."""

from customers.event_sources import ADDRESS, CUSTOMER
from customers.imports.writers import UPDATED, BatchWritten
from events.services import events_emit
from events.types import (
    ADDRESS_CREATED,
    ADDRESS_UPDATED,
    CUSTOMER_CREATED,
    CUSTOMER_UPDATED,
    MEMBERSHIP_ADDED,
)
from groups.event_sources import MEMBERSHIP


def customer_rows_events_emit(batch: BatchWritten) -> None:
    """Record the batch's changes in the outbox (a customer changed only in its addresses
    or groups gets their events, not a customer.updated)."""
    created = sorted(batch.created_ids())
    updated = {
        pk: batch.customers_changed.get(pk, ())
        for _, pk, status in batch.customers
        if status == UPDATED
    }
    events_emit(CUSTOMER, CUSTOMER_CREATED, created, embed=True)
    events_emit(CUSTOMER, CUSTOMER_UPDATED, updated)
    added = [pk for pk in batch.addresses_created if pk not in batch.addresses_of_created]
    events_emit(ADDRESS, ADDRESS_CREATED, added)
    # A new address may also be in addresses_changed (a flag moved off it): it was created.
    new = set(batch.addresses_created)
    changed = {pk: names for pk, names in batch.addresses_fields_changed.items() if pk not in new}
    events_emit(ADDRESS, ADDRESS_UPDATED, changed)
    joined = [pk for pk in batch.memberships_created if pk not in batch.memberships_of_created]
    events_emit(MEMBERSHIP, MEMBERSHIP_ADDED, joined)
