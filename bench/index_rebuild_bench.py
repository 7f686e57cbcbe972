"""Time the rebuild of the customer indexes an import defers, on one or two connections.

    DATABASE_URL=postgres://root@127.0.0.1:5432/DB DEBUG=1 \
        .venv/bin/python bench/index_rebuild_bench.py [--rounds 2]

The database must hold the customers already (e.g. after bench/compare.py --keep, or an
import). Each round drops the indexes an import would (customers.imports.deferred_indexes)
and rebuilds them with BUILDERS 1, then again with 2 (A B A B); it prints each rebuild and
the medians.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import django

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    django.setup()
    from config.bulk_load import LoadIndexes
    from customers.imports.deferred_indexes import KEPT, MAINTENANCE_WORK_MEM
    from customers.models import Customer

    table = Customer._meta.db_table
    print(f"{Customer.objects.count():,} customers")
    timings: dict[int, list[float]] = {1: [], 2: []}
    for number in range(1, args.rounds + 1):
        for builders in (1, 2):
            load = LoadIndexes(
                {table: KEPT}, maintenance_work_mem=MAINTENANCE_WORK_MEM, builders=builders
            )
            assert load.defer()
            started = time.monotonic()
            load.restore()
            seconds = time.monotonic() - started
            timings[builders].append(seconds)
            slowest = max(load.seconds, key=load.seconds.get)
            print(
                f"round {number} builders={builders}: {len(load.dropped)} indexes in "
                f"{seconds:.2f} s (builds summed {sum(load.seconds.values()):.2f} s, the "
                f"longest {slowest} {load.seconds[slowest]:.2f} s)",
                flush=True,
            )
    one, two = statistics.median(timings[1]), statistics.median(timings[2])
    print(f"median: 1 builder {one:.2f} s, 2 builders {two:.2f} s, ratio {one / two:.2f}")


if __name__ == "__main__":
    main()
