"""The dispatcher: committed events become deliveries, once each, through one pending task."""

import time

import django_tasks.signals  # noqa: F401  (resets the task backends when TASKS is overridden)
import pytest
from django.conf import settings
from django.db import transaction
from django.test import override_settings
from django_tasks_db.models import DBTaskResult

from customers.models import Channel, Customer
from tests.conftest import api_client_for, patron_user_create
from tests.customers.factories import ChannelFactory
from tests.webhooks.conftest import subscription_for
from webhooks.dispatch import events_dispatch
from webhooks.models import Delivery, Dispatcher

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("private_allowed")]

# Tasks queued in the database and run by nobody: what was requested can be counted.
QUEUED_TASKS = {
    "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": [settings.TASK_QUEUE]}
}
DISPATCH = "webhooks.dispatch.webhooks_dispatch"


def dispatch_until(total: int, *, page_size: int = 500) -> int:
    """Dispatch until `total` events were read (on PostgreSQL the feed holds back events until
    every older transaction of the server has ended, other databases' too); return the count."""
    read, deadline = 0, time.monotonic() + 120
    while read < total and time.monotonic() < deadline:
        read += events_dispatch(page_size=page_size)
        time.sleep(0.05 if read < total else 0)
    return read


def dispatches_queued() -> int:
    return DBTaskResult.objects.filter(task_path=DISPATCH).count()


@pytest.fixture
def client():
    ChannelFactory(code="web", currency="USD")
    ChannelFactory(code="shop", currency="EUR")
    return api_client_for(patron_user_create("integrator"))


def create(client, email: str, channel: str = "web") -> int:
    response = client.post("/api/v1/customers/", {"channel": channel, "email": email})
    assert response.status_code == 201, response.data
    return response.data["id"]


def test_a_committed_write_is_delivered_through_the_dispatch(client, receiver):
    """Immediate backend (the test default): the dispatch and the attempt run on commit."""
    subscription = subscription_for(receiver.url, event_types=["customer.created"])
    customer_id = create(client, "ann@example.com")
    if not Delivery.objects.exists():  # the feed was held back (PostgreSQL): dispatch again
        dispatch_until(1)
    [delivery] = Delivery.objects.all()
    assert (delivery.subscription, delivery.status) == (subscription, "succeeded")
    assert delivery.payload["type"] == "customer.created"
    assert delivery.payload["object_id"] == customer_id
    assert delivery.payload["channel"] == "web"
    assert delivery.payload["data"]["email"] == "ann@example.com"
    assert delivery.payload["actor"]["source"] == "api"
    assert len(receiver.requests) == 1


@override_settings(TASKS=QUEUED_TASKS)
def test_one_dispatch_is_pending_however_many_writes_commit(client, receiver):
    subscription_for(receiver.url)
    # when: three writes commit while no worker runs
    for index in range(3):
        create(client, f"c{index}@example.com")
    # then: one dispatch task waits
    assert dispatches_queued() == 1
    assert Dispatcher.objects.get().requested_at is not None
    # when: it runs, every event gets its delivery, and the request is cleared
    assert dispatch_until(3) == 3
    assert Delivery.objects.count() == 3
    assert Dispatcher.objects.get().requested_at is None
    # then: the next write queues the next dispatch
    create(client, "c3@example.com")
    assert dispatches_queued() == 2


@override_settings(TASKS=QUEUED_TASKS)
def test_each_event_is_dispatched_once_in_pages(client, receiver):
    web_only = subscription_for(receiver.url, channels=[Channel.objects.get(code="web")])
    everything = subscription_for(receiver.url)
    ids = [
        create(client, f"c{index}@example.com", ("web", "shop")[index % 2]) for index in range(5)
    ]
    # when: pages of 2 events, then a second run with nothing new
    assert dispatch_until(5, page_size=2) == 5
    assert events_dispatch(page_size=2) == 0
    # then: one delivery per event and matching subscription, none twice
    made = sorted(Delivery.objects.values_list("subscription_id", "payload__object_id"))
    expected = [(everything.pk, pk) for pk in ids] + [(web_only.pk, pk) for pk in ids[::2]]
    assert made == sorted(expected)
    assert Dispatcher.objects.get().cursor


@override_settings(TASKS=QUEUED_TASKS)
def test_a_rolled_back_write_requests_nothing(client, receiver):
    subscription_for(receiver.url)

    def write_then_fail():
        with transaction.atomic():
            create(client, "gone@example.com")
            raise RuntimeError

    with pytest.raises(RuntimeError):
        write_then_fail()
    assert not Customer.objects.exists()
    assert dispatches_queued() == 0
    assert events_dispatch() == 0
    assert not Delivery.objects.exists()


def test_events_of_a_subscription_made_later_are_not_sent_before_it_existed(client, receiver):
    """The dispatcher sends what it reads to the subscriptions active then: events read
    before a subscription existed are not sent to it later."""
    create(client, "early@example.com")
    if not Dispatcher.objects.filter(dispatched_at__isnull=False).exists():  # held back
        dispatch_until(1)
    subscription_for(receiver.url)
    create(client, "late@example.com")
    if not Delivery.objects.exists():
        dispatch_until(1)
    assert list(Delivery.objects.values_list("payload__data__email", flat=True)) == [
        "late@example.com"
    ]
