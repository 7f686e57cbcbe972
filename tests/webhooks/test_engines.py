"""Webhooks end to end on each real task engine (tests/engines.py: the database backend and
RQ on the local Redis, two worker processes each) against a real HTTP receiver: a committed
write requests a dispatch, a worker turns its events into deliveries, workers POST them,
retry them with growing delays, and a delivery whose workers were all killed mid-attempt is
delivered after they restart (the scheduler's sweep re-queues it)."""

import io
import time

import django_tasks.signals  # noqa: F401  (resets the task backends when TASKS is overridden)
import pytest
from django.core.management import call_command
from django.test import override_settings
from standardwebhooks import Webhook

from tests.conftest import api_client_for, patron_user_create
from tests.customers.factories import ChannelFactory
from tests.engines import engine_fixtures
from tests.webhooks.conftest import Answer, subscription_for
from webhooks.models import Delivery, DeliveryAttempt

RETRY_SCHEDULE = (1, 4, 12)
JITTER = 0.2
# A deferred task may run up to a second early (webhooks.attempts.EARLY: RQ keeps whole seconds).
EARLY = 1
READ_TIMEOUT = 20
# The workers' settings: the local receiver allowed, seconds-long retries, a short lease margin
# (a lease is both timeouts + the margin: 2 + 20 + 1 s).
WORKER_ENV = {
    "WEBHOOK_ALLOW_PRIVATE_ADDRESSES": "1",
    "WEBHOOK_CONNECT_TIMEOUT": "2",
    "WEBHOOK_READ_TIMEOUT": str(READ_TIMEOUT),
    "WEBHOOK_LEASE_MARGIN": "1",
    "WEBHOOK_RETRY_SCHEDULE": ",".join(map(str, RETRY_SCHEDULE)),
}
# Generous: the machine may be loaded; each wait polls and ends as soon as it can.
TIMEOUT = 180

_engines, engine = engine_fixtures(["database", "rq"], WORKER_ENV)


@pytest.fixture(autouse=True)
def _test_process_settings():
    """The test process makes subscriptions to the local receiver and runs the sweep."""
    with override_settings(
        WEBHOOK_ALLOW_PRIVATE_ADDRESSES=True,
        WEBHOOK_CONNECT_TIMEOUT=2,
        WEBHOOK_READ_TIMEOUT=READ_TIMEOUT,
        WEBHOOK_LEASE_MARGIN=1,
        WEBHOOK_SWEEP_GRACE=30,
    ):
        yield


class Scheduler:
    """`manage.py run_scheduler --once` about every second, as the scheduler runs: it
    dispatches events the feed showed late (on PostgreSQL, until every older transaction of
    the server has ended) and re-queues what workers lost."""

    def __init__(self):
        self.last = 0.0

    def __call__(self):
        if time.monotonic() - self.last >= 1:
            call_command("run_scheduler", "--once", stdout=io.StringIO())
            self.last = time.monotonic()


def wait_for(condition, message, *, timeout: float = TIMEOUT, every=None):
    """Poll `condition` (calling `every` between looks) until it is true; fail after timeout
    with `message` (or what it returns)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"after {timeout} s: {message() if callable(message) else message}")
        if every is not None:
            every()
        time.sleep(0.1)


def attempts_logged() -> list:
    """What each attempt got, for a failure's message."""
    rows = DeliveryAttempt.objects.order_by("id").values_list("status_code", "error", "started_at")
    return [*Delivery.objects.values_list("status", "next_attempt_at"), *rows]


def customer_create_by_api(email: str) -> int:
    """A customer created through the API, committed: its events request a dispatch."""
    ChannelFactory(code="web", currency="USD")
    client = api_client_for(patron_user_create(f"integrator-{email}"))
    response = client.post("/api/v1/customers/", {"channel": "web", "email": email}, format="json")
    assert response.status_code == 201, response.data
    return response.data["id"]


def test_a_receiver_failing_three_times_gets_the_event_four_times_with_growing_delays(
    engine, receiver
):
    # given: a receiver that fails three times, then accepts
    receiver.answer(Answer(500, b"down"), Answer(502), Answer(503), Answer(200))
    subscription = subscription_for(receiver.url, event_types=["customer.created"])
    # when: a customer is created
    customer_id = customer_create_by_api("ann@example.com")
    # then: the workers dispatch the event and deliver it on the fourth attempt
    wait_for(
        lambda: Delivery.objects.filter(status="succeeded").exists(),
        lambda: f"not delivered ({attempts_logged()}); workers' log: {engine.log}",
        every=Scheduler(),
    )
    assert len(receiver.requests) == 4
    delivery = Delivery.objects.get()
    assert (delivery.event_type, delivery.attempts) == ("customer.created", 4)
    log = list(delivery.attempt_log.order_by("id").values_list("status_code", "succeeded"))
    assert log == [(500, False), (502, False), (503, False), (200, True)]
    # the same event each time, signed per Standard Webhooks with the subscription's secret
    webhook = Webhook(subscription.secret)
    bodies = [webhook.verify(r.body, r.headers) for r in receiver.requests]
    assert {r.headers["webhook-id"] for r in receiver.requests} == {str(delivery.event_id)}
    assert all(body == bodies[0] for body in bodies)
    assert bodies[0]["type"] == "customer.created"
    assert bodies[0]["data"]["id"] == customer_id
    assert bodies[0]["data"]["email"] == "ann@example.com"
    # each wait is at least its scheduled delay (less the jitter) and longer than the last
    at = [r.at for r in receiver.requests]
    gaps = [later - earlier for earlier, later in zip(at, at[1:], strict=False)]
    for gap, delay in zip(gaps, RETRY_SCHEDULE, strict=True):
        assert gap >= delay * (1 - JITTER) - EARLY, gaps
    assert gaps[0] < gaps[1] < gaps[2], gaps


def test_killing_every_worker_mid_delivery_loses_nothing(engine, receiver, settings):
    # given: a receiver that holds the first request (the attempt is in flight), then accepts
    receiver.answer(Answer(sleep=READ_TIMEOUT + 10), Answer(200))
    subscription = subscription_for(receiver.url, event_types=["customer.created"])
    customer_create_by_api("bob@example.com")
    wait_for(
        lambda: len(receiver.requests) == 1,
        f"no attempt started; see {engine.log}",
        every=Scheduler(),
    )
    # when: every worker is killed mid-attempt (SIGKILL: no outcome written), then restarted
    engine.kill()
    delivery = Delivery.objects.get()
    assert delivery.status == "pending"
    assert delivery.lease_expires_at is not None  # held by the dead worker
    assert not delivery.attempt_log.exists()
    engine.start()
    settings.WEBHOOK_SWEEP_GRACE = 0
    # then: once the lease is over, the scheduler's sweep re-queues it and a new worker
    # delivers it, as the same message (same webhook-id)
    wait_for(
        lambda: Delivery.objects.filter(status="succeeded").exists(),
        lambda: f"not delivered after the restart ({attempts_logged()}); log: {engine.log}",
        every=Scheduler(),
    )
    assert len(receiver.requests) == 2
    first, again = receiver.requests
    assert again.headers["webhook-id"] == first.headers["webhook-id"] == str(delivery.event_id)
    body = Webhook(subscription.secret).verify(again.body, again.headers)
    assert body["type"] == "customer.created"
    assert body["data"]["email"] == "bob@example.com"
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.lease_expires_at) == ("succeeded", 1, None)
