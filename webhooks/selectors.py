"""Named reads of subscriptions and deliveries, limited to what the caller may see."""

import datetime

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone

from webhooks.models import Delivery, DeliveryAttempt, Subscription

SubscriptionChannel = Subscription.channels.through


def subscription_list(*, channels: QuerySet | None = None) -> QuerySet[Subscription]:
    """Return the subscriptions (with their channels) a caller who sees `channels` may see.

    None: every subscription (an unrestricted user). Otherwise those limited to some of the
    given channels and to no other: a subscription to every channel is not theirs to see.
    """
    subscriptions = Subscription.objects.prefetch_related("channels")
    if channels is None:
        return subscriptions
    links = SubscriptionChannel.objects.filter(subscription=OuterRef("pk"))
    return subscriptions.filter(Exists(links)).exclude(
        Exists(links.exclude(channel__in=channels.values("pk")))
    )


def delivery_list(*, subscription: Subscription) -> QuerySet[Delivery]:
    """Return the subscription's deliveries, newest first, each with its attempt log."""
    attempts = Prefetch("attempt_log", queryset=DeliveryAttempt.objects.order_by("id"))
    return subscription.deliveries.prefetch_related(attempts).order_by("-id")


def _due(*, since: datetime.datetime) -> QuerySet[Delivery]:
    """The deliveries due since `since` or earlier that no worker holds (no lease, or one
    that ran out), the longest waiting first."""
    now = timezone.now()
    return (
        Delivery.objects.filter(
            status__in=[Delivery.Status.PENDING, Delivery.Status.FAILED],
            next_attempt_at__lte=since,
        )
        .filter(Q(lease_expires_at__isnull=True) | Q(lease_expires_at__lte=now))
        .order_by("next_attempt_at", "pk")
    )


def delivery_ids_due(*, limit: int | None = None) -> list[int]:
    """Return the ids of the deliveries whose next attempt is due, the longest waiting first."""
    ids = _due(since=timezone.now()).values_list("pk", flat=True)
    return list(ids[:limit] if limit is not None else ids)


def delivery_stranded(*, grace: datetime.timedelta) -> QuerySet[Delivery]:
    """The deliveries due for longer than `grace` that no worker holds: the task of each was
    lost (a worker killed mid-attempt, a broker emptied) or never queued."""
    return _due(since=timezone.now() - grace)
