"""Accent-insensitive search: the search index covers the folded search document.

`patron_fold(text)` is upper case without accents: `unaccent` with its dictionary named, which
makes the result depend on the text alone, so the function may be declared IMMUTABLE and an
expression index may use it (unaccent's one-argument form reads the search path, and is only
STABLE). The trigram index on the folded document is built CONCURRENTLY under a new name, the
old one dropped and the new one renamed to `customer_search_trgm`, so searches keep an index
all along. SQLite gets `patron_fold` from the application on every connection (customers.search).
"""

from django.contrib.postgres.operations import UnaccentExtension
from django.db import migrations

DOCUMENT = (
    "(first_name || ' ' || last_name || ' ' || email || ' ' || phone || ' ' || identification)"
)
FOLD_SQL = (
    "CREATE OR REPLACE FUNCTION patron_fold(text) RETURNS text "
    "LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE "
    "AS $$ SELECT upper({schema}.unaccent('{schema}.unaccent'::regdictionary, $1)) $$"
)
INDEX_SQL = (
    "CREATE INDEX CONCURRENTLY IF NOT EXISTS {name} ON customers_customer "
    "USING gin ({expression} gin_trgm_ops) WITH (fastupdate = on, gin_pending_list_limit = 2048)"
)
FOLDED = f"patron_fold({DOCUMENT})"
UPPER = f"upper({DOCUMENT})"
# The planner estimates `document LIKE '%word%'` from the expression's histogram (see 0007).
STATISTICS_SQL = "ALTER INDEX customer_search_trgm ALTER COLUMN 1 SET STATISTICS 1000"


def _unaccent_schema(schema_editor) -> str:
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "SELECT extnamespace::regnamespace::text FROM pg_extension WHERE extname = 'unaccent'"
        )
        return cursor.fetchone()[0]


def _search_index_swap(schema_editor, expression: str) -> None:
    for sql in (
        INDEX_SQL.format(name="customer_search_trgm_new", expression=expression),
        "DROP INDEX CONCURRENTLY IF EXISTS customer_search_trgm",
        "ALTER INDEX customer_search_trgm_new RENAME TO customer_search_trgm",
        STATISTICS_SQL,
    ):
        schema_editor.execute(sql)


def search_folded(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(FOLD_SQL.format(schema=_unaccent_schema(schema_editor)))
    _search_index_swap(schema_editor, FOLDED)


def search_upper(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    _search_index_swap(schema_editor, UPPER)
    schema_editor.execute("DROP FUNCTION IF EXISTS patron_fold(text)")


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("customers", "0009_total_spent_wider")]

    operations = [
        UnaccentExtension(),
        migrations.RunPython(search_folded, search_upper, elidable=False),
    ]
