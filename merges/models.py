from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from customers.models import Channel, Customer


class Merge(models.Model):
    """One merge of customers into a kept one, with what its undo needs.

    `snapshot` holds, as stored before the merge, the rows the merge changed or deleted: the
    customers, the merged customers' addresses and memberships (and the kept customer's
    memberships it changed), and each moved order's id, version and updated_at; plus the kept
    customer's fields right after the merge, to tell which ones changed since.
    """

    channel = models.ForeignKey(
        Channel, on_delete=models.PROTECT, related_name="+", verbose_name=_("channel")
    )
    kept = models.ForeignKey(
        Customer, on_delete=models.PROTECT, related_name="merges", verbose_name=_("kept")
    )
    merged_ids = models.JSONField(default=list, verbose_name=_("merged ids"))
    # {field name: the id of the customer whose value the kept customer takes}
    fields = models.JSONField(default=dict, blank=True, verbose_name=_("fields"))
    snapshot = models.JSONField(default=dict, editable=False, verbose_name=_("snapshot"))
    created_at = models.DateTimeField(
        default=timezone.now, editable=False, verbose_name=_("created at")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("created by"),
    )
    undone_at = models.DateTimeField(null=True, blank=True, verbose_name=_("undone at"))
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("undone by"),
    )
    # The kept customer's fields changed since the merge, which the undo left as they were.
    kept_changes = models.JSONField(default=list, blank=True, verbose_name=_("kept changes"))

    class Meta:
        verbose_name = _("merge")
        verbose_name_plural = _("merges")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["-created_at", "-id"], name="merge_recent_idx")]

    def __str__(self):
        return f"{', '.join(map(str, self.merged_ids))} into {self.kept_id}"
