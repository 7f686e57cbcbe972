"""The database cache (config/cache.py): Django's behaviour, in fewer statements."""

import time

import pytest
from django.core.management import call_command
from django.core.management.commands.createcachetable import Command as CreateCacheTable
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.management.commands.createcachetable import Command as PatronCreateCacheTable
from config import cache as cache_module
from config.cache import DatabaseCache

# Outside a test transaction: the one-statement write is taken only outside the caller's.
pytestmark = pytest.mark.django_db(transaction=True)

TABLE = "reads_test_cache"
NEW = "reads_test_cache_new"


@pytest.fixture
def cache():
    command = CreateCacheTable()
    command.verbosity = 0
    command.create_table("default", TABLE, dry_run=False)
    yield DatabaseCache(TABLE, {"OPTIONS": {"MAX_ENTRIES": 5, "CULL_FREQUENCY": 2}})
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE {TABLE}")


def test_set_get_overwrite_and_expiry(cache):
    history = [time.time() - n for n in range(300)]
    cache.set("throttle_user_1", history, 60)
    assert cache.get("throttle_user_1") == history

    cache.set("throttle_user_1", history[:2], 60)
    assert cache.get("throttle_user_1") == history[:2]

    cache.set("gone", "value", -1)
    assert cache.get("gone", "default") == "default"
    cache.set("forever", {"é": 1}, None)
    assert cache.get("forever") == {"é": 1}


def test_add_and_touch_keep_djangos_rules(cache):
    assert cache.add("key", 1, 60) is True
    assert cache.add("key", 2, 60) is False
    assert cache.get("key") == 1
    assert cache.touch("key", 120) is True
    assert cache.touch("missing", 120) is False


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the upsert is PostgreSQL's")
def test_a_set_is_one_statement_and_the_cull_check_comes_every_hundredth(cache):
    cache.set("first", 1, 60)  # the thread's first write counts the table
    with CaptureQueriesContext(connection) as queries:
        for n in range(cache_module.CULL_CHECK_EVERY - 1):
            cache.set(f"k{n % 3}", n, 60)

    assert len(queries) == cache_module.CULL_CHECK_EVERY - 1
    assert all("ON CONFLICT" in query["sql"] for query in queries.captured_queries)
    with CaptureQueriesContext(connection) as queries:
        cache.set("k0", "again", 60)
    assert [q["sql"].split()[0] for q in queries.captured_queries] == ["SELECT", "SET"]
    assert cache.get("k0") == "again"


def test_the_table_is_culled_past_max_entries(cache, monkeypatch):
    monkeypatch.setattr(cache_module, "CULL_CHECK_EVERY", 1)
    for n in range(12):
        cache.set(f"key-{n:02}", n, 60)

    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM {TABLE}")
        assert cursor.fetchone()[0] <= 6  # MAX_ENTRIES 5, plus the write after a cull
    assert cache.get("key-11") == 11


def persistence(table: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT relpersistence FROM pg_class WHERE oid = to_regclass(%s)", [table])
        return cursor.fetchone()[0]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="UNLOGGED is PostgreSQL's")
def test_createcachetable_makes_the_table_unlogged_and_its_writes_skip_the_setting(cache, settings):
    # given: a database cache in the settings, and a table made by Django's own command
    # (the fixture's: logged)
    settings.CACHES = {"default": {"BACKEND": "config.cache.DatabaseCache", "LOCATION": NEW}}
    call_command("createcachetable", verbosity=0)
    assert persistence(NEW) == "u"
    assert persistence(TABLE) == "p"

    # when: Patron's command runs over it, as `make serve` does after an upgrade
    command = PatronCreateCacheTable()
    command.verbosity = 0
    command.create_table("default", TABLE, dry_run=False)
    command.create_table("default", TABLE, dry_run=False)  # again: nothing to do

    # then: unlogged, and a fresh cache writes it without the commit setting
    assert persistence(TABLE) == "u"
    unlogged = DatabaseCache(TABLE, {})
    with CaptureQueriesContext(connection) as queries:
        unlogged.set("throttle_user_1", 1.5, 60)
        unlogged.set("throttle_user_1", 2.5, 60)
    assert not any("synchronous_commit" in q["sql"] for q in queries.captured_queries)
    assert unlogged.get("throttle_user_1") == 2.5
    assert unlogged.add("other", 1, 60) is True
    assert unlogged.get("other") == 1
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE {NEW}")
