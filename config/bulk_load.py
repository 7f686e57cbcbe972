"""Deferred index builds for large loads into empty PostgreSQL tables.

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
"""

import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.db import connection, transaction

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
