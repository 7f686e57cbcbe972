"""Change history for the bulk import, written set-based per batch.

The import writes with COPY / bulk upserts, which send no model signals, so
django-simple-history sees nothing. After each batch, these INSERT ... SELECT statements copy
the rows the batch wrote into the history tables without bringing them into Python: five
statements per batch (customers created, customers updated, addresses added, addresses
changed, memberships added), each an index lookup on the batch's ids.
"""

import datetime

from config.history import history_record_queryset
from customers.models import Address, Customer
from groups.models import UserCustomerGroup

IMPORT_REASON = "import"


def customer_rows_history_record(
    written: list[tuple], *, started: datetime.datetime, user_id: int | None
) -> None:
    """Record one import batch: `written` is customer_rows_write's (row, id, status) list.

    Addresses and memberships count as written by the batch when stamped at or after
    `started`, the time taken just before the batch was written.
    """
    from customers.imports.writers import CREATED, UPDATED

    created = [pk for _, pk, status in written if status == CREATED]
    updated = [pk for _, pk, status in written if status == UPDATED]
    every = [pk for _, pk, _ in written]
    record = {"user_id": user_id, "reason": IMPORT_REASON}
    if created:
        history_record_queryset(Customer.objects.filter(pk__in=created), created=True, **record)
    if updated:
        history_record_queryset(Customer.objects.filter(pk__in=updated), **record)
    if not every:
        return
    addresses = Address.objects.filter(customer_id__in=every, updated_at__gte=started)
    history_record_queryset(addresses.filter(created_at__gte=started), created=True, **record)
    history_record_queryset(addresses.filter(created_at__lt=started), **record)
    memberships = UserCustomerGroup.objects.filter(customer_id__in=every, created_at__gte=started)
    history_record_queryset(memberships, created=True, **record)
