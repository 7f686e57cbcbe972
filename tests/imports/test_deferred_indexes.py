"""Deferred index builds for large imports (customers.imports.deferred_indexes, PostgreSQL):
the customer table's secondary indexes are dropped for the load and come back as they were,
whether the import ends well, fails, or is killed (then the next import rebuilds them).

These tests commit (transaction=True): the import drops and rebuilds in transactions of its
own, on several connections, and a killed child process needs committed data.
"""

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection, connections

from config import bulk_load
from config.bulk_load import DEFERRED_TABLE, LoadIndexes
from customers.imports import customers_import
from customers.imports import deferred_indexes as deferred
from customers.models import Channel, Customer
from customers.search import SEARCH_INDEX
from tests.imports.helpers import run
from tests.servers import database_url_of

ROOT = Path(__file__).resolve().parents[2]
TABLE = Customer._meta.db_table
postgresql = settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not postgresql, reason="index rebuilds are PostgreSQL's"),
]


def indexes(cursor=None) -> dict[str, tuple]:
    """The customer table's indexes: definition and per-column statistics targets."""
    sql = (
        "SELECT c.relname, pg_get_indexdef(i.indexrelid), ARRAY(SELECT a.attstattarget "
        "FROM pg_attribute a WHERE a.attrelid = i.indexrelid ORDER BY a.attnum) "
        "FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
        "WHERE i.indrelid = %s::regclass"
    )
    if cursor is None:
        with connection.cursor() as cursor:
            return indexes(cursor)
    cursor.execute(sql, [TABLE])
    return {name: (definition, tuple(targets)) for name, definition, targets in cursor.fetchall()}


def saved() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s)", [DEFERRED_TABLE])
        if cursor.fetchone()[0] is None:
            return []
        cursor.execute(f"SELECT name FROM {DEFERRED_TABLE} ORDER BY name")
        return [name for (name,) in cursor.fetchall()]


def rows(count: int, start: int = 0, word: str = "Quixotic"):
    return [
        (n + 2, {"email": f"c{n}@example.com", "first_name": f"{word}{n}"}, {})
        for n in range(start, start + count)
    ]


def csv_file(tmp_path, count: int, name: str = "customers.csv") -> str:
    path = tmp_path / name
    lines = ["email,first_name,phone,address.city"]
    lines += [f"c{n}@example.com,Zebulon{n},+1555{n:07d},City {n}" for n in range(count)]
    path.write_text("\n".join(lines) + "\n")
    return str(path)


@pytest.fixture
def web(transactional_db):
    return Channel.objects.create(code="web", name="Web")


@pytest.fixture
def held_elsewhere():
    """Defer the indexes on another connection and keep its lock, as a running import does;
    yield a function releasing it, either as a finished import (restore) or as a killed one
    (its connection closed)."""
    ready, release, state = threading.Event(), threading.Event(), {}

    def owner():
        load = LoadIndexes({TABLE: deferred.KEPT})
        state["deferred"] = load.defer()
        ready.set()
        release.wait(timeout=60)
        if state.get("restore"):
            load.restore()
        connection.close()

    thread = threading.Thread(target=owner)
    thread.start()
    ready.wait(timeout=30)

    def end(*, restore: bool):
        state["restore"] = restore
        release.set()
        thread.join(timeout=60)

    yield end
    if thread.is_alive():
        end(restore=True)


def test_a_large_import_loads_without_the_secondary_indexes_and_rebuilds_them_as_they_were(
    web, api_client
):
    # given
    before = indexes()
    during = []

    def look(result):
        if not during:
            with connections["default"].cursor() as cursor:
                during.append(set(indexes(cursor)))

    # when
    result = customers_import(
        rows(600), default_channel="web", batch_size=100, defer_indexes="always", on_batch=look
    )

    # then: the search index and the other secondary indexes were gone while the batches
    # were written; unique ones and those the writer looks customers up by stayed
    assert result.created == 600
    assert SEARCH_INDEX not in during[0]
    assert "customer_email_idx" not in during[0]
    assert {"customer_unique_email", "customer_unique_username", *deferred.KEPT} <= during[0]
    # every index is back, as it was (statistics targets included), nothing left saved
    assert result.index_seconds is not None
    assert indexes() == before
    assert saved() == []
    # and search finds the new rows at once
    found = api_client.get("/api/v1/customers/", {"q": "quixotic599"})
    assert [item["email"] for item in found.data["results"]] == ["c599@example.com"]


def test_auto_defers_for_a_file_large_against_the_table_only(web, tmp_path, monkeypatch):
    # given: an empty table and a file of 6,000 rows (estimated from the bytes its first batch
    # of 500 took), the minimum lowered to 1,000
    monkeypatch.setattr(deferred, "MIN_ROWS", 1000)
    path = csv_file(tmp_path, 6000)

    # when
    code, _, err = run("import_customers", path, channel="web", batch_size=500, verbosity=2)

    # then: deferred (the file is larger than the minimum and the empty table)
    assert code == 0
    assert "Deferred indexes rebuilt in" in err

    # given: 7,000 customers more, counted by the planner
    customers_import(rows(7000, start=10_000), default_channel="web")
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {TABLE}")

    # when: the same file again (6,000 rows: less than half of the table's 13,000)
    code, _, err = run("import_customers", path, channel="web", batch_size=500, verbosity=2)

    # then: not deferred; and never when told so
    assert code == 0
    assert "Deferred indexes" not in err
    before = indexes()
    big = csv_file(tmp_path, 12_000, "big.csv")
    code, _, err = run("import_customers", big, channel="web", verbosity=2, defer_indexes="never")
    assert (code, "Deferred indexes" in err) == (0, False)
    assert indexes() == before


def test_a_failing_import_leaves_every_index_in_place(web):
    # given
    before = indexes()

    def fail_after_two_batches(result):
        if result.rows >= 200:
            raise RuntimeError("disk full")

    # when
    with pytest.raises(RuntimeError, match="disk full"):
        customers_import(
            rows(1000),
            default_channel="web",
            batch_size=100,
            defer_indexes="always",
            on_batch=fail_after_two_batches,
        )

    # then
    assert indexes() == before
    assert saved() == []


def _load_lock_released(timeout: float) -> bool:
    """Whether the load's advisory lock is free (polled until `timeout`)."""
    deadline = time.monotonic() + timeout
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            if bulk_load._load_lock_try(cursor):
                bulk_load._load_unlock(cursor)
                return True
            time.sleep(0.05)
    return False


def test_a_killed_import_s_indexes_are_rebuilt_by_the_next_import(web, tmp_path):
    # given: an import deferring its indexes, killed once a few batches are in
    before = indexes()
    path = csv_file(tmp_path, 6000)
    env = {**os.environ, "DATABASE_URL": database_url_of(connection.settings_dict), "DEBUG": "1"}
    command = [sys.executable, "manage.py", "import_customers", path, "--channel", "web"]
    command += ["--batch-size", "200", "--defer-indexes", "always"]
    child = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while Customer.objects.count() < 600 and time.monotonic() < deadline:
        time.sleep(0.05)
    child.send_signal(signal.SIGKILL)
    child.wait()
    # Its server process outlives it for a moment, still holding the load's lock: until it
    # is gone, the next import takes the load for one in progress and leaves it alone.
    assert _load_lock_released(timeout=30)
    assert SEARCH_INDEX not in indexes()
    assert SEARCH_INDEX in saved()

    # when: a small import (which defers nothing)
    code, _, _ = run("import_customers", csv_file(tmp_path, 3, "small.csv"), channel="web")

    # then: every index is back as it was
    assert code == 0
    assert indexes() == before
    assert saved() == []


def test_restore_deferred_indexes_rebuilds_what_a_dead_load_left(web, held_elsewhere):
    # given: indexes dropped by a load whose connection then died
    before_rebuild = indexes()
    assert SEARCH_INDEX not in before_rebuild
    held_elsewhere(restore=False)

    # when
    code, out, _ = run("restore_deferred_indexes")

    # then
    assert code == 0
    assert f"{SEARCH_INDEX}" in out
    assert SEARCH_INDEX in indexes()
    assert saved() == []
    assert run("restore_deferred_indexes")[1].strip() == "No deferred index is missing."


def test_nothing_is_rebuilt_or_dropped_again_while_the_load_that_dropped_runs(web, held_elsewhere):
    # given: another load holds the deferred indexes
    missing = set(saved())
    assert SEARCH_INDEX in missing

    # when: the command, and an import asking to defer
    code, _, message = run("restore_deferred_indexes")
    result = customers_import(rows(300), default_channel="web", defer_indexes="always")

    # then: neither rebuilt nor dropped anything; the import still wrote its rows
    assert code == 1
    assert "still loading" in message
    assert result.created == 300
    assert result.index_seconds is None
    assert set(saved()) == missing
    assert not missing & set(indexes())

    # when: the owner ends
    held_elsewhere(restore=True)

    # then: its indexes are back and the rows written meanwhile are in them
    assert missing <= set(indexes())
    assert Customer.objects.filter(first_name="Quixotic299").count() == 1


def test_a_table_busy_with_a_long_query_is_loaded_with_its_indexes(web, monkeypatch):
    # given: a reader in the middle of a long transaction on the table
    monkeypatch.setattr(bulk_load, "DROP_LOCK_TIMEOUT", "200ms")
    before = indexes()
    reading, done = threading.Event(), threading.Event()

    def reader():
        with connection.cursor() as cursor:
            cursor.execute("BEGIN")
            cursor.execute(f"SELECT count(*) FROM {TABLE}")
            reading.set()
            done.wait(timeout=60)
            cursor.execute("ROLLBACK")
        connection.close()

    thread = threading.Thread(target=reader)
    thread.start()
    reading.wait(timeout=30)

    # when
    try:
        result = customers_import(rows(300), default_channel="web", defer_indexes="always")
    finally:
        done.set()
        thread.join(timeout=60)

    # then: the DROP gave up at once; nothing dropped, nothing saved, the lock let go
    assert result.created == 300
    assert result.index_seconds is None
    assert indexes() == before
    assert saved() == []
    assert deferred.indexes_restore() == []


def test_kept_indexes_exist():
    # A kept index renamed would be dropped for every large load, and each batch's lookups
    # through it would scan the table.
    assert set(indexes()) >= deferred.KEPT
