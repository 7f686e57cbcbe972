"""A reader paging the feed while many transactions write never misses or repeats an event,
even one that took a lower position and committed later (PostgreSQL: real concurrency)."""

import random
import threading
import time

import pytest
from django.contrib.auth import get_user_model
from django.db import connection, transaction

from events.models import Event
from groups.services import group_create
from tests.conftest import api_client_for
from tests.threads import threads_run

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="SQLite runs one writer at a time"
    ),
]

WRITERS = 4
TRANSACTIONS_PER_WRITER = 15
FEED = "/api/v1/events/"


class Reader:
    """Pages the feed with its cursor, all the time, on its own connection."""

    def __init__(self, client):
        self.client, self.after, self.seen = client, None, []

    def read(self) -> int:
        params = {"limit": 7} | ({"after": self.after} if self.after else {})
        response = self.client.get(FEED, params)
        assert response.status_code == 200, response.data
        self.after = response.data["next"]
        self.seen += [event["id"] for event in response.data["results"]]
        return len(response.data["results"])

    def run_until(self, done: threading.Event) -> None:
        try:
            while not done.is_set():
                self.read()
        finally:
            connection.close()

    def drain(self, timeout: float = 60) -> None:
        """Read until every committed event came. A transaction still running anywhere on
        the server (another database's too) holds the feed back until it ends."""
        deadline = time.monotonic() + timeout
        while len(self.seen) < Event.objects.count() and time.monotonic() < deadline:
            if not self.read():
                time.sleep(0.05)


def _write(index: int, number: int) -> None:
    """One transaction: one or two groups; every fifth rolls back; some hold their
    transaction open after writing, so later positions commit before theirs."""
    rng = random.Random(index * 1000 + number)
    try:
        with transaction.atomic():
            for part in range(rng.choice((1, 2))):
                group_create(data={"code": f"g{index}-{number}-{part}", "title": "G"})
            time.sleep(rng.choice((0, 0, 0.01, 0.05)))
            if number % 5 == 4:
                raise _RolledBack
    except _RolledBack:
        pass


class _RolledBack(Exception):
    pass


def _feed_order(ids: list[str]) -> list[str]:
    """The committed events in feed order: (transaction id, position)."""
    return [
        str(pk)
        for pk in Event.objects.order_by("transaction_id", "position").values_list("id", flat=True)
    ]


def test_a_reader_sees_every_committed_event_once_in_feed_order():
    # given
    reader = Reader(api_client_for(get_user_model().objects.create_superuser("r", "r@x.io", "p")))
    done = threading.Event()
    thread = threading.Thread(target=reader.run_until, args=(done,))
    thread.start()

    # when
    threads_run(lambda index: [_write(index, n) for n in range(TRANSACTIONS_PER_WRITER)], WRITERS)
    done.set()
    thread.join(timeout=60)
    reader.drain()

    # then
    committed = _feed_order(reader.seen)
    assert len(committed) > WRITERS * TRANSACTIONS_PER_WRITER // 2
    assert len(reader.seen) == len(set(reader.seen))
    assert [str(pk) for pk in reader.seen] == committed


def test_an_earlier_position_committed_later_is_still_read():
    """Transaction A writes first (lower position) and commits after B: the reader, having
    read while A was open, still gets A's event, then B's, each once."""
    # given
    reader = Reader(api_client_for(get_user_model().objects.create_superuser("r", "r@x.io", "p")))
    a_wrote, b_committed, a_may_commit = threading.Event(), threading.Event(), threading.Event()

    def work(index):
        if index == 0:
            with transaction.atomic():
                group_create(data={"code": "a", "title": "A"})
                a_wrote.set()
                assert a_may_commit.wait(timeout=30)
        else:
            assert a_wrote.wait(timeout=30)
            with transaction.atomic():
                group_create(data={"code": "b", "title": "B"})
            b_committed.set()
            # while A is open, the reader polls and must not move past A
            while_open = reader.read()
            a_may_commit.set()
            return while_open
        return None

    # when
    results = threads_run(work, 2)
    reader.drain()

    # then
    positions = {event.payload["code"]: event.position for event in Event.objects.all()}
    assert positions["a"] < positions["b"]
    assert results[1] == 0
    codes = [Event.objects.get(id=pk).payload["code"] for pk in reader.seen]
    assert codes == ["a", "b"]
