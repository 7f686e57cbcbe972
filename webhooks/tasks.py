"""Deliveries on the task engine (Django's Tasks API): one task run is one attempt.

A failed attempt enqueues the next one with `run_after` at its retry time. A backend that
cannot defer tasks (ImmediateBackend) runs first attempts only; `manage.py deliver_webhooks`
(from cron, or the worker's schedule) then makes the retries, and is the safety net for tasks
lost with a worker.
"""

from django.conf import settings
from django.utils import timezone
from django_tasks import task

from webhooks.attempts import delivery_attempt, delivery_claim
from webhooks.models import Delivery

SKIPPED = "skipped"


@task(queue_name=settings.TASK_QUEUE)
def delivery_attempt_task(delivery_id: int) -> str:
    """Attempt the delivery if it is still due; enqueue the next try when it failed."""
    delivery = delivery_claim(delivery_id=delivery_id)
    if delivery is None:
        return SKIPPED
    delivery_attempt(delivery)
    delivery_schedule(delivery)
    return delivery.status


def delivery_schedule(delivery: Delivery):
    """Enqueue the delivery's next attempt for its next_attempt_at; return the TaskResult, or
    None when nothing is due to be scheduled or the backend cannot defer."""
    scheduled = (Delivery.Status.PENDING, Delivery.Status.FAILED)
    if delivery.status not in scheduled or delivery.next_attempt_at is None:
        return None
    runner = delivery_attempt_task
    if delivery.next_attempt_at > timezone.now():
        if not runner.get_backend().supports_defer:
            return None
        runner = runner.using(run_after=delivery.next_attempt_at)
    return runner.enqueue(delivery.pk)
