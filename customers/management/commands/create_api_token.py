from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from accounts.services import api_key_create
from customers.models import Channel

PATRON_APPS = ("customers", "groups", "orders", "events")
UNKNOWN_CHANNELS = "Unknown channel code(s): {codes}."


class Command(BaseCommand):
    help = (
        "Create the API user if needed, give it a new API key and print the key (the last line "
        "of output; it is stored hashed and cannot be shown again). Non-superusers get every "
        "Patron model permission; --channels limits what they see. `api_keys` lists and "
        "revokes keys."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--superuser", action="store_true", help="make the user a superuser")
        parser.add_argument(
            "--channels",
            default=None,
            help="comma-separated channel codes the user is limited to (default: all channels)",
        )
        parser.add_argument(
            "--name", default=None, help="the key's name (default: 'key <date and time>')"
        )

    @transaction.atomic
    def handle(self, *args, username, superuser, channels, name, **options):
        channel_codes = [code.strip() for code in (channels or "").split(",") if code.strip()]
        found = list(Channel.objects.filter(code__in=channel_codes))
        missing = sorted(set(channel_codes) - {channel.code for channel in found})
        if missing:
            raise CommandError(UNKNOWN_CHANNELS.format(codes=", ".join(missing)))

        user, created = get_user_model().objects.get_or_create(username=username)
        if created:
            user.set_unusable_password()
        if superuser:
            user.is_superuser = True
            user.is_staff = True
        user.save()
        user.user_permissions.add(
            *Permission.objects.filter(content_type__app_label__in=PATRON_APPS)
        )
        if channels is not None:
            user.api_channels.set(found)

        name = name or f"key {timezone.now():%Y-%m-%d %H:%M:%S.%f}"
        try:
            _, key = api_key_create(user=user, name=name)
        except ValidationError as error:
            raise CommandError(" ".join(error.message_dict["name"])) from None
        scope = ", ".join(channel_codes) if channel_codes else "all channels"
        self.stdout.write(f"{'Created' if created else 'Updated'} API user {username} ({scope}).")
        self.stdout.write(key)
