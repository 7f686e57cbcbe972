"""Deliveries to a real local HTTP receiver: signatures, retries on the task engine, timeouts,
redirects and the attempt log."""

import datetime
import json
import random
import socket
import threading
import time

import django_tasks.signals  # noqa: F401  (resets the task backends when TASKS is overridden)
import pytest
from django.conf import settings
from django.test import override_settings
from django.utils import timezone
from django_tasks import default_task_backend
from standardwebhooks import Webhook

from tests.webhooks.conftest import Answer, event, subscription_for
from webhooks.attempts import delivery_claim
from webhooks.models import Delivery, DeliveryAttempt
from webhooks.retries import BASE_DELAYS, JITTER, retry_delay
from webhooks.services import deliveries_due_attempt, deliveries_enqueue, delivery_attempt
from webhooks.tasks import delivery_attempt_task

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("private_allowed")]

# The tasks are declared on settings.TASK_QUEUE (the test run's own queue): the backends serve it.
DUMMY_TASKS = {
    "default": {
        "BACKEND": "django_tasks.backends.dummy.DummyBackend",
        "QUEUES": [settings.TASK_QUEUE],
    }
}
IMMEDIATE_TASKS = {
    "default": {
        "BACKEND": "django_tasks.backends.immediate.ImmediateBackend",
        "QUEUES": [settings.TASK_QUEUE],
    }
}


def test_delivery_is_signed_per_standard_webhooks(receiver):
    # given
    subscription = subscription_for(receiver.url)
    sent = event()
    [delivery] = deliveries_enqueue(events=[sent])
    # when
    attempt = delivery_attempt(delivery)
    # then
    [request] = receiver.requests
    body = Webhook(subscription.secret).verify(request.body, request.headers)
    assert body["id"] == sent["id"]
    assert body["type"] == "customer.updated"
    assert body["timestamp"] == "2026-01-02T03:04:05+00:00"
    assert body["data"] == {"id": 7, "email": "ann@example.com"}
    assert body["channel"] == "web"
    assert request.headers["webhook-id"] == sent["id"]
    assert request.headers["Content-Type"] == "application/json"
    assert attempt.succeeded
    assert attempt.status_code == 200
    assert attempt.response_excerpt == "ok"
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.next_attempt_at) == ("succeeded", 1, None)


def test_another_secret_does_not_verify(receiver):
    subscription_for(receiver.url)
    [delivery] = deliveries_enqueue(events=[event()])
    delivery_attempt(delivery)
    [request] = receiver.requests
    other = subscription_for(receiver.url)
    with pytest.raises(Exception, match="No matching signature"):
        Webhook(other.secret).verify(request.body, request.headers)


def test_logged_headers_leave_the_signature_out(receiver):
    subscription_for(receiver.url)
    [delivery] = deliveries_enqueue(events=[event()])
    attempt = delivery_attempt(delivery)
    assert set(attempt.request_headers) == {"content-type", "webhook-id", "webhook-timestamp"}
    assert "webhook-signature" in receiver.requests[0].headers


@pytest.mark.parametrize("attempt", range(1, 20))
def test_retry_delay_stays_within_its_jitter_bounds(attempt):
    base = BASE_DELAYS[min(attempt, len(BASE_DELAYS)) - 1]
    rng = random.Random(attempt)
    for _ in range(200):
        assert base * (1 - JITTER) <= retry_delay(attempt, rng) <= base * (1 + JITTER)


def test_first_two_retries_come_within_30_seconds_and_the_waits_grow():
    lowest, highest = random.Random(), random.Random()
    lowest.uniform = lambda low, high: low
    highest.uniform = lambda low, high: high
    assert retry_delay(1, highest) + retry_delay(2, highest) <= 30
    for attempt in range(1, len(BASE_DELAYS) - 1):
        assert retry_delay(attempt + 1, lowest) >= retry_delay(attempt, highest)


def test_retries_span_at_least_three_days():
    """Retries go on until the span is over: the waits add up past 72 hours in a finite
    number of attempts, and none is longer than 8 hours (+ jitter)."""
    lowest = random.Random()
    lowest.uniform = lambda low, high: low
    total, attempt = 0.0, 0
    while total < 72 * 3600:
        attempt += 1
        total += retry_delay(attempt, lowest)
    assert attempt < 30
    assert max(BASE_DELAYS) * (1 + JITTER) <= 10 * 3600


def _run_due(result) -> str:
    """Run an enqueued attempt as a worker does once its run_after has come."""
    delivery_id = result.args[0]
    Delivery.objects.filter(pk=delivery_id).update(next_attempt_at=timezone.now())
    return delivery_attempt_task.call(*result.args, **result.kwargs)


@override_settings(TASKS=DUMMY_TASKS)
def test_a_receiver_failing_three_times_gets_the_event_four_times_with_growing_delays(
    receiver, django_capture_on_commit_callbacks
):
    # given
    receiver.answer(Answer(500), Answer(502), Answer(503), Answer(200))
    subscription = subscription_for(receiver.url)
    backend = default_task_backend
    backend.clear()
    sent = event()
    # when: the event is enqueued (its first attempt scheduled on commit) and each scheduled
    # task runs when due
    with django_capture_on_commit_callbacks(execute=True):
        [delivery] = deliveries_enqueue(events=[sent])
    outcomes, delays = [], []
    while backend.results and len(outcomes) < 10:
        result = backend.results.pop(0)
        if result.task.run_after is not None:
            attempt = DeliveryAttempt.objects.filter(delivery=delivery).last()
            delays.append((result.task.run_after - attempt.started_at).total_seconds())
        outcomes.append(_run_due(result))
    # then
    assert outcomes == ["failed", "failed", "failed", "succeeded"]
    assert len(receiver.requests) == 4
    assert {request.headers["webhook-id"] for request in receiver.requests} == {sent["id"]}
    for request in receiver.requests:
        Webhook(subscription.secret).verify(request.body, request.headers)
    assert len(delays) == 3
    assert delays == sorted(delays)
    assert delays[0] < delays[1] < delays[2]
    assert delays[0] > 0
    assert delays[0] + delays[1] <= 30.5
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("succeeded", 4)
    log = list(delivery.attempt_log.values_list("status_code", "succeeded"))
    assert log == [(500, False), (502, False), (503, False), (200, True)]


@override_settings(TASKS=IMMEDIATE_TASKS)
def test_immediate_backend_sends_at_commit_and_leaves_retries_to_the_command(
    receiver, django_capture_on_commit_callbacks
):
    # given: a backend that cannot defer tasks
    receiver.answer(Answer(500), Answer(204))
    subscription_for(receiver.url)
    # when
    with django_capture_on_commit_callbacks(execute=True):
        [delivery] = deliveries_enqueue(events=[event()])
    # then: the first attempt ran at commit; the retry waits for deliver_webhooks
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, len(receiver.requests)) == ("failed", 1, 1)
    assert delivery.next_attempt_at > timezone.now()


def test_a_claimed_delivery_is_not_attempted_twice(receiver):
    subscription_for(receiver.url)
    [delivery] = deliveries_enqueue(events=[event()])
    Delivery.objects.filter(pk=delivery.pk).update(
        next_attempt_at=timezone.now() + datetime.timedelta(seconds=30)
    )
    assert delivery_attempt_task.call(delivery.pk) == "skipped"
    assert receiver.requests == []


def test_a_worker_lost_mid_attempt_leaves_the_delivery_due_again(receiver):
    """A claim is a lease: while it lasts nobody else sends the delivery; when it runs out
    with no outcome written (the worker died), deliver_webhooks sends it."""
    # given: a worker claimed the delivery and died before writing an outcome
    subscription_for(receiver.url)
    [delivery] = deliveries_enqueue(events=[event()])
    claimed = delivery_claim(delivery_id=delivery.pk)
    assert claimed is not None
    # when: its task is retried, or cron runs, during the lease
    assert delivery_attempt_task.call(delivery.pk) == "skipped"
    assert deliveries_due_attempt() == {}
    # then: nothing was sent twice; once the lease is over it is delivered
    assert receiver.requests == []
    claimed.refresh_from_db()
    # both timeouts (2 + 1 s, private_allowed) and WEBHOOK_LEASE_MARGIN (60 s)
    assert claimed.lease_expires_at > timezone.now() + datetime.timedelta(seconds=62)
    assert claimed.lease_expires_at < timezone.now() + datetime.timedelta(seconds=64)
    Delivery.objects.filter(pk=delivery.pk).update(
        lease_expires_at=timezone.now() - datetime.timedelta(seconds=1)
    )
    assert deliveries_due_attempt() == {"succeeded": 1}
    assert len(receiver.requests) == 1
    claimed.refresh_from_db()
    assert (claimed.status, claimed.lease_expires_at) == ("succeeded", None)


def test_redirects_are_not_followed(receiver):
    # given
    receiver.answer(Answer(302, b"moved", {"Location": "http://169.254.169.254/latest/"}))
    subscription_for(receiver.url)
    [delivery] = deliveries_enqueue(events=[event()])
    # when
    attempt = delivery_attempt(delivery)
    # then
    assert (attempt.status_code, attempt.succeeded) == (302, False)
    assert len(receiver.requests) == 1
    delivery.refresh_from_db()
    assert delivery.status == "failed"


def test_a_receiver_sleeping_past_the_timeout_fails_the_attempt_at_the_timeout(receiver):
    # given: WEBHOOK_READ_TIMEOUT=1 (private_allowed)
    receiver.answer(Answer(200, sleep=3))
    subscription_for(receiver.url)
    [delivery] = deliveries_enqueue(events=[event()])
    # when
    attempt = delivery_attempt(delivery)
    # then
    assert attempt.status_code is None
    assert attempt.error.startswith("Timed out after 1.")
    assert 900 <= attempt.latency_ms < 2000
    delivery.refresh_from_db()
    assert delivery.status == "failed"


@override_settings(WEBHOOK_READ_TIMEOUT=0.5, WEBHOOK_CONNECT_TIMEOUT=0.5)
def test_an_answer_trickling_in_is_cut_at_the_overall_deadline(receiver):
    """Each read is within the read timeout, but the whole answer is not: the timer ends it."""

    # given: a receiver writing its status line slowly, a byte every 0.3 s
    server_socket = socket.socket()
    server_socket.bind(("127.0.0.1", 0))
    server_socket.listen(1)
    port = server_socket.getsockname()[1]

    def trickle():
        connection, _ = server_socket.accept()
        connection.recv(65536)
        try:
            for byte in b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok":
                connection.send(bytes([byte]))
                time.sleep(0.3)
        except OSError:
            pass
        connection.close()

    thread = threading.Thread(target=trickle, daemon=True)
    thread.start()
    subscription_for(f"http://127.0.0.1:{port}/slow")
    [delivery] = deliveries_enqueue(events=[event()])
    # when
    attempt = delivery_attempt(delivery)
    # then
    server_socket.close()
    assert attempt.status_code is None
    assert attempt.error.startswith("Timed out after 1.")
    assert attempt.latency_ms < 1500


def test_the_response_excerpt_is_capped_at_1_kb(receiver):
    receiver.answer(Answer(200, b"x" * 50_000))
    subscription_for(receiver.url)
    [delivery] = deliveries_enqueue(events=[event()])
    attempt = delivery_attempt(delivery)
    assert attempt.response_excerpt == "x" * 1024


def test_a_refused_connection_is_a_failed_attempt(receiver):
    receiver.server.shutdown()
    receiver.server.server_close()
    subscription_for(receiver.url)
    [delivery] = deliveries_enqueue(events=[event()])
    attempt = delivery_attempt(delivery)
    assert attempt.status_code is None
    assert attempt.error.startswith("Connection failed:")


def test_retries_end_when_the_span_is_over(receiver):
    # given: a delivery made more than 3 days ago
    receiver.answer(Answer(500))
    subscription_for(receiver.url)
    [delivery] = deliveries_enqueue(events=[event()])
    Delivery.objects.filter(pk=delivery.pk).update(
        created_at=timezone.now() - datetime.timedelta(days=3, seconds=1)
    )
    delivery.refresh_from_db()
    # when
    delivery_attempt(delivery)
    # then
    delivery.refresh_from_db()
    assert (delivery.status, delivery.next_attempt_at) == ("dead", None)


def test_body_is_the_same_bytes_on_every_attempt(receiver):
    receiver.answer(Answer(500), Answer(200))
    subscription_for(receiver.url)
    [delivery] = deliveries_enqueue(events=[event()])
    delivery_attempt(delivery)
    delivery_attempt(delivery)
    first, second = receiver.requests
    assert first.body == second.body
    assert json.loads(first.body)["object_id"] == 7
