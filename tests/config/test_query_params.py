"""Strict query parameters: a parameter a route does not read is a 400 naming it, never ignored;
Omnitron's `pk` filters answer like `id`."""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from config.query_params import StrictQueryParamsMixin
from customers.models import Customer
from groups.models import UserGroup
from orders.models import Order
from tests.customers.factories import AddressFactory, ChannelFactory, CustomerFactory
from tests.groups.factories import UserCustomerGroupFactory, UserGroupFactory
from tests.orders.factories import OrderCustomDataFactory, OrderFactory, OrderItemFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    """One row behind every API route: channel, customer, address, group, order, item."""
    channel = ChannelFactory(code="web")
    customer = CustomerFactory(channel=channel, email="ann@example.com")
    AddressFactory(customer=customer)
    group = UserGroupFactory(code="vip")
    UserCustomerGroupFactory(customer=customer, group=group)
    order = OrderFactory(customer=customer)
    item = OrderItemFactory(order=order)
    OrderCustomDataFactory(order=order)
    OrderCustomDataFactory(order=order, item=item)
    return {"customer": customer, "order": order, "item": item}


def list_urls(world) -> dict[str, str]:
    customer, order, item = world["customer"].pk, world["order"].pk, world["item"].pk
    return {
        "channels": "/api/v1/channels/",
        "customers": "/api/v1/customers/",
        "addresses": f"/api/v1/customers/{customer}/addresses/",
        "memberships": f"/api/v1/customers/{customer}/memberships/",
        "groups": "/api/v1/groups/",
        "group-members": "/api/v1/groups/vip/members/",
        "orders": "/api/v1/orders/",
        "order-custom-data": f"/api/v1/orders/{order}/custom-data/",
        "item-custom-data": f"/api/v1/orders/{order}/items/{item}/custom-data/",
    }


def detail_urls(world) -> dict[str, str]:
    customer, order = world["customer"], world["order"]
    address = customer.addresses.get()
    record = order.custom_data.get(item=None)
    return {
        "channel": "/api/v1/channels/web/",
        "customer": f"/api/v1/customers/{customer.pk}/",
        "address": f"/api/v1/customers/{customer.pk}/addresses/{address.pk}/",
        "membership": f"/api/v1/customers/{customer.pk}/memberships/vip/",
        "group": "/api/v1/groups/vip/",
        "order": f"/api/v1/orders/{order.pk}/",
        "custom-data": f"/api/v1/orders/{order.pk}/custom-data/{record.pk}/",
    }


LISTS = [
    "channels",
    "customers",
    "addresses",
    "memberships",
    "groups",
    "group-members",
    "orders",
    "order-custom-data",
    "item-custom-data",
]
DETAILS = ["channel", "customer", "address", "membership", "group", "order", "custom-data"]


def refused(response, name: str) -> str:
    """The one message of a 400 naming exactly the parameter `name`."""
    assert response.status_code == 400, response.content
    assert list(response.data) == [name]
    (message,) = response.data[name]
    return message


@pytest.mark.parametrize(
    ("query", "message"),
    [
        pytest.param(
            "customerID=1",
            "Unknown query parameter 'customerID'. Did you mean 'id'?",
            id="customerID",
        ),
        pytest.param(
            "created_date__gte=2024-01-01",
            "Unknown query parameter 'created_date__gte'. Did you mean 'created_at__gte'?",
            id="created_date__gte",
        ),
        pytest.param(
            "phone_number=555",
            "Unknown query parameter 'phone_number'. Did you mean 'phone'?",
            id="phone_number",
        ),
        pytest.param("limit=10", "Unknown query parameter 'limit'.", id="limit"),
        pytest.param(
            "attributes__=gold",
            "Unknown query parameter 'attributes__'. Did you mean 'attributes'?",
            id="attributes-without-key",
        ),
    ],
)
def test_the_issues_unknown_parameters_are_400_naming_them(api_client, world, query, message):
    response = api_client.get(f"/api/v1/customers/?{query}")

    assert refused(response, query.partition("=")[0]) == message


def test_every_unknown_parameter_is_named_at_once(api_client, world):
    response = api_client.get("/api/v1/customers/?limit=10&offset=20&per_page=5")

    assert response.status_code == 400
    assert set(response.data) == {"limit", "offset"}


def test_pk__gt_is_400_where_there_is_no_id_filter(api_client, world):
    response = api_client.get("/api/v1/groups/?pk__gt=498")

    assert refused(response, "pk__gt") == "Unknown query parameter 'pk__gt'."


@pytest.mark.parametrize("route", LISTS)
def test_every_list_refuses_an_unknown_parameter(api_client, world, route):
    url = list_urls(world)[route]
    assert api_client.get(url).status_code == 200

    response = api_client.get(f"{url}?customerID=1")

    assert refused(response, "customerID").startswith("Unknown query parameter 'customerID'.")


@pytest.mark.parametrize("route", LISTS)
def test_every_list_takes_its_paging_ordering_fields_and_format(api_client, world, route):
    url = list_urls(world)[route]

    response = api_client.get(f"{url}?page=1&per_page=5&ordering=created_at&format=json")

    assert response.status_code == 200, response.content
    assert len(response.data["results"]) == 1


@pytest.mark.parametrize("route", DETAILS)
def test_a_detail_takes_fields_but_no_list_parameter(api_client, world, route):
    url = detail_urls(world)[route]
    field = "created_at"

    taken = api_client.get(f"{url}?fields={field}&format=json")
    paged = api_client.get(f"{url}?page=2")
    ordered = api_client.get(f"{url}?ordering=id")

    assert (taken.status_code, list(taken.data)) == (200, [field])
    assert refused(paged, "page") == "Unknown query parameter 'page'."
    assert refused(ordered, "ordering").startswith("Unknown query parameter 'ordering'.")


def test_a_filter_on_a_detail_is_400_not_a_filtered_404(api_client, world):
    url = detail_urls(world)["customer"]

    response = api_client.get(f"{url}?status=inactive")

    assert refused(response, "status").startswith("Unknown query parameter 'status'.")


def test_the_customer_list_takes_every_kind_of_parameter_it_reads(api_client, world):
    customer = world["customer"]
    Customer.objects.filter(pk=customer.pk).update(
        attributes={"tier": "gold"}, extra_field={"src": "ads"}
    )
    query = (
        "q=ann&email=ann@example.com&created_at__gte=2000-01-01&attributes__tier=gold"
        f"&extra_field__src=ads&id__in={customer.pk}&pk__lte={customer.pk}&expand=phones&fields=id,phones"
        "&ordering=-id&page=1&per_page=10&format=json"
    )

    response = api_client.get(f"/api/v1/customers/?{query}")

    assert response.status_code == 200, response.content
    assert response.data["results"] == [{"id": customer.pk, "phones": [customer.phone]}]


def test_since_id_is_taken_where_the_filterset_pages_by_id_only(api_client, world):
    customers = api_client.get("/api/v1/customers/?since_id=0")
    orders = api_client.get("/api/v1/orders/?since_id=0")

    assert customers.status_code == 200
    assert refused(orders, "since_id").startswith("Unknown query parameter 'since_id'.")


@pytest.mark.parametrize(
    ("url", "param"),
    [
        pytest.param("/api/v1/customers/?dry_run=1", "dry_run", id="create"),
        # The upsert answers counts, not customers: no expansions.
        pytest.param("/api/v1/customers/upsert/?expand=phones", "expand", id="upsert-expand"),
    ],
)
def test_a_post_with_an_unknown_parameter_writes_nothing(api_client, world, url, param):
    response = api_client.post(url, {"channel": "web", "email": "new@example.com"}, format="json")

    assert refused(response, param) == f"Unknown query parameter '{param}'."
    assert not Customer.objects.filter(email="new@example.com").exists()


def test_a_write_takes_expand_but_not_fields(api_client, world):
    url = detail_urls(world)["customer"]

    expanded = api_client.patch(f"{url}?expand=phones", {"first_name": "Bo"}, format="json")
    sparse = api_client.patch(f"{url}?fields=id", {"first_name": "Cy"}, format="json")

    assert (expanded.status_code, expanded.data["first_name"]) == (200, "Bo")
    assert "phones" in expanded.data
    assert refused(sparse, "fields").startswith("Unknown query parameter 'fields'.")
    assert Customer.objects.get(pk=world["customer"].pk).first_name == "Bo"


@pytest.mark.parametrize(
    ("method", "url", "body"),
    [
        pytest.param("patch", "group", {"title": "Changed"}, id="patch-group"),
        pytest.param("put", "order", {"status": "cancelled"}, id="put-order"),
        pytest.param("delete", "order", None, id="delete-order"),
        pytest.param("delete", "group", None, id="delete-group"),
    ],
)
def test_writes_with_an_unknown_parameter_change_nothing(api_client, world, method, url, body):
    before = list(Order.objects.values()), list(UserGroup.objects.values())

    response = getattr(api_client, method)(
        f"{detail_urls(world)[url]}?confirm=true", body, format="json"
    )

    assert refused(response, "confirm") == "Unknown query parameter 'confirm'."
    assert (list(Order.objects.values()), list(UserGroup.objects.values())) == before


def test_unauthenticated_callers_get_401_before_any_name_is_suggested(anon_client):
    response = anon_client.get("/api/v1/customers/?customerID=1")

    assert response.status_code == 401


PK_LOOKUPS = ["", "__gt", "__gte", "__lt", "__lte", "__in"]


@pytest.mark.parametrize("lookup", PK_LOOKUPS, ids=lambda lookup: f"pk{lookup}")
@pytest.mark.parametrize(
    ("url", "build"),
    [
        pytest.param("/api/v1/customers/", CustomerFactory.create_batch, id="customers"),
        pytest.param("/api/v1/orders/", OrderFactory.create_batch, id="orders"),
    ],
)
def test_pk_filters_answer_like_id(api_client, url, build, lookup):
    # given: five rows; the filter's value is the middle one's id (two ids for __in)
    pks = sorted(row.pk for row in build(5))
    value = f"{pks[1]},{pks[3]}" if lookup == "__in" else str(pks[2])

    # when
    by_pk = api_client.get(f"{url}?pk{lookup}={value}")
    by_id = api_client.get(f"{url}?id{lookup}={value}")

    # then
    expected = {
        "": [pks[2]],
        "__gt": pks[3:],
        "__gte": pks[2:],
        "__lt": pks[:2],
        "__lte": pks[:3],
        "__in": [pks[1], pks[3]],
    }[lookup]
    assert sorted(row["id"] for row in by_pk.data["results"]) == expected
    assert by_pk.data["results"] == by_id.data["results"]


def test_pk_filters_group_members_like_id(api_client):
    group = UserGroupFactory(code="vip")
    pks = sorted(UserCustomerGroupFactory(group=group).customer_id for _ in range(3))

    response = api_client.get(f"/api/v1/groups/vip/members/?pk__gt={pks[0]}")

    assert [row["id"] for row in response.data["results"]] == pks[1:]


def test_a_bad_pk_value_is_400_naming_pk(api_client):
    response = api_client.get("/api/v1/customers/?pk__gt=abc")

    assert refused(response, "pk__gt") == "Enter a number."


def _views(patterns, prefix=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _views(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern), pattern.callback


def test_every_api_view_checks_its_query_parameters():
    """A new route cannot forget the check: every DRF view under /api/v1/ has it (bar the
    schema and its viewers)."""
    schema_routes = ("api/v1/schema/", "api/v1/docs/", "api/v1/redoc/")
    views = [
        (route, callback.cls)
        for route, callback in _views(get_resolver().url_patterns)
        if route.startswith("api/v1/")
        and not route.startswith(schema_routes)
        and hasattr(callback, "cls")
    ]

    assert len(views) > 10
    unchecked = [route for route, cls in views if not issubclass(cls, StrictQueryParamsMixin)]
    assert unchecked == []
