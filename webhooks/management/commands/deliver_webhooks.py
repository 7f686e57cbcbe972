"""manage.py deliver_webhooks: attempt every due delivery once (cron's safety net)."""

from django.core.management.base import BaseCommand

from webhooks.services import deliveries_due_attempt


class Command(BaseCommand):
    help = (
        "Attempt every webhook delivery that is due (first attempts and retries), once each. "
        "Run it every minute from cron when the task engine cannot defer tasks, and after "
        "a worker was lost: nothing due is left behind."
    )

    def add_arguments(self, parser):
        parser.add_argument("--limit", type=int, default=None, help="At most this many.")

    def handle(self, *args, limit=None, **options):
        counts = deliveries_due_attempt(limit=limit)
        total = sum(counts.values())
        details = ", ".join(f"{name} {count}" for name, count in sorted(counts.items()))
        self.stdout.write(f"{total} due deliveries attempted" + (f": {details}" if details else ""))
