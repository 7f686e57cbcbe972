"""The transactional outbox: one row per committed change, written in the change's transaction."""

import uuid

from django.db import models
from django.utils import timezone


class DatabaseJSONField(models.JSONField):
    """JSON the database builds and keeps as it was written: PostgreSQL's `json` type (checked
    text), not `jsonb`, whose conversion doubles the cost of writing an event; SQLite's JSON
    text as usual. Read back as Python objects either way."""

    def db_type(self, connection):
        return "json" if connection.vendor == "postgresql" else super().db_type(connection)

    def from_db_value(self, value, expression, connection):
        # psycopg already parses `json` (Django asks it for text only for `jsonb`).
        if value is not None and not isinstance(value, str):
            return value
        return super().from_db_value(value, expression, connection)


class Event(models.Model):
    """A change to a channel, customer, address, membership, group, order or custom data.

    `position` orders events (it is never reused); on PostgreSQL `transaction_id` is the
    writing transaction's id, and the change feed pages by (transaction_id, position) so a
    reader never skips an event that commits after a later one (see events.selectors).
    Webhook dispatchers page this table by the same cursor.
    """

    position = models.BigAutoField(primary_key=True)
    # Random (version 4): not indexed, as nothing looks an event up by it and a unique index
    # on random keys is the costliest part of writing a row.
    id = models.UUIDField(default=uuid.uuid4, editable=False)
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
    changed = DatabaseJSONField(null=True, blank=True)
    payload = DatabaseJSONField(default=dict)

    class Meta:
        # The feed's order only: every index is paid by every event of a bulk import. The
        # feed's other filters and purge_events read along this order.
        indexes = [models.Index(fields=["transaction_id", "position"], name="event_cursor")]

    def __str__(self):
        return f"{self.type} {self.object_type} {self.object_id}"

    @property
    def cursor(self) -> str:
        """Where a reader that has seen this event continues."""
        return f"{self.transaction_id}.{self.position}"
