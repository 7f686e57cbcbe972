"""A real HTTP receiver on 127.0.0.1 (http.server in a thread) and webhook test helpers."""

import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.test import override_settings

from tests.conftest import api_client_for, grant_all_patron_permissions
from webhooks.services import subscription_create


@dataclass
class Answer:
    """What the receiver answers one request with."""

    status: int = 200
    body: bytes = b"ok"
    headers: dict = field(default_factory=dict)
    sleep: float = 0.0


@dataclass
class Received:
    path: str
    headers: dict
    body: bytes
    at: float


class Receiver:
    """Answers each POST with the next scripted Answer (the last one repeats) and records it."""

    def __init__(self):
        self.answers: list[Answer] = [Answer()]
        self.requests: list[Received] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                receiver.requests.append(
                    Received(self.path, dict(self.headers.items()), body, time.monotonic())
                )
                index = min(len(receiver.requests), len(receiver.answers)) - 1
                answer = receiver.answers[index]
                if answer.sleep:
                    time.sleep(answer.sleep)
                try:
                    self.send_response(answer.status)
                    for name, value in answer.headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(answer.body)))
                    self.end_headers()
                    self.wfile.write(answer.body)
                except OSError:
                    pass  # the client gave up (a timeout test)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def answer(self, *answers: Answer) -> None:
        self.answers = list(answers)


@pytest.fixture
def receiver():
    receiver = Receiver()
    receiver.thread.start()
    yield receiver
    receiver.server.shutdown()
    receiver.server.server_close()


@pytest.fixture
def private_allowed():
    """WEBHOOK_ALLOW_PRIVATE_ADDRESSES=1 and short timeouts, for the local receiver."""
    with override_settings(
        WEBHOOK_ALLOW_PRIVATE_ADDRESSES=True, WEBHOOK_CONNECT_TIMEOUT=2, WEBHOOK_READ_TIMEOUT=1
    ):
        yield


def webhooks_user_create(username: str, **fields):
    """A user with every Patron model permission and the webhooks app's."""
    user = get_user_model().objects.create_user(username, **fields)
    grant_all_patron_permissions(user)
    user.user_permissions.add(*Permission.objects.filter(content_type__app_label="webhooks"))
    return user


@pytest.fixture
def hooks_user(db):
    return webhooks_user_create("hooks", password="pw-hooks-123")


@pytest.fixture
def hooks_client(hooks_user):
    return api_client_for(hooks_user)


def event(type_="customer.updated", channel="web", **extra) -> dict:
    """An event as the outbox hands it over."""
    return {
        "id": str(uuid.uuid4()),
        "type": type_,
        "channel": channel,
        "object_type": "customer",
        "object_id": 7,
        "occurred_at": "2026-01-02T03:04:05+00:00",
        "actor": "api:integrator",
        "payload": {"id": 7, "email": "ann@example.com"},
        **extra,
    }


def subscription_for(url: str, **data):
    """A subscription made by the service (the URL checked under the current settings)."""
    return subscription_create(data={"url": url, "event_types": ["*"], **data})
