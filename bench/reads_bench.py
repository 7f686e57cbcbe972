"""Reads before/after a change, beside the raw floor, in one interleaved run.

Starts three gunicorn servers on one database, each as `make serve` starts them (config/
gunicorn.py: 2 gthread workers x 4 threads, DEBUG off, the psycopg pool, the database cache
for throttle counters): Patron from the "before" checkout, Patron from the "after" checkout,
and the raw floor (bench/reads_raw_wsgi.py: one SQL query + orjson). Each Patron server reads
with its own API key (a superuser each: their throttle histories stay apart).

Per round, servers in turn (the order alternates: A B R, then R B A, ...): list page 1
(`per_page=50`) and a detail, each timed with one keep-alive client (p50, p95), then the list
with 8 concurrent keep-alive clients for --seconds (req/s, p99). `--plain` adds compare.py's
plain DRF project (bench/alternatives/drf_*: ModelSerializer with nested addresses,
ReadOnlyModelViewSet, PageNumberPagination, no authentication) on the same database, as a
fourth server in the same rounds.

Usage (PostgreSQL; a seeded database, e.g. `seed_demo --fast --customers 200000`):
    git -C /work/main worktree add /tmp/reads-before main
    DATABASE_URL=postgres://root@127.0.0.1:5432/bench_reads .venv/bin/python \\
        bench/reads_bench.py --before /tmp/reads-before --rounds 4
"""

import argparse
import http.client
import io
import os
import statistics
import subprocess
import threading
import time
from pathlib import Path

import servers
from bench_setup import ROOT  # Django set up: before any app module

# isort: split

from django.core.management import call_command
from django.db import connection

LIST = "/api/v1/customers/?per_page=50"
PLAIN_LIST = "/customers/?page_size=50"


def api_key(name: str) -> str:
    out = io.StringIO()
    call_command("create_api_token", name, "--superuser", stdout=out)
    return out.getvalue().strip().splitlines()[-1].strip()


def start(cwd: Path, app: str, log: Path) -> tuple[subprocess.Popen, int]:
    port = servers.free_port()
    env = {"PYTHONPATH": os.pathsep.join([str(cwd), str(ROOT / "bench")])}
    ready = LIST if app.startswith("reads_raw") else "/healthz"
    server = servers.server_start(
        cwd, port, app=app, env=env, ready=ready, name=f"{app} in {cwd} (see {log})",
        stdout=subprocess.DEVNULL, stderr=log.open("wb"),
    )  # fmt: skip
    return server, port


class Client:
    def __init__(self, port: int, key: str | None):
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.headers = {"Accept": "application/json"}
        if key:
            self.headers["Authorization"] = f"Token {key}"

    def get(self, path: str) -> tuple[float, int, bytes]:
        started = time.perf_counter()
        self.connection.request("GET", path, headers=self.headers)
        response = self.connection.getresponse()
        body = response.read()
        return (time.perf_counter() - started) * 1000, response.status, body


def percentile(times: list[float], share: float) -> float:
    ordered = sorted(times)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def single(port: int, key: str | None, path: str, runs: int, warmup: int) -> dict:
    client = Client(port, key)
    for _ in range(warmup):
        client.get(path)
    times = []
    for _ in range(runs):
        elapsed, status, body = client.get(path)
        if status != 200:
            raise SystemExit(f"{path}: {status} {body[:200]!r}")
        times.append(elapsed)
    return {"p50": statistics.median(times), "p95": percentile(times, 0.95)}


def concurrent(port: int, key: str | None, path: str, clients: int, seconds: float) -> dict:
    times: list[float] = []
    failures = [0]
    deadline = time.perf_counter() + seconds

    def run():
        client = Client(port, key)
        client.get(path)  # connect
        while time.perf_counter() < deadline:
            elapsed, status, _ = client.get(path)
            if status == 200:
                times.append(elapsed)
            else:
                failures[0] += 1

    threads = [threading.Thread(target=run) for _ in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    took = time.perf_counter() - started
    return {"rate": len(times) / took, "p99": percentile(times, 0.99), "failed": failures[0]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", type=Path, required=True, help="checkout of the old code")
    parser.add_argument("--after", type=Path, default=ROOT, help="checkout of the new code")
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--plain", action="store_true", help="add the plain DRF project")
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        raise SystemExit("Run on PostgreSQL: set DATABASE_URL.")
    call_command("createcachetable", verbosity=0)
    keys = {"before": api_key("reads-before"), "after": api_key("reads-after")}
    with connection.cursor() as cursor:
        cursor.execute("SELECT id FROM customers_customer ORDER BY id OFFSET 1000 LIMIT 1")
        customer_id = cursor.fetchone()[0]
    connection.close()
    paths = dict.fromkeys(("before", "after", "raw"), (LIST, f"/api/v1/customers/{customer_id}/"))
    apps = [
        ("before", args.before, "config.wsgi"),
        ("after", args.after, "config.wsgi"),
        ("raw", ROOT, "reads_raw_wsgi:application"),
    ]
    if args.plain:
        apps.append(("plain DRF", ROOT, "bench.alternatives.drf_wsgi:application"))
        paths["plain DRF"] = (PLAIN_LIST, f"/customers/{customer_id}/")

    servers, ports = [], {}
    try:
        for name, cwd, app in apps:
            log = Path(f"/tmp/reads-bench-{name.replace(' ', '-')}.log")
            server, ports[name] = start(cwd, app, log)
            servers.append(server)
        results = {name: [] for name in ports}
        order = list(ports)
        for number in range(args.rounds):
            for name in order if number % 2 == 0 else order[::-1]:
                key, port = keys.get(name), ports[name]
                listed, detail = paths[name]
                row = {
                    "list": single(port, key, listed, args.runs, args.warmup),
                    "detail": single(port, key, detail, args.runs, args.warmup),
                    "load": concurrent(port, key, listed, args.clients, args.seconds),
                }
                results[name].append(row)
                print(f"round {number + 1} {name:6} {_line(row)}", flush=True)
    finally:
        for server in servers:
            server.terminate()
        for server in servers:
            server.wait(timeout=30)
    print(_summary(results, args))


def _line(row: dict) -> str:
    return (
        f"list p50 {row['list']['p50']:6.1f} p95 {row['list']['p95']:6.1f} | detail p50 "
        f"{row['detail']['p50']:6.1f} p95 {row['detail']['p95']:6.1f} | 8 clients "
        f"{row['load']['rate']:6.1f} req/s p99 {row['load']['p99']:6.1f} "
        f"failed {row['load']['failed']}"
    )


def _median(rows: list[dict], part: str, key: str) -> float:
    return statistics.median(row[part][key] for row in rows)


def _summary(results: dict, args) -> str:
    lines = [
        f"Medians of {args.rounds} interleaved rounds ({args.runs} requests per single-client "
        f"figure, {args.clients} clients for {args.seconds:.0f} s per load figure):",
        "",
        "| server | list p50 | list p95 | detail p50 | detail p95 | 8 clients req/s | p99 |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, rows in results.items():
        lines.append(
            f"| {name} | {_median(rows, 'list', 'p50'):.1f} | {_median(rows, 'list', 'p95'):.1f}"
            f" | {_median(rows, 'detail', 'p50'):.1f} | {_median(rows, 'detail', 'p95'):.1f}"
            f" | {_median(rows, 'load', 'rate'):.1f} | {_median(rows, 'load', 'p99'):.1f} |"
        )
    before, after, raw = results["before"], results["after"], results["raw"]

    def ratio(a, b, part, key):
        return _median(a, part, key) / _median(b, part, key)

    lines += [
        "",
        f"- list p50 before/after: {ratio(before, after, 'list', 'p50'):.2f}x; "
        f"after/raw: {ratio(after, raw, 'list', 'p50'):.2f}x; "
        f"before/raw: {ratio(before, raw, 'list', 'p50'):.2f}x",
        f"- detail p50 before/after: {ratio(before, after, 'detail', 'p50'):.2f}x; "
        f"after/raw: {ratio(after, raw, 'detail', 'p50'):.2f}x",
        f"- 8-client req/s after/before: {ratio(after, before, 'load', 'rate'):.2f}x; "
        f"after/raw: {ratio(after, raw, 'load', 'rate'):.2f}; "
        f"before/raw: {ratio(before, raw, 'load', 'rate'):.2f}",
    ]
    if "plain DRF" in results:
        plain = results["plain DRF"]
        lines.append(
            f"- plain DRF list p50 / after: {ratio(plain, after, 'list', 'p50'):.2f}x; "
            f"/ before: {ratio(plain, before, 'list', 'p50'):.2f}x; "
            f"8-client req/s after/plain: {ratio(after, plain, 'load', 'rate'):.2f}x"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    main()
