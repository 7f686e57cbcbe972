"""The database cache of `CACHE_URL=dbcache://…` (the default), made cheap enough to count
every request's throttle in.

Django's DatabaseCache commits each write: on PostgreSQL every API request then waited for a
WAL flush of its throttle counter (4–8 ms, bench/RESULTS.md "Throttle counters"). A counter
needs no durability (a crash forgets at most a minute of counts), so a write that is a
transaction of its own commits asynchronously; a write inside a caller's transaction is left
as it is, since the setting would then cover the caller's writes too.
"""

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.db import DatabaseCache as DjangoDatabaseCache
from django.db import connections, router, transaction


class DatabaseCache(DjangoDatabaseCache):
    """Django's database cache whose own write transactions skip the commit's WAL flush."""

    def _base_set(self, mode, key, value, timeout=DEFAULT_TIMEOUT):
        db = router.db_for_write(self.cache_model_class)
        connection = connections[db]
        if connection.vendor != "postgresql" or connection.in_atomic_block:
            return super()._base_set(mode, key, value, timeout)
        with transaction.atomic(using=db):
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit TO OFF")
            return super()._base_set(mode, key, value, timeout)
