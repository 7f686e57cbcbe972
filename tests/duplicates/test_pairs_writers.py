"""Two writers changing the two customers of one pair at once (PostgreSQL, where they run in
parallel: the import's two connections, an edit beside an import) leave the pairs a
recompute gives, without a deadlock.

The first writer makes a pair and has not committed; the second changes the pair's other
customer. Each refreshes the pairs of both from its own snapshot, so without a queue the
second cannot see the pair the first is making (and leaves it behind when it should go), and
the first's commit checks the pair's reference to a customer the second holds locked (a
deadlock, unless that lock is one a foreign-key check does not wait for).
"""

import threading
import time

import pytest
from django.db import connection, transaction

from customers.imports import customers_import
from customers.models import CandidatePair
from customers.services import customer_update
from tests.duplicates.test_pairs import _assert_fresh

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="writers in parallel"),
]


def _waiting_on_a_lock(timeout: float, done: threading.Event) -> bool:
    """Whether another session waits for a lock, polled until `timeout` or `done` (pg_locks:
    pg_stat_activity would answer from a snapshot taken once per transaction)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not done.is_set():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_locks WHERE NOT granted AND pid <> pg_backend_pid()"
            )
            if cursor.fetchone()[0]:
                return True
        time.sleep(0.05)
    return False


def _deadlocks() -> int:
    """Deadlocks PostgreSQL has broken up in this database (its statistics, read afresh)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute("SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()")
        return cursor.fetchone()[0]


def _deadlocks_after(before: int, timeout: float) -> int:
    """The deadlocks since `before`, polled until `timeout`: a server process reports its
    statistics when its transaction ends or it exits, not at once."""
    deadline = time.monotonic() + timeout
    while (count := _deadlocks() - before) == 0 and time.monotonic() < deadline:
        time.sleep(0.1)
    return count


def test_a_pair_made_by_one_writer_is_undone_by_the_other_once_it_commits(brazil, make, superuser):
    # given: two customers with different phones (no pair)
    first = make(brazil, "first@example.com", phone="11 91111-1111")
    make(brazil, "second@example.com", phone="11 92222-2222")
    errors, done = [], threading.Event()
    deadlocks = _deadlocks()

    def second_writer():
        try:
            # An import changes the second customer's phone again: the pair must go.
            row = {"email": "second@example.com", "phone": "11 93333-3333"}
            result = customers_import([(2, row, {})], default_channel="br", threaded=False)
            assert (result.updated, result.errors) == (1, [])
        except Exception as error:  # asserted below
            errors.append(error)
        finally:
            done.set()
            connection.close()

    # when: the first takes the second's phone (a pair), and before it commits the second
    # customer is changed on another connection
    with transaction.atomic():
        customer_update(
            customer=first, data={"phone": "11 92222-2222"}, user=superuser, partial=True
        )
        assert CandidatePair.objects.count() == 1
        other = threading.Thread(target=second_writer)
        other.start()
        queued = _waiting_on_a_lock(10, done)
    other.join(timeout=60)

    # then: the second writer waited for the first (no deadlock: the import would have
    # written its batch again), saw its pair and removed it
    assert errors == []
    assert _deadlocks_after(deadlocks, timeout=2) == 0
    assert list(CandidatePair.objects.all()) == []
    assert queued
    _assert_fresh()
