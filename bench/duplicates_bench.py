"""Time the first page of the duplicate candidates over a large customer table.

Expects customers built by `seed_demo --fast` (their keys filled by its "match keys" phase).
The demo data has few true duplicates (identifications are random; phones come from pools of
400 per locale, so every phone is a placeholder shared by thousands and pairs nobody), so the
script first plants `--pairs` duplicates: every Nth customer takes the identification and the
phone of the previous one of its channel (one UPDATE, then the keys of those customers are
refreshed the way every write refreshes them). Then it times, interleaved over --runs rounds,
through the real HTTP stack (DRF's APIClient): the first page of `GET /api/v1/duplicates/`, the same
filtered by one channel, and `GET /api/v1/customers/{id}/duplicates/` of a planted customer.
Medians and p90 in milliseconds.

Usage (PostgreSQL; a scratch database):
    createdb bench_dupkeys
    DATABASE_URL=postgres://root@127.0.0.1:5432/bench_dupkeys .venv/bin/python manage.py migrate
    DATABASE_URL=... .venv/bin/python manage.py seed_demo --fast --customers 1000000 \\
        --orders-per-customer 0
    DATABASE_URL=... .venv/bin/python bench/duplicates_bench.py --pairs 10000 --runs 15
"""

import argparse
import statistics
import time

import bench_setup  # noqa: F401 - Django set up: before any app module

# isort: split

from django.contrib.auth import get_user_model
from django.db import connection
from rest_framework.test import APIClient

from customers.match_keys import customer_match_keys_refresh
from customers.models import Channel, Customer

PLANT_SQL = """
UPDATE customers_customer c SET identification = p.identification, phone = p.phone
  FROM customers_customer p
 WHERE p.id = c.id - %(step)s AND p.channel_id = c.channel_id AND c.id %% %(every)s = 0
 RETURNING c.id
"""


def _plant(pairs: int) -> list[int]:
    total = Customer.objects.count()
    every = max(2, total // pairs)
    with connection.cursor() as cursor:
        # Planting is set-up, not a request: no request statement timeout (reset below).
        cursor.execute("SET statement_timeout = 0")
        # seed_demo deals customers to the channels in turn: the one `step` ids back shares
        # the channel.
        cursor.execute(PLANT_SQL, {"every": every, "step": Channel.objects.count()})
        ids = [row[0] for row in cursor.fetchall()]
    customer_match_keys_refresh(ids)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE customers_customer")
        cursor.execute("RESET statement_timeout")
    return ids


def _timed(client: APIClient, url: str) -> float:
    started = time.perf_counter()
    response = client.get(url)
    elapsed = (time.perf_counter() - started) * 1000
    assert response.status_code == 200, response.content[:300]
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pairs", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    planted = _plant(args.pairs)
    user, _ = get_user_model().objects.get_or_create(
        username="bench-duplicates", defaults={"is_superuser": True, "is_staff": True}
    )
    client = APIClient(HTTP_HOST="localhost")
    client.force_authenticate(user)
    channel = Channel.objects.order_by("code").first().code
    urls = {
        "list": "/api/v1/duplicates/",
        "list, one channel": f"/api/v1/duplicates/?channel={channel}",
        "one customer": f"/api/v1/customers/{planted[len(planted) // 2]}/duplicates/",
    }
    first = client.get(urls["list"]).json()
    print(
        f"customers {Customer.objects.count():,}, planted {len(planted):,}, "
        f"pairs listed {first['count']:,}; first pair {first['results'][0]}"
    )
    timings: dict[str, list[float]] = {name: [] for name in urls}
    for _ in range(args.runs):
        for name, url in urls.items():
            timings[name].append(_timed(client, url))
    for name, values in timings.items():
        values.sort()
        p90 = values[int(len(values) * 0.9) - 1]
        print(f"{name:20} median {statistics.median(values):8.1f} ms   p90 {p90:8.1f} ms")


if __name__ == "__main__":
    main()
