"""Time a one-field customer edit through the services, inline UPDATE vs the staging table.

    DATABASE_URL=postgres://root@127.0.0.1:5432/bench DEBUG=1 \
        .venv/bin/python bench/edit_bench.py

Edits 200 customers each way (FEW_ROWS = 20: inline VALUES; FEW_ROWS = 0: the import's
staging table and COPY), alternating in rounds of 50, and prints the medians and their
ratio. Needs a migrated database with at least 400 customers (seed_demo).
"""

import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
os.environ.setdefault("DEBUG", "1")


def main() -> None:
    import django

    django.setup()
    from django.contrib.auth import get_user_model

    from customers.imports import writers
    from customers.models import Customer
    from customers.services import customer_update

    users = get_user_model().objects
    user = users.filter(is_superuser=True).first() or users.create_superuser(
        "bench", password="x-b-1"
    )
    customers = list(Customer.objects.order_by("id")[:400])
    results = {0: [], 20: []}
    for round_ in range(4):
        for few in (0, 20):
            writers.FEW_ROWS = few
            batch = customers[round_ * 100 : (round_ + 1) * 100][:50]
            for i, customer in enumerate(batch):
                started = time.perf_counter()
                data = {"first_name": f"N{round_}{few}{i}"}
                customer_update(customer=customer, data=data, user=user, partial=True)
                results[few].append((time.perf_counter() - started) * 1000)
    for few, times in results.items():
        print(
            "inline" if few else "staged",
            "median ms",
            round(statistics.median(times), 2),
            "n",
            len(times),
        )
    print(
        "ratio inline/staged",
        round(statistics.median(results[20]) / statistics.median(results[0]), 2),
    )


if __name__ == "__main__":
    main()
