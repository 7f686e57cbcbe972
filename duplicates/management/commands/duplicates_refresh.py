from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from duplicates.services import duplicate_candidates_rebuild


class Command(BaseCommand):
    help = (
        "Rebuild the duplicate candidate pairs from the customers' match keys (every write "
        "keeps them in step; run this after loading customers past Patron's writer)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--channel", help="Only this channel's pairs (its code).")
        parser.add_argument(
            "--keys", action="store_true", help="Recompute the customers' match keys first."
        )

    def handle(self, *args, channel, keys, **options):
        try:
            pairs = duplicate_candidates_rebuild(channel=channel, keys=keys)
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from error
        scope = f" of channel {channel}" if channel else ""
        self.stdout.write(f"Candidate pairs{scope}: {pairs:,}.")
