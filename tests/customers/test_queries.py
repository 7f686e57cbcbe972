import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.customers.factories import AddressFactory, ChannelFactory, CustomerFactory
from tests.groups.factories import UserCustomerGroupFactory, UserGroupFactory, group_chain
from tests.orders.factories import OrderFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/customers/"
EVERYTHING = "recent_orders,recent_addresses,phones,memberships"


@pytest.fixture
def many_customers():
    channel = ChannelFactory(code="web")
    _, vip = group_chain("parent", "vip")
    groups = [vip, UserGroupFactory(code="news")]
    customers = CustomerFactory.create_batch(200, channel=channel)
    for index, customer in enumerate(customers[:60]):
        AddressFactory(customer=customer, is_default=True, phone=f"9{index}")
        AddressFactory(customer=customer, is_billing=True)
        UserCustomerGroupFactory(customer=customer, group=groups[index % 2])
        OrderFactory.create_batch(2, customer=customer)
    return customers


def count_queries(client, params):
    with CaptureQueriesContext(connection) as context:
        response = client.get(URL, params)
    assert response.status_code == 200, response.data
    return len(context), response


def test_page_of_50_and_200_with_every_expansion_cost_the_same(api_client, many_customers):
    api_client.get(URL, {"per_page": 1})  # warm the user's permission cache
    small, small_response = count_queries(api_client, {"per_page": 50, "expand": EVERYTHING})
    large, large_response = count_queries(api_client, {"per_page": 200, "expand": EVERYTHING})

    assert small == large
    assert len(large_response.data["results"]) == 200
    first = large_response.data["results"][0]
    assert len(first["recent_orders"]) == 2
    assert set(first["recent_orders"][0]) == {"id", "number", "placed_at", "total", "status"}
    assert len(first["recent_addresses"]) == 2
    assert first["phones"][0] == many_customers[0].phone
    [membership] = first["memberships"]
    assert membership["subscribed"] is True
    assert membership["group"]["code"] == "vip"
    assert membership["group"]["parent"] == "parent"
    assert membership["group"]["member_count"] == 30


def test_list_and_expansions_have_a_fixed_query_budget(
    api_client, many_customers, django_assert_max_num_queries
):
    # count + page + addresses + memberships + orders, plus the permission/scoping lookups
    with django_assert_max_num_queries(9):
        api_client.get(URL, {"per_page": 200, "expand": EVERYTHING})
    with django_assert_max_num_queries(7):
        api_client.get(URL, {"per_page": 200})


def _relations_read(client, params) -> tuple[set[str], object]:
    """The relation tables a list request reads (in their own queries or the page's)."""
    with CaptureQueriesContext(connection) as context:
        response = client.get(URL, params)
    assert response.status_code == 200, response.data
    tables = ("customers_address", "groups_usercustomergroup")
    read = {
        table for table in tables for query in context.captured_queries if table in query["sql"]
    }
    return read, response


def test_sparse_fields_skip_relations(api_client, many_customers):
    api_client.get(URL, {"per_page": 1})  # warm the user's permission cache
    full, _ = count_queries(api_client, {"per_page": 200})
    sparse, response = count_queries(api_client, {"per_page": 200, "fields": "id,email"})
    # On PostgreSQL the relations come in the page's own statement (no query of their own).
    relation_queries = 0 if connection.vendor == "postgresql" else 2
    assert sparse == full - relation_queries
    assert _relations_read(api_client, {"per_page": 200, "fields": "id,email"})[0] == set()
    assert set(response.data["results"][0]) == {"id", "email"}
    with_default, response = count_queries(
        api_client, {"per_page": 200, "fields": "id,default_address"}
    )
    assert with_default == full - relation_queries // 2
    assert response.data["results"][0]["default_address"]["is_default"] is True
    read, _ = _relations_read(api_client, {"per_page": 200, "fields": "id,default_address"})
    assert read == {"customers_address"}


def test_detail_with_fields_and_expand(api_client, many_customers):
    customer = many_customers[0]
    response = api_client.get(
        f"{URL}{customer.pk}/", {"fields": "id,groups", "expand": "phones,memberships"}
    )
    assert set(response.data) == {"id", "groups", "phones", "memberships"}
    assert response.data["groups"] == ["vip"]
