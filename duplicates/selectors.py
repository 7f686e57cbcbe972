"""Duplicate candidates: pairs of customers of one channel that share a match key.

The pairs, their scores and reasons are computed by the writes and kept in a table
(customers.match_pairs, CandidatePair: the rules, REASON_WEIGHTS, GROUP_MAX and
NAME_SIMILARITY live there); a page of them is a walk down its (score, ids) index, best
first, then by their ids, whatever the number of customers. Only the pairs of the caller's
channels (`channel_scope`) are listed, and dismissed pairs (DuplicateDismissal) never come
back.
"""

from dataclasses import dataclass

from django.db.models import Exists, F, Func, OuterRef, Q, QuerySet, Subquery

# The rules' names callers of this module know them by.
from customers.match_pairs import (
    GROUP_MAX,
    REASON_BITS,
    REASONS,
    SAME_EMAIL,
    SAME_IDENTIFICATION,
    SAME_PHONE,
    SIMILAR_NAME_SAME_ADDRESS,
    reasons_of,
)
from customers.models import CandidatePair, Customer
from customers.selectors import channel_scope, customer_all
from duplicates.models import DuplicateDismissal

__all__ = [
    "GROUP_MAX",
    "REASONS",
    "SAME_EMAIL",
    "SAME_IDENTIFICATION",
    "SAME_PHONE",
    "SIMILAR_NAME_SAME_ADDRESS",
    "DuplicatePair",
    "duplicate_pairs_page",
]


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


def _pairs(
    *, user, channel: str | None, reason: str | None, customer: Customer | None
) -> QuerySet[CandidatePair]:
    pairs = channel_scope(CandidatePair.objects.all(), user=user)
    if channel is not None:
        pairs = pairs.filter(channel__code=channel)
    if reason is not None:
        pairs = pairs.alias(hit=F("reasons").bitand(REASON_BITS[reason])).filter(hit__gt=0)
    if customer is not None:
        pairs = pairs.filter(Q(customer_low=customer.pk) | Q(customer_high=customer.pk))
    dismissed = DuplicateDismissal.objects.filter(
        customer_low_id=OuterRef("customer_low_id"), customer_high_id=OuterRef("customer_high_id")
    )
    return pairs.filter(~Exists(dismissed))


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
    the page is past the end). `reason` keeps pairs that have it; `customer` keeps its pairs.
    One query: the page, read down the pairs' index, and their count."""
    if reason is not None and reason not in REASONS:
        raise ValueError(f"Unknown reason {reason!r}")
    pairs = _pairs(user=user, channel=channel, reason=reason, customer=customer)
    total = pairs.order_by().annotate(n=Func(F("pk"), function="COUNT")).values("n")
    rows = list(
        pairs.annotate(total=Subquery(total))
        .order_by("-score", "customer_low_id", "customer_high_id")
        .values_list("customer_low_id", "customer_high_id", "score", "reasons", "total")[
            offset : offset + limit
        ]
    )
    page = [
        DuplicatePair((low, high), score, reasons_of(bits)) for low, high, score, bits, _ in rows
    ]
    return page, (rows[0][4] if rows else None)


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
