"""Realistic, deterministic demo data written in bulk (the seed_demo command)."""

import random
import unicodedata
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.db import connection, transaction
from django.utils import timezone
from faker import Faker

from customers.models import Address, Channel, Customer
from groups.models import UserCustomerGroup, UserGroup
from orders.models import Order, OrderCustomData, OrderItem
from orders.services import customer_stats_recompute

BATCH = 2000
POOL_SIZE = 400

CHANNELS = (
    ("web", "Web store", "USD", "en_US", "US"),
    ("marketplace-br", "Marketplace Brasil", "BRL", "pt_BR", "BR"),
    ("b2b-eu", "B2B Europe", "EUR", "de_DE", "DE"),
    ("tienda-mx", "Tienda México", "MXN", "es_MX", "MX"),
)
# Each demo channel's e-mail language and the time zone its admin pages show.
CHANNEL_LOCALES = {
    "web": ("en", "America/New_York"),
    "marketplace-br": ("pt-br", "America/Sao_Paulo"),
    "b2b-eu": ("en", "Europe/Berlin"),
    "tienda-mx": ("es", "America/Mexico_City"),
}
# (code, title, parent, visibility)
GROUPS = (
    ("retail", "Retail customers", None, "private"),
    ("vip", "VIP", "retail", "private"),
    ("gold", "Gold", "vip", "private"),
    ("platinum", "Platinum", "gold", "private"),
    ("wholesale", "Wholesale", None, "private"),
    ("dealer", "Dealers", "wholesale", "private"),
    ("newsletter", "Newsletter", None, "public"),
)
PRODUCTS = [(f"SKU-{n:05d}", f"Product {n}", Decimal(5 + n % 195)) for n in range(1, 500)]
ORDER_STATUSES = ("paid",) * 5 + ("fulfilled",) * 8 + ("pending", "cancelled", "refunded")


def ascii_folded(text: str) -> str:
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(ch for ch in text.lower() if ch.isalnum())


@dataclass
class _Locale:
    channel: Channel
    country: str
    first_names: list
    last_names: list
    streets: list
    cities: list
    provinces: list
    zipcodes: list
    phones: list


def locale_pools(channel: Channel, faker_locale: str, country: str, seed: int) -> _Locale:
    fake = Faker(faker_locale)
    fake.seed_instance(seed)
    pool = range(POOL_SIZE)
    return _Locale(
        channel=channel,
        country=country,
        first_names=[fake.first_name() for _ in pool],
        last_names=[fake.last_name() for _ in pool],
        streets=[fake.street_name() for _ in pool],
        cities=[fake.city() for _ in pool],
        provinces=[fake.state() if hasattr(fake, "state") else fake.city() for _ in pool],
        zipcodes=[fake.postcode() for _ in pool],
        phones=[fake.phone_number()[:128] for _ in pool],
    )


def demo_channels_and_groups() -> tuple[list[tuple[Channel, str, str]], list[UserGroup]]:
    channels = []
    for code, name, currency, faker_locale, country in CHANNELS:
        language, time_zone = CHANNEL_LOCALES[code]
        channel, _ = Channel.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "currency": currency,
                "language": language,
                "time_zone": time_zone,
            },
        )
        channels.append((channel, faker_locale, country))
    groups = {}
    for code, title, parent, visibility in GROUPS:
        groups[code], _ = UserGroup.objects.get_or_create(
            code=code,
            defaults={"title": title, "parent": groups.get(parent), "visibility": visibility},
        )
    return channels, list(groups.values())


@dataclass
class DemoSeedResult:
    customers: int = 0
    addresses: int = 0
    memberships: int = 0
    orders: int = 0
    items: int = 0


class _Seeder:
    def __init__(self, *, seed: int, orders_per_customer: int):
        self.rng = random.Random(seed)
        self.seed = seed
        self.orders_per_customer = orders_per_customer
        self.now = timezone.now().replace(microsecond=0)
        self.result = DemoSeedResult()
        channels, self.groups = demo_channels_and_groups()
        self.locales = [locale_pools(c, loc, country, seed) for c, loc, country in channels]
        self.offset = Customer.objects.count()
        self.order_offset = Order.objects.count()

    def customer(self, index: int, locale: _Locale) -> Customer:
        rng = self.rng
        first, last = rng.choice(locale.first_names), rng.choice(locale.last_names)
        joined = self.now - timedelta(days=rng.randint(0, 1500), seconds=rng.randint(0, 86399))
        status = rng.choices(("active", "inactive", "frozen"), weights=(94, 4, 2))[0]
        return Customer(
            channel=locale.channel,
            email=f"{ascii_folded(first)}.{ascii_folded(last)}.{index}@example.com",
            username=f"{ascii_folded(first)}{index}" if rng.random() < 0.3 else None,
            first_name=first,
            last_name=last,
            phone=rng.choice(locale.phones),
            identification=str(rng.randint(10**9, 10**11)),
            status=status,
            gender=rng.choice(("female", "male", "other", "unknown")),
            user_type="registered" if rng.random() < 0.8 else "guest",
            date_of_birth=(joined - timedelta(days=rng.randint(18 * 365, 80 * 365))).date(),
            date_joined=joined,
            created_at=joined,
            email_allowed=rng.random() < 0.6,
            sms_allowed=rng.random() < 0.3,
            call_allowed=rng.random() < 0.1,
            discount_percent=rng.choice((0, 0, 0, 5, 10, 15)),
            erp_code=f"ERP{index:08d}" if rng.random() < 0.5 else "",
            attributes={"loyalty_tier": rng.choice(("bronze", "silver", "gold"))},
            extra_field={"source": rng.choice(("organic", "ads", "referral"))},
        )

    def addresses(self, customer: Customer, locale: _Locale) -> list[Address]:
        rng = self.rng
        count = rng.choice((1, 1, 1, 2))
        return [
            Address(
                customer=customer,
                first_name=customer.first_name,
                last_name=customer.last_name,
                address=rng.choice(locale.streets),
                number=str(rng.randint(1, 2000)),
                city=rng.choice(locale.cities),
                province=rng.choice(locale.provinces)[:255],
                zipcode=rng.choice(locale.zipcodes)[:64],
                country=locale.country,
                phone=customer.phone,
                is_default=n == 0,
                is_billing=n == count - 1,
                created_at=customer.created_at + timedelta(minutes=n),
            )
            for n in range(count)
        ]

    def orders(self, customer: Customer, address: Address) -> list[tuple[Order, list]]:
        rng, result = self.rng, []
        snapshot = {
            "address": address.address,
            "number": address.number,
            "city": address.city,
            "zipcode": address.zipcode,
            "country": address.country,
        }
        for _ in range(self.orders_per_customer):
            self.order_offset += 1
            lines = [(rng.choice(PRODUCTS), rng.randint(1, 3)) for _ in range(rng.randint(1, 3))]
            subtotal = sum((price * qty for (_, _, price), qty in lines), Decimal(0))
            shipping = Decimal(rng.choice((0, 5, 10)))
            placed = customer.date_joined + timedelta(days=rng.randint(0, 400))
            order = Order(
                channel_id=customer.channel_id,
                customer=customer,
                number=f"{customer.channel.code[:3].upper()}-{self.order_offset:08d}",
                status=rng.choice(ORDER_STATUSES),
                currency=customer.channel.currency,
                subtotal=subtotal,
                shipping_total=shipping,
                total=subtotal + shipping,
                placed_at=min(placed, self.now),
                created_at=min(placed, self.now),
                shipping_address=snapshot,
                billing_address=snapshot,
            )
            items = [
                OrderItem(order=order, sku=sku, name=name, quantity=qty, unit_price=price)
                for (sku, name, price), qty in lines
            ]
            result.append((order, items))
        return result

    def batch(self, start: int, size: int) -> None:
        customers, per_customer = [], []
        for index in range(start, start + size):
            locale = self.locales[index % len(self.locales)]
            customer = self.customer(self.offset + index + 1, locale)
            customers.append(customer)
            per_customer.append(locale)
        Customer.objects.bulk_create(customers, batch_size=BATCH)
        addresses, memberships, orders = [], [], []
        for customer, locale in zip(customers, per_customer, strict=True):
            own = self.addresses(customer, locale)
            addresses += own
            if self.rng.random() < 0.35:
                group = self.rng.choice(self.groups)
                memberships.append(
                    UserCustomerGroup(
                        customer=customer, group=group, subscribed=self.rng.random() < 0.8
                    )
                )
            orders += self.orders(customer, own[0])
        Address.objects.bulk_create(addresses, batch_size=BATCH)
        UserCustomerGroup.objects.bulk_create(memberships, batch_size=BATCH)
        Order.objects.bulk_create([order for order, _ in orders], batch_size=BATCH)
        items = [item for order, order_items in orders for item in order_items]
        for item in items:
            item.order_id = item.order.pk
        OrderItem.objects.bulk_create(items, batch_size=BATCH)
        custom = [
            OrderCustomData(order=order, name="gift_message", value="Happy birthday!")
            for order, _ in orders
            if self.rng.random() < 0.1
        ]
        OrderCustomData.objects.bulk_create(custom, batch_size=BATCH)
        self.result.customers += len(customers)
        self.result.addresses += len(addresses)
        self.result.memberships += len(memberships)
        self.result.orders += len(orders)
        self.result.items += len(items)


def demo_seed(
    *, customers: int, orders_per_customer: int, seed: int, progress=None
) -> DemoSeedResult:
    """Write demo channels, groups, customers, addresses and orders; return what was made.

    The same seed on the same starting data gives the same rows. Statistics are rebuilt once
    at the end, set-based.
    """
    seeder = _Seeder(seed=seed, orders_per_customer=orders_per_customer)
    for start in range(0, customers, BATCH):
        with transaction.atomic():
            seeder.batch(start, min(BATCH, customers - start))
        if progress:
            progress(min(start + BATCH, customers))
    demo_analyze()
    customer_stats_recompute()
    return seeder.result


def demo_analyze(tables=("customers_customer", "customers_address", "orders_order")) -> None:
    """Refresh PostgreSQL's planner statistics, stale right after a bulk load."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {', '.join(tables)}")
