"""Lists page like the native ones and cost the same number of queries at any page size."""

import pytest

from tests.compat.xml.conftest import url
from tests.customers.factories import AddressFactory, ChannelFactory, CustomerFactory
from tests.groups.factories import UserCustomerGroupFactory, UserGroupFactory, group_chain

pytestmark = pytest.mark.django_db

# The token with its user, the user's and its groups' permissions, the channel (with the
# user's channel scope), the scope again for the customers, their count and page, and their
# addresses; embedded memberships add one query (their groups and parents joined in).
# Each test's request is its API key's first use, which records the key's last use: one
# UPDATE more than the later requests of the same minute make.
FIRST_USE = 1
QUERIES = {
    "Customer": 9 + FIRST_USE,
    "Customer+UserCustomerGroups": 10 + FIRST_USE,
    "Customer+(UserCustomerGroups+UserGroups)": 10 + FIRST_USE,
}


def _customers(channel, count: int):
    parent, child = group_chain("club", "gold")
    for n in range(count):
        customer = CustomerFactory(channel=channel, username=f"c{n}", email=f"c{n}@example.com")
        AddressFactory(customer=customer, is_default=True, is_billing=True)
        UserCustomerGroupFactory(customer=customer, group=child)
        UserCustomerGroupFactory(customer=customer, group=parent)


@pytest.mark.parametrize("spec", list(QUERIES))
@pytest.mark.parametrize("count", [1, 6])
def test_a_page_costs_the_same_queries_whatever_its_size(
    client, channel, django_assert_num_queries, spec, count
):
    _customers(channel, count)

    with django_assert_num_queries(QUERIES[spec]):
        response = client.get(url("web", spec), HTTP_ACCEPT="application/json")

    assert response.status_code == 200
    customers = response.json()["ResultSet"]["Customer"]
    assert len(customers) == count
    if spec != "Customer":
        assert [len(node["UserCustomerGroup"]) for node in customers] == [2] * count
    if "UserGroups" in spec:
        parents = {
            group["UserGroup"][0]["code"]: group["UserGroup"][0]["parent_code"]
            for group in customers[0]["UserCustomerGroup"]
        }
        assert parents == {"club": "", "gold": "club"}


def test_usergroups_list_queries_are_constant(client, channel, django_assert_num_queries):
    group_chain("a", "b", "c")
    UserGroupFactory.create_batch(5)

    with django_assert_num_queries(7 + FIRST_USE):
        response = client.get(url("web", "UserGroups"), HTTP_ACCEPT="application/json")

    assert len(response.json()["ResultSet"]["UserGroup"]) == 8


def test_paging_with_native_headers(client, channel):
    _customers(channel, 5)

    first = client.get(url("web", "Customer") + "?per_page=2", HTTP_ACCEPT="application/json")
    last = client.get(url("web", "Customer") + "?per_page=2&page=3", HTTP_ACCEPT="application/json")
    beyond = client.get(url("web", "Customer") + "?per_page=2&page=4")

    assert first["X-Total-Count"] == "5"
    assert 'rel="next"' in first["Link"]
    assert [node["username"] for node in first.json()["ResultSet"]["Customer"]] == ["c0", "c1"]
    assert [node["username"] for node in last.json()["ResultSet"]["Customer"]] == ["c4"]
    assert 'rel="next"' not in last["Link"]
    assert beyond.status_code == 404
    bad = client.get(url("web", "Customer") + "?per_page=0", HTTP_ACCEPT="application/json")
    assert bad.status_code == 400
    assert list(bad.json()) == ["per_page"]


def test_only_the_channels_customers_are_listed(client, channel):
    CustomerFactory(channel=channel, username="mine", email="mine@example.com")
    CustomerFactory(channel=ChannelFactory(code="shop"), username="theirs", email="t@example.com")

    response = client.get(url("web", "Customer"), HTTP_ACCEPT="application/json")

    assert [node["username"] for node in response.json()["ResultSet"]["Customer"]] == ["mine"]


def test_a_list_reads_as_xml_by_default(client, channel):
    CustomerFactory(channel=channel, username="x", email="x@example.com")

    response = client.get(url("web", "Customer"))

    assert response["Content-Type"] == "application/xml; charset=utf-8"
    assert response.content.startswith(b"<?xml version='1.0' encoding='utf-8'?>\n<ResultSet>")
    assert b"<username>x</username>" in response.content
    assert b"password" not in response.content
