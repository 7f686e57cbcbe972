"""Honest totals: `count` is exact up to 10,000 matching rows; above that it may be the
planner's estimate, flagged as one, and within 2x of the truth right after a bulk import."""

import itertools
import time

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from config import rest, statistics
from config.pagination import ESTIMATE_TRUSTED, EXACT_COUNT_LIMIT
from customers.imports import customers_import
from customers.models import Customer
from orders.imports import orders_import
from tests.customers.factories import AddressFactory, ChannelFactory, CustomerFactory

URL = "/api/v1/customers/"
postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="estimates and ANALYZE are PostgreSQL's"
)


def reltuples(table: str) -> float:
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples FROM pg_class WHERE oid = %s::regclass", [table])
        return cursor.fetchone()[0]


def analyze(table: str = "customers_customer") -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {table}")


BATCHES = itertools.count()


def customers_insert(count: int, **fields) -> None:
    """`count` more customers in one INSERT … SELECT (copies of one made with `fields`, each
    its own e-mail)."""
    batch = next(BATCHES)
    template = CustomerFactory(email=f"template{batch}@example.com", **fields)
    columns = [f.column for f in Customer._meta.concrete_fields if not f.primary_key]
    email = f"'b{batch}-' || n || '@example.com'"
    chosen = ", ".join(email if column == "email" else column for column in columns)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO customers_customer ({', '.join(columns)}) SELECT {chosen} "
            "FROM customers_customer, generate_series(1, %s) AS n WHERE id = %s",
            [count - 1, template.pk],
        )


def total(response) -> tuple[int, bool, str | None]:
    assert response.status_code == 200, response.content
    assert response["X-Total-Count"] == str(response.data["count"])
    return (
        response.data["count"],
        response.data["count_is_estimate"],
        response.get("X-Total-Count-Estimate"),
    )


@pytest.mark.django_db
def test_every_paginated_body_says_whether_its_count_is_an_estimate(api_client):
    CustomerFactory.create_batch(3)

    paged = api_client.get(URL, {"per_page": 2})
    synced = api_client.get(URL, {"since_id": 0})

    assert total(paged) == (3, False, None)
    assert (synced.data["count"], synced.data["count_is_estimate"]) == (None, False)
    assert "X-Total-Count-Estimate" not in synced


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_a_bulk_import_into_a_fresh_table_leaves_an_estimate_within_2x(api_client):
    # given: an empty customer table (analyzed empty), then 12,000 customers imported
    analyze()
    ChannelFactory(code="web")
    rows = ((n, {"channel": "web", "email": f"c{n}@example.com"}, {}) for n in range(12_000))
    result = customers_import(rows)
    assert result.created == 12_000

    # when
    count, estimated, header = total(api_client.get(URL, {"per_page": 10}))

    # then
    assert 6_000 <= count <= 24_000
    assert (estimated, header) == (True, "true")


@postgresql_only
@pytest.mark.django_db
def test_counts_are_exact_up_to_the_limit_and_flagged_above_it(api_client):
    # given: exactly the limit, with statistics
    ChannelFactory(code="web")
    customers_insert(EXACT_COUNT_LIMIT)
    analyze()

    # when / then
    assert total(api_client.get(URL)) == (EXACT_COUNT_LIMIT, False, None)
    customers_insert(1)
    analyze()
    count, estimated, header = total(api_client.get(URL))
    assert count >= EXACT_COUNT_LIMIT + 1
    assert (estimated, header) == (True, "true")


def reltuples_set(value: int, table: str = "customers_customer") -> None:
    """Statistics that say `value` rows (a superuser may write the catalog; the test's
    transaction takes it back)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE pg_class SET reltuples = %s WHERE oid = %s::regclass", [value, table]
        )


@postgresql_only
@pytest.mark.django_db
def test_an_unfiltered_list_estimated_far_past_the_limit_is_not_counted(api_client):
    # given: 30 customers, and statistics that put the table just past the trusted estimate
    ChannelFactory(code="web")
    customers_insert(30)
    analyze()
    reltuples_set(ESTIMATE_TRUSTED * EXACT_COUNT_LIMIT + 1)

    # when
    first = api_client.get(URL, {"per_page": 10})
    last = api_client.get(URL, {"per_page": 10, "page": 3})

    # then: the first page answers the estimate, flagged, having counted nothing; the last
    # page still knows the exact total from the rows before it and its own
    assert total(first) == (ESTIMATE_TRUSTED * EXACT_COUNT_LIMIT + 1, True, "true")
    assert total(last) == (30, False, None)


@postgresql_only
@pytest.mark.django_db
def test_an_unfiltered_list_estimated_at_the_trusted_bound_is_still_counted(api_client):
    ChannelFactory(code="web")
    customers_insert(30)
    analyze()
    reltuples_set(ESTIMATE_TRUSTED * EXACT_COUNT_LIMIT)

    assert total(api_client.get(URL, {"per_page": 10})) == (30, False, None)


@postgresql_only
@pytest.mark.django_db
def test_a_table_mostly_merged_is_counted_though_its_row_estimate_is_far_past(api_client):
    # given: 20,030 customers of which 20,000 merged into another (a deduplicated table),
    # analyzed: the table is estimated past the trusted bound, its listed rows are 30
    ChannelFactory(code="web")
    customers_insert(ESTIMATE_TRUSTED * EXACT_COUNT_LIMIT + 30)
    survivor = Customer.objects.order_by("pk").values_list("pk", flat=True).first()
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE customers_customer SET merged_into_id = %s WHERE id IN (SELECT id FROM "
            "customers_customer WHERE id <> %s ORDER BY id LIMIT %s)",
            [survivor, survivor, ESTIMATE_TRUSTED * EXACT_COUNT_LIMIT],
        )
    analyze()

    # when / then: the 30 listed customers are counted exactly
    assert total(api_client.get(URL, {"per_page": 10})) == (30, False, None)


def full_counts(api_client, params: dict) -> tuple[tuple, list[str]]:
    """The request's total, and the statements that counted rows without a cap."""
    with CaptureQueriesContext(connection) as context:
        answer = total(api_client.get(URL, params))
    return answer, [q["sql"] for q in context.captured_queries if '"__count"' in q["sql"]]


@postgresql_only
@pytest.mark.django_db
def test_an_estimate_below_the_rows_counted_gives_way_to_those_rows_flagged(api_client):
    # given: statistics taken at 100 rows, then 12,000 rows
    ChannelFactory(code="web")
    customers_insert(100)
    analyze()
    customers_insert(11_900)

    # when
    answer, uncapped = full_counts(api_client, {"per_page": 10})

    # then: the stale 100 is not answered, and no row past the cap is counted
    assert answer == (EXACT_COUNT_LIMIT + 1, True, "true")
    assert uncapped == []


@postgresql_only
@pytest.mark.django_db
def test_a_search_estimated_short_of_its_matches_counts_no_further_than_the_cap(api_client):
    # given: statistics taken when nobody was named Zed, then 12,000 customers named Zed
    ChannelFactory(code="web")
    customers_insert(100, first_name="Ana", last_name="Lima")
    analyze()
    customers_insert(12_000, first_name="Zed", last_name="Lima")

    # when
    answer, uncapped = full_counts(api_client, {"q": "zed", "per_page": 10})

    # then
    assert answer == (EXACT_COUNT_LIMIT + 1, True, "true")
    assert uncapped == []
    last = api_client.get(URL, {"q": "zed", "per_page": 200, "page": 60})
    assert total(last) == (12_000, False, None)  # the last page still knows the exact total


@postgresql_only
@pytest.mark.django_db
def test_the_last_page_of_an_estimated_list_is_exact(api_client):
    ChannelFactory(code="web")
    customers_insert(EXACT_COUNT_LIMIT + 50)
    analyze()

    response = api_client.get(URL, {"per_page": 200, "page": 51})

    assert total(response) == (EXACT_COUNT_LIMIT + 50, False, None)


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_a_full_upsert_list_into_a_small_table_refreshes_its_statistics(api_client):
    analyze()  # empty
    ChannelFactory(code="web")
    items = [{"channel": "web", "email": f"u{n}@example.com"} for n in range(1_000)]

    response = api_client.post("/api/v1/customers/upsert/", items, format="json")

    assert response.status_code == 200
    assert reltuples("customers_customer") == 1_000


@postgresql_only
@pytest.mark.django_db
def test_the_order_import_refreshes_the_statistics_of_what_it_wrote(
    monkeypatch, django_capture_on_commit_callbacks
):
    # given: a threshold of 2 rows, so that three orders are "many"
    monkeypatch.setattr(statistics, "ANALYZE_MIN_ROWS", 2)
    analyze("orders_order")  # empty
    ChannelFactory(code="web")
    feed = [
        (n, {"channel": "web", "number": f"N{n}", "customer": {"email": f"o{n}@example.com"}}, {})
        for n in range(3)
    ]

    # when
    with django_capture_on_commit_callbacks(execute=True):
        result = orders_import(feed)

    # then
    assert (result.created, result.rejected) == (3, 0)
    assert reltuples("orders_order") == 3


def column_values(table: str, column: str) -> str | None:
    """The most common values ANALYZE last recorded for the column (its sample's values)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT most_common_vals::text FROM pg_stats WHERE tablename = %s AND attname = %s",
            [table, column],
        )
        row = cursor.fetchone()
    return row[0] if row else None


@postgresql_only
@pytest.mark.django_db
def test_the_order_import_refreshes_the_customer_statistics_it_wrote_and_no_other(
    monkeypatch, django_capture_on_commit_callbacks
):
    # given: customers analyzed, all named Ann and without orders; their addresses added
    # since the address table was analyzed (empty)
    monkeypatch.setattr(statistics, "ANALYZE_MIN_ROWS", 2)
    analyze("customers_address")
    channel = ChannelFactory(code="web")
    for _ in range(4):
        AddressFactory(customer=CustomerFactory(channel=channel, first_name="Ann"))
    analyze()
    feed = [
        (
            n,
            {
                "channel": "web",
                "number": f"N{n}",
                "status": "paid",
                "customer": {"email": f"bob{n}@example.com", "first_name": "Bob"},
            },
            {},
        )
        for n in range(4)
    ]

    # when: four orders for four new buyers, all named Bob, with no address
    with django_capture_on_commit_callbacks(execute=True):
        result = orders_import(feed)

    # then: the row count and the order statistics are fresh; the names and the addresses,
    # which the import did not write, keep their statistics (autovacuum's to refresh)
    assert (result.created, result.rejected) == (4, 0)
    assert reltuples("customers_customer") == 8
    assert column_values("customers_customer", "orders_count") == "{0,1}"
    assert column_values("customers_customer", "first_name") == "{Ann}"
    assert reltuples("customers_address") == 0


@postgresql_only
@pytest.mark.django_db
def test_the_order_import_refreshes_the_address_statistics_when_it_wrote_addresses(
    monkeypatch, django_capture_on_commit_callbacks
):
    # given
    monkeypatch.setattr(statistics, "ANALYZE_MIN_ROWS", 2)
    analyze("customers_address")  # empty
    ChannelFactory(code="web")
    customer = {"addresses": [{"city": "Rio"}]}
    feed = [
        (
            n,
            {"channel": "web", "number": f"N{n}", "customer": {**customer, "email": f"{n}@a.io"}},
            {},
        )
        for n in range(3)
    ]

    # when
    with django_capture_on_commit_callbacks(execute=True):
        result = orders_import(feed)

    # then
    assert (result.created, result.rejected) == (3, 0)
    assert reltuples("customers_address") == 3


@postgresql_only
@pytest.mark.django_db
def test_statistics_refresh_skips_writes_under_a_tenth_of_the_table(
    django_capture_on_commit_callbacks,
):
    # given: 20,000 analyzed rows, then 1,500 more (under a tenth)
    ChannelFactory(code="web")
    customers_insert(20_000)
    analyze()

    # when
    customers_insert(1_500)
    with django_capture_on_commit_callbacks(execute=True):
        statistics.statistics_refresh(models=[Customer], rows=1_500)
    skipped = reltuples("customers_customer")
    customers_insert(1_000)
    with django_capture_on_commit_callbacks(execute=True):
        statistics.statistics_refresh(models=[Customer], rows=2_500)

    # then
    assert skipped == 20_000
    assert reltuples("customers_customer") == 22_500


@pytest.mark.parametrize("params", [{"group": "no-such-group"}, {"group_tree": "no-such-group"}])
def test_a_filter_no_row_can_match_is_an_empty_first_page_and_no_second(api_client, params):
    # given: customers, none in a group that does not exist
    CustomerFactory.create_batch(3)

    # when
    first = api_client.get(URL, params)
    second = api_client.get(URL, {**params, "page": 2})

    # then
    assert first.status_code == 200, first.content
    assert (first.json()["count"], first.json()["results"]) == (0, [])
    assert second.status_code == 404


@postgresql_only
@pytest.mark.django_db
def test_a_filtered_lists_estimate_is_kept_a_minute(api_client, monkeypatch):
    # given: a search past the limit, with statistics
    ChannelFactory(code="web")
    customers_insert(12_000, first_name="Zed", last_name="Lima")
    analyze()

    def explains() -> tuple[tuple, int]:
        with CaptureQueriesContext(connection) as context:
            answer = total(api_client.get(URL, {"q": "zed", "per_page": 10}))
        return answer, sum(q["sql"].startswith("EXPLAIN") for q in context.captured_queries)

    # when / then: the planner is asked once, the same answer comes again from memory
    first, asked = explains()
    assert first[1:] == (True, "true")
    assert first[0] >= EXACT_COUNT_LIMIT + 1
    assert asked == 1
    assert explains() == (first, 0)
    # and asked again once the minute has passed
    later = time.monotonic() + rest.ESTIMATE_KEPT_SECONDS + 1
    monkeypatch.setattr(rest.time, "monotonic", lambda: later)
    assert explains() == (first, 1)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "params", [{"q": "zoltan"}, {"first_name": "Zoltan"}, {"q": "zoltan", "page": 2}]
)
def test_a_filtered_count_leaves_out_merged_customers_that_match(api_client, params):
    # given: 5 customers match, 2 of them merged into a third (and one that does not match)
    web = ChannelFactory(code="web")
    matching = CustomerFactory.create_batch(5, channel=web, first_name="Zoltan")
    other = CustomerFactory(channel=web, first_name="Ana")
    Customer.objects.filter(pk__in=[matching[1].pk, matching[3].pk]).update(merged_into=matching[0])
    Customer.objects.filter(pk=other.pk).update(merged_into=matching[0])

    # when
    response = api_client.get(URL, {**params, "per_page": 2})

    # then: the 3 listed ones are counted, on every page
    assert total(response) == (3, False, None)
    listed = [matching[0].pk, matching[2].pk, matching[4].pk]
    page = params.get("page", 1)
    assert [row["id"] for row in response.data["results"]] == listed[(page - 1) * 2 : page * 2]
