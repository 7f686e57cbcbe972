"""Each indexed lookup of the customer list is served by the index meant for it (PostgreSQL).

The tables here are tiny, so sequential scans are switched off for the query: a lookup whose
SQL does not match its index's expression or predicate then still shows a Seq Scan.
"""

import pytest
from django.db import connection, transaction

from config.pagination import EXACT_COUNT_LIMIT
from config.rest import planner_estimate
from customers.admin import customer_search_q
from customers.filters import CustomerFilterSet
from customers.models import Customer
from customers.search import SEARCH_COLUMN, SEARCH_INDEX
from groups.models import UserCustomerGroup
from tests.customers.factories import ChannelFactory, CustomerFactory
from tests.groups.factories import group_chain

pytestmark = pytest.mark.django_db
postgresql_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="its planner")


def _plan(queryset) -> str:
    """The plan of the filter alone: without an ordering the primary key has no pull."""
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
    return queryset.order_by().explain()


def _filtered(params: dict):
    return CustomerFilterSet(params, queryset=Customer.objects.all()).qs


@pytest.mark.parametrize(
    ("params", "index"),
    [
        ({"q": "maria"}, SEARCH_INDEX),
        ({"q": "MARÍA"}, SEARCH_INDEX),
        ({"q": "maria example"}, SEARCH_INDEX),
        ({"first_name": "Maria"}, SEARCH_INDEX),
        ({"first_name": "maría"}, SEARCH_INDEX),
        ({"first_name__istartswith": "mar"}, SEARCH_INDEX),
        ({"first_name__istartswith": "MÁR"}, SEARCH_INDEX),
        ({"last_name": "Silva"}, SEARCH_INDEX),
        ({"last_name__istartswith": "sil"}, SEARCH_INDEX),
        ({"email": "Maria@Example.com"}, "customer_email_idx"),
        ({"email__startswith": "maria"}, "customer_email_idx"),
        ({"phone": "+5511999990000"}, "cust_phone_set_idx"),
        ({"identification": "12345678900"}, "cust_identification_set_idx"),
        ({"erp_code": "ERP-1"}, "cust_erp_code_set_idx"),
        ({"channel_code": "C-1"}, "cust_channel_code_set_idx"),
        ({"username": "maria"}, "customer_username_set_idx"),
        ({"total_spent__gte": "10"}, "customer_total_spent_idx"),
        ({"status": "active", "email_allowed": "true"}, "customer_status_consent_idx"),
    ],
)
@postgresql_only
def test_list_lookups_use_their_index(params, index):
    CustomerFactory.create_batch(3, first_name="Maria", last_name="Silva")

    plan = _plan(_filtered(params))

    assert index in plan, plan


@pytest.mark.parametrize("term", ["maria", "María"])
@postgresql_only
def test_admin_search_uses_the_search_index(term):
    CustomerFactory.create_batch(3, first_name="Maria")

    plan = _plan(Customer.objects.filter(customer_search_q(term)))

    assert SEARCH_INDEX in plan, plan


@pytest.fixture
def big_table():
    """20,000 customers with fresh statistics; the statistics are refreshed again afterwards
    (ANALYZE outlives the test's rollback, and other tests read the table's row estimate)."""
    channel = ChannelFactory(code="big")
    Customer.objects.bulk_create(
        Customer(channel=channel, email=f"c{n}@example.com", first_name="Ana", last_name="Lima")
        for n in range(20_000)
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE customers_customer")
    yield channel
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM customers_customer WHERE channel_id = %s", [channel.pk])
        cursor.execute("ANALYZE customers_customer")


@postgresql_only
def test_the_planner_itself_picks_the_search_index_for_a_rare_accented_word(big_table):
    """With enough rows and fresh statistics, and sequential scans allowed."""
    # given three customers named María among 20,000
    CustomerFactory.create_batch(3, channel=big_table, first_name="María")

    # when
    queryset = _filtered({"q": "maria"}).order_by()
    plan = queryset.explain()

    # then
    assert SEARCH_INDEX in plan, plan
    assert "Seq Scan" not in plan, plan
    assert queryset.count() == 3


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"first_name": "Maria"}, {"maria"}),
        ({"first_name": "Mar"}, set()),
        ({"first_name__istartswith": "MARIA"}, {"maria"}),
        ({"first_name__istartswith": "mar"}, {"maria", "mario"}),
        ({"last_name__istartswith": "SAN"}, {"maria", "mario"}),
        ({"last_name": "Santos"}, {"mario"}),
        ({"q": "santos mar"}, {"maria", "mario"}),
        ({"q": "santosa"}, {"maria"}),
    ],
)
def test_names_found_through_the_search_index_match_only_the_field(params, expected):
    CustomerFactory(email="maria@example.com", first_name="Maria", last_name="Santosa")
    CustomerFactory(email="mario@example.com", first_name="Mario", last_name="Santos")
    # "Maria" in another field must not make this customer's first name match.
    CustomerFactory(email="maria.x@example.com", first_name="Ana", last_name="Maria")

    found = {c.email.split("@")[0] for c in _filtered(params)}

    assert found == expected


@postgresql_only
def test_the_search_document_keeps_a_histogram_fine_enough_to_tell_common_words():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT attstattarget FROM pg_attribute"
            " WHERE attrelid = 'customers_customer'::regclass AND attname = %s",
            [SEARCH_COLUMN],
        )
        assert cursor.fetchall() == [(1000,)]


def _channel_customers_delete(channel) -> None:
    """Delete a fixture's customers and memberships in two statements (bulk-created: nothing
    else refers to them; the ORM would delete them one by one with their history), then
    refresh the statistics the fixture's ANALYZE left behind."""
    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM groups_usercustomergroup WHERE customer_id IN "
            "(SELECT id FROM customers_customer WHERE channel_id = %s)",
            [channel.pk],
        )
        cursor.execute("DELETE FROM customers_customer WHERE channel_id = %s", [channel.pk])
        cursor.execute("ANALYZE customers_customer, groups_usercustomergroup")


@pytest.fixture
def listed_table():
    """5,000 customers, a third of them in the group vip (under retail), committed and
    vacuumed: an index-only scan needs the visibility map, which VACUUM sets (outside any
    transaction). Statistics are refreshed again afterwards for the tests that follow."""
    channel = ChannelFactory(code="listed")
    retail, vip = group_chain("retail", "vip")
    customers = Customer.objects.bulk_create(
        Customer(
            channel=channel,
            email=f"l{n}@example.com",
            total_spent=n,
            status=Customer.Status.ACTIVE if n % 4 == 0 else Customer.Status.INACTIVE,
            email_allowed=n % 8 == 0,
        )
        for n in range(5_000)
    )
    UserCustomerGroup.objects.bulk_create(
        UserCustomerGroup(customer=customer, group=vip) for customer in customers[::3]
    )
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE customers_customer, groups_usercustomergroup")
    yield
    _channel_customers_delete(channel)


# One test for every case: a committed table is emptied by a flush after each test.
LISTED_COUNT_INDEXES = [
    ({"total_spent__gte": "4900"}, "customer_total_spent_idx"),
    ({"status": "active", "email_allowed": "true"}, "customer_status_consent_idx"),
]


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_listed_customers_are_counted_from_the_index_alone(listed_table):
    """A list leaves merged customers out: its capped count (config.rest, the same statement
    here) reads an index that also tells `merged_into_id`, never the table's rows."""
    for params, index in LISTED_COUNT_INDEXES:
        filtered = CustomerFilterSet(params, queryset=Customer.listed_queryset()).qs
        capped = filtered.order_by().values("pk")[: EXACT_COUNT_LIMIT + 1]
        sql, sql_params = capped.query.sql_with_params()

        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute(f"EXPLAIN SELECT COUNT(*) FROM ({sql}) capped", sql_params)
            plan = "\n".join(row[0] for row in cursor.fetchall())

        assert f"Index Only Scan using {index}" in plan, (params, plan)


@pytest.fixture
def uneven_groups():
    """A group of 3,000 members beside six groups of 20, with fresh statistics (refreshed
    again afterwards: ANALYZE outlives the test's rollback)."""
    channel = ChannelFactory(code="groups")
    customers = Customer.objects.bulk_create(
        Customer(channel=channel, email=f"g{n}@example.com") for n in range(3_120)
    )
    big, *small = group_chain("big", "s1", "s2", "s3", "s4", "s5", "s6")
    UserCustomerGroup.objects.bulk_create(
        [UserCustomerGroup(customer=customer, group=big) for customer in customers[:3_000]]
        + [
            UserCustomerGroup(customer=customer, group=small[n // 20])
            for n, customer in enumerate(customers[3_000:])
        ]
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE customers_customer, groups_usercustomergroup")
    yield
    _channel_customers_delete(channel)


@pytest.mark.parametrize(("params", "members"), [({"group": "big"}, 3_000), ({"group": "s6"}, 20)])
@postgresql_only
def test_a_groups_estimate_is_its_own(uneven_groups, params, members):
    """The planner estimates a group's members from that group's statistics, not from an
    average group: a large total estimated below the rows counted would answer only those."""
    filtered = CustomerFilterSet(params, queryset=Customer.listed_queryset()).qs

    estimate = planner_estimate(filtered)

    assert members / 2 <= estimate <= members * 2, estimate
    assert filtered.count() == members
