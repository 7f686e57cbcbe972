"""The sweep: due deliveries whose task was lost are queued again, held ones are left alone,
and a lost or missing dispatch is requested again."""

import datetime
import io

import django_tasks.signals  # noqa: F401  (resets the task backends when TASKS is overridden)
import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from events.models import Event
from tests.webhooks.conftest import event, subscription_for
from webhooks.models import Delivery, DeliveryAttempt, Dispatcher
from webhooks.services import deliveries_enqueue
from webhooks.sweep import webhooks_sweep

QUEUED_TASKS = {
    "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": [settings.TASK_QUEUE]}
}
IMMEDIATE_TASKS = {
    "default": {
        "BACKEND": "django_tasks.backends.immediate.ImmediateBackend",
        "QUEUES": [settings.TASK_QUEUE],
    }
}
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("private_allowed")]


@pytest.fixture(autouse=True)
def _queued_tasks():
    """Tasks queued in the database and run by nobody: what the sweep queued is counted."""
    with override_settings(TASKS=QUEUED_TASKS, WEBHOOK_SWEEP_GRACE=60):
        yield


def ago(seconds: float) -> datetime.datetime:
    return timezone.now() - datetime.timedelta(seconds=seconds)


def queued(task: str) -> list:
    return list(
        DBTaskResult.objects.filter(task_path=task).values_list("args_kwargs__args", flat=True)
    )


@pytest.fixture
def deliveries(receiver):
    subscription_for(receiver.url)
    made = deliveries_enqueue(events=[event() for _ in range(5)])
    DBTaskResult.objects.all().delete()  # their first tasks: lost
    return made


def test_stranded_deliveries_are_queued_again_once_per_grace_period(deliveries, receiver):
    lost, lease_over, held, recent, done = deliveries
    Delivery.objects.filter(pk=lost.pk).update(next_attempt_at=ago(61))
    Delivery.objects.filter(pk=lease_over.pk).update(
        next_attempt_at=ago(300), lease_expires_at=ago(1)
    )
    Delivery.objects.filter(pk=held.pk).update(next_attempt_at=ago(300), lease_expires_at=ago(-30))
    Delivery.objects.filter(pk=recent.pk).update(next_attempt_at=ago(30))
    Delivery.objects.filter(pk=done.pk).update(status="succeeded", next_attempt_at=None)
    # when
    counts = webhooks_sweep()
    # then: the two no worker holds, due for longer than the grace period
    assert counts["requeued"] == 2
    assert sorted(queued("webhooks.tasks.delivery_attempt_task")) == sorted(
        [[lost.pk], [lease_over.pk]]
    )
    lease_over.refresh_from_db()
    assert lease_over.lease_expires_at is None
    assert lease_over.next_attempt_at > ago(5)
    # and the next sweep leaves them alone for another grace period
    assert webhooks_sweep()["requeued"] == 0
    assert receiver.requests == []  # the sweep only queues; workers send


def test_a_requeued_delivery_is_sent_once_by_a_worker(deliveries, receiver):
    Delivery.objects.update(next_attempt_at=ago(61))
    with override_settings(
        TASKS={
            **QUEUED_TASKS,
            "default": {
                **QUEUED_TASKS["default"],
                "BACKEND": ("django_tasks.backends.immediate.ImmediateBackend"),
            },
        }
    ):
        assert webhooks_sweep()["requeued"] == 5
    assert len(receiver.requests) == 5
    assert set(Delivery.objects.values_list("status", flat=True)) == {"succeeded"}
    assert DeliveryAttempt.objects.count() == 5


def test_a_lost_dispatch_request_is_renewed_and_a_pending_one_is_left(db):
    Dispatcher.objects.create(pk=Dispatcher.ROW, requested_at=ago(30))
    assert webhooks_sweep()["dispatch"] == 0
    assert queued("webhooks.dispatch.webhooks_dispatch") == []
    Dispatcher.objects.update(requested_at=ago(61))
    assert webhooks_sweep()["dispatch"] == 1
    assert len(queued("webhooks.dispatch.webhooks_dispatch")) == 1
    assert Dispatcher.objects.get().requested_at > ago(5)


def test_events_past_the_cursor_with_no_request_get_a_dispatch(db):
    """An event that became visible in the feed after its write's request ran (a long
    transaction held the feed back) is dispatched by the next sweep."""
    Dispatcher.objects.create(pk=Dispatcher.ROW)
    assert webhooks_sweep()["dispatch"] == 0
    Event.objects.create(type="customer.created", object_type="customer", object_id=1)
    assert webhooks_sweep()["dispatch"] == 1
    assert len(queued("webhooks.dispatch.webhooks_dispatch")) == 1


def test_run_scheduler_once_sweeps_and_purges(deliveries):
    old = ago(31 * 86400)
    stale, stranded = deliveries[:2]
    Delivery.objects.filter(pk=stale.pk).update(status="succeeded", created_at=old)
    Delivery.objects.filter(pk=stranded.pk).update(next_attempt_at=ago(61))
    Event.objects.create(
        type="customer.created", object_type="customer", object_id=1, occurred_at=old
    )
    out = io.StringIO()
    call_command("run_scheduler", "--once", stdout=out)
    assert "sweep: requeued 1" in out.getvalue()
    assert "purge: events 1, deliveries 1" in out.getvalue()
    assert not Delivery.objects.filter(pk=stale.pk).exists()
    assert queued("webhooks.tasks.delivery_attempt_task") == [[stranded.pk]]
