"""Bulk customer import: one service behind `manage.py import_customers` (and any other entry).

Rows are API customer objects. Each is validated with plain Python checks (the API's rules),
good rows are written in batches through the database's fastest path (see writers.py), each
batch in its own transaction, and bad rows are reported with their line and skipped.

What a row does:
- create or update by (channel, email); an update writes only the fields the row sends (a CSV
  sends all its columns), and a row whose values are already stored is left alone, so a
  rerun of the same file writes nothing and does not even move `updated_at`;
- the same e-mail twice: the later row wins (within a batch the earlier is dropped and
  counted as superseded; across batches the later batch is written later);
- `groups` (when sent) replaces the customer's memberships, as the API does; kept
  memberships keep their `subscribed` flag and attributes;
- addresses (`address.*` columns, or an `addresses` list) are added unless the customer
  already has one with the same text fields; a customer's first address becomes the default;
- a `password` is checked with Django's validators and hashed with the configured hasher,
  which is slow by design (argon2: tens of milliseconds a row), so a file with passwords
  imports at hashing speed; files without the column are unaffected;
- a username another customer of the channel holds rejects that row, not the batch;
- with `if_unchanged_since`, a row whose customer was edited after the file was made (or
  after the given time) is rejected instead of overwriting the edit (imports.newer_edits);
- a `preview` also lists what each row changes, field by field (imports.diffs), and warns
  of rows that would overwrite newer edits.
"""

import datetime
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.db import DataError, IntegrityError, connection, reset_queries, transaction
from django.utils.translation import gettext_lazy as _

from config.history import history_user_id
from config.statistics import GrowthStatistics, statistics_refresh
from config.values import text_printable
from customers.imports.batches import customer_rows_save, retrying, usernames_refused
from customers.imports.deferred_indexes import DEFER_NEVER, ImportIndexes
from customers.imports.diffs import RowChange, rows_diff
from customers.imports.history import IMPORT_REASON
from customers.imports.newer_edits import SINCE_ROW, rows_newer_edits
from customers.imports.postgresql import IMPORT_LOOKUP_COLUMNS
from customers.imports.rows import CleanRow, RowContext, RowInvalid, row_clean, row_stamp_clean
from customers.imports.threads import BatchWriter
from customers.imports.writers import CREATED, UPDATED
from customers.models import Address, Channel, Customer
from customers.validation import USERNAME_TAKEN
from events.services import SOURCE_IMPORT, actor_source, actor_use
from groups.models import UserCustomerGroup, UserGroup

BATCH_SIZE = 5000
# A batch that lost a race (another writer created one of its customers, a deadlock) is
# written again this often before it is split into rows.
WRITE_ATTEMPTS = 2
# Database connections writing at once: PostgreSQL gives each its own process (and core).
WRITERS = 2
UNKNOWN_DEFAULT_CHANNEL = _("Unknown channel: {code}.")
ROW_NOT_WRITTEN = _("The database refused this row: {error}")


class ImportCancelled(Exception):
    """`should_stop` asked the import to stop: the batches handed over before are written."""


@dataclass(frozen=True)
class RowError:
    """One refused field of one row: `line` is the row's physical line in the file."""

    line: int
    field: str
    message: str


@dataclass
class ImportCounts:
    """What any import did (or, in a dry run, would do), and how fast."""

    created: int = 0
    updated: int = 0
    rejected: int = 0
    errors: list[RowError] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def rows(self) -> int:
        return self.created + self.updated + self.rejected

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds if self.seconds else 0.0


@dataclass
class ImportResult(ImportCounts):
    """What a customer import did: rows may also be unchanged or superseded."""

    unchanged: int = 0
    superseded: int = 0
    # A preview's rows, what each changes (customers_import(preview=True)).
    changes: list[RowChange] = field(default_factory=list)
    # Seconds the rebuild of the indexes deferred for the load took (None: none deferred).
    index_seconds: float | None = None

    @property
    def rows(self) -> int:
        return super().rows + self.unchanged + self.superseded


class _Importer:
    """One run of customers_import: validates, deduplicates and flushes batches."""

    def __init__(
        self,
        *,
        context,
        dry_run,
        batch_size,
        on_error,
        on_batch,
        threaded,
        should_stop,
        checks,
        history_reason,
        indexes,
    ):
        self.context = context
        self.since, self.preview = checks
        self.history_reason = history_reason
        self.should_stop = should_stop
        self.dry_run = dry_run
        self.batch_size = batch_size
        self.on_error = on_error
        self.on_batch = on_batch
        self.result = ImportResult()
        # The writer may run on another thread: take the request's user now.
        self.history_user_id = history_user_id()
        self.actor = actor_source(SOURCE_IMPORT)
        self.batch: dict[tuple[int, str], CleanRow] = {}
        # Counters and callbacks are shared by the reading and the writing thread.
        self.lock = threading.Lock()
        self.writer = _BatchWriters(self.write_batch, WRITERS) if threaded else None
        self.statistics = None
        if connection.vendor == "postgresql":
            self.statistics = GrowthStatistics(IMPORT_LOOKUP_COLUMNS)
        self.indexes = indexes
        self.read = 0

    def reject(self, line: int, errors: dict[str, list[str]]) -> None:
        with self.lock:
            self.result.rejected += 1
            for name, messages in errors.items():
                for message in messages:
                    # Names and messages may quote the row: a lone surrogate is escaped, so
                    # the error can be printed and written to a report.
                    error = RowError(line, text_printable(name), text_printable(message))
                    if self.on_error is None:
                        self.result.errors.append(error)
                    else:
                        self.on_error(error)

    def add(self, line: int, data, parse_errors: dict) -> None:
        self.read += 1
        try:
            row = row_clean(line, data, self.context)
            if self.since == SINCE_ROW or self.preview:
                row.stamp = row_stamp_clean(data)
        except RowInvalid as invalid:
            self.reject(line, {**parse_errors, **invalid.errors})
            return
        if parse_errors:
            self.reject(line, parse_errors)
            return
        if self.batch.pop(row.key, None) is not None:
            # The same e-mail again in this batch: the later row wins.
            self.result.superseded += 1
        self.batch[row.key] = row
        if len(self.batch) >= self.batch_size:
            self.flush()

    def flush(self) -> None:
        if self.should_stop is not None and self.should_stop():
            raise ImportCancelled
        rows, self.batch = list(self.batch.values()), {}
        if rows:
            self.indexes.consider(self.read)
        if self.writer is not None:
            self.writer.submit(rows)
        else:
            self.write_batch(rows)

    def finish(self) -> ImportResult:
        self.flush()
        if self.writer is not None:
            self.writer.close()
        # Before the statistics: ANALYZE samples an index's expression only while the index
        # exists (the search document is a column since 0019, sampled either way).
        self.indexes_restore()
        if not self.dry_run:
            # Full statistics for the API's totals and filters, not only the lookup columns
            # GrowthStatistics refreshes while the batches are written.
            statistics_refresh(
                models=(Customer, Address, UserCustomerGroup),
                rows=self.result.created + self.result.updated,
            )
        return self.result

    def abandon(self) -> None:
        if self.writer is not None:
            self.writer.close(quiet=True)

    def indexes_restore(self) -> None:
        """Rebuild the indexes deferred for the load, once the writers are done (again: a
        no-op)."""
        seconds = self.indexes.restore()
        if seconds is not None:
            self.result.index_seconds = seconds

    def write_batch(self, rows: list[CleanRow]) -> None:
        warnings = self._newer_edits(rows)
        if self.since is not None:
            rows = self._drop(rows, warnings, lambda row: {"": [warnings[row.key]]})
        refused = usernames_refused(rows)
        taken = {"username": [str(USERNAME_TAKEN)]}
        rows = self._drop(rows, {row.key for row in refused}, lambda row: taken)
        if self.preview:
            self._changes_add(rows, warnings)
        if rows:
            self._write(rows)
            if self.statistics is not None and not self.dry_run:
                with self.lock:
                    self.statistics.refresh(self.result.created)
        # DEBUG keeps each statement's text (9,000 of them, some with thousands of ids):
        # without this a long import's memory grows with the file.
        reset_queries()
        if self.on_batch is not None:
            with self.lock:
                self.on_batch(self.result)

    def _newer_edits(self, rows: list[CleanRow]) -> dict[tuple[int, str], str]:
        """The rows that would overwrite newer edits: rejected with if_unchanged_since, a
        warning in a preview."""
        if self.since is None and not self.preview:
            return {}
        return rows_newer_edits(rows, since=self.since or SINCE_ROW)

    def _drop(self, rows: list[CleanRow], keys, errors) -> list[CleanRow]:
        """The rows but those whose key is in `keys`, which are rejected with errors(row)."""
        if not keys:
            return rows
        for row in rows:
            if row.key in keys:
                self.reject(row.line, errors(row))
        return [row for row in rows if row.key not in keys]

    def _changes_add(self, rows: list[CleanRow], warnings: dict) -> None:
        changes = rows_diff(rows, self.context)
        for change, row in zip(changes, rows, strict=True):
            change.warning = warnings.get(row.key, "")
        with self.lock:
            self.result.changes.extend(changes)

    def _write(self, rows: list[CleanRow]) -> None:
        try:
            written = retrying(lambda: self._write_atomic(rows), attempts=WRITE_ATTEMPTS)
        except (IntegrityError, DataError):
            # A constraint or a value the checks could not foresee: row by row, to keep the
            # good rows and report the culprit.
            written = []
            for row in rows:
                written.extend(self._write_one(row))
        with self.lock:
            for _, _, status in written:
                if status == CREATED:
                    self.result.created += 1
                elif status == UPDATED:
                    self.result.updated += 1
                else:
                    self.result.unchanged += 1

    def _write_atomic(self, rows: list[CleanRow]) -> list:
        with actor_use(self.actor), transaction.atomic():
            batch = customer_rows_save(
                rows,
                user_id=self.history_user_id,
                reason=self.history_reason,
                history=not self.dry_run,
            )
            transaction.set_rollback(self.dry_run)
        return batch.customers

    def _write_one(self, row: CleanRow) -> list:
        try:
            return self._write_atomic([row])
        except (IntegrityError, DataError) as error:
            self.reject(row.line, {"": [ROW_NOT_WRITTEN.format(error=str(error).strip())]})
            return []


class _BatchWriters:
    """Several BatchWriters (imports.threads), each taking the rows of its share of the
    (channel, email) keys.

    Splitting by key keeps every customer's rows on one connection, in file order (the later
    row still wins), and keeps two connections from ever writing the same rows.
    """

    def __init__(self, write: Callable[[list[CleanRow]], None], count: int):
        self.writers = [BatchWriter(write, name="customers-import") for _ in range(count)]

    def submit(self, rows: list[CleanRow]) -> None:
        shares: list[list[CleanRow]] = [[] for _ in self.writers]
        for row in rows:
            shares[hash(row.key) % len(shares)].append(row)
        for writer, share in zip(self.writers, shares, strict=True):
            if share:
                writer.submit(share)

    def close(self, *, quiet: bool = False) -> None:
        errors = []
        for writer in self.writers:
            try:
                writer.close(quiet=quiet)
            except BaseException as error:  # noqa: BLE001 - the first is re-raised below
                errors.append(error)
        if errors:
            raise errors[0]


def import_context(
    *, default_channel: str | None = None, channels=None, groups: Iterable[str] | None = None
) -> RowContext:
    """Load the channel and group codes rows refer to; raise ValueError for a bad default.

    `channels`: the channels rows may name (a queryset; default: all of them). `groups`: the
    only group codes rows name (default: load them all, for a file read as it streams).
    """
    channels = dict(
        (channels if channels is not None else Channel.objects).values_list("code", "pk")
    )
    if default_channel is not None and default_channel not in channels:
        raise ValueError(UNKNOWN_DEFAULT_CHANNEL.format(code=default_channel))
    if groups is None:
        groups = dict(UserGroup.objects.values_list("code", "pk"))
    elif groups:
        groups = dict(UserGroup.objects.filter(code__in=groups).values_list("code", "pk"))
    else:
        groups = {}
    return RowContext(channels=channels, groups=groups, default_channel=default_channel)


def customers_import(
    rows: Iterable[tuple[int, object, dict]],
    *,
    dry_run: bool = False,
    default_channel: str | None = None,
    channels=None,
    batch_size: int = BATCH_SIZE,
    on_error: Callable[[RowError], None] | None = None,
    on_batch: Callable[[ImportResult], None] | None = None,
    threaded: bool | None = None,
    should_stop: Callable[[], bool] | None = None,
    if_unchanged_since: str | datetime.datetime | None = None,
    preview: bool = False,
    history_reason: str = IMPORT_REASON,
    defer_indexes: str = DEFER_NEVER,
    rows_expected: Callable[[int], int | None] | None = None,
) -> ImportResult:
    """Create or update customers by (channel, email) from (line, object, parse_errors) rows.

    Bad rows are skipped and reported (to `on_error`, else in result.errors); a repeated
    e-mail keeps the later row. Each batch commits on its own, so an interrupted import
    leaves whole batches and can be run again. A dry run validates and writes, then rolls
    every batch back. Raises ValueError for an unknown default channel.

    `threaded` (default: on PostgreSQL outside a transaction) writes on WRITERS other
    connections while the next batch is validated; inside a transaction everything stays on
    this one.

    `should_stop` is asked before each batch is handed to the writer: when it answers True
    the import raises ImportCancelled (a background job's cancel button).

    `channels` limits the channels rows may name (a queryset, e.g. the admin user's
    channel_list; default: all): a row naming another is rejected as an unknown channel.

    `if_unchanged_since` (SINCE_ROW or an aware datetime; newer_edits.unchanged_since_parse)
    rejects the rows whose customer changed after the row's own updated_at/version or after
    that time. `preview` fills result.changes (imports.diffs), in file order.

    `history_reason` is the source the change history names, e.g. "import (customers.csv)".

    `defer_indexes` (DEFER_AUTO, DEFER_ALWAYS or DEFER_NEVER; PostgreSQL outside a
    transaction, not in a dry run) drops the customer table's secondary indexes for a large
    load and rebuilds them before returning, or when the import fails
    (imports.deferred_indexes); `rows_expected(rows_read)` estimates the total rows for
    DEFER_AUTO. Every import on PostgreSQL first rebuilds what an interrupted one left dropped.
    """
    if threaded is None:
        threaded = connection.vendor == "postgresql" and not connection.in_atomic_block
    started = time.monotonic()
    indexes = ImportIndexes(
        DEFER_NEVER if dry_run or preview else defer_indexes, rows_expected=rows_expected
    )
    importer = _Importer(
        context=import_context(default_channel=default_channel, channels=channels),
        dry_run=dry_run,
        batch_size=batch_size,
        on_error=on_error,
        on_batch=on_batch,
        threaded=threaded,
        should_stop=should_stop,
        checks=(if_unchanged_since, preview),
        history_reason=history_reason,
        indexes=indexes,
    )
    try:
        try:
            for line, data, parse_errors in rows:
                importer.add(line, data, parse_errors)
        except BaseException:
            # An unusable file or an interrupt: batches handed over are finished, the rest
            # dropped.
            importer.abandon()
            raise
        result = importer.finish()
    finally:
        importer.indexes_restore()
    result.changes.sort(key=lambda change: change.line)
    result.seconds = time.monotonic() - started
    return result
