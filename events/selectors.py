"""Reading the change feed: ordered, channel-scoped, and gap-free under concurrent writers.

Positions come from a sequence, taken when an event is inserted, not when its transaction
commits: a transaction that took position 10 may commit after one that took 11. A reader
that had seen 11 and asked for "after 11" would never see 10. So, on PostgreSQL, each event
keeps its transaction's id and the feed serves only events of transactions older than every
transaction still running when the read starts (the snapshot's xmin): those have all
committed (or rolled back) and nothing can join them later. The feed is ordered and paged by
(transaction id, position), so an event that becomes visible later always sorts after the
cursor a reader holds. A transaction running for long holds the feed back meanwhile, never
loses an event. SQLite runs one write transaction at a time, so positions are taken in commit
order and the position alone (transaction id 0) is the cursor.

A reader's own uncommitted events (a write and a read in one transaction) are served too.
"""

from dataclasses import dataclass

from django.db import connection
from django.db.models import Q, QuerySet
from django.db.models.expressions import RawSQL

from config.values import INT64_MAX
from events.models import Event

FEED_ORDER = ("transaction_id", "position")
# Events of transactions that finished before every transaction still running.
_FINISHED = "pg_snapshot_xmin(pg_current_snapshot())::text::bigint"
_OWN = "pg_current_xact_id_if_assigned()::text::bigint"


@dataclass(frozen=True)
class Cursor:
    """Where a reader stands: after the event at (transaction_id, position)."""

    transaction_id: int = 0
    position: int = 0

    def __str__(self) -> str:
        return f"{self.transaction_id}.{self.position}"

    @classmethod
    def parse(cls, text: str) -> "Cursor":
        """Read "<transaction id>.<position>"; raise ValueError for anything else."""
        transaction_id, position = text.split(".")
        if not (transaction_id.isascii() and position.isascii()):
            raise ValueError(text)
        if not (transaction_id.isdigit() and position.isdigit()):
            raise ValueError(text)
        cursor = cls(int(transaction_id), int(position))
        if max(cursor.transaction_id, cursor.position) > INT64_MAX:
            raise ValueError(text)
        return cursor


def _visible(events: QuerySet[Event]) -> QuerySet[Event]:
    if connection.vendor != "postgresql":
        return events
    return events.filter(
        Q(transaction_id__lt=RawSQL(_FINISHED, [])) | Q(transaction_id=RawSQL(_OWN, []))
    )


def _channels_scoped(events: QuerySet[Event], user) -> QuerySet[Event]:
    """A user limited to channels sees their events and those of no channel (groups)."""
    if user.is_superuser:
        return events
    codes = list(user.api_channels.values_list("code", flat=True))
    if not codes:
        return events
    return events.filter(channel__in=["", *codes])


def _after(events: QuerySet[Event], after: Cursor) -> QuerySet[Event]:
    return events.filter(
        Q(transaction_id__gt=after.transaction_id)
        | Q(transaction_id=after.transaction_id, position__gt=after.position)
    )


def _types_filtered(events: QuerySet[Event], types: list[str]) -> QuerySet[Event]:
    """Each name is a type (`customer.created`) or every type of an object (`customer.*`)."""
    condition = Q()
    for name in types:
        if name.endswith(".*"):
            condition |= Q(object_type=name[:-2])
        else:
            condition |= Q(type=name)
    return events.filter(condition)


def event_list(
    *,
    user,
    after: Cursor,
    limit: int,
    types: list[str] | None = None,
    object_type: str | None = None,
    object_id: int | None = None,
) -> list[Event]:
    """The next `limit` events after the cursor that the user may see, in feed order."""
    events = _after(_channels_scoped(_visible(Event.objects.all()), user), after)
    if types:
        events = _types_filtered(events, types)
    if object_type is not None:
        events = events.filter(object_type=object_type)
    if object_id is not None:
        events = events.filter(object_id=object_id)
    return list(events.order_by(*FEED_ORDER)[:limit])


def outbox_events(after: str, limit: int) -> tuple[list[dict], str]:
    """Every channel's next `limit` events after the cursor text `after` ("" for the start),
    in feed order, as the plain dicts consumers of the outbox take (config.outbox), and the
    cursor after them (`after` itself when there are none)."""
    cursor = Cursor.parse(after) if after else Cursor()
    events = list(_after(_visible(Event.objects.all()), cursor).order_by(*FEED_ORDER)[:limit])
    rows = [
        {
            "id": event.id,
            "type": event.type,
            "channel": event.channel or None,
            "object_type": event.object_type,
            "object_id": event.object_id,
            "occurred_at": event.occurred_at,
            "actor": {"user_id": event.actor_user_id, "source": event.actor_source},
            "changed": event.changed,
            "payload": event.payload,
        }
        for event in events
    ]
    return rows, events[-1].cursor if events else after
