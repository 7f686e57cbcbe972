"""GET /customers: a bare array, Nuvemshop's filters and paging, its Link header, a constant
number of queries."""

import datetime
import re

import pytest

from customers.models import Customer
from tests.compat.nuvemshop.conftest import BASE
from tests.customers.factories import AddressFactory, ChannelFactory, CustomerFactory

pytestmark = pytest.mark.django_db

JAN = datetime.datetime(2024, 1, 1, 12, 0, tzinfo=datetime.UTC)
DAY = datetime.timedelta(days=1)
# The seed's "2013-01-03T09:11:51-03:00": seconds and a ±hh:mm offset.
SEED_MOMENT = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$")


@pytest.fixture
def five(store):
    """Five customers created a day apart, each updated a day after creation."""
    customers = []
    for index in range(5):
        customer = CustomerFactory(
            channel=store,
            email=f"c{index}@example.com",
            first_name=f"Name{index}",
            identification=f"ID-{index}",
            created_at=JAN + index * DAY,
        )
        AddressFactory(customer=customer, is_default=True)
        Customer.objects.filter(pk=customer.pk).update(updated_at=JAN + (index + 1) * DAY)
        customers.append(customer)
    CustomerFactory(channel=ChannelFactory(code="other"))  # another channel: never listed
    return [customer.pk for customer in customers]


def _ids(response):
    return [item["id"] for item in response.json()]


def _links(response) -> dict[str, str]:
    found = re.findall(r'<([^>]+)>; rel="(\w+)"', response.headers["Link"])
    return {rel: url for url, rel in found}


def test_bare_array_in_id_order(api_client, five):
    response = api_client.get(f"{BASE}/customers")

    assert response.status_code == 200
    assert isinstance(response.json(), list)
    assert _ids(response) == five
    assert response.headers["X-Total-Count"] == "5"


def test_pages_and_links(api_client, five):
    response = api_client.get(f"{BASE}/customers?page=2&per_page=2")

    assert _ids(response) == five[2:4]
    links = _links(response)
    assert set(links) == {"first", "prev", "next", "last"}
    assert [_ids(api_client.get(links[rel])) for rel in ("first", "prev", "next", "last")] == [
        five[0:2],
        five[0:2],
        five[4:5],
        five[4:5],
    ]
    assert "page=3" in links["last"]
    assert "per_page=2" in links["next"]


def test_first_page_has_no_prev_and_last_no_next(api_client, five):
    first = _links(api_client.get(f"{BASE}/customers?per_page=2"))
    last = _links(api_client.get(f"{BASE}/customers?per_page=2&page=3"))

    assert set(first) == {"first", "next", "last"}
    assert set(last) == {"first", "prev", "last"}


def test_default_page_size_is_30_and_max_200(api_client, store):
    CustomerFactory.create_batch(31, channel=store)

    assert len(api_client.get(f"{BASE}/customers").json()) == 30
    assert len(api_client.get(f"{BASE}/customers?per_page=200").json()) == 31


def test_since_id_pages_by_id(api_client, five):
    response = api_client.get(f"{BASE}/customers?since_id={five[0]}&per_page=2&fields=name")

    assert [item["name"] for item in response.json()] == [
        Customer.objects.get(pk=pk).name for pk in five[1:3]
    ]
    following = api_client.get(_links(response)["next"])
    assert _ids(api_client.get(_links(response)["next"] + "&fields=id")) == five[3:5]
    assert len(following.json()) == 2


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("created_at_min=2024-01-02T12:00:00Z", slice(1, 5)),
        ("created_at_max=2024-01-02T12:00:00Z", slice(0, 2)),
        ("created_at_min=2024-01-02T09:00:00-03:00", slice(1, 5)),
        ("created_at_max=2024-01-03", slice(0, 3)),
        ("updated_at_min=2024-01-04T12:00:00Z", slice(2, 5)),
        ("updated_at_max=2024-01-03T12:00:00Z", slice(0, 2)),
        ("created_at_min=2024-01-02&created_at_max=2024-01-03", slice(1, 3)),
        ("q=ID-3", slice(3, 4)),
        ("q=c4@example.com", slice(4, 5)),
        ("q=name2", slice(2, 3)),
    ],
)
def test_filters(api_client, five, query, expected):
    response = api_client.get(f"{BASE}/customers?{query.replace('+', '%2B')}")

    assert response.status_code == 200, response.content
    assert _ids(response) == five[expected]


def test_fields_keeps_only_those(api_client, five):
    response = api_client.get(f"{BASE}/customers?fields=id,email,billing_city")

    assert response.json()[0] == {"id": five[0], "email": "c0@example.com", "billing_city": None}


def test_dates_as_the_seed_prints_them(api_client, five):
    item = api_client.get(f"{BASE}/customers?per_page=1").json()[0]

    for shown in (item["created_at"], item["updated_at"], item["default_address"]["created_at"]):
        assert SEED_MOMENT.match(shown), shown
    assert item["created_at"] == "2024-01-01T12:00:00+00:00"


def test_blank_text_is_null(api_client, store):
    CustomerFactory(channel=store, phone="", note="", identification="")

    [item] = api_client.get(f"{BASE}/customers").json()

    assert (item["phone"], item["note"], item["identification"]) == (None, None, None)
    assert item["default_address"] is None
    assert item["addresses"] == []
    assert item["billing_address"] is None
    assert item["total_spent"] == "0.00"
    assert item["total_spent_currency"] == "USD"  # the channel's, before any order
    assert item["last_order_id"] is None


def test_empty_channel_is_an_empty_array(api_client, store):
    response = api_client.get(f"{BASE}/customers")

    assert response.status_code == 200
    assert response.json() == []


def test_page_past_the_last_is_404(api_client, five):
    assert api_client.get(f"{BASE}/customers?page=9").status_code == 404


# The user's channel scope (customers), its two permission queries (user, groups), the scope
# again (channels) and the channel; then the count, the page and, when fields need them, all
# the page's addresses.
BEFORE_ROWS = 5


@pytest.mark.parametrize(
    ("query", "queries"),
    [
        pytest.param("", BEFORE_ROWS + 3, id="all-fields"),
        pytest.param("?fields=id,name", BEFORE_ROWS + 2, id="no-address-field"),
        pytest.param("?since_id=0", BEFORE_ROWS + 2, id="since_id-uncounted"),
    ],
)
@pytest.mark.parametrize("rows", [3, 15])
def test_queries_do_not_grow_with_rows(
    api_client, store, django_assert_num_queries, query, queries, rows
):
    for _ in range(rows):
        customer = CustomerFactory(channel=store)
        AddressFactory(customer=customer, is_default=True)
        AddressFactory(customer=customer, is_billing=True)

    with django_assert_num_queries(queries):
        response = api_client.get(f"{BASE}/customers{query}")

    assert response.status_code == 200
    assert len(response.json()) == rows
