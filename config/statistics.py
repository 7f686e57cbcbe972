"""Planner statistics after bulk writes: ANALYZE a table a write changed a lot, right away.

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
"""

from collections.abc import Iterable

from django.db import connections, transaction
from django.db.models import Model

from config.pagination import EXACT_COUNT_LIMIT

ANALYZE_MIN_ROWS = EXACT_COUNT_LIMIT // 10
ANALYZE_MIN_SHARE = 0.1


def statistics_refresh(*, models: Iterable[type[Model]], rows: int, using: str = "default"):
    """ANALYZE the models' tables once the transaction commits (at once outside one), on
    PostgreSQL, when `rows` written is at least ANALYZE_MIN_ROWS and a tenth of the table."""
    connection = connections[using]
    if connection.vendor != "postgresql" or rows < ANALYZE_MIN_ROWS:
        return
    tables = [model._meta.db_table for model in models]
    transaction.on_commit(lambda: _tables_analyze(connection, tables, rows), using=using)


def _tables_analyze(connection, tables: list[str], rows: int) -> None:
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute("SELECT reltuples FROM pg_class WHERE oid = %s::regclass", [table])
            (estimated,) = cursor.fetchone()
            if rows >= ANALYZE_MIN_SHARE * max(estimated, 0):
                cursor.execute(f"ANALYZE {connection.ops.quote_name(table)}")
