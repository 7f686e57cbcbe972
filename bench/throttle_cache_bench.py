"""Cost per API request of where throttle counters live: the database cache (the default,
config.cache's, and Django's own for comparison), Redis, and a local-memory cache (per
process: it does not hold the rate across workers).

    DATABASE_URL=postgres://root@127.0.0.1:5432/<db> .venv/bin/python bench/throttle_cache_bench.py

The database is migrated and given its cache table. Each round times a batch of GETs of
/api/v1/channels/ (a small answer, so the throttle's share shows) with each cache in turn,
interleaved; the cache holds `--other-keys` entries of other users first, as a busy server's
would (the database cache counts its rows on every write). Prints the median per request.
"""

import argparse
import statistics
import time

import bench_setup  # noqa: F401  (django.setup())
from django.contrib.auth import get_user_model
from django.core.cache.backends.db import DatabaseCache as DjangoDatabaseCache
from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache
from django.core.management import call_command
from django.test import Client
from django.test.utils import setup_test_environment
from rest_framework.authtoken.models import Token

from config.cache import DatabaseCache
from config.throttling import ApiUserThrottle

REDIS_URL = "redis://127.0.0.1:6379/14"


def _caches() -> dict:
    options = {"OPTIONS": {"MAX_ENTRIES": 100_000}}
    return {
        "database (Django's)": DjangoDatabaseCache("patron_cache", options),
        "database (config.cache)": DatabaseCache("patron_cache", options),
        "redis": RedisCache(REDIS_URL, {}),
        "local memory": LocMemCache("bench", {}),
        "none (throttle off)": None,
    }


def _batch(client: Client, headers: dict, requests: int) -> float:
    started = time.perf_counter()
    for _ in range(requests):
        response = client.get("/api/v1/channels/", headers=headers)
        assert response.status_code == 200, response.status_code
    return (time.perf_counter() - started) * 1000 / requests


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--other-keys", type=int, default=10_000)
    args = parser.parse_args()

    setup_test_environment()
    call_command("migrate", "--noinput", verbosity=0)
    call_command("createcachetable", verbosity=0)
    user, _ = get_user_model().objects.get_or_create(username="bench-throttle", is_superuser=True)
    headers = {"Authorization": f"Token {Token.objects.get_or_create(user=user)[0].key}"}
    caches = _caches()
    others = {f"other-{n}": [time.time()] for n in range(args.other_keys)}
    for cache in caches.values():
        if cache is not None:
            cache.clear()
            cache.set_many(others, 3600)
    timings = {name: [] for name in caches}
    client = Client()
    original = ApiUserThrottle.allow_request
    for _ in range(args.rounds):
        for name, cache in caches.items():
            if cache is None:
                ApiUserThrottle.allow_request = lambda self, request, view: True
            else:
                ApiUserThrottle.allow_request = original
                ApiUserThrottle.cache = cache
                cache.delete(f"rate_api_user_{user.pk}")
            timings[name].append(_batch(client, headers, args.requests))
    ApiUserThrottle.allow_request = original
    base = statistics.median(timings["none (throttle off)"])
    print(f"{args.rounds} rounds x {args.requests} GET /api/v1/channels/, {args.other_keys} keys")
    print("| counters in | ms per request (median) | vs throttle off |")
    print("|---|---|---|")
    for name, values in timings.items():
        median = statistics.median(values)
        print(f"| {name} | {median:.2f} | +{median - base:.2f} ms |")


if __name__ == "__main__":
    main()
