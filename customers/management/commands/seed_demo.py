import time

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from customers.demo import demo_seed
from customers.demo_sql import demo_seed_fast

DEFAULT_CUSTOMERS = 1000
DEFAULT_FAST_CUSTOMERS = 1_000_000


class Command(BaseCommand):
    help = "Write realistic demo channels, groups, customers, addresses and orders in bulk."

    def add_arguments(self, parser):
        parser.add_argument(
            "--customers",
            type=int,
            help=f"default {DEFAULT_CUSTOMERS}, with --fast {DEFAULT_FAST_CUSTOMERS}",
        )
        parser.add_argument("--orders-per-customer", type=int, default=2)
        parser.add_argument("--seed", type=int, default=42)
        parser.add_argument(
            "--fast",
            action="store_true",
            help="build every row with set-based SQL (benchmark sizes: a million customers "
            "in minutes); on PostgreSQL into empty tables, indexes are built after the load",
        )

    def handle(self, *args, customers, orders_per_customer, seed, fast, **options):
        if customers is None:
            customers = DEFAULT_FAST_CUSTOMERS if fast else DEFAULT_CUSTOMERS
        if customers < 1 or orders_per_customer < 0:
            raise CommandError("--customers must be at least 1, --orders-per-customer at least 0.")
        started = time.perf_counter()
        if fast:
            result = demo_seed_fast(
                customers=customers,
                orders_per_customer=orders_per_customer,
                seed=seed,
                progress=lambda phase, seconds: self.stdout.write(f"  {phase}: {seconds:.1f}s"),
            )
            if result.index_seconds:
                tables = sorted(result.index_seconds.items(), key=lambda item: -item[1])
                by_table = ", ".join(f"{table} {seconds:.1f}s" for table, seconds in tables)
                self.stdout.write(f"  indexes by table: {by_table}")
        else:
            result = self._seed_in_batches(customers, orders_per_customer, seed)
        elapsed = time.perf_counter() - started
        self.stdout.write(
            f"Seeded {result.customers} customers, {result.addresses} addresses, "
            f"{result.memberships} memberships, {result.orders} orders, {result.items} items "
            f"in {elapsed:.1f}s."
        )

    def _seed_in_batches(self, customers, orders_per_customer, seed):
        bar = tqdm(total=customers, unit="customers", disable=not self.stdout.isatty())
        result = demo_seed(
            customers=customers,
            orders_per_customer=orders_per_customer,
            seed=seed,
            progress=lambda done: bar.update(done - bar.n),
        )
        bar.close()
        return result
