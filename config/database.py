"""Database plumbing: session limits per kind of process, failures that are the database's,
and the lock that serialises changes to a tree.

Bounded cost: a request's statements are cancelled after REQUEST_STATEMENT_TIMEOUT_MS and run
without PostgreSQL's JIT (compiling a large filter cost minutes, and went on after the client
left) and, unless REQUEST_PARALLEL_WORKERS says otherwise, without parallel workers: a
request's statements read bounded sets (capped counts, pages), where starting workers costs
more than it saves (a capped group count at 1M customers: 28.7 ms with two workers, 18.9 ms
without, with other requests running) and each worker takes a core from other requests; a
management command's (imports, exports, task workers) after COMMAND_STATEMENT_TIMEOUT_MS,
0 meaning never. Both are set once per connection, as libpq startup options: no statement per
request, and the pool's connections get them too.

A database that cannot be reached, restarts, or cancels a statement is not a bug of the request:
it answers 503 with Retry-After (config.exceptions for the API, DatabaseFailureMiddleware and the
500 handler for every other page), never a 500.
"""

import hashlib
import sys
from pathlib import Path

from django.utils.translation import gettext_lazy as _

# manage.py commands other than these serve requests like the WSGI server does.
REQUEST_SERVING_COMMANDS = {"runserver"}

DATABASE_UNAVAILABLE = _("The database is unavailable; retry in {seconds} seconds.")
STATEMENT_TIMEOUT = _(
    "The request took longer than the database allows ({timeout_ms} ms) and was cancelled; "
    "retry later or narrow it (fewer filter values, longer search words)."
)

# SQLSTATEs of a server that is going away, starting, or out of connections (class 08 is
# "connection exception"). 57014 is query_canceled: the statement timeout.
_UNAVAILABLE_SQLSTATES = {"57P01", "57P02", "57P03", "53300"}
_QUERY_CANCELED = "57014"
_SQLITE_BUSY = ("database is locked", "unable to open database file")


def process_serves_requests(argv: list[str] | None = None) -> bool:
    """Tell whether this process answers HTTP requests (a WSGI server, runserver, the tests)
    rather than running a management command."""
    argv = sys.argv if argv is None else argv
    if not argv or Path(argv[0]).name != "manage.py":
        return True
    return argv[1:2] == [] or argv[1] in REQUEST_SERVING_COMMANDS


def postgres_session_options(
    *, statement_timeout_ms: int, jit: bool, parallel_workers: int | None = None
) -> str:
    """libpq `options` for a connection: its statement timeout (0: none), JIT, and the
    parallel workers one statement may start (None: the server's setting)."""
    options = []
    if statement_timeout_ms:
        options.append(f"-c statement_timeout={int(statement_timeout_ms)}")
    if not jit:
        options.append("-c jit=off")
    if parallel_workers is not None:
        options.append(f"-c max_parallel_workers_per_gather={int(parallel_workers)}")
    return " ".join(options)


def database_session_configure(
    database: dict,
    *,
    request_timeout_ms: int,
    command_timeout_ms: int,
    serves_requests: bool,
    request_parallel_workers: int | None = 0,
) -> None:
    """Add this process's statement timeout, JIT switch and (for requests) parallel workers
    per statement to a PostgreSQL DATABASES entry."""
    if database["ENGINE"] != "django.db.backends.postgresql":
        return
    if serves_requests:
        extra = postgres_session_options(
            statement_timeout_ms=request_timeout_ms,
            jit=False,
            parallel_workers=request_parallel_workers,
        )
    else:
        extra = postgres_session_options(statement_timeout_ms=command_timeout_ms, jit=True)
    if extra:
        options = database.setdefault("OPTIONS", {})
        options["options"] = f"{options.get('options', '')} {extra}".strip()


def _causes(exc: BaseException):
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        yield exc
        exc = exc.__cause__ or exc.__context__


def _driver_failure(exc: BaseException) -> str | None:
    try:
        import psycopg
    except ImportError:  # SQLite-only installs
        psycopg = None
    if psycopg is not None and isinstance(exc, psycopg.Error):
        sqlstate = getattr(exc, "sqlstate", None)
        if sqlstate == _QUERY_CANCELED:
            return "timeout"
        if isinstance(exc, psycopg.OperationalError | psycopg.InterfaceError) and (
            sqlstate is None or sqlstate.startswith("08") or sqlstate in _UNAVAILABLE_SQLSTATES
        ):
            return "unavailable"
        return None
    import sqlite3

    if isinstance(exc, sqlite3.OperationalError) and str(exc).startswith(_SQLITE_BUSY):
        return "unavailable"
    return None


def database_failure(exc: BaseException) -> str | None:
    """Return "timeout" or "unavailable" when `exc` is the database's failure, else None.

    Errors of the request itself (a constraint, a bad value, a missing table) are not.
    """
    from django.db import InterfaceError, OperationalError

    if not isinstance(exc, OperationalError | InterfaceError):
        return None
    for cause in _causes(exc):
        if (kind := _driver_failure(cause)) is not None:
            return kind
    # Django's own "connection already closed" carries no driver error.
    return "unavailable" if isinstance(exc, InterfaceError) else None


def database_failure_detail(kind: str) -> str:
    """The message of a 503 for a database failure of this kind."""
    from django.conf import settings

    if kind == "timeout":
        return STATEMENT_TIMEOUT.format(timeout_ms=settings.REQUEST_STATEMENT_TIMEOUT_MS)
    return DATABASE_UNAVAILABLE.format(seconds=settings.DATABASE_RETRY_AFTER)


def database_retry_after() -> str:
    """The Retry-After value (seconds) of a 503 for a database failure."""
    from django.conf import settings

    return str(settings.DATABASE_RETRY_AFTER)


def advisory_xact_lock(name: str, *, using=None) -> None:
    """Hold a PostgreSQL advisory lock named `name` until the current transaction ends
    (`using`: a connection other than the default one).

    Writers of one shared structure (the group tree, the candidate pairs) queue on it, so each
    works from what the previous one committed. SQLite runs one write transaction at a time
    (IMMEDIATE), which serialises them already.
    """
    from django.db import connection

    db = using or connection
    if db.vendor != "postgresql":
        return
    key = int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)
    with db.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key])
