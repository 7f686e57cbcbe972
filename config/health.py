"""Readiness checks: can this process serve requests right now?

Each check touches one backing service the way a request would and answers True or False; a
failure is logged (with the request's id) but never shown, since the reason may name hosts.
"""

import uuid

import structlog
from django.conf import settings
from django.core.cache import cache
from django.db import connection

logger = structlog.get_logger(__name__)

# Seconds a broker check may take to connect and to answer.
BROKER_TIMEOUT = 2


def database_ready() -> bool:
    """Run `SELECT 1` on the default database."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return True


def cache_ready() -> bool:
    """Write a random value to the default cache and read it back."""
    key, value = "patron:healthz", uuid.uuid4().hex
    cache.set(key, value, timeout=10)
    return cache.get(key) == value


def broker_ready() -> bool:
    """Ping the Redis of the RQ task engine."""
    import redis

    client = redis.Redis.from_url(
        settings.REDIS_URL, socket_connect_timeout=BROKER_TIMEOUT, socket_timeout=BROKER_TIMEOUT
    )
    try:
        return bool(client.ping())
    finally:
        client.close()


def readiness_checks() -> dict:
    """The checks that apply to this configuration, by name: the broker only with TASK_BACKEND=rq
    (the database engine's queue is a table, covered by the database check)."""
    checks = {"database": database_ready, "cache": cache_ready}
    if settings.TASK_BACKEND == "rq":
        checks["broker"] = broker_ready
    return checks


def readiness() -> dict[str, bool]:
    """Run every readiness check; return each one's result by name."""
    results = {}
    for name, check in readiness_checks().items():
        try:
            results[name] = check()
        except Exception as error:  # any failure of a backing service means "not ready"
            logger.warning("readiness check failed", check=name, error=type(error).__name__)
            results[name] = False
        else:
            if not results[name]:
                logger.warning("readiness check failed", check=name)
    return results
