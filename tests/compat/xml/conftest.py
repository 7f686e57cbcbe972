from pathlib import Path

import pytest
from rest_framework.test import APIClient

from tests.conftest import api_key_for, patron_user_create
from tests.customers.factories import ChannelFactory

SEEDS = Path(__file__).parent / "seeds"
XML = "application/xml"


def seed(name: str) -> bytes:
    """A request example of the seed, byte for byte."""
    return (SEEDS / name).read_bytes()


def url(channel: str, resource: str) -> str:
    """The seed's path under the dialect's base URL (the only change a client makes)."""
    return f"/compat/xml/{channel}/API/V3/{resource}"


@pytest.fixture
def channel(db):
    return ChannelFactory(code="web")


@pytest.fixture
def integrator(db):
    return patron_user_create("xml-integrator", password="pw-xml-123")


@pytest.fixture
def client(integrator):
    """Patron's token auth, sent as a real header."""
    client = APIClient()
    token = api_key_for(integrator)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


@pytest.fixture
def send(client):
    """Send a raw body (XML unless said otherwise) and return the response."""

    def send(method: str, path: str, body: bytes | str, content_type: str = XML, **extra):
        data = body.encode() if isinstance(body, str) else body
        return getattr(client, method)(path, data=data, content_type=content_type, **extra)

    return send
