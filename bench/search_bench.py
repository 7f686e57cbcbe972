"""Compare the accent-folded search index with the upper-case one it replaced (migration 0010).

Fills a `search-bench` channel with customers whose names carry Portuguese and Spanish accents
(one set-based INSERT), builds the old `upper(document)` trigram index beside the folded one,
and times, interleaved: each `q` page (the API's query: the newest 50 matches) through either
index, the index builds, and a 10,000-row insert with only one of the two indexes present
(rolled back). Medians over --runs.

Usage (PostgreSQL only; a scratch database):
    DATABASE_URL=postgres://root@127.0.0.1:5432/bench_search .venv/bin/python manage.py migrate
    DATABASE_URL=postgres://root@127.0.0.1:5432/bench_search .venv/bin/python \\
        bench/search_bench.py --customers 300000 --runs 15
"""

import argparse
import statistics
import time

import bench_setup  # noqa: F401 - Django set up: before any app module

# isort: split

from django.db import connection, transaction

from customers.models import Channel, Customer
from customers.search import SEARCH_INDEX, search_word_q

DOCUMENT = (
    "(first_name || ' ' || last_name || ' ' || email || ' ' || phone || ' ' || identification)"
)
OLD_INDEX = "customer_search_upper_bench"
OLD_INDEX_SQL = (
    f"CREATE INDEX {OLD_INDEX} ON customers_customer USING gin (upper({DOCUMENT}) gin_trgm_ops) "
    "WITH (fastupdate = on, gin_pending_list_limit = 2048)"
)
FIRST = ["María", "José", "João", "Ana", "Mário", "Inês", "Sofía", "Andrés", "Lúcia", "Carlos"]
LAST = ["Gonçalves", "Muñoz", "Conceição", "Silva", "Pérez", "Simões", "Núñez", "Souza"]
FILL_SQL = """
INSERT INTO customers_customer (
    channel_id, email, first_name, last_name, phone, identification, created_at, updated_at,
    version, company, phone_secondary, note, status, gender, user_type, date_joined, email_allowed,
    sms_allowed, call_allowed, discount_percent, preferred_shipping_method, erp_code,
    channel_code, attributes, extra_field, password, orders_count, total_spent,
    total_spent_currency
)
SELECT %(channel)s, 'c' || n || '-' || %(tag)s || '@example.com',
    (%(first)s::text[])[1 + n %% %(nfirst)s], (%(last)s::text[])[1 + (n / 7) %% %(nlast)s],
    '+55 11 9' || lpad((n::bigint * 7919 %% 100000000)::text, 8, '0'),
    lpad((n::bigint * 104729)::text, 11, '0'),
    now(), now(), 1, '', '', '', 'active', 'unknown', 'registered', now(), true, false, false, 0,
    '', '', '', '{}', '{}', '', 0, 0, 'USD'
FROM generate_series(1, %(count)s) AS n
"""
# (label, word): the old index is searched with upper(word), the folded one with the word.
WORDS = [
    ("common first name, plain", "maria"),
    ("common first name, accented", "María"),
    ("last name, accented", "gonçalves"),
    ("rare identification", "10472900"),
    ("no match", "zzzqqq"),
]


def _fill(channel: Channel, count: int, tag: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            FILL_SQL,
            {
                "channel": channel.pk,
                "tag": tag,
                "first": FIRST,
                "last": LAST,
                "nfirst": len(FIRST),
                "nlast": len(LAST),
                "count": count,
            },
        )


def _timed(sql: str, params=()) -> float:
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        cursor.fetchall()
    return (time.perf_counter() - started) * 1000


def _old_page_sql() -> str:
    return (
        f"SELECT id FROM customers_customer WHERE upper({DOCUMENT}) LIKE upper(%s) "
        "ORDER BY id DESC LIMIT 50"
    )


def _new_page_sql(word: str) -> tuple[str, tuple]:
    queryset = Customer.objects.filter(search_word_q(word)).order_by("-id").values("id")[:50]
    return queryset.query.sql_with_params()


def _reads(runs: int) -> None:
    print("| `q` page (newest 50) | upper index p50 ms | folded index p50 ms | matches |")
    print("|---|---:|---:|---:|")
    for label, word in WORDS:
        old, new = [], []
        new_sql, new_params = _new_page_sql(word)
        for _ in range(runs):
            old.append(_timed(_old_page_sql(), [f"%{word}%"]))
            new.append(_timed(new_sql, new_params))
        old_count = Customer.objects.extra(
            where=[f"upper({DOCUMENT}) LIKE upper(%s)"], params=[f"%{word}%"]
        ).count()
        new_count = Customer.objects.filter(search_word_q(word)).count()
        print(
            f"| {label} (`{word}`) | {statistics.median(old):.1f} | "
            f"{statistics.median(new):.1f} | {old_count:,} → {new_count:,} |"
        )


def _insert_with_only(index_to_drop: str, channel: Channel, tag: str) -> float:
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(f"DROP INDEX {index_to_drop}")
        started = time.perf_counter()
        _fill(channel, 10_000, tag)
        elapsed = time.perf_counter() - started
        transaction.set_rollback(True)
    return elapsed * 1000


def _writes(channel: Channel, runs: int) -> None:
    upper_only, folded_only = [], []
    for run in range(runs):
        upper_only.append(_insert_with_only(SEARCH_INDEX, channel, f"w{run}u"))
        folded_only.append(_insert_with_only(OLD_INDEX, channel, f"w{run}f"))
    print(
        f"\n10,000-row insert (rolled back), p50: upper index only "
        f"{statistics.median(upper_only):.0f} ms, folded index only "
        f"{statistics.median(folded_only):.0f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=300_000)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    channel, _ = Channel.objects.get_or_create(code="search-bench", defaults={"name": "Bench"})
    have = Customer.objects.filter(channel=channel).count()
    if have < args.customers:
        _fill(channel, args.customers - have, f"s{have}")
    with connection.cursor() as cursor:
        cursor.execute(f"DROP INDEX IF EXISTS {OLD_INDEX}")
        cursor.execute("ANALYZE customers_customer")
    with connection.cursor() as cursor:
        started = time.perf_counter()
        cursor.execute(OLD_INDEX_SQL)
        old_build = time.perf_counter() - started
        started = time.perf_counter()
        cursor.execute(f"REINDEX INDEX {SEARCH_INDEX}")
        new_build = time.perf_counter() - started
        cursor.execute("ANALYZE customers_customer")
    total = Customer.objects.count()
    print(f"{total:,} customers; index build: upper {old_build:.1f} s, folded {new_build:.1f} s\n")
    _reads(args.runs)
    _writes(channel, max(3, args.runs // 5))
    with connection.cursor() as cursor:
        cursor.execute(f"DROP INDEX {OLD_INDEX}")


if __name__ == "__main__":
    main()
