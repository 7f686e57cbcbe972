"""Compare `group` and `group_tree` filtering over a 5-level hierarchy with many members.

Usage (on a scratch database; it writes a `bench` channel and `bench-*` groups):
    DATABASE_URL=postgres://root@127.0.0.1:5432/h4 .venv/bin/python manage.py migrate
    DATABASE_URL=postgres://root@127.0.0.1:5432/h4 .venv/bin/python bench/groups_bench.py
"""

import argparse
import statistics
import time

import bench_setup  # noqa: F401 - Django set up: before any app module

# isort: split

from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from customers.models import Channel, Customer
from groups.models import UserCustomerGroup, UserGroup
from groups.selectors import customer_filter_group

FANOUT = 3  # children per group: 1 + 3 + 9 + 27 + 81 = 121 groups on 5 levels
LEVELS = 5
BATCH = 5000


def _seed_groups() -> list[UserGroup]:
    groups, level = [], [UserGroup.objects.create(code="bench-root", title="Bench root")]
    groups += level
    for depth in range(1, LEVELS):
        level = [
            UserGroup.objects.create(
                code=f"{parent.code}-{index}", title=f"L{depth} {index}", parent=parent
            )
            for parent in level
            for index in range(FANOUT)
        ]
        groups += level
    return groups


@transaction.atomic
def seed(members: int) -> None:
    """Create the bench channel, a 121-group tree and `members` customers spread over it."""
    channel = Channel.objects.create(code="bench", name="Bench")
    groups = _seed_groups()
    for start in range(0, members, BATCH):
        customers = Customer.objects.bulk_create(
            Customer(channel=channel, email=f"bench{n}@example.com")
            for n in range(start, min(start + BATCH, members))
        )
        UserCustomerGroup.objects.bulk_create(
            UserCustomerGroup(customer=customer, group=groups[customer.pk % len(groups)])
            for customer in customers
        )
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ANALYZE")


def measure(label: str, build, repeat: int) -> None:
    timings = []
    for _ in range(repeat):
        with CaptureQueriesContext(connection) as context:
            started = time.perf_counter()
            queryset = build()
            total = queryset.count()
            page = list(queryset.order_by("id").values_list("id", flat=True)[:50])
            timings.append((time.perf_counter() - started) * 1000)
    print(
        f"{label:<28} queries={len(context.captured_queries)} (count + page) "
        f"members={total:>7} page={len(page)} "
        f"median={statistics.median(timings):7.1f} ms  min={min(timings):7.1f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    if not Channel.objects.filter(code="bench").exists():
        started = time.perf_counter()
        seed(args.members)
        print(f"seeded {args.members} members in {time.perf_counter() - started:.1f} s")
    customers = Customer.objects.filter(channel__code="bench")
    print(
        f"{connection.vendor}: {UserGroup.objects.filter(code__startswith='bench').count()} groups,"
        f" {UserCustomerGroup.objects.filter(customer__in=customers).count()} memberships"
    )
    for code in ("bench-root", "bench-root-0", "bench-root-0-0-0"):
        measure(
            f"group={code}", lambda c=code: customer_filter_group(customers, code=c), args.repeat
        )
        measure(
            f"group_tree={code}",
            lambda c=code: customer_filter_group(customers, code=c, include_subgroups=True),
            args.repeat,
        )


if __name__ == "__main__":
    main()
