"""Fan-out of events into deliveries, auto-disabling after 3 days of failures, and
deliver_webhooks."""

import datetime
import decimal
import io
import uuid

import django_tasks.signals  # noqa: F401  (resets the task backends when TASKS is overridden)
import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone
from django_tasks.backends.dummy import DummyBackend

from tests.customers.factories import ChannelFactory
from tests.webhooks.conftest import Answer, event, subscription_for
from webhooks.emails import DISABLED_SUBJECT
from webhooks.models import Delivery, Subscription
from webhooks.services import (
    deliveries_enqueue,
    delivery_attempt,
    delivery_redeliver,
    event_type_matches,
)

pytestmark = pytest.mark.django_db

PUBLIC_URL = "https://93.184.216.34/hooks"


@pytest.mark.parametrize(
    ("patterns", "event_type", "matches"),
    [
        (["*"], "customer.updated", True),
        (["customer.*"], "customer.deleted", True),
        (["customer.*"], "customers.deleted", False),
        (["customer.updated"], "customer.updated", True),
        (["customer.updated"], "customer.created", False),
        (["order.*", "membership.added"], "membership.added", True),
        (["order.*"], "customer.created", False),
    ],
)
def test_event_type_patterns(patterns, event_type, matches):
    assert event_type_matches(patterns, event_type) is matches


def test_events_fan_out_to_matching_active_subscriptions_in_their_channel():
    # given
    web, shop = ChannelFactory(code="web"), ChannelFactory(code="shop")
    every = subscription_for(PUBLIC_URL)
    web_customers = subscription_for(PUBLIC_URL, event_types=["customer.*"], channels=[web])
    shop_only = subscription_for(PUBLIC_URL, channels=[shop])
    subscription_for(PUBLIC_URL, is_active=False)
    events = [
        event("customer.updated", "web"),
        event("order.created", "web"),
        event("customer.created", "shop"),
        event("group.updated", None),
    ]
    # when
    created = deliveries_enqueue(events=events)
    # then
    got = {(d.subscription_id, str(d.event_id)) for d in created}
    ids = [e["id"] for e in events]
    assert got == {
        (every.pk, ids[0]),
        (every.pk, ids[1]),
        (every.pk, ids[2]),
        (every.pk, ids[3]),
        (web_customers.pk, ids[0]),
        (shop_only.pk, ids[2]),
    }
    assert Delivery.objects.count() == 6
    assert all(d.status == "pending" and d.next_attempt_at is not None for d in created)


def test_enqueueing_an_event_twice_delivers_it_once():
    subscription_for(PUBLIC_URL)
    sent = event()
    assert len(deliveries_enqueue(events=[sent])) == 1
    assert deliveries_enqueue(events=[sent]) == []
    assert Delivery.objects.count() == 1


@pytest.mark.parametrize("events", [3, 30])
def test_enqueueing_is_set_based(django_assert_num_queries, events):
    """Subscriptions, their channels, one insert, one read back: whatever the event count."""
    for _ in range(3):
        subscription_for(PUBLIC_URL)
    with django_assert_num_queries(4):
        created = deliveries_enqueue(events=[event() for _ in range(events)])
    assert len(created) == 3 * events


@pytest.mark.parametrize(
    "bad",
    [
        pytest.param({"type": "customer.updated"}, id="no-id"),
        pytest.param({"id": "nope", "type": "customer.updated"}, id="bad-id"),
        pytest.param({"id": str(uuid.uuid4())}, id="no-type"),
    ],
)
def test_an_event_without_id_or_type_is_refused(bad):
    subscription_for(PUBLIC_URL)
    with pytest.raises(ValueError, match="Event 1: needs an 'id'"):
        deliveries_enqueue(events=[event(), bad])
    assert not Delivery.objects.exists()


@pytest.fixture
def staff_mailboxes(db):
    users = get_user_model().objects
    users.create_user("ops", email="ops@example.com", is_staff=True)
    users.create_user("mute", email="", is_staff=True)
    users.create_user("customer-care", email="care@example.com", is_staff=False)
    return ["ops@example.com", "admin@example.com"]


@override_settings(
    WEBHOOK_ALLOW_PRIVATE_ADDRESSES=True,
    WEBHOOK_READ_TIMEOUT=1,
    ADMINS=[("Admin", "admin@example.com")],
)
def test_a_subscription_failing_for_3_days_is_disabled_and_staff_get_an_email(
    receiver, staff_mailboxes, django_capture_on_commit_callbacks
):
    # given: failing for a bit less than 3 days, with a retry scheduled
    receiver.answer(Answer(503, b"down"))
    subscription = subscription_for(receiver.url)
    [delivery, waiting] = deliveries_enqueue(events=[event(), event()])
    Delivery.objects.filter(pk=waiting.pk).update(status="failed")
    almost = timezone.now() - datetime.timedelta(days=3) + datetime.timedelta(minutes=5)
    Subscription.objects.filter(pk=subscription.pk).update(failing_since=almost)
    # when: it fails once more before 3 days are over
    with django_capture_on_commit_callbacks(execute=True):
        delivery_attempt(delivery)
    # then: still active, no mail
    subscription.refresh_from_db()
    assert subscription.is_active
    assert mail.outbox == []
    # when: it fails after 3 days
    over = timezone.now() - datetime.timedelta(days=3, seconds=1)
    Subscription.objects.filter(pk=subscription.pk).update(failing_since=over)
    with django_capture_on_commit_callbacks(execute=True):
        delivery_attempt(delivery)
    # then
    subscription.refresh_from_db()
    assert not subscription.is_active
    assert subscription.disabled_at is not None
    assert subscription.disabled_reason == "Every delivery failed for 3 days; last: HTTP 503"
    [message] = mail.outbox
    assert message.subject == DISABLED_SUBJECT.format(id=subscription.pk, days="3")
    assert message.to == staff_mailboxes
    assert receiver.url in message.body
    assert {d.status for d in Delivery.objects.all()} == {"dead"}
    # and a later failure sends no second mail; automatic attempts send nothing
    with django_capture_on_commit_callbacks(execute=True):
        attempt = delivery_attempt(delivery)
    assert attempt.error == "The subscription is disabled."
    assert len(mail.outbox) == 1
    assert len(receiver.requests) == 2


@override_settings(WEBHOOK_ALLOW_PRIVATE_ADDRESSES=True)
def test_a_success_stops_the_failure_clock(receiver):
    receiver.answer(Answer(500), Answer(200))
    subscription = subscription_for(receiver.url)
    [delivery] = deliveries_enqueue(events=[event()])
    delivery_attempt(delivery)
    subscription.refresh_from_db()
    assert subscription.failing_since is not None
    delivery_attempt(delivery)
    subscription.refresh_from_db()
    assert subscription.failing_since is None


@override_settings(WEBHOOK_ALLOW_PRIVATE_ADDRESSES=True)
def test_a_failed_redelivery_keeps_the_scheduled_retry(receiver):
    receiver.answer(Answer(500))
    subscription_for(receiver.url)
    [delivery] = deliveries_enqueue(events=[event()])
    delivery_attempt(delivery)
    delivery.refresh_from_db()
    scheduled = delivery.next_attempt_at
    attempt = delivery_redeliver(delivery=delivery)
    delivery.refresh_from_db()
    assert attempt.manual
    assert (delivery.status, delivery.next_attempt_at, delivery.attempts) == (
        "failed",
        scheduled,
        2,
    )


@override_settings(WEBHOOK_ALLOW_PRIVATE_ADDRESSES=True)
def test_deliver_webhooks_attempts_what_is_due(receiver):
    # given: one due, one due later, one done
    receiver.answer(Answer(200))
    subscription_for(receiver.url)
    due, later, done = deliveries_enqueue(events=[event(), event(), event()])
    Delivery.objects.filter(pk=later.pk).update(
        status="failed", next_attempt_at=timezone.now() + datetime.timedelta(minutes=2)
    )
    Delivery.objects.filter(pk=done.pk).update(status="succeeded", next_attempt_at=None)
    out = io.StringIO()
    # when
    call_command("deliver_webhooks", stdout=out)
    # then
    assert out.getvalue() == "1 due deliveries attempted: succeeded 1\n"
    assert [r.headers["webhook-id"] for r in receiver.requests] == [str(due.event_id)]
    # and a second run finds nothing due
    out = io.StringIO()
    call_command("deliver_webhooks", stdout=out)
    assert out.getvalue() == "0 due deliveries attempted\n"


class BrokerDownBackend(DummyBackend):
    """A task backend whose broker cannot be reached."""

    def enqueue(self, task, args, kwargs):
        raise ConnectionError("broker unreachable")


@override_settings(
    TASKS={
        "default": {
            "BACKEND": f"{__name__}.BrokerDownBackend",
            "QUEUES": [settings.TASK_QUEUE],
        }
    }
)
def test_a_task_backend_failure_leaves_the_deliveries_due(django_capture_on_commit_callbacks):
    subscription_for(PUBLIC_URL)
    with django_capture_on_commit_callbacks(execute=True):
        [delivery] = deliveries_enqueue(events=[event(), event()])[:1]
    delivery.refresh_from_db()
    assert delivery.status == "pending"
    assert delivery.next_attempt_at <= timezone.now()
    assert Delivery.objects.filter(status="pending").count() == 2


def test_event_payloads_may_hold_dates_and_decimals():
    subscription_for(PUBLIC_URL)
    occurred = timezone.now()
    sent = event(occurred_at=occurred, payload={"total": decimal.Decimal("9.90"), "at": occurred})
    [delivery] = deliveries_enqueue(events=[sent])
    delivery.refresh_from_db()
    assert delivery.payload["timestamp"] == occurred.isoformat()
    assert delivery.payload["data"]["total"] == "9.90"
