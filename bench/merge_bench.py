"""Time merging a customer with many orders into another, its dry run and its undo.

Each run creates a fresh pair in a `merge-bench` channel: the merged customer gets --orders
orders (one set-based INSERT, statistics refreshed), the kept one 10; then times, one after
the other on the same pair: the dry run, the merge, the undo. Small pairs (10 orders) are run
interleaved with the large ones, for the ratio. Medians over --runs.

Usage (PostgreSQL; a scratch database, dropped afterwards):
    DATABASE_URL=postgres://root@127.0.0.1:5432/bench_merge .venv/bin/python manage.py migrate
    DATABASE_URL=postgres://root@127.0.0.1:5432/bench_merge .venv/bin/python \\
        bench/merge_bench.py --orders 10000 --runs 5
"""

import argparse
import statistics
import time

import bench_setup  # noqa: F401 - Django set up: before any app module

# isort: split

from django.contrib.auth import get_user_model
from django.db import connection

from customers.models import Channel, Customer
from merges.services import customer_merge, merge_undo
from orders.models import Order
from orders.services import customer_stats_refresh

ORDERS_SQL = """
INSERT INTO orders_order (
    channel_id, number, customer_id, status, currency, subtotal, shipping_total, tax_total,
    discount_total, total, placed_at, shipping_address, billing_address, created_at,
    updated_at, version
)
SELECT %(channel)s, %(tag)s || '-' || n, %(customer)s, 'paid', 'USD', 10, 0, 0, 0, 10 + n %% 7,
       now() - (n || ' minutes')::interval, NULL, NULL, now(), now(), 1
FROM generate_series(1, %(count)s) AS n
"""


def _pair(channel: Channel, orders: int, tag: str) -> tuple[int, int]:
    kept = Customer.objects.create(channel=channel, email=f"kept-{tag}@example.com")
    merged = Customer.objects.create(channel=channel, email=f"merged-{tag}@example.com")
    with connection.cursor() as cursor:
        for customer, count in ((kept, 10), (merged, orders)):
            params = {"channel": channel.pk, "tag": f"{tag}-{customer.pk}", "customer": customer.pk}
            cursor.execute(ORDERS_SQL, {**params, "count": count})
    customer_stats_refresh(customer_ids=[kept.pk, merged.pk])
    return kept.pk, merged.pk


def _timed(work) -> tuple[float, object]:
    started = time.perf_counter()
    result = work()
    return (time.perf_counter() - started) * 1000, result


def _run(channel, user, orders: int, tag: str) -> dict[str, float]:
    keep, merge = _pair(channel, orders, tag)
    dry, _ = _timed(lambda: customer_merge(keep=keep, merge=[merge], dry_run=True, user=user))
    merged, outcome = _timed(lambda: customer_merge(keep=keep, merge=[merge], user=user))
    assert Order.objects.filter(customer_id=keep).count() == orders + 10
    undone, _ = _timed(lambda: merge_undo(merge=outcome.merge, user=user))
    assert Order.objects.filter(customer_id=merge).count() == orders
    return {"dry run": dry, "merge": merged, "undo": undone}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    user, _ = get_user_model().objects.get_or_create(
        username="merge-bench", defaults={"is_superuser": True, "is_staff": True}
    )
    channel, _ = Channel.objects.get_or_create(code="merge-bench", defaults={"name": "Bench"})
    times: dict[int, dict[str, list[float]]] = {}
    stamp = int(time.time())
    for run in range(args.runs):
        for size in (10, args.orders):  # interleaved: small then large, each run
            measured = _run(channel, user, size, f"{stamp}-{run}-{size}")
            for name, value in measured.items():
                times.setdefault(size, {}).setdefault(name, []).append(value)
    print(f"| step | {args.orders:,} orders p50 ms | 10 orders p50 ms | ratio |")
    print("|---|---:|---:|---:|")
    for name in ("dry run", "merge", "undo"):
        large = statistics.median(times[args.orders][name])
        small = statistics.median(times[10][name])
        print(f"| {name} | {large:.1f} | {small:.1f} | {large / small:.1f} |")


if __name__ == "__main__":
    main()
