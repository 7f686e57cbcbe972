"""Query budgets of the reads timed by bench/api_bench.py: fixed, whatever the page size.

Each read is asked for a page of 5 and a page of 50 over the same rows; both must cost the
exact same queries, and that number is pinned so a new per-row or per-page query shows up.
"""

import datetime
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from customers.search import SEARCH_INDEX
from merges.services import customer_merge
from orders.models import Order
from tests.conftest import api_client_for
from tests.customers.factories import AddressFactory, ChannelFactory, CustomerFactory
from tests.groups.factories import UserCustomerGroupFactory, group_chain
from tests.orders.factories import OrderFactory, OrderItemFactory

pytestmark = pytest.mark.django_db

DAY = datetime.datetime(2024, 3, 1, 12, tzinfo=datetime.UTC)
EXPAND = "recent_orders,recent_addresses,phones,memberships"
ROWS = 60
# A list page's addresses and group codes: in the page's own statement on PostgreSQL
# (customers.selectors.customer_rows_queryset), one query each elsewhere.
POSTGRESQL = connection.vendor == "postgresql"
RELATIONS = 0 if POSTGRESQL else 2
# A customer list page's total: in the page's own statement on PostgreSQL (the page written by
# the database, config.rest.PagePagination._page_with_total), its own statement elsewhere.
COUNT = 0 if POSTGRESQL else 1
ORDERS = 2 if POSTGRESQL else 6


@pytest.fixture
def store():
    """60 customers with addresses, groups in a tree and orders, on one day."""
    channel = ChannelFactory(code="web")
    tree = group_chain("retail", "vip", "gold")
    customers = CustomerFactory.create_batch(
        ROWS,
        channel=channel,
        first_name="Maria",
        email_allowed=True,
        sms_allowed=True,
        created_at=DAY,
    )
    for index, customer in enumerate(customers):
        customer.email = f"maria.{index}@example.com"
        customer.total_spent = Decimal(index)
        customer.save(update_fields=["email", "total_spent"])
        AddressFactory(customer=customer, is_default=True)
        AddressFactory(customer=customer, is_billing=True)
        UserCustomerGroupFactory(customer=customer, group=tree[index % 3])
        for order in OrderFactory.create_batch(2, customer=customer, placed_at=DAY):
            OrderItemFactory(order=order)
    return customers


def _reads(customer_id: int) -> dict[str, tuple[str, dict, int]]:
    """name: (url, params, queries). Queries: channel scoping, count, page, then relations."""
    customers = "/api/v1/customers/"
    return {
        "list": (customers, {}, 2 + COUNT + RELATIONS),
        "since_id": (customers, {"since_id": 0}, 2 + RELATIONS),
        "deep page": (customers, {"page": 2}, 2 + COUNT + RELATIONS),
        "email__startswith": (customers, {"email__startswith": "maria."}, 2 + COUNT + RELATIONS),
        "q": (customers, {"q": "mari"}, 2 + COUNT + RELATIONS),
        "created_at__date": (customers, {"created_at__date": "2024-03-01"}, 2 + COUNT + RELATIONS),
        "total_spent__gte": (
            customers,
            {"total_spent__gte": "1", "ordering": "-total_spent"},
            2 + COUNT + RELATIONS,
        ),
        # + the group's ids (customers.filters via groups.selectors.customer_filter_group)
        "group": (customers, {"group": "vip"}, 3 + COUNT + RELATIONS),
        "group_tree": (customers, {"group_tree": "retail"}, 3 + COUNT + RELATIONS),
        "status and consent": (
            customers,
            {"status": "active", "email_allowed": "true", "sms_allowed": "true"},
            2 + COUNT + RELATIONS,
        ),
        # + one member count per page; elsewhere + addresses, memberships, recent orders
        "list, every expansion": (customers, {"expand": EXPAND}, 3 if POSTGRESQL else 7),
        # scoping and the page (with its count, items and custom data) on PostgreSQL;
        # elsewhere + the count, items, their custom data and the orders' custom data
        "orders of a customer": ("/api/v1/orders/", {"customer": customer_id}, ORDERS),
        "orders by date": ("/api/v1/orders/", {"placed_at__date": "2024-03-01"}, ORDERS),
    }


def _get(client, url, params):
    with CaptureQueriesContext(connection) as context:
        response = client.get(url, params)
    assert response.status_code == 200, response.content
    return len(context), response.data, [q["sql"][:120] for q in context.captured_queries]


@pytest.mark.parametrize("name", list(_reads(0)))
def test_each_read_has_a_fixed_query_budget(api_client, store, name):
    url, params, budget = _reads(store[0].pk)[name]
    api_client.get("/api/v1/customers/", {"per_page": 1})  # warm the permission cache
    orders = url.startswith("/api/v1/orders/")
    small, small_data, _ = _get(api_client, url, {**params, "per_page": 1 if orders else 5})
    large, large_data, sql = _get(api_client, url, {**params, "per_page": 50})

    assert (small, large) == (budget, budget), "\n".join(sql)
    assert len(large_data["results"]) > len(small_data["results"]) > 0


def test_detail_with_every_expansion_has_a_fixed_query_budget(api_client, store):
    api_client.get("/api/v1/customers/", {"per_page": 1})
    queries, data, _ = _get(api_client, f"/api/v1/customers/{store[0].pk}/", {"expand": EXPAND})

    # scoping, the customer, the group's member count; elsewhere + addresses, memberships
    # and recent orders (on PostgreSQL in the customer's statement)
    assert queries == (3 if POSTGRESQL else 6)
    assert data["memberships"][0]["group"]["member_count"] == ROWS // 3
    assert len(data["recent_orders"]) == 2


@pytest.mark.parametrize(
    ("params", "budget"),
    [
        # channel scoping, the customer, its addresses, its group codes; on PostgreSQL the
        # customer's JSON with its relations in one statement
        ({}, 2 if POSTGRESQL else 4),
        ({"fields": "id,email"}, 2),
        ({"fields": "id,groups"}, 2 if POSTGRESQL else 3),
    ],
    ids=["every field", "scalars only", "groups"],
)
def test_detail_without_expansions_has_a_fixed_query_budget(api_client, store, params, budget):
    api_client.get("/api/v1/customers/", {"per_page": 1})
    queries, data, sql = _get(api_client, f"/api/v1/customers/{store[0].pk}/", params)

    assert queries == budget, "\n".join(sql)
    assert data["id"] == store[0].pk


def test_deep_pages_read_the_same_rows_by_id_first(api_client, store, monkeypatch):
    from config.rest import PagePagination

    params = {"per_page": 7, "page": 3, "ordering": "-total_spent"}
    _, plain, _ = _get(api_client, "/api/v1/customers/", params)
    monkeypatch.setattr(PagePagination, "deferred_offset", 0)
    _, deferred, _ = _get(api_client, "/api/v1/customers/", params)

    assert deferred == plain
    assert [row["total_spent"] for row in deferred["results"]][:2] == ["45.00", "44.00"]


@pytest.fixture
def merged_between(store, superuser):
    """Customers 3, 4 and 20 of the store merged into their neighbours: before a deep page,
    and inside it."""
    for kept, merged in ((2, 3), (5, 4), (19, 20)):
        customer_merge(keep=store[kept].pk, merge=[store[merged].pk], user=superuser)
    return [store[n].pk for n in (3, 4, 20)]


def test_deep_pages_leave_merged_customers_out(api_client, store, merged_between, monkeypatch):
    from config.rest import PagePagination

    params = {"per_page": 7, "page": 3}
    monkeypatch.setattr(PagePagination, "deferred_offset", 0)
    _, deferred, _ = _get(api_client, "/api/v1/customers/", params)

    listed = [customer.pk for customer in store if customer.pk not in merged_between]
    assert [row["id"] for row in deferred["results"]] == listed[14:21]
    assert deferred["count"] == ROWS - 3
    assert api_client.get("/api/v1/customers/", {"per_page": 7, "page": 99}).status_code == 404


def _list_page_plan(api_client, params: dict) -> str:
    """The plan of the page statement a customer list request runs (sequential scans off,
    so the plan shows which index the statement can do with)."""
    with CaptureQueriesContext(connection) as context:
        api_client.get("/api/v1/customers/", params)
    page = next(q["sql"] for q in context.captured_queries if '"version"' in q["sql"])
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {page}")
        return "\n".join(row[0] for row in cursor.fetchall())


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's plan")
def test_deep_unfiltered_pages_read_ids_from_the_primary_key_alone(
    api_client, store, merged_between, monkeypatch
):
    """The ids before a deep page are read index-only: the listing rule (not merged) is
    applied to the few merged customers, not checked in each row before the page."""
    from config.rest import PagePagination

    monkeypatch.setattr(PagePagination, "deferred_offset", 0)
    plan = _list_page_plan(api_client, {"per_page": 7, "page": 3})

    assert "Index Only Scan using customers_customer_pkey" in plan, plan


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's plan")
def test_a_search_checks_its_candidates_against_the_stored_document(api_client, store):
    """Every row the trigram index finds is rechecked: against the stored folded document,
    not by folding the row's fields again (`unaccent` per candidate, in the count and the
    page alike)."""
    plan = _list_page_plan(api_client, {"q": "maria"})

    assert SEARCH_INDEX in plan, plan
    assert "search_document ~~ '%MARIA%'" in plan, plan
    assert "patron_fold" not in plan, plan


@pytest.mark.parametrize(("limit", "count"), [(57, 57), (1_000, 57)], ids=["at", "under"])
def test_filtered_counts_leave_merged_customers_out(
    api_client, store, merged_between, monkeypatch, limit, count
):
    """Merged customers match the filter (same day) and are not counted, at the limit too."""
    from config.rest import PagePagination

    monkeypatch.setattr(PagePagination, "exact_count_limit", limit)
    response = api_client.get("/api/v1/customers/", {"created_at__date": "2024-03-01"})

    assert (response.data["count"], response.data["count_is_estimate"]) == (count, False)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's plan")
def test_a_groups_count_reads_no_customer_rows(api_client, store, merged_between):
    """A group's members are counted from indexes alone: the listing rule (not merged) is
    applied to the few merged customers, not checked in each member's row."""
    plan = _list_page_plan(api_client, {"group": "vip"})

    assert "Index Only Scan using customers_customer_pkey" in plan, plan


@pytest.mark.skipif(connection.vendor != "postgresql", reason="estimates are PostgreSQL's")
def test_large_totals_are_estimated_and_pages_stay_consistent(api_client, store, monkeypatch):
    from config.rest import PagePagination

    monkeypatch.setattr(PagePagination, "exact_count_limit", 10)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE customers_customer")
    response = api_client.get("/api/v1/customers/", {"per_page": 50})
    count = response.data["count"]

    assert count >= 11  # never less than the rows known to exist
    assert response["X-Total-Count"] == str(count)
    last = api_client.get("/api/v1/customers/", {"per_page": 50, "page": 2})
    assert len(last.data["results"]) == ROWS - 50
    assert last.data["next"] is None
    assert last.data["count"] >= ROWS
    assert api_client.get("/api/v1/customers/", {"per_page": 50, "page": 9}).status_code == 404


@pytest.mark.skipif(connection.vendor != "postgresql", reason="estimates are PostgreSQL's")
def test_an_unfiltered_estimated_total_is_one_statement(api_client, store, monkeypatch):
    from config.rest import PagePagination

    monkeypatch.setattr(PagePagination, "exact_count_limit", 10)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE customers_customer")
    api_client.get("/api/v1/customers/", {"per_page": 1})
    with CaptureQueriesContext(connection) as context:
        data = api_client.get("/api/v1/customers/", {"per_page": 5}).data
    sql = [query["sql"] for query in context.captured_queries]

    totals = [statement for statement in sql if "COUNT(*)" in statement or "reltuples" in statement]
    assert len(totals) == 1, "\n".join(sql)
    assert "COUNT(*)" in totals[0]
    assert "reltuples" in totals[0]
    # scoping, then the page with its total (was two statements, then three), addresses and
    # groups
    assert len(sql) == 2
    assert data["count"] == ROWS
    assert data["count_is_estimate"] is True


def test_small_totals_stay_exact(api_client, store):
    response = api_client.get("/api/v1/customers/", {"group": "vip"})

    assert response.data["count"] == ROWS // 3
    assert response["X-Total-Count"] == str(ROWS // 3)
    assert Order.objects.count() == 2 * ROWS


@pytest.mark.skipif(connection.vendor != "postgresql", reason="estimates are PostgreSQL's")
def test_large_groups_member_count_is_capped_then_estimated(superuser, store, monkeypatch):
    """Superusers see every channel, so their member counts are capped and estimated."""
    from config import pagination

    api_client = api_client_for(superuser)
    monkeypatch.setattr(pagination, "EXACT_COUNT_LIMIT", 15)  # 16 counted of 20 members
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE groups_usercustomergroup")
    url = f"/api/v1/customers/{store[0].pk}/"
    [membership] = api_client.get(url, {"expand": "memberships"}).data["memberships"]

    assert membership["group"]["member_count"] == ROWS // 3  # the planner's figure here
    monkeypatch.setattr(pagination, "EXACT_COUNT_LIMIT", 1_000)
    [membership] = api_client.get(url, {"expand": "memberships"}).data["memberships"]
    assert membership["group"]["member_count"] == ROWS // 3


def _membership_scans() -> int:
    """Scans of the memberships table (sequential or by any index) in this transaction."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_stat_get_xact_numscans(c.oid)"
            " + coalesce(sum(pg_stat_get_xact_numscans(i.indexrelid)), 0)"
            " FROM pg_class c LEFT JOIN pg_index i ON i.indrelid = c.oid"
            " WHERE c.oid = 'groups_usercustomergroup'::regclass GROUP BY c.oid"
        )
        return cursor.fetchone()[0]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="estimates are PostgreSQL's")
def test_a_group_estimated_far_past_the_limit_is_not_counted(superuser, store, monkeypatch):
    """Superusers see every channel, so their member counts are capped and estimated."""
    from config import pagination

    client = api_client_for(superuser)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE groups_usercustomergroup")
    url = f"/api/v1/customers/{store[0].pk}/"

    def member_count_and_scans():
        before = _membership_scans()
        [membership] = client.get(url, {"expand": "memberships"}).data["memberships"]
        return membership["group"]["member_count"], _membership_scans() - before

    monkeypatch.setattr(pagination, "EXACT_COUNT_LIMIT", 5)  # 20 members: over twice that
    estimated, estimated_scans = member_count_and_scans()
    monkeypatch.setattr(pagination, "EXACT_COUNT_LIMIT", 10)  # 20 members: not over twice
    counted, counted_scans = member_count_and_scans()

    assert estimated == counted == ROWS // 3
    # Both read the customer's memberships; only the second counts the group's members.
    assert counted_scans == estimated_scans + 1
