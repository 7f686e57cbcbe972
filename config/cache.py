"""The database cache of `CACHE_URL=dbcache://…` (the default), made cheap enough to count
every request's throttle in.

Django's DatabaseCache commits each write: on PostgreSQL every API request then waited for a
WAL flush of its throttle counter (4–8 ms, bench/RESULTS.md "Throttle counters"). A counter
needs no durability (a crash forgets at most a minute of counts), so a write that is a
transaction of its own commits asynchronously; a write inside a caller's transaction is left
as it is, since the setting would then cover the caller's writes too.

On PostgreSQL `createcachetable` (accounts/management/commands) makes the table UNLOGGED: a
cache's rows need no crash safety (a crash empties the table) nor a copy on the replicas
(which are never asked for it: config.replicas), and a write to it makes no WAL at all, so
there is no flush to skip. A counter's write then costs the database 0.11 ms against 0.35 ms
with the setting above on a logged table (bench/RESULTS.md, "Reads' fixed cost, sixth pass");
a table still logged (made by Django's own command) keeps the setting.

Django's `set` also costs six statements and two transaction round trips (count the table,
open a transaction, look the key up, update or insert, commit); on PostgreSQL it is one
round trip here (bench/RESULTS.md "Reads near the floor"): `SET LOCAL` and an
`INSERT … ON CONFLICT DO UPDATE` sent together, which PostgreSQL runs as one implicit
transaction. The table is counted for culling on every CULL_CHECK_EVERY-th write of a thread
instead of on every write, so it may hold up to that many entries per thread over MAX_ENTRIES
before it is culled as Django culls it.
"""

import base64
import itertools
import pickle
from datetime import UTC, datetime

from django.conf import settings
from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.db import DatabaseCache as DjangoDatabaseCache
from django.db import DatabaseError, connections, router, transaction
from django.utils.timezone import now as tz_now

CULL_CHECK_EVERY = 100
ASYNC_COMMIT = "SET LOCAL synchronous_commit TO OFF"
_PERSISTENCE_SQL = "SELECT relpersistence FROM pg_class WHERE oid = to_regclass(%s)"


def cache_table_unlogged_make(using: str, table: str) -> bool:
    """Make a database cache's table UNLOGGED on PostgreSQL (a no-op when it already is, or
    on another database); tell whether it is now. Run at deploy time: the ALTER rewrites the
    table under an exclusive lock (a cache's table: small)."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        return False
    persistence = _persistence(connection, table)
    if persistence is None:
        return False
    if persistence != "u":
        with connection.cursor() as cursor:
            cursor.execute(f"ALTER TABLE {connection.ops.quote_name(table)} SET UNLOGGED")
    return True


def _persistence(connection, table: str) -> str | None:
    """pg_class.relpersistence of the table ("u": unlogged), or None when there is none."""
    with connection.cursor() as cursor:
        cursor.execute(_PERSISTENCE_SQL, [connection.ops.quote_name(table)])
        row = cursor.fetchone()
    return row[0] if row else None


class DatabaseCache(DjangoDatabaseCache):
    """Django's database cache whose own writes skip the commit's WAL flush (or make none: an
    unlogged table), and whose `set` on PostgreSQL is one statement (an upsert)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._writes = itertools.count()
        self._unlogged = {}

    def _base_set(self, mode, key, value, timeout=DEFAULT_TIMEOUT):
        db = router.db_for_write(self.cache_model_class)
        connection = connections[db]
        if connection.vendor != "postgresql" or connection.in_atomic_block:
            return super()._base_set(mode, key, value, timeout)
        unlogged = self._table_unlogged(db)
        if mode == "set" and not _server_side_binding(connection):
            return self._upsert(db, key, value, timeout, flush_skipped=not unlogged)
        if unlogged:
            return super()._base_set(mode, key, value, timeout)
        with transaction.atomic(using=db):
            with connection.cursor() as cursor:
                cursor.execute(ASYNC_COMMIT)
            return super()._base_set(mode, key, value, timeout)

    def _table_unlogged(self, db: str) -> bool:
        """Whether the table is UNLOGGED, asked once per database and cache instance (one
        per thread); a table made unlogged later is written the slower way until then."""
        if db not in self._unlogged:
            self._unlogged[db] = _persistence(connections[db], self._table) == "u"
        return self._unlogged[db]

    def _upsert(self, db: str, key: str, value, timeout, *, flush_skipped: bool) -> bool:
        """Django's `set` (same row, same encoding, same culling rule) in one round trip."""
        connection = connections[db]
        timeout = self.get_backend_timeout(timeout)
        zone = UTC if settings.USE_TZ else None
        # Naive datetime.max for "never", as Django's own set writes it.
        never = datetime.max  # noqa: DTZ901
        expires = never if timeout is None else datetime.fromtimestamp(timeout, tz=zone)
        expires = connection.ops.adapt_datetimefield_value(expires.replace(microsecond=0))
        encoded = base64.b64encode(pickle.dumps(value, self.pickle_protocol)).decode("latin1")
        table = connection.ops.quote_name(self._table)
        with connection.cursor() as cursor:
            if next(self._writes) % CULL_CHECK_EVERY == 0:
                cursor.execute(f"SELECT COUNT(*) FROM {table}")
                count = cursor.fetchone()[0]
                if count > self._max_entries:
                    self._cull(db, cursor, tz_now().replace(microsecond=0), count)
            # With the setting, both statements in one query: PostgreSQL runs them as one
            # implicit transaction, to which SET LOCAL applies (client-side parameter binding).
            setting = f"{ASYNC_COMMIT}; " if flush_skipped else ""
            try:
                cursor.execute(
                    f"{setting}INSERT INTO {table} (cache_key, value, expires)"
                    " VALUES (%s, %s, %s) ON CONFLICT (cache_key)"
                    " DO UPDATE SET value = EXCLUDED.value, expires = EXCLUDED.expires",
                    [key, encoded, expires],
                )
            except DatabaseError:
                return False  # as Django's: a failed cache write is not the request's failure
        return True


def _server_side_binding(connection) -> bool:
    """Server-side binding (OPTIONS server_side_binding) takes one statement per query."""
    return bool(connection.settings_dict.get("OPTIONS", {}).get("server_side_binding"))
