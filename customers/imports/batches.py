"""One batch of clean rows into the database: the step the import and the API's bulk upsert
share (username check, write, history, retries)."""

from collections.abc import Callable, Sequence

from django.db import IntegrityError, OperationalError, transaction

from customers.imports.events import customer_rows_events_emit
from customers.imports.history import customer_rows_history_record
from customers.imports.postgresql import planner_settings_for_batches
from customers.imports.rows import CleanRow
from customers.imports.writers import BatchWritten, BeforeInsert, customer_rows_write
from customers.models import Customer
from customers.selectors import customer_aliases_resolve

# PostgreSQL's SQLSTATEs for "run the transaction again": deadlock, serialization failure.
_RETRYABLE_STATES = frozenset({"40P01", "40001"})


def usernames_refused(rows: Sequence[CleanRow]) -> list[CleanRow]:
    """The rows whose username another customer of the channel has, or an earlier row takes."""
    named = [row for row in rows if row.values.get("username")]
    if not named:
        return []
    batch_keys = {row.key: row for row in rows}
    batch_ids = {row.pk: row for row in rows if row.pk is not None}
    holders: dict[tuple[int, str], tuple[int, str]] = {}
    for pk, channel_id, username, email in Customer.objects.filter(
        channel_id__in={row.channel_id for row in named},
        username__in={row.values["username"] for row in named},
    ).values_list("pk", "channel_id", "username", "email"):
        moving = batch_ids.get(pk) or batch_keys.get((channel_id, email))
        if moving is not None:
            email = moving.email
        if moving is None or moving.values.get("username", username) == username:
            holders[(channel_id, username)] = (channel_id, email)
    return [
        row
        for row in named
        if holders.setdefault((row.channel_id, row.values["username"]), row.key) != row.key
    ]


def customer_rows_aliases_resolve(rows: Sequence[CleanRow]) -> None:
    """Point each row keyed by a merged customer's e-mail at the customer it was merged into
    (customer_aliases_resolve), so an upsert or import of it updates that one. One query
    when the rows' channels have no merged customer, two when no row names one."""
    keyed = [row for row in rows if row.pk is None]
    if not keyed:
        return
    merged = Customer.objects.filter(
        merged_into__isnull=False, channel_id__in={row.channel_id for row in keyed}
    )
    # The partial index of merged customers answers this at once; the lookup by thousands of
    # e-mails below costs more than the rest of a batch's reads.
    if not merged.exists():
        return
    found = {
        (channel_id, email): pk
        for channel_id, email, pk in merged.filter(
            email__in={row.email for row in keyed}
        ).values_list("channel_id", "email", "pk")
    }
    if not found:
        return
    targets = customer_aliases_resolve(found.values())
    emails = dict(Customer.objects.filter(pk__in=set(targets.values())).values_list("pk", "email"))
    for row in keyed:
        if (pk := found.get(row.key)) is not None:
            row.email = emails[targets[pk]]
            row.key = (row.channel_id, row.email)


def customer_rows_save(
    rows: Sequence[CleanRow],
    *,
    user_id: int | None,
    reason: str,
    history: bool = True,
    before_insert: BeforeInsert | None = None,
) -> BatchWritten:
    """Write the rows and their history in a savepoint of the caller's transaction
    (`before_insert`: see customer_rows_write)."""
    with transaction.atomic():
        planner_settings_for_batches()
        customer_rows_aliases_resolve(rows)
        batch = customer_rows_write(rows, before_insert=before_insert)
        if history:
            customer_rows_history_record(batch, user_id=user_id, reason=reason)
        customer_rows_events_emit(batch)
    return batch


def write_is_retryable(error: Exception) -> bool:
    """A write another transaction got in the way of: a unique key it took meanwhile, or a
    deadlock or serialization failure PostgreSQL resolved by cancelling this one."""
    if isinstance(error, IntegrityError):
        return True
    state = getattr(error.__cause__, "sqlstate", None)
    return isinstance(error, OperationalError) and state in _RETRYABLE_STATES


def retrying(write: Callable[[], BatchWritten], *, attempts: int) -> BatchWritten:
    """Run the write again (it sees what the other transaction did) when it lost a race."""
    for _ in range(attempts - 1):
        try:
            return write()
        except (IntegrityError, OperationalError) as error:
            if not write_is_retryable(error):
                raise
    return write()
