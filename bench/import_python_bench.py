"""The import's Python per new customer, without a database: the CSV reader, the row check and
the writer's COPY values and match keys, as `import_customers` runs them for a create.

    DEBUG=1 .venv/bin/python bench/import_python_bench.py [--rows 50000] [--rounds 3] [--csv PATH]

Generates `bench/import_bench.py`'s CSV (or reads the one given) and prints the CPU µs per row
of each round (time.process_time, so other processes' load counts less than in wall time).
To compare two checkouts, run it from each in turn, A B A B, on the same file.
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")

import django  # noqa: E402

django.setup()

from django.utils import timezone  # noqa: E402

from bench.import_bench import CHANNEL, GROUPS, csv_generate  # noqa: E402
from customers.imports import writers  # noqa: E402
from customers.imports.readers import csv_rows_read  # noqa: E402
from customers.imports.rows import RowContext, row_clean  # noqa: E402

REGION = "BR"


def rows_run(path: Path) -> int:
    """Read, check and key every row of the file as new customers; return the row count."""
    context = RowContext(
        channels={CHANNEL: 1},
        groups={code: n for n, code in enumerate(GROUPS, start=1)},
        default_channel=CHANNEL,
    )
    now, count = timezone.now(), 0
    with path.open(newline="", encoding="utf-8") as handle:
        for line, data, _ in csv_rows_read(handle):
            row = row_clean(line, data, context)
            values = writers._insert_values(row, now)
            writers._created_keys(row, values, REGION)
            count += 1
    return count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--csv", type=Path, help="a file of bench/import_bench.py's columns")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        path = args.csv
        if path is None:
            path = Path(scratch) / "customers.csv"
            csv_generate(path, args.rows)
        per_row = []
        for number in range(1, args.rounds + 1):
            started = time.process_time()
            count = rows_run(path)
            per_row.append((time.process_time() - started) / count * 1e6)
            print(f"round {number}: {count} rows, {per_row[-1]:.1f} µs CPU per row")
    print(f"median {statistics.median(per_row):.1f} µs CPU per row")


if __name__ == "__main__":
    main()
