import pytest

from tests.customers.factories import ChannelFactory, CustomerFactory
from tests.groups.factories import UserCustomerGroupFactory, UserGroupFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/groups/{code}/members/"


@pytest.fixture
def vip():
    return UserGroupFactory(code="vip")


def test_members_lists_direct_members_with_their_opt_in(api_client, vip):
    # given two members (one unsubscribed), a member of a sub-group and a non-member
    web = ChannelFactory(code="web")
    ann = CustomerFactory(channel=web, email="ann@example.com", first_name="Ann", last_name="Lee")
    bob = CustomerFactory(channel=web, email="bob@example.com")
    UserCustomerGroupFactory(customer=ann, group=vip)
    UserCustomerGroupFactory(customer=bob, group=vip, subscribed=False)
    UserCustomerGroupFactory(group=UserGroupFactory(code="vip-gold", parent=vip))
    CustomerFactory(channel=web)

    response = api_client.get(URL.format(code="vip"))

    assert response.status_code == 200, response.data
    assert response.data["count"] == 2
    assert response.data["results"][0] == {
        "id": ann.pk,
        "channel": "web",
        "email": "ann@example.com",
        "first_name": "Ann",
        "last_name": "Lee",
        "subscribed": True,
        "version": 1,
    }
    assert response.data["results"][1]["subscribed"] is False


def test_members_of_unknown_group_is_404(api_client):
    assert api_client.get(URL.format(code="nope")).status_code == 404


@pytest.mark.parametrize(
    ("params", "emails"),
    [
        pytest.param({"subscribed": "true"}, ["a@example.com", "c@example.com"], id="subscribed"),
        pytest.param({"subscribed": "false"}, ["b@example.com"], id="unsubscribed"),
        pytest.param({"email": "b@example.com"}, ["b@example.com"], id="email"),
        pytest.param({"email__startswith": "c"}, ["c@example.com"], id="email-startswith"),
        pytest.param(
            {"ordering": "-email"},
            ["c@example.com", "b@example.com", "a@example.com"],
            id="ordering",
        ),
    ],
)
def test_member_filters(api_client, vip, params, emails):
    for email, subscribed in [("a", True), ("b", False), ("c", True)]:
        customer = CustomerFactory(email=f"{email}@example.com")
        UserCustomerGroupFactory(customer=customer, group=vip, subscribed=subscribed)

    response = api_client.get(URL.format(code="vip"), params)

    assert response.status_code == 200, response.data
    assert [row["email"] for row in response.data["results"]] == emails


@pytest.mark.parametrize("params", [{"id__gt": "x"}, {"ordering": "password"}, {"page": "0"}])
def test_bad_member_query_is_400(api_client, vip, params):
    assert api_client.get(URL.format(code="vip"), params).status_code == 400


def test_members_are_paginated_in_constant_queries(api_client, vip, django_assert_num_queries):
    for _ in range(8):
        UserCustomerGroupFactory(group=vip)

    # group + channel scoping + user and group permissions (2) + count + page
    with django_assert_num_queries(6):
        response = api_client.get(URL.format(code="vip"), {"per_page": 5})

    assert response.data["count"] == 8
    assert len(response.data["results"]) == 5
    assert 'rel="next"' in response["Link"]


def test_members_only_from_visible_channels(api_client, api_user, vip):
    web, shop = ChannelFactory(code="web"), ChannelFactory(code="shop")
    web.api_users.add(api_user)
    seen = UserCustomerGroupFactory(group=vip, customer=CustomerFactory(channel=web)).customer
    UserCustomerGroupFactory(group=vip, customer=CustomerFactory(channel=shop))

    response = api_client.get(URL.format(code="vip"))

    assert [row["id"] for row in response.data["results"]] == [seen.pk]
