"""Every request example of the XML API's seed, sent verbatim (only the base URL changed).

The seed prints no response examples; it says what a read shows: the fields sent (the
password excepted: the seed returned its hash, Patron returns neither) and one embedded
UserCustomerGroup node per group. Each answer is read back with the dialect's own XML reader
and compared with the request node: same names, same nesting, same values.
"""

import json

import pytest

from compat.xml.resultset import document_parse
from customers.models import Customer
from groups.models import UserGroup
from tests.compat.xml.conftest import seed, url
from tests.groups.factories import UserGroupFactory

pytestmark = pytest.mark.django_db


def _nodes(content: bytes, name: str) -> list[dict]:
    return document_parse(content)["ResultSet"][name]


def _values(node: dict) -> dict:
    """A node's single values (its leaves) by name."""
    return {name: values[0] for name, values in node.items() if isinstance(values[0], str)}


def _assert_echoes(sent: dict, answered: dict) -> None:
    """Every single value sent is answered unchanged, the password excepted."""
    expected = {name: value for name, value in _values(sent).items() if name != "password"}
    assert {name: _values(answered)[name] for name in expected} == expected
    assert "password" not in answered


@pytest.fixture
def groups(db):
    """The groups the seed's customer joins (the seed's store already has them)."""
    return [UserGroupFactory(code="dealer"), UserGroupFactory(code="vip")]


@pytest.fixture
def peter(send, channel, groups):
    response = send(
        "post", url("web", "Customer+UserCustomerGroups"), seed("customer_with_groups_post.xml")
    )
    assert response.status_code == 200, response.content
    return response


def test_post_customer_with_groups_creates_it_with_both_groups(peter):
    # given the seed's request
    (sent,) = _nodes(seed("customer_with_groups_post.xml"), "Customer")
    # then the answer is one Customer node echoing it, with one node per group
    assert peter["Content-Type"] == "application/xml; charset=utf-8"
    (answered,) = _nodes(peter.content, "Customer")
    _assert_echoes(sent, answered)
    memberships = answered["UserCustomerGroup"]
    assert [_values(node)["group_code"] for node in memberships] == ["dealer", "vip"]
    for sent_membership, node in zip(sent["UserCustomerGroup"], memberships, strict=True):
        _assert_echoes(sent_membership, node)
        assert _values(node)["subscribed"] == "true"
    # and it is stored with a hashed password
    customer = Customer.objects.get(username="peter@parker.nz")
    assert customer.email == "peter@parker.nz"
    assert (customer.first_name, customer.last_name) == ("Peter", "Parker")
    assert customer.has_password
    assert "PETERFOO123" not in customer.password
    assert sorted(customer.groups.values_list("code", flat=True)) == ["dealer", "vip"]


def test_post_customer_with_groups_again_updates_the_same_customer(send, peter):
    again = send(
        "post", url("web", "Customer+UserCustomerGroups"), seed("customer_with_groups_post.xml")
    )

    assert again.status_code == 200
    assert Customer.objects.filter(username="peter@parker.nz").count() == 1
    assert _nodes(again.content, "Customer") == _nodes(peter.content, "Customer")


def test_put_changes_only_the_fields_sent(send, peter):
    before = Customer.objects.get(username="peter@parker.nz")

    response = send("put", url("web", "Customer/peter@parker.nz"), seed("customer_put.xml"))

    assert response.status_code == 200, response.content
    (sent,) = _nodes(seed("customer_put.xml"), "Customer")
    (answered,) = _nodes(response.content, "Customer")
    _assert_echoes(sent, answered)
    assert _values(answered)["b_lname"] == "Parker"
    after = Customer.objects.get(pk=before.pk)
    assert (after.first_name, after.last_name, after.email) == ("Paul", "Parker", before.email)
    assert after.password == before.password
    assert sorted(after.groups.values_list("code", flat=True)) == ["dealer", "vip"]


def test_put_of_an_unknown_username_is_404(send, channel):
    response = send("put", url("web", "Customer/peter@parker.nz"), seed("customer_put.xml"))

    assert response.status_code == 404
    assert not Customer.objects.exists()


def test_post_usergroups_creates_both_groups(send, channel):
    response = send("post", url("web", "UserGroups"), seed("usergroups_post.xml"))

    assert response.status_code == 200, response.content
    sent, answered = (
        _nodes(seed("usergroups_post.xml"), "UserGroup"),
        _nodes(response.content, "UserGroup"),
    )
    assert len(answered) == len(sent) == 2
    for sent_group, node in zip(sent, answered, strict=True):
        _assert_echoes(sent_group, node)
        assert set(_values(node)) == {
            "code",
            "title",
            "description",
            "subscribable",
            "subscribe_text",
            "parent_code",
        }
    assert list(UserGroup.objects.order_by("code").values_list("code", "title")) == [
        ("jedis", "Jedis"),
        ("storm-troopers", "Storm Troopers"),
    ]


def test_post_usergroups_again_updates_them(send, channel):
    send("post", url("web", "UserGroups"), seed("usergroups_post.xml"))

    again = send("post", url("web", "UserGroups"), seed("usergroups_post.xml"))

    assert again.status_code == 200
    assert UserGroup.objects.count() == 2


@pytest.mark.parametrize(
    "path",
    [
        "Customer+(UserCustomerGroups+UserGroups)",
        "Customer%2B%28UserCustomerGroups%2BUserGroups%29",
        "Customer%2B(UserCustomerGroups%2BUserGroups)",
    ],
    ids=["literal", "percent-encoded", "mixed"],
)
def test_embedding_the_groups_reads_each_group_inside_its_membership(client, peter, path):
    response = client.get(url("web", f"{path}/peter@parker.nz"))

    assert response.status_code == 200
    (customer,) = _nodes(response.content, "Customer")
    titles = [
        _values(membership["UserGroup"][0])["title"] for membership in customer["UserCustomerGroup"]
    ]
    assert titles == list(UserGroup.objects.order_by("code").values_list("title", flat=True))


def test_plain_customer_embeds_nothing(client, peter):
    response = client.get(url("web", "Customer/peter@parker.nz"))

    (customer,) = _nodes(response.content, "Customer")
    assert "UserCustomerGroup" not in customer
    assert _values(customer)["username"] == "peter@parker.nz"


def test_json_when_asked_for(client, peter):
    by_accept = client.get(
        url("web", "Customer+UserCustomerGroups"), HTTP_ACCEPT="application/json"
    )
    by_format = client.get(url("web", "Customer+UserCustomerGroups") + "?format=json")

    assert by_accept["Content-Type"] == by_format["Content-Type"] == "application/json"
    assert by_accept.json() == by_format.json()
    (customer,) = by_accept.json()["ResultSet"]["Customer"]
    assert customer["username"] == "peter@parker.nz"
    assert customer["inactive"] is False
    assert customer["discount"] == 0
    assert [node["group_code"] for node in customer["UserCustomerGroup"]] == ["dealer", "vip"]
    assert "password" not in customer


def test_json_body_is_the_same_resultset(send, channel, groups):
    body = {
        "ResultSet": {
            "Customer": [
                {
                    "username": "mj@example.com",
                    "email": "mj@example.com",
                    "b_fname": "Mary",
                    "UserCustomerGroup": [{"group_code": "vip", "subscribed": False}],
                }
            ]
        }
    }
    response = send(
        "post",
        url("web", "Customer+UserCustomerGroups"),
        json.dumps(body),
        content_type="application/json",
        HTTP_ACCEPT="application/json",
    )

    assert response.status_code == 200, response.content
    (customer,) = response.json()["ResultSet"]["Customer"]
    assert customer["b_fname"] == "Mary"
    assert customer["UserCustomerGroup"][0]["subscribed"] is False
