"""Deferred index builds for large imports (PostgreSQL): when a file is large against the
customer table, its secondary indexes are dropped for the load and built again at its end.

Every customer row goes into some twenty indexes, and an update writes a new version into each
of them; building an index once from the finished table (one sort, one pass) costs a fraction
of maintaining it row by row. So when the rows an import expects are at least TABLE_SHARE of
the table's estimated rows (pg_class.reltuples) and MIN_ROWS, it drops the customer table's
non-unique indexes but those KEPT, loads, and rebuilds them before it returns
(config.bulk_load.LoadIndexes: definitions saved durably, each rebuilt in its own
transaction). Kept: the primary key and every unique index (uniqueness is still checked per
row, and the writer finds customers by (channel, e-mail) through one), the partial index of
merged customers (each batch asks it whether any row names one) and the match keys' indexes
(each batch finds its candidate pairs through them). The address table keeps its only
non-unique index: the writer reads a batch's addresses through it.

Meanwhile readers see every committed row, as before; lists and searches that an index
served scan the table instead (slower, still correct). Writes go on; during each index's
rebuild, writers of the table wait for it (seconds at a million rows). An import killed
before its rebuild leaves its indexes saved: the next import rebuilds them when it starts,
or `manage.py restore_deferred_indexes` does. Two imports never undo each other: the one
that dropped holds the advisory lock until its last rebuild, and the other neither drops nor
rebuilds meanwhile.
"""

import time
from collections.abc import Callable

from django.db import connection

from config.bulk_load import LoadIndexes, deferred_indexes_restore
from customers.models import Customer

DEFER_AUTO, DEFER_ALWAYS, DEFER_NEVER = "auto", "always", "never"
DEFER_CHOICES = (DEFER_AUTO, DEFER_ALWAYS, DEFER_NEVER)
# "auto" defers when the import expects at least this many rows and this share of the rows
# the table already holds (bench/RESULTS.md, "Deferred index builds").
MIN_ROWS = 20_000
TABLE_SHARE = 0.5
KEPT = frozenset(
    {
        "customer_merged_into_idx",
        "cust_email_key_idx",
        "cust_phone_key_idx",
        "cust_identification_key_idx",
        "cust_address_key_idx",
    }
)
# How much memory each rebuild may sort in (the server's, one build at a time).
MAINTENANCE_WORK_MEM = "256MB"


def _available() -> bool:
    """Deferring commits DDL of its own: PostgreSQL, outside the caller's transaction."""
    return connection.vendor == "postgresql" and not connection.in_atomic_block


def indexes_restore() -> list[str] | None:
    """Rebuild the indexes an interrupted import left dropped (the names; None while an
    import that dropped them is still loading: it rebuilds them itself)."""
    if not _available():
        return []
    return deferred_indexes_restore(maintenance_work_mem=MAINTENANCE_WORK_MEM)


def _table_rows() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT greatest(reltuples, 0) FROM pg_class WHERE oid = %s::regclass",
            [Customer._meta.db_table],
        )
        return int(cursor.fetchone()[0])


class ImportIndexes:
    """One import's index deferral: asked before each batch is written whether to defer now,
    and restored when the import ends, however it ends.

    `rows_expected(rows_read)` estimates the import's total rows from the rows read so far
    (the file's size against the bytes read), or answers None when it cannot tell (stdin):
    the rows read so far then count, batch after batch.
    """

    def __init__(self, mode: str, rows_expected: Callable[[int], int | None] | None = None):
        if mode not in DEFER_CHOICES:
            raise ValueError(f"defer_indexes: one of {', '.join(DEFER_CHOICES)}")
        self.mode = mode if _available() else DEFER_NEVER
        self.rows_expected = rows_expected
        self.decided = self.mode == DEFER_NEVER
        self.load = LoadIndexes(
            {Customer._meta.db_table: KEPT}, maintenance_work_mem=MAINTENANCE_WORK_MEM
        )
        self.threshold = 0
        if _available():
            indexes_restore()
        if self.mode == DEFER_AUTO:
            self.threshold = max(MIN_ROWS, int(TABLE_SHARE * _table_rows()))

    def consider(self, rows_read: int) -> None:
        """Before a batch is written: drop the indexes if the import turns out large enough.
        Decided once when the total is known (or the indexes dropped)."""
        if self.decided:
            return
        expected = self.rows_expected(rows_read) if self.rows_expected is not None else None
        if self.mode == DEFER_ALWAYS or max(expected or 0, rows_read) >= self.threshold:
            self.decided = True
            self.load.defer()
        elif expected is not None:
            self.decided = True

    @property
    def deferred(self) -> bool:
        return self.load.locked

    def restore(self) -> float | None:
        """Rebuild what this import dropped; the seconds it took (None: nothing deferred)."""
        if not self.load.locked:
            return None
        started = time.monotonic()
        self.load.restore()
        return time.monotonic() - started
