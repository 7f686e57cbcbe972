"""Named reads of merges, limited to what the caller may see."""

from django.db.models import QuerySet

from customers.selectors import channel_scope
from merges.models import Merge


def merge_list(*, user) -> QuerySet[Merge]:
    """Return the merges of the channels the user may see, newest first."""
    return channel_scope(Merge.objects.select_related("channel"), user=user)
