from django.conf import settings
from django.db import models
from django.utils import timezone

from customers.models import Channel, Customer


class Merge(models.Model):
    """One merge of customers into a kept one, with what its undo needs.

    `snapshot` holds, as stored before the merge, the rows the merge changed or deleted: the
    customers, the merged customers' addresses and memberships (and the kept customer's
    memberships it changed), and each moved order's id, version and updated_at; plus the kept
    customer's fields right after the merge, to tell which ones changed since.
    """

    channel = models.ForeignKey(Channel, on_delete=models.PROTECT, related_name="+")
    kept = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="merges")
    merged_ids = models.JSONField(default=list)
    # {field name: the id of the customer whose value the kept customer takes}
    fields = models.JSONField(default=dict, blank=True)
    snapshot = models.JSONField(default=dict, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    undone_at = models.DateTimeField(null=True, blank=True)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # The kept customer's fields changed since the merge, which the undo left as they were.
    kept_changes = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["-created_at", "-id"], name="merge_recent_idx")]

    def __str__(self):
        return f"{', '.join(map(str, self.merged_ids))} into {self.kept_id}"
