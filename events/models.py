"""The transactional outbox: one row per committed change, written in the change's transaction."""

import uuid

from django.db import models
from django.utils import timezone


class Event(models.Model):
    """A change to a channel, customer, address, membership, group, order or custom data.

    `position` orders events (it is never reused); on PostgreSQL `transaction_id` is the
    writing transaction's id, and the change feed pages by (transaction_id, position) so a
    reader never skips an event that commits after a later one (see events.selectors).
    Webhook dispatchers page this table by the same cursor.
    """

    position = models.BigAutoField(primary_key=True)
    id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    transaction_id = models.BigIntegerField(default=0)
    type = models.CharField(max_length=64)
    # The channel's code (codes never change); empty for groups, which belong to no channel.
    channel = models.CharField(max_length=50, blank=True, default="")
    object_type = models.CharField(max_length=32)
    object_id = models.BigIntegerField()
    occurred_at = models.DateTimeField(default=timezone.now)
    actor_user_id = models.BigIntegerField(null=True, blank=True)
    # Where the change came from: api, admin, compat, import, command.
    actor_source = models.CharField(max_length=16)
    # The changed field names of an *.updated event; null for the other types.
    changed = models.JSONField(null=True, blank=True)
    payload = models.JSONField(default=dict)

    class Meta:
        indexes = [
            models.Index(fields=["transaction_id", "position"], name="event_cursor"),
            models.Index(fields=["object_type", "object_id"], name="event_object"),
            models.Index(fields=["occurred_at"], name="event_occurred_at"),
        ]

    def __str__(self):
        return f"{self.type} {self.object_type} {self.object_id}"

    @property
    def cursor(self) -> str:
        """Where a reader that has seen this event continues."""
        return f"{self.transaction_id}.{self.position}"
