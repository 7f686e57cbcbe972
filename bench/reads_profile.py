"""Where a read's fixed cost goes: the WSGI app called in-process, phase by phase.

Settings as under gunicorn (`make serve`: DEBUG off, the psycopg pool, the database cache for
throttle counters), one API key of a superuser as bench/api_bench.py uses, no HTTP: each
request is a WSGI call with a built environ, so what is timed is Django and the project only.

Two passes per request kind, each after a warm-up:
- timers: every middleware layer (its own time, the layers inside it excluded), the DRF phases
  (authentication, permissions, throttles, negotiation, filter set, paging, serialization,
  rendering) and SQL (count, time) per request, without a profiler's overhead;
- cProfile: the functions with the most own time.

Usage (PostgreSQL; a seeded database, e.g. `seed_demo --fast --customers 200000`):
    DATABASE_URL=postgres://root@127.0.0.1:5432/bench_reads .venv/bin/python \\
        bench/reads_profile.py --runs 300 [--cprofile 200] [--markdown /tmp/profile.md]
"""

import os
import uuid

for _name, _value in {
    "DEBUG": "0",
    "SECRET_KEY": "bench-" + uuid.uuid4().hex,
    "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
    "SECURE_SSL_REDIRECT": "0",
    "DB_POOL": "1",
    "LOG_LEVEL": "WARNING",
}.items():
    os.environ.setdefault(_name, _value)

import argparse  # noqa: E402
import cProfile  # noqa: E402
import io  # noqa: E402
import pstats  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from collections import defaultdict  # noqa: E402
from pathlib import Path  # noqa: E402

import django  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
django.setup()

# isort: split

from django.core.handlers import base as handlers_base  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

TIMES: dict[str, float] = defaultdict(float)
SQL = {"count": 0, "seconds": 0.0}
_stack: list[list[float]] = []  # per open middleware layer: [inner time]


def _layered(convert):
    """Wrap Django's convert_exception_to_response: each middleware layer's own time."""

    def wrap(get_response):
        converted = convert(get_response)
        label = "middleware " + (
            getattr(get_response, "__qualname__", None) or type(get_response).__name__
        )
        if label.endswith("_get_response"):
            label = "URL resolving, view (and rendering)"

        def timed(request):
            _stack.append([0.0])
            started = time.perf_counter()
            try:
                return converted(request)
            finally:
                elapsed = time.perf_counter() - started
                inner = _stack.pop()[0]
                if "view" in label:
                    TIMES["(view total)"] += elapsed
                else:
                    TIMES[label] += elapsed - inner
                if _stack:
                    _stack[-1][0] += elapsed

        return timed

    return wrap


def _timed(owner, name: str, label: str) -> None:
    original = getattr(owner, name)

    def timed(*args, **kwargs):
        started = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            TIMES[label] += time.perf_counter() - started

    setattr(owner, name, timed)


def _install_phase_timers() -> None:
    from rest_framework.serializers import ListSerializer
    from rest_framework.views import APIView

    from config.rest import FastJSONRenderer, PagePagination
    from config.throttling import ApiUserThrottle
    from customers import selectors
    from customers.api import views
    from customers.api.serializers import CustomerSerializer

    view = views.CustomerViewSet
    _timed(APIView, "initialize_request", "DRF Request, parsers, authenticators")
    _timed(APIView, "perform_authentication", "authentication (API key)")
    _timed(APIView, "check_permissions", "permissions")
    _timed(ApiUserThrottle, "allow_request", "throttle (counter in the cache)")
    _timed(APIView, "perform_content_negotiation", "content negotiation")
    _timed(view, "known_query_params", "strict query parameters")
    _timed(view, "get_queryset", "get_queryset (selector)")
    _timed(view, "filter_queryset", "filter set, ordering")
    _timed(PagePagination, "_count", "paging: count")
    _timed(PagePagination, "_rows", "paging: page rows")
    _timed(view, "get_object", "get_object (detail row)")
    _timed(views, "customer_page_rows", "page rows to objects (addresses, groups)")
    _timed(selectors, "customer_page_rows", "page rows to objects (addresses, groups)")
    _timed(view, "get_serializer", "serializer construction")
    _timed(ListSerializer, "to_representation", "serialization (list)")
    _timed(CustomerSerializer, "to_representation", "serialization: each customer")
    _timed(PagePagination, "get_paginated_response", "paginated response, links")
    _timed(APIView, "finalize_response", "finalize_response (headers, ETag)")
    _timed(FastJSONRenderer, "render", "rendering (orjson)")
    _timed(view, "dispatch", "(DRF dispatch total)")


def _sql_timer(execute, sql, params, many, context):
    started = time.perf_counter()
    try:
        return execute(sql, params, many, context)
    finally:
        SQL["count"] += 1
        SQL["seconds"] += time.perf_counter() - started
        if SQL.get("log") is not None:
            SQL["log"].append(f"{(time.perf_counter() - started) * 1000:6.2f} ms  {sql[:150]}")


def api_key() -> str:
    out = io.StringIO()
    call_command("create_api_token", "reads-profile", "--superuser", stdout=out)
    return out.getvalue().strip().splitlines()[-1].strip()


def environ_for(path: str, key: str) -> dict:
    path, _, query = path.partition("?")
    return {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_HOST": "127.0.0.1",
        "HTTP_AUTHORIZATION": f"Token {key}",
        "HTTP_ACCEPT": "application/json",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
        "wsgi.version": (1, 0),
    }


def call(app, path: str, key: str) -> bytes:
    status = []
    result = app(environ_for(path, key), lambda s, h, *a: status.append(s))
    try:
        body = b"".join(result)
    finally:
        result.close()  # request_finished: the connection goes back to the pool
    if not status[0].startswith("200"):
        raise SystemExit(f"{path}: {status[0]} {body[:300]!r}")
    return body


def time_phases(app, path: str, key: str, runs: int) -> tuple[list[float], dict, dict]:
    TIMES.clear()
    SQL.update(count=0, seconds=0.0)
    totals, cpu = [], []
    for _ in range(runs):
        started, cpu_started = time.perf_counter(), time.thread_time()
        call(app, path, key)
        totals.append((time.perf_counter() - started) * 1000)
        cpu.append((time.thread_time() - cpu_started) * 1000)
    per_request = {label: seconds * 1000 / runs for label, seconds in TIMES.items()}
    sql = {
        "queries": SQL["count"] / runs,
        "ms": SQL["seconds"] * 1000 / runs,
        "cpu_p50": statistics.median(cpu),
    }
    return totals, per_request, sql


def profile(app, path: str, key: str, runs: int, top: int) -> str:
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(runs):
        call(app, path, key)
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("tottime").print_stats(top)
    return out.getvalue()


def report(name: str, path: str, totals, phases: dict, sql: dict) -> str:
    p50 = statistics.median(totals)
    lines = [
        f"### {name}: `GET {path}`",
        "",
        f"WSGI call p50 {p50:.2f} ms, mean {statistics.fmean(totals):.2f} ms, this thread's "
        f"CPU p50 {sql['cpu_p50']:.2f} ms (a busy machine moves wall times, much less CPU "
        "times); SQL "
        f"{sql['queries']:.1f} statements, {sql['ms']:.2f} ms per request (inside the phases "
        "below).",
        "",
        "| phase | ms per request (mean) |",
        "|---|---:|",
    ]
    for label, ms in sorted(phases.items(), key=lambda item: -item[1]):
        lines.append(f"| {label} | {ms:.2f} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=300)
    parser.add_argument("--warmup", type=int, default=30)
    parser.add_argument("--cprofile", type=int, default=0, help="runs under cProfile (0: none)")
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--sql", action="store_true", help="print one request's statements")
    parser.add_argument("--markdown", help="also write the tables to this file")
    parser.add_argument(
        "--read",
        action="append",
        default=[],
        metavar="NAME=PATH",
        help="time this request instead of the list page and the detail (repeatable)",
    )
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        raise SystemExit("Run on PostgreSQL: set DATABASE_URL.")

    call_command("createcachetable", verbosity=0)
    key = api_key()
    with connection.cursor() as cursor:
        cursor.execute("SELECT id FROM customers_customer ORDER BY id OFFSET 1000 LIMIT 1")
        customer_id = cursor.fetchone()[0]
    connection.close()
    handlers_base.convert_exception_to_response = _layered(
        handlers_base.convert_exception_to_response
    )
    _install_phase_timers()
    from django.core.wsgi import get_wsgi_application

    app = get_wsgi_application()
    # Every connection the app opens (the pool lends the same wrappers to this thread).
    connection.execute_wrappers.append(_sql_timer)

    reads = [
        ("list page 1", "/api/v1/customers/?per_page=50"),
        ("detail", f"/api/v1/customers/{customer_id}/"),
    ]
    if args.read:
        reads = [tuple(read.split("=", 1)) for read in args.read]
    sections = []
    for name, path in reads:
        for _ in range(args.warmup):
            call(app, path, key)
        totals, phases, sql = time_phases(app, path, key, args.runs)
        if args.sql:
            SQL["log"] = []
            call(app, path, key)
            print("\n".join(SQL.pop("log")))
        section = report(name, path, totals, phases, sql)
        print(section, flush=True)
        sections.append(section)
        if args.cprofile:
            print(profile(app, path, key, args.cprofile, args.top), flush=True)
    if args.markdown:
        Path(args.markdown).write_text("\n".join(sections))


if __name__ == "__main__":
    main()
