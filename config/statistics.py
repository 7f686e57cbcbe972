"""Planner statistics after bulk writes: ANALYZE a table a write changed a lot, right away
(statistics_refresh), and the tables a long load fills as they grow (GrowthStatistics).

Totals above config.pagination.EXACT_COUNT_LIMIT are PostgreSQL's estimates, which come from
the statistics ANALYZE keeps. Autovacuum refreshes them once a tenth of a table has changed,
but only on its next round, so right after a bulk import a list's total was far off (40,000
customers imported into an empty table, `count` said 1,001). A write that changed at least
ANALYZE_MIN_ROWS rows and at least a tenth of the table (autovacuum's own default scale
factor) therefore ANALYZEs the table as soon as it commits.

ANALYZE reads a fixed sample (30,000 rows at the default statistics target), so its cost does
not grow with the table. ANALYZE_MIN_ROWS is a tenth of EXACT_COUNT_LIMIT: a table below the
limit is counted exactly, and a table above it is changed by less than a tenth by a smaller
write, which leaves its estimate within a tenth until autovacuum catches up.

A write that changed only some columns of a table may ANALYZE just those: the table's row
count (reltuples, an unfiltered list's total) is refreshed by any ANALYZE, and a column list
leaves out the others, among them the costliest: the customer search document
(`search_document`) has a finer statistics target, and analyzing it samples ten times the rows
(seconds at 100,000 customers).
"""

from collections.abc import Iterable, Mapping

from django.db import connections, transaction
from django.db.models import Model

from config.pagination import EXACT_COUNT_LIMIT

ANALYZE_MIN_ROWS = EXACT_COUNT_LIMIT // 10
ANALYZE_MIN_SHARE = 0.1


def statistics_refresh(
    *,
    models: Iterable[type[Model]],
    rows: int,
    columns: Mapping[type[Model], Iterable[str]] | None = None,
    using: str = "default",
):
    """ANALYZE the models' tables once the transaction commits (at once outside one), on
    PostgreSQL, when `rows` written is at least ANALYZE_MIN_ROWS and a tenth of the table.
    A model given `columns` (database column names) has those columns alone analyzed."""
    connection = connections[using]
    if connection.vendor != "postgresql" or rows < ANALYZE_MIN_ROWS:
        return
    columns = columns or {}
    quote = connection.ops.quote_name
    tables = [
        (model._meta.db_table, [quote(name) for name in columns.get(model, ())]) for model in models
    ]
    transaction.on_commit(lambda: _tables_analyze(connection, tables, rows), using=using)


def _tables_analyze(connection, tables: list[tuple[str, list[str]]], rows: int) -> None:
    with connection.cursor() as cursor:
        for table, columns in tables:
            cursor.execute("SELECT reltuples FROM pg_class WHERE oid = %s::regclass", [table])
            (estimated,) = cursor.fetchone()
            if rows >= ANALYZE_MIN_SHARE * max(estimated, 0):
                listed = f" ({', '.join(columns)})" if columns else ""
                cursor.execute(f"ANALYZE {connection.ops.quote_name(table)}{listed}")


class GrowthStatistics:
    """ANALYZE the tables a long load fills each time the first of them has doubled since the
    last time (at least MIN_GROWTH rows), only the columns given for each.

    The planner's row counts for a table that grew from nothing during the load would
    otherwise stay near zero until autovacuum runs, and each batch's lookups would then scan
    the whole table. Doubling keeps the ANALYZEs (a fraction of a second each) logarithmic.
    """

    MIN_GROWTH = 5000

    def __init__(self, columns: dict[str, str], *, using: str = "default"):
        # The alias, not its connection: refresh() runs on the load's writer threads.
        self.using = using
        self.columns = columns
        with connections[using].cursor() as cursor:
            cursor.execute(
                "SELECT greatest(reltuples, 0) FROM pg_class WHERE oid = %s::regclass",
                [next(iter(columns))],
            )
            self.rows = int(cursor.fetchone()[0])
        self.added = 0

    def refresh(self, added: int) -> None:
        """Call after each batch with the rows the load added to the first table so far."""
        if added - self.added < max(self.rows, self.MIN_GROWTH):
            return
        connection = connections[self.using]
        with connection.cursor() as cursor:
            for table, columns in self.columns.items():
                cursor.execute(f"ANALYZE {connection.ops.quote_name(table)} ({columns})")
        self.rows += added - self.added
        self.added = added
