from decimal import Decimal

import pytest
from django.db import connection

from customers.imports import customers_import
from customers.models import Address, Customer
from customers.services import customer_upsert
from groups.models import UserCustomerGroup
from tests.customers.factories import ChannelFactory, CustomerFactory
from tests.groups.factories import UserGroupFactory
from tests.threads import threads_run

pytestmark = pytest.mark.django_db

URL = "/api/v1/customers/upsert/"


def test_zeald_create_or_update_by_key_with_groups(api_client, web):
    """POST Customer+UserCustomerGroups: the second post with the same key updates."""
    # given
    UserGroupFactory(code="dealer")
    UserGroupFactory(code="vip")
    body = {
        "channel": "web",
        "username": "peter@parker.nz",
        "password": "PETERFOO123",
        "email": "peter@parker.nz",
        "first_name": "Peter",
        "last_name": "Parker",
        "groups": ["dealer", "vip"],
    }

    # when
    first = api_client.post(URL, body)
    second = api_client.post(
        URL, {"channel": "web", "email": "Peter@Parker.nz", "first_name": "Paul"}
    )

    # then
    assert first.status_code == 200, first.data
    customer = Customer.objects.get()
    assert first.data == {
        "created": 1,
        "updated": 0,
        "results": [{"id": customer.pk, "email": "peter@parker.nz", "created": True}],
    }
    assert second.data == {
        "created": 0,
        "updated": 1,
        "results": [{"id": customer.pk, "email": "peter@parker.nz", "created": False}],
    }
    customer.refresh_from_db()
    assert (customer.first_name, customer.last_name, customer.username) == (
        "Paul",
        "Parker",
        "peter@parker.nz",
    )
    assert customer.has_password
    assert sorted(
        UserCustomerGroup.objects.filter(customer=customer).values_list("group__code", flat=True)
    ) == ["dealer", "vip"]


def test_list_counts_created_and_updated(api_client, web):
    existing = CustomerFactory(channel=web, email="a@x.com")
    response = api_client.post(
        URL,
        [
            {"channel": "web", "email": "a@x.com", "phone": "1"},
            {"channel": "web", "email": "b@x.com", "addresses": [{"city": "Rio", "country": "br"}]},
        ],
    )
    assert response.status_code == 200, response.data
    assert (response.data["created"], response.data["updated"]) == (1, 1)
    assert response.data["results"][0] == {"id": existing.pk, "email": "a@x.com", "created": False}
    assert Address.objects.get().country == "BR"


@pytest.mark.parametrize(
    ("body", "refused"),
    [
        pytest.param(
            [
                {"channel": "web", "email": "ok@x.com"},
                {"channel": "web", "email": "not-an-email"},
                {"channel": "web", "email": "ok2@x.com"},
                {"channel": "web", "email": "new@x.com", "username": "taken"},
            ],
            {"1": "email", "3": "username"},
            id="bad-field-and-taken-username",
        ),
        pytest.param(
            [
                {"channel": "web", "email": "ok@x.com"},
                {"channel": "web", "email": "new@x.com", "username": "taken"},
                {"channel": "web", "email": "x@x.com", "groups": ["nope"]},
            ],
            {"1": "username", "2": "groups"},
            id="service-errors",
        ),
    ],
)
def test_list_is_all_or_nothing_naming_indexes(api_client, web, body, refused):
    CustomerFactory(channel=web, email="taken@x.com", username="taken")
    response = api_client.post(URL, body)
    assert response.status_code == 400
    # every refused item at once, each naming its field; nothing written
    assert set(response.data["items"]) == set(refused)
    for index, field in refused.items():
        assert field in response.data["items"][index]
    assert Customer.objects.count() == 1


def test_single_invalid_object_is_a_plain_400(api_client, web):
    response = api_client.post(URL, {"channel": "web"})
    assert response.status_code == 400
    assert "email" in response.data


@pytest.mark.parametrize("size", [0, 1001])
def test_list_size_limits(api_client, web, size):
    body = [{"channel": "web", "email": f"c{i}@x.com"} for i in range(size)]
    response = api_client.post(URL, body)
    assert response.status_code == 400
    assert "items" in response.data
    assert not Customer.objects.exists()


def test_repeated_upsert_does_not_duplicate_addresses(api_client, web):
    body = {"channel": "web", "email": "a@x.com", "addresses": [{"city": "Rio", "country": "BR"}]}
    api_client.post(URL, body)
    api_client.post(URL, body)
    assert Address.objects.count() == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs concurrent connections")
def test_concurrent_upserts_of_one_email_make_one_customer():
    channel = ChannelFactory(code="race")

    def upsert(n):
        customer_upsert(channel=channel, data={"email": "same@x.com", "first_name": f"T{n}"})

    threads_run(upsert, 4)

    assert Customer.objects.filter(channel=channel).count() == 1


@pytest.mark.parametrize("count", [pytest.param(3, id="inline"), pytest.param(25, id="staged")])
def test_updates_write_every_kind_of_column_and_skip_unchanged_rows(web, count):
    """A few updated rows go inline, many through the staging table: the same result."""
    # given
    for n in range(count):
        CustomerFactory(channel=web, email=f"c{n}@x.com", first_name="Old")
    changes = {
        "first_name": "New",
        "discount_percent": "12.5",
        "date_of_birth": "1990-01-31",
        "date_joined": "2020-05-06T07:08:09Z",
        "email_allowed": True,
        "attributes": {"tier": "gold"},
        "username": None,
    }
    rows = [
        (n, {"channel": "web", "email": f"c{n}@x.com", **(changes if n % 2 else {})}, {})
        for n in range(count)
    ]

    # when
    result = customers_import(rows, threaded=False)

    # then
    assert (result.created, result.updated, result.unchanged) == (0, count // 2, count - count // 2)
    changed = Customer.objects.get(email="c1@x.com")
    assert (changed.first_name, changed.discount_percent, str(changed.date_of_birth)) == (
        "New",
        Decimal("12.50"),
        "1990-01-31",
    )
    assert (changed.email_allowed, changed.attributes, changed.username) == (
        True,
        {"tier": "gold"},
        None,
    )
    assert changed.date_joined.isoformat() == "2020-05-06T07:08:09+00:00"
    assert Customer.objects.get(email="c0@x.com").first_name == "Old"
