"""Reads from a real streaming replica; a client that wrote reads its own writes.

The replica's replay is paused to make its lag visible: what a client then sees tells which
database answered it.
"""

import json
import time
import urllib.error
import urllib.request

import pytest
import redis
from django.db import connection

from accounts.management.commands.createcachetable import Command as PatronCreateCacheTable
from customers.models import Customer
from tests.conftest import api_key_for, patron_user_create
from tests.customers.factories import ChannelFactory
from tests.replicas.conftest import Server

pytestmark = pytest.mark.django_db(transaction=True)

STICKY_SECONDS = 3
CUSTOMERS = "/api/v1/customers/"
CACHE_TABLE = "replica_test_cache"


def _request(url: str, *, token: str, body=None, method: str = "GET"):
    request = urllib.request.Request(
        url,
        data=None if body is None else json.dumps(body).encode(),
        method=method,
        headers={"Authorization": f"Token {token}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def _emails_seen(server: Server, token: str) -> set[str]:
    status, body = _request(f"{server.url}{CUSTOMERS}?ordering=id", token=token)
    assert status == 200, body
    return {customer["email"] for customer in body["results"]}


@pytest.fixture
def server(streaming_replica, tmp_path):
    ChannelFactory(code="web")
    streaming_replica.catch_up()
    running = Server(streaming_replica, tmp_path / "server.log", STICKY_SECONDS)
    yield running
    running.stop()
    streaming_replica.replay_resume()


@pytest.fixture
def writer_token(db):
    return api_key_for(patron_user_create("writer"))


@pytest.fixture
def reader_token(db):
    return api_key_for(patron_user_create("reader"))


def test_a_lagging_replica_serves_reads_while_the_writer_reads_its_own_writes(
    streaming_replica, server, writer_token, reader_token
):
    # given: both clients known to the replica, whose replay then stops
    streaming_replica.catch_up()
    streaming_replica.replay_pause()

    # when: one client creates a customer (the write goes to the primary: the replica is read-only)
    status, created = _request(
        f"{server.url}{CUSTOMERS}",
        token=writer_token,
        body={"channel": "web", "email": "new@example.com"},
        method="POST",
    )

    # then: the writer sees it at once; the other client reads the replica, which has not got it
    assert status == 201, created
    assert _emails_seen(server, writer_token) == {"new@example.com"}
    assert _emails_seen(server, reader_token) == set()
    assert Customer.objects.filter(email="new@example.com").exists()

    # when: the replica catches up
    streaming_replica.replay_resume()
    streaming_replica.catch_up()

    # then: everyone sees it
    assert _emails_seen(server, reader_token) == {"new@example.com"}


def test_the_writer_returns_to_the_replica_after_the_sticky_window(
    streaming_replica, server, writer_token, reader_token
):
    # given: the writer wrote, and its window on the primary has passed
    status, _ = _request(
        f"{server.url}{CUSTOMERS}",
        token=writer_token,
        body={"channel": "web", "email": "first@example.com"},
        method="POST",
    )
    assert status == 201
    streaming_replica.catch_up()
    time.sleep(STICKY_SECONDS + 1)
    streaming_replica.replay_pause()

    # when: another client writes while the replica is held back
    status, _ = _request(
        f"{server.url}{CUSTOMERS}",
        token=reader_token,
        body={"channel": "web", "email": "second@example.com"},
        method="POST",
    )
    assert status == 201

    # then: the first writer reads the replica again and does not see it yet; its author does
    assert _emails_seen(server, writer_token) == {"first@example.com"}
    assert _emails_seen(server, reader_token) == {"first@example.com", "second@example.com"}


def test_writes_and_their_checks_read_the_primary(streaming_replica, server, writer_token):
    # given: a paused replica
    streaming_replica.replay_pause()

    # when: a client creates then updates a customer at once (the update's checks read rows)
    status, created = _request(
        f"{server.url}{CUSTOMERS}",
        token=writer_token,
        body={"channel": "web", "email": "edit@example.com"},
        method="POST",
    )
    assert status == 201
    status, updated = _request(
        f"{server.url}{CUSTOMERS}{created['id']}/",
        token=writer_token,
        body={"first_name": "Edith"},
        method="PATCH",
    )

    # then: the update found the row on the primary
    assert status == 200, updated
    assert updated["first_name"] == "Edith"


def test_a_writer_reads_its_own_writes_through_any_app_server(
    streaming_replica, tmp_path, writer_token, reader_token
):
    # given: two app servers sharing one Redis cache, and a paused replica
    redis_url = "redis://127.0.0.1:6379/3"
    try:
        redis.Redis.from_url(redis_url, socket_connect_timeout=2).ping()
    except redis.RedisError as error:
        pytest.skip(f"Redis is unreachable ({error})")
    ChannelFactory(code="web")
    streaming_replica.catch_up()
    servers = [
        Server(streaming_replica, tmp_path / f"server{n}.log", STICKY_SECONDS, CACHE_URL=redis_url)
        for n in (1, 2)
    ]
    try:
        streaming_replica.replay_pause()

        # when: the client writes through one server and reads through the other
        status, _ = _request(
            f"{servers[0].url}{CUSTOMERS}",
            token=writer_token,
            body={"channel": "web", "email": "roaming@example.com"},
            method="POST",
        )

        # then: it reads its write; another client, on the replica, does not yet
        assert status == 201
        assert _emails_seen(servers[1], writer_token) == {"roaming@example.com"}
        assert _emails_seen(servers[1], reader_token) == set()
    finally:
        streaming_replica.replay_resume()
        for server in servers:
            server.stop()


def test_the_database_cache_is_read_on_the_primary_during_a_replica_read(
    streaming_replica, tmp_path, reader_token
):
    # given: the shared cache in a table of the database, UNLOGGED as `createcachetable`
    # makes it (a replica has no rows of it, and refuses to read it), and a server using it
    command = PatronCreateCacheTable()
    command.verbosity = 0
    command.create_table("default", CACHE_TABLE, dry_run=False)
    ChannelFactory(code="web")
    streaming_replica.catch_up()
    server = Server(
        streaming_replica, tmp_path / "server.log", STICKY_SECONDS,
        CACHE_URL=f"dbcache://{CACHE_TABLE}",
    )  # fmt: skip
    try:
        # when: a client that never wrote reads twice (from the replica, each read throttled)
        answers = [_request(f"{server.url}{CUSTOMERS}", token=reader_token) for _ in range(2)]
    finally:
        server.stop()

    # then: both are answered, and the throttle kept its counter on the primary
    assert [status for status, _ in answers] == [200, 200], answers
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM {CACHE_TABLE} WHERE cache_key LIKE '%%rate_%%'")
        assert cursor.fetchone()[0] >= 1
        cursor.execute(f"DROP TABLE {CACHE_TABLE}")
