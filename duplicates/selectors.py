"""Duplicate candidates: pairs of customers of one channel that share a match key.

Each reason joins customers on one equal, indexed key (customers.match_keys), never the whole
table with itself: `same_email` (email_key), `same_phone` (phone_key), `same_identification`
(identification_key), and `similar_name_same_address`: the same address key (postcode and
house number) with trigram-similar names on PostgreSQL (pg_trgm `similarity` at least
NAME_SIMILARITY), equal folded names on SQLite. A key shared by more than GROUP_MAX customers
of a channel is a placeholder (a shop's phone, "00000"), not a person, and pairs none of them:
this also bounds the pairs a key can make. A pair's score is the sum of its reasons' weights
(REASON_WEIGHTS, 100 when all four agree); pairs come best first, then by their ids.

The customers considered are `customer_match_pool()`, limited to the caller's channels by
`channel_scope`; dismissed pairs (DuplicateDismissal) never come back.
"""

from dataclasses import dataclass

from django.db import connection
from django.db.models import QuerySet

from customers.models import Customer
from customers.selectors import channel_scope, customer_all
from duplicates.models import DuplicateDismissal

SAME_EMAIL = "same_email"
SAME_PHONE = "same_phone"
SAME_IDENTIFICATION = "same_identification"
SIMILAR_NAME_SAME_ADDRESS = "similar_name_same_address"
REASON_WEIGHTS = {
    SAME_EMAIL: 35,
    SAME_IDENTIFICATION: 30,
    SAME_PHONE: 20,
    SIMILAR_NAME_SAME_ADDRESS: 15,
}
REASONS = tuple(REASON_WEIGHTS)
_REASON_KEYS = {
    SAME_EMAIL: "email_key",
    SAME_PHONE: "phone_key",
    SAME_IDENTIFICATION: "identification_key",
    SIMILAR_NAME_SAME_ADDRESS: "address_key",
}
GROUP_MAX = 10
NAME_SIMILARITY = 0.6
_POOL_COLUMNS = ("id", "channel_id", *_REASON_KEYS.values(), "name_key")


@dataclass(frozen=True)
class DuplicatePair:
    """One candidate pair: the customers' ids (lower first), its score and reasons."""

    customer_ids: tuple[int, int]
    score: int
    reasons: tuple[str, ...]


def customer_match_pool() -> QuerySet[Customer]:
    """Return the customers duplicate detection considers (every candidate comes from here):
    every customer not merged into another (customers.selectors.customer_all)."""
    return customer_all()


class _Sql:
    """SQL text with its parameters, built in order."""

    def __init__(self):
        self.params: list = []

    def pool(self, queryset: QuerySet) -> str:
        sql, params = queryset.values_list(*_POOL_COLUMNS).query.sql_with_params()
        self.params.extend(params)
        return f"({sql})"


def _name_match(vendor: str) -> str:
    if vendor == "postgresql":
        return f"similarity(a.name_key, b.name_key) >= {NAME_SIMILARITY}"
    return "a.name_key = b.name_key"


def _reason_sql(sql: _Sql, pool: QuerySet, reason: str, customer_id: int | None) -> str:
    """(low, high, reason) rows of one reason: customers on a shared, non-placeholder key."""
    key = _REASON_KEYS[reason]
    groups = f"SELECT g.channel_id, g.{key} FROM {sql.pool(pool)} g WHERE g.{key} <> ''"
    if customer_id:
        # One customer's pairs: only its own key's group is read.
        groups += f" AND g.{key} = (SELECT c.{key} FROM customers_customer c WHERE c.id = %s)"
        sql.params.append(customer_id)
    groups += f" GROUP BY g.channel_id, g.{key} HAVING COUNT(*) BETWEEN 2 AND {GROUP_MAX}"
    names = ""
    if reason == SIMILAR_NAME_SAME_ADDRESS:
        names = f" AND a.name_key <> '' AND b.name_key <> '' AND {_name_match(connection.vendor)}"
    a_pool, b_pool = sql.pool(pool), sql.pool(pool)
    return (
        f"SELECT a.id AS low, b.id AS high, '{reason}' AS reason FROM ({groups}) k "
        f"JOIN {a_pool} a ON a.channel_id = k.channel_id AND a.{key} = k.{key} "
        f"JOIN {b_pool} b ON b.channel_id = k.channel_id AND b.{key} = k.{key} AND b.id > a.id"
        f"{names}"
    )


def _pairs_sql(pool: QuerySet, reason: str | None, customer_id: int | None) -> tuple[str, list]:
    """The pairs, best first, with their total: (low, high, score, reasons, total) rows."""
    sql = _Sql()
    union = " UNION ALL ".join(_reason_sql(sql, pool, name, customer_id) for name in REASONS)
    weight = " ".join(f"WHEN '{name}' THEN {value}" for name, value in REASON_WEIGHTS.items())
    joined = "string_agg" if connection.vendor == "postgresql" else "group_concat"
    where = ""
    if customer_id:
        where = " AND (r.low = %s OR r.high = %s)"
        sql.params.extend([customer_id, customer_id])
    having = f" HAVING MAX(CASE WHEN r.reason = '{reason}' THEN 1 ELSE 0 END) = 1" if reason else ""
    text = (
        f"SELECT r.low, r.high, SUM(CASE r.reason {weight} END) AS score, "
        f"{joined}(r.reason, ',') AS reasons, COUNT(*) OVER () AS total FROM ({union}) r "
        f"WHERE NOT EXISTS (SELECT 1 FROM {DuplicateDismissal._meta.db_table} d "
        f"WHERE d.customer_low_id = r.low AND d.customer_high_id = r.high){where} "
        f"GROUP BY r.low, r.high{having} ORDER BY score DESC, r.low, r.high LIMIT %s OFFSET %s"
    )
    return text, sql.params


def duplicate_pairs_page(
    *,
    user,
    offset: int,
    limit: int,
    channel: str | None = None,
    reason: str | None = None,
    customer: Customer | None = None,
) -> tuple[list[DuplicatePair], int | None]:
    """Return one page of candidate pairs the user may see and the number of pairs (None when
    the page is past the end). `reason` keeps pairs that have it; `customer` keeps its pairs."""
    pool = channel_scope(customer_match_pool(), user=user)
    if channel is not None:
        pool = pool.filter(channel__code=channel)
    if reason is not None and reason not in REASONS:
        raise ValueError(f"Unknown reason {reason!r}")
    text, params = _pairs_sql(pool, reason, customer.pk if customer else None)
    with connection.cursor() as cursor:
        cursor.execute(text, [*params, limit, offset])
        rows = cursor.fetchall()
    pairs = [
        DuplicatePair((low, high), int(score), tuple(sorted(found.split(","), key=REASONS.index)))
        for low, high, score, found, _ in rows
    ]
    return pairs, (rows[0][4] if rows else None)


def duplicate_dismissal_list(*, user) -> QuerySet[DuplicateDismissal]:
    """Return the dismissals of the channels the user may see."""
    return channel_scope(
        DuplicateDismissal.objects.select_related("dismissed_by"),
        user=user,
        channel_field="customer_low__channel",
    )


def duplicate_pair_customers(pairs: list[DuplicatePair]) -> dict[int, Customer]:
    """The customers of these pairs by id, with their channel: one query."""
    ids = {pk for pair in pairs for pk in pair.customer_ids}
    if not ids:
        return {}
    return (
        Customer.objects.select_related("channel")
        .only("id", "email", "first_name", "last_name", "channel__code")
        .in_bulk(ids)
    )
