"""Change history for the bulk import, written set-based per batch.

The import writes with COPY / bulk upserts, which send no model signals, so
django-simple-history sees nothing. After each batch, these INSERT ... SELECT statements copy
the rows the batch wrote into the history tables without bringing them into Python: one
statement per kind of change (customers created, customers updated, addresses added,
addresses changed, memberships added), each a primary-key lookup of the batch's ids.
"""

from config.history import history_record_ids
from customers.imports.writers import CREATED, UPDATED
from customers.models import Address, Customer
from groups.models import UserCustomerGroup

IMPORT_REASON = "import"


def customer_rows_history_record(
    batch, *, user_id: int | None, reason: str = IMPORT_REASON
) -> None:
    """Record one batch: `batch` is what customer_rows_write wrote."""
    record = {"user_id": user_id, "reason": reason}
    created = [pk for _, pk, status in batch.customers if status == CREATED]
    updated = [pk for _, pk, status in batch.customers if status == UPDATED]
    history_record_ids(Customer, created, created=True, **record)
    history_record_ids(Customer, updated, **record)
    history_record_ids(Address, batch.addresses_created, created=True, **record)
    history_record_ids(Address, batch.addresses_changed, **record)
    history_record_ids(UserCustomerGroup, batch.memberships_created, created=True, **record)
