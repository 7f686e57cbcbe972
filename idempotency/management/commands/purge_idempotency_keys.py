from django.core.management.base import BaseCommand

from idempotency.services import idempotency_keys_purge


class Command(BaseCommand):
    help = "Delete the Idempotency-Keys older than 24 hours (their retries run again anyway)."

    def handle(self, *args, **options):
        deleted = idempotency_keys_purge()
        self.stdout.write(self.style.SUCCESS(f"Deleted {deleted} expired idempotency keys."))
