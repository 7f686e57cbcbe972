"""Kibo's customer record and search: mapping, strictness, scoping, query counts."""

import datetime

import pytest

from compat.kibo.search import INVALID_PAGE_SIZE
from customers.models import Customer
from orders.services import customer_stats_refresh
from tests.conftest import api_client_for, patron_user_create
from tests.customers.factories import AddressFactory, ChannelFactory, CustomerFactory
from tests.orders.factories import OrderFactory

pytestmark = pytest.mark.django_db


def _detail(channel, customer) -> str:
    return f"/compat/kibo/{channel.code}/api/v2/customer/{customer.pk}"


def _search(channel) -> str:
    return f"/compat/kibo/{channel.code}/api/v2/customer/"


@pytest.mark.parametrize(
    ("status", "active"),
    [("active", "ACTIVE"), ("inactive", "INACTIVE"), ("frozen", "FROZEN")],
)
def test_status_is_kibos_account_activity_flag(token_client, channel, status, active):
    customer = CustomerFactory(channel=channel, status=status)

    assert token_client.get(_detail(channel, customer)).json()["active"] == active
    rows = token_client.get(_search(channel), {"customerID": customer.pk}).json()["collection"]
    assert rows[0]["active"] == active


def test_password_is_masked_and_never_returned(token_client, channel):
    customer = CustomerFactory(channel=channel)
    without = token_client.get(_detail(channel, customer))
    customer.password = "md5$salt$0123456789abcdef0123456789abcdef"
    customer.save(update_fields=["password"])
    with_password = token_client.get(_detail(channel, customer))

    assert without.json()["password"] == ""
    assert with_password.json()["password"] == "*****"
    assert customer.password.encode() not in with_password.content


def test_custom_data_block_only_when_the_customer_has_attributes(token_client, channel):
    plain = CustomerFactory(channel=channel, attributes={})
    tagged = CustomerFactory(channel=channel, attributes={"tier": "gold", "size": 2})

    assert "customData" not in token_client.get(_detail(channel, plain)).json()
    assert token_client.get(_detail(channel, tagged)).json()["customData"] == [
        {"name": "size", "value": 2},
        {"name": "tier", "value": "gold"},
    ]
    [row] = token_client.get(_search(channel), {"customerID": tagged.pk}).json()["collection"]
    assert row["customData"] == [{"name": "size", "value": 2}, {"name": "tier", "value": "gold"}]


def test_a_customer_of_another_channel_is_404(token_client, channel):
    other = CustomerFactory(channel=ChannelFactory(code="other"))

    assert token_client.get(_detail(channel, other)).status_code == 404
    response = token_client.get(_search(channel), {"customerID": other.pk})
    assert response.json() == {"collection": []}


@pytest.mark.parametrize("path", ["customer/{pk}", "customer/?customerID={pk}"])
def test_unknown_or_out_of_scope_channel_is_404(channel, path):
    customer = CustomerFactory(channel=channel)
    user = patron_user_create("scoped")
    ChannelFactory(code="mine").api_users.add(user)
    client = api_client_for(user)

    for code in (channel.code, "nope"):
        url = f"/compat/kibo/{code}/api/v2/" + path.format(pk=customer.pk)
        assert client.get(url).status_code == 404


def test_routes_need_the_view_permission(channel):
    from django.contrib.auth.models import Permission

    customer = CustomerFactory(channel=channel)
    user = patron_user_create("limited")
    user.user_permissions.remove(Permission.objects.get(codename="view_customer"))
    client = api_client_for(type(user).objects.get(pk=user.pk))

    assert client.get(_detail(channel, customer)).status_code == 403
    assert client.get(_search(channel)).status_code == 403


def test_no_credentials_is_401(anon_client, channel):
    customer = CustomerFactory(channel=channel)
    assert anon_client.get(_detail(channel, customer)).status_code == 401
    assert anon_client.get(_search(channel)).status_code == 401


@pytest.mark.parametrize(
    ("params", "errors"),
    [
        (
            {"customerId": "1"},
            {"customerId": ["Unknown query parameter 'customerId'. Did you mean 'customerID'?"]},
        ),  # noqa: E501
        ({"fields": "email"}, None),
        ({"customerID": "abc"}, {"customerID": ["Enter a number."]}),
        ({"customerID": "9" * 30}, None),
        ({"pageSize": "0"}, {"pageSize": [INVALID_PAGE_SIZE]}),
        ({"pageSize": "201"}, {"pageSize": [INVALID_PAGE_SIZE]}),
        ({"page": "x"}, None),
    ],
    ids=["wrong-case", "native-name", "text-id", "huge-id", "page-size-0", "page-size-201", "page"],
)
def test_bad_search_parameters_are_400_naming_them(token_client, channel, params, errors):
    response = token_client.get(_search(channel), params)

    assert response.status_code == 400
    if errors is None:
        assert list(response.json()) == list(params)
    else:
        assert response.json() == errors


def test_detail_takes_no_query_parameters(token_client, channel):
    customer = CustomerFactory(channel=channel)
    response = token_client.get(_detail(channel, customer), {"expand": "phones"})

    assert response.status_code == 400
    assert list(response.json()) == ["expand"]


def test_search_by_email_and_names(token_client, channel):
    ann = CustomerFactory(channel=channel, email="ann@example.com", first_name="Ann")
    CustomerFactory(channel=channel, email="bob@example.com", first_name="Bob")

    def found(params):
        rows = token_client.get(_search(channel), params).json()["collection"]
        return [row["customerID"] for row in rows]

    assert found({"email": "ANN@example.com"}) == [str(ann.pk)]
    assert found({"firstName": "Ann"}) == [str(ann.pk)]
    assert found({"lastName": ann.last_name, "firstName": "Ann"}) == [str(ann.pk)]


def test_search_pages_by_id(token_client, channel):
    customers = CustomerFactory.create_batch(5, channel=channel)

    first = token_client.get(_search(channel), {"pageSize": 2}).json()["collection"]
    third = token_client.get(_search(channel), {"pageSize": 2, "page": 3}).json()["collection"]

    assert [row["customerID"] for row in first] == [str(c.pk) for c in customers[:2]]
    assert [row["customerID"] for row in third] == [str(customers[4].pk)]


def test_search_shows_the_activity(token_client, channel):
    customer = CustomerFactory(channel=channel, phone="111", phone_secondary="")
    # Added now: newer than the orders below.
    AddressFactory(
        customer=customer,
        phone="222",
        address="Own St",
        number="1",
        address2="",
        locality="",
        city="Lima",
        province="",
        country="PE",
    )
    moment = datetime.datetime(2024, 1, 2, 3, 4, 5, tzinfo=datetime.UTC)
    orders = [
        OrderFactory(
            customer=customer,
            placed_at=moment + datetime.timedelta(days=day),
            billing_address={"address": f"Bill {day}", "city": "Dallas", "country": "US"},
        )
        for day in range(7)
    ]
    customer_stats_refresh(customer_ids=[customer.pk])

    [row] = token_client.get(_search(channel), {"customerID": customer.pk}).json()["collection"]

    assert row["totalOrders"] == 7
    assert row["firstPurchase"] == "2024-01-02T03:04:05+00:00"
    assert row["lastPurchase"] == "2024-01-08T03:04:05+00:00"
    assert row["lastLogin"] is None
    assert row["phones"] == ["111", "222"]
    assert row["recentOrders"] == [order.pk for order in reversed(orders)][:5]
    assert row["recentAddresses"] == [
        "Own St 1, Lima, PE",
        *(f"Bill {day}, Dallas, US" for day in (6, 5, 4, 3)),
    ]


def test_search_costs_the_same_queries_for_2_and_40_customers(
    api_client, channel, django_assert_num_queries
):
    def customers_with_orders(count):
        for customer in CustomerFactory.create_batch(count, channel=channel):
            AddressFactory(customer=customer)
            OrderFactory.create_batch(2, customer=customer)

    customers_with_orders(2)
    api_client.get(_search(channel))  # warm the user's permission cache
    # channel scoping + the channel, scoping + the page, its addresses, its recent orders
    with django_assert_num_queries(6):
        assert len(api_client.get(_search(channel)).json()["collection"]) == 2
    customers_with_orders(38)
    with django_assert_num_queries(6):
        assert len(api_client.get(_search(channel)).json()["collection"]) == 40
    assert Customer.objects.count() == 40


@pytest.mark.parametrize(
    "path",
    [
        "customer/abc",
        "customer/-1",
        "customer/99999999999999999999999",
        "order/x/customData",
        "order/99999999999999999999999/customData/1",
        "nothing/here",
    ],
)
def test_paths_that_are_no_record_are_json_404(token_client, channel, path):
    response = token_client.get(f"/compat/kibo/{channel.code}/api/v2/{path}")

    assert response.status_code == 404
    assert response.json() == {"detail": response.json()["detail"]}


def test_a_channel_code_of_any_text_is_json_404(token_client):
    response = token_client.get("/compat/kibo/status is active./api/v2/customer/1")

    assert response.status_code == 404
    assert set(response.json()) == {"detail"}


def test_a_write_to_no_route_with_a_session_is_json_404_not_a_csrf_page(api_user, channel):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(api_user)
    response = client.post(f"/compat/kibo/{channel.code}/api/v2/order/x/customData", {})

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"


def test_session_writes_need_the_csrf_token(api_user, channel):
    from django.test import Client

    order = OrderFactory(customer=CustomerFactory(channel=channel))
    client = Client(enforce_csrf_checks=True)
    client.force_login(api_user)
    url = f"/compat/kibo/{channel.code}/api/v2/order/{order.pk}/customData"

    assert client.get(url).status_code == 200
    response = client.post(url, {"name": "a", "value": "b"}, content_type="application/json")
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]
