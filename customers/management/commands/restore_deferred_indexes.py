"""manage.py restore_deferred_indexes: rebuild the customer indexes an import dropped for a
large load and could not rebuild because it was killed (customers.imports.deferred_indexes).

Every import_customers run does the same when it starts; this does it without an import (e.g.
right after a crash, or from a deploy script). PostgreSQL only; on SQLite there is nothing to do.
"""

from django.core.management.base import BaseCommand, CommandError

from customers.imports.deferred_indexes import indexes_restore

REBUILT = "Rebuilt {count} index(es): {names}."
NOTHING = "No deferred index is missing."
LOADING = "An import that deferred the indexes is still loading; it rebuilds them when it ends."


class Command(BaseCommand):
    help = (
        "Rebuild the customer indexes a killed import_customers left dropped (PostgreSQL). "
        "Exit status 1 while an import that dropped them is still running."
    )

    def handle(self, *args, **options):
        rebuilt = indexes_restore()
        if rebuilt is None:
            raise CommandError(LOADING, returncode=1)
        self.stdout.write(
            REBUILT.format(count=len(rebuilt), names=", ".join(rebuilt)) if rebuilt else NOTHING
        )
