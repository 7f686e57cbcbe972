from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from accounts.selectors import api_key_is_expired, api_key_list
from accounts.services import api_key_create, api_key_revoke

UNKNOWN_USER = "Unknown user {username!r}."


def _errors(error: ValidationError) -> str:
    return "; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in error.message_dict.items())


class Command(BaseCommand):
    help = (
        "Manage API keys. `create USER --name NAME` prints the new key once (the last line); "
        "`list [--user USER]` shows names, prefixes, expiry and last use (never a key); "
        "`revoke USER NAME` deletes a key."
    )

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True)
        create = actions.add_parser("create", help="create a key for an existing user")
        create.add_argument("username")
        create.add_argument("--name", required=True, help="what the key is for, unique per user")
        create.add_argument(
            "--expires-in-days",
            type=int,
            default=None,
            help="lifetime in days (default: API_KEY_EXPIRY_DAYS)",
        )
        listing = actions.add_parser("list", help="list the keys")
        listing.add_argument("--user", dest="username", default=None)
        revoke = actions.add_parser("revoke", help="delete a key: requests with it get 401")
        revoke.add_argument("username")
        revoke.add_argument("name")

    def handle(self, *args, action, **options):
        try:
            getattr(self, f"_{action}")(**options)
        except ValidationError as error:
            raise CommandError(_errors(error)) from None

    def _create(self, *, username, name, expires_in_days, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(UNKNOWN_USER.format(username=username))
        api_key, key = api_key_create(user=user, name=name, expires_in_days=expires_in_days)
        expiry = api_key.expiry.isoformat() if api_key.expiry else "never"
        self.stdout.write(f"Created API key {api_key.name!r} for {username} (expires {expiry}).")
        self.stdout.write("Copy it now, it is not stored and will not be shown again:")
        self.stdout.write(key)

    def _list(self, *, username, **options):
        now = timezone.now()
        self.stdout.write("user\tname\tprefix\tcreated\texpires\tlast used\tstate")
        for api_key in api_key_list(username=username):
            state = "expired" if api_key_is_expired(api_key, now=now) else "active"
            self.stdout.write(
                "\t".join(
                    [
                        api_key.user.username,
                        api_key.name,
                        f"{api_key.token_key}…",
                        api_key.created.isoformat(timespec="seconds"),
                        api_key.expiry.isoformat(timespec="seconds") if api_key.expiry else "never",
                        api_key.last_used_at.isoformat(timespec="seconds")
                        if api_key.last_used_at
                        else "never",
                        state,
                    ]
                )
            )

    def _revoke(self, *, username, name, **options):
        api_key_revoke(username=username, name=name)
        self.stdout.write(f"Revoked API key {name!r} of {username}.")
