"""Bulk order import (marketplace feeds): one service behind `manage.py import_orders`.

Rows are API order objects whose `customer` is an object {email, first_name, ...}: each row
upserts its customer in the order's channel, then creates the order, or updates it when the
channel already has an order with that number (a feed re-sends orders as they change).

Rows are read and checked one by one (orders.validation, the API's check; the customer
object by the customer import's row_clean) and written in batches of BATCH_SIZE, set-based
(see writers.py), each batch in its own transaction, so the customers' statistics are exact
after every batch. A batch ends early where a row repeats an earlier row's (channel, number),
so the later row updates what the earlier one wrote, as when the rows are written one by one.

On PostgreSQL (outside a transaction) a writer thread (customers.imports.threads) writes each
batch on its own connection while this thread reads and checks the next one. A batch's stored
orders are looked up once no batch in flight writes one of them, and rows rejected here are
reported by the writer before its batch's own, so the report comes in the same order as with
one thread.

- An order sent back as stored is left alone: no write, no new version, no event (it still
  counts as updated in the summary, and in `unchanged`).
- Bad rows are reported with their line and skipped; a row the database refuses (a value or
  constraint the checks could not foresee) makes its batch be written again row by row, so the
  refused row alone is reported and the others are kept.
- Any other database error stops the import naming that row's line (OrderImportStopped); the
  rows before it are kept.
"""

import time
from collections.abc import Callable, Iterable
from contextlib import nullcontext
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import (
    DatabaseError,
    DataError,
    IntegrityError,
    connection,
    reset_queries,
    transaction,
)

from config.history import history_user_id
from config.statistics import statistics_refresh
from config.values import text_printable
from customers.imports import ROW_NOT_WRITTEN, ImportCounts, RowError
from customers.imports.batches import retrying
from customers.imports.threads import BatchWriter
from customers.models import CUSTOMER_STATS_COLUMNS, Address, Customer
from events.services import SOURCE_IMPORT, actor_source, actor_use
from orders.imports.readers import order_csv_rows_read, order_rows_read
from orders.imports.rows import (
    CUSTOMER_OBJECT_REQUIRED,
    ROW_NOT_OBJECT,
    OrderRow,
    RowLookups,
    customer_rows_merge,
    order_key,
    order_row_check,
    order_row_clean,
    orders_stored,
    username_taken_errors,
    usernames_taken,
)
from orders.imports.writers import order_rows_write
from orders.models import Order, OrderItem

__all__ = [
    "CUSTOMER_OBJECT_REQUIRED",
    "ROW_NOT_OBJECT",
    "OrderImportResult",
    "OrderImportStopped",
    "order_csv_rows_read",
    "order_rows_read",
    "orders_import",
]

BATCH_SIZE = 2000
# The customer columns whose planner statistics an import refreshes: the order statistics it
# rewrites on every buyer (the lists filter and sort on them) and the channel, which scopes a
# non-superuser's lists. The rest of a new buyer's row is like any customer's; the table's
# row count (an unfiltered total) is refreshed all the same.
STATISTICS_CUSTOMER_COLUMNS = ("channel_id", *CUSTOMER_STATS_COLUMNS)
# A batch that lost a race (another writer created one of its customers or orders, a
# deadlock) is written again this often before it is split into rows.
WRITE_ATTEMPTS = 2


@dataclass
class OrderImportResult(ImportCounts):
    """What an order import did (or, in a dry run, would do). `updated` counts every row that
    matched a stored order; `unchanged` those of them that changed nothing."""

    unchanged: int = 0


class OrderImportStopped(Exception):
    """A database error other than a refused value stopped the import at `line`; the rows
    before it are kept. The error is the cause."""

    def __init__(self, line: int, error: Exception):
        super().__init__(line, error)
        self.line = line
        self.error = error


@dataclass
class _Batch:
    """What the reading thread hands the writer: the rows it checked, and the errors of the
    rows it rejected since the last batch (reported first: the order one thread reports in)."""

    rows: list[OrderRow]
    rejected: list[tuple[int, dict[str, list[str]]]]
    size: int  # rows read into this batch, the rejected included (on_batch)


class _Importer:
    """One run of orders_import: checks rows, gathers them into batches and writes them,
    on a writer thread (imports.threads) when `threaded`."""

    def __init__(self, *, batch_size, on_error, on_batch, threaded):
        self.batch_size = batch_size
        self.on_error = on_error
        self.on_batch = on_batch
        self.result = OrderImportResult()
        self.lookups = RowLookups()
        # The writer may run on another thread: take the request's user and actor now.
        self.user_id = history_user_id()
        self.actor = actor_source(SOURCE_IMPORT)
        self.pending: list[tuple[int, dict, tuple | None]] = []
        self.keys: set[tuple[str, str]] = set()
        self.rejected: list[tuple[int, dict[str, list[str]]]] = []
        self.writer = BatchWriter(self._batch_write, name="orders-import") if threaded else None
        # The keys of each batch handed to the writer, by number, until it is written: a
        # batch sending one of them looks its stored orders up once that one committed.
        self.in_flight: dict[int, set[tuple[str, str]]] = {}
        self.submitted = self.written = 0
        self.addresses_written = 0  # which table's statistics to refresh at the end

    def _reject_later(self, line: int, errors: dict[str, list[str]]) -> None:
        self.rejected.append((line, errors))

    def reject(self, line: int, errors: dict[str, list[str]]) -> None:
        self.result.rejected += 1
        for name, messages in errors.items():
            for message in messages:
                error = RowError(line, text_printable(name), text_printable(message))
                (self.on_error or self.result.errors.append)(error)

    def add(self, line: int, data, parse_errors: dict) -> None:
        try:
            if parse_errors:
                raise ValidationError(parse_errors)
            order_row_check(data)
        except ValidationError as error:
            self._reject_later(line, _messages(error))
            if len(self.rejected) >= self.batch_size:
                self.flush()  # a file of bad rows is reported as it is read
            return
        key = order_key(data)
        if key is not None and key in self.keys:
            self.flush()  # the repeated order updates what the batch so far wrote
        self.pending.append((line, data, key))
        if key is not None:
            self.keys.add(key)
        if len(self.pending) >= self.batch_size:
            self.flush()

    def flush(self) -> None:
        pending, keys = self.pending, self.keys
        self.pending, self.keys = [], set()
        if not pending and not self.rejected:
            return
        self._written_wait(keys)
        rows = self._rows_clean(pending, self._reject_later) if pending else []
        batch, self.rejected = _Batch(rows, self.rejected, len(pending)), []
        if self.writer is None:
            self._batch_write(batch)
            return
        self.submitted += 1
        self.in_flight[self.submitted] = keys
        self.writer.submit(batch)

    def _written_wait(self, keys: set[tuple[str, str]]) -> None:
        """Wait for the writer when a batch in flight writes one of these orders."""
        for number in [number for number in self.in_flight if number <= self.written]:
            del self.in_flight[number]
        if any(not keys.isdisjoint(sent) for sent in self.in_flight.values()):
            self.writer.wait()
            self.in_flight.clear()

    def finish(self) -> None:
        self.flush()
        if self.writer is not None:
            self.writer.close()

    def abandon(self) -> None:
        """The batches handed over are written; the rest is dropped."""
        if self.writer is not None:
            self.writer.close(quiet=True)

    def _batch_write(self, batch: _Batch) -> None:
        with actor_use(self.actor):
            for line, errors in batch.rejected:
                self.reject(line, errors)
            if batch.rows:
                self._write(batch.rows)
        self.written += 1
        # DEBUG keeps each statement's text (9,000 of them, some with thousands of ids):
        # without this a long import's memory grows with the file.
        reset_queries()
        if self.on_batch is not None and batch.size:
            self.on_batch(batch.size)

    def _rows_clean(self, pending, reject) -> list[OrderRow]:
        stored, items = orders_stored([key for *_, key in pending if key is not None], self.lookups)
        rows = []
        for line, data, key in pending:
            existing = stored.get(key)
            try:
                rows.append(
                    order_row_clean(
                        line,
                        data,
                        self.lookups,
                        existing=existing,
                        existing_items=items.get(existing.pk, {}) if existing else {},
                        key_known=key is not None,
                    )
                )
            except ValidationError as error:
                reject(line, _messages(error))
        return rows

    def _write(self, rows: list[OrderRow]) -> None:
        customers = customer_rows_merge(rows)
        taken = usernames_taken(customers)
        for row in [row for row in rows if row.customer.key in taken]:
            self.reject(row.line, username_taken_errors())
        rows = [row for row in rows if row.customer.key not in taken]
        customers = {key: row for key, row in customers.items() if key not in taken}
        if not rows:
            return
        try:
            written = retrying(lambda: self._write_atomic(rows, customers), attempts=WRITE_ATTEMPTS)
        except DatabaseError:
            # A value or constraint the checks could not foresee: row by row, to keep the good
            # rows and report (or stop at) the culprit.
            for row in rows:
                self._write_one(row)
            return
        self._count(written)

    def _write_atomic(self, rows, customers):
        with transaction.atomic():
            return order_rows_write(rows, customers, user_id=self.user_id)

    def _write_one(self, row: OrderRow) -> None:
        """Check and write one row again as a batch of one: the rows before it are written."""
        key = order_key(row.data)
        (checked,) = self._rows_clean([(row.line, row.data, key)], self.reject) or (None,)
        if checked is None:
            return
        customers = customer_rows_merge([checked])
        if usernames_taken(customers):
            self.reject(row.line, username_taken_errors())
            return
        try:
            written = self._write_atomic([checked], customers)
        except (IntegrityError, DataError) as error:
            self.reject(row.line, {"": [ROW_NOT_WRITTEN.format(error=str(error).strip())]})
            return
        except DatabaseError as error:
            raise OrderImportStopped(row.line, error) from error
        self._count(written)

    def _count(self, written) -> None:
        self.result.created += len(written.created)
        self.result.updated += len(written.updated) + len(written.unchanged)
        self.result.unchanged += len(written.unchanged)
        self.addresses_written += written.addresses


def _messages(error: ValidationError) -> dict[str, list[str]]:
    return error.message_dict if hasattr(error, "error_dict") else {"": error.messages}


def orders_import(
    rows: Iterable[tuple[int, object, dict]],
    *,
    dry_run: bool = False,
    batch_size: int = BATCH_SIZE,
    on_error: Callable[[RowError], None] | None = None,
    on_batch: Callable[[int], None] | None = None,
    threaded: bool | None = None,
) -> OrderImportResult:
    """Create or update orders by (channel, number) from (line, object, parse_errors) rows.

    Bad rows are skipped and reported (to `on_error`, else in result.errors) in file order;
    each batch commits on its own, and `on_batch(rows)` is told how many rows it held. A dry
    run runs everything in one transaction and rolls it back. Many rows written refresh the
    planner's statistics of the tables (config.statistics). Raises OrderImportStopped when a
    database error other than a refused row stops the import.

    `threaded` (default: on PostgreSQL outside a transaction, not in a dry run) writes each
    batch on another connection while the next one is read and checked.
    """
    started = time.monotonic()
    if threaded is None:
        threaded = (
            connection.vendor == "postgresql" and not connection.in_atomic_block and not dry_run
        )
    importer = _Importer(
        batch_size=batch_size, on_error=on_error, on_batch=on_batch, threaded=threaded
    )
    # A dry run is one transaction rolled back at the end; otherwise each batch commits.
    outer = transaction.atomic() if dry_run else nullcontext()
    with actor_use(importer.actor), outer:
        try:
            for line, data, parse_errors in rows:
                importer.add(line, data, parse_errors)
            importer.finish()
        except BaseException:
            # An unusable file or an interrupt: batches handed over are written, the rest
            # dropped.
            importer.abandon()
            raise
        if dry_run:
            transaction.set_rollback(True)
    result = importer.result
    if not dry_run:
        statistics_refresh(
            models=(Order, OrderItem, Customer),
            rows=result.created + result.updated,
            columns={Customer: STATISTICS_CUSTOMER_COLUMNS},
        )
        statistics_refresh(models=(Address,), rows=importer.addresses_written)
    result.seconds = time.monotonic() - started
    return result
