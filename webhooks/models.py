from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

URL_MAX_LENGTH = 2000
EVENT_TYPE_MAX_LENGTH = 100
SECRET_MAX_LENGTH = 100
# How much of a secret reads show: the `whsec_` prefix and a few characters, enough to tell two
# secrets apart and never enough to sign with.
SECRET_HINT_LENGTH = 10
EXCERPT_MAX_BYTES = 1024


class Subscription(models.Model):
    """An integrator's endpoint: the events it wants (by type and channel) are POSTed to `url`,
    signed with `secret` (Standard Webhooks)."""

    url = models.CharField(max_length=URL_MAX_LENGTH, verbose_name=_("url"))
    description = models.CharField(max_length=200, blank=True, verbose_name=_("description"))
    # Patterns: an exact type (`customer.updated`), a family (`customer.*`) or everything (`*`).
    event_types = models.JSONField(default=list, verbose_name=_("event types"))
    # None: every channel (an unrestricted creator's subscription; events of no channel too).
    channels = models.ManyToManyField(
        "customers.Channel", blank=True, related_name="+", verbose_name=_("channels")
    )
    secret = models.CharField(
        max_length=SECRET_MAX_LENGTH, editable=False, verbose_name=_("secret")
    )
    is_active = models.BooleanField(default=True, verbose_name=_("is active"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("created by"),
    )
    # Since when every attempt has failed (None after a success): the auto-disable clock.
    failing_since = models.DateTimeField(
        null=True, blank=True, editable=False, verbose_name=_("failing since")
    )
    disabled_at = models.DateTimeField(
        null=True, blank=True, editable=False, verbose_name=_("disabled at")
    )
    disabled_reason = models.CharField(
        max_length=300, blank=True, editable=False, verbose_name=_("disabled reason")
    )
    version = models.PositiveIntegerField(default=1, editable=False, verbose_name=_("version"))
    created_at = models.DateTimeField(
        default=timezone.now, editable=False, verbose_name=_("created at")
    )
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated at"))

    class Meta:
        verbose_name = _("webhook subscription")
        verbose_name_plural = _("webhook subscriptions")
        ordering = ["id"]

    def __str__(self):
        return self.url

    def _secret_hint(self) -> str:
        """The secret's first characters, to recognise it by (never enough to sign with)."""
        return f"{self.secret[:SECRET_HINT_LENGTH]}…" if self.secret else ""

    _secret_hint.short_description = _("secret hint")
    secret_hint = property(_secret_hint)


class Delivery(models.Model):
    """One event for one subscription: delivered at least once, retried until it succeeds or
    its retry span ends."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SUCCEEDED = "succeeded", "Succeeded"
        # The last attempt failed and another is scheduled at next_attempt_at.
        FAILED = "failed", "Failed"
        # The last attempt failed and none is scheduled any more (retry span over, subscription
        # disabled); a manual redelivery may still try.
        DEAD = "dead", "Dead"

    subscription = models.ForeignKey(
        Subscription,
        on_delete=models.CASCADE,
        related_name="deliveries",
        verbose_name=_("subscription"),
    )
    event_id = models.UUIDField(verbose_name=_("event id"))
    event_type = models.CharField(max_length=EVENT_TYPE_MAX_LENGTH, verbose_name=_("event type"))
    # The JSON body sent, fixed when the delivery is made: retries send the same event.
    payload = models.JSONField(encoder=DjangoJSONEncoder, verbose_name=_("payload"))
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.PENDING, verbose_name=_("status")
    )
    attempts = models.PositiveIntegerField(default=0, verbose_name=_("attempts"))
    next_attempt_at = models.DateTimeField(null=True, blank=True, verbose_name=_("next attempt at"))
    # Set while a worker attempts the delivery: until then nobody else may. A worker that dies
    # mid-attempt leaves it to expire, and the sweep (webhooks.sweep) re-queues the delivery.
    lease_expires_at = models.DateTimeField(
        null=True, blank=True, editable=False, verbose_name=_("lease expires at")
    )
    created_at = models.DateTimeField(
        default=timezone.now, editable=False, verbose_name=_("created at")
    )
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated at"))

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["subscription", "event_id"], name="webhook_delivery_once_per_event"
            )
        ]
        indexes = [
            # The due deliveries (deliver_webhooks, the workers): a small, hot part of the table.
            models.Index(
                fields=["next_attempt_at"],
                name="webhook_delivery_due",
                condition=models.Q(status__in=["pending", "failed"]),
            )
        ]

    def __str__(self):
        return f"{self.event_type} {self.event_id} → {self.subscription_id}"


class DeliveryAttempt(models.Model):
    """One HTTP POST of a delivery, as it went: the delivery log."""

    delivery = models.ForeignKey(
        Delivery, on_delete=models.CASCADE, related_name="attempt_log", verbose_name=_("delivery")
    )
    started_at = models.DateTimeField(verbose_name=_("started at"))
    # Null when no HTTP answer came (refused address, connection error, timeout): see `error`.
    status_code = models.PositiveSmallIntegerField(
        null=True, blank=True, verbose_name=_("status code")
    )
    error = models.CharField(max_length=300, blank=True, verbose_name=_("error"))
    succeeded = models.BooleanField(default=False, verbose_name=_("succeeded"))
    latency_ms = models.PositiveIntegerField(default=0, verbose_name=_("latency ms"))
    # The first EXCERPT_MAX_BYTES of the answer's body, decoded leniently.
    response_excerpt = models.TextField(blank=True, verbose_name=_("response excerpt"))
    # The headers sent, without the signature (it is derived from the secret).
    request_headers = models.JSONField(default=dict, verbose_name=_("request headers"))
    manual = models.BooleanField(default=False, verbose_name=_("manual"))

    class Meta:
        verbose_name = _("delivery attempt")
        verbose_name_plural = _("delivery attempts")
        ordering = ["id"]

    def __str__(self):
        return f"{self.started_at:%Y-%m-%d %H:%M:%S} {self.status_code or self.error}"


class Dispatcher(models.Model):
    """How far webhooks have read the outbox's feed: one row (pk 1).

    `cursor` is the feed's cursor after the last event turned into deliveries; `requested_at`
    is set while a dispatch task is queued or running (None: none is), so writes that commit
    meanwhile do not queue another one each.
    """

    ROW = 1

    cursor = models.CharField(max_length=64, blank=True, default="", verbose_name=_("cursor"))
    requested_at = models.DateTimeField(null=True, blank=True, verbose_name=_("requested at"))
    dispatched_at = models.DateTimeField(null=True, blank=True, verbose_name=_("dispatched at"))

    def __str__(self):
        return f"after {self.cursor or 'the start'}"
