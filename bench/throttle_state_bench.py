"""Cost of the per-user throttle for a caller already busy in its period: DRF's list of request
times (the throttle before 2026-12-04) against the bucket of config.throttling (one float).

    DATABASE_URL=postgres://root@127.0.0.1:5432/<db> .venv/bin/python bench/throttle_state_bench.py

Each round times `--calls` allow_request calls of each throttle in turn (interleaved), in the
configured cache (the database cache by default), for a caller who already sent `--busy`
requests in the last minute (6,000 is the default rate's whole budget): the list throttle
starts with that many times, the bucket with the time it is empty again. The rate is set high
enough that no call is refused. Prints the median microseconds per call and the bytes each
keeps in the cache for that caller.
"""

import argparse
import pickle
import statistics
import time
from types import SimpleNamespace

import bench_setup  # noqa: F401  (django.setup())
from django.conf import settings
from django.core.cache import cache
from django.core.management import call_command
from rest_framework.throttling import UserRateThrottle

from config.throttling import ApiUserThrottle, RateLimitHeadersMixin


class ListThrottle(RateLimitHeadersMixin, UserRateThrottle):
    """The per-user throttle as it was: DRF's list of request times."""

    scope = "api_user"


def _caller(pk: int):
    user = SimpleNamespace(pk=pk, is_authenticated=True)
    return SimpleNamespace(user=user, META={"REMOTE_ADDR": "127.0.0.1"})


def _time(throttle_class, state, calls: int, pk: int) -> tuple[float, int]:
    request = _caller(pk)
    probe = throttle_class()
    key = probe.cache_format % {"scope": probe.scope, "ident": pk}
    cache.set(key, state, 120)
    started = time.perf_counter()
    for _ in range(calls):
        view = SimpleNamespace(headers={})
        if not throttle_class().allow_request(request, view):
            raise SystemExit(f"{throttle_class.__name__} refused: raise the rate")
    per_call = (time.perf_counter() - started) / calls * 1e6
    return per_call, len(pickle.dumps(cache.get(key), pickle.HIGHEST_PROTOCOL))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--busy", type=int, default=6000, help="requests already in the period")
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    call_command("createcachetable", verbosity=0)
    rate = f"{(args.busy + args.calls * args.rounds) * 2}/min"
    ListThrottle.rate = ApiUserThrottle.rate = rate
    now = time.time()
    interval = 60 / ((args.busy + args.calls * args.rounds) * 2)
    throttles = {
        "DRF's list of times": (ListThrottle, [now - n * 0.005 for n in range(args.busy)]),
        "bucket (one float)": (ApiUserThrottle, now + args.busy * interval),
    }
    timings = {name: [] for name in throttles}
    sizes = {}
    for round_ in range(args.rounds):
        for index, (name, (throttle_class, state)) in enumerate(throttles.items()):
            pk = 10_000 + round_ * 10 + index
            per_call, size = _time(throttle_class, state, args.calls, pk)
            timings[name].append(per_call)
            sizes[name] = size
    backend = settings.CACHES["default"]["BACKEND"]
    print(f"cache {backend}; caller busy with {args.busy} requests;")
    print(f"{args.rounds} rounds x {args.calls} calls, interleaved")
    print("| throttle | µs per call (median) | per round | bytes kept for the caller |")
    print("|---|---:|---|---:|")
    for name, values in timings.items():
        rounds = ", ".join(f"{value:.0f}" for value in values)
        print(f"| {name} | {statistics.median(values):.0f} | {rounds} | {sizes[name]:,} |")
    list_median, bucket_median = (statistics.median(values) for values in timings.values())
    print(f"ratio list / bucket: {list_median / bucket_median:.1f}x")


if __name__ == "__main__":
    main()
