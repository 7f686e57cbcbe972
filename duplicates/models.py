"""Duplicate detection's own rows: the pairs staff or an integrator said are not duplicates."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from customers.models import Customer


class DuplicateDismissal(models.Model):
    """A pair of customers dismissed as "not the same person": never a candidate again.

    Stored once per pair, the lower id first, so (a, b) and (b, a) are the same row.
    """

    customer_low = models.ForeignKey(
        Customer,
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
        verbose_name=_("customer low"),
    )
    customer_high = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="+", verbose_name=_("customer high")
    )
    dismissed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("dismissed by"),
    )
    created_at = models.DateTimeField(
        default=timezone.now, editable=False, verbose_name=_("created at")
    )
    # A dismissal never changes (it is made or deleted): If-Match on its DELETE checks this.
    version = models.PositiveIntegerField(default=1, editable=False, verbose_name=_("version"))

    class Meta:
        verbose_name = _("duplicate dismissal")
        verbose_name_plural = _("duplicate dismissals")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["customer_low", "customer_high"], name="duplicate_dismissal_unique_pair"
            ),
            models.CheckConstraint(
                condition=Q(customer_low__lt=F("customer_high")),
                name="duplicate_dismissal_ordered_pair",
            ),
        ]

    def __str__(self):
        return f"{self.customer_low_id} ≠ {self.customer_high_id}"
