"""Time the customer admin the way staff use it: the list, searches, filters and one customer.

Runs through the real admin (Django's test Client, logged in as a staff superuser) against the
database in DATABASE_URL; it only reads, apart from creating the `admin-bench` user once.

Usage:
    DATABASE_URL=postgres://root@127.0.0.1:5432/h7bench .venv/bin/python manage.py migrate
    DATABASE_URL=postgres://root@127.0.0.1:5432/h7bench .venv/bin/python bench/admin_bench.py
"""

import argparse
import statistics
import time

import bench_setup  # noqa: F401 - Django set up: before any app module

# isort: split

from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext, setup_test_environment

from customers.models import Customer
from orders.models import Order

CUSTOMERS = "/admin/customers/customer/"
ORDERS = "/admin/orders/order/"


def _client() -> Client:
    user = get_user_model().objects.filter(username="admin-bench").first()
    if user is None:
        user = get_user_model().objects.create_superuser("admin-bench", None, None)
    client = Client()
    client.force_login(user)
    return client


def _cases(sample: Customer) -> list[tuple[str, str]]:
    last_name = sample.last_name or "a"
    return [
        ("customer list, first page", CUSTOMERS),
        ("customer list, page 100", f"{CUSTOMERS}?p=100"),
        ("search: exact e-mail", f"{CUSTOMERS}?q={sample.email}"),
        ("search: e-mail prefix", f"{CUSTOMERS}?q={sample.email[:6]}"),
        ("search: last name", f"{CUSTOMERS}?q={last_name}"),
        ("search: first + last name", f"{CUSTOMERS}?q={sample.first_name}+{last_name}"),
        ("filter: frozen + has orders", f"{CUSTOMERS}?status__exact=frozen&has_orders=yes"),
        ("customer change page", f"{CUSTOMERS}{sample.pk}/change/"),
        ("customer history page", f"{CUSTOMERS}{sample.pk}/history/"),
        ("orders of the customer", f"{ORDERS}?customer__id__exact={sample.pk}"),
        ("order list, first page", ORDERS),
    ]


def _time(client: Client, url: str, repeat: int) -> tuple[float, float, int]:
    client.get(url)  # warm caches and the connection
    timings = []
    for _ in range(repeat):
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            response = client.get(url)
            timings.append(time.perf_counter() - started)
        assert response.status_code == 200, (url, response.status_code)
    return statistics.median(timings), max(timings), len(queries)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    setup_test_environment()
    client = _client()
    # A customer with orders, from the middle of the table.
    middle = Customer.objects.order_by("-id").values_list("id", flat=True).first() // 2
    sample = Customer.objects.filter(pk__gte=middle, orders_count__gt=0).order_by("pk").first()
    print(
        f"{connection.vendor}: ~{Customer.objects.order_by().count():,} customers, "
        f"~{Order.objects.order_by().count():,} orders; median of {args.repeat} runs"
    )
    print("| page | median ms | max ms | queries |\n|---|---:|---:|---:|")
    for label, url in _cases(sample):
        median, worst, queries = _time(client, url, args.repeat)
        print(f"| {label} | {median * 1000:.0f} | {worst * 1000:.0f} | {queries} |")


if __name__ == "__main__":
    main()
