"""Time the duplicate candidates over a large customer table, and what keeping them costs a write.

Expects customers built by `seed_demo --fast` (their keys and candidate pairs filled by its
"match keys" and "candidate pairs" phases). The demo data has few true duplicates
(identifications are random; phones come from pools of 400 per locale, so every phone is a
placeholder shared by thousands and pairs nobody), so the script first plants `--pairs`
duplicates: every Nth customer takes the identification and the phone of the previous one of
its channel (one UPDATE, then the keys and pairs of those customers are refreshed the way every
write refreshes them). Then, interleaved over --runs rounds, through the real HTTP stack (DRF's
APIClient): page 1 of `GET /api/v1/duplicates/`, a later page, page 1 of one channel, and
`GET /api/v1/customers/{id}/duplicates/` of a planted customer (median and p95 in ms).

Then the cost of the pair maintenance on writes, interleaved: one `POST /customers/upsert/`
(a planted customer's identification set to its partner's or a fresh one, turn about: its pair
comes and goes) and an import of --import-rows customers (customers_import, new
identifications), each with the pairs kept ("after") and with customers.match_keys's call of
candidate_pairs_refresh replaced by nothing ("before", the keys alone, as before the table).
The table is rebuilt at the end (timed: what `duplicates_refresh` costs), so it is exact again.

Usage (PostgreSQL; a scratch database):
    createdb bench_dupkeys
    DATABASE_URL=postgres://root@127.0.0.1:5432/bench_dupkeys .venv/bin/python manage.py migrate
    DATABASE_URL=... .venv/bin/python manage.py seed_demo --fast --customers 1000000 \\
        --orders-per-customer 0
    DATABASE_URL=... .venv/bin/python bench/duplicates_bench.py --pairs 10000 --runs 21
"""

import argparse
import statistics
import time
from contextlib import contextmanager

import bench_setup  # noqa: F401 - Django set up: before any app module

# isort: split

from django.contrib.auth import get_user_model
from django.db import connection
from rest_framework.test import APIClient

import customers.match_keys
from customers.imports import customers_import
from customers.match_keys import customer_match_keys_refresh
from customers.match_pairs import candidate_pairs_rebuild
from customers.models import CandidatePair, Channel, Customer

PLANT_SQL = """
UPDATE customers_customer c SET identification = p.identification, phone = p.phone
  FROM customers_customer p
 WHERE p.id = c.id - %(step)s AND p.channel_id = c.channel_id AND c.id %% %(every)s = 0
 RETURNING c.id, p.id
"""


def _plant(pairs: int) -> list[tuple[int, int]]:
    total = Customer.objects.count()
    every = max(2, total // pairs)
    with connection.cursor() as cursor:
        # Planting is set-up, not a request: no request statement timeout (reset below).
        cursor.execute("SET statement_timeout = 0")
        # seed_demo deals customers to the channels in turn: the one `step` ids back shares
        # the channel.
        cursor.execute(PLANT_SQL, {"every": every, "step": Channel.objects.count()})
        planted = cursor.fetchall()
    customer_match_keys_refresh([pk for pk, _ in planted])
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE customers_customer")
        cursor.execute("ANALYZE customers_candidatepair")
        cursor.execute("RESET statement_timeout")
    return planted


def _timed(action) -> float:
    started = time.perf_counter()
    action()
    return (time.perf_counter() - started) * 1000


def _get(client: APIClient, url: str):
    def get():
        response = client.get(url)
        assert response.status_code == 200, response.content[:300]

    return get


def _report(timings: dict[str, list[float]]) -> None:
    for name, values in timings.items():
        values.sort()
        p95 = values[max(0, int(len(values) * 0.95) - 1)]
        print(f"{name:34} median {statistics.median(values):9.1f} ms   p95 {p95:9.1f} ms")


@contextmanager
def _pairs_kept(kept: bool):
    """With kept False, the keys' writers skip the pairs (the cost before the table)."""
    real = customers.match_keys.candidate_pairs_refresh
    if not kept:
        customers.match_keys.candidate_pairs_refresh = lambda *args, **kwargs: None
    try:
        yield
    finally:
        customers.match_keys.candidate_pairs_refresh = real


def _reads(client: APIClient, planted, runs: int) -> None:
    channel = Channel.objects.order_by("code").first().code
    urls = {
        "list, page 1": "/api/v1/duplicates/",
        "list, page 50": "/api/v1/duplicates/?page=50",
        "list, one channel, page 1": f"/api/v1/duplicates/?channel={channel}",
        "one customer": f"/api/v1/customers/{planted[len(planted) // 2][0]}/duplicates/",
    }
    first = client.get(urls["list, page 1"]).json()
    print(
        f"customers {Customer.objects.count():,}, planted {len(planted):,}, "
        f"pairs listed {first['count']:,}; first pair {first['results'][0]}"
    )
    timings: dict[str, list[float]] = {name: [] for name in urls}
    for _ in range(runs):
        for name, url in urls.items():
            timings[name].append(_timed(_get(client, url)))
    _report(timings)


def _writes(client: APIClient, planted, runs: int, import_rows: int) -> None:
    customer_id, partner_id = planted[len(planted) // 3]
    customer = Customer.objects.select_related("channel").get(pk=customer_id)
    shared = Customer.objects.get(pk=partner_id).identification
    rows = list(
        Customer.objects.filter(channel=customer.channel, merged_into=None)
        .order_by("-pk")
        .values_list("email", flat=True)[:import_rows]
    )
    code = customer.channel.code
    timings: dict[str, list[float]] = {}
    for run in range(runs):
        for kept in (False, True):
            label = "after (pairs kept)" if kept else "before (keys only)"
            identification = shared if (2 * run + kept) % 2 else f"9{run:04d}{int(kept)}77123"
            body = {"channel": code, "email": customer.email, "identification": identification}

            def upsert(body=body):
                response = client.post("/api/v1/customers/upsert/", body, format="json")
                assert response.status_code == 200, response.content[:300]

            def load(run=run, kept=kept):
                items = (
                    (
                        n,
                        {
                            "channel": code,
                            "email": email,
                            "identification": f"8{run:03d}{n:06d}{int(kept)}",
                        },
                        {},
                    )
                    for n, email in enumerate(rows, 1)
                )
                result = customers_import(items)
                assert not result.errors, result.errors[:3]

            with _pairs_kept(kept):
                timings.setdefault(f"upsert of one, {label}", []).append(_timed(upsert))
                timings.setdefault(f"import of {len(rows):,}, {label}", []).append(_timed(load))
    _report(timings)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pairs", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=21)
    parser.add_argument("--write-runs", type=int, default=5)
    parser.add_argument("--import-rows", type=int, default=10_000)
    args = parser.parse_args()
    started = time.perf_counter()
    planted = _plant(args.pairs)
    print(f"planted {len(planted):,} in {time.perf_counter() - started:.1f} s (keys and pairs)")
    user, _ = get_user_model().objects.get_or_create(
        username="bench-duplicates", defaults={"is_superuser": True, "is_staff": True}
    )
    client = APIClient(HTTP_HOST="localhost")
    client.force_authenticate(user)
    _reads(client, planted, args.runs)
    _writes(client, planted, args.write_runs, args.import_rows)
    with connection.cursor() as cursor:
        cursor.execute("SET statement_timeout = 0")  # an operator's command, not a request
    rebuilt = _timed(candidate_pairs_rebuild)
    print(f"rebuild of every pair: {rebuilt / 1000:.1f} s, {CandidatePair.objects.count():,} pairs")


if __name__ == "__main__":
    main()
