"""The import's SQL floor (bench/compare.py) with the index deferral Patron's import uses.

compare.py's floor loads into a table that keeps every index; `import_customers` defers the
customer table's non-unique secondary indexes for a load large against the table
(customers.imports.deferred_indexes) and rebuilds them at its end. This runs the same floor
inside the same deferral, so the two compare like for like:

    DATABASE_URL=postgres://root@127.0.0.1:5432/scratch REQUEST_STATEMENT_TIMEOUT_MS=0 \\
        .venv/bin/python bench/floor_deferred.py /tmp/cmpdata/compare_1000000.csv

The database must be migrated; its customer tables are emptied (import_bench.database_prepare).
The file is one of compare.py's (bench/import_bench.py's CSV). Prints the load's seconds, the
rebuild's and their sum.
"""

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

from bench_setup import ROOT  # Django set up: before any app module

# isort: split

from import_bench import database_prepare

from config.bulk_load import LoadIndexes
from customers.imports.deferred_indexes import KEPT, MAINTENANCE_WORK_MEM
from customers.models import Customer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", type=Path, help="a CSV of bench/import_bench.py")
    args = parser.parse_args()
    database_prepare(os.environ["DATABASE_URL"])
    load = LoadIndexes({Customer._meta.db_table: KEPT}, maintenance_work_mem=MAINTENANCE_WORK_MEM)
    started = time.monotonic()
    load.defer()
    try:
        floor = [sys.executable, str(ROOT / "bench/compare.py"), "--floor", str(args.path)]
        subprocess.run(floor, check=True, env=os.environ)
        loaded = time.monotonic()
    finally:
        load.restore()
    ended = time.monotonic()
    print(
        f"load {loaded - started:.1f} s, index rebuild {ended - loaded:.1f} s, "
        f"total {ended - started:.1f} s"
    )


if __name__ == "__main__":
    main()
