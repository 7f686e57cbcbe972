"""The PostgreSQL side of the import writer: COPY, id arrays, sequence ids, statistics.

Every statement here takes its thousands of ids or keys as one array literal (or one COPY)
rather than one placeholder each: psycopg and PostgreSQL then parse one value, not thousands.
"""

import json
import operator
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import orjson
import psycopg
from django.db import connection
from psycopg.types.json import set_json_dumps

from config.sql import id_array, text_array
from customers.models import Customer

_COLUMN_TYPES: dict[str, dict[str, int]] = {}


def json_dumps(value) -> bytes | str:
    """orjson's bytes as they are (psycopg takes bytes or text; decoding them only for
    psycopg to encode them again costs per JSON value of a COPY)."""
    try:
        return orjson.dumps(value)
    except TypeError:  # an integer beyond 64 bits
        return json.dumps(value)


def _column_types(cursor, table: str) -> dict[str, int]:
    if table not in _COLUMN_TYPES:
        cursor.execute(
            "SELECT attname, atttypid FROM pg_attribute "
            "WHERE attrelid = %s::regclass AND attnum > 0 AND NOT attisdropped",
            [table],
        )
        _COLUMN_TYPES[table] = dict(cursor.fetchall())
    return _COLUMN_TYPES[table]


@contextmanager
def binary_copy(cursor, table: str, columns: Sequence[str]) -> Iterator:
    """COPY ... FROM STDIN in the binary format, typed by the table's columns.

    psycopg formats a binary row about twice as fast as a text one, and takes Python values
    as they are (JSON columns: dicts and lists, dumped by orjson).
    """
    types = _column_types(cursor, table)
    quoted = ", ".join(connection.ops.quote_name(name) for name in columns)
    raw = cursor.cursor
    set_json_dumps(json_dumps, context=raw)
    # Django's error classes (IntegrityError...) for psycopg's, as Django's cursors raise.
    with (
        connection.wrap_database_errors,
        raw.copy(f"COPY {table} ({quoted}) FROM STDIN (FORMAT BINARY)") as copy,
    ):
        copy.set_types([types[name] for name in columns])
        yield copy


def sequence_take(cursor, table: str, count: int) -> list[int]:
    """Reserve `count` ids of the table's id sequence (the ones INSERTs would have taken).

    The sequence is looked up once: OFFSET 0 keeps the sub-select from being folded into
    each nextval call, where the catalog lookup took most of the statement (~7 µs an id).
    """
    cursor.execute(
        "SELECT nextval(s.sequence) FROM (SELECT pg_get_serial_sequence(%s, 'id')::regclass "
        "AS sequence OFFSET 0) s, generate_series(1, %s)",
        [table, count],
    )
    return [pk for (pk,) in cursor.fetchall()]


def fetchall(sql: str, params: Sequence) -> list[tuple]:
    """Run a query with its parameters bound by the server: array literals of thousands of
    values then travel as they are, instead of being quoted into the SQL text by psycopg
    (Django's cursors bind on the client)."""
    connection.ensure_connection()
    with connection.wrap_database_errors, psycopg.Cursor(connection.connection) as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def rows_lock(table: str, ids: Sequence[int]) -> None:
    """Lock the rows in id order, FOR NO KEY UPDATE (the lock their UPDATE takes): writers of
    the same rows queue, while another transaction's foreign-key check of them (its candidate
    pair, order or membership referencing one) does not wait for this one to end."""
    fetchall(
        f"SELECT id FROM {table} WHERE id = ANY(%s::bigint[]) ORDER BY id FOR NO KEY UPDATE",
        [id_array(ids)],
    )


def customer_ids_by_key(keys: Sequence[tuple[int, str]]) -> dict[tuple[int, str], int]:
    """Existing customers' ids by (channel_id, email)."""
    rows = fetchall(
        "SELECT c.id, c.channel_id, c.email "
        "FROM unnest(%s::bigint[], %s::text[]) AS k(channel_id, email) "
        "JOIN customers_customer c ON c.channel_id = k.channel_id AND c.email = k.email",
        [id_array(channel for channel, _ in keys), text_array(email for _, email in keys)],
    )
    return {(channel_id, email): pk for pk, channel_id, email in rows}


class CopyPlan:
    """How a model's rows, given as {attname: value} dicts, become COPY rows (id first)."""

    def __init__(self, model):
        fields = [f for f in model._meta.concrete_fields if not f.primary_key]
        self.table = model._meta.db_table
        self.defaults = {f.attname: f.get_default() for f in fields}
        self.values = operator.itemgetter(*self.defaults)
        self.columns = ["id", *(f.column for f in fields)]

    def insert(self, rows: list[dict]) -> list[int]:
        """COPY the rows in with ids taken from the table's sequence; return the ids."""
        with connection.cursor() as cursor:
            ids = sequence_take(cursor, self.table, len(rows))
            with binary_copy(cursor, self.table, self.columns) as copy:
                for pk, row in zip(ids, rows, strict=True):
                    copy.write_row((pk, *self.values({**self.defaults, **row})))
        return ids


def planner_settings_for_batches() -> None:
    """Plan this transaction's lookups for data in memory, on one core each.

    With the default random_page_cost (4, for spinning disks) PostgreSQL answers "the
    addresses of these 2,500 customers" with a scan of the whole table, ten times slower than
    the index on this machine; and the import's writers already keep every core busy, so
    parallel workers only take time from them. And no JIT: a batch's statements over
    thousands of ids are estimated costly enough for PostgreSQL to compile them (a command's
    sessions have JIT on, config.database), which took 1-2.5 s per statement per batch
    against ~0.2 s to run them. SET LOCAL: it ends with the transaction.
    """
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SET LOCAL random_page_cost = 1.1; SET LOCAL max_parallel_workers_per_gather = 0; "
            "SET LOCAL jit = off"
        )


# The columns each table's lookups use while an import fills it (config.statistics.
# GrowthStatistics): a whole-table ANALYZE also samples the search index's expression at its
# finer statistics target (seconds at a million rows).
IMPORT_LOOKUP_COLUMNS = {
    Customer._meta.db_table: "id, channel_id, email",
    "customers_address": "customer_id",
    "groups_usercustomergroup": "customer_id, group_id",
}
