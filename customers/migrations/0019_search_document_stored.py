"""The folded search document is stored (PostgreSQL): a generated column, `search_document`,
holds `patron_fold(first_name || ' ' || ... || identification)`, and the trigram index covers
that column instead of the expression.

A trigram match is always rechecked against the row: with the expression index the row's text
was folded again for each candidate (`unaccent` per row, ~6 µs; 10,000 candidates for a common
word, three times per list request); the column is compared as it is stored. The column is
written by PostgreSQL itself on every insert and update (COPY included), so no writer names it
and the model does not declare it, like the index before it: Django never reads or writes it,
and the history, event and export columns stay as they were. SQLite keeps no column: its
searches fold as they scan (customers.search).

Adding a stored generated column rewrites the table and its indexes under an exclusive lock
(reads and writes of customers wait): measured at 1,000,000 customers in bench/RESULTS.md
("q=dar within 30 ms"). The old index is dropped first so the rewrite does not rebuild it, and
the new one is built in the same transaction, so no search runs without an index.
"""

from django.db import migrations, transaction

DOCUMENT = (
    "(first_name || ' ' || last_name || ' ' || email || ' ' || phone || ' ' || identification)"
)
INDEX_OPTIONS = "WITH (fastupdate = on, gin_pending_list_limit = 2048)"
# The planner tells a common word from a rare one by the document's histogram (see 0007).
STATISTICS = 1000

FORWARD = [
    "SET LOCAL maintenance_work_mem = '256MB'",
    "DROP INDEX IF EXISTS customer_search_trgm",
    "ALTER TABLE customers_customer ADD COLUMN search_document text "
    f"GENERATED ALWAYS AS (patron_fold({DOCUMENT})) STORED",
    f"ALTER TABLE customers_customer ALTER COLUMN search_document SET STATISTICS {STATISTICS}",
    "CREATE INDEX customer_search_trgm ON customers_customer "
    f"USING gin (search_document gin_trgm_ops) {INDEX_OPTIONS}",
]
BACKWARD = [
    "SET LOCAL maintenance_work_mem = '256MB'",
    "DROP INDEX IF EXISTS customer_search_trgm",
    "ALTER TABLE customers_customer DROP COLUMN IF EXISTS search_document",
    "CREATE INDEX customer_search_trgm ON customers_customer "
    f"USING gin (patron_fold({DOCUMENT}) gin_trgm_ops) {INDEX_OPTIONS}",
    f"ALTER INDEX customer_search_trgm ALTER COLUMN 1 SET STATISTICS {STATISTICS}",
]


def _run(statements):
    """The statements in one transaction, then VACUUM ANALYZE: a rewritten table starts with
    an empty visibility map and no statistics of the column (and a rewrite counts as no
    change for autovacuum), so counts would read the table instead of an index alone."""

    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        with transaction.atomic(using=schema_editor.connection.alias):
            for statement in statements:
                schema_editor.execute(statement)
        schema_editor.execute("VACUUM ANALYZE customers_customer")

    return run


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("customers", "0018_listed_counts_index_only")]

    operations = [migrations.RunPython(_run(FORWARD), _run(BACKWARD), elidable=False)]
