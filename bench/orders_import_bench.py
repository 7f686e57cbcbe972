"""Benchmark `manage.py import_orders` on PostgreSQL: this checkout against another (the old code).

    .venv/bin/python bench/orders_import_bench.py [--orders 100000] [--old-orders 2000] \
        [--old-checkout /tmp/orders-old] [--rounds 3] [--db-prefix bench_orders]

Builds (once) a template database of 100,000 customers with their orders (`seed_demo --fast`),
then generates a deterministic NDJSON feed: N orders of 2 items each, a third for new
customers (e-mails not in the database), the others for existing customers, spread over the
demo channels. Each round copies the template into a fresh database (CREATE DATABASE ...
TEMPLATE) and imports the feed's first `--old-orders` orders with the old checkout's code, then
the whole feed with this checkout's, in that order (interleaved, so a busy machine weighs on
both alike). Each import runs as a subprocess so its peak RSS is its own (os.wait4); the
orders/s come from the import's own summary (time inside the import, no process start). After
each new-code import, `recompute_customer_stats` must find nothing to fix. The databases are
dropped at the end (the template too, unless --keep-template); they are named
<db-prefix>_template and <db-prefix>_run.
"""

import argparse
import json
import os
import random
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
SERVER = "postgres://root@127.0.0.1:5432"
# Database names: <prefix>_template and <prefix>_run (--db-prefix).
DB_PREFIX = "bench_orders"
CUSTOMERS = 100_000
STATUSES = ("paid", "paid", "fulfilled", "pending", "cancelled")
SKUS = [f"SKU-{n:04d}" for n in range(500)]
_SUMMARY = re.compile(r"(\d+) created, (\d+) updated, (\d+) rejected in ([0-9.]+) s")


def admin(sql: str) -> None:
    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as conn:
        conn.execute(sql)


def template_build(template: str) -> None:
    """A migrated database with CUSTOMERS demo customers, their addresses and orders."""
    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [template]).fetchone():
            return
        conn.execute(f"CREATE DATABASE {template}")
    env = {**os.environ, "DATABASE_URL": f"{SERVER}/{template}", "DEBUG": "1"}
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    subprocess.run(
        [*manage, "seed_demo", "--fast", "--customers", str(CUSTOMERS)],
        cwd=ROOT,
        env=env,
        check=True,
    )
    with psycopg.connect(f"{SERVER}/{template}", autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")


def feed_generate(template: str, path: Path, orders: int, seed: int = 21) -> None:
    """Write the deterministic NDJSON feed (same arguments, same bytes)."""
    with psycopg.connect(f"{SERVER}/{template}") as conn:
        buyers = conn.execute(
            "SELECT ch.code, c.email FROM customers_customer c "
            "JOIN customers_channel ch ON ch.id = c.channel_id ORDER BY c.id"
        ).fetchall()
    channels = sorted({code for code, _ in buyers})
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8") as handle:
        for n in range(orders):
            if n % 3 == 0:
                channel, email = channels[n % len(channels)], f"feed.new.{n}@example.com"
                customer = {"email": email, "first_name": "New", "last_name": f"Buyer {n}"}
            else:
                channel, email = buyers[rng.randrange(len(buyers))]
                customer = {"email": email}
            items = [
                {
                    "sku": rng.choice(SKUS),
                    "name": "Feed item",
                    "quantity": rng.randrange(1, 4),
                    "unit_price": f"{rng.randrange(100, 50000) / 100:.2f}",
                }
                for _ in range(2)
            ]
            row = {
                "channel": channel,
                "number": f"FEED-{n:08d}",
                "status": rng.choice(STATUSES),
                "placed_at": f"2026-{rng.randrange(1, 12):02d}-{rng.randrange(1, 28):02d}T"
                f"{rng.randrange(24):02d}:{rng.randrange(60):02d}:00Z",
                "shipping_total": "9.90",
                "customer": customer,
                "items": items,
            }
            handle.write(json.dumps(row) + "\n")


def import_run(dbs: tuple[str, str], checkout: Path, path: Path) -> tuple[float, int, str]:
    """import_orders from `checkout` into a fresh copy of the template; return (orders/s,
    peak RSS in MB, summary line)."""
    template, run = dbs
    admin(f"DROP DATABASE IF EXISTS {run}")
    admin(f"CREATE DATABASE {run} TEMPLATE {template}")
    env = {**os.environ, "DATABASE_URL": f"{SERVER}/{run}", "DEBUG": "1"}
    command = [sys.executable, "manage.py", "import_orders", str(path)]
    child = subprocess.Popen(command, cwd=checkout, env=env, stdout=subprocess.PIPE, text=True)
    output = child.stdout.read()
    _, status, usage = os.wait4(child.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"import failed in {checkout}: {output}")
    summary = output.strip().splitlines()[-1]
    created, updated, rejected, seconds = _SUMMARY.search(summary).groups()
    rows = int(created) + int(updated) + int(rejected)
    return rows / float(seconds), usage.ru_maxrss // 1024, summary


def stats_check(run: str, checkout: Path) -> str:
    """recompute_customer_stats on the imported database: must update nobody."""
    env = {**os.environ, "DATABASE_URL": f"{SERVER}/{run}", "DEBUG": "1"}
    done = subprocess.run(
        [sys.executable, "manage.py", "recompute_customer_stats"],
        cwd=checkout,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return done.stdout.strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--old-orders", type=int, default=2_000)
    parser.add_argument("--old-checkout", default="/tmp/orders-old")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--path", default="/tmp/patron_orders_bench.ndjson")
    parser.add_argument("--keep-template", action="store_true")
    parser.add_argument(
        "--db-prefix", default=DB_PREFIX, help="databases <prefix>_template and <prefix>_run"
    )
    args = parser.parse_args()
    template, run = f"{args.db_prefix}_template", f"{args.db_prefix}_run"
    started = time.monotonic()
    template_build(template)
    path, old_path = Path(args.path), Path(args.path).with_suffix(".old.ndjson")
    feed_generate(template, path, args.orders)
    with path.open() as source, old_path.open("w") as target:
        target.writelines(line for _, line in zip(range(args.old_orders), source, strict=False))
    print(f"template and feeds ready in {time.monotonic() - started:.0f} s")
    runs: dict[str, list[tuple[float, int]]] = {"old": [], "new": []}
    try:
        for number in range(args.rounds):
            for label, checkout, feed in (
                ("old", Path(args.old_checkout), old_path),
                ("new", ROOT, path),
            ):
                rate, peak, summary = import_run((template, run), checkout, feed)
                runs[label].append((rate, peak))
                check = stats_check(run, ROOT) if label == "new" else ""
                print(f"round {number + 1} {label}: {rate:,.0f} orders/s, {peak} MB | {summary}")
                if check:
                    print(f"    {check}")
    finally:
        admin(f"DROP DATABASE IF EXISTS {run}")
        if not args.keep_template:
            admin(f"DROP DATABASE IF EXISTS {template}")
    old = statistics.median(rate for rate, _ in runs["old"])
    new = statistics.median(rate for rate, _ in runs["new"])
    print(
        f"median old ({args.old_orders:,} orders): {old:,.0f} orders/s, peak RSS "
        f"{max(peak for _, peak in runs['old'])} MB"
    )
    print(
        f"median new ({args.orders:,} orders): {new:,.0f} orders/s, peak RSS "
        f"{max(peak for _, peak in runs['new'])} MB"
    )
    print(f"ratio new/old: {new / old:.1f}x")


if __name__ == "__main__":
    main()
