"""Keys live in the database: a replay works from a fresh connection and another server."""

import json
import urllib.error
import urllib.request

import pytest
from django.core.cache import cache
from django.db import connections

from customers.models import Customer
from idempotency.api import REPLAYED_HEADER
from idempotency.models import IdempotencyKey
from idempotency.services import KEY_REUSED_BODY
from tests.conftest import api_client_for, api_key_for
from tests.customers.factories import ChannelFactory

pytestmark = pytest.mark.django_db(transaction=True)

UPSERT = "/api/v1/customers/upsert/"


def _http_post(url: str, body, *, token: str, key: str):
    """POST JSON over real HTTP; return (status, headers, body bytes), errors included."""
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        method="POST",
        headers={
            "Authorization": f"Token {token}",
            "Content-Type": "application/json",
            "Idempotency-Key": key,
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def test_a_key_survives_a_restart_and_replays_over_http(live_server, api_user):
    # given: an upsert answered in this process, then everything in memory forgotten
    ChannelFactory(code="web")
    body = [{"channel": "web", "email": f"buyer{n}@example.com"} for n in range(50)]
    first = api_client_for(api_user).post(UPSERT, body, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    cache.clear()
    connections.close_all()
    token = api_key_for(api_user)

    # when: the client retries against another server, over HTTP
    status, headers, content = _http_post(f"{live_server.url}{UPSERT}", body, token=token, key="k1")
    other_status, _, other_content = _http_post(
        f"{live_server.url}{UPSERT}", body[:1], token=token, key="k1"
    )

    # then: the stored answer, byte for byte; one write; another body with the key is a 422
    assert first.status_code == 200
    assert (status, content) == (200, first.content)
    assert headers[REPLAYED_HEADER] == "true"
    assert headers["Content-Type"] == "application/json"
    assert other_status == 422
    assert json.loads(other_content) == {"detail": KEY_REUSED_BODY}
    assert Customer.objects.count() == 50
    stored = IdempotencyKey.objects.get()
    assert (stored.user_id, stored.key, stored.status) == (api_user.pk, "k1", 200)
    assert bytes(stored.body) == first.content
