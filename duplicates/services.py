"""Dismissing and restoring duplicate candidate pairs."""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from config.etags import EntityTags
from config.versions import version_check
from customers.models import Customer
from duplicates.models import DuplicateDismissal

DISMISS_SAME_CUSTOMER = _("Name two different customers.")
DISMISS_OTHER_CHANNELS = _("The two customers belong to different channels.")


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
