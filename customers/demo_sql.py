"""Benchmark-sized demo data built by set-based SQL (`seed_demo --fast`).

Every row is computed by the database from its position in a number series: no row passes
through Python. A value is drawn as `hash(key * 64 + salt, seed) mod n`, where the key is the
customer's (or order's, or address's) running number and the salt names the column, so the
same seed on the same starting data gives the same rows (PostgreSQL's `hashint8extended`;
on SQLite, which has no such function, a splitmix64 registered on the connection: the two
engines draw different but each deterministic data). Names, streets and cities come from the
same per-channel Faker pools as `demo_seed`, held in temporary tables for the duration.

On PostgreSQL, when the customer and order tables are empty, their secondary indexes, unique
and foreign-key constraints are dropped for the load and rebuilt from their own definitions
afterwards (config.bulk_load), all in one transaction. Orders are written before their
customers, and each customer row is written once, with the order statistics that
`customer_stats_select_sql` (the rule `recompute_customer_stats` applies) computes from them.
ANALYZE then refreshes the planner's row counts (the API's list counts rely on them).

Like `demo_seed`, this writes no change history and no events: the rows appear as if they had
always been there (the first change staff or an integrator make is the first history record
and the first event).
"""

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.core.management.color import no_style
from django.db import connection, models, transaction
from django.utils import timezone

from config.bulk_load import indexes_deferred
from customers.demo import (
    ORDER_STATUSES,
    PRODUCTS,
    DemoSeedResult,
    ascii_folded,
    demo_analyze,
    demo_channels_and_groups,
    locale_pools,
)
from customers.match_keys import customer_match_keys_fill
from customers.match_pairs import candidate_pairs_rebuild
from customers.models import CUSTOMER_STATS_COLUMNS, Address, Customer
from groups.models import UserCustomerGroup
from orders.models import Order, OrderCustomData, OrderItem
from orders.services import customer_stats_select_sql

POOL_FIELDS = ("first_name", "last_name", "streets", "cities", "provinces", "zipcodes", "phones")
SEEDED_MODELS = (Customer, Address, UserCustomerGroup, Order, OrderItem, OrderCustomData)
SEEDED_TABLES = tuple(model._meta.db_table for model in SEEDED_MODELS)
# One address for three customers in four, two for the fourth: 1.25 per customer.
SECOND_ADDRESS_ONE_IN = 4
MEMBERSHIP_PERCENT = 35
MAX_ITEMS = 3
CUSTOM_DATA_ONE_IN = 10
WORK_MEM = "256MB"
_MASK31 = 2_147_483_647
_MASK47 = 140_737_488_355_327
_UINT64 = (1 << 64) - 1


@dataclass
class FastSeedResult(DemoSeedResult):
    custom_data: int = 0
    indexes_deferred: bool = False
    # (phase, seconds), in the order they ran.
    phases: list[tuple[str, float]] = field(default_factory=list)
    # Seconds the index and constraint rebuild took per table.
    index_seconds: dict[str, float] = field(default_factory=dict)


def _splitmix64(value: int, seed: int) -> int:
    """SQLite's stand-in for hashint8extended: a signed 64-bit hash of (value, seed)."""
    z = (value * 0x9E3779B97F4A7C15 + seed * 0xBF58476D1CE4E5B9 + 0x94D049BB133111EB) & _UINT64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _UINT64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _UINT64
    z ^= z >> 31
    return z - (1 << 64) if z >> 63 else z


class _Dialect:
    """The few expressions PostgreSQL and SQLite spell differently."""

    def __init__(self, seed: int):
        self.pg = connection.vendor == "postgresql"
        self.seed = int(seed)

    def rand(self, key: str, salt: int, modulo: int, *, wide: bool = False) -> str:
        """A whole number in [0, modulo) drawn from (key, salt, seed)."""
        function = "hashint8extended" if self.pg else "demo_hash"
        mask = _MASK47 if wide else _MASK31
        return f"(({function}(({key}) * 64 + {salt}, {self.seed}) & {mask}) % {modulo})"

    def series(self, count: int) -> tuple[str, str]:
        """(WITH clause, FROM item) of the numbers 1..count as `s.i`."""
        if self.pg:
            return "", f"generate_series(1::bigint, {int(count)}) AS s(i)"
        return (
            "WITH RECURSIVE s(i) AS "
            f"(SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < {int(count)}) ",
            "s",
        )

    def timestamp(self, epoch: str) -> str:
        return f"to_timestamp({epoch})" if self.pg else f"datetime({epoch}, 'unixepoch')"

    def date(self, epoch: str) -> str:
        if self.pg:
            return f"(to_timestamp({epoch}) AT TIME ZONE 'UTC')::date"
        return f"date({epoch}, 'unixepoch')"

    def padded(self, number: str, width: int) -> str:
        if self.pg:
            return f"lpad(({number})::text, {width}, '0')"
        return f"printf('%0{width}d', {number})"

    def least(self, a: str, b: str) -> str:
        return f"LEAST({a}, {b})" if self.pg else f"MIN({a}, {b})"

    def json(self, **pairs: str) -> str:
        function = "jsonb_build_object" if self.pg else "json_object"
        arguments = ", ".join(f"'{key}', {value}" for key, value in pairs.items())
        return f"{function}({arguments})"


def _literal(value) -> str:
    """A field default as SQL (the defaults the seeded models use)."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | float | Decimal):
        return str(value)
    if value == {}:
        return "'{}'"
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    raise TypeError(f"No SQL literal for the default {value!r}")


def _columns(model: type[models.Model], values: dict[str, str]) -> tuple[str, str]:
    """(column list, select list) for every concrete column of the model: the given
    expressions, each other field's default; the primary key only when given."""
    names, expressions = [], []
    for model_field in model._meta.concrete_fields:
        if model_field.attname in values:
            expression = values[model_field.attname]
        elif model_field.primary_key:
            continue
        else:
            expression = _literal(model_field.get_default())
        names.append(connection.ops.quote_name(model_field.column))
        expressions.append(expression)
    unknown = set(values) - {f.attname for f in model._meta.concrete_fields}
    if unknown:
        raise ValueError(f"Unknown columns for {model.__name__}: {sorted(unknown)}")
    return ", ".join(names), ",\n       ".join(expressions)


def _case(expression: str, choices) -> str:
    """CASE expression WHEN 0 THEN choices[0] ... as SQL."""
    whens = " ".join(f"WHEN {n} THEN {_literal(c)}" for n, c in enumerate(choices[:-1]))
    return f"CASE {expression} {whens} ELSE {_literal(choices[-1])} END"


def _by_slot(slot: str, expressions: list[str]) -> str:
    """The expression of the item slot `slot` (0, 1, ...)."""
    whens = " ".join(f"WHEN {n} THEN {e}" for n, e in enumerate(expressions[:-1]))
    return f"CASE {slot} {whens} ELSE {expressions[-1]} END"


def _numbered(columns: str, source: str, order: str, alias: str = "s") -> str:
    """`(SELECT columns, n FROM source) alias`, n the row's position in `order` from 1: ids
    computed from it do not depend on the plan the database picks, and only these narrow
    keys are sorted, not the finished rows."""
    numbered = f"ROW_NUMBER() OVER (ORDER BY {order}) AS n"
    return f"(SELECT {columns}, {numbered} FROM {source}) {alias}"


def _id_base(model: type[models.Model]) -> int:
    """The highest id the table has used (rows or its sequence): new ids follow it."""
    table = model._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"SELECT GREATEST((SELECT COALESCE(MAX(id), 0) FROM {table}), COALESCE("
                f"pg_sequence_last_value(pg_get_serial_sequence(%s, 'id')::regclass), 0))",
                [table],
            )
        else:
            cursor.execute(
                f"SELECT MAX((SELECT COALESCE(MAX(id), 0) FROM {table}), COALESCE("
                "(SELECT seq FROM sqlite_sequence WHERE name = %s), 0))",
                [table],
            )
        return cursor.fetchone()[0]


class _FastSeeder:
    def __init__(self, *, customers: int, orders_per_customer: int, seed: int, now: datetime):
        self.sql = _Dialect(seed)
        self.seed = seed
        self.customers = customers
        self.per_customer = orders_per_customer
        self.now = int(now.timestamp())
        self.result = FastSeedResult()
        channels, self.groups = demo_channels_and_groups()
        self.channels = [channel for channel, _, _ in channels]
        self.countries = [country for _, _, country in channels]
        self.locales = [locale_pools(c, loc, country, seed) for c, loc, country in channels]
        # Running numbers continue from the rows already there (e-mails and order numbers
        # stay unique when seeding twice); ids continue from the tables' sequences.
        self.offset = Customer.objects.count()
        self.order_offset = Order.objects.count()
        self.customer_base = _id_base(Customer)
        self.order_base = _id_base(Order)

    # --- expressions over one customer `s.i` -------------------------------------------------

    def number(self) -> str:
        """The customer's running number (the key of its draws)."""
        return f"({self.offset} + s.i)"

    def locale(self) -> str:
        return f"(({self.number()} - 1) % {len(self.locales)})"

    def joined(self) -> str:
        """date_joined as seconds since the epoch: up to 1500 days before now."""
        g = self.number()
        days, seconds = self.sql.rand(g, 8, 1501), self.sql.rand(g, 9, 86400)
        return f"({self.now} - {days} * 86400 - {seconds})"

    def pool_join(self, alias: str, key: str, salt: int) -> str:
        pick = self.sql.rand(key, salt, len(self.locales[0].first_names))
        return f"JOIN demo_pool {alias} ON {alias}.locale = {self.locale()} AND {alias}.n = {pick}"

    def by_channel(self, values) -> str:
        return _case(self.locale(), list(values))

    # --- phases ------------------------------------------------------------------------------

    def pools(self) -> None:
        with connection.cursor() as cursor:
            for table in ("demo_pool", "demo_product"):
                cursor.execute(f"DROP TABLE IF EXISTS {table}")
            cursor.execute(
                "CREATE TEMPORARY TABLE demo_pool (locale integer, n integer, first_name text, "
                "first_ascii text, last_name text, last_ascii text, street text, city text, "
                "province text, zipcode text, phone text, PRIMARY KEY (locale, n))"
            )
            cursor.executemany(
                "INSERT INTO demo_pool VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                [
                    (
                        index,
                        n,
                        pool.first_names[n],
                        ascii_folded(pool.first_names[n]),
                        pool.last_names[n],
                        ascii_folded(pool.last_names[n]),
                        pool.streets[n],
                        pool.cities[n],
                        pool.provinces[n][:255],
                        pool.zipcodes[n][:64],
                        pool.phones[n],
                    )
                    for index, pool in enumerate(self.locales)
                    for n in range(len(pool.first_names))
                ],
            )
            cursor.execute(
                "CREATE TEMPORARY TABLE demo_product (n integer PRIMARY KEY, sku text, name text, "
                "price numeric)"
            )
            cursor.executemany(
                "INSERT INTO demo_product VALUES (%s, %s, %s, %s)",
                [(n, sku, name, price) for n, (sku, name, price) in enumerate(PRODUCTS)],
            )
            if self.sql.pg:
                cursor.execute("ANALYZE demo_pool")
                cursor.execute("ANALYZE demo_product")

    def insert(self, model, values: dict[str, str], source: str, with_clause: str = "") -> int:
        names, expressions = _columns(model, values)
        # The WITH clause after the column list: SQLite counts the rows of INSERT statements
        # only, and a statement that starts with WITH is not one.
        sql = (
            f"INSERT INTO {model._meta.db_table} ({names})\n"
            f"{with_clause}SELECT {expressions}\n  FROM {source}"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql)
            return cursor.rowcount

    def customers_insert(self) -> None:
        sql, g = self.sql, self.number()
        with_clause, series = sql.series(self.customers)
        status = sql.rand(g, 5, 100)
        now = sql.timestamp(str(self.now))
        values = {
            "id": f"{self.customer_base} + s.i",
            "channel_id": self.by_channel(c.pk for c in self.channels),
            "email": f"f.first_ascii || '.' || l.last_ascii || '.' || {g} || '@example.com'",
            "username": f"CASE WHEN {sql.rand(g, 4, 10)} < 3 THEN f.first_ascii || {g} END",
            "first_name": "f.first_name",
            "last_name": "l.last_name",
            "phone": "p.phone",
            "identification": (
                f"CAST({sql.rand(g, 6, 99_000_000_000, wide=True)} + 1000000000 AS TEXT)"
            ),
            "status": (
                f"CASE WHEN {status} < 94 THEN 'active' "
                f"WHEN {status} < 98 THEN 'inactive' ELSE 'frozen' END"
            ),
            "gender": _case(sql.rand(g, 7, 4), Customer.Gender.values),
            "user_type": f"CASE WHEN {sql.rand(g, 10, 10)} < 8 THEN 'registered' ELSE 'guest' END",
            "date_of_birth": sql.date(
                f"{self.joined()} - (6570 + {sql.rand(g, 11, 62 * 365)}) * 86400"
            ),
            "date_joined": sql.timestamp(self.joined()),
            "created_at": sql.timestamp(self.joined()),
            "updated_at": now,
            "email_allowed": f"{sql.rand(g, 12, 10)} < 6",
            "sms_allowed": f"{sql.rand(g, 13, 10)} < 3",
            "call_allowed": f"{sql.rand(g, 14, 10)} < 1",
            "discount_percent": _case(sql.rand(g, 15, 6), (0, 0, 0, 5, 10, 15)),
            "erp_code": (
                f"CASE WHEN {sql.rand(g, 16, 2)} = 0 THEN 'ERP' || {sql.padded(g, 8)} ELSE '' END"
            ),
            "attributes": sql.json(
                loyalty_tier=_case(sql.rand(g, 17, 3), ("bronze", "silver", "gold"))
            ),
            "extra_field": sql.json(
                source=_case(sql.rand(g, 18, 3), ("organic", "ads", "referral"))
            ),
        }
        values.update({column: f"stats.{column}" for column in CUSTOMER_STATS_COLUMNS})
        customer_id = values["id"]
        with_clause, statistics = self.statistics(with_clause)
        source = "\n  ".join(
            [
                series,
                self.pool_join("f", g, 1),
                self.pool_join("l", g, 2),
                self.pool_join("p", g, 3),
                f"JOIN ({statistics}) stats ON stats.customer_id = {customer_id}",
            ]
        )
        self.result.customers = self.insert(Customer, values, source, with_clause)

    def statistics(self, with_clause: str) -> tuple[str, str]:
        """(WITH clause, SELECT) of the statistics of the customers about to be written,
        from their orders (written first), by the rule recompute_customer_stats applies:
        exact, and no second version of every customer row."""
        _, series = self.sql.series(self.customers)
        channel = self.by_channel(c.pk for c in self.channels)
        new_customers = (
            f"new_customers AS (SELECT {self.customer_base} + s.i AS id, "
            f"{channel} AS channel_id FROM {series}) "
        )
        with_clause = f"{with_clause.rstrip()}, " if with_clause else "WITH "
        sql, params = customer_stats_select_sql(customers="new_customers")
        # The counted statuses, inlined: the rest of the statement is not parameterised.
        return with_clause + new_customers, sql % tuple(_literal(str(p)) for p in params)

    def address_key(self, slot: str) -> str:
        return f"({self.number()} * 2 + {slot})"

    def address_joins(self, slot: str) -> dict[str, str]:
        """Pool joins of an address's street, city, province and zipcode by alias."""
        key = self.address_key(slot)
        salts = {"st": 20, "ci": 22, "pr": 23, "z": 24}
        return {alias: self.pool_join(alias, key, salt) for alias, salt in salts.items()}

    def addresses_insert(self) -> None:
        sql, g = self.sql, self.number()
        with_clause, series = sql.series(self.customers)
        count = f"CASE WHEN {sql.rand(g, 19, SECOND_ADDRESS_ONE_IN)} = 0 THEN 2 ELSE 1 END"
        values = {
            "id": f"{_id_base(Address)} + s.n",
            "customer_id": f"{self.customer_base} + s.i",
            "first_name": "f.first_name",
            "last_name": "l.last_name",
            "address": "st.street",
            "number": f"CAST(1 + {sql.rand(self.address_key('s.k'), 21, 2000)} AS TEXT)",
            "city": "ci.city",
            "province": "pr.province",
            "zipcode": "z.zipcode",
            "country": self.by_channel(self.countries),
            "phone": "p.phone",
            "is_default": "s.k = 1",
            "is_billing": f"s.k = {count}",
            "created_at": sql.timestamp(f"{self.joined()} + (s.k - 1) * 60"),
            "updated_at": sql.timestamp(str(self.now)),
        }
        rows = _numbered(
            "s.i, a.k",
            f"{series} CROSS JOIN (SELECT 1 AS k UNION ALL SELECT 2) a WHERE a.k <= {count}",
            "s.i, a.k",
        )
        source = "\n  ".join(
            [
                rows,
                self.pool_join("f", g, 1),
                self.pool_join("l", g, 2),
                self.pool_join("p", g, 3),
                *self.address_joins("s.k").values(),
            ]
        )
        self.result.addresses = self.insert(Address, values, source, with_clause)

    def memberships_insert(self) -> None:
        sql, g = self.sql, self.number()
        with_clause, series = sql.series(self.customers)
        now = sql.timestamp(str(self.now))
        values = {
            "id": f"{_id_base(UserCustomerGroup)} + s.n",
            "customer_id": f"{self.customer_base} + s.i",
            "group_id": _case(
                sql.rand(g, 31, len(self.groups)), [group.pk for group in self.groups]
            ),
            "subscribed": f"{sql.rand(g, 32, 10)} < 8",
            "created_at": now,
            "updated_at": now,
        }
        source = _numbered(
            "s.i", f"{series} WHERE {sql.rand(g, 30, 100)} < {MEMBERSHIP_PERCENT}", "s.i"
        )
        self.result.memberships = self.insert(UserCustomerGroup, values, source, with_clause)

    # --- orders: key `og`, the order's running number ---------------------------------------

    def order_number(self) -> str:
        return f"({self.order_offset} + (s.i - 1) * {self.per_customer} + j.j)"

    def item_count(self, og: str) -> str:
        return f"(1 + {self.sql.rand(og, 41, MAX_ITEMS)})"

    def product(self, og: str, slot: int) -> str:
        return self.sql.rand(og, 42 + 2 * slot, len(PRODUCTS))

    def quantity(self, og: str, slot: int) -> str:
        return f"(1 + {self.sql.rand(og, 43 + 2 * slot, 3)})"

    def orders_insert(self) -> None:
        if not self.per_customer:
            return
        sql, og = self.sql, self.order_number()
        with_clause, series = sql.series(self.customers)
        subtotal = " + ".join(
            f"CASE WHEN {self.item_count(og)} > {slot} "
            f"THEN p{slot}.price * {self.quantity(og, slot)} ELSE 0 END"
            for slot in range(MAX_ITEMS)
        )
        shipping = _case(sql.rand(og, 50, 3), (0, 5, 10))
        placed = sql.timestamp(
            sql.least(f"{self.joined()} + {sql.rand(og, 51, 401)} * 86400", str(self.now))
        )
        snapshot = sql.json(
            address="st.street",
            number=f"CAST(1 + {sql.rand(self.address_key('1'), 21, 2000)} AS TEXT)",
            city="ci.city",
            zipcode="z.zipcode",
            country=self.by_channel(self.countries),
        )
        prefixes = [channel.code[:3].upper() + "-" for channel in self.channels]
        values = {
            "id": f"{self.order_base} + (s.i - 1) * {self.per_customer} + j.j",
            "channel_id": self.by_channel(c.pk for c in self.channels),
            "number": f"{self.by_channel(prefixes)} || {sql.padded(og, 8)}",
            "customer_id": f"{self.customer_base} + s.i",
            "status": _case(sql.rand(og, 40, len(ORDER_STATUSES)), ORDER_STATUSES),
            "currency": self.by_channel(c.currency for c in self.channels),
            "subtotal": f"({subtotal})",
            "shipping_total": shipping,
            "total": f"({subtotal}) + {shipping}",
            "placed_at": placed,
            "created_at": placed,
            "updated_at": sql.timestamp(str(self.now)),
            "shipping_address": snapshot,
            "billing_address": snapshot,
        }
        per_customer = " UNION ALL ".join(
            f"SELECT {j} AS j" for j in range(1, self.per_customer + 1)
        )
        source = "\n  ".join(
            [
                f"{series} CROSS JOIN ({per_customer}) j",
                *(join for alias, join in self.address_joins("1").items() if alias != "pr"),
                *(
                    f"JOIN demo_product p{slot} ON p{slot}.n = {self.product(og, slot)}"
                    for slot in range(MAX_ITEMS)
                ),
            ]
        )
        self.result.orders = self.insert(Order, values, source, with_clause)

    def new_orders(self) -> tuple[str, str, str]:
        """(FROM item, WHERE condition, order running number) of the orders this run wrote."""
        last = self.order_base + self.result.orders
        return (
            "orders_order o",
            f"o.id > {self.order_base} AND o.id <= {last}",
            f"({self.order_offset} + o.id - {self.order_base})",
        )

    def items_insert(self) -> None:
        orders, where, og = self.new_orders()
        product = _by_slot("o.k", [self.product(og, n) for n in range(MAX_ITEMS)])
        quantity = _by_slot("o.k", [self.quantity(og, n) for n in range(MAX_ITEMS)])
        now = self.sql.timestamp(str(self.now))
        values = {
            "id": f"{_id_base(OrderItem)} + o.n",
            "order_id": "o.id",
            "sku": "p.sku",
            "name": "p.name",
            "quantity": quantity,
            "unit_price": "p.price",
            "created_at": now,
            "updated_at": now,
        }
        slots = " UNION ALL ".join(f"SELECT {n} AS k" for n in range(MAX_ITEMS))
        rows = _numbered(
            "o.id, k.k",
            f"{orders} CROSS JOIN ({slots}) k WHERE {where} AND k.k < {self.item_count(og)}",
            "o.id, k.k",
            alias="o",
        )
        source = f"{rows} JOIN demo_product p ON p.n = {product}"
        self.result.items = self.insert(OrderItem, values, source)

    def custom_data_insert(self) -> None:
        orders, where, og = self.new_orders()
        now = self.sql.timestamp(str(self.now))
        values = {
            "id": f"{_id_base(OrderCustomData)} + o.n",
            "order_id": "o.id",
            "name": "'gift_message'",
            "value": "'Happy birthday!'",
            "created_at": now,
            "updated_at": now,
        }
        source = _numbered(
            "o.id",
            f"{orders} WHERE {where} AND {self.sql.rand(og, 52, CUSTOM_DATA_ONE_IN)} = 0",
            "o.id",
            alias="o",
        )
        self.result.custom_data = self.insert(OrderCustomData, values, source)

    def finish(self) -> None:
        """Point the sequences past the explicit ids and drop the pools."""
        with connection.cursor() as cursor:
            for statement in connection.ops.sequence_reset_sql(no_style(), SEEDED_MODELS):
                cursor.execute(statement)
            cursor.execute("DROP TABLE demo_pool")
            cursor.execute("DROP TABLE demo_product")


def _tables_empty() -> bool:
    return not (Customer.objects.exists() or Order.objects.exists())


def _phase_done(result: FastSeedResult, name: str, started: float, progress) -> None:
    result.phases.append((name, time.perf_counter() - started))
    if progress:
        progress(name, result.phases[-1][1])


@contextmanager
def _phase(result: FastSeedResult, name: str, progress: Callable | None) -> Iterator[None]:
    started = time.perf_counter()
    yield
    _phase_done(result, name, started, progress)


def demo_seed_fast(
    *,
    customers: int,
    orders_per_customer: int = 2,
    seed: int = 42,
    now: datetime | None = None,
    progress: Callable[[str, float], None] | None = None,
) -> FastSeedResult:
    """Write demo customers, addresses, memberships, orders, items and custom data with a
    few INSERT ... SELECT statements; return the counts and the time of each phase.

    `now` anchors every date (default: the start of today, UTC), so a seed gives the same
    rows all day. `progress(phase, seconds)` is called as each phase ends.
    """
    if now is None:
        now = timezone.now().replace(hour=0, minute=0, second=0, microsecond=0)
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        connection.connection.create_function("demo_hash", 2, _splitmix64, deterministic=True)
    with transaction.atomic():
        seeder = _FastSeeder(
            customers=customers, orders_per_customer=orders_per_customer, seed=seed, now=now
        )
        result = seeder.result
        result.indexes_deferred = connection.vendor == "postgresql" and _tables_empty()
        if connection.vendor == "postgresql":
            # For this transaction only: the ids' ordering and the statistics' aggregates
            # sort and hash millions of rows in memory instead of on disk.
            with connection.cursor() as cursor:
                cursor.execute("SELECT set_config('work_mem', %s, true)", [WORK_MEM])
        with _phase(result, "pools", progress):
            seeder.pools()
        deferred = indexes_deferred(SEEDED_TABLES, seconds=result.index_seconds)
        with deferred if result.indexes_deferred else nullcontext():
            # Orders first: each customer is written with its statistics already in place.
            for name, step in (
                ("orders", seeder.orders_insert),
                ("items", seeder.items_insert),
                ("custom data", seeder.custom_data_insert),
                ("customers", seeder.customers_insert),
                ("addresses", seeder.addresses_insert),
                ("memberships", seeder.memberships_insert),
                # After the addresses (the address key reads the default one), before the
                # indexes come back: on a million rows every indexed UPDATE costs.
                ("match keys", customer_match_keys_fill),
            ):
                with _phase(result, name, progress):
                    step()
            # Leaving the block rebuilds the indexes and constraints.
            rebuild_started = time.perf_counter()
        _phase_done(result, "indexes", rebuild_started, progress)
        # Over the keys' indexes, now back: the pairs are few beside the customers. The
        # customers' statistics first: without them (a fresh database) the planner guessed
        # 200 key groups and joined each with a scan of the table (200,000 customers: > 9 min).
        with _phase(result, "candidate pairs", progress):
            demo_analyze(("customers_customer",))
            candidate_pairs_rebuild()
        seeder.finish()
    with _phase(result, "analyze", progress):
        demo_analyze(SEEDED_TABLES)
    return result
