"""From the outbox to deliveries: the dispatcher pages the events feed (config.outbox) after
its cursor and makes the deliveries of each page in one transaction with the cursor's advance,
so every committed event is turned into deliveries exactly once, whatever crashes between.

A write that commits events requests a dispatch (the `events_written` signal, on commit); a
request queues the `webhooks_dispatch` task unless one is already pending (Dispatcher.
requested_at), so a burst of writes costs one task, not one per write. The task clears the
request before it reads, so events committed while it runs request the next one. The sweep
(webhooks.sweep) re-queues a request whose task was lost and catches events that became
visible in the feed later than their commit (a long transaction held the feed back).
"""

import logging

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_tasks import task

from config.outbox import outbox_page
from webhooks.models import Dispatcher
from webhooks.services import deliveries_enqueue

logger = logging.getLogger(__name__)

# Events read, and turned into deliveries, per transaction.
DISPATCH_PAGE = 500


@task(queue_name=settings.TASK_QUEUE)
def webhooks_dispatch() -> int:
    """Make the deliveries of every event after the dispatcher's cursor; return how many
    events were read."""
    return events_dispatch()


def events_dispatch(*, page_size: int = DISPATCH_PAGE) -> int:
    """Page the feed from the dispatcher's cursor to its end, `page_size` events per
    transaction (deliveries made and cursor advanced together); return the events read."""
    Dispatcher.objects.get_or_create(pk=Dispatcher.ROW)
    # Cleared first: a write committing from now on requests another run.
    Dispatcher.objects.filter(pk=Dispatcher.ROW).update(requested_at=None)
    read = 0
    while True:
        with transaction.atomic():
            # Locked: two runs (a request re-queued by the sweep) take pages one after the other.
            dispatcher = Dispatcher.objects.select_for_update().get(pk=Dispatcher.ROW)
            events, cursor = outbox_page(dispatcher.cursor, page_size)
            if events:
                deliveries_enqueue(events=events)
                dispatcher.cursor = cursor
                dispatcher.dispatched_at = timezone.now()
                dispatcher.save(update_fields=["cursor", "dispatched_at"])
        read += len(events)
        if len(events) < page_size:
            return read


def dispatch_request() -> bool:
    """Queue a dispatch unless one is pending; return whether one was queued.

    A task engine that refuses it (a broker down) leaves the request pending: the sweep
    queues it again after WEBHOOK_SWEEP_GRACE.
    """
    now = timezone.now()
    rows = Dispatcher.objects.filter(pk=Dispatcher.ROW, requested_at__isnull=True)
    requested = bool(rows.update(requested_at=now))
    if not requested:
        _, requested = Dispatcher.objects.get_or_create(
            pk=Dispatcher.ROW, defaults={"requested_at": now}
        )
    if requested:
        _enqueue()
    return requested


def dispatch_resume(*, grace) -> bool:
    """The sweep's part: queue a dispatch when a request has waited longer than `grace` (its
    task was lost) or when, with none pending, the feed holds events after the cursor;
    return whether one was queued."""
    dispatcher = Dispatcher.objects.filter(pk=Dispatcher.ROW).first()
    if dispatcher is None or dispatcher.requested_at is None:
        events, _ = outbox_page(dispatcher.cursor if dispatcher else "", 1)
        return bool(events) and dispatch_request()
    now = timezone.now()
    if dispatcher.requested_at > now - grace:
        return False
    renewed = Dispatcher.objects.filter(
        pk=Dispatcher.ROW, requested_at=dispatcher.requested_at
    ).update(requested_at=now)
    if renewed:
        _enqueue()
    return bool(renewed)


def _enqueue() -> None:
    try:
        webhooks_dispatch.enqueue()
    except Exception:
        logger.exception("Webhook dispatch not enqueued; the sweep queues it again.")


def events_written_receive(sender, count: int, **kwargs) -> None:
    """`events_written`: request a dispatch once the writing transaction commits (once per
    transaction however many times it wrote events)."""
    connection = transaction.get_connection()
    if any(callback is dispatch_request for _, callback, _ in connection.run_on_commit):
        return
    transaction.on_commit(dispatch_request, robust=True)
