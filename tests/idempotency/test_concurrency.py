"""Two requests with one key at once, on PostgreSQL: one runs, the other gets 409 or replays.

SQLite has one writer at a time: the second request waits for the first and replays it.
"""

import threading

import pytest
from django.db import connection, transaction

from customers.models import Customer
from idempotency.api import REPLAYED_HEADER
from idempotency.models import IdempotencyKey
from idempotency.services import KEY_IN_USE, idempotency_key_claim, idempotency_request_hash
from tests.conftest import api_client_for
from tests.customers.factories import ChannelFactory
from tests.threads import threads_run

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="SQLite serialises every writer anyway"
    ),
]

UPSERT = "/api/v1/customers/upsert/"
BODY = [{"channel": "web", "email": f"buyer{n}@example.com"} for n in range(200)]


def _in_thread(work):
    """Run work() in another thread (its own connection); return what it returned."""
    result = []
    thread = threading.Thread(target=lambda: (result.append(work()), connection.close()))
    thread.start()
    thread.join(timeout=60)
    return result[0]


def test_a_key_whose_request_still_runs_is_409_then_free(api_user):
    # given: a request holds the key in its open transaction
    ChannelFactory(code="web")
    client = api_client_for(api_user)

    def post():
        return client.post(UPSERT, BODY, format="json", HTTP_IDEMPOTENCY_KEY="busy")

    with transaction.atomic():
        idempotency_key_claim(
            user=api_user,
            key="busy",
            method="POST",
            path=UPSERT,
            request_hash=idempotency_request_hash(BODY),
        )

        # when: the retry arrives meanwhile
        busy = _in_thread(post)

    # then: 409, nothing written; once the first request has ended, the retry runs
    assert busy.status_code == 409
    assert busy.json() == {"detail": KEY_IN_USE}
    assert not Customer.objects.exists()
    assert _in_thread(post).status_code == 200
    assert Customer.objects.count() == len(BODY)


def test_four_simultaneous_requests_with_one_key_write_once(api_user):
    # given
    ChannelFactory(code="web")

    # when
    def work(index):
        client = api_client_for(api_user)
        return client.post(UPSERT, BODY, format="json", HTTP_IDEMPOTENCY_KEY="race")

    responses = threads_run(work, 4)

    # then: one ran; the others were refused while it ran or replayed its answer
    ran = [r for r in responses if r.status_code == 200 and not r.has_header(REPLAYED_HEADER)]
    replayed = [r for r in responses if r.has_header(REPLAYED_HEADER)]
    busy = [r for r in responses if r.status_code == 409]
    assert len(ran) == 1, [(r.status_code, r.content[:100]) for r in responses]
    assert len(ran) + len(replayed) + len(busy) == 4
    assert all(r.content == ran[0].content for r in replayed)
    assert ran[0].json()["created"] == len(BODY)
    assert Customer.objects.count() == len(BODY)
    assert Customer.history.count() == len(BODY)
    assert IdempotencyKey.objects.count() == 1
