"""One attempt of a delivery and what follows from it: the log row, the next retry or the end
of retries, and the subscription's health (disabled after failing for WEBHOOK_DISABLE_AFTER).

The HTTP POST runs outside any transaction (it may take WEBHOOK_CONNECT_TIMEOUT +
WEBHOOK_READ_TIMEOUT); its outcome is then written in one short transaction.
"""

import datetime
import json
import random

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from webhooks import signing
from webhooks.addresses import UnsafeURL, url_target
from webhooks.emails import subscription_disabled_send
from webhooks.models import Delivery, DeliveryAttempt, Subscription
from webhooks.retries import retry_delay
from webhooks.transport import Outcome, http_post

DISABLED_REASON = "Every delivery failed for {days:g} days; last: {last}"
SCHEDULED = (Delivery.Status.PENDING, Delivery.Status.FAILED)
# A task deferred to a retry's time may run this much before it: RQ's scheduler keeps whole
# seconds (it truncates). Refusing it would strand the delivery until the sweep.
EARLY = datetime.timedelta(seconds=1)

_rng = random.SystemRandom()


def delivery_body(delivery: Delivery) -> bytes:
    """Return the bytes POSTed for the delivery (the same on every attempt of one row)."""
    return json.dumps(
        delivery.payload, cls=DjangoJSONEncoder, separators=(",", ":"), ensure_ascii=False
    ).encode()


def delivery_claim(*, delivery_id: int) -> Delivery | None:
    """Take the delivery for one attempt if it is due; None when it is not (done, not yet due,
    or taken by another worker).

    A task up to EARLY before the due time claims it too (a deferred task's engine may keep
    coarser times). Claiming takes a lease (lease_expires_at) for the attempt's longest
    duration plus WEBHOOK_LEASE_MARGIN; the attempt's outcome ends it. A worker that dies
    mid-attempt leaves the delivery due, and once the lease is over the sweep queues it again
    (or deliver_webhooks sends it).
    """
    now = timezone.now()
    claimed = (
        Delivery.objects.filter(
            pk=delivery_id, status__in=SCHEDULED, next_attempt_at__lte=now + EARLY
        )
        .filter(Q(lease_expires_at__isnull=True) | Q(lease_expires_at__lte=now))
        .update(lease_expires_at=now + lease_length())
    )
    if not claimed:
        return None
    return Delivery.objects.select_related("subscription").get(pk=delivery_id)


def delivery_attempt(
    delivery: Delivery, *, manual: bool = False, rng: random.Random | None = None
) -> DeliveryAttempt:
    """POST the delivery once, log the attempt, and schedule the retry or record the end.

    An automatic attempt (manual=False) of an inactive subscription's delivery sends nothing
    and ends the delivery (dead). A manual one (a redelivery) always sends; when it fails,
    retries already scheduled stay scheduled and none are added.
    """
    subscription = delivery.subscription
    body = delivery_body(delivery)
    started_at = timezone.now()
    headers = signing.headers_sign(
        secret=subscription.secret, message_id=str(delivery.event_id), at=started_at, body=body
    )
    if not manual and not subscription.is_active:
        outcome = Outcome(None, "The subscription is disabled.", 0, "")
    else:
        outcome = _post(subscription.url, body, headers)
    with transaction.atomic():
        attempt = DeliveryAttempt.objects.create(
            delivery=delivery,
            started_at=started_at,
            status_code=outcome.status_code,
            error=outcome.error,
            succeeded=outcome.succeeded,
            latency_ms=outcome.latency_ms,
            response_excerpt=outcome.excerpt,
            request_headers=_logged_headers(headers),
            manual=manual,
        )
        _delivery_settle(delivery, outcome, manual=manual, rng=rng or _rng)
        _subscription_health(subscription, outcome)
        # Disabling the subscription may have ended this delivery's retries too.
        delivery.refresh_from_db(fields=["status", "next_attempt_at"])
    return attempt


def _post(url: str, body: bytes, headers: dict) -> Outcome:
    try:
        target = url_target(url)
    except UnsafeURL as refused:
        return Outcome(None, str(refused), 0, "")
    return http_post(
        target,
        body=body,
        headers=headers,
        connect_timeout=settings.WEBHOOK_CONNECT_TIMEOUT,
        read_timeout=settings.WEBHOOK_READ_TIMEOUT,
    )


def _logged_headers(headers: dict) -> dict:
    """The headers sent, as the log keeps them: the signature is left out."""
    logged = {key: value for key, value in headers.items() if key != signing.SIGNATURE_HEADER}
    return {"content-type": "application/json", **logged}


def _delivery_settle(delivery: Delivery, outcome: Outcome, *, manual: bool, rng) -> None:
    """Count the attempt and set the delivery's status and next attempt from its outcome."""
    now = timezone.now()
    Delivery.objects.filter(pk=delivery.pk).update(attempts=F("attempts") + 1)
    delivery.refresh_from_db(fields=["attempts", "next_attempt_at", "status"])
    if outcome.succeeded:
        status, next_attempt_at = Delivery.Status.SUCCEEDED, None
    elif manual:
        scheduled = delivery.status in SCHEDULED and delivery.next_attempt_at is not None
        status = Delivery.Status.FAILED if scheduled else Delivery.Status.DEAD
        next_attempt_at = delivery.next_attempt_at if scheduled else None
    elif _retries_over(delivery, now):
        status, next_attempt_at = Delivery.Status.DEAD, None
    else:
        delay = retry_delay(delivery.attempts, rng)
        status = Delivery.Status.FAILED
        next_attempt_at = now + datetime.timedelta(seconds=delay)
    delivery.status, delivery.next_attempt_at = status, next_attempt_at
    fields = ["status", "next_attempt_at", "updated_at"]
    if not manual:  # the automatic attempt held the lease; a manual one took none
        delivery.lease_expires_at = None
        fields.append("lease_expires_at")
    delivery.save(update_fields=fields)


def _retries_over(delivery: Delivery, now: datetime.datetime) -> bool:
    if not delivery.subscription.is_active:
        return True
    span = datetime.timedelta(seconds=settings.WEBHOOK_RETRY_SPAN)
    return now - delivery.created_at >= span


def _subscription_health(subscription: Subscription, outcome: Outcome) -> None:
    """Start or stop the failure clock; disable the subscription when it has run out."""
    now = timezone.now()
    rows = Subscription.objects.filter(pk=subscription.pk)
    if outcome.succeeded:
        rows.filter(failing_since__isnull=False).update(failing_since=None)
        subscription.failing_since = None
        return
    rows.filter(failing_since__isnull=True).update(failing_since=now)
    subscription.refresh_from_db(fields=["failing_since", "is_active"])
    failing_for = now - subscription.failing_since
    if subscription.is_active and failing_for.total_seconds() >= settings.WEBHOOK_DISABLE_AFTER:
        _subscription_disable(subscription, outcome, now)


def _subscription_disable(subscription: Subscription, outcome: Outcome, now) -> None:
    days = settings.WEBHOOK_DISABLE_AFTER / 86400
    reason = DISABLED_REASON.format(days=days, last=outcome.error or f"HTTP {outcome.status_code}")
    disabled = Subscription.objects.filter(pk=subscription.pk, is_active=True).update(
        is_active=False, disabled_at=now, disabled_reason=reason[:300], updated_at=now
    )
    if not disabled:
        return
    # Its scheduled retries end: they would only fail again. A redelivery can still send them.
    subscription.deliveries.filter(status__in=SCHEDULED).update(
        status=Delivery.Status.DEAD, next_attempt_at=None, updated_at=now
    )
    subscription.refresh_from_db()
    transaction.on_commit(lambda: subscription_disabled_send(subscription=subscription))


def lease_length() -> datetime.timedelta:
    """How long a claim holds a delivery: the attempt's longest duration (both timeouts)
    and WEBHOOK_LEASE_MARGIN."""
    seconds = (
        settings.WEBHOOK_CONNECT_TIMEOUT
        + settings.WEBHOOK_READ_TIMEOUT
        + settings.WEBHOOK_LEASE_MARGIN
    )
    return datetime.timedelta(seconds=seconds)
