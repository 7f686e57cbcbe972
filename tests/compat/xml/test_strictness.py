"""Unknown names and bad values are a 400 naming them in the dialect's names; nothing is
written; a channel outside the caller's scope is a 404; the native permissions apply."""

import json

import pytest
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from customers.models import Customer
from groups.models import UserGroup
from tests.compat.xml.conftest import XML, url
from tests.conftest import api_client_for, patron_user_create
from tests.customers.factories import ChannelFactory, CustomerFactory
from tests.groups.factories import UserGroupFactory
from tests.orders.factories import OrderFactory

pytestmark = pytest.mark.django_db


def _errors(response) -> dict:
    assert response["Content-Type"] == "application/json"
    return response.json()


def _post(send, resource: str, body: dict):
    return send(
        "post",
        url("web", resource),
        json.dumps({"ResultSet": body}),
        content_type="application/json",
        HTTP_ACCEPT="application/json",
    )


NEW = {"username": "n", "email": "n@example.com"}


@pytest.mark.parametrize(
    ("node", "errors"),
    [
        pytest.param(
            {**NEW, "firstName": "N"},
            {"Customer.0.firstName": ["Unknown field 'firstName'. Did you mean 'fname'?"]},
            id="unknown-field",
        ),
        pytest.param(
            {**NEW, "b_first_name": "N"},
            {"Customer.0.b_first_name": ["Unknown field 'b_first_name'. Did you mean 'b_fname'?"]},
            id="unknown-billing-field",
        ),
        pytest.param(
            {"email": "n@example.com"},
            {"Customer.0.username": ["This field is required."]},
            id="no-username",
        ),
        pytest.param(
            {"username": "n"}, {"Customer.0.email": ["This field is required."]}, id="no-email"
        ),
        pytest.param(
            {**NEW, "email": "not-an-email"},
            {"Customer.0.email": ["Enter a valid email address."]},
            id="bad-email",
        ),
        pytest.param(
            {**NEW, "inactive": "maybe"},
            {"Customer.0.inactive": ["Must be a valid boolean."]},
            id="bad-inactive",
        ),
        pytest.param(
            {**NEW, "no_email": "sometimes"},
            {"Customer.0.no_email": ["Must be a valid boolean."]},
            id="bad-no-email",
        ),
        pytest.param(
            {**NEW, "discount": "120"},
            {"Customer.0.discount": ["Enter a discount from 0 to 100."]},
            id="discount-over-100",
        ),
        pytest.param(
            {**NEW, "b_country": "Narnia"},
            {
                "Customer.0.b_country": [
                    "Use an ISO 3166-1 alpha-2 country code such as 'BR' or 'US'."
                ]
            },
            id="bad-billing-country",
        ),
        pytest.param(
            {**NEW, "country": "XX"},
            {
                "Customer.0.country": [
                    "Use an ISO 3166-1 alpha-2 country code such as 'BR' or 'US'."
                ]
            },
            id="bad-shipping-country",
        ),
        pytest.param(
            {**NEW, "b_fname": {"nested": "x"}},
            {"Customer.0.b_fname": ["Not a valid string."]},
            id="object-for-text",
        ),
        pytest.param(
            {**NEW, "b_fname": "x" * 256},
            {"Customer.0.b_fname": ["Ensure this field has no more than 255 characters."]},
            id="too-long",
        ),
        pytest.param(
            {**NEW, "password": "123"},
            {
                "Customer.0.password": [
                    "This password is too short. It must contain at least 8 characters.",
                    "This password is too common.",
                    "This password is entirely numeric.",
                ]
            },
            id="weak-password",
        ),
        pytest.param(
            {**NEW, "UserCustomerGroup": [{"group_code": "vip"}]},
            {
                "Customer.0.UserCustomerGroup": [
                    "UserCustomerGroup nodes are written through Customer+UserCustomerGroups (or "
                    "Customer+(UserCustomerGroups+UserGroups)), not Customer."
                ]
            },
            id="groups-outside-their-specification",
        ),
    ],
)
def test_bad_customer_nodes_are_400_naming_the_field(send, channel, node, errors):
    response = _post(send, "Customer", {"Customer": [node]})

    assert response.status_code == 400
    assert _errors(response) == errors
    assert not Customer.objects.exists()


@pytest.mark.parametrize(
    ("membership", "errors"),
    [
        pytest.param(
            {"group_code": "nope"},
            {"Customer.0.UserCustomerGroup": ["Unknown group code(s): nope."]},
            id="unknown-group",
        ),
        pytest.param(
            {"username": "n"},
            {"Customer.0.UserCustomerGroup.0.group_code": ["This field is required."]},
            id="no-group-code",
        ),
        pytest.param(
            {"group_code": "vip", "username": "other"},
            {
                "Customer.0.UserCustomerGroup.0.username": [
                    "A membership's username must be its customer's (n)."
                ]
            },
            id="other-username",
        ),
        pytest.param(
            {"group_code": "vip", "subscribed": "perhaps"},
            {"Customer.0.UserCustomerGroup.0.subscribed": ["Must be a valid boolean."]},
            id="bad-subscribed",
        ),
        pytest.param(
            {"group_code": "vip", "groupCode": "vip"},
            {
                "Customer.0.UserCustomerGroup.0.groupCode": [
                    "Unknown field 'groupCode'. Did you mean 'group_code'?"
                ]
            },
            id="unknown-field",
        ),
    ],
)
def test_bad_memberships_are_400_naming_the_field(send, channel, membership, errors):
    UserGroupFactory(code="vip")

    response = _post(
        send,
        "Customer+UserCustomerGroups",
        {"Customer": [{**NEW, "UserCustomerGroup": [membership]}]},
    )

    assert response.status_code == 400
    assert _errors(response) == errors
    assert not Customer.objects.exists()


def test_a_list_is_all_or_nothing_and_names_every_refused_node(send, channel):
    nodes = [NEW, {"username": "b"}, {"username": "c", "email": "c@example.com", "zip": {}}]

    response = _post(send, "Customer", {"Customer": nodes})

    assert response.status_code == 400
    assert _errors(response) == {
        "Customer.1.email": ["This field is required."],
        "Customer.2.zip": ["Not a valid string."],
    }
    assert not Customer.objects.exists()


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        pytest.param(
            {"Customers": []},
            {
                "Customers": ["Unknown field 'Customers'. Did you mean 'Customer'?"],
                "Customer": ["This field is required."],
            },
            id="unknown-node",
        ),
        pytest.param({}, {"Customer": ["This field is required."]}, id="no-node"),
        pytest.param(
            {"Customer": ["x"]},
            {"Customer.0": ["Expected an object (child elements), not a value."]},
            id="value-for-node",
        ),
    ],
)
def test_bad_resultsets_are_400(send, channel, body, errors):
    response = _post(send, "Customer", body)

    assert response.status_code == 400
    assert _errors(response) == errors


def test_a_field_sent_twice_in_xml_is_400(send, channel):
    body = (
        "<ResultSet><Customer><username>a</username><username>b</username></Customer></ResultSet>"
    )

    response = send("post", url("web", "Customer"), body, HTTP_ACCEPT="application/json")

    assert response.status_code == 400
    assert _errors(response) == {"Customer.0.username": ["Send this field once."]}


def test_the_username_of_a_put_cannot_change(send, channel):
    CustomerFactory(channel=channel, username="a", email="a@example.com")

    response = send(
        "put",
        url("web", "Customer/a"),
        "<ResultSet><Customer><username>b</username></Customer></ResultSet>",
        HTTP_ACCEPT="application/json",
    )

    assert response.status_code == 400
    assert _errors(response) == {
        "Customer.0.username": ["The username is the customer's key: send the one of the URL (a)."]
    }


def test_a_taken_email_is_400_on_email(send, channel):
    CustomerFactory(channel=channel, username="a", email="a@example.com")

    response = _post(send, "Customer", {"Customer": [{"username": "b", "email": "a@example.com"}]})

    assert response.status_code == 400
    assert _errors(response) == {
        "Customer.0.email": ["A customer with this e-mail already exists in this channel."]
    }


@pytest.mark.parametrize(
    ("node", "errors"),
    [
        pytest.param(
            {"title": "No code"},
            {"UserGroup.0.code": ["This field cannot be blank."]},
            id="no-code",
        ),
        pytest.param(
            {"code": "x", "title": "X", "subscribable": "public"},
            {"UserGroup.0.subscribable": ["Must be a valid boolean."]},
            id="bad-subscribable",
        ),
        pytest.param(
            {"code": "x", "title": "X", "parent_code": "ghost"},
            {"UserGroup.0.parent_code": ["Unknown parent group: ghost."]},
            id="unknown-parent",
        ),
        pytest.param(
            {"code": "x", "title": "X", "parent": "y"},
            {"UserGroup.0.parent": ["Unknown field 'parent'. Did you mean 'parent_code'?"]},
            id="unknown-field",
        ),
        pytest.param(
            {"code": "not a slug", "title": "X"},
            {
                "UserGroup.0.code": [
                    "Enter a valid “slug” consisting of letters, numbers, underscores or hyphens."
                ]
            },
            id="bad-code",
        ),
    ],
)
def test_bad_usergroups_are_400_naming_the_field(send, channel, node, errors):
    response = _post(send, "UserGroups", {"UserGroup": [node]})

    assert response.status_code == 400
    assert _errors(response) == errors
    assert not UserGroup.objects.exists()


def test_usergroups_with_parents_and_visibility(send, channel):
    nodes = [
        {"code": "club", "title": "Club", "subscribable": "true", "subscribe_text": "Join"},
        {"code": "gold", "title": "Gold", "parent_code": "club", "description": "Top"},
    ]

    response = _post(send, "UserGroups", {"UserGroup": nodes})

    assert response.status_code == 200
    assert response.json()["ResultSet"]["UserGroup"][1]["parent_code"] == "club"
    club, gold = UserGroup.objects.order_by("code")
    assert (club.visibility, club.subscribe_text) == ("public", "Join")
    assert (gold.parent, gold.description, gold.visibility) == (club, "Top", "private")


@pytest.mark.parametrize(
    ("method", "resource", "param"),
    [
        ("get", "Customer", "limit"),
        ("get", "Customer/a", "page"),
        ("get", "UserGroups", "fields"),
        ("post", "Customer", "page"),
        ("put", "Customer/a", "username"),
    ],
)
def test_unknown_query_parameters_are_400_naming_them(client, channel, method, resource, param):
    CustomerFactory(channel=channel, username="a", email="a@example.com")

    response = getattr(client, method)(
        url("web", resource) + f"?{param}=1", HTTP_ACCEPT="application/json"
    )

    assert response.status_code == 400
    assert list(response.json()) == [param]
    assert response.json()[param][0].startswith(f"Unknown query parameter '{param}'.")


@pytest.mark.parametrize(
    "resource",
    [
        "Customer",
        "Customer+UserCustomerGroups/a",
        "UserGroups",
        "Customer+Orders",
        "API",
        "Customer%0A",  # a newline, decoded into the path
        "%0A%0Ax",
    ],
)
def test_an_unknown_channel_or_resource_is_404(client, channel, resource):
    CustomerFactory(channel=channel, username="a", email="a@example.com")

    response = client.get(url("nowhere", resource), HTTP_ACCEPT="application/json")

    assert response.status_code == 404
    assert "detail" in response.json()


def test_a_channel_outside_the_users_scope_is_404(channel):
    # given a user limited to another channel, and a customer in `web`
    other = ChannelFactory(code="other")
    user = patron_user_create("scoped")
    other.api_users.add(user)
    CustomerFactory(channel=channel, username="a", email="a@example.com")
    client = api_client_for(user)
    # then `web` does not exist for it, and its own channel shows none of web's customers
    assert client.get(url("web", "Customer")).status_code == 404
    assert client.get(url("web", "Customer/a")).status_code == 404
    put = client.put(
        url("web", "Customer/a"),
        b"<ResultSet><Customer><b_fname>X</b_fname></Customer></ResultSet>",
        content_type=XML,
    )
    assert put.status_code == 404
    assert client.get(url("other", "Customer/a")).status_code == 404
    listed = client.get(url("other", "Customer"), HTTP_ACCEPT="application/json")
    assert listed.json() == {"ResultSet": {"Customer": []}}
    assert Customer.objects.get().first_name != "X"


def test_anonymous_is_401_and_a_user_without_permissions_403(channel):
    assert APIClient().get(url("web", "Customer")).status_code == 401
    bare = get_user_model().objects.create_user("bare")
    client = api_client_for(bare)
    assert client.get(url("web", "Customer")).status_code == 403
    assert client.get(url("web", "UserGroups")).status_code == 403


def test_session_auth_works_as_the_native_api(channel, client):
    user = patron_user_create("staffer", password="pw-staffer-123")
    session = APIClient()
    session.login(username="staffer", password="pw-staffer-123")

    assert session.get(url("web", "Customer")).status_code == 200
    assert user.is_authenticated


def test_delete_answers_204_and_409_when_the_customer_has_orders(client, channel):
    CustomerFactory(channel=channel, username="a", email="a@example.com")
    buyer = CustomerFactory(channel=channel, username="b", email="b@example.com")
    OrderFactory(channel=channel, customer=buyer)

    assert client.delete(url("web", "Customer/a")).status_code == 204
    assert client.delete(url("web", "Customer/b")).status_code == 409
    assert list(Customer.objects.values_list("username", flat=True)) == ["b"]
