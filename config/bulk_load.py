"""Deferred index builds for large loads into PostgreSQL tables.

Maintaining a btree or a trigram GIN index row by row costs several times what building it
once from the finished table does (one sort, one sequential pass), and a foreign key checked
per inserted row costs an index probe each, where adding the constraint afterwards validates
every row in one join. `indexes_deferred` drops a table's secondary indexes, unique and
foreign-key constraints, lets the caller load, then recreates each one from the definition
PostgreSQL itself printed (`pg_get_indexdef`, `pg_get_constraintdef`) before the load, so an
index a migration changed is rebuilt as it now is, with its storage options and per-column
statistics targets. Primary keys stay: other tables' foreign keys point at them, and
sequential ids only ever append to their rightmost leaf.

Everything runs inside the caller's transaction: DDL is transactional on PostgreSQL, so a load
that fails leaves every index and constraint as it was.

A load that commits as it goes (an import's batches, on several connections) cannot hold one
transaction, nor an ACCESS EXCLUSIVE lock that long: readers would wait for the whole load.
`LoadIndexes` drops only non-unique indexes outside constraints (uniqueness and foreign keys
keep being checked row by row), saving each definition in DEFERRED_TABLE in the same
transaction as the DROP, and rebuilds them one transaction each at the end, deleting each
saved row with its rebuild. The load holds a session advisory lock (LOAD_LOCK) from the drop
to the last rebuild: a process killed meanwhile loses it with its connection, and whoever
takes it next (`deferred_indexes_restore`) rebuilds what the dead load left saved; nobody
rebuilds while a load holding it still writes.
"""

import collections
import threading
import time
from collections.abc import Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.db import OperationalError, connection, transaction

# Secondary indexes (not the primary key, not an index a constraint owns).
_INDEXES_SQL = """
SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid),
       ARRAY(SELECT a.attnum || ' ' || a.attstattarget FROM pg_attribute a
              WHERE a.attrelid = i.indexrelid AND a.attstattarget > 0 ORDER BY a.attnum)
  FROM pg_index i
 WHERE i.indrelid = %s::regclass AND NOT i.indisprimary
   AND NOT EXISTS (SELECT 1 FROM pg_constraint c
                    WHERE c.conindid = i.indexrelid AND c.conrelid = i.indrelid)
 ORDER BY i.indexrelid
"""
_CONSTRAINTS_SQL = """
SELECT conname, contype, pg_get_constraintdef(oid) FROM pg_constraint
 WHERE conrelid = %s::regclass AND contype IN ('f', 'u')
 ORDER BY oid
"""


def _quote(name: str) -> str:
    return connection.ops.quote_name(name)


@dataclass
class _Deferred:
    """What was dropped: (table, name, definition) of constraints, (name, definition,
    statistics targets) of indexes."""

    foreign_keys: list[tuple[str, str, str]] = field(default_factory=list)
    uniques: list[tuple[str, str, str]] = field(default_factory=list)
    indexes: list[tuple[str, str, str, list[str]]] = field(default_factory=list)

    def read(self, cursor, table: str) -> None:
        cursor.execute(_CONSTRAINTS_SQL, [table])
        for name, kind, definition in cursor.fetchall():
            (self.foreign_keys if kind == "f" else self.uniques).append((table, name, definition))
        cursor.execute(_INDEXES_SQL, [table])
        self.indexes += [(table, *row) for row in cursor.fetchall()]

    def drop(self, cursor) -> None:
        # Foreign keys before the unique keys they may rest on, indexes last.
        for table, name, _ in [*self.foreign_keys, *self.uniques]:
            cursor.execute(f"ALTER TABLE {_quote(table)} DROP CONSTRAINT {_quote(name)}")
        for _, name, _, _ in self.indexes:
            # regclass::text is already quoted where the name needs it.
            cursor.execute(f"DROP INDEX {name}")

    def restore(self, cursor, seconds: dict[str, float]) -> None:
        """Rebuild what drop() dropped; add each table's seconds to `seconds`."""

        def timed(table: str, *statements: str) -> None:
            started = time.perf_counter()
            for statement in statements:
                cursor.execute(statement)
            seconds[table] = seconds.get(table, 0.0) + time.perf_counter() - started

        for table, name, definition, targets in self.indexes:
            statistics = (target.split() for target in targets)
            timed(
                table,
                definition,
                *(
                    f"ALTER INDEX {name} ALTER COLUMN {int(column)} SET STATISTICS {int(value)}"
                    for column, value in statistics
                ),
            )
        for table, name, definition in [*self.uniques, *self.foreign_keys]:
            timed(table, f"ALTER TABLE {_quote(table)} ADD CONSTRAINT {_quote(name)} {definition}")


@contextmanager
def indexes_deferred(
    tables: Sequence[str],
    *,
    maintenance_work_mem: str = "256MB",
    seconds: dict[str, float] | None = None,
) -> Iterator[None]:
    """Drop the tables' secondary indexes, unique and foreign-key constraints, run the block,
    then rebuild them all from their own definitions; PostgreSQL only, in one transaction.

    `maintenance_work_mem` is raised for this transaction only: index builds sort in memory
    instead of spilling to disk. `seconds`, if given, receives each table's rebuild time.
    Foreign-key checks the transaction has deferred so far run first (PostgreSQL refuses to
    alter a table with pending trigger events); afterwards checks are deferred again, the mode
    Django declares every foreign key with.
    """
    if connection.vendor != "postgresql":
        raise NotImplementedError("indexes_deferred is for PostgreSQL")
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT set_config('maintenance_work_mem', %s, true)", [maintenance_work_mem]
        )
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        deferred = _Deferred()
        for table in tables:
            deferred.read(cursor, table)
        deferred.drop(cursor)
        yield
        deferred.restore(cursor, {} if seconds is None else seconds)
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")


# --- Loads that commit as they go -------------------------------------------------------------

# Where a load keeps the definitions of the indexes it dropped until each is rebuilt. Created
# by the first load that defers (CREATE TABLE IF NOT EXISTS): bookkeeping of this module's
# own, on PostgreSQL only, so no model and no migration.
DEFERRED_TABLE = "patron_deferred_index"
_DEFERRED_DDL = f"""
CREATE TABLE IF NOT EXISTS {DEFERRED_TABLE} (
    name text PRIMARY KEY,
    table_name text NOT NULL,
    definition text NOT NULL,
    statistics text[] NOT NULL,
    dropped_at timestamptz NOT NULL DEFAULT now()
)
"""
# The session advisory lock a deferring load holds from its drop to its last rebuild (an
# arbitrary constant: "Patron" in ASCII).
LOAD_LOCK = 0x506174726F6E
# How long the DROP may wait for its ACCESS EXCLUSIVE lock. Readers arriving meanwhile queue
# behind it, so not long: a table busy with a long query (an export) is loaded with its
# indexes instead.
DROP_LOCK_TIMEOUT = "3s"
_LOCK_NOT_AVAILABLE = "55P03"
# Connections rebuilding at once (PostgreSQL gives each its own process, and core).
BUILDERS = 2

# Non-unique secondary indexes: what a load committing as it goes may drop.
_DEFERRABLE_SQL = """
SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid),
       ARRAY(SELECT a.attnum || ' ' || a.attstattarget FROM pg_attribute a
              WHERE a.attrelid = i.indexrelid AND a.attstattarget > 0 ORDER BY a.attnum)
  FROM pg_index i
 WHERE i.indrelid = %s::regclass AND NOT i.indisprimary AND NOT i.indisunique
   AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
 ORDER BY i.indexrelid
"""


def _load_lock_try(cursor) -> bool:
    cursor.execute("SELECT pg_try_advisory_lock(%s)", [LOAD_LOCK])
    return cursor.fetchone()[0]


def _load_unlock(cursor) -> None:
    cursor.execute("SELECT pg_advisory_unlock(%s)", [LOAD_LOCK])


def _index_rebuild(cursor, name: str, definition: str, targets, maintenance_work_mem) -> bool:
    """Build one saved index unless it exists, and forget it, in one transaction: a build
    killed half-way leaves it saved. Return whether it was built."""
    with transaction.atomic():
        cursor.execute(
            "SELECT set_config('maintenance_work_mem', %s, true), "
            "set_config('statement_timeout', '0', true), to_regclass(%s)",
            [maintenance_work_mem, name],
        )
        missing = cursor.fetchone()[2] is None
        if missing:
            cursor.execute(definition)
            for column, value in (target.split() for target in targets):
                cursor.execute(
                    f"ALTER INDEX {name} ALTER COLUMN {int(column)} SET STATISTICS {int(value)}"
                )
        cursor.execute(f"DELETE FROM {DEFERRED_TABLE} WHERE name = %s", [name])
    return missing


class _Rebuild:
    """Saved indexes built by several threads, each on its own connection, taking the next
    one from a shared list."""

    def __init__(self, saved: list[tuple], maintenance_work_mem: str, seconds: dict[str, float]):
        self.pending = collections.deque(saved)
        self.maintenance_work_mem = maintenance_work_mem
        self.seconds = seconds
        self.rebuilt: list[str] = []
        self.errors: list[BaseException] = []
        self.guard = threading.Lock()

    def _next(self) -> tuple | None:
        with self.guard:
            return self.pending.popleft() if self.pending and not self.errors else None

    def work(self) -> None:
        while (item := self._next()) is not None:
            name, _, definition, targets = item
            started = time.perf_counter()
            try:
                with connection.cursor() as cursor:
                    built = _index_rebuild(
                        cursor, name, definition, targets, self.maintenance_work_mem
                    )
            except BaseException as error:  # noqa: BLE001 - re-raised by run()
                with self.guard:
                    self.errors.append(error)
                return
            with self.guard:
                if built:
                    self.rebuilt.append(name)
                self.seconds[name] = time.perf_counter() - started

    def _work_elsewhere(self) -> None:
        try:
            self.work()
        finally:
            connection.close()

    def run(self, builders: int) -> list[str]:
        others = [
            threading.Thread(target=self._work_elsewhere)
            for _ in range(min(builders, len(self.pending)) - 1)
        ]
        for thread in others:
            thread.start()
        try:
            self.work()
        finally:
            for thread in others:
                thread.join()
        if self.errors:
            raise self.errors[0]
        return self.rebuilt


def _saved_restore(
    maintenance_work_mem: str, seconds: dict[str, float], builders: int = BUILDERS
) -> list[str]:
    """Rebuild each saved index that is missing, each in its own transaction (writers of its
    table wait for one build at a time, not for all of them), on `builders` connections at
    once, trigram (GIN) indexes first: their builds are the longest and run on one core, so
    the other connection builds the btrees meanwhile. The caller holds LOAD_LOCK. Return the
    names of the indexes rebuilt; `seconds` gets each one's build time."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s)", [DEFERRED_TABLE])
        if cursor.fetchone()[0] is None:
            return []
        cursor.execute(
            f"SELECT name, table_name, definition, statistics FROM {DEFERRED_TABLE} "
            "ORDER BY definition LIKE %s DESC, dropped_at, name",
            ["% USING gin %"],
        )
        saved = cursor.fetchall()
    return _Rebuild(saved, maintenance_work_mem, seconds).run(builders)


def deferred_indexes_restore(
    *, maintenance_work_mem: str = "256MB", seconds: dict[str, float] | None = None
) -> list[str] | None:
    """Rebuild the indexes a load dropped and did not rebuild (it was killed); PostgreSQL.

    Return the names rebuilt, or None when a load holds LOAD_LOCK: it is still writing, and
    rebuilds its indexes itself when it ends.
    """
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s)", [DEFERRED_TABLE])
        if cursor.fetchone()[0] is None:
            return []
        if not _load_lock_try(cursor):
            return None
        try:
            return _saved_restore(maintenance_work_mem, {} if seconds is None else seconds)
        finally:
            _load_unlock(cursor)


class LoadIndexes:
    """The non-unique secondary indexes of some tables, dropped for a load that commits as it
    goes and rebuilt when it ends (see the module's docstring); PostgreSQL only.

    `tables` maps each table to the names of the indexes to keep: those the load's own
    lookups need. Use outside any transaction, on the connection of the thread that calls
    defer() and restore() (it holds the advisory lock); the load may write on others.
    """

    def __init__(
        self,
        tables: Mapping[str, Collection[str]],
        *,
        maintenance_work_mem: str = "256MB",
        builders: int = BUILDERS,
    ):
        self.tables = tables
        self.maintenance_work_mem = maintenance_work_mem
        self.builders = builders
        self.locked = False
        self.dropped: list[str] = []
        # Each rebuilt index's build time.
        self.seconds: dict[str, float] = {}

    def defer(self) -> bool:
        """Drop the indexes, their definitions saved; False (nothing dropped) when another
        load holds LOAD_LOCK or the DROP waited DROP_LOCK_TIMEOUT for its table lock.

        Indexes a killed load left saved stay dropped: this load rebuilds them with its own.
        """
        with connection.cursor() as cursor:
            if not _load_lock_try(cursor):
                return False
            self.locked = True
            try:
                with transaction.atomic():
                    self._drop(cursor)
            except OperationalError as error:
                self.dropped = []
                self.restore()
                if getattr(error.__cause__, "sqlstate", None) == _LOCK_NOT_AVAILABLE:
                    return False
                raise
        return True

    def _drop(self, cursor) -> None:
        cursor.execute("SELECT set_config('lock_timeout', %s, true)", [DROP_LOCK_TIMEOUT])
        cursor.execute(_DEFERRED_DDL)
        for table, kept in self.tables.items():
            cursor.execute(_DEFERRABLE_SQL, [table])
            for name, definition, targets in cursor.fetchall():
                if name in kept:
                    continue
                cursor.execute(
                    f"INSERT INTO {DEFERRED_TABLE} (name, table_name, definition, statistics) "
                    "VALUES (%s, %s, %s, %s)",
                    [name, table, definition, targets],
                )
                # regclass::text is already quoted where the name needs it.
                cursor.execute(f"DROP INDEX {name}")
                self.dropped.append(name)

    def restore(self) -> list[str]:
        """Rebuild every saved index and let go of the lock; nothing if defer() did not drop
        (or restore() already ran). Return the names rebuilt."""
        if not self.locked:
            return []
        try:
            return _saved_restore(self.maintenance_work_mem, self.seconds, self.builders)
        finally:
            self.locked = False
            with connection.cursor() as cursor:
                _load_unlock(cursor)
