import time

from django.core.management.base import BaseCommand
from tqdm import tqdm

from customers.demo import demo_seed


class Command(BaseCommand):
    help = "Write realistic demo channels, groups, customers, addresses and orders in bulk."

    def add_arguments(self, parser):
        parser.add_argument("--customers", type=int, default=1000)
        parser.add_argument("--orders-per-customer", type=int, default=2)
        parser.add_argument("--seed", type=int, default=42)

    def handle(self, *args, customers, orders_per_customer, seed, **options):
        started = time.perf_counter()
        bar = tqdm(total=customers, unit="customers", disable=not self.stdout.isatty())
        result = demo_seed(
            customers=customers,
            orders_per_customer=orders_per_customer,
            seed=seed,
            progress=lambda done: bar.update(done - bar.n),
        )
        bar.close()
        elapsed = time.perf_counter() - started
        self.stdout.write(
            f"Seeded {result.customers} customers, {result.addresses} addresses, "
            f"{result.memberships} memberships, {result.orders} orders, {result.items} items "
            f"in {elapsed:.1f}s."
        )
