"""Every write of the webhooks app: subscriptions, the fan-out of events into deliveries,
attempts (webhooks.attempts) and redeliveries."""

import datetime
import logging
import re
import uuid
from collections.abc import Iterable, Mapping

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from config.versions import EntityTags, version_check, version_next
from webhooks import signing
from webhooks.addresses import UnsafeURL, url_target
from webhooks.attempts import delivery_attempt, delivery_claim
from webhooks.models import Delivery, DeliveryAttempt, Subscription
from webhooks.selectors import delivery_ids_due
from webhooks.tasks import delivery_schedule

__all__ = [
    "delivery_attempt",
    "delivery_redeliver",
    "deliveries_due_attempt",
    "deliveries_enqueue",
    "deliveries_purge",
    "event_type_matches",
    "event_types_validate",
    "subscription_create",
    "subscription_delete",
    "subscription_ping",
    "subscription_secret_rotate",
    "subscription_update",
    "url_validate",
]

EVENT_TYPE_PATTERN = re.compile(r"^(\*|[a-z][a-z0-9_]*\.(\*|[a-z][a-z0-9_]*))$")
BAD_EVENT_TYPE = _(
    "'{value}' is not an event type: use one like 'customer.updated', a family like "
    "'customer.*', or '*' for every event."
)
NO_EVENT_TYPES = _("Name at least one event type ('*' for every event).")
BAD_EVENT = _("Event {index}: needs an 'id' (UUID) and a 'type'.")
PING_TYPE = "webhook.ping"
EDITABLE = ("url", "description", "event_types", "is_active")

logger = logging.getLogger(__name__)


def url_validate(url: str) -> str:
    """Return the URL if webhooks may be sent to it, else raise ValidationError on `url`."""
    try:
        url_target(url)
    except UnsafeURL as refused:
        raise ValidationError({"url": [str(refused)]}) from None
    return url.strip()


def event_types_validate(event_types: Iterable[str]) -> list[str]:
    """Return the patterns, deduplicated; raise ValidationError on `event_types`."""
    event_types = list(dict.fromkeys(event_types))
    if not event_types:
        raise ValidationError({"event_types": [NO_EVENT_TYPES]})
    bad = [
        BAD_EVENT_TYPE.format(value=value)
        for value in event_types
        if not EVENT_TYPE_PATTERN.match(value)
    ]
    if bad:
        raise ValidationError({"event_types": bad})
    return event_types


def event_type_matches(patterns: Iterable[str], event_type: str) -> bool:
    """Tell whether an event of this type is one the patterns ask for."""
    family = event_type.split(".", 1)[0]
    return any(pattern in ("*", event_type, f"{family}.*") for pattern in patterns)


def subscription_create(*, data: Mapping, user=None, default_channels=None) -> Subscription:
    """Create a subscription with a new secret (readable once, on the returned instance).

    `data` holds url, event_types, and optionally description, is_active and channels (a
    list of Channel rows). No channels means `default_channels` (the channels a restricted
    creator may see), or every channel when that is None.
    """
    url = url_validate(data["url"])
    event_types = event_types_validate(data.get("event_types", ["*"]))
    channels = list(data.get("channels") or default_channels or [])
    with transaction.atomic():
        subscription = Subscription.objects.create(
            url=url,
            description=data.get("description", ""),
            event_types=event_types,
            is_active=data.get("is_active", True),
            secret=signing.secret_generate(),
            created_by=user if user is not None and user.is_authenticated else None,
        )
        subscription.channels.set(channels)
    return subscription


def subscription_update(
    *,
    subscription: Subscription,
    data: Mapping,
    default_channels=None,
    if_match: EntityTags | None = None,
) -> Subscription:
    """Change what `data` holds (a partial update keeps the rest); enabling a disabled
    subscription restarts its failure clock. With `if_match`, only from a version it names."""
    changes = {name: data[name] for name in EDITABLE if name in data}
    if "url" in changes:
        changes["url"] = url_validate(changes["url"])
    if "event_types" in changes:
        changes["event_types"] = event_types_validate(changes["event_types"])
    with transaction.atomic():
        version_check(Subscription, subscription.pk, if_match)
        if changes.get("is_active") and not _stored_active(subscription):
            changes.update(disabled_at=None, disabled_reason="", failing_since=None)
        for name, value in changes.items():
            setattr(subscription, name, value)
        subscription.version = version_next()
        # Only the fields changed: the failure clock is the workers' to write meanwhile.
        subscription.save(update_fields=[*changes, "version", "updated_at"])
        if "channels" in data:
            subscription.channels.set(list(data["channels"] or default_channels or []))
    subscription.refresh_from_db()
    return subscription


def _stored_active(subscription: Subscription) -> bool:
    """The stored is_active (an admin form has already set the instance's own)."""
    rows = Subscription.objects.filter(pk=subscription.pk)
    return bool(rows.values_list("is_active", flat=True).first())


def subscription_delete(*, subscription: Subscription, if_match: EntityTags | None = None) -> None:
    """Delete the subscription with its deliveries and their log."""
    with transaction.atomic():
        version_check(Subscription, subscription.pk, if_match)
        subscription.delete()


def subscription_secret_rotate(*, subscription: Subscription) -> Subscription:
    """Give the subscription a new secret (readable once, on the returned instance); the old
    one signs nothing from now on."""
    subscription.secret = signing.secret_generate()
    subscription.version = version_next()
    subscription.save(update_fields=["secret", "version", "updated_at"])
    subscription.refresh_from_db(fields=["version"])
    return subscription


def deliveries_enqueue(*, events: Iterable[Mapping]) -> list[Delivery]:
    """Make one delivery per event and matching active subscription, and schedule their
    first attempts once the transaction commits; return the new deliveries.

    An event is a dict: `id` (UUID, sent as webhook-id), `type`, `channel` (code or None),
    `occurred_at`, `payload`, and anything else to pass on (object type and id, actor). A
    subscription limited to some channels gets the events of those channels only; one for
    every channel gets all. An event already delivered to a subscription is skipped, so
    enqueueing twice sends once. Set-based: two reads and batched inserts, whatever the
    number of events.
    """
    events = [_event_checked(index, event) for index, event in enumerate(events)]
    if not events:
        return []
    subscriptions = [
        (subscription, {channel.code for channel in subscription.channels.all()})
        for subscription in Subscription.objects.filter(is_active=True).prefetch_related("channels")
    ]
    now = timezone.now()
    rows = [
        Delivery(
            subscription=subscription,
            event_id=event["id"],
            event_type=event["type"],
            payload=_event_body(event),
            next_attempt_at=now,
            created_at=now,
        )
        for event in events
        for subscription, codes in subscriptions
        if event_type_matches(subscription.event_types, event["type"])
        and (not codes or event.get("channel") in codes)
    ]
    if not rows:
        return []
    Delivery.objects.bulk_create(rows, ignore_conflicts=True, batch_size=500)
    # The rows inserted now (an event delivered before keeps its older row and is skipped):
    # bulk_create cannot return ids when it ignores conflicts.
    created = list(
        Delivery.objects.filter(
            event_id__in={row.event_id for row in rows},
            subscription__in={row.subscription_id for row in rows},
            created_at=now,
        )
        .select_related("subscription")
        .order_by("pk")
    )
    transaction.on_commit(lambda: _deliveries_schedule(created))
    return created


def _deliveries_schedule(deliveries: list[Delivery]) -> None:
    """Enqueue each first attempt. A task backend that fails (a broker down) must not fail the
    write that emitted the events: the deliveries stay due and deliver_webhooks sends them."""
    for delivery in deliveries:
        try:
            delivery_schedule(delivery)
        except Exception:
            logger.exception("Webhook delivery %s not enqueued; it stays due.", delivery.pk)


def _event_checked(index: int, event: Mapping) -> dict:
    try:
        event_id = uuid.UUID(str(event["id"]))
        event_type = str(event["type"])
    except (KeyError, TypeError, ValueError):
        raise ValueError(BAD_EVENT.format(index=index)) from None
    return {**event, "id": event_id, "type": event_type}


def _event_body(event: Mapping) -> dict:
    """The JSON sent for an event: Standard Webhooks' `type`, `timestamp` and `data`, with the
    event's other fields (id, channel, object, actor) beside them."""
    rest = {key: value for key, value in event.items() if key not in ("payload", "occurred_at")}
    occurred_at = event.get("occurred_at") or timezone.now()
    return {
        **rest,
        "id": str(event["id"]),
        "timestamp": occurred_at.isoformat() if hasattr(occurred_at, "isoformat") else occurred_at,
        "data": event.get("payload"),
    }


def delivery_redeliver(*, delivery: Delivery) -> DeliveryAttempt:
    """Send the delivery again now (a manual attempt, same webhook-id); return the attempt."""
    return delivery_attempt(delivery, manual=True)


def subscription_ping(*, subscription: Subscription) -> Delivery:
    """Send a `webhook.ping` event to the subscription now, once (no retries); return its
    delivery with the attempt logged."""
    event = {"id": uuid.uuid4(), "type": PING_TYPE, "channel": None, "payload": {}}
    delivery = Delivery.objects.create(
        subscription=subscription,
        event_id=event["id"],
        event_type=PING_TYPE,
        payload=_event_body(event),
        status=Delivery.Status.DEAD,
    )
    delivery_attempt(delivery, manual=True)
    return delivery


def deliveries_due_attempt(*, limit: int | None = None) -> dict[str, int]:
    """Attempt every due delivery once, the longest waiting first; return counts by outcome
    (statuses, and `skipped` for those another worker took meanwhile)."""
    counts: dict[str, int] = {}
    for delivery_id in delivery_ids_due(limit=limit):
        delivery = delivery_claim(delivery_id=delivery_id)
        outcome = "skipped"
        if delivery is not None:
            delivery_attempt(delivery)
            outcome = delivery.status
        counts[outcome] = counts.get(outcome, 0) + 1
    return counts


PURGE_BATCH = 1000
FINISHED = (Delivery.Status.SUCCEEDED, Delivery.Status.DEAD)


def deliveries_purge(*, days: int) -> int:
    """Delete the finished deliveries (succeeded or dead) made more than `days` days ago,
    with their attempt log, in short batches; return how many deliveries."""
    cutoff = timezone.now() - datetime.timedelta(days=days)
    old = Delivery.objects.filter(status__in=FINISHED, created_at__lt=cutoff).order_by("pk")
    deleted = 0
    while batch := list(old.values_list("pk", flat=True)[:PURGE_BATCH]):
        with transaction.atomic():
            DeliveryAttempt.objects.filter(delivery_id__in=batch).delete()
            deleted += Delivery.objects.filter(pk__in=batch).delete()[0]
    return deleted
