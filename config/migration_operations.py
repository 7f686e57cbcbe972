"""Migration operations that build and drop indexes without locking large tables.

On PostgreSQL, CREATE/DROP INDEX CONCURRENTLY keep the table readable and writable while a
million-row index builds (the migration must be `atomic = False`); other databases take the
plain operation.
"""

from django.contrib.postgres import operations as postgres_operations
from django.db import migrations


class _ConcurrentlyOnPostgreSQL:
    """Run the concurrent operation on PostgreSQL and `plain` (its parent) elsewhere."""

    plain: type[migrations.operations.base.Operation]

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)
        else:
            self.plain.database_forwards(self, app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)
        else:
            self.plain.database_backwards(self, app_label, schema_editor, from_state, to_state)


class AddIndexConcurrently(_ConcurrentlyOnPostgreSQL, postgres_operations.AddIndexConcurrently):
    plain = migrations.AddIndex


class RemoveIndexConcurrently(
    _ConcurrentlyOnPostgreSQL, postgres_operations.RemoveIndexConcurrently
):
    plain = migrations.RemoveIndex


def postgresql_only(sql: str, reverse_sql: str) -> migrations.RunPython:
    """Raw SQL run on PostgreSQL only (trigram indexes and other PostgreSQL features)."""

    def forwards(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql)

    def backwards(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(reverse_sql)

    return migrations.RunPython(forwards, backwards, elidable=False)
