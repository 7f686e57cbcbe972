"""Dismissing and restoring duplicate candidate pairs; rebuilding them."""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from config.etags import EntityTags
from config.versions import version_check
from customers.match_keys import customer_match_keys_backfill
from customers.match_pairs import candidate_pairs_rebuild
from customers.models import CandidatePair, Channel, Customer
from duplicates.models import DuplicateDismissal

DISMISS_SAME_CUSTOMER = _("Name two different customers.")
DISMISS_OTHER_CHANNELS = _("The two customers belong to different channels.")
UNKNOWN_CHANNEL = "No channel has the code {code!r}."


@transaction.atomic
def duplicate_dismiss(
    *, customers: tuple[Customer, Customer], user
) -> tuple[DuplicateDismissal, bool]:
    """Record that two customers of one channel are not the same person; return
    (dismissal, created). Dismissing a dismissed pair again changes nothing."""
    first, second = customers
    if first.pk == second.pk:
        raise ValidationError({"customers": [DISMISS_SAME_CUSTOMER]})
    if first.channel_id != second.channel_id:
        raise ValidationError({"customers": [DISMISS_OTHER_CHANNELS]})
    low, high = sorted((first.pk, second.pk))
    pair = {"customer_low_id": low, "customer_high_id": high}
    if found := DuplicateDismissal.objects.filter(**pair).first():
        return found, False
    try:
        with transaction.atomic():
            return DuplicateDismissal.objects.create(**pair, dismissed_by=user), True
    except IntegrityError:  # dismissed by someone else meanwhile
        return DuplicateDismissal.objects.get(**pair), False


@transaction.atomic
def duplicate_dismissal_delete(
    *, dismissal: DuplicateDismissal, if_match: EntityTags | None = None
) -> None:
    """Undo a dismissal: the pair is a candidate again (if its keys still match). With
    `if_match`, only at a version it names (else PreconditionFailed)."""
    version_check(DuplicateDismissal, dismissal.pk, if_match)
    dismissal.delete()


@transaction.atomic
def duplicate_candidates_rebuild(*, channel: str | None = None, keys: bool = False) -> int:
    """Recompute every candidate pair (of the channel with this code) from the customers'
    stored match keys, after recomputing the keys too with `keys`; return how many pairs
    there are. The writes keep both in step: this is for operators, after a load that wrote
    customers past Patron's writer. An unknown channel raises ValidationError."""
    channel_id = None
    if channel is not None:
        found = Channel.objects.filter(code=channel).values_list("pk", flat=True).first()
        if found is None:
            raise ValidationError({"channel": [UNKNOWN_CHANNEL.format(code=channel)]})
        channel_id = found
    if keys:
        customer_match_keys_backfill(channel_id=channel_id)
    candidate_pairs_rebuild(channel_id=channel_id)
    pairs = CandidatePair.objects.all()
    return (pairs.filter(channel_id=channel_id) if channel_id is not None else pairs).count()
