from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from events.services import events_purge


class Command(BaseCommand):
    help = "Delete the events older than EVENTS_RETENTION_DAYS (default 30) from the feed."

    def add_arguments(self, parser):
        parser.add_argument(
            "--days",
            type=int,
            default=None,
            help="Keep this many days instead of EVENTS_RETENTION_DAYS.",
        )

    def handle(self, *args, days=None, **options):
        days = settings.EVENTS_RETENTION_DAYS if days is None else days
        if days < 0:
            raise CommandError("--days must be 0 or more.")
        deleted = events_purge(days=days)
        self.stdout.write(self.style.SUCCESS(f"Deleted {deleted} events older than {days} days."))
