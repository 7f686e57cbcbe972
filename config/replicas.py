"""PostgreSQL read replicas (DATABASE_REPLICA_URLS): who reads where.

Only the reads of a web request that cannot change anything (GET, HEAD, OPTIONS) go to a
replica, one replica for the whole request. Everything else reads from the primary:

- writes, and every read inside a transaction (a write's own checks, SELECT ... FOR UPDATE);
- a client that wrote in the last REPLICA_STICKY_SECONDS (read-your-writes): a browser by the
  cookie its write was answered with, an API client by its Authorization header, remembered in
  the shared cache under a keyed hash (never the credential itself), so that any app server
  knows;
- management commands, task workers and the scheduler: they read what they just wrote, and a
  job queued by a request must be found by the worker that picks it up.

A replica that lags behind by more than REPLICA_STICKY_SECONDS can show another client an older
page; that is the usual contract of asynchronous replicas and why writes never read from one.
"""

import contextvars
import hashlib
import hmac
import random
import time

from django.conf import settings
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, connections

REPLICA_ALIAS_PREFIX = "replica_"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
PRIMARY_COOKIE = "patron_primary_until"
PIN_CACHE_PREFIX = "replica-pin:"
# Django's database cache names its table's stand-in model so.
CACHE_APP_LABEL = "django_cache"

# The replica this request reads from, or None: the primary.
_request_replica: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "patron_request_replica", default=None
)


def replica_aliases() -> list[str]:
    """The configured replicas' database aliases (replica_1, replica_2, ...)."""
    return [alias for alias in settings.DATABASES if alias.startswith(REPLICA_ALIAS_PREFIX)]


class ReplicaRouter:
    """Route reads to the request's replica when one was chosen; everything else to primary."""

    def db_for_read(self, model, **hints):
        if model._meta.app_label == CACHE_APP_LABEL:
            # The shared cache (config.cache) is read where it is written: a throttle counter
            # read on a lagging replica lets a burst through, and its UNLOGGED table has no
            # rows there at all (PostgreSQL refuses to read one during recovery).
            return DEFAULT_DB_ALIAS
        replica = _request_replica.get()
        if replica is None or connections[DEFAULT_DB_ALIAS].in_atomic_block:
            return DEFAULT_DB_ALIAS
        return replica

    def db_for_write(self, model, **hints):
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints):
        return True  # the replicas hold the primary's very rows

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == DEFAULT_DB_ALIAS


def _client_key(request) -> str | None:
    """A keyed hash naming the API client by its credential, or None without one."""
    credential = request.headers.get("Authorization")
    if not credential:
        return None
    digest = hmac.new(settings.SECRET_KEY.encode(), credential.encode(), hashlib.sha256)
    return PIN_CACHE_PREFIX + digest.hexdigest()


def _pinned_to_primary(request, client_key: str | None) -> bool:
    """True while the client's last write is younger than REPLICA_STICKY_SECONDS."""
    try:
        if float(request.COOKIES.get(PRIMARY_COOKIE, "0")) > time.time():
            return True
    except ValueError:
        pass
    return client_key is not None and cache.get(client_key) is not None


def _pin(request, response, client_key: str | None) -> None:
    """Remember that this client wrote: its reads stay on the primary for a while."""
    seconds = settings.REPLICA_STICKY_SECONDS
    if client_key is not None:
        cache.set(client_key, 1, timeout=seconds)
    response.set_cookie(
        PRIMARY_COOKIE,
        str(int(time.time() + seconds)),
        max_age=seconds,
        httponly=True,
        samesite="Lax",
        secure=request.is_secure(),
    )


class ReplicaReadsMiddleware:
    """Choose where this request reads (see the module docstring); pin writers to the primary."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.replicas = replica_aliases()

    def __call__(self, request):
        if not self.replicas:
            return self.get_response(request)
        client_key = _client_key(request)
        reads_from_replica = request.method in SAFE_METHODS and not _pinned_to_primary(
            request, client_key
        )
        token = _request_replica.set(random.choice(self.replicas) if reads_from_replica else None)
        try:
            response = self.get_response(request)
        finally:
            _request_replica.reset(token)
        if request.method not in SAFE_METHODS:
            _pin(request, response, client_key)
        return response
