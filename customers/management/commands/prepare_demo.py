from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from accounts.services import api_key_replace
from customers.models import Customer

DEMO_USERNAME = "demo"
DEMO_PASSWORD = "patron-demo"
DEMO_KEY_NAME = "demo"


class Command(BaseCommand):
    help = (
        "For `make run`: load demo data when the database has no customers, and create the "
        "demo staff login (DEBUG only)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--customers", type=int, default=500)

    def handle(self, *args, customers, **options):
        if not settings.DEBUG:
            raise CommandError("prepare_demo only runs with DEBUG=1; it creates a known login.")
        if not Customer.objects.exists():
            call_command("seed_demo", customers=customers, stdout=self.stdout)
        else:
            self.stdout.write("Customers already present: demo data not loaded again.")
        user, _ = get_user_model().objects.get_or_create(username=DEMO_USERNAME)
        user.is_staff = user.is_superuser = True
        user.set_password(DEMO_PASSWORD)
        user.save()
        # Keys are shown once: the demo gets a fresh one each run, replacing the last.
        _, key = api_key_replace(user=user, name=DEMO_KEY_NAME)
        port = settings.PORT
        self.stdout.write(
            "\n"
            f"  Admin:     http://127.0.0.1:{port}/admin/  user {DEMO_USERNAME!r} "
            f"password {DEMO_PASSWORD!r}\n"
            f"  API docs:  http://127.0.0.1:{port}/api/v1/docs/\n"
            f"  API token: {key}  (header 'Authorization: Token {key}')\n"
        )
