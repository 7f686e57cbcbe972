"""A user limited to some channels sees, changes and signs in only those channels' customers."""

from io import StringIO

import pytest
from django.contrib.auth.hashers import make_password
from django.core import mail
from django.core.management import call_command
from rest_framework.test import APIClient

from customers.api.permissions import SCOPED_CHANNEL_CREATE
from customers.models import Address, Channel, Customer
from groups.api.permissions import GROUP_HAS_HIDDEN_MEMBERS
from groups.models import UserCustomerGroup, UserGroup
from orders.models import Order, OrderCustomData, OrderItem
from tests.conftest import api_client_for, patron_user_create
from tests.customers.factories import AddressFactory, ChannelFactory, CustomerFactory
from tests.groups.factories import UserCustomerGroupFactory, UserGroupFactory
from tests.orders.factories import OrderCustomDataFactory, OrderFactory, OrderItemFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"
MODELS = (Channel, Customer, Address, UserGroup, UserCustomerGroup, Order, OrderItem)


def _world(code: str, group: UserGroup) -> dict:
    channel = ChannelFactory(code=code)
    customer = CustomerFactory(
        channel=channel, email=f"ann@{code}.example.com", password=make_password(PASSWORD)
    )
    address = AddressFactory(customer=customer)
    UserCustomerGroupFactory(customer=customer, group=group)
    order = OrderFactory(channel=channel, customer=customer)
    item = OrderItemFactory(order=order)
    record = OrderCustomDataFactory(order=order, name="gift")
    item_record = OrderCustomDataFactory(order=order, item=item, name="engraving")
    return {
        "channel": channel.code,
        "customer": customer.pk,
        "address": address.pk,
        "group": group.code,
        "email": customer.email,
        "order": order.pk,
        "item": item.pk,
        "record": record.pk,
        "item_record": item_record.pk,
    }


@pytest.fixture
def group():
    return UserGroupFactory(code="vip")


@pytest.fixture
def mine(group):
    return _world("mine", group)


@pytest.fixture
def theirs(group):
    return _world("theirs", group)


@pytest.fixture
def scoped_user(mine, theirs):
    user = patron_user_create("shop-mine")
    user.api_channels.set(Channel.objects.filter(code="mine"))
    return user


@pytest.fixture
def scoped_client(scoped_user):
    return api_client_for(scoped_user)


def snapshot() -> list:
    """Every row of every model, to prove a refused request wrote nothing."""
    rows = [list(model.objects.order_by("pk").values()) for model in MODELS]
    return [*rows, list(OrderCustomData.objects.order_by("pk").values())]


CUSTOMER = "/api/v1/customers/{customer}/"
ADDRESS = "/api/v1/customers/{customer}/addresses/{address}/"
MEMBERSHIP = "/api/v1/customers/{customer}/memberships/{group}/"
ORDER = "/api/v1/orders/{order}/"
ORDER_DATA = "/api/v1/orders/{order}/custom-data/"
ITEM_DATA = "/api/v1/orders/{order}/items/{item}/custom-data/"
CUSTOMER_BODY = {"channel": "{channel}", "email": "{email}", "first_name": "Changed"}
ADDRESS_BODY = {"city": "Elsewhere", "country": "US"}
ORDER_BODY = {"channel": "{channel}", "number": "X-1", "customer": "{customer}"}


def _custom_data_routes(collection: str, record: str, name: str) -> list[tuple]:
    """The custom data of an order or of an item: the list, adding, and one record."""
    one = f"{collection}{record}/"
    return [
        ("get", collection, None),
        ("post", collection, {"name": "new", "value": "v"}),
        ("get", one, None),
        ("put", one, {"name": name, "value": "changed"}),
        ("patch", one, {"value": "changed"}),
        ("delete", one, None),
    ]


# Every route that names one object of another channel: (method, url, body).
OTHER_CHANNEL_OBJECT_ROUTES = [
    ("get", "/api/v1/channels/{channel}/", None),
    ("patch", "/api/v1/channels/{channel}/", {"name": "Changed"}),
    ("put", "/api/v1/channels/{channel}/", {"code": "{channel}", "name": "X", "currency": "EUR"}),
    ("delete", "/api/v1/channels/{channel}/", None),
    ("get", CUSTOMER, None),
    ("put", CUSTOMER, CUSTOMER_BODY),
    ("patch", CUSTOMER, {"first_name": "Changed"}),
    ("delete", CUSTOMER, None),
    ("post", CUSTOMER + "send-invite/", None),
    ("post", CUSTOMER + "anonymize/", None),
    ("get", CUSTOMER + "addresses/", None),
    ("post", CUSTOMER + "addresses/", ADDRESS_BODY),
    ("get", ADDRESS, None),
    ("put", ADDRESS, ADDRESS_BODY),
    ("patch", ADDRESS, {"city": "Elsewhere"}),
    ("delete", ADDRESS, None),
    ("get", CUSTOMER + "memberships/", None),
    ("post", CUSTOMER + "memberships/", {"group": "{group}"}),
    ("get", MEMBERSHIP, None),
    ("patch", MEMBERSHIP, {"subscribed": False}),
    ("delete", MEMBERSHIP, None),
    ("get", ORDER, None),
    ("put", ORDER, ORDER_BODY),
    ("patch", ORDER, {"status": "cancelled"}),
    ("delete", ORDER, None),
    *_custom_data_routes(ORDER_DATA, "{record}", "gift"),
    *_custom_data_routes(ITEM_DATA, "{item_record}", "engraving"),
]


def _fill(value, ids: dict):
    if isinstance(value, dict):
        return {key: _fill(item, ids) for key, item in value.items()}
    if isinstance(value, list):
        return [_fill(item, ids) for item in value]
    if isinstance(value, str):
        filled = value.format(**ids)
        return int(filled) if value == "{customer}" else filled
    return value


def _route_id(route) -> str:
    method, url, _ = route
    return f"{method} {url}"


def _call(client, method, url, body, ids):
    if body is None:
        return getattr(client, method)(_fill(url, ids))
    return getattr(client, method)(_fill(url, ids), _fill(body, ids), format="json")


@pytest.mark.parametrize("route", OTHER_CHANNEL_OBJECT_ROUTES, ids=_route_id)
def test_other_channels_objects_are_not_found_and_stay_unchanged(scoped_client, theirs, route):
    # given
    before = snapshot()

    # when
    response = _call(scoped_client, *route, theirs)

    # then
    assert response.status_code == 404, response.content
    assert snapshot() == before
    assert mail.outbox == []


@pytest.mark.parametrize(
    "route",
    [route for route in OTHER_CHANNEL_OBJECT_ROUTES if route[0] == "get"],
    ids=_route_id,
)
def test_own_channels_objects_are_found(scoped_client, mine, route):
    response = _call(scoped_client, *route, mine)

    assert response.status_code == 200, response.content


def _results(response) -> list:
    body = response.json()
    return body["results"] if isinstance(body, dict) else body


LIST_ROUTES = [
    ("/api/v1/channels/", "code", ["mine"]),
    ("/api/v1/customers/", "email", ["ann@mine.example.com"]),
    ("/api/v1/customers/?channel=theirs", "email", []),
    ("/api/v1/customers/?channel__in=mine,theirs", "email", ["ann@mine.example.com"]),
    ("/api/v1/customers/?email=ann@theirs.example.com", "email", []),
    ("/api/v1/customers/?group=vip", "email", ["ann@mine.example.com"]),
    ("/api/v1/groups/vip/members/", "email", ["ann@mine.example.com"]),
    ("/api/v1/orders/", "channel", ["mine"]),
    ("/api/v1/orders/?channel=theirs", "channel", []),
]


@pytest.mark.parametrize(("url", "key", "expected"), LIST_ROUTES, ids=[r[0] for r in LIST_ROUTES])
def test_lists_hold_only_the_users_channels(scoped_client, url, key, expected):
    response = scoped_client.get(url)

    assert response.status_code == 200
    assert [row[key] for row in _results(response)] == expected


@pytest.mark.parametrize(("url", "key", "_"), LIST_ROUTES[:2] + LIST_ROUTES[7:8], ids=str)
@pytest.mark.parametrize("who", ["superuser", "unscoped"])
def test_superusers_and_unscoped_users_see_every_channel(
    mine, theirs, superuser, api_user, who, url, key, _
):
    client = api_client_for(superuser if who == "superuser" else api_user)

    response = client.get(url)

    assert len(_results(response)) == 2


def test_group_member_count_counts_only_visible_members(scoped_client, api_client):
    assert scoped_client.get("/api/v1/groups/vip/").json()["member_count"] == 1
    assert scoped_client.get("/api/v1/groups/").json()["results"][0]["member_count"] == 1
    assert api_client.get("/api/v1/groups/vip/").json()["member_count"] == 2


def test_expanded_memberships_count_only_visible_members(scoped_client, mine):
    response = scoped_client.get(f"/api/v1/customers/{mine['customer']}/?expand=memberships")

    assert response.json()["memberships"][0]["group"]["member_count"] == 1


# Writes that would put data into another channel: (method, url on own objects, body).
WRITES_INTO_OTHER_CHANNELS = [
    ("post", "/api/v1/customers/", {"channel": "theirs", "email": "new@example.com"}),
    ("put", CUSTOMER, {"channel": "theirs", "email": "{email}"}),
    ("patch", CUSTOMER, {"channel": "theirs"}),
    ("post", "/api/v1/customers/upsert/", {"channel": "theirs", "email": "new@example.com"}),
    ("post", "/api/v1/customers/upsert/", {"channel": "theirs", "email": "ann@theirs.example.com"}),
    (
        "post",
        "/api/v1/customers/upsert/",
        [
            {"channel": "mine", "email": "new@example.com"},
            {"channel": "theirs", "email": "ann@theirs.example.com", "first_name": "X"},
        ],
    ),
    ("post", "/api/v1/orders/", {"channel": "theirs", "number": "N-1", "customer": "{customer}"}),
    (
        "post",
        "/api/v1/orders/",
        {"channel": "theirs", "number": "N-1", "customer": {"email": "new@example.com"}},
    ),
    ("post", "/api/v1/orders/", {"channel": "mine", "number": "N-1", "customer": "{their}"}),
    ("patch", ORDER, {"customer": "{their}"}),
    ("patch", ORDER, {"channel": "theirs"}),
]


@pytest.mark.parametrize("route", WRITES_INTO_OTHER_CHANNELS, ids=_route_id)
def test_writes_into_other_channels_are_refused_and_write_nothing(
    scoped_client, mine, theirs, route
):
    # given
    method, url, body = route
    ids = {**mine, "their": str(theirs["customer"])}
    before = snapshot()

    # when
    response = getattr(scoped_client, method)(_fill(url, ids), _fill(body, ids), format="json")

    # then
    assert response.status_code == 400, response.content
    assert snapshot() == before


def test_scoped_user_cannot_create_channels(scoped_client):
    before = snapshot()

    response = scoped_client.post("/api/v1/channels/", {"code": "new", "name": "New"})

    assert response.status_code == 403
    assert response.json() == {"detail": SCOPED_CHANNEL_CREATE}
    assert snapshot() == before


def test_unscoped_user_may_create_channels(api_client):
    response = api_client.post("/api/v1/channels/", {"code": "new", "name": "New"})

    assert response.status_code == 201


@pytest.mark.parametrize("password", [PASSWORD, "wrong"], ids=["right-password", "wrong"])
def test_scoped_user_cannot_authenticate_other_channels_customers(scoped_client, theirs, password):
    before = snapshot()

    response = scoped_client.post(
        "/api/v1/customers/authenticate/",
        {"channel": "theirs", "email": theirs["email"], "password": password},
    )

    assert response.status_code == 401
    assert snapshot() == before


def test_scoped_user_authenticates_its_own_channels_customers(scoped_client, mine):
    response = scoped_client.post(
        "/api/v1/customers/authenticate/",
        {"channel": "mine", "email": mine["email"], "password": PASSWORD},
    )

    assert response.status_code == 200
    assert response.json()["id"] == mine["customer"]


def test_scoped_user_writes_in_its_own_channel(scoped_client, mine):
    response = scoped_client.post(
        "/api/v1/customers/upsert/",
        [
            {"channel": "mine", "email": "new@example.com"},
            {"channel": "mine", "email": mine["email"]},
        ],
        format="json",
    )

    assert response.status_code == 200, response.content
    assert (response.json()["created"], response.json()["updated"]) == (1, 1)


def test_channels_are_editable_in_the_admin(admin_client, scoped_user):
    response = admin_client.get(
        f"/admin/customers/channel/{Channel.objects.get(code='mine').pk}/change/"
    )

    assert response.status_code == 200
    assert b'name="api_users"' in response.content


def test_a_token_made_with_channels_sees_only_those_channels(mine, theirs):
    # given
    out = StringIO()
    call_command("create_api_token", "shop", "--channels", "mine", stdout=out)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {out.getvalue().splitlines()[-1]}")

    # when
    customers = client.get("/api/v1/customers/").json()["results"]
    theirs_response = client.get(f"/api/v1/customers/{theirs['customer']}/")

    # then
    assert [customer["email"] for customer in customers] == [mine["email"]]
    assert theirs_response.status_code == 404


def test_scoped_user_cannot_delete_a_group_other_channels_customers_belong_to(scoped_client):
    before = snapshot()

    response = scoped_client.delete("/api/v1/groups/vip/")

    assert response.status_code == 403
    assert response.json() == {"detail": GROUP_HAS_HIDDEN_MEMBERS}
    assert snapshot() == before


def test_scoped_user_may_delete_a_group_only_its_channels_use(scoped_client, mine):
    UserCustomerGroupFactory(
        customer=Customer.objects.get(pk=mine["customer"]), group=UserGroupFactory(code="local")
    )

    response = scoped_client.delete("/api/v1/groups/local/")

    assert response.status_code == 204
    assert not UserGroup.objects.filter(code="local").exists()


def test_unscoped_user_may_delete_any_group(api_client, mine, theirs):
    assert api_client.delete("/api/v1/groups/vip/").status_code == 204
