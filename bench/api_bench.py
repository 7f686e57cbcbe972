"""Time the API's reads and writes at a million customers, through a real HTTP server.

Seeds N customers (2 orders each, addresses, group memberships) with seed_demo unless the
database already holds at least N, starts gunicorn exactly as `make serve` does (config/gunicorn.py,
DEBUG off, psycopg pool) on a free local port, and times each request with one keep-alive client:
median and p95 over --runs runs after warm-up. Next to each read it times the same rows fetched
with raw SQL (psycopg) and written as JSON by orjson, in the same run.

Usage (PostgreSQL only; a scratch database):
    DATABASE_URL=postgres://root@127.0.0.1:5432/h9bench .venv/bin/python bench/api_bench.py \\
        --customers 1000000 --runs 30 --markdown /tmp/api_bench.md
"""

import argparse
import http.client
import json
import os
import statistics
import subprocess
import time
import uuid
from pathlib import Path

import servers
from bench_setup import ROOT  # Django set up: before any app module

# isort: split

import orjson
import psycopg
from django.core.management import call_command
from django.db import connection
from psycopg.rows import dict_row

from customers.demo import demo_seed
from customers.models import Customer

TABLES = (
    "customers_customer",
    "customers_address",
    "groups_usercustomergroup",
    "orders_order",
    "orders_orderitem",
    "orders_ordercustomdata",
)
EXPAND = "recent_orders,recent_addresses,phones,memberships"
CUSTOMER_COLUMNS = "c.*, ch.code AS channel"


# ---------------------------------------------------------------- database preparation


def prepare(customers: int) -> None:
    call_command("migrate", "--noinput", verbosity=0)
    call_command("createcachetable", verbosity=0)  # throttle counters, as `make serve` does
    have = Customer.objects.count()
    if have < customers:
        print(f"seeding {customers - have} customers (have {have}) …", flush=True)
        started = time.perf_counter()
        demo_seed(customers=customers - have, orders_per_customer=2, seed=42)
        print(f"seeded in {time.perf_counter() - started:.0f}s", flush=True)
    with connection.cursor() as cursor:
        # This script is no manage.py command, so its connection has a request's statement
        # timeout (config.database); a VACUUM of a million rows takes longer.
        cursor.execute("SET statement_timeout = 0")
        for table in TABLES:
            # The visibility map itself, not the activity counters: a copy of a database
            # (createdb -T) starts with none, whatever its tables hold.
            cursor.execute(
                "SELECT relallvisible < relpages * 0.9 FROM pg_class WHERE oid = %s::regclass",
                [table],
            )
            if cursor.fetchone()[0]:
                # What autovacuum does on a live database: it sets the visibility map that
                # lets index-only scans (counts, deep pages) skip the heap.
                print(f"VACUUM ANALYZE {table} …", flush=True)
                cursor.execute(f"VACUUM ANALYZE {table}")


def api_token() -> str:
    from io import StringIO

    out = StringIO()
    call_command("create_api_token", "api-bench", "--superuser", stdout=out)
    return out.getvalue().strip().splitlines()[-1].strip()


def pick_parameters(customers: int) -> dict:
    """Choose realistic filter values from the data, so every read returns rows.

    They come from the seeded customer in the middle (by id), the same on every run: rows
    written by earlier runs come after it.
    """
    with connection.cursor() as cursor:
        cursor.execute("SELECT max(id) FROM customers_customer")
        high = cursor.fetchone()[0]
        cursor.execute(
            "SELECT id FROM customers_customer ORDER BY id OFFSET %s LIMIT 1", [customers // 2]
        )
        middle = cursor.fetchone()[0]
        cursor.execute(
            "SELECT c.id, c.email, c.identification, c.created_at::date, c.first_name"
            " FROM customers_customer c JOIN customers_channel ch ON ch.id = c.channel_id"
            " WHERE c.id >= %s AND ch.code = 'web'"
            " AND EXISTS (SELECT 1 FROM orders_order o WHERE o.customer_id = c.id)"
            " ORDER BY c.id LIMIT 1",
            [middle],
        )
        customer_id, email, identification, created, first_name = cursor.fetchone()
        cursor.execute(
            "SELECT placed_at::date FROM orders_order WHERE customer_id = %s LIMIT 1",
            [customer_id],
        )
        placed = cursor.fetchone()[0]
        cursor.execute(
            "SELECT total_spent FROM customers_customer ORDER BY total_spent DESC"
            " OFFSET (SELECT reltuples::bigint / 100 FROM pg_class"
            "  WHERE relname = 'customers_customer') LIMIT 1"
        )
        top_spent = cursor.fetchone()[0]
    return {
        "customer_id": customer_id,
        "since_mid": middle,
        "since_deep": high - 10_000,
        "email_prefix": email.split(".")[0] + ".",
        "q_common": first_name[:3].lower(),
        "q_rare": identification[1:9],
        "created": created.isoformat(),
        "placed": placed.isoformat(),
        "top_spent": str(top_spent),
    }


# ---------------------------------------------------------------- raw SQL + JSON baseline


def raw_grouped(cur, sql: str, ids: list, key: str = "customer_id") -> dict:
    """Run `sql` (its one parameter: the ids); return its rows grouped by the `key` column."""
    cur.execute(sql, [ids])
    grouped: dict = {}
    for row in cur.fetchall():
        grouped.setdefault(row[key], []).append(row)
    return grouped


def raw_customers(cur, where: str, params: list, order: str, limit: int, offset: int = 0):
    cur.execute(
        f"SELECT {CUSTOMER_COLUMNS} FROM customers_customer c"
        f" JOIN customers_channel ch ON ch.id = c.channel_id {where}"
        f" ORDER BY {order} LIMIT %s OFFSET %s",
        [*params, limit, offset],
    )
    rows = cur.fetchall()
    ids = [row["id"] for row in rows]
    addresses = raw_grouped(
        cur, "SELECT * FROM customers_address WHERE customer_id = ANY(%s) ORDER BY id", ids
    )
    memberships = raw_grouped(
        cur,
        "SELECT m.customer_id, g.code FROM groups_usercustomergroup m"
        " JOIN groups_usergroup g ON g.id = m.group_id WHERE m.customer_id = ANY(%s)",
        ids,
    )
    for row in rows:
        row.pop("password", None)
        own = addresses.get(row["id"], [])
        row["addresses"] = own
        row["default_address"] = next((a for a in own if a["is_default"]), None)
        row["billing_address"] = next((a for a in own if a["is_billing"]), None)
        row["groups"] = sorted(m["code"] for m in memberships.get(row["id"], []))
    return orjson.dumps({"results": rows}, default=str), ids


def raw_orders(cur, where: str, params: list):
    cur.execute(
        f"SELECT o.*, ch.code AS channel FROM orders_order o"
        f" JOIN customers_channel ch ON ch.id = o.channel_id {where}"
        " ORDER BY o.placed_at DESC, o.id DESC LIMIT 50",
        params,
    )
    rows = cur.fetchall()
    ids = [row["id"] for row in rows]
    items = raw_grouped(
        cur, "SELECT * FROM orders_orderitem WHERE order_id = ANY(%s) ORDER BY id", ids, "order_id"
    )
    for row in rows:
        row["items"] = items.get(row["id"], [])
    return orjson.dumps({"results": rows}, default=str), ids


def reads(p: dict) -> list[tuple[str, str, object]]:
    """(name, API path, raw SQL baseline or None)."""

    def customers(where="", params=(), order="c.id", limit=50, offset=0):
        return lambda cur: raw_customers(cur, where, list(params), order, limit, offset)

    cid = p["customer_id"]
    return [
        ("list page 1, per_page=50", "/api/v1/customers/?per_page=50", customers()),
        ("list page 1, per_page=200", "/api/v1/customers/?per_page=200", customers(limit=200)),
        (
            "since_id middle (50)",
            f"/api/v1/customers/?since_id={p['since_mid']}",
            customers("WHERE c.id > %s", [p["since_mid"]]),
        ),
        (
            "since_id deep (50)",
            f"/api/v1/customers/?since_id={p['since_deep']}",
            customers("WHERE c.id > %s", [p["since_deep"]]),
        ),
        ("page=5000 (50)", "/api/v1/customers/?page=5000", customers(offset=4999 * 50)),
        (
            f"email__startswith={p['email_prefix']}",
            f"/api/v1/customers/?email__startswith={p['email_prefix']}",
            customers("WHERE c.email LIKE %s", [p["email_prefix"] + "%"]),
        ),
        (f"q={p['q_common']} (common)", f"/api/v1/customers/?q={p['q_common']}", None),
        (f"q={p['q_rare']} (rare)", f"/api/v1/customers/?q={p['q_rare']}", None),
        (
            f"created_at__date={p['created']}",
            f"/api/v1/customers/?created_at__date={p['created']}",
            customers(
                "WHERE c.created_at >= %s::date AND c.created_at < %s::date + 1",
                [p["created"], p["created"]],
            ),
        ),
        (
            f"total_spent__gte={p['top_spent']}&ordering=-total_spent",
            f"/api/v1/customers/?total_spent__gte={p['top_spent']}&ordering=-total_spent",
            customers("WHERE c.total_spent >= %s", [p["top_spent"]], order="c.total_spent DESC"),
        ),
        ("group=gold", "/api/v1/customers/?group=gold", None),
        ("group_tree=retail", "/api/v1/customers/?group_tree=retail", None),
        (
            "status=active&email_allowed&sms_allowed",
            "/api/v1/customers/?status=active&email_allowed=true&sms_allowed=true",
            customers("WHERE c.status = 'active' AND c.email_allowed AND c.sms_allowed"),
        ),
        (
            "detail, every expansion",
            f"/api/v1/customers/{cid}/?expand={EXPAND}",
            customers("WHERE c.id = %s", [cid], limit=1),
        ),
        ("list, every expansion (50)", f"/api/v1/customers/?expand={EXPAND}", None),
        (
            "orders of a customer",
            f"/api/v1/orders/?customer={cid}",
            lambda cur: raw_orders(cur, "WHERE o.customer_id = %s", [cid]),
        ),
        (
            f"orders placed_at__date={p['placed']}",
            f"/api/v1/orders/?placed_at__date={p['placed']}",
            lambda cur: raw_orders(
                cur,
                "WHERE o.placed_at >= %s::date AND o.placed_at < %s::date + 1",
                [p["placed"], p["placed"]],
            ),
        ),
    ]


# ---------------------------------------------------------------- HTTP


def start_server(port: int, workers: int, threads: int) -> subprocess.Popen:
    env = {"WEB_WORKERS": str(workers), "WEB_THREADS": str(threads)}
    return servers.server_start(ROOT, port, env=env)


class Client:
    def __init__(self, port: int, token: str):
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.headers = {"Authorization": f"Token {token}", "Accept": "application/json"}

    def call(self, method: str, path: str, body=None) -> tuple[float, int, bytes]:
        headers = dict(self.headers)
        payload = None
        if body is not None:
            payload = orjson.dumps(body)
            headers["Content-Type"] = "application/json"
        started = time.perf_counter()
        self.connection.request(method, path, body=payload, headers=headers)
        response = self.connection.getresponse()
        data = response.read()
        return (time.perf_counter() - started) * 1000, response.status, data


def summary(times: list[float]) -> tuple[float, float]:
    ordered = sorted(times)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return statistics.median(ordered), p95


def time_raw(raw, runs: int, warmup: int):
    url = os.environ["DATABASE_URL"]
    with (
        psycopg.connect(url, row_factory=dict_row, autocommit=True) as conn,
        conn.cursor() as cur,
    ):
        for _ in range(warmup):
            raw(cur)
        times = []
        for _ in range(runs):
            started = time.perf_counter()
            _, ids = raw(cur)
            times.append((time.perf_counter() - started) * 1000)
    return summary(times), ids


def time_reads(client: Client, p: dict, runs: int, warmup: int) -> list[dict]:
    rows = []
    for name, path, raw in reads(p):
        for _ in range(warmup):
            client.call("GET", path)
        times, body, status = [], b"", 0
        for _ in range(runs):
            elapsed, status, body = client.call("GET", path)
            times.append(elapsed)
        if status != 200:
            raise SystemExit(f"{path}: {status} {body[:300]!r}")
        data = json.loads(body)
        results = data.get("results", [data])
        row = {"name": name, "path": path, "rows": len(results), "count": data.get("count")}
        row["p50"], row["p95"] = summary(times)
        if raw is not None:
            (row["raw_p50"], row["raw_p95"]), raw_ids = time_raw(raw, runs, warmup)
            api_ids = [item["id"] for item in results]
            row["same_rows"] = api_ids == raw_ids
        rows.append(row)
        print(_line(row), flush=True)
    return rows


def writes(client: Client, p: dict, runs: int) -> list[dict]:
    cid = p["customer_id"]
    tag = uuid.uuid4().hex[:8]

    def customer(n: int) -> dict:
        return {
            "channel": "web",
            "email": f"bench-{tag}-{n}@example.com",
            "first_name": "Bench",
            "last_name": f"Customer {n}",
            "phone": "+1 555 0100",
            "addresses": [{"address": "Main St", "number": str(n), "city": "Springfield"}],
        }

    def upsert(run: int) -> list[dict]:
        # Half the batch updates the previous run's customers, half creates new ones.
        return [
            {
                "channel": "web",
                "email": f"upsert-{tag}-{run * 500 + i}@example.com",
                "first_name": "Upsert",
                "last_name": f"Customer {i}",
                "phone": f"+1 555 {i:04d}",
                "note": str(run),
                "addresses": [{"address": "Main St", "number": str(i), "city": "Springfield"}],
            }
            for i in range(1000)
        ]

    def order(n: int) -> dict:
        return {
            "channel": "web",
            "number": f"BENCH-{tag}-{n}",
            "customer": cid,
            "status": "paid",
            "items": [{"sku": "SKU-00001", "quantity": 2, "unit_price": "10.00"}],
        }

    cases = [
        ("create customer (1 address)", "POST", "/api/v1/customers/", customer, runs, 201),
        (
            "PATCH customer",
            "PATCH",
            f"/api/v1/customers/{cid}/",
            lambda n: {"note": f"bench {n}"},
            runs,
            200,
        ),
        ("upsert 1000 (500 new, 500 updated)", "POST", "/api/v1/customers/upsert/", upsert, 8, 200),
        ("create order (statistics)", "POST", "/api/v1/orders/", order, runs, 201),
    ]
    rows = []
    for name, method, path, make, count, expected in cases:
        client.call(method, path, make(-1))  # warm-up (and the first upsert half)
        times = []
        for n in range(count):
            elapsed, status, body = client.call(method, path, make(n))
            if status != expected:
                raise SystemExit(f"{name}: {status} {body[:300]!r}")
            times.append(elapsed)
        row = {"name": name, "path": f"{method} {path}", "rows": count}
        row["p50"], row["p95"] = summary(times)
        rows.append(row)
        print(_line(row), flush=True)
    return rows


# ---------------------------------------------------------------- output


def _line(row: dict) -> str:
    raw = ""
    if "raw_p50" in row:
        ratio = row["p50"] / row["raw_p50"]
        raw = f"  raw {row['raw_p50']:6.1f} / {row['raw_p95']:6.1f}  x{ratio:.1f}"
        raw += "" if row["same_rows"] else "  ROWS DIFFER"
    return f"{row['name'][:48]:48} {row['p50']:7.1f} / {row['p95']:7.1f} ms{raw}"


def markdown(rows: list[dict], header: str) -> str:
    lines = [
        header,
        "",
        "| request | rows | count | API p50 ms | API p95 ms | raw SQL+JSON p50 ms | API / raw |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        raw = ratio = "—"
        if "raw_p50" in row:
            raw = f"{row['raw_p50']:.1f}"
            ratio = f"{row['p50'] / row['raw_p50']:.1f}x"
        count = row.get("count")
        count = "—" if count is None else f"{count:,}"
        lines.append(
            f"| `{row['name']}` | {row['rows']} | {count} | {row['p50']:.1f} | "
            f"{row['p95']:.1f} | {raw} | {ratio} |"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--no-writes", action="store_true", help="time the reads only")
    parser.add_argument("--markdown", help="also write the table to this file")
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        raise SystemExit("Run on PostgreSQL: set DATABASE_URL.")

    prepare(args.customers)
    token = api_token()
    params = pick_parameters(args.customers)
    total = Customer.objects.count()
    connection.close()  # the bench process holds no connection while timing
    port = servers.free_port()
    server = start_server(port, args.workers, args.threads)
    try:
        client = Client(port, token)
        print(f"{total:,} customers; gunicorn {args.workers}x{args.threads} on port {port}")
        print(f"{'request':48} {'p50':>7} / {'p95':>7} ms   raw p50 / p95   API/raw")
        rows = time_reads(client, params, args.runs, args.warmup)
        if not args.no_writes:
            rows += writes(client, params, args.runs)
    finally:
        server.terminate()
        server.wait(timeout=30)
    if args.markdown:
        header = (
            f"{total:,} customers, gunicorn {args.workers} workers x {args.threads} threads, "
            f"one keep-alive client, {args.runs} runs after {args.warmup} warm-up "
            f"(upsert: 8 runs); times in ms."
        )
        Path(args.markdown).write_text(markdown(rows, header))
        print(f"wrote {args.markdown}")


if __name__ == "__main__":
    main()
