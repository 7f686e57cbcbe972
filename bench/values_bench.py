"""What the stored-value checks (config/values.py) cost the customer validator per import row.

    DEBUG=1 .venv/bin/python bench/values_bench.py [--rows 20000] [--rounds 5]

Validates the same deterministic rows (a CSV export's row: every text column filled, a date,
attributes with a few keys, one address; a tenth with non-ASCII names) with `row_clean`, in
rounds that alternate the checks on and off (off: config.values' text, JSON and date checks
replaced by the identity inside this process only), and prints each run, the medians and the
ratio on/off. Nothing is written: row_clean needs the channel and group lookups only, given
here as a RowContext. Runs on any database (it does not touch one).
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")

import django  # noqa: E402

django.setup()

from config import values  # noqa: E402
from customers.imports import rows  # noqa: E402


def _rows(count: int) -> list[dict]:
    made = []
    for n in range(count):
        name = "Zoë" if n % 10 == 0 else "Ann"
        made.append(
            {
                "channel": "web",
                "email": f"customer{n}@example.com",
                "first_name": f"{name}{n}",
                "last_name": "Lee",
                "company": "Acme Ltd",
                "phone": "+55 11 99999-0000",
                "identification": str(10_000_000_000 + n),
                "note": "Prefers morning deliveries",
                "status": "active",
                "gender": "female",
                "user_type": "registered",
                "date_of_birth": "1990-05-17",
                "date_joined": "2024-01-15T10:00:00+00:00",
                "discount_percent": "5.00",
                "attributes": {"size": "M", "children": 2, "tags": ["a", "b"]},
                "extra_field": {"source": "ads"},
                "groups": ["vip"] if n % 10 == 0 else [],
                "address": {
                    "address": "Rua A",
                    "number": "10",
                    "city": "São Paulo",
                    "country": "BR",
                },
            }
        )
    return made


def _run(data: list[dict], context) -> float:
    started = time.perf_counter()
    for line, item in enumerate(data, start=2):
        rows.row_clean(line, item, context)
    return time.perf_counter() - started


def _checks_off():
    """Replace the checks row_clean calls with the identity; return a function undoing it."""
    names = ("text_check", "json_check", "datetime_check", "date_check")
    kept = {name: getattr(values, name) for name in names}
    for name in names:
        setattr(values, name, lambda value, **_: value)

    def restore():
        for name, function in kept.items():
            setattr(values, name, function)

    return restore


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    data = _rows(args.rows)
    context = rows.RowContext(channels={"web": 1}, groups={"vip": 1})
    _run(data[:1000], context)  # warm up
    timings = {"on": [], "off": []}
    for round_ in range(args.rounds):
        for side in ("on", "off") if round_ % 2 == 0 else ("off", "on"):
            restore = _checks_off() if side == "off" else (lambda: None)
            try:
                seconds = _run(data, context)
            finally:
                restore()
            timings[side].append(seconds)
            rate = args.rows / seconds
            print(f"round {round_ + 1} checks {side:>3}: {seconds:.3f} s ({rate:,.0f} rows/s)")
    on, off = statistics.median(timings["on"]), statistics.median(timings["off"])
    print(f"median on {on:.3f} s, off {off:.3f} s, on/off {on / off:.3f}")
    print(f"per row: {(on - off) / args.rows * 1e6:.2f} µs for the checks")


if __name__ == "__main__":
    main()
