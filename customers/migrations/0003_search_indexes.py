"""Trigram indexes for `q` search and case-insensitive prefixes, on PostgreSQL only.

Django's icontains/istartswith compile to UPPER(col) LIKE UPPER(...), so the indexes are on
upper(col). SQLite has no trigram indexes and simply skips this migration's SQL.
"""

from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations

SEARCH_COLUMNS = ("first_name", "last_name", "email", "identification", "phone")


def create_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for column in SEARCH_COLUMNS:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS customer_{column}_trgm ON customers_customer "
            f"USING gin (upper({column}) gin_trgm_ops)"
        )


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for column in SEARCH_COLUMNS:
        schema_editor.execute(f"DROP INDEX IF EXISTS customer_{column}_trgm")


class Migration(migrations.Migration):
    dependencies = [("customers", "0002_initial")]

    operations = [
        TrigramExtension(),
        migrations.RunPython(create_indexes, drop_indexes, elidable=False),
    ]
