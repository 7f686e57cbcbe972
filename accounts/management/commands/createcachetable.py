"""Django's `createcachetable`, which on PostgreSQL also makes each database cache's table
UNLOGGED (config.cache: a cache needs no WAL). Run by `make migrate` and `make serve`, and by
Django's test runner; it turns a table made earlier by Django's own command unlogged too."""

from django.core.management.commands.createcachetable import Command as DjangoCommand

from config.cache import cache_table_unlogged_make


class Command(DjangoCommand):
    help = DjangoCommand.help + " On PostgreSQL the tables are UNLOGGED."

    def create_table(self, database, tablename, dry_run):
        super().create_table(database, tablename, dry_run)
        if not dry_run:
            cache_table_unlogged_make(database, tablename)
